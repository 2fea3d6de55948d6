"""Read NY/T 2539 tables from an ``.mdb``/``.accdb``, a folder of CSV files or an ``.xlsx``.

Every reader returns :class:`SourceTable` objects: the column names as found and the rows
as lists of raw values, with the row number the archivist sees in the source (the header
is row 1 in CSV and Excel, so the first data row is row 2; in MDB the first row is 1).
"""

from __future__ import annotations

import csv
import io
from zipfile import BadZipFile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from archive_tui.errors import ArchiveError
from archive_tui.services.nyt2539 import TABLES

ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class SourceTable:
    name: str  # the national table name (upper case)
    columns: list[str]
    rows: list[list[object]]
    first_row_number: int = 2
    origin: str = ""  # file or sheet it came from

    def records(self) -> Iterator[tuple[int, dict[str, object]]]:
        for offset, row in enumerate(self.rows):
            yield self.first_row_number + offset, dict(zip(self.columns, row))


@dataclass
class Source:
    path: Path
    kind: str  # "mdb", "csv", "xlsx"
    tables: dict[str, SourceTable] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # tables/files we do not read


def _table_name(raw: str) -> str | None:
    name = raw.strip().upper()
    return name if name in TABLES else None


def _clean_header(columns: list[object]) -> list[str]:
    return [str(c or "").strip().lstrip("\ufeff").upper() for c in columns]


def decode_text(data: bytes, where: Path) -> str:
    """Text of a file in UTF-8 (with or without BOM) or GB18030, as Chinese Excel exports often are."""
    readings = []
    for encoding in ENCODINGS:
        try:
            readings.append(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    if not readings:
        raise ArchiveError(f"文件 {where} 的编码无法识别（应为 UTF-8 或 GB18030）")
    # GB18030 bytes can happen to be valid UTF-8 too (农 = C5 A9 reads as ũ). A UTF-8 reading
    # with Chinese characters is UTF-8; one whose non-ASCII characters are all accented Latin
    # while the GB18030 reading is Chinese was GB18030.
    first = readings[0]
    if len(readings) > 1 and not _chinese_characters(first) and _chinese_characters(readings[1]) \
            and any(ord(char) > 127 for char in first):
        return readings[1]
    return first


def _chinese_characters(text: str) -> int:
    return sum(1 for char in text if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf")


def read_csv_file(path: Path) -> tuple[list[str], list[list[object]]]:
    text = decode_text(path.read_bytes(), path)
    try:
        sample = text[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as exc:
        raise ArchiveError(f"文件 {path} 不是合法的 CSV：{exc}") from None
    try:
        rows = [row for row in reader if any(row)]
    except csv.Error as exc:
        raise ArchiveError(f"文件 {path} 第{reader.line_num}行不是合法的 CSV：{exc}") from None
    return _clean_header(header), rows


def read_csv_folder(folder: Path) -> Source:
    source = Source(folder, "csv")
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".csv", ".txt"):
            continue
        name = _table_name(path.stem)
        if name is None:
            source.ignored.append(path.name)
            continue
        columns, rows = read_csv_file(path)
        source.tables[name] = SourceTable(name, columns, rows, 2, path.name)
    return source


def read_xlsx(path: Path) -> Source:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ArchiveError(f"无法读取 Excel 文件 {path}：{exc}") from None
    source = Source(path, "xlsx")
    try:
        for sheet in book.worksheets:
            name = _table_name(sheet.title)
            if name is None:
                source.ignored.append(sheet.title)
                continue
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                source.tables[name] = SourceTable(name, [], [], 2, sheet.title)
                continue
            data = [list(row) for row in rows]
            # keep row numbers true to the sheet: blank rows count but are dropped later
            source.tables[name] = SourceTable(name, _clean_header(list(header)), data, 2, sheet.title)
    finally:
        book.close()
    return source


def read_access(path: Path) -> Source:
    from access_parser import AccessParser

    try:
        database = AccessParser(str(path))
    except Exception as exc:  # access-parser raises bare errors on foreign files
        raise ArchiveError(f"无法读取 Access 数据库 {path}：{exc or type(exc).__name__}") from None
    source = Source(path, "mdb")
    for raw_name in database.catalog:
        if raw_name.startswith("MSys"):
            continue
        name = _table_name(raw_name)
        if name is None:
            source.ignored.append(raw_name)
            continue
        try:
            parsed = database.parse_table(raw_name)
        except Exception as exc:
            raise ArchiveError(f"Access 数据库 {path} 的表 {raw_name} 无法读取：{exc}") from None
        columns = list(parsed.keys())
        values = [v if isinstance(v, list) else [] for v in parsed.values()]
        count = max((len(v) for v in values), default=0)
        rows = [[column[i] if i < len(column) else None for column in values] for i in range(count)]
        source.tables[name] = SourceTable(name, _clean_header(columns), rows, 1, raw_name)
    return source


def read_source(path: Path) -> Source:
    """Open a source by its kind; a clear error for anything else."""
    if not path.exists():
        raise ArchiveError(f"找不到数据源 {path}")
    if path.is_dir():
        source = read_csv_folder(path)
    elif path.suffix.lower() in (".mdb", ".accdb"):
        source = read_access(path)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        source = read_xlsx(path)
    elif path.suffix.lower() == ".csv":
        raise ArchiveError(f"{path} 是单个 CSV 文件；请指定存放 FBF.csv、CBF.csv 等文件的文件夹")
    else:
        raise ArchiveError(
            f"无法识别数据源 {path} 的格式：应为 .mdb/.accdb 数据库、.xlsx 工作簿或存放 CSV 文件的文件夹"
        )
    missing = [name for name, table in TABLES.items() if table.required and name not in source.tables]
    if missing:
        raise ArchiveError(
            f"数据源 {path} 缺少必需的表：{'、'.join(missing)}"
            + (f"（找到的表：{'、'.join(source.tables) or '无'}）")
        )
    return source
