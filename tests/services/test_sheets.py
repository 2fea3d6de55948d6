"""Printed covers and separators, scanned back: the pages after a sheet join its file.

The sheets are the real PDF from ``print_covers``, rendered (pdfium) and saved as scanner
output would be, so the QR codes are read exactly as on an archivist's desk."""

import os
import time

import pytest
from PIL import Image

from archive_tui.bootstrap import context_for
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.households.printing import print_covers
from archive_tui.services.intake.scans import ingest_once, list_scans
from tests.conftest import render_pdf_page


@pytest.fixture
def archive(engine, config):
    fill_demo(context_for(engine, config), households=6, seed=5)
    config.inbox.mkdir(exist_ok=True)
    return list_households(engine, limit=2)


@pytest.fixture
def sheets(engine, config, archive, tmp_path):
    """Rendered sheets of the first household: [cover, separator 01, separator 02, …]."""
    result = print_covers(engine, config, tmp_path / "covers.pdf", keys=[archive[0]["cbfbm"]])
    return [render_pdf_page(result.path, index, dpi=200).convert("L") for index in range(4)]


def page(text_colour=90, size=(1200, 1700)):
    image = Image.new("L", size, 255)
    for x in range(100, 1100, 7):  # some "writing", so pages differ from each other
        image.putpixel((x, 300 + text_colour), 0)
    return image


def save(image, path, at=None, **options):
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, dpi=(200, 200), **options)
    stamp = at or time.time() - 60
    os.utime(path, (stamp, stamp))
    return path


def test_pages_after_a_cover_and_a_separator_join_that_file_and_document(engine, config, archive, sheets):
    code = archive[0]["archive_code"]
    batch = config.inbox / "批次 1"
    save(sheets[0], batch / "0001.jpg")  # cover
    save(page(1), batch / "0002.jpg")
    save(sheets[2], batch / "0003.jpg")  # separator of document type 02
    save(page(2), batch / "0004.jpg")
    save(page(3), batch / "0005.jpg")
    report = ingest_once(context_for(engine, config))
    assert report.sheets == 2 and report.linked == 3 and report.unassigned == 0
    rows = list_scans(engine, "linked")
    assert [(r["archive_code"], r["doc_type"], r["seq"]) for r in rows] == [
        (code, None, 1), (code, "02", 2), (code, "02", 3)]
    set_aside = sorted(p.name for p in (config.inbox / "_sheets").glob("*.jpg"))
    assert set_aside == ["0001.jpg", "0003.jpg"]
    assert "案卷封面" in (config.inbox / "_sheets" / "0001.jpg.原因.txt").read_text(encoding="utf-8")


def test_a_multi_page_tiff_with_separators_is_split_and_each_page_linked(engine, config, archive, sheets):
    code = archive[0]["archive_code"]
    frames = [sheets[1], page(1), page(2), sheets[3], page(3)]
    bilevel = [frame.convert("1") for frame in frames]
    save(bilevel[0], config.inbox / "整卷扫描.tif", save_all=True, append_images=bilevel[1:],
         compression="group4")
    report = ingest_once(context_for(engine, config))
    assert report.sheets == 2 and report.linked == 3
    rows = list_scans(engine, "linked")
    assert [(r["doc_type"], r["seq"], r["format"]) for r in rows] == [("01", 1, "TIFF"), ("01", 2, "TIFF"),
                                                                       ("03", 3, "TIFF")]
    assert {r["archive_code"] for r in rows} == {code}
    kept = config.inbox / "_split" / "整卷扫描.tif"
    assert kept.is_file() and Image.open(kept).n_frames == 5  # the original is kept whole
    stored = Image.open(config.root / rows[0]["path"])
    assert stored.info["compression"] == "group4" and stored.info["dpi"][0] == pytest.approx(200)
    assert not (config.inbox / "整卷扫描-分页").exists()


def test_a_multi_page_pdf_with_a_cover_is_split(engine, config, archive, sheets):
    frames = [sheets[0].convert("RGB"), page(1).convert("RGB"), page(2).convert("RGB")]
    save(frames[0], config.inbox / "scan.pdf", save_all=True, append_images=frames[1:])
    report = ingest_once(context_for(engine, config))
    assert report.sheets == 1 and report.linked == 2
    assert [r["format"] for r in list_scans(engine, "linked")] == ["PDF", "PDF"]


def test_a_multi_page_file_without_sheets_stays_whole(engine, config, archive):
    frames = [page(1), page(2)]
    save(frames[0], config.inbox / "two pages.tif", save_all=True, append_images=frames[1:])
    report = ingest_once(context_for(engine, config))
    assert report.unassigned == 1 and report.sheets == 0


def test_a_qr_code_that_is_not_ours_is_an_ordinary_page(engine, config, archive, tmp_path):
    from archive_tui.reports.fonts import load_font
    from archive_tui.reports.pdf import Sheet

    other = Sheet(tmp_path / "cert.pdf", load_font(), "证书")
    other.qr(100, 400, "https://example.gov.cn/cert/1301231010010100011J", 200)
    other.save()
    save(render_pdf_page(tmp_path / "cert.pdf", dpi=200).convert("L"), config.inbox / "证书.jpg")
    save(page(1), config.inbox / "证书2.jpg")
    report = ingest_once(context_for(engine, config))
    assert report.sheets == 0 and report.unassigned == 2


def test_pages_long_after_the_sheet_do_not_follow_it(engine, config, archive, sheets):
    old = time.time() - 3 * 3600
    save(sheets[0], config.inbox / "0001.jpg", at=old)
    save(page(1), config.inbox / "0002.jpg")  # three hours later: another job
    report = ingest_once(context_for(engine, config))
    assert report.sheets == 1 and report.unassigned == 1 and report.linked == 0


def test_a_batch_still_arriving_keeps_its_order_across_passes(engine, config, archive, sheets):
    code = archive[0]["archive_code"]
    batch = config.inbox / "batch"
    save(sheets[2], batch / "0001.jpg")
    save(page(1), batch / "0002.jpg", at=time.time() + 5)  # the scanner is still writing it
    save(page(2), batch / "0003.jpg")
    first = ingest_once(context_for(engine, config))
    assert first.sheets == 1 and first.linked == 0 and first.waiting == 2  # 0003 waits behind 0002
    second = ingest_once(context_for(engine, config), now=time.time() + 60)  # a later pass: the sheet was remembered
    assert second.linked == 2
    assert [(r["archive_code"], r["doc_type"], r["seq"]) for r in list_scans(engine, "linked")] == [
        (code, "02", 1), (code, "02", 2)]


def test_pages_named_by_the_rules_ignore_the_batch_sheet(engine, config, archive, sheets):
    other = archive[1]["archive_code"]
    save(sheets[0], config.inbox / "0001.jpg")
    save(page(1), config.inbox / f"{other}-7.jpg")
    ingest_once(context_for(engine, config))
    [row] = list_scans(engine, "linked")
    assert row["archive_code"] == other and row["seq"] == 7
