"""The 卷内目录 from the data, corrected by hand, and scans that fit it — on a township imported
from an Access text export made the way a county's software writes one."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from PIL import Image
from sqlalchemy import func, select

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.services.households.catalogue import edit_document, sort_pages
from archive_tui.services.quality.checks import run_checks
from archive_tui.services.households.households import show_household
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.households.printing import print_covers
from archive_tui.services.quality.file_forms import print_contents, print_notes
from archive_tui.services.intake.scans import ingest_once
from models import ArchiveFile, AuditEvent, Document, Finding, Household, ScanPage
from tests.conftest import table_counts
from tests.fixtures.real_sources import ISSUING_AUTHORITY, write_access_text_export
from tests.reports.pdf_reading import page_text, pages_of

DOCUMENT, FILE = Document.__table__, ArchiveFile.__table__
HOUSEHOLD = "130123101001020001"  # 王振华: surveyed 2017-04-14, contract 2017-07-18, register 2018-03-22
ISSUER = "正定县城关镇东里村第二村民小组"


@pytest.fixture
def imported(engine, config, tmp_path):
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "县导出", names="mixed"))
    return engine


def entries(engine, cbfbm: str = HOUSEHOLD) -> dict[str, object]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(DOCUMENT).join(FILE, FILE.c.id == DOCUMENT.c.archive_file_id)
            .join(Household.__table__, Household.__table__.c.id == FILE.c.household_id)
            .where(Household.__table__.c.code == cbfbm)).all()
    return {row.doc_type: row for row in rows}


def archive_code_of(engine, cbfbm: str = HOUSEHOLD) -> str:
    with engine.connect() as connection:
        return connection.execute(select(FILE.c.archive_code).join(
            Household.__table__, Household.__table__.c.id == FILE.c.household_id)
            .where(Household.__table__.c.code == cbfbm)).scalar_one()


def text_of(path) -> str:
    return "".join(page_text(chars) for chars in pages_of(path))


def test_the_import_dates_each_document_and_names_who_made_it(imported, config):
    docs = entries(imported)
    expected = {  # doc type: (日期, 文号, 责任者), as the national tables say
        "03": (dt.date(2017, 4, 14), "", ISSUER),  # CBFDCRQ, by the 发包方
        "04": (dt.date(2017, 4, 14), "", ISSUER),
        "05": (dt.date(2017, 5, 14), "", ISSUER),  # GSSHRQ
        "06": (dt.date(2017, 5, 14), "", ISSUER),
        "07": (dt.date(2017, 7, 18), f"{HOUSEHOLD}J", f"{ISSUER}、王振华"),  # QDSJ, the contract code
        "08": (dt.date(2018, 3, 22), f"{HOUSEHOLD}J", ISSUING_AUTHORITY),  # DJSJ, by the 发证机关 FZJG
        "09": (dt.date(2018, 3, 22), "", ISSUING_AUTHORITY),
        "10": (dt.date(2018, 6, 9), "1301232018000005", "正定县城关镇人民政府"),  # QZLQRQ, [township] full_name
    }
    assert {code: (d.dated, d.doc_number, d.responsible) for code, d in docs.items()} == expected
    assert all(d.page_count == 0 for d in docs.values())  # not known: the scans will tell
    # a household whose certificate was never collected has no 领取记录 to catalogue
    assert "10" not in entries(imported, "130123101001010003")


def test_every_file_prints_its_dates_numbers_and_authors(imported, config, tmp_path):
    contents = text_of(print_contents(imported, config, tmp_path / "目录.pdf").path)
    with imported.connect() as connection:
        files = connection.execute(select(func.count()).select_from(FILE)).scalar_one()
    assert contents.count("20170") >= files * 4  # survey, publicity and contract dates on every file
    assert contents.count(ISSUING_AUTHORITY) >= files * 2 and contents.count("J") >= files * 2
    cover = text_of(print_covers(imported, config, tmp_path / "封面.pdf", keys=[HOUSEHOLD], separators=False).path)
    assert "起止日期2017年4月14日至2018年6月9日" in cover


def test_a_correction_is_audited_shown_and_kept_at_the_next_import(imported, config, tmp_path):
    changed = edit_document(context_for(imported, config), HOUSEHOLD, "07",
                            {"dated": "2017-07-20", "doc_number": "东里合字〔2017〕12号", "remark": "原件存村委会"})
    assert changed == {"dated": dt.date(2017, 7, 20), "doc_number": "东里合字〔2017〕12号", "remark": "原件存村委会"}
    edit_document(context_for(imported, config), HOUSEHOLD, "01", {"dated": "2017-04-20",
                                                                   "page_count": "2"})  # not in the data
    again = run_import(context_for(imported, config), write_access_text_export(tmp_path / "再导出"))
    assert not again.changed
    docs = entries(imported)
    assert (docs["07"].dated, docs["07"].doc_number, docs["07"].responsible) == (
        dt.date(2017, 7, 20), "东里合字〔2017〕12号", f"{ISSUER}、王振华")  # the uncorrected 责任者 still the data's
    assert (docs["01"].dated, docs["01"].page_count, docs["01"].responsible) == (dt.date(2017, 4, 20), 2, "王振华")
    events = audit.log(imported, keys=[archive_code_of(imported)])
    assert [e["action"] for e in events if e["action"] == "document.edit"] == ["document.edit"] * 2
    shown = show_household(context_for(imported, config), HOUSEHOLD)
    contract = next(d for d in shown["documents"] if d["doc_type"] == "07")
    assert (contract["date"], contract["doc_number"], contract["remark"]) == (
        "2017-07-20", "东里合字〔2017〕12号", "原件存村委会")


@pytest.mark.sqlite_only  # checking what was typed: the same on both databases
@pytest.mark.parametrize(("values", "field", "words"), [
    ({"dated": "2099-01-01"}, "dated", "在今天之后"),
    ({"dated": "2017-04-13"}, "dated", "早于本户的承包方调查日期 2017-04-14"),
    ({"dated": "2017/13/40"}, "dated", "无法识别或不存在"),
    ({"dated": "2017-02-30"}, "dated", "无法识别或不存在"),
    ({"page_count": "-3"}, "page_count", "不能为负数"),
    ({"page_count": "三"}, "page_count", "应为整数"),
    ({"page_count": "99999999999999999999"}, "page_count", "不合常理"),
    ({"doc_number": "合字\x1b[31m12号"}, "doc_number", "看不见的字符"),
    ({"doc_number": "合字\n12号"}, "doc_number", "看不见的字符"),
    ({"responsible": "东里村\u202e组"}, "responsible", "看不见的字符"),  # a right-to-left override pasted in
    ({"remark": "原件\u200b存村"}, "remark", "看不见的字符"),  # a zero-width space
    ({"title": "  "}, "title", "题名不能为空"),
])
def test_a_bad_correction_is_refused_naming_the_field(imported, config, values, field, words):
    before = table_counts(imported)
    with imported.connect() as connection:
        audited = connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    with pytest.raises(ArchiveError) as refused:
        edit_document(context_for(imported, config), HOUSEHOLD, "07", values)
    assert words in refused.value.message and field in refused.value.fields
    assert table_counts(imported) == before
    assert entries(imported)["07"].dated == dt.date(2017, 7, 18)
    with imported.connect() as connection:
        assert connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == audited


@pytest.mark.sqlite_only  # checking what was typed: the same on both databases
def test_an_unknown_document_type_or_file_is_refused(imported, config):
    with pytest.raises(ArchiveError, match="不在 config.toml 的卷内文件清单中"):
        edit_document(context_for(imported, config), HOUSEHOLD, "99", {"remark": "x"})
    with pytest.raises(ArchiveError, match="找不到承包方编码或档号"):
        edit_document(context_for(imported, config), "130123101009990001", "07", {"remark": "x"})


def scanned_page(path, shade: int) -> None:
    """A page as a scanner leaves it: a JPEG at 300 dpi, written a minute ago."""
    image = Image.new("L", (250, 350), 255)
    image.paste(shade, (20, 20, 230, 60 + shade % 50))
    image.save(path, dpi=(300, 300))
    old = time.time() - 60
    os.utime(path, (old, old))


def open_findings(engine, rule: str = "page_count") -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(Finding.message).where(
            Finding.rule == rule, Finding.status == "open")).scalars())


def pending_words(engine) -> str:
    with engine.connect() as connection:
        pending = connection.execute(select(func.count()).select_from(Finding).join(
            Household.__table__, Household.__table__.c.id == Finding.household_id).where(
            Finding.status == "open", Household.__table__.c.code == HOUSEHOLD)).scalar_one()
    return f"待处理的质检问题{pending}条" if pending else "待处理的质检问题：无"


def test_pages_named_by_archive_code_wait_unsorted_with_one_finding_for_the_file(imported, config, tmp_path):
    code = archive_code_of(imported)
    config.inbox.mkdir(exist_ok=True)
    for page in (1, 2, 3):
        scanned_page(config.inbox / f"{code}-{page:04d}.jpg", page * 40)
    assert ingest_once(context_for(imported, config)).linked == 3
    shown = show_household(context_for(imported, config), HOUSEHOLD)
    assert shown["archive_file"]["pages"] == 3 and shown["archive_file"]["unsorted"] == 3
    run_checks(context_for(imported, config), rules=["page_count"])
    assert open_findings(imported) == [
        "3 页扫描件未分类（第 1–3 页）：不在卷内目录任何文件的页号范围内，请在户卷“卷内文件”页归入所属文件"]
    notes = text_of(print_notes(imported, config, tmp_path / "备考.pdf", keys=[HOUSEHOLD]).path)
    assert "扫描件与目录不符1处：3页扫描件未分类" in notes
    assert pending_words(imported) in notes  # the page checks at intake found what they found: the notes say so
    assert sort_pages(context_for(imported, config), code, "03", "1-2") == 2
    assert sort_pages(context_for(imported, config), HOUSEHOLD, "04", "3") == 1
    run_checks(context_for(imported, config), rules=["page_count"])
    assert open_findings(imported) == []  # the documents' page counts were not known: their scans are them
    contents = page_text(pages_of(print_contents(imported, config, tmp_path / "目录.pdf", keys=[HOUSEHOLD]).path)[0])
    assert "承包方调查表201704141-2" in contents and "承包地块调查表201704143" in contents
    notes = text_of(print_notes(imported, config, tmp_path / "备考2.pdf", keys=[HOUSEHOLD]).path)
    assert "扫描件与目录不符：无" in notes and pending_words(imported) in notes
    with pytest.raises(ArchiveError, match="没有第 4 页扫描件"):
        sort_pages(context_for(imported, config), HOUSEHOLD, "04", "3-4")


def test_pages_named_by_number_go_to_the_document_whose_range_holds_them(engine, config):
    from archive_tui.services.exchange.demo import fill_demo
    from archive_tui.services.households.households import list_households

    fill_demo(context_for(engine, config), households=3, seed=5)
    household = list_households(engine)[0]
    docs = sorted(entries(engine, household["cbfbm"]).values(), key=lambda d: d.position)
    second = docs[1]
    config.inbox.mkdir(exist_ok=True)
    scanned_page(config.inbox / f"{household['archive_code']}-{second.page_start:04d}.jpg", 77)
    ingest_once(context_for(engine, config))
    with engine.connect() as connection:
        document_id = connection.execute(select(ScanPage.document_id)).scalar_one()
    assert document_id == second.id


def test_an_archive_made_before_the_catalogue_gets_it_from_the_same_data_again(imported, config, tmp_path):
    with imported.begin() as connection:  # as an older archive-tui left it: files, no catalogue
        connection.execute(DOCUMENT.delete())
    report = run_import(context_for(imported, config), write_access_text_export(tmp_path / "同一数据"))
    assert report.catalogued > 0 and entries(imported)["07"].dated == dt.date(2017, 7, 18)
    assert run_import(context_for(imported, config), write_access_text_export(tmp_path / "再一次")).catalogued == 0


def test_a_corrected_head_name_is_the_catalogue_s_author_too(imported, config):
    from archive_tui.services.households.editing import update_household

    update_household(context_for(imported, config), HOUSEHOLD, {"name": "王振花"})
    assert entries(imported)["07"].responsible == f"{ISSUER}、王振花"


@pytest.mark.sqlite_only  # checking what was typed: the same on both databases
@pytest.mark.parametrize(("scans", "words"), [
    ("9-1", "起页 9 大于止页 1"), ("0", "页号从 1 开始"), ("1-", "应写成"), ("a-b", "应写成"),
    ("1-3,99999999999999999999", "太大"), ("1-3", "没有第 1–3 页扫描件"),
])
def test_a_correction_with_a_wrong_page_list_saves_nothing_of_it(imported, config, scans, words):
    """All fields are checked before anything is written: a good date with a bad page list is not saved."""
    before = table_counts(imported)
    with pytest.raises(ArchiveError, match=words):
        edit_document(context_for(imported, config), HOUSEHOLD, "07", {"dated": "2017-07-20"}, scans=scans)
    assert entries(imported)["07"].dated == dt.date(2017, 7, 18) and table_counts(imported) == before


@pytest.mark.sqlite_only  # checking what was typed: the same on both databases
def test_written_as_archivists_write_it(imported, config):
    """A 档号 in another case, a document by its name, dates with slashes or full-width digits;
    markup-like text kept as written; a date cleared."""
    code = archive_code_of(imported).lower()
    changed = edit_document(context_for(imported, config), code, "承包合同", {"dated": "２０１７／７／２０",
                                                                              "title": "[/]承包合同"})
    assert changed == {"dated": dt.date(2017, 7, 20), "title": "[/]承包合同"}
    assert edit_document(context_for(imported, config), HOUSEHOLD, " 7 ", {"dated": ""}) == {"dated": None}
    assert entries(imported)["07"].dated is None
    assert edit_document(context_for(imported, config), HOUSEHOLD, "07", {"dated": "2017年7月19日"}) == {
        "dated": dt.date(2017, 7, 19)}


@pytest.mark.sqlite_only  # checking what was typed: the same on both databases
def test_a_remark_alone_does_not_put_a_missing_document_in_the_file(imported, config):
    with pytest.raises(ArchiveError, match="还没有“身份证明材料”"):
        edit_document(context_for(imported, config), HOUSEHOLD, "02", {"remark": "待补"})
    assert "02" not in entries(imported)
    edit_document(context_for(imported, config), HOUSEHOLD, "02", {"page_count": "2", "remark": "户口簿复印件"})
    assert entries(imported)["02"].page_count == 2


def test_pages_named_by_number_follow_the_page_counts_the_archivist_catalogued(imported, config):
    """Imported documents have no page ranges; once the counts of the first documents are
    catalogued, pages named 档号-页号 go to the document their number falls in."""
    code = archive_code_of(imported)
    edit_document(context_for(imported, config), HOUSEHOLD, "01", {"page_count": "1", "dated": "2017-04-20"})
    edit_document(context_for(imported, config), HOUSEHOLD, "02", {"page_count": "2", "dated": "2017-04-20"})
    edit_document(context_for(imported, config), HOUSEHOLD, "03", {"page_count": "1"})
    config.inbox.mkdir(exist_ok=True)
    for page in (1, 2, 3, 4, 5):
        scanned_page(config.inbox / f"{code}-{page:04d}.jpg", page * 30)
    ingest_once(context_for(imported, config))
    with imported.connect() as connection:
        placed = dict(connection.execute(select(ScanPage.seq, Document.doc_type).outerjoin(
            Document, Document.id == ScanPage.document_id)).all())
    assert placed == {1: "01", 2: "02", 3: "02", 4: "03", 5: None}  # 04 has no count: page 5 waits 未分类
    run_checks(context_for(imported, config), rules=["page_count"])
    assert open_findings(imported) == [
        "1 页扫描件未分类（第 5 页）：不在卷内目录任何文件的页号范围内，请在户卷“卷内文件”页归入所属文件"]


def test_the_import_lists_where_the_data_disagrees_with_a_correction(imported, config, tmp_path):
    edit_document(context_for(imported, config), HOUSEHOLD, "07", {"doc_number": "东里合字〔2017〕12号"})
    report = run_import(context_for(imported, config), write_access_text_export(tmp_path / "同一数据"))
    assert not report.changed  # the same data: nothing written …
    [conflict] = [c for c in report.conflicts if c.table == "卷内目录"]  # … and the correction's difference said
    assert (conflict.key, conflict.field, conflict.ours, conflict.theirs) == (
        f"{HOUSEHOLD}/07", "承包合同 文号", "东里合字〔2017〕12号", f"{HOUSEHOLD}J")
