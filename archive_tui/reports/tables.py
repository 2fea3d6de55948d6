"""Tables as spreadsheets (XLSX) and CSV files, written so no program runs what they hold.

Formula rule (公式注入): a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is written to XLSX as a text cell (never a formula), and to CSV with a ``'``
in front (what Excel itself does to show such text); a plain number such as ``-1.5`` is left
alone. Our importer takes the ``'`` off again.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from archive_tui.core.privacy import private_file

Tables = dict[str, tuple[list[str], list[list[object]]]]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"0|[1-9]\d{0,8}")  # longer digit strings are codes: kept as text
_DECIMAL = re.compile(r"(0|[1-9]\d{0,8})\.\d{1,6}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value)


def csv_cell(value: object) -> object:
    """A CSV value a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return "" if value is None else value


def typed(value: object) -> object:
    """What a printed table's cell holds, as a spreadsheet should store it: counts, years and
    areas as numbers, ISO dates as dates; codes (long digit strings, leading zeros) stay text."""
    if not isinstance(value, str):
        return value
    if _INTEGER.fullmatch(value):
        return int(value)
    if _DECIMAL.fullmatch(value):
        return float(value)
    if _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def write_csv(path: Path, columns: list[str], rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    """One CSV file; UTF-8 with BOM by default so Excel opens it correctly; owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([csv_cell(value) for value in row] for row in rows)
    return private_file(path)


def write_csv_folder(tables: Tables, folder: Path, encoding: str = "utf-8-sig") -> list[Path]:
    """One ``NAME.csv`` per table."""
    return [write_csv(folder / f"{name}.csv", columns, rows, encoding) for name, (columns, rows) in tables.items()]


def _text_cell(sheet, value: object):
    """A write-only cell: numbers and dates as they are, anything else as text (so codes keep
    all their digits and ``=…`` is never a formula)."""
    from openpyxl.cell import WriteOnlyCell  # loaded late: openpyxl takes 0.3 s

    if isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        return cell
    cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
    cell.data_type = "s"
    return cell


def write_xlsx(tables: Tables, path: Path) -> Path:
    """One sheet per table, text as text (codes keep their digits), numbers and dates typed."""
    from openpyxl import Workbook  # loaded late: openpyxl takes 0.3 s

    book = Workbook(write_only=True)
    for name, (columns, rows) in tables.items():
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        sheet.append([_text_cell(sheet, title) for title in columns])
        for row in rows:
            sheet.append([_text_cell(sheet, value) for value in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return private_file(path)


@dataclass(frozen=True)
class TitledTable:
    """One printed table: the sheet's name, its heading lines, columns and rows, the number
    of 合计 rows at the end, and lines printed under it (facts, signature lines)."""

    name: str
    heading: list[str]
    columns: list[str]
    rows: list[list[object]]
    total_rows: int = 0
    after: list[list[str]] = field(default_factory=list)


def _display_width(text: str) -> int:
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _put(cell, value: object) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # text, even when it starts with "="
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"


def write_titled_xlsx(path: Path, tables: list[TitledTable]) -> Path:
    """One worksheet per table, ready to print on A4: heading lines merged across, a bold frozen
    header with a filter, numbers and dates typed, columns as wide as their Chinese text, the
    header repeated on every printed page, fitted to the paper's width."""
    from openpyxl import Workbook  # loaded late: openpyxl takes 0.3 s
    from openpyxl.styles import Alignment, Border, Font, Side  # loaded late: openpyxl takes 0.3 s
    from openpyxl.utils import get_column_letter  # loaded late: openpyxl takes 0.3 s

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    thin = Side(style="thin")
    ruled = Border(left=thin, right=thin, top=thin, bottom=thin)
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        width = max(1, len(table.columns))
        for number, line in enumerate(table.heading, start=1):
            _put(sheet.cell(number, 1), line)
            sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=width)
            sheet.cell(number, 1).alignment = Alignment(horizontal="center")
            sheet.cell(number, 1).font = Font(bold=number == 1, size=14 if number == 1 else 11)
        header_row = len(table.heading) + 1
        for column, title in enumerate(table.columns, start=1):
            cell = sheet.cell(header_row, column)
            _put(cell, title)
            cell.font, cell.border = Font(bold=True), ruled
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for offset, row in enumerate(table.rows, start=1):
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(header_row + offset, column)
                _put(cell, typed(value))
                cell.border = ruled
                cell.alignment = Alignment(vertical="top", wrap_text=True)
                if offset > len(table.rows) - table.total_rows:
                    cell.font = Font(bold=True)
        last_row = header_row + len(table.rows)
        sheet.freeze_panes = sheet.cell(header_row + 1, 1)
        if table.rows:
            body_end = last_row - table.total_rows
            sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(width)}{max(header_row, body_end)}"
        row_number = last_row + 2
        for line in table.after:
            for column, value in enumerate(line, start=1):
                _put(sheet.cell(row_number, column), value)
            row_number += 1
        for column, title in enumerate(table.columns, start=1):
            longest = max([_display_width(title)] + [_display_width(str(row[column - 1]))
                                                      for row in table.rows[:500] if column <= len(row)])
            sheet.column_dimensions[get_column_letter(column)].width = min(50, 2 + longest * 1.1)
        sheet.print_title_rows = f"{header_row}:{header_row}"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "portrait" if width <= 8 else "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_options.horizontalCentered = True
    book.save(path)
    return private_file(path)
