"""The forms inside each household file: 卷内目录 (list of its documents) and 备考表 (notes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.grid import Column, Table, draw, lay_out, print_table
from archive_tui.reports.pdf import LEFT, MIDDLE, RIGHT, TOP, Sheet, mm

CONTENTS_COLUMNS = [Column("序号", 10, "centre"), Column("文号", 36), Column("责任者", 34), Column("题名", 44),
                    Column("日期", 17, "centre"), Column("页号", 14, "centre"), Column("备注", 20)]


@dataclass
class FileSheet:
    """One household file as its inner forms show it."""

    archive_code: str
    title: str
    household: str
    rows: list[list[str]]  # 卷内目录 rows
    pages: int
    documents: int
    notes: list[str] = field(default_factory=list)  # 本卷情况说明, one point per line
    compiled_by: str = ""
    compiled_on: str = ""


def write_contents(path: Path, font: PrintFont, files: list[FileSheet]) -> int:
    """卷内目录: one table per file, continued over pages with its header; each file numbered alone."""
    sheet = Sheet(path, font, "卷内目录")
    for file in files:
        print_table(sheet, Table([("卷 内 目 录", 18), (f"档号 {file.archive_code}    {file.household}", 10)],
                                 CONTENTS_COLUMNS, file.rows), footer=file.archive_code)
    sheet.save()
    return sheet.pages


def _notes_page(sheet: Sheet, file: FileSheet) -> None:
    sheet.text(MIDDLE, TOP - 14 * mm, "卷 内 备 考 表", 18, centre=True)
    sheet.text(LEFT, TOP - 26 * mm, f"档号 {file.archive_code}", 11)
    sheet.text(RIGHT, TOP - 26 * mm, file.household, 11, right=True)
    explanation = "\n".join(["本卷情况说明：", *file.notes])
    y = draw(sheet, lay_out(sheet, Table([], [Column("", 175)], [[explanation]], size=11, min_row_height=120 * mm,
                                         header=False),
                            top=TOP - 30 * mm), top=TOP - 30 * mm)
    y -= 14 * mm
    for label, value in (("立卷人", file.compiled_by), ("检查人", ""), ("立卷时间", file.compiled_on)):
        sheet.text(RIGHT - 80 * mm, y, f"{label}：", 12)
        sheet.text(RIGHT - 55 * mm, y, value, 12)
        sheet.line(RIGHT - 56 * mm, y - 1.5 * mm, RIGHT, y - 1.5 * mm)
        y -= 12 * mm


def write_notes(path: Path, font: PrintFont, files: list[FileSheet]) -> int:
    """备考表: one page per file, placed after its last page."""
    sheet = Sheet(path, font, "卷内备考表")
    for file in files:
        sheet.begin_section(1)
        _notes_page(sheet, file)
        sheet.next_page(file.archive_code)
    sheet.save()
    return sheet.pages
