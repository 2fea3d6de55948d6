"""Reading a source table in chunks of converted rows (读取): the first step of the import.

A chunk is converted a column at a time: a column of plain text cells, as CSV files give,
goes through C-level fast paths (``str.strip``, ``float``, ``date.fromisoformat``); a
column with anything else (Excel and Access cells, empty numbers, dates with slashes)
falls back to the careful converters of :mod:`archive_tui.core.values`, which name
what is wrong with a value. A row with an unreadable value is rejected, with every bad
field named.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.importing.report import ImportReport, Reject
from archive_tui.services.exchange.nyt2539 import FieldMap, Kind, TableMap
from archive_tui.services.exchange.sources import Source, UnreadableRow
from archive_tui.core.values import (
    INTEGER_MAX, NUMBER_MAX, CellProblem, ValueProblem, as_code, as_code_value, as_date, as_integer, as_name,
    as_number, as_text, refuse_control,
)

CHUNK = 5_000
_PLAIN_CODES = re.compile(r"[0-9A-Z\n]*")
_NAME_DOTS = re.compile(r"[.．·・•‧∙⋅]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NOT_PLAIN_NUMBER = re.compile(r"\.\d{7}|[a-zA-Z_]")


class Row:
    """One source row that passed conversion: its row number and its values by attribute."""

    __slots__ = ("number", "values")

    def __init__(self, number: int, values: dict[str, object]):
        self.number = number
        self.values = values


class Batch:
    """A chunk of converted rows, column by column: the checks and the writer take a whole
    column at once where they can (fast), and go row by row only to name a problem."""

    __slots__ = ("numbers", "columns", "_rows")

    def __init__(self, numbers: list[int], columns: dict[str, list]):
        self.numbers = numbers
        self.columns = columns
        self._rows: list[Row] | None = None

    @classmethod
    def of_rows(cls, rows: list[Row], attrs: list[str]) -> "Batch":
        batch = cls([row.number for row in rows], {attr: [row.values[attr] for row in rows] for attr in attrs})
        batch._rows = rows
        return batch

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, attr: str) -> list:
        return self.columns[attr]

    def drop_rows(self) -> None:
        """A column was changed: the rows are made anew when next asked for."""
        self._rows = None

    def rows(self) -> list[Row]:
        if self._rows is None:
            attrs = list(self.columns)
            self._rows = [Row(number, dict(zip(attrs, values)))
                          for number, values in zip(self.numbers, zip(*self.columns.values()))]
        return self._rows


def _converter(fmap: FieldMap) -> Callable[[object], object]:
    """The careful one-value converter of a field (the slow path, which names problems)."""
    kind = fmap.kind
    if kind is Kind.CODE_VALUE:
        width = fmap.width
        return lambda value: as_code_value(value, width)
    return {Kind.TEXT: as_text, Kind.NAME: as_name, Kind.CODE: as_code, Kind.DATE: as_date,
            Kind.NUMBER: as_number, Kind.INTEGER: as_integer}[kind]


# text our CSV export quoted (reports/tables.py); white space but not the newline: across a column of
# empty cells (one per line) \s* ran over every newline from every line, 9 s on a county's column
_QUOTED_FORMULA = re.compile(r"(?m)^[^\S\n]*'[=+\-@]")


def _all_text(column: tuple) -> bool:
    return all(value.__class__ is str for value in column)


def _fast(fmap: FieldMap, column: tuple, all_text: bool = False) -> list | None:
    """The column converted by C-level paths when its cells allow it; None otherwise.
    ``all_text``: the source gives only text cells (CSV), no need to look."""
    if not all_text and not _all_text(column):
        return None
    kind = fmap.kind
    joined = "\n".join(column)
    if _CONTROL.search(joined) or ("'" in joined and _QUOTED_FORMULA.search(joined)):  # the careful path refuses
        # or unquotes them
        return None
    if kind is Kind.TEXT:
        return list(map(str.strip, column))
    if kind is Kind.NAME:
        return list(map(str.strip, column)) if not _NAME_DOTS.search(joined) else None
    if kind is Kind.CODE:
        return list(column) if _PLAIN_CODES.fullmatch(joined) else None
    if kind is Kind.CODE_VALUE:
        width = fmap.width
        if re.fullmatch(rf"(?:\d{{{width}}})?(?:\n(?:\d{{{width}}})?)*", joined):
            return list(column)
        return None
    try:
        if kind is Kind.NUMBER:
            if _NOT_PLAIN_NUMBER.search(joined):  # float noise, nan, inf: the careful path
                return None
            numbers = _with_empty(float, column)
            filled = [number for number in numbers if number is not None]
            if filled and (max(filled) >= NUMBER_MAX or min(filled) <= -NUMBER_MAX):
                return None
            return numbers
        if kind is Kind.INTEGER:
            numbers = _with_empty(int, column)
            filled = [number for number in numbers if number is not None]
            if filled and (max(filled) > INTEGER_MAX or min(filled) < -INTEGER_MAX):
                return None
            return numbers
        if kind is Kind.DATE:
            return _with_empty(dt.date.fromisoformat, column) if "W" not in joined else None
    except ValueError:
        return None
    return None


def _with_empty(convert: Callable[[str], object], column: tuple) -> list:
    """``convert`` over a column of text, an empty cell read as None (optional dates, areas)."""
    if all(column):
        return list(map(convert, column))
    return [convert(cell) if cell else None for cell in column]


def _careful(fmap: FieldMap, column: tuple, problems: dict[int, list[tuple[str, str]]]) -> list:
    convert = _converter(fmap)
    values = []
    for offset, cell in enumerate(column):
        try:
            if cell.__class__ is CellProblem:
                raise ValueProblem(cell.reason)
            if cell.__class__ is str:
                refuse_control(cell)
            values.append(convert(cell))
        except ValueProblem as problem:
            problems.setdefault(offset, []).append((fmap.national, problem.reason))
            values.append(None)
    return values


class TableReader:
    """A source table's rows as chunks of :class:`Row`, with rejects for what cannot be read."""

    def __init__(self, source: Source, table: TableMap, report: ImportReport):
        self.source = source
        self.table = table
        self.report = report
        self.source_table = source.tables.get(table.name)
        self.text_cells = source.kind in ("csv", "demo")  # every cell a str: the fast paths need not check
        self.present: list[FieldMap] = []  # the national fields this source has
        self.readable = self.source_table is not None and self._check_header()

    @property
    def label(self) -> str:
        return f"{self.table.name} {self.table.label}"

    def reject(self, row: int, field_name: str, reason: str) -> None:
        self.report.reject(Reject(self.label, row, field_name, reason))

    def _check_header(self) -> bool:
        columns = self.source_table.columns
        known = {f.national for f in self.table.fields}
        seen: dict[str, int] = {}
        readable = True
        for index, name in enumerate(columns, start=1):
            if name in seen and name in known:
                self.reject(1, name, f"字段 {name} 出现了两次（第{seen[name]}列和第{index}列），无法确定用哪一列；"
                                     "请删去多余的一列后重新导入（这张表没有导入）")
                readable = False
            seen.setdefault(name, index)
        extra = [name for name in columns if name and name not in known]
        if extra:
            self.report.ignored_columns[self.table.name] = extra
        self.present = [f for f in self.table.fields if f.national in seen]
        key = self.table.fields[0]
        if key not in self.present:
            raise ArchiveError(
                f"表 {self.table.name}（{self.source_table.origin}）缺少字段 {key.national}；"
                f"找到的字段：{'、'.join(columns) or '无'}"
            )
        return readable

    def chunks(self, size: int = CHUNK) -> Iterator[Batch]:
        if not self.readable:
            return
        positions = {name: i for i, name in enumerate(self.source_table.columns)}
        indexes = [positions[f.national] for f in self.present]
        absent = [(f.attr, _absent_value(f)) for f in self.table.fields if f not in self.present]
        attrs = [f.attr for f in self.present] + [attr for attr, _value in absent]
        try:
            for numbers, rows in self.source_table.chunks(size):
                batch = self._convert(numbers, rows, indexes, attrs, absent)
                if batch:
                    yield batch
        except UnreadableRow as error:
            self.reject(error.row, "", error.reason)

    def _convert(self, numbers: list[int], rows: list[list], indexes: list[int], attrs: list[str],
                 absent: list[tuple[str, object]]) -> Batch:
        if not rows:
            return Batch([], {attr: [] for attr in attrs})
        width = max(indexes, default=-1) + 1
        fill = "" if self.text_cells else None
        if min(map(len, rows)) < width:  # short rows (trailing empty cells left out) are filled up
            rows = [row if len(row) >= width else [*row, *[fill] * (width - len(row))] for row in rows]
        by_column = list(zip(*rows))
        problems: dict[int, list[tuple[str, str]]] = {}
        columns = []
        for fmap, index in zip(self.present, indexes):
            column = by_column[index]
            converted = _fast(fmap, column, self.text_cells)
            if converted is None:
                converted = _careful(fmap, column, problems)
            columns.append(converted)
        columns.extend([value] * len(numbers) for _attr, value in absent)
        if problems:
            for offset in sorted(problems):
                for field_name, reason in problems[offset]:
                    self.reject(numbers[offset], field_name, reason)
            good = [offset for offset in range(len(numbers)) if offset not in problems]
            numbers = [numbers[offset] for offset in good]
            columns = [[column[offset] for offset in good] for column in columns]
        return Batch(numbers, dict(zip(attrs, columns)))


def _absent_value(fmap: FieldMap) -> object:
    return None if fmap.kind in (Kind.DATE, Kind.NUMBER, Kind.INTEGER) else ""
