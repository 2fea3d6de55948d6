"""月报 on A4: the figures in two tables (what was built up, what was handed on), a table for each
later campaign that has begun (延包: its households' steps, at the month's end and within it), then a
bar chart of each village's progress — files complete and certificates issued, as shares of its
households. The campaign's table is also the campaign's own progress report (``report campaign``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archive_tui.core.config import Config
from archive_tui.reports.fonts import font_of
from archive_tui.reports.grid import Column, Table, draw, lay_out
from archive_tui.reports.pdf import BODY_BOTTOM, LEFT, MIDDLE, RIGHT, TOP, Sheet, mm
from archive_tui.reports.tables import TitledTable

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


def rate_label(label: str) -> str:
    """已确认 → 确认率."""
    return f"{label.removeprefix('已')}率"


def _in_month(row: dict, key: str, month_key: str | None) -> int | None:
    return None if month_key is None else row.get(month_key.format(key))


def campaign_cells(row: dict, steps: list[tuple[str, str]], month_key: str | None) -> list[str]:
    """A campaign row's cells: 村, 户数, then each step's count (with the month's, as 120（+8）, where
    the step has one) and its share of the households."""
    cells = [row["village"], f"{row['households']:,}"]
    for key, _label in steps:
        during = _in_month(row, key, month_key)
        cells += [f"{row[key]:,}" + (f"（+{during:,}）" if during else ""), f"{row[f'{key}_rate']:.1f}%"]
    return cells


def campaign_table(heading: list[tuple[str, float]], rows: list[dict], steps: list[tuple[str, str]],
                   month_key: str | None = None) -> Table:
    """A later campaign's progress per village, its 合计 row last: the table of ``report campaign``
    and of the 月报's campaign section. ``month_key``: the format of a step's in-month key."""
    columns = [Column("村", 24), Column("户数", 12, "right")]
    for _key, label in steps:
        columns += [Column(label, 17 if month_key else 13, "right"), Column(rate_label(label), 12, "right")]
    body = [campaign_cells(row, steps, month_key) for row in rows]
    return Table(heading, columns, body, total_rows=1, size=8)


def campaign_sheet(name: str, heading: list[str], rows: list[dict], steps: list[tuple[str, str]],
                   month_key: str | None = None) -> TitledTable:
    """The same as a worksheet: counts, the month's counts and the shares (per cent) as numbers."""
    columns = ["村", "户数"]
    for key, label in steps:
        columns += [label, *([f"本月{label}"] if month_key and _has_month(rows, key, month_key) else []),
                    f"{rate_label(label)}%"]
    body = []
    for row in rows:
        cells: list[object] = [row["village"], row["households"]]
        for key, _label in steps:
            cells += [row[key], *([row[month_key.format(key)]] if month_key and _has_month(rows, key, month_key)
                                  else []), row[f"{key}_rate"]]
        body.append(cells)
    return TitledTable(name, heading, columns, body, total_rows=1)


def _has_month(rows: list[dict], key: str, month_key: str) -> bool:
    return bool(rows) and month_key.format(key) in rows[0]


def write_monthly_pdf(path: Path, config: Config, title: str, note: str, rows: list[dict], metrics: list,
                      cell: Callable[[dict, str], str], campaigns: list[Table] = ()) -> int:
    """``cell(row, key)``: one figure's text; ``campaigns``: a table per later campaign (``campaign_table``),
    printed after the figures. Returns the number of pages."""
    sheet = Sheet(path, font_of(config), title)
    halves = [metrics[:6], metrics[6:]]
    layouts = []
    for number, half in enumerate(halves):
        columns = [Column("村", 26)] + [Column(f"{label}（{unit}）", 24.8, "right") for _key, label, unit in half]
        body = [[row["name"], *[cell(row, key) for key, _label, _unit in half]] for row in rows]
        heading = [(title, 13), (note, 8)] if number == 0 else [(f"{title}（续）", 13)]
        layouts.append(lay_out(sheet, Table(heading, columns, body, total_rows=1, size=8)))
    layouts += [lay_out(sheet, table) for table in campaigns]
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
