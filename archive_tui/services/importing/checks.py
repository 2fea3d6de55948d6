"""Reading and checking the source's rows (校验): conversions, rejects and flags."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

from sqlalchemy import Connection, Table, select

from archive_tui.errors import ArchiveError
from archive_tui.services.importing.report import Flag, ImportReport, Reject
from archive_tui.services.nyt2539 import EVENT_TABLES, TABLES, Kind, TableMap
from archive_tui.services.sources import Source
from archive_tui.services.values import ValueProblem, as_code, as_date, as_integer, as_number, as_text
from models import Certificate, Household, Issuer, Parcel
from models.codes import IdType, Relation, Sex, YesNo
from models.validators import (
    check_contract_code, check_household_code, check_id_number, check_issuer_code,
    check_method_suffix, check_parcel_code, check_sequence_range,
)

ISSUER, HOUSEHOLD, PARCEL, CERTIFICATE = Issuer.__table__, Household.__table__, Parcel.__table__, Certificate.__table__
date_from_iso = date.fromisoformat

MEMBER_CODE_LISTS = (
    ("性别", frozenset(Sex), "sex"),
    ("与户主关系", frozenset(Relation), "relation"),
    ("是否共有人", frozenset(YesNo), "is_co_owner"),
)

_CONVERT = {
    Kind.TEXT: as_text, Kind.CODE: as_code, Kind.DATE: as_date,
    Kind.NUMBER: as_number, Kind.INTEGER: as_integer,
}


class Row:
    """One source row that passed conversion: its row number and its values by attribute."""

    __slots__ = ("number", "values")

    def __init__(self, number: int, values: dict[str, object]):
        self.number = number
        self.values = values


class SourceChecker:
    """Turns the source's tables into clean rows, rejects and flags."""

    def __init__(self, source: Source, township_code: str, known: "KnownCodes", report: ImportReport):
        self.source = source
        self.township = township_code
        self.known = known
        self.report = report
        self.rows: dict[str, dict[object, Row]] = {}

    def reject(self, table: TableMap, row: int, field_name: str, reason: str) -> None:
        self.report.rejects.append(Reject(f"{table.name} {table.label}", row, field_name, reason))

    def flag(self, household: str, rule: str, subject: str, message: str, severity: str = "error") -> None:
        self.report.flags.append(Flag(household, rule, subject, message, severity))

    def read(self, table: TableMap) -> list[Row]:
        """Convert every non-empty row of a table; rows with unreadable values are rejected."""
        source_table = self.source.tables.get(table.name)
        if source_table is None:
            return []
        positions = {name: i for i, name in enumerate(source_table.columns)}
        key_field = table.fields[0].national
        if key_field not in positions and source_table.rows:
            raise ArchiveError(
                f"表 {table.name}（{source_table.origin}）缺少字段 {key_field}；"
                f"找到的字段：{'、'.join(source_table.columns)}"
            )
        width = len(source_table.columns)
        indexes = [positions.get(f.national, width) for f in table.fields]  # width: a padded None
        getter = itemgetter(*indexes)
        plan = [(f.attr, _CONVERT[f.kind], f.kind in (Kind.TEXT, Kind.CODE)) for f in table.fields]
        padding = [None] * (width + 1)
        attrs = [attr for attr, _convert, _plain in plan]
        numbers = [f.attr for f in table.fields if f.kind is Kind.NUMBER]
        dates = [f.attr for f in table.fields if f.kind is Kind.DATE]
        others = [(f.attr, _CONVERT[f.kind]) for f in table.fields if f.kind is Kind.INTEGER]
        fast = self.source.kind == "csv" and width not in indexes  # str cells, no missing column
        rows = []
        first = source_table.first_row_number
        for offset, raw in enumerate(source_table.rows):
            try:
                if fast and len(raw) >= width:
                    cells = getter(raw)
                    values = dict(zip(attrs, map(str.strip, cells)))
                    for attr in numbers:  # inline fast paths: millions of cells
                        text = values[attr]
                        try:
                            number = float(text) if text else None
                            if number is not None and number - number != 0:  # nan, inf
                                number = as_number(text)
                        except ValueError:
                            number = as_number(text)
                        values[attr] = number
                    for attr in dates:
                        text = values[attr]
                        try:
                            iso = len(text) == 10 and text[4] == "-" and text[7] == "-"
                            values[attr] = date_from_iso(text) if iso else as_date(text)
                        except ValueError:
                            values[attr] = as_date(text)
                    for attr, convert in others:
                        values[attr] = convert(values[attr])
                else:
                    if not any(raw):
                        continue
                    cells = getter(raw if len(raw) > width else [*raw, *padding[: width + 1 - len(raw)]])
                    values = {
                        attr: cell.strip() if plain and cell.__class__ is str else convert(cell)
                        for (attr, convert, plain), cell in zip(plan, cells)
                    }
            except ValueProblem:
                self._reject_cells(table, first + offset, cells)
                continue
            rows.append(Row(first + offset, values))
        source_table.rows = []  # consumed: free the raw cells before the next table is read
        return rows

    def _reject_cells(self, table: TableMap, number: int, cells: tuple) -> None:
        """List every unreadable value of a row (the slow path, only for bad rows)."""
        for fmap, cell in zip(table.fields, cells):
            try:
                _CONVERT[fmap.kind](cell)
            except ValueProblem as problem:
                self.reject(table, number, fmap.national, problem.reason)

    def in_township(self, code: str) -> bool:
        if code.startswith(self.township):
            return True
        self.report.other_township_rows += 1
        self.report.other_townships.add(code[:9])
        return False

    def keep(self, table: TableMap, rows: list[Row], key: Callable[[dict], object], check) -> dict[object, Row]:
        """Keep the rows that pass ``check`` (returns (field, reason) or None) and are unique."""
        kept: dict[object, Row] = {}
        for row in rows:
            problem = check(row.values)
            if problem == "skip":
                continue
            if problem:
                self.reject(table, row.number, *problem)
                continue
            row_key = key(row.values)
            if row_key in kept:
                self.reject(table, row.number, table.fields[0].national,
                            f"与第{kept[row_key].number}行重复（{row_key}）")
                continue
            kept[row_key] = row
        self.rows[table.name] = kept
        return kept

    # the tables, parents first ---------------------------------------------------------

    def issuers(self) -> None:
        def check(v):
            problem = check_issuer_code(v["code"])
            if problem:
                return "FBFBM", problem
            return None if self.in_township(v["code"]) else "skip"

        self.keep(TABLES["FBF"], self.read(TABLES["FBF"]), lambda v: v["code"], check)

    def households(self) -> None:
        issuers = self.rows["FBF"].keys() | self.known.issuers

        def check(v):
            code = v["code"]
            problem = check_household_code(code)
            if problem:
                return "CBFBM", problem
            if not self.in_township(code):
                return "skip"
            if code[:14] not in issuers:
                return "CBFBM", f"承包方编码“{code}”的发包方“{code[:14]}”不存在"
            return None

        kept = self.keep(TABLES["CBF"], self.read(TABLES["CBF"]), lambda v: v["code"], check)
        for code, row in kept.items():
            v = row.values
            problem = check_sequence_range(code, v["contractor_type"])
            if problem:
                self.flag(code, "sequence_range", "承包方", problem)
            if v["contractor_type"] in ("", "1") and v["id_type"] in ("", IdType.RESIDENT_ID):
                self.flag_id(code, f"承包方 {v['name']}", v["id_number"])

    def flag_id(self, household: str, subject: str, number: str) -> None:
        result = check_id_number(number)
        if result.status == "legacy":
            self.flag(household, "id_legacy", subject, f"{subject}：{result.reason}", "warning")
        elif not result.ok:
            self.flag(household, "id_number", subject, f"{subject}：{result.reason}")

    def _household_of(self, field_name: str, code: str):
        """None for a known household; (field, reason) for a malformed or unknown one;
        "skip" for another township's."""
        if code in self.rows["CBF"] or code in self.known.households:
            return None
        problem = check_household_code(code)
        if problem:
            return field_name, problem
        if not self.in_township(code):
            return "skip"
        return field_name, f"承包方“{code}”不存在"

    def members(self) -> dict[str, list[dict]]:
        table = TABLES["CBF_JTCY"]
        by_household: dict[str, list[dict]] = defaultdict(list)
        for row in self.read(table):
            v = row.values
            code = v.pop("household_code")
            problem = self._household_of("CBFBM", code)
            if problem == "skip":
                continue
            if problem:
                self.reject(table, row.number, *problem)
                continue
            by_household[code].append(v)
        for code, members in by_household.items():
            for member in members:
                self.check_member(code, member)
        for code, row in self.rows["CBF"].items():
            expected = row.values["member_count"]
            found = len(by_household.get(code, ()))
            if "CBF_JTCY" in self.source.tables and expected is not None and expected != found:
                self.flag(code, "member_count", "承包方",
                          f"承包方成员数量为{expected}，家庭成员表中有{found}人", "warning")
        return by_household

    def check_member(self, code: str, member: dict) -> None:
        """Flag what the archive keeps but inspections object to (missing data, bad IDs, codes)."""
        subject = f"成员 {member['name'] or '（无姓名）'}"
        if not (member["name"] and member["sex"] and member["relation"]):
            missing = [label for label, key in (("姓名", "name"), ("性别", "sex"), ("与户主关系", "relation"))
                       if not member[key]]
            self.flag(code, "member_incomplete", subject, f"{subject}：缺少{'、'.join(missing)}")
        if member["id_type"] in ("", IdType.RESIDENT_ID):
            self.flag_id(code, subject, member["id_number"])
        for label, codes, key in MEMBER_CODE_LISTS:
            value = member[key]
            if value and value not in codes:
                self.flag(code, "code_list", subject, f"{subject}：{label}代码“{value}”不在代码表中", "warning")

    def parcels(self) -> None:
        def check(v):
            problem = self._household_of("CBFBM", v["household_code"])
            if problem:
                return problem
            problem = check_parcel_code(v["code"], v["household_code"][:14])
            if problem:
                return "DKBM", problem
            if v["issuer_code"] and v["issuer_code"] != v["household_code"][:14]:
                return "FBFBM", f"发包方编码“{v['issuer_code']}”与承包方编码“{v['household_code']}”不符"
            return None

        self.keep(TABLES["CBDKXX"], self.read(TABLES["CBDKXX"]), lambda v: v["code"], check)

        parcels = self.rows["CBDKXX"].keys() | self.known.parcels

        def check_attributes(v):
            problem = check_parcel_code(v["code"])
            if problem:
                return "DKBM", problem
            if not self.in_township(v["code"]):
                return "skip"
            if v["code"] not in parcels:
                return "DKBM", f"地块“{v['code']}”不在承包地块信息表中"
            return None

        self.keep(TABLES["DK"], self.read(TABLES["DK"]), lambda v: v["code"], check_attributes)

    def coded_by_household(self, name: str, what: str) -> None:
        """Contracts and register entries: code = CBFBM + J/Q, household must exist."""
        table = TABLES[name]

        def check(v):
            household = v["household_code"] or v["code"][:18]
            problem = check_contract_code(v["code"], household, what)
            if problem:
                return table.fields[0].national, problem
            problem = self._household_of("CBFBM", household)
            if problem:
                return problem
            if v["issuer_code"] and v["issuer_code"] != household[:14]:
                return "FBFBM", f"发包方编码“{v['issuer_code']}”与承包方编码“{household}”不符"
            return None

        kept = self.keep(table, self.read(table), lambda v: v["code"], check)
        for code, row in kept.items():
            problem = check_method_suffix(code, row.values["method"])
            if problem:
                self.flag(code[:18], "contract_suffix", what, f"{what}：{problem}", "warning")

    def certificates(self) -> None:
        table = TABLES["CBJYQZ"]

        def check(v):
            problem = check_contract_code(v["code"], None, "承包经营权证编码")
            return ("CBJYQZBM", problem) if problem else self._household_of("CBJYQZBM", v["code"][:18])

        self.keep(table, self.read(table), lambda v: v["code"], check)

    def certificate_events(self) -> dict[str, list[Row]]:
        known = self.rows["CBJYQZ"].keys() | self.known.certificates
        events: dict[str, list[Row]] = {}
        for name in EVENT_TABLES:
            table = TABLES[name]
            kept = []
            for row in self.read(table):
                code = row.values["code"]
                problem = check_contract_code(code, None, "承包经营权证编码")
                if problem:
                    self.reject(table, row.number, "CBJYQZBM", problem)
                    continue
                if not self.in_township(code):
                    continue
                if code not in known:
                    self.reject(table, row.number, "CBJYQZBM", f"承包经营权证“{code}”不存在")
                    continue
                kept.append(row)
            events[name] = kept
        return events

    def attachments(self) -> None:
        table = TABLES["QSLYZLFJ"]

        def check(v):
            problem = check_contract_code(v["certificate_code"], None, "承包经营权证编码")
            if problem:
                return "CBJYQZBM", problem
            return self._household_of("CBJYQZBM", v["certificate_code"][:18])

        self.keep(table, self.read(table), lambda v: (v["certificate_code"], v["number"]), check)


@dataclass
class KnownCodes:
    """Codes already in the database (so a partial source can add to them)."""

    issuers: set[str]
    households: set[str]
    parcels: set[str]
    certificates: set[str]

    @classmethod
    def load(cls, connection: Connection, township: str) -> "KnownCodes":
        def codes(table: Table, where=None) -> set[str]:
            query = select(table.c.code).where(table.c.code.startswith(township))
            if where is not None:
                query = query.where(where)
            return set(connection.execute(query).scalars())

        return cls(
            codes(ISSUER), codes(HOUSEHOLD), codes(PARCEL),
            codes(CERTIFICATE, CERTIFICATE.c.generation == "new"),
        )


