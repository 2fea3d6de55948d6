"""Transfers on real databases: the rules on complete files, overrides and double transfer;
the hand-over list read back; a township → county round trip through a real BagIt bag;
bags with a changed byte or a missing file refused, naming the file."""

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import delete, select

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config
from archive_tui.db import open_database
from archive_tui.core.errors import ArchiveError
from archive_tui.services.transfers import transfer_forms
from archive_tui.services.transfers import transfers
from archive_tui.services.quality.checks import run_checks
from archive_tui.services.registers.copies import list_copies
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import ingest_once, list_scans
from archive_tui.services.transfers.transfer_bags import package, receive
from models import ArchiveFile, Document
from tests.conftest import render_pdf_page, table_counts


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=10, seed=14)
    return list_households(engine)


def scan_pages(config, households, pages=2):
    config.inbox.mkdir(exist_ok=True)
    for index, household in enumerate(households):
        for page in range(1, pages + 1):
            path = config.inbox / f"{household['archive_code']}-{page}.jpg"
            Image.new("RGB", (200, 280), (index * 20 % 255, page * 70, 120)).save(path, dpi=(300, 300))
            os.utime(path, (time.time() - 60,) * 2)


def scan_whole_files(engine, config, households) -> int:
    """Every page each household's 卷内目录 lists, scanned (``{档号}-{页号}.jpg``, each page its own
    image), taken in and filed into its document as an archivist does in 卷内文件: a file whose bag
    passes the 四性检测. Returns the number of pages."""
    from archive_tui.services.households.catalogue import sort_pages

    config.inbox.mkdir(exist_ok=True)
    codes = [household["archive_code"] for household in households]
    with engine.connect() as connection:
        rows = connection.execute(
            select(ArchiveFile.__table__.c.archive_code, Document.__table__.c.doc_type,
                   Document.__table__.c.page_count)
            .join(Document.__table__, Document.__table__.c.archive_file_id == ArchiveFile.__table__.c.id)
            .where(ArchiveFile.__table__.c.archive_code.in_(codes), Document.__table__.c.page_count > 0)
            .order_by(ArchiveFile.__table__.c.archive_code, Document.__table__.c.position)).all()
    ranges, last = [], {}
    for code, doc_type, count in rows:
        first = last.get(code, 0) + 1
        last[code] = first + count - 1
        ranges.append((code, doc_type, first, last[code]))
        for page in range(first, last[code] + 1):
            path = config.inbox / f"{code}-{page}.jpg"
            shade = (codes.index(code) * 37 + page * 11) % 256
            Image.new("RGB", (200, 280), (shade, page * 7 % 256, int(doc_type) * 20 % 256)).save(path, dpi=(300, 300))
            os.utime(path, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    for code, doc_type, first, end in ranges:
        sort_pages(context_for(engine, config), code, doc_type, f"{first}-{end}")
    return sum(last.values())


def batch(engine, config, **people):
    return transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆", handed_over_by="王档案",
                                                                received_by="李馆员", supervised_by="赵局长", **people))


def drop_document(engine, archive_code, doc_type="03"):
    with engine.begin() as connection:
        file_id = connection.execute(select(ArchiveFile.__table__.c.id).where(
            ArchiveFile.__table__.c.archive_code == archive_code)).scalar_one()
        connection.execute(delete(Document.__table__).where(Document.__table__.c.archive_file_id == file_id,
                                                            Document.__table__.c.doc_type == doc_type))


def test_only_complete_checked_files_unless_overridden(engine, config, township):
    incomplete = township[0]["archive_code"]
    drop_document(engine, incomplete)
    number = batch(engine, config)
    before = table_counts(engine)
    with pytest.raises(ArchiveError) as refused:
        transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in township[:3]])
    assert f"{incomplete}（{township[0]['name']}）必备文件不全" in refused.value.details
    assert table_counts(engine) == before
    skipped = transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in township[:3]], skip_refused=True)
    assert skipped.added == 2 and len(skipped.refused) == 1
    forced = transfers.add(context_for(engine, config), number, [incomplete], override="县档案馆同意先接收，缺件补交")
    assert forced.added == 1 and forced.overridden == 1
    assert transfers.show(engine, number)["items"][0]["override"] == "县档案馆同意先接收，缺件补交"


def test_a_failed_quality_check_blocks_until_overridden(engine, config, township):
    from sqlalchemy import update

    from models import Household, Member

    key = township[2]["cbfbm"]
    with engine.begin() as connection:  # one member without a sex: an error the check finds
        household_id = connection.execute(select(Household.__table__.c.id).where(
            Household.__table__.c.code == key)).scalar_one()
        connection.execute(update(Member.__table__).where(Member.__table__.c.household_id == household_id)
                           .values(sex=""))
    run_checks(context_for(engine, config), rules=["member_incomplete"])
    number = batch(engine, config)
    with pytest.raises(ArchiveError) as refused:
        transfers.add(context_for(engine, config), number, [key])
    assert "质检未通过" in refused.value.details[0]
    assert transfers.add(context_for(engine, config), number, [key], override="已核实").overridden == 1


def test_a_copy_is_in_one_open_batch_and_never_transferred_twice(engine, config, township):
    key = township[1]["cbfbm"]
    first, second = batch(engine, config), batch(engine, config)
    transfers.add(context_for(engine, config), first, [key])
    with pytest.raises(ArchiveError) as twice:
        transfers.add(context_for(engine, config), second, [key])
    assert first in twice.value.details[0]
    transfers.send(context_for(engine, config), first)
    with pytest.raises(ArchiveError, match="清单已冻结"):
        transfers.add(context_for(engine, config), first, [township[2]["cbfbm"]])
    transfers.close(context_for(engine, config), first)
    with pytest.raises(ArchiveError) as again:
        transfers.add(context_for(engine, config), second, [key])
    assert "已移交，不能再次移交" in again.value.details[0]


def test_states_and_results_move_the_copies(engine, config, township):
    keys = [h["cbfbm"] for h in township[:4]]
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, keys)
    with pytest.raises(ArchiveError, match="只有已移交待接收"):
        transfers.close(context_for(engine, config), number)
    transfers.send(context_for(engine, config), number)
    assert {c["status"] for c in list_copies(engine, level="township") if c["cbfbm"] in keys} == {"in_transit"}
    with pytest.raises(ArchiveError, match="不在批次"):
        transfers.close(context_for(engine, config), number, missing=["130123999999990001"])
    found = transfers.close(context_for(engine, config), number, missing=[keys[0]],
                            damaged=[township[1]["archive_code"]])
    assert found == {"missing": [township[0]["archive_code"]], "damaged": [township[1]["archive_code"]]}
    by_key = {c["cbfbm"]: c for c in list_copies(engine, level="township")}
    assert by_key[keys[0]]["status"] == "filed"
    assert by_key[keys[1]]["status"] == by_key[keys[2]]["status"] == "transferred"
    assert by_key[keys[2]]["holder"] == "正定县档案馆"
    assert [i["status"] for i in transfers.show(engine, number)["items"]][:3] == ["missing", "damaged", "received"]
    other = batch(engine, config)
    transfers.add(context_for(engine, config), other, [township[5]["cbfbm"]])
    transfers.send(context_for(engine, config), other)
    transfers.return_batch(context_for(engine, config), other, "目录与实物不符")
    assert by_key[township[5]["cbfbm"]]["status"] == "assembling"
    assert {c["status"] for c in list_copies(engine, level="township")
            if c["cbfbm"] == township[5]["cbfbm"]} == {"filed"}


def test_the_hand_over_list_reads_back_and_prints_the_same_twice(engine, config, township, tmp_path):
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in township[:6]])
    pdf = transfer_forms.manifest(context_for(engine, config), number, tmp_path / "清单.pdf").path
    reader = PdfReader(pdf)
    listing, handover = reader.pages[0].extract_text(), reader.pages[-1].extract_text()
    assert "移交清单" in listing and all(h["archive_code"] in listing for h in township[:6]) and "合计" in listing
    for text in ("交 接 文 据", "王档案", "赵局长", "6 卷", "一式 3 份", "监交单位", "经办人（签字）", "件数合计",
                 "起止年度", "移交日期", "（尚未移交）", "草稿", "移交包", "未制作"):
        assert text in handover
    assert f"共 {len(reader.pages)} 页" in handover
    render_pdf_page(pdf, len(reader.pages) - 1, dpi=50).save(tmp_path / "handover.png")
    assert transfer_forms.manifest(context_for(engine, config), number,
                                   tmp_path / "again.pdf").path.read_bytes() == pdf.read_bytes()
    book = load_workbook(transfer_forms.manifest(context_for(engine, config), number, tmp_path / "清单.xlsx").path)
    rows = list(book["移交清单"].iter_rows(values_only=True))
    assert rows[2] == ("序号", "档号", "案卷题名", "年度", "保管期限", "件数", "页数", "备注")
    assert [r[1] for r in rows[3:9]] == sorted(h["archive_code"] for h in township[:6]) and rows[9][0] == "合计"
    assert all(isinstance(r[3], int) and isinstance(r[6], int) for r in rows[3:9])
    assert rows[11][0] == "交接文据" and ("件数合计", f"{rows[9][5]} 件") == rows[11 + 7][:2]
    csv_file = transfer_forms.manifest(context_for(engine, config), number, tmp_path / "清单.csv").path
    csv_text = csv_file.read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0] == "序号,档号,案卷题名,年度,保管期限,件数,页数,备注"


@pytest.fixture
def county(tmp_path):
    folder = tmp_path / "县档案馆"
    folder.mkdir()
    write_default_config(folder / "config.toml")
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    yield config, engine
    engine.dispose()


def sent_bag(engine, config, township, tmp_path, households=3):
    scan_whole_files(engine, config, township[:households])
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in township[:households]])
    transfers.send(context_for(engine, config), number)
    [bag] = package(context_for(engine, config), number, tmp_path / "bags", processes=1)
    return number, bag


def test_township_to_county_round_trip(engine, config, township, county, tmp_path):
    import bagit

    number, bag = sent_bag(engine, config, township, tmp_path)
    info = bagit.Bag(str(bag)).info
    assert info["External-Identifier"] == number and info["Source-Organization"] == config.settings.township.name
    assert "Bagging-Date" in info and bagit.Bag(str(bag)).is_valid()
    county_config, county_engine = county
    result = receive(context_for(county_engine, county_config), bag)
    assert (result.new_files, result.new_pages) == (3, len(list_scans(engine, "linked")))
    received = list_scans(county_engine, "linked")
    sent = list_scans(engine, "linked")
    assert sorted(r["sha256"] for r in received) == sorted(r["sha256"] for r in sent)
    assert all((county_config.root / r["path"]).is_file() for r in received)
    county_copies = list_copies(county_engine, level="township")
    assert {c["archive_code"] for c in county_copies} == {h["archive_code"] for h in township[:3]}
    assert {c["status"] for c in county_copies} == {"transferred"}
    assert transfers.show(county_engine, number)["status"] == "received"
    before = table_counts(county_engine)
    again = receive(context_for(county_engine, county_config), bag)
    assert not again.changed and table_counts(county_engine) == before


def test_a_changed_byte_or_a_missing_file_is_refused_naming_the_file(engine, config, township, county, tmp_path):
    _number, bag = sent_bag(engine, config, township, tmp_path, households=2)
    county_config, county_engine = county
    changed, missing = tmp_path / "changed", tmp_path / "missing"
    shutil.copytree(bag, changed)
    shutil.copytree(bag, missing)
    victim = sorted((changed / "data" / "scans").rglob("*.jpg"))[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    gone = sorted((missing / "data" / "scans").rglob("*.jpg"))[-1]
    gone.unlink()
    before = table_counts(county_engine)
    with pytest.raises(ArchiveError) as bad_byte:
        receive(context_for(county_engine, county_config), changed)
    assert any(victim.name in line and "校验值不符" in line for line in bad_byte.value.details)
    with pytest.raises(ArchiveError) as bad_missing:
        receive(context_for(county_engine, county_config), missing)
    assert any(gone.name in line and "缺少" in line for line in bad_missing.value.details)
    assert table_counts(county_engine) == before
    assert not any(county_config.store.rglob("*.jpg"))


def test_a_batch_split_into_a_bag_group(engine, config, township, tmp_path):
    import bagit

    scan_pages(config, township[:4])
    ingest_once(context_for(engine, config))
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in township[:4]])
    one_file = max((config.root / r["path"]).stat().st_size for r in list_scans(engine, "linked")) * 2
    bags = package(context_for(engine, config), number, tmp_path / "bags", max_bytes=one_file, processes=1)
    assert len(bags) == 4  # two pages of a file fit, a second file does not: one file per bag
    infos = [bagit.Bag(str(b)).info for b in bags]
    assert {i["Bag-Group-Identifier"] for i in infos} == {number}
    assert [i["Bag-Count"] for i in infos] == [f"{n} of 4" for n in range(1, 5)]
    with pytest.raises(ArchiveError, match="未覆盖"):
        package(context_for(engine, config), number, tmp_path / "bags", max_bytes=one_file, processes=1)


def test_bags_are_built_beside_under_a_part_name_first(engine, config, township, tmp_path):
    number, bag = sent_bag(engine, config, township, tmp_path, households=1)
    assert not list(bag.parent.glob("*.part")) and bag.name == number
    assert dt.date.today().isoformat() in (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert (bag / "data" / "catalogue" / "pages.csv").is_file()
    listed = Path(bag / "data" / "catalogue" / "catalogue.json").read_text(encoding="utf-8").count("sha256")
    assert listed == len(list_scans(engine, "linked"))  # one entry for each page


def test_link_mode_shares_the_stores_data_and_still_validates(engine, config, township, tmp_path):
    import bagit

    scan_pages(config, township[:1], pages=1)
    ingest_once(context_for(engine, config))
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, [township[0]["cbfbm"]])
    [bag] = package(context_for(engine, config), number, tmp_path / "linked", link=True, processes=1)
    [page] = list_scans(engine, "linked")
    [inside] = list((bag / "data" / "scans").rglob("*.jpg"))
    assert os.path.samefile(inside, config.root / page["path"]) and bagit.Bag(str(bag)).is_valid()
