"""The hand-over list (移交清单 / 案卷目录) and its 交接文据 page."""

from __future__ import annotations

from pathlib import Path

from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.pdf import PAGE_HEIGHT, PAGE_WIDTH, Sheet, draw_grid, mm

MANIFEST_COLUMNS = [("序号", 11), ("档号", 42), ("案卷题名", 66), ("年度", 12), ("保管期限", 15), ("件数", 10),
                    ("页数", 11), ("备注", 18)]


def write_manifest_pdf(path: Path, font: PrintFont, heading: list[str], rows: list[list[str]],
                       handover: list[tuple[str, str]], signatures: list[tuple[str, str]]) -> int:
    """The list (heading repeated on every page), then the 交接文据 with its signature lines."""
    sheet = Sheet(path, font, heading[0])
    widths = [(name, width * mm) for name, width in MANIFEST_COLUMNS]
    pages = draw_grid(sheet, [(heading[0], 14), *[(line, 10) for line in heading[1:]]], widths, rows)
    sheet.text(PAGE_WIDTH / 2, PAGE_HEIGHT - 40 * mm, "交 接 文 据", 22, centre=True)
    y = PAGE_HEIGHT - 65 * mm
    for label, value in handover:
        sheet.text(30 * mm, y, f"{label}：", 12)
        sheet.fitted_text(70 * mm, y, value, 110 * mm, 12)
        y -= 10 * mm
    y -= 10 * mm
    for role, name in signatures:
        sheet.text(30 * mm, y, f"{role}（签字）：{name or '__________'}    __________    "
                               "日期：______年____月____日", 11)
        y -= 14 * mm
    sheet.text(30 * mm, y - 4 * mm, "移交单位（盖章）                        接收单位（盖章）", 11)
    sheet.next_page()
    sheet.save()
    return pages + 1
