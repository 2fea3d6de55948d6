"""月报 on A4: the figures in two tables (what was built up, what was handed on), then a bar
chart of each village's progress — files complete and certificates issued, as shares of its
households."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archive_tui.core.config import Config
from archive_tui.reports.fonts import font_of
from archive_tui.reports.grid import Column, Table, draw, lay_out
from archive_tui.reports.pdf import BODY_BOTTOM, LEFT, MIDDLE, RIGHT, TOP, Sheet, mm

BARS = (("complete", "案卷齐全", (0.25, 0.45, 0.75)), ("issued", "已发证", (0.85, 0.5, 0.15)))
BAR = 3.2 * mm
LABEL = 38 * mm


def _share(part: int, whole: int) -> float:
    return min(1.0, part / whole) if whole else 0.0


def _chart_pages(rows: list[dict]) -> list[list[dict]]:
    per_page = int((TOP - 40 * mm - BODY_BOTTOM) // (len(BARS) * BAR + 3 * mm))
    return [rows[start:start + per_page] for start in range(0, len(rows), per_page)] or [[]]


def _chart(sheet: Sheet, rows: list[dict], title: str) -> None:
    sheet.text(MIDDLE, TOP - 8 * mm, title, 13, centre=True)
    y = TOP - 18 * mm
    x = LEFT + 4 * mm
    for key, label, colour in BARS:  # the legend
        sheet.canvas.setFillColorRGB(*colour)
        sheet.canvas.rect(x, y, 6 * mm, BAR, stroke=0, fill=1)
        sheet.canvas.setFillColorRGB(0, 0, 0)
        sheet.text(x + 8 * mm, y + 0.6 * mm, f"{label}（占本村现有承包户）", 9)
        x += 60 * mm
    width = RIGHT - LEFT - LABEL - 18 * mm
    y -= 10 * mm
    for share_mark in (0, 0.25, 0.5, 0.75, 1.0):  # the scale
        mark_x = LEFT + LABEL + width * share_mark
        sheet.text(mark_x, y, f"{share_mark:.0%}", 8, centre=True)
    y -= 3 * mm
    for row in rows:
        households = row["registered"]  # the village's whole task: the households registered now
        sheet.fitted_text(LEFT, y - BAR * len(BARS) / 2 - 1 * mm, row["name"], LABEL - 2 * mm, 9)
        for key, _label, colour in BARS:
            share = _share(row[key][0], households)
            sheet.canvas.setFillColorRGB(*colour)
            sheet.canvas.rect(LEFT + LABEL, y - BAR, max(width * share, 0.3 * mm), BAR, stroke=0, fill=1)
            sheet.canvas.setFillColorRGB(0, 0, 0)
            sheet.text(LEFT + LABEL + width * share + 1.5 * mm, y - BAR + 0.7 * mm, f"{share:.1%}", 7)
            y -= BAR
        y -= 3 * mm
    sheet.canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
    sheet.line(LEFT + LABEL, y + 1 * mm, LEFT + LABEL, TOP - 30 * mm)
    sheet.canvas.setStrokeColorRGB(0, 0, 0)


def write_monthly_pdf(path: Path, config: Config, title: str, note: str, rows: list[dict], metrics: list,
                      cell: Callable[[dict, str], str]) -> int:
    """``cell(row, key)``: one figure's text. Returns the number of pages."""
    sheet = Sheet(path, font_of(config), title)
    halves = [metrics[:6], metrics[6:]]
    layouts = []
    for number, half in enumerate(halves):
        columns = [Column("村", 26)] + [Column(f"{label}（{unit}）", 24.8, "right") for _key, label, unit in half]
        body = [[row["name"], *[cell(row, key) for key, _label, _unit in half]] for row in rows]
        heading = [(title, 13), (note, 8)] if number == 0 else [(f"{title}（续）", 13)]
        layouts.append(lay_out(sheet, Table(heading, columns, body, total_rows=1, size=8)))
    charts = _chart_pages(rows[:-1])
    sheet.begin_section(sum(layout.page_count for layout in layouts) + len(charts))
    for layout in layouts:
        draw(sheet, layout)
        sheet.next_page()
    for number, page in enumerate(charts):
        _chart(sheet, page, "各村进度" + ("（续）" if number else ""))
        sheet.next_page()
    sheet.save()
    return sheet.pages
