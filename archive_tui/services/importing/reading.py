"""Reading a source table in chunks of converted rows (读取): the first step of the import.

A chunk is converted a column at a time: a column of plain text cells, as CSV files give,
goes through C-level fast paths (``str.strip``, ``float``, ``date.fromisoformat``); a
column with anything else (Excel and Access cells, empty numbers, dates with slashes)
falls back to the careful converters of :mod:`archive_tui.services.values`, which name
what is wrong with a value. A row with an unreadable value is rejected, with every bad
field named.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from itertools import islice, zip_longest

from archive_tui.errors import ArchiveError
from archive_tui.services.importing.report import ImportReport, Reject
from archive_tui.services.nyt2539 import FieldMap, Kind, TableMap
from archive_tui.services.sources import Source, UnreadableRow
from archive_tui.services.values import (
    INTEGER_MAX, NUMBER_MAX, CellProblem, ValueProblem, as_code, as_code_value, as_date, as_integer, as_name,
    as_number, as_text,
)

CHUNK = 5_000
_PLAIN_CODES = re.compile(r"[0-9A-Z\n]*")
_NAME_DOTS = re.compile(r"[.．·・•‧∙⋅]")
_NOISY_DECIMALS = re.compile(r"\.\d{7}")


class Row:
    """One source row that passed conversion: its row number and its values by attribute."""

    __slots__ = ("number", "values")

    def __init__(self, number: int, values: dict[str, object]):
        self.number = number
        self.values = values


def _converter(fmap: FieldMap) -> Callable[[object], object]:
    """The careful one-value converter of a field (the slow path, which names problems)."""
    kind = fmap.kind
    if kind is Kind.CODE_VALUE:
        width = fmap.width
        return lambda value: as_code_value(value, width)
    return {Kind.TEXT: as_text, Kind.NAME: as_name, Kind.CODE: as_code, Kind.DATE: as_date,
            Kind.NUMBER: as_number, Kind.INTEGER: as_integer}[kind]


def _all_text(column: tuple) -> bool:
    return all(value.__class__ is str for value in column)


def _fast(fmap: FieldMap, column: tuple) -> list | None:
    """The column converted by C-level paths when its cells allow it; None otherwise."""
    if not _all_text(column):
        return None
    kind = fmap.kind
    if kind is Kind.TEXT:
        return list(map(str.strip, column))
    joined = "\n".join(column)
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
            if _NOISY_DECIMALS.search(joined):
                return None
            numbers = list(map(float, column))
            if numbers and (max(numbers) >= NUMBER_MAX or min(numbers) <= -NUMBER_MAX or any(n != n for n in numbers)):
                return None
            return numbers
        if kind is Kind.INTEGER:
            numbers = list(map(int, column))
            if numbers and (max(numbers) > INTEGER_MAX or min(numbers) < -INTEGER_MAX):
                return None
            return numbers
        if kind is Kind.DATE:
            return list(map(dt.date.fromisoformat, column)) if "W" not in joined else None
    except ValueError:
        return None
    return None


def _careful(fmap: FieldMap, column: tuple, first: int, problems: dict[int, list[tuple[str, str]]]) -> list:
    convert = _converter(fmap)
    values = []
    for offset, cell in enumerate(column):
        try:
            if cell.__class__ is CellProblem:
                raise ValueProblem(cell.reason)
            values.append(convert(cell))
        except ValueProblem as problem:
            problems.setdefault(first + offset, []).append((fmap.national, problem.reason))
            values.append(None)
    return values


class TableReader:
    """A source table's rows as chunks of :class:`Row`, with rejects for what cannot be read."""

    def __init__(self, source: Source, table: TableMap, report: ImportReport):
        self.source = source
        self.table = table
        self.report = report
        self.source_table = source.tables.get(table.name)
        self.present: list[FieldMap] = []  # the national fields this source has
        self.readable = self.source_table is not None and self._check_header()

    @property
    def label(self) -> str:
        return f"{self.table.name} {self.table.label}"

    def reject(self, row: int, field_name: str, reason: str) -> None:
        self.report.reject(Reject(self.label, row, field_name, reason))

    def has(self, attr: str) -> bool:
        return any(f.attr == attr for f in self.present)

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

    def chunks(self, size: int = CHUNK) -> Iterator[list[Row]]:
        if not self.readable:
            return
        positions = {name: i for i, name in enumerate(self.source_table.columns)}
        indexes = [positions[f.national] for f in self.present]
        attrs = [f.attr for f in self.present]
        absent = {f.attr: _absent_value(f) for f in self.table.fields if f not in self.present}
        stream = self.source_table.rows()
        try:
            while True:
                raw = list(islice(stream, size))
                if not raw:
                    return
                rows = self._convert(raw, indexes, attrs, absent)
                if rows:
                    yield rows
        except UnreadableRow as error:
            self.reject(error.row, "", error.reason)

    def _convert(self, raw: list[tuple[int, list]], indexes: list[int], attrs: list[str], absent: dict) -> list[Row]:
        numbers = [number for number, _cells in raw]
        width = max(indexes, default=-1) + 1
        cells = [row if len(row) >= width else [*row, *[None] * (width - len(row))] for _n, row in raw]
        by_column = list(zip_longest(*cells)) if cells else []
        problems: dict[int, list[tuple[str, str]]] = {}
        columns = []
        for fmap, index in zip(self.present, indexes):
            column = by_column[index]
            converted = _fast(fmap, column)
            if converted is None:
                converted = _careful(fmap, column, 0, problems)
            columns.append(converted)
        rows = []
        for offset, values in enumerate(zip(*columns)):
            if offset in problems:
                for field_name, reason in problems[offset]:
                    self.reject(numbers[offset], field_name, reason)
                continue
            row_values = dict(zip(attrs, values))
            if absent:
                row_values.update(absent)
            rows.append(Row(numbers[offset], row_values))
        return rows


def _absent_value(fmap: FieldMap) -> object:
    return None if fmap.kind in (Kind.DATE, Kind.NUMBER, Kind.INTEGER) else ""
