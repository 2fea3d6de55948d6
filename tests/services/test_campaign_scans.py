"""Scans of a township with two campaigns (确权 and 延包): a page named by its household and a
document code goes into the household's file of the campaign that code belongs to; a 延包 page of
a household without a 延包 file waits unassigned with its reason; a 延包 file's printed sheets file
the pages after them into that file; a page whose text says 延包 is suggested for the 延包 file.

The township is imported from a county-shaped source; some households then reach the 延包 as the
campaign import records them (a campaign record each, their 延包 files made by
``archive_files.create_missing``). The pages are real images (Pillow)."""

from __future__ import annotations

import os
import time

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.config import PRIMARY_CAMPAIGN
from archive_tui.core.errors import ArchiveError
from archive_tui.reports.covers import CoverFile, write_covers
from archive_tui.reports.fonts import font_of
from archive_tui.scanning.ocr import Line
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.households.printing import print_covers
from archive_tui.services.intake.page_suggest import Township, list_suggestions, suggest_pages
from archive_tui.services.intake.scans import assign_scan, ingest_once, list_scans
from models import ArchiveFile, CampaignRecord, Document, Household, ScanPage
from tests.conftest import add_campaign_files, render_pdf_page, write_tables_csv
from tests.fixtures.seeded_pages import A4, font, saved, scanned

H, FILE, DOC, SCAN, RECORD = (Household.__table__, ArchiveFile.__table__, Document.__table__, ScanPage.__table__,
                              CampaignRecord.__table__)
EXTENSION = "延包"
EXTENDED = 2  # the first two households in code order reached the 延包


def extend(engine, config, codes: list[str]) -> None:
    """These households reached the 延包: a campaign record each, then their 延包 files."""
    add_campaign_files(engine, config, codes, EXTENSION)


@pytest.fixture
def township(engine, config, tmp_path):
    """[(cbfbm, head's name)] in code order; the first EXTENDED have a 延包 file beside their 确权 one."""
    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "县导出", households=6))
    with engine.connect() as connection:
        households = connection.execute(select(H.c.code, H.c.name).order_by(H.c.code)).all()
    extend(engine, config, [code for code, _name in households[:EXTENDED]])
    config.inbox.mkdir(exist_ok=True)
    return [tuple(row) for row in households]


def file_of(engine, code: str, campaign: str = PRIMARY_CAMPAIGN):
    with engine.connect() as connection:
        return connection.execute(select(FILE).join(H, H.c.id == FILE.c.household_id).where(
            H.c.code == code, FILE.c.campaign == campaign)).first()


def page(path, shade: int):
    """A scanned page (300 dpi, written a minute ago: stable), unlike every other page by its shade."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (300, 420), "white")
    ImageDraw.Draw(image).rectangle((20, 20, 120, 60 + shade % 200), fill=(shade % 256, 80, 160))
    image.save(path, dpi=(300, 300))
    os.utime(path, (time.time() - 60,) * 2)
    return path


def filed(engine) -> dict[str, dict]:
    """Each scan by its original name: status, 档号, document, page and reason."""
    with engine.connect() as connection:
        rows = connection.execute(select(SCAN.c.source_name, SCAN.c.status, SCAN.c.reason, SCAN.c.seq,
                                         FILE.c.archive_code, FILE.c.campaign, DOC.c.doc_type, DOC.c.title)
                                  .outerjoin(FILE, FILE.c.id == SCAN.c.archive_file_id)
                                  .outerjoin(DOC, DOC.c.id == SCAN.c.document_id)).all()
    return {row.source_name: dict(row._mapping) for row in rows}


def test_a_page_goes_into_the_file_of_the_campaign_its_document_belongs_to(engine, config, township):
    (extended, head), _other, (plain, _plain_head) = township[0], township[1], township[EXTENDED]
    extension, primary = file_of(engine, extended, EXTENSION), file_of(engine, extended)
    page(config.inbox / f"{extended}_Y04_1.jpg", 1)  # 延包承包合同: the 延包 file
    page(config.inbox / f"{extended}_07_3.jpg", 2)  # 承包合同: the 确权 file
    page(config.inbox / f"{extended[-4:]}_{head}_2延包公示表.jpg", 3)  # by the document's name: Y03
    page(config.inbox / f"{extended[-4:]}_{head}_5承包合同.jpg", 4)  # 07 承包合同, not Y04 延包承包合同
    page(config.inbox / f"{extension.archive_code}-4.jpg", 5)  # the 延包 file by its own 档号
    page(config.inbox / extended / "IMG_0001.jpg", 6)  # a folder named by the household only: 确权
    page(config.inbox / f"{plain}_Y04_1.jpg", 7)  # no 延包 file: waits, with its reason
    report = ingest_once(context_for(engine, config))
    assert (report.linked, report.unassigned) == (6, 1)
    rows = filed(engine)
    where = {name: (row["archive_code"], row["doc_type"], row["seq"]) for name, row in rows.items()}
    assert where[f"{extended}_Y04_1.jpg"] == (extension.archive_code, "Y04", 1)
    assert where[f"{extended}_07_3.jpg"] == (primary.archive_code, "07", 3)
    assert where[f"{extended[-4:]}_{head}_2延包公示表.jpg"] == (extension.archive_code, "Y03", 2)
    assert where[f"{extended[-4:]}_{head}_5承包合同.jpg"] == (primary.archive_code, "07", 5)
    assert where[f"{extension.archive_code}-4.jpg"] == (extension.archive_code, None, 4)
    assert where["IMG_0001.jpg"][0] == primary.archive_code
    assert rows[f"{extended}_Y04_1.jpg"]["title"] == "延包承包合同（再延长三十年）"  # from the 延包 list
    waiting = rows[f"{plain}_Y04_1.jpg"]
    assert waiting["status"] == "unassigned" and waiting["archive_code"] is None
    assert f"文件类型 Y04 属于延包，承包方 {plain}" in waiting["reason"] and "还没有延包卷" in waiting["reason"]
    [listed] = list_scans(engine, "unassigned")
    assert "还没有延包卷" in listed["reason"]  # what `scans list --status unassigned` shows
    assert any("还没有延包卷" in note for note in report.notes)
    with engine.connect() as connection:  # the 延包 file holds 延包 documents only
        kinds = set(connection.execute(select(DOC.c.doc_type).where(DOC.c.archive_file_id == extension.id)).scalars())
    assert kinds and all(kind.startswith("Y") for kind in kinds)


def test_a_page_linked_by_hand_goes_to_the_file_of_its_document(engine, config, township):
    extended, plain = township[0][0], township[EXTENDED][0]
    extension, primary = file_of(engine, extended, EXTENSION), file_of(engine, extended)
    for number in range(1, 5):
        page(config.inbox / f"扫描 {number:04d}.jpg", 10 + number)
    ingest_once(context_for(engine, config))
    waiting = [row["path"] for row in list_scans(engine, "unassigned")]
    assign_scan(context_for(engine, config), waiting[0], extended, "Y05")
    assign_scan(context_for(engine, config), waiting[1], extended, "08")
    with pytest.raises(ArchiveError, match="文件类型 Y04 属于延包，而档号 .* 是确权卷"):
        assign_scan(context_for(engine, config), waiting[2], primary.archive_code, "Y04")
    with pytest.raises(ArchiveError, match=f"承包方 {plain}.*还没有延包卷"):
        assign_scan(context_for(engine, config), waiting[3], plain, "Y01")
    linked = {row["path"]: row for row in list_scans(engine, "linked")}
    assert sorted((row["archive_code"], row["doc_type"]) for row in linked.values()) == sorted(
        [(extension.archive_code, "Y05"), (primary.archive_code, "08")])
    assert len(list_scans(engine, "unassigned")) == 2  # the refused ones still wait


def sheets_of(path, indices) -> list[Image.Image]:
    return [render_pdf_page(path, index, dpi=200).convert("L") for index in indices]


def plain_page(mark: int) -> Image.Image:
    image = Image.new("L", (1200, 1700), 255)
    for x in range(100, 1100, 7):
        image.putpixel((x, 300 + mark), 0)
    return image


def save(image, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, dpi=(200, 200))
    os.utime(path, (time.time() - 60,) * 2)


def test_the_sheets_of_a_extension_file_file_the_pages_after_them_into_it(engine, config, township, tmp_path):
    extended = township[0][0]
    extension = file_of(engine, extended, EXTENSION)
    documents = [(doc.code, doc.name) for doc in config.settings.documents_of(EXTENSION)]
    cover = CoverFile(extension.archive_code, extension.title, "Z001", "城关镇", "NJ", extension.volume_no,
                      extension.year, extension.retention, township[0][1], extended, "", "", 0)
    printed = tmp_path / "延包封面.pdf"
    # the cover and a separator per 延包 document, and one of a 确权 document printed for this file by mistake
    write_covers(printed, font_of(config), [cover], [*documents, ("07", "承包合同")])
    rendered = sheets_of(printed, (0, 3, 1 + len(documents)))  # cover, Y03, 07
    batch = config.inbox / "批次 1"
    save(rendered[0], batch / "0001.jpg")
    save(plain_page(1), batch / "0002.jpg")
    save(rendered[1], batch / "0003.jpg")  # separator Y03
    save(plain_page(2), batch / "0004.jpg")
    save(rendered[2], batch / "0005.jpg")  # separator 07: not a 延包 document
    save(plain_page(3), batch / "0006.jpg")
    report = ingest_once(context_for(engine, config))
    assert (report.sheets, report.linked, report.unassigned) == (3, 3, 0)
    rows = filed(engine)
    assert [(rows[name]["archive_code"], rows[name]["doc_type"]) for name in ("0002.jpg", "0004.jpg", "0006.jpg")] == [
        (extension.archive_code, None), (extension.archive_code, "Y03"), (extension.archive_code, None)]
    reason = (config.inbox / "_sheets" / "0005.jpg.原因.txt").read_text(encoding="utf-8")
    assert "文件类型 07 属于确权，不是延包卷的" in reason and "未分类" in reason


def test_a_sheet_printed_for_the_extension_file_by_print_covers_files_pages_into_it(engine, config, township,
                                                                                    tmp_path):
    """Whatever separators the household forms print for a 延包 file, the pages after its cover go into it."""
    extended = township[0][0]
    extension = file_of(engine, extended, EXTENSION)
    result = print_covers(engine, config, tmp_path / "covers.pdf", keys=[extension.archive_code])
    rendered = sheets_of(result.path, range(3))
    batch = config.inbox / "批次 2"
    save(rendered[0], batch / "0001.jpg")  # the cover
    save(plain_page(3), batch / "0002.jpg")
    save(rendered[2], batch / "0003.jpg")  # its second separator, of whatever type it was printed with
    save(plain_page(4), batch / "0004.jpg")
    report = ingest_once(context_for(engine, config))
    assert report.sheets == 2 and report.unassigned == 0
    rows = filed(engine)
    assert {rows[name]["archive_code"] for name in ("0002.jpg", "0004.jpg")} == {extension.archive_code}
    assert rows["0004.jpg"]["doc_type"] in (None, *(doc.code for doc in config.settings.documents_of(EXTENSION)))


def form(title: str, lines: list[str]) -> Image.Image:
    """A printed form: its title, then its lines, scanned slightly turned."""
    image = Image.new("L", A4, 250)
    draw = ImageDraw.Draw(image)
    draw.text((A4[0] // 2 - 36 * len(title) // 2, 140), title, font=font(44), fill=20)
    for number, line in enumerate(lines):
        draw.text((130, 300 + 64 * number), line, font=font(30), fill=30)
    return scanned(image, len(title) + len(lines), angle=0.6)


@pytest.mark.sqlite_only  # OCR is the same on both databases; the suggestion is stored by the same code
def test_a_page_that_says_yanbao_is_suggested_for_the_extension_file(engine, config, township):
    extended, plain = township[0][0], township[EXTENDED][0]
    extension, primary = file_of(engine, extended, EXTENSION), file_of(engine, extended)
    for name, image in (
            ("IMG_0001.jpg", form("延包承包合同", ["第二轮土地承包到期后再延长三十年", f"承包方编码：{extended}"])),
            ("IMG_0002.jpg", form("承包合同", ["发包方：第一村民小组", f"承包方编码：{extended}"])),
            ("IMG_0003.jpg", form("延包公示表", ["再延长三十年", f"承包方编码：{plain}"]))):
        os.utime(saved(image, config.inbox / name, quality=80), (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    report = suggest_pages(context_for(engine, config))
    rows = {row["path"].rsplit("/", 1)[-1]: row for row in report.rows}
    assert (rows["IMG_0001.jpg"]["archive_code"], rows["IMG_0001.jpg"]["doc_type"]) == (extension.archive_code, "Y04")
    assert rows["IMG_0001.jpg"]["campaign"] == EXTENSION and rows["IMG_0001.jpg"]["confidence"] >= 0.95
    assert any(item["kind"] == "campaign" for item in rows["IMG_0001.jpg"]["evidence"])
    assert (rows["IMG_0002.jpg"]["archive_code"], rows["IMG_0002.jpg"]["doc_type"]) == (primary.archive_code, "07")
    assert rows["IMG_0003.jpg"]["archive_code"] is None and "还没有延包卷" in rows["IMG_0003.jpg"]["note"]
    applied = suggest_pages(context_for(engine, config), apply=True)
    assert applied.linked == 2
    linked = filed(engine)
    assert (linked["IMG_0001.jpg"]["archive_code"], linked["IMG_0001.jpg"]["doc_type"]) == (
        extension.archive_code, "Y04")
    assert [row["path"].rsplit("/", 1)[-1] for row in list_suggestions(engine)] == ["IMG_0003.jpg"]


def lines(*texts: str) -> list[Line]:
    return [Line(text, 0.99, (0.1, 0.05 + 0.05 * number, 0.9, 0.09 + 0.05 * number))
            for number, text in enumerate(texts)]


def test_the_campaign_words_choose_the_file_and_the_document_list(engine, config, township):
    extended = township[0][0]
    extension, primary = file_of(engine, extended, EXTENSION), file_of(engine, extended)
    place = Township(engine, config)
    worded = place.suggest(lines("农户确认表", "第二轮土地承包到期后再延长", f"承包方编码 {extended}"))
    assert (worded.file_id, worded.doc_type) == (extension.id, "Y01")  # 延包 by its words, Y01 by its title
    titled = place.suggest(lines("延包承包合同（再延长三十年）", f"承包方编码 {extended}"))
    assert (titled.file_id, titled.doc_type) == (extension.id, "Y04")
    coded = place.suggest(lines("承包合同", f"档号 {extension.archive_code}"))  # the 延包 file's own 档号
    assert coded.file_id == extension.id
    plain = place.suggest(lines("承包合同", f"承包方编码 {extended}"))
    assert (plain.file_id, plain.doc_type) == (primary.id, "07")
    known = place.suggest(lines("延包承包合同"), EXTENSION)  # a page already in the 延包 file: its document
    assert known.doc_type == "Y04"
