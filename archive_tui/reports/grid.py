"""The one table engine every printed form uses (表格).

Column widths are shares of the printable width; text is wrapped onto as many lines as it
needs at the table's size (never shrunk); the heading and the column titles repeat on every
page; a 合计 row never stands alone on a page; a row taller than a page continues on the next.
Lay out first (``lay_out``) so the page count is known before anything is drawn, then ``draw``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.pdf import BODY_BOTTOM, LEFT, MIDDLE, RIGHT, SMALLEST, TOP, Sheet, mm
from archive_tui.reports.wrapping import wrap_lines

PAD_X, PAD_Y = 1.5 * mm, 1.4 * mm
LEADING = 1.25


@dataclass(frozen=True)
class Column:
    """A column: its title, its share of the width (mm as designed for A4), its alignment."""

    title: str
    share: float
    align: str = "left"  # left, centre, right


@dataclass
class Table:
    """What to print: heading lines (text, size), columns, rows; the last ``total_rows`` are
    totals; ``after`` points must stay free below the table on its last page (signatures)."""

    heading: list[tuple[str, float]]
    columns: list[Column]
    rows: list[list[str]]
    total_rows: int = 0
    size: float = 9
    min_row_height: float = 7 * mm
    after: float = 0
    header: bool = True  # print the column titles (repeated on every page)


@dataclass
class _Row:
    cells: list[list[str]]
    height: float


@dataclass
class Layout:
    table: Table
    widths: list[float]
    heading: list[tuple[list[str], float]]
    header: _Row
    pages: list[list[_Row]] = field(default_factory=list)
    after_on_new_page: bool = False

    @property
    def page_count(self) -> int:
        return len(self.pages) + (1 if self.after_on_new_page else 0)


def _heading_height(heading: list[tuple[list[str], float]]) -> float:
    return sum(len(lines) * size * 1.45 for lines, size in heading) + (3 * mm if heading else 0)


def _row(font: PrintFont, cells: list[str], widths: list[float], size: float, least: float) -> _Row:
    wrapped = [wrap_lines(font, str(cell), width - 2 * PAD_X, size) for cell, width in zip(cells, widths)]
    lines = max(len(cell) for cell in wrapped)
    return _Row(wrapped, max(least, lines * size * LEADING + 2 * PAD_Y))


def _split_tall(row: _Row, room: float, size: float) -> list[_Row]:
    """A row taller than a whole page, cut into pieces that each fit."""
    per_piece = max(1, int((room - 2 * PAD_Y) // (size * LEADING)))
    longest = max(len(cell) for cell in row.cells)
    pieces = []
    for start in range(0, longest, per_piece):
        cells = [cell[start:start + per_piece] for cell in row.cells]
        count = max(len(cell) for cell in cells)
        pieces.append(_Row(cells, count * size * LEADING + 2 * PAD_Y))
    return pieces


def lay_out(sheet: Sheet, table: Table, *, top: float = TOP) -> Layout:
    """Measure and paginate ``table`` (first page starting at ``top``)."""
    font, size = sheet.font, max(SMALLEST, table.size)
    total = sum(column.share for column in table.columns)
    widths = [(RIGHT - LEFT) * column.share / total for column in table.columns]
    heading = [(wrap_lines(font, text, RIGHT - LEFT, line_size), line_size) for text, line_size in table.heading]
    header = _row(font, [column.title for column in table.columns], widths, size, 0)
    if not table.header:
        header.height = 0
    layout = Layout(table, widths, heading, header)
    room_full = TOP - _heading_height(heading) - header.height - BODY_BOTTOM
    rows: list[tuple[_Row, bool]] = []
    for index, cells in enumerate(table.rows):
        is_total = index >= len(table.rows) - table.total_rows
        for piece in _split_tall(_row(font, cells, widths, size, table.min_row_height), room_full, size):
            rows.append((piece, is_total))
    pages: list[list[tuple[_Row, bool]]] = [[]]
    room = top - _heading_height(heading) - header.height - BODY_BOTTOM
    for row, is_total in rows:
        if row.height > room and pages[-1]:
            pages.append([])
            room = room_full
        pages[-1].append((row, is_total))
        room -= row.height
    last = pages[-1]
    if len(pages) > 1 and last and all(is_total for _row_, is_total in last) and len(pages[-2]) > 1:
        last.insert(0, pages[-2].pop())  # a 合计 row never stands alone
        room -= last[0][0].height
    layout.pages = [[row for row, _total in page] for page in pages]
    layout.after_on_new_page = table.after > room
    return layout


def _draw_row(sheet: Sheet, row: _Row, widths: list[float], columns: list[Column], y: float, size: float) -> float:
    x = LEFT
    for lines, width, column in zip(row.cells, widths, columns):
        sheet.box(x, y - row.height, width, row.height)
        baseline = y - PAD_Y - size * 0.92
        for line in lines:
            if column.align == "centre":
                sheet.text(x + width / 2, baseline, line, size, centre=True)
            elif column.align == "right":
                sheet.text(x + width - PAD_X, baseline, line, size, right=True)
            else:
                sheet.text(x + PAD_X, baseline, line, size)
            baseline -= size * LEADING
        x += width
    return y - row.height


def draw(sheet: Sheet, layout: Layout, *, top: float = TOP, footer: str = "") -> float:
    """Draw the pages (ending each but the last); returns the y below the table on its last
    page, or ``TOP`` on a fresh page when the block after it did not fit."""
    table, size = layout.table, max(SMALLEST, layout.table.size)
    y = top
    for number, page in enumerate(layout.pages):
        if number:
            sheet.next_page(footer)
            y = TOP
        for lines, line_size in layout.heading:
            for line in lines:
                sheet.text(MIDDLE, y - line_size, line, line_size, centre=True)
                y -= line_size * 1.45
        y -= 3 * mm if layout.heading else 0
        if table.header:
            y = _draw_row(sheet, layout.header, layout.widths, table.columns, y, size)
        for row in page:
            y = _draw_row(sheet, row, layout.widths, table.columns, y, size)
    if layout.after_on_new_page:
        sheet.next_page(footer)
        return TOP
    return y


def print_table(sheet: Sheet, table: Table, *, footer: str = "", extra_pages: int = 0) -> Layout:
    """A table as its own numbered section, ending its last page unless ``extra_pages`` follow."""
    layout = lay_out(sheet, table)
    sheet.begin_section(layout.page_count + extra_pages)
    draw(sheet, layout, footer=footer)
    if not extra_pages:
        sheet.next_page(footer)
    return layout
