"""The manual sample's checklist (扫描件人工抽检清单): one row per drawn page with its thumbnail,
档号, household, document and page, and boxes for the reviewer's verdict — as an A4 PDF or
an XLSX workbook (thumbnails placed in the sheet)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from archive_tui.reports.pdf import BODY_BOTTOM, LEFT, MIDDLE, RIGHT, TOP, Sheet, mm
from archive_tui.reports.tables import TitledTable, write_titled_xlsx

ROW_HEIGHT = 42 * mm
THUMB = (30 * mm, 40 * mm)
THUMB_PIXELS = (240, 320)
COLUMNS = ["序号", "缩略图", "档号", "户主", "村", "卷内文件", "页号", "存储路径", "抽检结论", "问题"]
Thumbnail = Callable[[str], Image.Image | None]


def heading_lines(number: str, township: str, rows: list[dict], seed: int | None) -> list[str]:
    drawn = f"随机种子 {seed}" if seed is not None else ""
    return [f"{township}扫描件人工抽检清单", f"批号 {number}　共 {len(rows)} 页　{drawn}".rstrip()]


def print_checklist_pdf(path: Path, font, title_lines: list[str], rows: list[dict], thumbnail: Thumbnail) -> Path:
    sheet = Sheet(path, font, title_lines[0])
    per_page = int((TOP - 30 * mm - BODY_BOTTOM) // ROW_HEIGHT)
    pages = max(1, -(-len(rows) // per_page))
    sheet.begin_section(pages)
    for page in range(pages):
        sheet.text(MIDDLE, TOP - 6 * mm, title_lines[0], 16, centre=True)
        sheet.text(MIDDLE, TOP - 13 * mm, title_lines[1], 10, centre=True)
        y = TOP - 20 * mm
        for index, row in enumerate(rows[page * per_page:(page + 1) * per_page], start=page * per_page + 1):
            _pdf_row(sheet, y, index, row, thumbnail)
            y -= ROW_HEIGHT
        if page == pages - 1:
            signature = "抽检人（签字）：__________　　日期：__________"
            sheet.text(LEFT, max(y - 8 * mm, BODY_BOTTOM + 2 * mm), signature, 11)
        sheet.next_page()
    sheet.save()
    return path


def _pdf_row(sheet: Sheet, top: float, index: int, row: dict, thumbnail: Thumbnail) -> None:
    canvas = sheet.canvas
    sheet.box(LEFT, top - ROW_HEIGHT, RIGHT - LEFT, ROW_HEIGHT)
    sheet.text(LEFT + 2 * mm, top - 6 * mm, str(index), 10)
    picture = thumbnail(row["path"])
    if picture is not None:
        from reportlab.lib.utils import ImageReader  # loaded late: reportlab, only when printing

        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=80)
        width, height = picture.size
        scale = min(THUMB[0] / width, THUMB[1] / height)
        canvas.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), LEFT + 10 * mm, top - 1 * mm - height * scale,
                         width * scale, height * scale)
    else:
        sheet.text(LEFT + 12 * mm, top - 20 * mm, "（无法预览）", 9)
    x = LEFT + 44 * mm
    lines = [f"档号：{row['archive_code']}", f"户主：{row['household']}　{row['village']}",
             f"卷内文件：{row['document'] or '（未分类）'}　第 {row['seq'] or '?'} 页", f"文件：{row['path']}"]
    y = top - 6 * mm
    for line in lines:
        sheet.fitted_text(x, y, line, RIGHT - x - 48 * mm, 10)
        y -= 6 * mm
    verdict_x = RIGHT - 45 * mm
    done = row.get("verdict", "")
    for offset, (verdict, label) in enumerate((("ok", "合格"), ("problem", "不合格"))):
        y = top - 6 * mm - offset * 7 * mm
        _checkbox(sheet, verdict_x, y, done == verdict)
        sheet.text(verdict_x + 5 * mm, y, label, 11)
    sheet.text(verdict_x, top - 20 * mm, "问题：", 10)
    if row.get("problem"):
        sheet.paragraph(verdict_x, top - 26 * mm, row["problem"], 43 * mm, 9)


def _checkbox(sheet: Sheet, x: float, baseline: float, ticked: bool) -> None:
    """A box drawn, not typed (a font may lack □), crossed when the verdict is already recorded."""
    side = 3.2 * mm
    sheet.box(x, baseline - 0.5 * mm, side, side)
    if ticked:
        sheet.line(x, baseline - 0.5 * mm, x + side, baseline - 0.5 * mm + side)
        sheet.line(x, baseline - 0.5 * mm + side, x + side, baseline - 0.5 * mm)


def print_checklist_xlsx(path: Path, title_lines: list[str], rows: list[dict], thumbnail: Thumbnail) -> Path:
    from openpyxl import load_workbook  # loaded late: openpyxl takes 0.3 s
    from openpyxl.drawing.image import Image as SheetImage  # loaded late: openpyxl takes 0.3 s

    labels = {"": "", "ok": "合格", "problem": "不合格"}
    body = [[index, "", row["archive_code"], row["household"], row["village"], row["document"], row["seq"] or "",
             row["path"], labels.get(row.get("verdict", ""), ""), row.get("problem", "")]
            for index, row in enumerate(rows, start=1)]
    write_titled_xlsx(path, [TitledTable("抽检清单", title_lines, COLUMNS, body,
                                         after=[["抽检人（签字）：", "", "", "日期："]])])
    book = load_workbook(path)
    sheet = book.active
    first = len(title_lines) + 2
    sheet.column_dimensions["B"].width = 18
    for offset, row in enumerate(rows):
        picture = thumbnail(row["path"])
        sheet.row_dimensions[first + offset].height = 100
        if picture is None:
            sheet.cell(first + offset, 2).value = "（无法预览）"
            continue
        picture = picture.copy()
        picture.thumbnail((96, 128))
        buffer = io.BytesIO()
        picture.convert("RGB").save(buffer, "PNG")
        image = SheetImage(io.BytesIO(buffer.getvalue()))
        sheet.add_image(image, f"B{first + offset}")
    book.save(path)
    return path
