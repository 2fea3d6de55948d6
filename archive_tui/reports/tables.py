"""Write named tables (columns + rows of text) as a CSV folder or one XLSX workbook."""

from __future__ import annotations

import csv
from pathlib import Path

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
        written.append(path)
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
    return path
