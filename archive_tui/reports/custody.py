"""Box-spine labels (盒脊) with per-box contents lists, and the shelf list (案卷目录)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.grid import Column, Table, print_table
from archive_tui.reports.pdf import LEFT, RIGHT, TOP, Sheet, mm

SHELF_COLUMNS = [Column("序号", 11, "centre"), Column("档号", 42), Column("案卷题名", 62), Column("年度", 12, "centre"),
                 Column("保管期限", 15, "centre"), Column("页数", 11, "right"), Column("盒号", 22)]
CONTENTS_COLUMNS = [Column("序号", 12, "centre"), Column("档号", 46), Column("案卷题名", 100),
                    Column("页数", 14, "right")]
LABELS_PER_PAGE = 4
SPINE = 40 * mm  # a 40 mm box spine; four to a page, cut along the lines


@dataclass
class Box:
    """One box: its spine facts and the files inside, in 档号 order."""

    number: str
    level: str
    fonds: str
    retention: str
    years: str
    files: list[tuple[str, str, int]] = field(default_factory=list)  # 档号, 题名, 页数
    year_set: set[int] = field(default_factory=set)


def _spine(sheet: Sheet, box: Box, x: float) -> None:
    width, top, bottom = SPINE, TOP - 5 * mm, 25 * mm
    sheet.box(x, bottom, width, top - bottom)
    middle = x + width / 2
    lines = [("全宗号", box.fonds, 13), ("年度", box.years, 13), ("档号起", box.files[0][0], 10),
             ("档号止", box.files[-1][0], 10), ("保管期限", box.retention, 13), ("份别", box.level, 12)]
    y = top - 14 * mm
    for label, value, size in lines:
        sheet.text(middle, y, label, 9, centre=True)
        sheet.fitted_text(middle, y - 7 * mm, value, width - 4 * mm, size, centre=True)
        y -= 24 * mm
    sheet.text(middle, bottom + 22 * mm, "盒号", 10, centre=True)
    sheet.fitted_text(middle, bottom + 10 * mm, box.number, width - 4 * mm, 20, centre=True)


def write_box_labels(path: Path, font: PrintFont, title: str, boxes: list[Box]) -> int:
    """Spine labels, four to an A4 page (cut along the lines), then each box's contents list."""
    sheet = Sheet(path, font, title)
    sheet.begin_section((len(boxes) + LABELS_PER_PAGE - 1) // LABELS_PER_PAGE)
    for start in range(0, len(boxes), LABELS_PER_PAGE):
        gap = (RIGHT - LEFT - LABELS_PER_PAGE * SPINE) / (LABELS_PER_PAGE - 1)
        for index, box in enumerate(boxes[start:start + LABELS_PER_PAGE]):
            _spine(sheet, box, LEFT + index * (SPINE + gap))
        sheet.next_page(f"{title}  盒脊")
    for box in boxes:
        rows = [[str(i), code, name, str(count)] for i, (code, name, count) in enumerate(box.files, start=1)]
        rows.append(["合计", f"{len(box.files)} 卷", "", str(sum(count for _c, _n, count in box.files))])
        print_table(sheet, Table([(f"盒内目录  {box.number}", 14), (f"{box.level}  全宗号 {box.fonds}", 10)],
                                 CONTENTS_COLUMNS, rows, total_rows=1), footer=box.number)
    sheet.save()
    return sheet.pages


def write_shelf_list(path: Path, font: PrintFont, heading: list[str], rows: list[list[str]]) -> int:
    sheet = Sheet(path, font, heading[0])
    print_table(sheet, Table([(heading[0], 14), *[(line, 10) for line in heading[1:]]], SHELF_COLUMNS, rows))
    sheet.save()
    return sheet.pages
