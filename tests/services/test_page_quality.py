"""Pixel checks at intake and by ``scans qc``, their findings' life cycle, the manual sample with
its checklist and verdicts, and a rescan replacing a page — on pages rendered like scans
(tests/fixtures/seeded_pages.py), never on pages our own code made."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.quality.checks import list_findings, waive
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.page_quality import mark_for_rescan, run_qc
from archive_tui.services.intake.page_sample import draw_sample, parse_share, print_sample, review_page, sample_rows
from archive_tui.services.intake.scans import ingest_once, list_scans, verify_store
from models import PageReview, ScanPage
from tests.conftest import table_counts
from tests.fixtures.seeded_pages import blank_page, bordered, cropped, form_page, saved, scanned, sparse_page

SCAN = ScanPage.__table__
KINDS = ("good", "blank", "skewed", "bordered", "cropped", "rescan")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """One page of each kind, rendered once for the session (about a second)."""
    folder = tmp_path_factory.mktemp("pages")
    original = form_page(11, "承包合同")
    pages = {
        "good": scanned(original, 1, angle=0.4),
        "blank": scanned(blank_page(2), 2),
        "skewed": scanned(form_page(12, "登记簿"), 3, angle=-6.0),
        "bordered": scanned(bordered(form_page(13, "地块调查表"), 4), 4),
        "cropped": scanned(cropped(form_page(14, "公示结果归户表"), 5), 5),
        "rescan": scanned(original, 6, angle=-0.3),
    }
    return {kind: saved(page, folder / f"{kind}.jpg", quality=80) for kind, page in pages.items()}


def put(config, source: Path, name: str) -> Path:
    """A page in the inbox as the scanner left it a minute ago."""
    target = config.inbox / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    old = time.time() - 60
    os.utime(target, (old, old))
    return target


@pytest.fixture
def archive(engine, config):
    fill_demo(context_for(engine, config), households=6, seed=5)
    config.inbox.mkdir(exist_ok=True)
    return list_households(engine, limit=3)


def page_findings(engine) -> dict[str, set[str]]:
    """rule → the names of the pages with an open finding of it."""
    found: dict[str, set[str]] = {}
    for row in list_findings(engine, statuses=("open",)):
        if row["rule"].startswith("page_") and row["rule"] != "page_count":
            found.setdefault(row["rule"], set()).add(row["subject"].rsplit("-", 1)[-1])
    return found


def file_pages(config, archive_code: str, rendered: dict[str, Path], kinds=KINDS) -> None:
    for number, kind in enumerate(kinds, start=1):
        put(config, rendered[kind], f"{archive_code}-{number}.jpg")


@pytest.mark.sqlite_only  # pixels and files: the same on both; the page rules' SQL runs on PostgreSQL in test_checks
def test_intake_measures_every_page_and_opens_one_finding_per_defect(engine, config, archive, rendered):
    code = archive[0]["archive_code"]
    file_pages(config, code, rendered)
    assert ingest_once(context_for(engine, config)).linked == 6
    assert page_findings(engine) == {"page_blank": {"0002.jpg"}, "page_skew": {"0003.jpg"},
                                     "page_border": {"0004.jpg"}, "page_cropped": {"0005.jpg"},
                                     "page_duplicate": {"0006.jpg"}}
    with engine.connect() as connection:
        skew = connection.execute(select(SCAN.c.skew_degrees).where(SCAN.c.seq == 3)).scalar_one()
        unmeasured = connection.execute(select(SCAN.c.id).where(SCAN.c.measured_at.is_(None))).all()
    assert abs(skew - -6.0) <= 0.3 and unmeasured == []
    [duplicate] = list_findings(engine, rules=["page_duplicate"])
    assert "第 1 页" in duplicate["message"] and duplicate["severity"] == "error"


@pytest.mark.sqlite_only  # pixels and files: the same on both; the page rules' SQL runs on PostgreSQL in test_checks
def test_a_blank_back_side_waived_stays_waived_and_a_fixed_limit_resolves(engine, config, archive, rendered):
    code = archive[0]["archive_code"]
    file_pages(config, code, rendered, ("good", "blank", "skewed"))
    ingest_once(context_for(engine, config))
    [blank] = list_findings(engine, rules=["page_blank"])
    waive(context_for(engine, config), blank["id"], "有意留白的背面")
    run_qc(context_for(engine, config), recheck=True)
    assert [f["status"] for f in list_findings(engine, rules=["page_blank"])] == ["waived"]
    config.settings.quality.skew_limit = 8.0  # as if config.toml said so
    run_qc(context_for(engine, config))
    assert list_findings(engine, rules=["page_skew"]) == []


@pytest.mark.sqlite_only  # pixels and files: the same on both; the page rules' SQL runs on PostgreSQL in test_checks
def test_qc_measures_pages_filed_before_the_checks_and_only_once(engine, config, archive, rendered):
    config.settings.quality.at_intake = False
    file_pages(config, archive[1]["archive_code"], rendered, ("good", "skewed"))
    ingest_once(context_for(engine, config))
    with engine.connect() as connection:
        assert connection.execute(select(SCAN.c.measured_at)).scalars().all() == [None, None]
    first = run_qc(context_for(engine, config))
    again = run_qc(context_for(engine, config))
    assert (first.measured, again.measured) == (2, 0) and first.open_by_rule["page_skew"] == 1
    assert "page_count" in first.open_by_rule  # two pages filed of a catalogue of more
    assert run_qc(context_for(engine, config), recheck=True).measured == 2


@pytest.mark.sqlite_only  # pixels and files: the same on both; the page rules' SQL runs on PostgreSQL in test_checks
def test_a_stored_page_damaged_later_is_a_finding_not_a_crash(engine, config, archive, rendered):
    file_pages(config, archive[0]["archive_code"], rendered, ("good",))
    ingest_once(context_for(engine, config))
    [page] = list_scans(engine, "linked")
    stored = config.root / page["path"]
    stored.write_bytes(stored.read_bytes()[:3000])  # cut off, as by a failing disk copy
    report = run_qc(context_for(engine, config), recheck=True)
    [finding] = list_findings(engine, rules=["page_unreadable"])
    assert report.unreadable == 1 and "无法完整读取" in finding["message"]


@pytest.mark.sqlite_only  # pixels and files: the same on both; the page rules' SQL runs on PostgreSQL in test_checks
def test_a_page_filed_to_two_households_is_a_warning_on_both(engine, config, archive, rendered):
    put(config, rendered["good"], f"{archive[0]['archive_code']}-1.jpg")
    put(config, rendered["rescan"], f"{archive[1]['archive_code']}-1.jpg")  # the same sheet, scanned again
    ingest_once(context_for(engine, config))
    assert list_findings(engine, rules=["page_duplicate_other"]) == []  # the intake looks inside each file only
    run_qc(context_for(engine, config))
    found = list_findings(engine, rules=["page_duplicate_other"])
    assert {f["cbfbm"] for f in found} == {archive[0]["cbfbm"], archive[1]["cbfbm"]}
    assert all(f["severity"] == "warning" for f in found) and list_findings(engine, rules=["page_duplicate"]) == []


def test_a_village_that_does_not_exist_is_named(engine, config, archive):
    with pytest.raises(ArchiveError, match="找不到村“火星村”"):
        run_qc(context_for(engine, config), village="火星村")
    with pytest.raises(ArchiveError, match="找不到村"):
        draw_sample(context_for(engine, config), village="火星村")


def sampled_paths(engine) -> list[str]:
    return sorted(row["path"] for row in sample_rows(engine))


@pytest.mark.parametrize(("text", "share"), [("5%", 5.0), ("5", 5.0), ("12.5％", 12.5), (" 100% ", 100.0)])
def test_sample_shares_are_read_as_percentages(text, share):
    assert parse_share(text, 5.0) == share


@pytest.mark.parametrize("text", ["0%", "101%", "-5", "五", "5%%x", "nan%"])
def test_a_wrong_sample_share_is_refused(text):
    with pytest.raises(ArchiveError, match="抽检比例"):
        parse_share(text, 5.0)


def test_the_sample_is_reproducible_tops_up_to_the_share_and_never_draws_a_page_twice(engine, config, archive,
                                                                                         rendered):
    for number, household in enumerate(archive):
        for page, kind in enumerate(("good", "skewed", "bordered", "cropped"), start=1):
            name = f"{household['archive_code']}-{page}.jpg"  # saved again: other bytes, the same look
            Image.open(rendered[kind]).save(config.inbox / name, dpi=(150, 150), quality=70 + number)
            os.utime(config.inbox / name, (time.time() - 60,) * 2)
    assert ingest_once(context_for(engine, config)).linked == 12
    first = draw_sample(context_for(engine, config), share=25)
    drawn = sampled_paths(engine)
    with engine.begin() as connection:
        connection.execute(PageReview.__table__.delete())
    assert draw_sample(context_for(engine, config), share=25).seed == first.seed and sampled_paths(engine) == drawn
    assert (first.drawn, first.population) == (3, 12)
    assert draw_sample(context_for(engine, config), share=25).drawn == 0  # already 25 %
    more = draw_sample(context_for(engine, config), share=50)
    assert more.drawn == 3 and more.number != first.number and len(set(sampled_paths(engine))) == 6
    assert draw_sample(context_for(engine, config), share=100).drawn == 6 and draw_sample(context_for(engine, config),
                                                                                          share=100).drawn == 0


def test_a_problem_verdict_is_a_finding_until_the_page_is_reviewed_ok(engine, config, archive, rendered):
    file_pages(config, archive[0]["archive_code"], rendered, ("good",))
    ingest_once(context_for(engine, config))
    [page] = list_scans(engine, "linked")
    review_page(context_for(engine, config), page["path"], ok=False, problem="字迹模糊，看不清签名")
    [finding] = list_findings(engine, rules=["page_review"])
    assert "字迹模糊" in finding["message"] and finding["status"] == "open"
    review_page(context_for(engine, config), page["sha256"][:16], ok=True)
    assert list_findings(engine, rules=["page_review"]) == []


@pytest.mark.parametrize(("key", "ok", "problem", "message"), [
    ("store/不存在.jpg", True, "", "找不到扫描页"),
    ("PAGE", False, "", "写明问题"),
    ("PAGE", True, "又合格又不合格", "只能选一个"),
    ("0123", True, "", "找不到扫描页"),  # too short a digest prefix to name one page
])
def test_a_wrong_review_is_refused_and_changes_nothing(engine, config, archive, rendered, key, ok, problem, message):
    file_pages(config, archive[0]["archive_code"], rendered, ("good",))
    ingest_once(context_for(engine, config))
    key = list_scans(engine, "linked")[0]["path"] if key == "PAGE" else key
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        review_page(context_for(engine, config), key, ok=ok, problem=problem)
    assert table_counts(engine) == before


@pytest.mark.sqlite_only  # pixels and files: the same on both; the page rules' SQL runs on PostgreSQL in test_checks
def test_the_checklist_prints_every_drawn_page_with_its_thumbnail(engine, config, archive, rendered, tmp_path):
    file_pages(config, archive[0]["archive_code"], rendered, ("good", "skewed", "bordered", "cropped"))
    ingest_once(context_for(engine, config))
    sample = draw_sample(context_for(engine, config), share=50, seed=7)
    pdf = print_sample(engine, config, sample.number)
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "扫描件人工抽检清单" in text and sample.number in text and text.count(archive[0]["archive_code"]) >= 2
    assert sum(len(page.images) for page in PdfReader(pdf).pages) == 2
    book = load_workbook(print_sample(engine, config, sample.number, tmp_path / "清单.xlsx"))
    sheet = book.active
    assert len(sheet._images) == 2 and sheet.cell(4, 3).value == archive[0]["archive_code"]
    with pytest.raises(ArchiveError, match=r"\.pdf 或 \.xlsx"):
        print_sample(engine, config, sample.number, tmp_path / "清单.docx")


@pytest.mark.sqlite_only  # pixels and files: the same on both; the page rules' SQL runs on PostgreSQL in test_checks
def test_a_rescan_takes_the_place_of_the_page_marked_and_keeps_the_old_file(engine, config, archive, rendered):
    code = archive[0]["archive_code"]
    file_pages(config, code, rendered, ("good", "skewed"))
    ingest_once(context_for(engine, config))
    old = next(page for page in list_scans(engine, "linked") if page["seq"] == 2)
    with pytest.raises(ArchiveError, match="原因"):
        mark_for_rescan(context_for(engine, config), old["path"], "  ")
    mark_for_rescan(context_for(engine, config), old["path"], "歪斜 6°")
    put(config, scanned_again(config), f"{code}-2.jpg")
    report = ingest_once(context_for(engine, config))
    assert report.replaced == 1
    [replaced] = list_scans(engine, "replaced")
    pages = {page["seq"]: page for page in list_scans(engine, "linked")}
    assert replaced["path"] == old["path"] and (config.root / old["path"]).is_file()
    assert sorted(pages) == [1, 2] and pages[2]["path"] != old["path"]
    assert list_findings(engine, rules=["page_skew"]) == []
    assert verify_store(engine, config).ok  # the old file is known, not an orphan


def scanned_again(config) -> Path:
    """Page 2 scanned again, straight this time."""
    return saved(scanned(form_page(12, "登记簿"), 9, angle=0.2), config.root / "rescanned.jpg")


def test_the_dashboard_figures_hold_each_village_to_da_t_31(engine, config, archive, rendered):
    from archive_tui.services.intake.page_sample import linking_share, quality_summary

    config.settings.quality.at_intake = False
    file_pages(config, archive[0]["archive_code"], rendered, ("good", "skewed", "bordered", "cropped"))
    put(config, rendered["blank"], "扫描 0001.jpg")  # waits to be linked
    ingest_once(context_for(engine, config))
    [village, total] = quality_summary(engine, config)
    assert (village["pages"], village["measured_share"], village["sampled_share"]) == (4, 0.0, 0.0)
    assert village["short"] == ["自动检查", "抽检"] and linking_share(engine) == 80.0
    run_qc(context_for(engine, config))
    draw_sample(context_for(engine, config), share=50, seed=2)
    first, second = sample_rows(engine)
    review_page(context_for(engine, config), first["path"], ok=True)
    review_page(context_for(engine, config), second["path"], ok=False, problem="模糊")
    [village, total] = quality_summary(engine, config)
    assert (village["measured_share"], village["sampled_share"], village["pass_rate"]) == (100.0, 50.0, 50.0)
    assert village["short"] == ["合格率"] and total["village"] == "合计" and total["pages"] == 4


@pytest.mark.sqlite_only  # pixels and files: the same on both; the page rules' SQL runs on PostgreSQL in test_checks
def test_two_short_statements_are_not_twins_but_one_statement_saved_twice_is(engine, config, archive):
    """Nearly empty pages hash alike: only a very close pair of them counts as a duplicate."""

    code = archive[2]["archive_code"]
    first = scanned(sparse_page(1), 1, angle=0.3)
    pages = {1: (first, 85), 2: (scanned(sparse_page(2), 2, angle=-0.2), 85), 3: (first, 60)}  # 3: 1 saved again
    for number, (page, quality) in pages.items():
        path = saved(page, config.inbox / f"{code}-{number}.jpg", quality=quality)
        os.utime(path, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    assert page_findings(engine) == {"page_duplicate": {"0003.jpg"}}


@pytest.mark.sqlite_only  # pixels and files: the same on both; the page rules' SQL runs on PostgreSQL in test_checks
def test_pages_filed_by_number_are_placed_by_the_catalogue_ranges(engine, config, archive, rendered):
    """档号-页号 pages with no document go to the document whose range holds their number: a number
    of a document's range with no page is missing, a page beyond every range waits 未分类 — each
    named by its page numbers."""
    from sqlalchemy import text

    code = archive[0]["archive_code"]
    with engine.connect() as connection:
        documents = connection.execute(text(
            "SELECT d.title, d.page_start, d.page_end FROM document d JOIN archive_file f ON f.id = d.archive_file_id"
            " WHERE f.archive_code = :code ORDER BY d.page_start"), {"code": code}).all()
    last = documents[-1].page_end
    second = documents[1]
    gone = second.page_start  # the first page of the second document was never scanned
    config.settings.quality.at_intake = False  # the pixels are not what this is about: quicker
    for number in [n for n in range(1, last + 2) if n != gone]:
        Image.open(rendered["good"]).save(config.inbox / f"{code}-{number}.jpg", dpi=(150, 150), quality=50 + number)
        os.utime(config.inbox / f"{code}-{number}.jpg", (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))  # the intake runs the page count for the files it filed into
    found = {f["subject"]: f["message"] for f in list_findings(engine, rules=["page_count"])}
    assert found == {second.title: f"{second.title}：目录第 {second.page_start}" + (
                         f"–{second.page_end}" if second.page_end > second.page_start else "") + f" 页，缺第 {gone} 页",
                     "未分类的页": f"1 页扫描件未分类（第 {last + 1} 页）：不在卷内目录任何文件的页号范围内，"
                                   "请在户卷“卷内文件”页归入所属文件"}


def test_a_delivery_is_measured_ahead_in_worker_processes_with_the_measures_of_each_page_alone(
        engine, config, archive, rendered):
    """From PARALLEL_INTAKE_FROM files on, workers measure the pages while the intake files them:
    each page's recorded measures are those of the page measured on its own."""
    from archive_tui.scanning.pixels import measure
    from archive_tui.services.intake.page_quality import PARALLEL_INTAKE_FROM

    kinds = list(rendered)
    names = {}
    for number in range(PARALLEL_INTAKE_FROM + 2):
        kind = kinds[number % len(kinds)]
        name = f"{archive[number % len(archive)]['archive_code']}-{number + 1}.jpg"
        names[name] = kind
        data = rendered[kind].read_bytes()  # the same pixels, another file: a JPEG comment (COM) names the copy
        comment = f"copy {number}".encode()
        (config.inbox / name).write_bytes(data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
                                          + data[2:])
        old = time.time() - 60
        os.utime(config.inbox / name, (old, old))
    report = ingest_once(context_for(engine, config))
    assert report.linked == len(names), report
    with engine.connect() as connection:
        rows = connection.execute(select(SCAN).where(SCAN.c.status == "linked")).all()
    for row in rows:
        alone = measure(rendered[names[row.source_name]])
        assert (row.ink_share, row.ink_marks, row.skew_degrees, row.phash) == (
            alone.ink_share, alone.ink_marks, alone.skew_degrees, alone.phash), row.source_name


def test_measures_worked_out_ahead_for_other_bytes_are_not_used(tmp_path, rendered):
    """A file replaced after the worker read it: its measures are of the old bytes, so the intake
    measures the file it actually filed."""
    import hashlib

    from archive_tui.services.intake.page_quality import PARALLEL_INTAKE_FROM, MeasuresAhead

    paths = []
    for number in range(PARALLEL_INTAKE_FROM):
        paths.append(tmp_path / f"p{number}.jpg")
        shutil.copyfile(rendered["good"], paths[-1])
    ahead = MeasuresAhead(paths)
    try:
        digest = hashlib.sha256(rendered["good"].read_bytes()).hexdigest()
        assert ahead.values_for(paths[0], "0" * 64) is None
        assert ahead.values_for(paths[2], digest)["phash"]  # the one before it was passed by, not waited for
        assert ahead.values_for(paths[1], digest) is None
    finally:
        ahead.close()
