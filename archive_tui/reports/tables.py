"""Write named tables (columns + rows of text) as a CSV folder or one XLSX workbook."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from archive_tui.privacy import private_file

Tables = dict[str, tuple[list[str], list[list[object]]]]


def write_csv_folder(tables: Tables, folder: Path, encoding: str = "utf-8-sig") -> list[Path]:
    """One ``NAME.csv`` per table; UTF-8 with BOM by default so Excel opens it correctly."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (columns, rows) in tables.items():
        path = folder / f"{name}.csv"
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(rows)
        written.append(private_file(path))
    return written


def write_xlsx(tables: Tables, path: Path) -> Path:
    """One sheet per table, every cell as text so long codes keep all their digits."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, (columns, rows) in tables.items():
        sheet = book.create_sheet(name)
        sheet.append(columns)
        for row in rows:
            sheet.append(["" if value is None else str(value) for value in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return private_file(path)


@dataclass(frozen=True)
class TitledTable:
    """One printed table: the sheet's name, its heading lines, columns and rows."""

    name: str
    heading: list[str]
    columns: list[str]
    rows: list[list[str]]


def write_titled_xlsx(path: Path, tables: list[TitledTable]) -> Path:
    """One worksheet per table: heading lines merged across, bold column titles, text cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        width = len(table.columns)
        for line in table.heading:
            sheet.append([line])
            row = sheet.max_row
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            sheet.cell(row, 1).alignment = Alignment(horizontal="center")
            sheet.cell(row, 1).font = Font(bold=row == 1, size=14 if row == 1 else 11)
        sheet.append(table.columns)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([str(value) for value in row])
        for index, title in enumerate(table.columns, start=1):
            longest = max([len(title)] + [len(str(row[index - 1])) for row in table.rows[:500]])
            sheet.column_dimensions[get_column_letter(index)].width = min(40, 4 + longest * 1.6)
    book.save(path)
    return private_file(path)
