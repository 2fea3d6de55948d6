"""The hand-over list (移交清单 / 案卷目录) and its 交接文据 page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.grid import Column, Table, draw, lay_out
from archive_tui.reports.pdf import MIDDLE, RIGHT, TOP, Sheet, mm

MANIFEST_COLUMNS = [Column("序号", 10, "centre"), Column("档号", 40), Column("案卷题名", 55),
                    Column("年度", 11, "centre"), Column("保管期限", 16, "centre"), Column("件数", 10, "right"),
                    Column("页数", 11, "right"), Column("备注", 22)]
SIDES = ["移交单位", "接收单位", "监交单位"]
SIGN_ROWS = ["单位名称", "负责人（签字）", "经办人（签字）", "日期", "（盖章）"]


@dataclass
class Handover:
    """What the 交接文据 states: facts (label, value), the receiving side's opinion and counts
    once closed, the three sides' unit names and people."""

    facts: list[tuple[str, str]]
    opinion: str
    units: list[str]
    people: list[str]
    digests: list[str] = field(default_factory=list)  # each bag's tag-manifest SHA-256, printed as QR codes too


def draw_block(sheet: Sheet, table: Table, y: float) -> float:
    """A small table (no heading) from ``y`` down; returns the y below it."""
    return draw(sheet, lay_out(sheet, table, top=y), top=y)


def _handover_page(sheet: Sheet, handover: Handover) -> None:
    sheet.text(MIDDLE, TOP - 12 * mm, "交 接 文 据", 20, centre=True)
    for index, digest in enumerate(handover.digests[:3]):  # the county scans these at receipt (--digest)
        sheet.qr(RIGHT - (index + 1) * 21 * mm, TOP - 20 * mm, f"SHA-256:{digest}", 20 * mm)
    y = draw_block(sheet, Table([], [Column("项目", 30), Column("内容", 145)], [list(fact) for fact in handover.facts],
                                min_row_height=6.5 * mm, size=10), TOP - 22 * mm)
    y = draw_block(sheet, Table([], [Column("接收意见", 175)], [[handover.opinion]], min_row_height=22 * mm,
                                size=10), y - 4 * mm)
    rows = [[label, *values] for label, values in zip(
        SIGN_ROWS, [handover.units, ["", "", ""], [name or "" for name in handover.people],
                    ["    年    月    日"] * 3, ["", "", ""]])]
    draw_block(sheet, Table([], [Column("", 31), *[Column(side, 48) for side in SIDES]], rows,
                            min_row_height=10 * mm, size=10), y - 4 * mm)


def write_manifest_pdf(path: Path, font: PrintFont, heading: list[str], rows: list[list[str]],
                       handover: Handover, *, draft: bool) -> int:
    """The list (heading repeated on every page, 合计 last), then the 交接文据; one numbered section."""
    sheet = Sheet(path, font, heading[0], draft=draft)
    table = Table([(heading[0], 15), *[(line, 10) for line in heading[1:]]], MANIFEST_COLUMNS, rows, total_rows=1)
    layout = lay_out(sheet, table)
    sheet.begin_section(layout.page_count + 1)
    draw(sheet, layout)
    sheet.next_page()
    _handover_page(sheet, handover)
    sheet.next_page()
    sheet.save()
    return sheet.pages
