"""Transfers of a township with two campaigns (确权 and 延包): a village adds the files of both, or
of one when a campaign is named; the 移交清单 groups them by campaign with a 小计 each, then the 合计;
the bag's catalogue carries each file's campaign and its 相关案卷; the bag passes the 四性检测 (a
延包 file checked against the 延包 document list) and the county receives it with both campaigns kept.

The township is imported from a county-shaped source; some households then reach the 延包 (a
campaign record each, their 延包 files made by ``archive_files.create_missing`` and catalogued with
the 延包 documents Y01…Y05); every page of every file is scanned (real images) and taken in."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import pytest
from openpyxl import load_workbook
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import insert, select

from archive_tui.bootstrap import context_for
from archive_tui.core.config import PRIMARY_CAMPAIGN
from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.intake.scans import ingest_once
from archive_tui.services.transfers import transfer_forms, transfers
from archive_tui.services.transfers.bag_catalogue import parse_catalogue
from archive_tui.services.transfers.bag_checks import FAIL, Bag, check_bag, wz06_required_documents
from archive_tui.services.transfers.transfer_bags import package, receive
from models import ArchiveFile, CampaignRecord, Document, Household, Issuer
from tests.conftest import add_campaign_files, another_archive, write_tables_csv

H, FILE, DOC, RECORD, ISSUER = (Household.__table__, ArchiveFile.__table__, Document.__table__,
                                CampaignRecord.__table__, Issuer.__table__)
EXTENSION = "延包"
EXTENSION_PAGES = {"Y01": 2, "Y02": 1, "Y03": 1, "Y04": 2, "Y05": 1}  # as the 延包 catalogue lists them


def extend(engine, config, codes: list[str]) -> None:
    """These households reached the 延包: a campaign record each, their 延包 files, and those files'
    catalogue (the required 延包 documents, each with its page count)."""
    names = {doc.code: (position, doc.name) for position, doc in enumerate(config.settings.documents_of(EXTENSION), 1)}
    add_campaign_files(engine, config, codes, EXTENSION)
    with engine.begin() as connection:
        for file_id in connection.execute(select(FILE.c.id).where(FILE.c.campaign == EXTENSION)).scalars():
            for code, pages in EXTENSION_PAGES.items():
                connection.execute(insert(DOC).values(
                    archive_file_id=file_id, doc_type=code, position=names[code][0], title=names[code][1],
                    page_count=pages, doc_number="", responsible="", remark="", dated=dt.date(2026, 4, 8)))


def scan_every_page(engine, config) -> None:
    """Each file's pages, named ``{承包方编码}_{文件类型}_{页号}`` (the page number within its file):
    the 确权 documents 01–10 a page each, the 延包 ones as their catalogue counts them."""
    config.inbox.mkdir(exist_ok=True)
    with engine.connect() as connection:
        files = connection.execute(select(H.c.code, FILE.c.campaign).join(FILE, FILE.c.household_id == H.c.id)
                                   .order_by(H.c.code, FILE.c.campaign)).all()
    shade = 0
    for code, campaign in files:
        pages = ([(doc.code, 1) for doc in config.settings.documents] if campaign == PRIMARY_CAMPAIGN
                 else list(EXTENSION_PAGES.items()))
        number = 0
        for doc_type, count in pages:
            for _page in range(count):
                number, shade = number + 1, shade + 1
                image = Image.new("RGB", (240, 340), "white")
                ImageDraw.Draw(image).rectangle((10, 10, 10 + shade % 200, 40 + shade // 200),
                                                fill=(shade * 37 % 256, shade * 11 % 256, 120))
                path = config.inbox / f"{code}_{doc_type}_{number}.jpg"
                image.save(path, dpi=(300, 300))
                os.utime(path, (time.time() - 60,) * 2)
    report = ingest_once(context_for(engine, config))
    assert report.unassigned == 0 and report.linked == sum(
        10 if campaign == PRIMARY_CAMPAIGN else sum(EXTENSION_PAGES.values()) for _code, campaign in files)


@pytest.fixture
def township(engine, config, tmp_path):
    """{village name: [cbfbm …]}: every household of the first village but its last reached the 延包,
    and every page of every file is scanned."""
    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "县导出", households=6))
    with engine.connect() as connection:
        rows = connection.execute(select(ISSUER.c.village_name, H.c.code).join(ISSUER, ISSUER.c.id == H.c.issuer_id)
                                  .order_by(H.c.code)).all()
    villages: dict[str, list[str]] = {}
    for village, code in rows:
        villages.setdefault(village, []).append(code)
    first = next(iter(villages.values()))
    assert len(first) >= 3
    extend(engine, config, first[:-1])
    scan_every_page(engine, config)
    return villages


def batch(engine, config) -> str:
    return transfers.new_batch(context_for(engine, config), transfers.Batch(
        "正定县档案馆", handed_over_by="王档案", received_by="李馆员", supervised_by="赵局长"))


def files_of(engine, codes: list[str]) -> list:
    with engine.connect() as connection:
        return connection.execute(select(FILE.c.archive_code, FILE.c.campaign, H.c.code, H.c.name.label("household"))
                                  .join(H, H.c.id == FILE.c.household_id).where(H.c.code.in_(codes))
                                  .order_by(FILE.c.archive_code)).all()


def test_a_village_adds_both_campaigns_files_or_the_named_one(engine, config, township):
    village, codes = next(iter(township.items()))
    every = files_of(engine, codes)
    extension = [row for row in every if row.campaign == EXTENSION]
    assert len(extension) == len(codes) - 1
    number = batch(engine, config)
    only = transfers.add(context_for(engine, config), number, [codes[0]], campaign=EXTENSION)
    assert only.added == 1  # the household's 延包 file only
    assert [item["campaign"] for item in transfers.show(engine, number)["items"]] == [EXTENSION]
    with pytest.raises(ArchiveError, match="没有名为“换证”的工作阶段"):
        transfers.add(context_for(engine, config), number, village=village, campaign="换证")
    incomplete = extension[1].archive_code  # its 延包 certificate receipt (Y05) filed as Y08 by mistake
    with engine.begin() as connection:
        file_id = connection.execute(select(FILE.c.id).where(FILE.c.archive_code == incomplete)).scalar_one()
        connection.execute(DOC.update().where(DOC.c.archive_file_id == file_id, DOC.c.doc_type == "Y05")
                           .values(doc_type="Y08"))
    with pytest.raises(ArchiveError, match="--campaign 只选一个工作阶段") as refused:
        transfers.add(context_for(engine, config), number, village=village)
    assert refused.value.details == [f"{incomplete}（{extension[1].household}，延包卷）必备文件不全"]
    [why] = transfers.refused_files(engine, config, number, village=village)
    assert why.archive_code == incomplete and why.reasons[0].details == ["缺少换发的承包经营权证领取登记"]
    rest = transfers.add(context_for(engine, config), number, village=village, skip_refused=True)
    assert rest.added == len(every) - 2 and len(rest.refused) == 1  # both campaigns' files, each by its own list
    shown = transfers.show(engine, number)
    assert sorted((item["archive_code"], item["campaign"]) for item in shown["items"]) == sorted(
        (row.archive_code, row.campaign) for row in every if row.archive_code != incomplete)
    other = batch(engine, config)
    with pytest.raises(ArchiveError, match="已在移交批次"):  # the 延包 copies are in the first batch already
        transfers.add(context_for(engine, config), other, [extension[0].archive_code])


def test_the_list_groups_the_files_by_campaign_and_the_bag_reaches_the_county(engine, config, township, tmp_path):
    village, codes = next(iter(township.items()))
    every = files_of(engine, codes)
    primary = [row.archive_code for row in every if row.campaign == PRIMARY_CAMPAIGN]
    extension = [row.archive_code for row in every if row.campaign == EXTENSION]
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, village=village)
    extension_pages = sum(EXTENSION_PAGES.values())
    book = load_workbook(transfer_forms.manifest(context_for(engine, config), number, tmp_path / "清单.xlsx").path)
    rows = [row for row in book["移交清单"].iter_rows(values_only=True)]
    assert rows[0][0] == "城关镇农村土地承包档案移交清单（确权、延包）"
    body = rows[3:rows.index(next(row for row in rows if row[0] == "合计")) + 1]
    assert body[0][1:3] == ("一、确权", "农村土地承包经营权确权登记档案")
    assert [row[1] for row in body[1:1 + len(primary)]] == primary
    subtotal = body[1 + len(primary)]
    assert subtotal[:2] == ("小计", f"确权 {len(primary)} 卷") and subtotal[5:7] == (10 * len(primary),
                                                                                  10 * len(primary))
    assert body[2 + len(primary)][1:3] == ("二、延包", "第二轮土地承包到期后再延长三十年档案")
    assert [row[1] for row in body[3 + len(primary):3 + len(primary) + len(extension)]] == extension
    assert body[-2][:2] == ("小计", f"延包 {len(extension)} 卷")
    assert body[-2][5:7] == (len(EXTENSION_PAGES) * len(extension), extension_pages * len(extension))
    total = body[-1]
    assert total[1] == f"{len(every)} 卷（确权 {len(primary)} 卷、延包 {len(extension)} 卷）"
    assert total[5:7] == (body[1 + len(primary)][5] + body[-2][5], body[1 + len(primary)][6] + body[-2][6])
    pdf = PdfReader(transfer_forms.manifest(context_for(engine, config), number, tmp_path / "清单.pdf").path)
    listing = "".join(page.extract_text() for page in pdf.pages[:-1])
    assert listing.index("一、确权") < listing.index(primary[0]) < listing.index("小计") < listing.index("二、延包")
    assert listing.index("二、延包") < listing.index(extension[0]) < listing.index(f"延包 {len(extension)} 卷")
    assert listing.rindex("合计") > listing.rindex("小计")
    assert "第二轮土地承包到期后再延长三十年档案" in pdf.pages[-1].extract_text()  # 移交内容 on the 交接文据

    [bag] = package(context_for(engine, config), number, tmp_path / "bags")
    catalogue = json.loads((bag / "data" / "catalogue" / "catalogue.json").read_text(encoding="utf-8"))
    entries = {entry["archive_code"]: entry for entry in catalogue["files"]}
    for row in every:
        entry = entries[row.archive_code]
        assert entry["campaign"] == row.campaign
        others = [other.archive_code for other in every if other.code == row.code and other.campaign != row.campaign]
        assert [related["archive_code"] for related in entry["related"]] == others
    report = check_bag(bag, config)
    assert not report.failed, [(item.code, item.details[:3]) for item in report.failed]

    county_config, county_engine = another_archive(tmp_path / "县档案馆")
    try:
        received = receive(context_for(county_engine, county_config), bag)
        assert received.new_files == len(every) and received.new_pages == sum(
            10 if row.campaign == PRIMARY_CAMPAIGN else extension_pages for row in every)
        with county_engine.connect() as connection:
            held = dict(connection.execute(select(FILE.c.archive_code, FILE.c.campaign)).all())
            households = connection.execute(select(H.c.code)).scalars().all()
        assert held == {row.archive_code: row.campaign for row in every}
        assert sorted(households) == sorted(codes)  # each household once, with its files of both campaigns
        assert not receive(context_for(county_engine, county_config), bag).changed  # the same bag again
    finally:
        county_engine.dispose()


def test_a_bag_made_before_campaigns_reads_as_qiquan_and_each_file_is_checked_by_its_own_list(config):
    """catalogue.json without ``campaign``: 确权; WZ-06 holds a 延包 file to the 延包 list only."""
    entry = {"archive_code": "Z001-NJ·2018-Y-00001", "cbfbm": "130123101001010001", "household": "王振华",
             "contractor_type": "1", "issuer_code": "13012310100101", "issuer_name": "第一村民小组",
             "village_code": "130123101001", "village_name": "东里村", "group_code": "01", "title": "王振华户档案",
             "year": 2018, "retention": "永久", "volume_no": 1, "page_count": 0, "documents": [], "pages": []}
    old = {"format": "archive-tui transfer 1", "batch": "130123101-YJ2026-001", "bag": 1, "bags": 1,
           "level": "township", "to": "正定县档案馆", "township": {"code": "130123101", "name": "城关镇"},
           "county": {"code": "130123", "name": "正定县"}, "fonds": {"code": "Z001", "name": "城关镇"},
           "files": [entry]}
    [file] = parse_catalogue(old, "旧包").files
    assert (file.campaign, file.related) == (PRIMARY_CAMPAIGN, [])
    extension = {**entry, "archive_code": "Z001-NJ·2026-Y-00001", "campaign": EXTENSION, "volume_no": 1,
                 "related": [{"campaign": PRIMARY_CAMPAIGN, "archive_code": entry["archive_code"]}],
                 "documents": [{"doc_type": code} for code in ("Y01", "Y02", "Y03", "Y05")]}
    primary = {**entry, "documents": [{"doc_type": doc.code} for doc in config.settings.documents]}
    result, problems = wz06_required_documents(Bag(config.root, config, None, catalogue={
        "files": [primary, extension]}))
    assert result == FAIL and problems == ["Z001-NJ·2026-Y-00001 缺少：延包承包合同（再延长三十年）"]


@pytest.mark.sqlite_only  # the command line over the same services as the village test
def test_the_cli_adds_one_campaign_and_shows_each_files_campaign(engine, config, township, cli):
    codes = next(iter(township.values()))
    number = cli("transfers", "new", "--to", "正定县档案馆", cwd=config.root).out.strip()
    added = cli("transfers", "add", number, codes[0], "--campaign", EXTENSION, cwd=config.root)
    assert added.code == 0 and "已加入 1 卷" in added.out
    refused = cli("transfers", "add", number, codes[1], "--campaign", "换证", cwd=config.root)
    assert refused.code == 1 and "没有名为“换证”的工作阶段" in refused.err
    assert cli("transfers", "add", number, codes[1], cwd=config.root).code == 0  # both of its files
    shown = json.loads(cli("transfers", "show", number, "--json", cwd=config.root).out)
    assert set(shown["items"][0]) == {"archive_code", "cbfbm", "status", "campaign"}
    assert sorted((item["cbfbm"], item["campaign"]) for item in shown["items"]) == sorted(
        [(codes[0], EXTENSION), (codes[1], PRIMARY_CAMPAIGN), (codes[1], EXTENSION)])


@pytest.mark.sqlite_only  # the refusals' SQL runs on PostgreSQL in the village test above
def test_a_finding_of_one_campaign_holds_back_that_campaigns_file_only(engine, config, township):
    from archive_tui.db.tables import FINDING

    _village, codes = next(iter(township.items()))
    with engine.begin() as connection:
        household_id = connection.execute(select(H.c.id).where(H.c.code == codes[0])).scalar_one()
        connection.execute(insert(FINDING).values(
            rule="extension_objection", severity="error", household_id=household_id, subject="延包公示",
            message="延包公示有异议：四至不清", status="open", source="check"))
    number = batch(engine, config)
    added = transfers.add(context_for(engine, config), number, [codes[0]], skip_refused=True)
    assert added.added == 1 and [item["campaign"] for item in transfers.show(engine, number)["items"]] == [
        PRIMARY_CAMPAIGN]  # the 确权 file goes; the 延包 file waits for its own finding
    assert len(added.refused) == 1 and "延包卷）质检未通过：1 个待处理问题" in added.refused[0]
