"""Read NY/T 2539 tables from an ``.mdb``/``.accdb``, a folder of CSV files or an ``.xlsx``.

Every reader gives :class:`SourceTable` objects: the column names as found (upper case)
and a stream of rows, read from the file as they are used, never all at once, so a
county-sized source takes little memory. Each row comes with the row number the
archivist sees in the source: the header is row 1 in CSV and Excel (the first data row is
row 2); in Access the first row is 1.

A row that cannot be read at all (an unterminated quote, broken XML, a sheet longer than
Excel allows) raises :class:`UnreadableRow`; the importer reports it as a reject of that
table and reads no further in it.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import unicodedata
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.nyt2539 import TABLES
from archive_tui.core.values import CellProblem

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
# A workbook is a zip: what it holds unpacked is checked by reading it, never by what its directory
# claims, so a small hostile file (a "zip bomb") cannot take a modest PC's memory (peak ≤ 600 MB).
SHARED_STRINGS_MAX_BYTES = 128 * 2**20  # the 文字表, held in memory whole by openpyxl: a county's is ~30 MB
SHARED_STRINGS_MAX_COUNT = 2_000_000  # its entries: openpyxl keeps each as an object (~190 bytes with its list slot)
PART_MAX_BYTES = 32 * 2**20  # styles, workbook, relations, theme: kilobytes in a real workbook
SHEET_MAX_BYTES = 4 * 2**30  # a worksheet, streamed: a county's largest (宗地) is below 1 GB
ROW_MAX_BYTES = 16 * 2**20  # one row's XML, held whole while it is parsed
CSV_FIELD_MAX = 131_072  # Python's csv default: a longer field is an unterminated quote
_CHINESE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
Rows = Iterator[tuple[int, list]]


class UnreadableRow(Exception):
    """The source cannot be read from ``row`` on; ``reason`` is Chinese."""

    def __init__(self, row: int, reason: str):
        super().__init__(reason)
        self.row = row
        self.reason = reason


Chunks = Iterator[tuple[list[int], list[list]]]  # row numbers, rows


def chunked(rows: Rows, size: int) -> Chunks:
    while batch := list(islice(rows, size)):
        yield [number for number, _row in batch], [row for _number, row in batch]


@dataclass
class SourceTable:
    name: str  # the national table name (upper case)
    origin: str  # file or sheet it came from
    columns: list[str]
    stream: Callable[[int], Chunks] = field(repr=False)  # row numbers and rows, non-blank rows only

    def chunks(self, size: int = 5_000) -> Chunks:
        return self.stream(size)

    def rows(self) -> Rows:
        for numbers, rows in self.stream(5_000):
            yield from zip(numbers, rows)


@dataclass
class Source:
    path: Path
    kind: str  # "mdb", "csv", "xlsx", "demo"
    tables: dict[str, SourceTable] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # tables/files we do not read
    close: Callable[[], None] = lambda: None

    def add(self, table: SourceTable) -> None:
        if table.name in self.tables:
            raise ArchiveError(
                f"数据源 {self.path} 中表 {table.name} 出现了两次（{self.tables[table.name].origin}、{table.origin}），"
                "请只保留一个"
            )
        self.tables[table.name] = table


def _table_name(raw: str) -> str | None:
    name = unicodedata.normalize("NFKC", raw).strip().upper()
    return name if name in TABLES else None


def clean_header(columns: list[object]) -> list[str]:
    return [unicodedata.normalize("NFKC", str(c or "")).strip().lstrip("\ufeff").upper() for c in columns]


def _mis_decoded(utf8_has_chinese: bool, utf8_is_ascii: bool, gb18030_has_chinese: Callable[[], bool]) -> bool:
    """GB18030 bytes can happen to be valid UTF-8 too (农 = C5 A9 reads as ũ). A UTF-8
    reading with Chinese characters is UTF-8; one whose non-ASCII characters are all
    something else, while the GB18030 reading is Chinese, was GB18030."""
    return not utf8_has_chinese and not utf8_is_ascii and gb18030_has_chinese()


def decode_text(data: bytes, where: Path) -> str:
    """Text of a file in UTF-8 (with or without BOM) or GB18030, as Chinese Excel exports often are."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ArchiveError(f"文件 {where} 以 UTF-8 标记开头，但含有无法识别的字符") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise ArchiveError(f"文件 {where} 的编码无法识别（应为 UTF-8 或 GB18030）") from None

    def gb18030_has_chinese() -> bool:
        try:
            return bool(_CHINESE.search(data.decode("gb18030")))
        except UnicodeDecodeError:
            return False

    if _mis_decoded(bool(_CHINESE.search(text)), text.isascii(), gb18030_has_chinese):
        return data.decode("gb18030")
    return text


ENCODING_SAMPLE = 8 << 20  # bytes read to tell the encoding: a county's CSV has Chinese on every row


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` or ``gb18030``, from the file's first megabytes (a county's files are large;
    a byte further on that is not UTF-8 then ends the import with a message naming the row)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    chinese, ascii_only = False, True
    with path.open("rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        sample = handle.read(ENCODING_SAMPLE)
        whole = len(sample) < ENCODING_SAMPLE
        try:
            text = decoder.decode(sample, final=whole)
        except UnicodeDecodeError:
            return "gb18030"
        chinese, ascii_only = bool(_CHINESE.search(text)), text.isascii()

    def gb18030_has_chinese() -> bool:
        return bool(_CHINESE.search(sample.decode("gb18030", errors="replace")))

    return "gb18030" if _mis_decoded(chinese, ascii_only, gb18030_has_chinese) else "utf-8-sig"


def _delimiter(header_line: str) -> str:
    """Comma unless the header line is clearly tab- or semicolon-separated."""
    counts = {sep: header_line.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_problem(error: Exception) -> str:
    text = str(error)
    if "unexpected end of data" in text:
        return "引号没有闭合（该行的引号一直到文件末尾都没有结束），这一行及以后各行无法读取"
    if "field larger than field limit" in text:
        return f"字段超过 {CSV_FIELD_MAX} 个字符，多半是引号没有闭合，这一行及以后各行无法读取"
    if "expected after" in text:
        return "引号后面紧跟了其他字符（引号没有成对），这一行及以后各行无法读取"
    if isinstance(error, UnicodeDecodeError):
        return "含有无法识别的字符（文件编码应为 UTF-8 或 GB18030），这一行及以后各行无法读取"
    return "不是合法的 CSV，这一行及以后各行无法读取"


class CsvTable:
    """One CSV/TXT file of a national table, read row by row."""

    def __init__(self, path: Path):
        self.path = path
        self.encoding = detect_encoding(path)
        try:
            with path.open(encoding=self.encoding, newline="") as handle:
                first_line = handle.readline()
                handle.seek(0)
                self.delimiter = _delimiter(first_line)
                header = next(csv.reader(handle, delimiter=self.delimiter, strict=True), [])
        except (csv.Error, UnicodeDecodeError) as error:
            raise ArchiveError(f"文件 {path} 第1行（表头）{_csv_problem(error)}") from None
        self.columns = clean_header(header)

    def _reader(self, handle):
        return csv.reader(handle, delimiter=self.delimiter, strict=True)

    def chunks(self, size: int) -> Chunks:
        with self.path.open(encoding=self.encoding, newline="") as handle:
            reader = self._reader(handle)
            next(reader, None)  # the header
            number = 1  # the last record read (the header is row 1)
            while True:
                try:
                    rows = list(islice(reader, size))
                except (csv.Error, UnicodeDecodeError) as error:
                    raise UnreadableRow(self._failing_row(), _csv_problem(error)) from None
                if not rows:
                    return
                numbers = list(range(number + 1, number + 1 + len(rows)))
                number += len(rows)
                if not all(map(any, rows)):  # blank lines: skipped, their numbers kept for the others
                    numbers = [n for n, row in zip(numbers, rows) if any(row)]
                    rows = [row for row in rows if any(row)]
                yield numbers, rows

    def _failing_row(self) -> int:
        """The row number of the record the reader could not read (found by reading again)."""
        number = 0
        with self.path.open(encoding=self.encoding, newline="") as handle:
            try:
                for _row in self._reader(handle):
                    number += 1
            except (csv.Error, UnicodeDecodeError):
                pass
        return number + 1


def read_csv_folder(folder: Path) -> Source:
    source = Source(folder, "csv")
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".csv", ".txt") or not path.is_file():
            continue
        name = _table_name(path.stem)
        if name is None:
            source.ignored.append(path.name)
            continue
        table = CsvTable(path)
        source.add(SourceTable(name, path.name, table.columns, table.chunks))
    return source


# ---- Excel ---------------------------------------------------------------------------------


def _cell_parser_class():
    """openpyxl's sheet parser, told to mark formulas without a stored result and error cells.

    openpyxl (data_only) gives such cells as empty or as the error text; a name that is a
    formula Excel never calculated would then be imported as an empty name."""
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser  # loaded late: openpyxl takes 0.3 s

    class CellParser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["data_type"] == "e":
                cell["value"] = CellProblem(f"单元格 {element.get('r', '')} 是 Excel 的错误值 {cell['value']}")
            elif element.find(FORMULA_TAG) is not None and not element.findtext(VALUE_TAG):
                formula = element.findtext(FORMULA_TAG) or ""
                cell["value"] = CellProblem(
                    f"单元格 {element.get('r', '')} 是公式（={formula}），文件中没有保存计算结果；"
                    "请在 Excel 中打开、重新计算并保存，或把公式“粘贴为数值”后再导入")
            return cell

    return CellParser


class XlsxSheet:
    """One worksheet, streamed row by row through openpyxl's own sheet parser."""

    def __init__(self, book, sheet, path: Path):
        self.book, self.sheet, self.path = book, sheet, path
        self.columns: list[str] = []
        self.header_row = 0
        for number, row in self._raw_rows(header_only=True):
            self.columns, self.header_row = clean_header(row), number
            break

    def _raw_rows(self, header_only: bool = False) -> Rows:
        parser_class = _cell_parser_class()
        book = self.book
        number = 0
        try:
            with book._archive.open(self.sheet._worksheet_path) as packed, \
                    io.BufferedReader(BoundedSheet(packed)) as handle:
                parser = parser_class(handle, self.sheet._shared_strings, data_only=True, epoch=book.epoch,
                                      date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
                width = len(self.columns) if not header_only else EXCEL_MAX_COLUMNS
                for number, cells in parser.parse():
                    if number > EXCEL_MAX_ROWS:
                        raise UnreadableRow(
                            number, f"超过 Excel 的最大行数 {EXCEL_MAX_ROWS:,} 行：文件不是 Excel 保存的，或已损坏")
                    row = [None] * (width if not header_only else (cells[-1]["column"] if cells else 0))
                    for cell in cells:
                        column = cell["column"]
                        if column > EXCEL_MAX_COLUMNS:
                            raise UnreadableRow(
                                number, f"第{column}列超过 Excel 的最大列数 {EXCEL_MAX_COLUMNS}：文件已损坏")
                        if column <= len(row):
                            row[column - 1] = cell["value"]
                    yield number, row
        except UnreadableRow:
            raise
        except TooLarge as error:
            raise UnreadableRow(number + 1, f"{error.what}：文件已损坏或不是 Excel 保存的，这张表没有导入") from None
        except Exception as error:  # noqa: BLE001 - broken XML, zip or cell data: say so, never a traceback
            raise UnreadableRow(number + 1, f"工作表已损坏，无法读取（{_xml_problem(error)}）；"
                                            "请在 Excel 中打开后另存为 .xlsx 再导入") from None

    def rows(self) -> Rows:
        for number, row in self._raw_rows():
            if number > self.header_row and any(value is not None and value != "" for value in row):
                yield number, row


def _xml_problem(error: Exception) -> str:
    """What a broken sheet's error means, in Chinese (the parser's own words are English)."""
    if isinstance(error, SyntaxError):  # xml.etree's ParseError
        return "XML 格式错误"
    if isinstance(error, (zipfile.BadZipFile, EOFError, zlib.error)):
        return "压缩数据已损坏"
    return "单元格数据无法识别"


def _megabytes(size: int) -> str:
    return f"{size // 2**30} GB" if size >= 2**30 else f"{size // 2**20} MB"


class TooLarge(Exception):
    """A part of a workbook is larger unpacked than any real workbook's; ``what`` says which limit (Chinese)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class BoundedSheet(io.RawIOBase):
    """A worksheet's XML as it is unpacked, stopped as soon as the sheet or one row grows beyond what
    Excel can write: openpyxl's parser holds a whole row (and every cell in it) before it yields it."""

    def __init__(self, handle):
        self.handle = handle
        self.total = 0
        self.since_row = 0  # bytes since the last <row ...> or </row>
        self.tail = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.handle.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self.total += count
        if self.total > SHEET_MAX_BYTES:
            raise TooLarge(f"工作表解开后超过 {_megabytes(SHEET_MAX_BYTES)}")
        seen = self.tail + data
        last = max(seen.rfind(b"<row"), seen.rfind(b"</row>"))
        self.since_row = len(seen) - last if last >= 0 else self.since_row + count
        self.tail = data[-5:]
        if self.since_row > ROW_MAX_BYTES:
            raise TooLarge(f"一行解开后超过 {_megabytes(ROW_MAX_BYTES)}（Excel 写不出这样的行）")
        return count


def _unpacked_size(package: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, count: bytes = b"") -> tuple[int, int]:
    """The bytes ``info`` really unpacks to (read, not taken from the directory), stopping past
    ``limit``; and how often ``count`` occurs in it."""
    size = occurrences = 0
    tail = b""
    with package.open(info) as handle:
        while chunk := handle.read(1 << 20):
            size += len(chunk)
            if size > limit:
                break
            if count:
                occurrences += (tail + chunk).count(count)
                tail = chunk[-(len(count) - 1):]
    return size, occurrences


def _check_package(path: Path) -> None:
    """Refuse a workbook whose parts would not fit in a modest PC's memory: the 文字表 and the other
    parts openpyxl reads whole, by their unpacked size and the number of strings."""
    way_out = "：文件已损坏或不是 Excel 保存的；请在 Excel 中打开后把各表分别另存为 CSV（UTF-8）后导入文件夹"
    try:
        with zipfile.ZipFile(path) as package:
            for info in package.infolist():
                name = info.filename.lower()
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    continue  # streamed: bounded while it is read (BoundedSheet)
                if name.endswith("sharedstrings.xml"):
                    size, strings = _unpacked_size(package, info, SHARED_STRINGS_MAX_BYTES, b"<si")
                    if size > SHARED_STRINGS_MAX_BYTES or strings > SHARED_STRINGS_MAX_COUNT:
                        raise ArchiveError(
                            f"Excel 文件 {path} 的文字表超过上限（{_megabytes(SHARED_STRINGS_MAX_BYTES)}、"
                            f"{SHARED_STRINGS_MAX_COUNT:,} 条）{way_out}")
                elif _unpacked_size(package, info, PART_MAX_BYTES)[0] > PART_MAX_BYTES:
                    raise ArchiveError(f"Excel 文件 {path} 中的 {info.filename} 解开后超过 "
                                       f"{_megabytes(PART_MAX_BYTES)}{way_out}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error):
        raise ArchiveError(f"无法读取 Excel 文件 {path}：不是有效的 .xlsx 文件（压缩包已损坏）") from None


def read_xlsx(path: Path) -> Source:
    from openpyxl import load_workbook  # loaded late: openpyxl takes 0.3 s

    _check_package(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a broken package: said in Chinese
        raise ArchiveError(f"无法读取 Excel 文件 {path}：文件已损坏；请在 Excel 中打开后另存为 .xlsx 再导入") from None
    source = Source(path, "xlsx", close=book.close)
    try:
        for sheet in book.worksheets:
            name = _table_name(sheet.title)
            if name is None:
                source.ignored.append(sheet.title)
                continue
            try:
                table = XlsxSheet(book, sheet, path)
            except UnreadableRow as error:
                raise ArchiveError(f"Excel 文件 {path} 的工作表 {sheet.title} 第{error.row}行{error.reason}") from None
            source.add(SourceTable(name, sheet.title, table.columns,
                                   lambda size, table=table: chunked(table.rows(), size)))
    except BaseException:
        book.close()
        raise
    return source


# ---- Access --------------------------------------------------------------------------------

ACCESS_DAMAGED = ("无法读取 Access 数据库 {path}：文件已损坏或不完整（可能复制时中断）{where}；"
                  "请从原电脑重新复制，或在 Access 中“压缩和修复数据库”、把各表导出为 Excel 后再导入")


class _AccessTroubles(logging.Handler):
    """What access-parser logs while it reads (an overflow record not found, a record it skipped):
    counted here, never printed in English on the archivist's screen. A record it could not parse
    would otherwise be left out of the import without a word."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _watch_access_parser() -> _AccessTroubles:
    logger = logging.getLogger("access_parser")
    logger.propagate = False  # its warnings are ours to say, in Chinese
    troubles = next((h for h in logger.handlers if isinstance(h, _AccessTroubles)), None)
    if troubles is None:
        troubles = _AccessTroubles()
        logger.addHandler(troubles)
    return troubles


def _access_rows(database, raw_name: str, columns: list[str], troubles: _AccessTroubles | None = None) -> Rows:
    """A table's rows, one data page at a time (access-parser parses a whole table at once)."""
    troubles = troubles or _watch_access_parser()
    table = database.get_table(raw_name)
    pages = list(table.table.linked_pages or [])
    number = 0
    try:
        for page in pages:
            table.table.linked_pages = [page]
            table.parsed_table = defaultdict(list)
            before = troubles.count
            try:
                parsed = table.parse()
            except Exception:  # noqa: BLE001 - access-parser raises bare errors on damaged pages
                raise UnreadableRow(number + 1, "数据页已损坏，无法读取（文件可能不完整）") from None
            if troubles.count > before:
                raise UnreadableRow(number + 1, "数据页中有无法读取的记录（文件可能已损坏或不完整），这张表没有导入")
            values = [parsed.get(name) or [] for name in columns]
            count = max((len(v) for v in values), default=0)
            for index in range(count):
                number += 1
                row = [column[index] if index < len(column) else None for column in values]
                if any(value is not None and value != "" for value in row):
                    yield number, row
    finally:
        table.table.linked_pages = pages  # the parser's table object is shared: leave it whole


def read_access(path: Path) -> Source:
    from access_parser import AccessParser  # loaded late: only for .mdb sources

    troubles = _watch_access_parser()
    before = troubles.count
    try:
        database = AccessParser(str(path))
    except Exception:  # noqa: BLE001 - access-parser raises bare errors on foreign or cut files
        raise ArchiveError(ACCESS_DAMAGED.format(path=path, where="，无法打开")) from None
    if troubles.count > before:
        raise ArchiveError(ACCESS_DAMAGED.format(path=path, where=f"：{troubles.count - before} 处数据无法读取"))
    source = Source(path, "mdb")
    for raw_name in database.catalog:
        if raw_name.startswith("MSys"):
            continue
        name = _table_name(raw_name)
        if name is None:
            source.ignored.append(raw_name)
            continue
        try:
            definition = database.get_table(raw_name)
            names = [column.col_name_str for _index, column in sorted(definition.columns.items())]
        except Exception:  # noqa: BLE001
            raise ArchiveError(ACCESS_DAMAGED.format(path=path, where=f"：表 {raw_name} 无法读取")) from None
        if troubles.count > before:
            raise ArchiveError(ACCESS_DAMAGED.format(path=path, where=f"：表 {raw_name} 的定义无法读取"))
        source.add(SourceTable(name, raw_name, clean_header(names),
                               lambda size, raw_name=raw_name, names=names: chunked(
                                   _access_rows(database, raw_name, names, troubles), size)))
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
    elif path.suffix.lower() in (".csv", ".txt"):
        raise ArchiveError(f"{path} 是单个 CSV 文件；请指定存放 FBF.csv、CBF.csv 等文件的文件夹")
    else:
        raise ArchiveError(
            f"无法识别数据源 {path} 的格式：应为 .mdb/.accdb 数据库、.xlsx 工作簿或存放 CSV 文件的文件夹"
        )
    missing = [name for name, table in TABLES.items() if table.required and name not in source.tables]
    if missing:
        source.close()
        raise ArchiveError(
            f"数据源 {path} 缺少必需的表：{'、'.join(missing)}"
            + (f"（找到的表：{'、'.join(source.tables) or '无'}）")
        )
    return source
