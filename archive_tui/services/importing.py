"""Import the NY/T 2539 tables (导入确权登记数据库) into the archive.

Two kinds of problems:

* **rejects** break the structure (a malformed code, a code that does not start with its
  parent's code, a duplicate, a child of an unknown household, an unreadable date or
  number). Without ``skip_rejects`` any reject aborts the whole import: nothing is written.
* **flags** are problems the archive must still hold (a missing or invalid ID number, a
  15-digit legacy ID, a sequence number outside its contractor type's range, a member count
  that does not match). The rows are imported and each flag becomes an open finding.

The whole import is one transaction. Re-importing the same source changes nothing; a later
source updates rows by code and the report lists what changed. Nothing is ever deleted.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, bindparam, select

from archive_tui.config import Config
from archive_tui.db import insert_rows
from archive_tui.errors import ArchiveError
from archive_tui.services import archive_files, audit
from archive_tui.services.nyt2539 import EVENT_TABLES, TABLES, Kind, TableMap
from archive_tui.services.sources import Source, read_source
from archive_tui.services.values import ValueProblem, as_code, as_date, as_integer, as_number, as_text
from models import (
    Attachment, Certificate, CertificateEvent, Contract, Finding, Household, Issuer, Member,
    Parcel, RegisterEntry,
)
from models.codes import IdType, Relation, Sex, YesNo
from models.tables import now
from models.validators import (
    check_contract_code, check_household_code, check_id_number, check_issuer_code,
    check_method_suffix, check_parcel_code, check_sequence_range,
)

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""

ISSUER, HOUSEHOLD, MEMBER, PARCEL = (Issuer.__table__, Household.__table__, Member.__table__, Parcel.__table__)
CONTRACT, REGISTER = Contract.__table__, RegisterEntry.__table__
CERTIFICATE, EVENT, ATTACHMENT, FINDING = (
    Certificate.__table__, CertificateEvent.__table__, Attachment.__table__, Finding.__table__,
)

CHUNK = 20_000
date_from_iso = date.fromisoformat


# --- the report --------------------------------------------------------------------------

@dataclass(frozen=True)
class Reject:
    table: str
    row: int
    field: str
    reason: str

    def line(self) -> str:
        return f"{self.table} 第{self.row}行 {self.field}：{self.reason}"


@dataclass(frozen=True)
class Flag:
    household_code: str
    rule: str
    subject: str
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class Change:
    table: str
    key: str
    field: str
    before: str
    after: str

    def line(self) -> str:
        return f"{self.table} {self.key} {self.field}：“{self.before}” → “{self.after}”"


@dataclass
class TableCount:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    source: str
    kind: str
    counts: dict[str, TableCount] = field(default_factory=lambda: defaultdict(TableCount))
    rejects: list[Reject] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    other_township_rows: int = 0
    other_townships: set[str] = field(default_factory=set)
    ignored: list[str] = field(default_factory=list)
    new_files: int = 0
    findings_opened: int = 0
    findings_resolved: int = 0
    written: bool = False

    @property
    def changed(self) -> bool:
        return any(c.new or c.updated for c in self.counts.values()) or bool(
            self.findings_opened or self.findings_resolved
        )

    def flag_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for flag in self.flags:
            counts[FLAG_RULES.get(flag.rule, flag.rule)] += 1
        return dict(counts)


FLAG_RULES = {
    "id_number": "身份证号码缺失或无效",
    "id_legacy": "15位旧身份证号码待核对",
    "sequence_range": "承包方编码顺序号与承包方类型不符",
    "member_count": "成员数量与家庭成员表不符",
    "code_list": "代码不在国家代码表中",
    "member_incomplete": "成员信息不完整",
    "contract_suffix": "合同编码尾字母与承包方式不符",
}
"""Rules of the flags the import raises (the quality checks use the same rule ids)."""


MEMBER_CODE_LISTS = (
    ("性别", frozenset(Sex), "sex"),
    ("与户主关系", frozenset(Relation), "relation"),
    ("是否共有人", frozenset(YesNo), "is_co_owner"),
)

# --- reading rows ------------------------------------------------------------------------

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


class _Validator:
    """Turns the source's tables into clean rows, rejects and flags."""

    def __init__(self, source: Source, township_code: str, known: "_Known", report: ImportReport):
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
class _Known:
    """Codes already in the database (so a partial source can add to them)."""

    issuers: set[str]
    households: set[str]
    parcels: set[str]
    certificates: set[str]

    @classmethod
    def load(cls, connection: Connection, township: str) -> "_Known":
        def codes(table: Table, where=None) -> set[str]:
            query = select(table.c.code).where(table.c.code.startswith(township))
            if where is not None:
                query = query.where(where)
            return set(connection.execute(query).scalars())

        return cls(
            codes(ISSUER), codes(HOUSEHOLD), codes(PARCEL),
            codes(CERTIFICATE, CERTIFICATE.c.generation == "new"),
        )


# --- writing -----------------------------------------------------------------------------

def _update(connection: Connection, table: Table, rows: list[dict], columns: list[str]) -> None:
    if not rows:
        return
    statement = (
        table.update()
        .where(table.c.id == bindparam("_id"))
        .values({name: bindparam(f"_{name}") for name in columns})
    )
    payload = [{"_id": row["_id"], **{f"_{name}": row[name] for name in columns}} for row in rows]
    for start in range(0, len(payload), CHUNK):
        connection.execute(statement, payload[start:start + CHUNK])


def _shown(value: object) -> str:
    return "" if value is None else as_text(value)


class _Writer:
    def __init__(self, connection: Connection, config: Config, report: ImportReport, progress: Progress):
        self.connection = connection
        self.config = config
        self.report = report
        self.progress = progress
        self.township = config.settings.township.code

    def existing(self, table: Table, key: str = "code") -> dict[str, dict]:
        rows = self.connection.execute(select(table).where(table.c[key].startswith(self.township)))
        return {row._mapping[key]: dict(row._mapping) for row in rows}

    def upsert(self, table_map: TableMap, table: Table, records: dict[str, dict],
               extra: Callable[[str, dict], dict] | None = None, want_ids: bool = True) -> dict[str, int]:
        """Insert new rows, update changed ones (listing each change); returns code → id."""
        existing = self.existing(table)
        columns = [f.attr for f in table_map.fields if f.attr in table.c and f.attr != "code"]
        labels = {f.attr: f.national for f in table_map.fields}
        inserts, updates = [], []
        count = self.report.counts[table_map.label]
        take = itemgetter(*columns)
        for code, values in records.items():
            row = dict(zip(columns, take(values)))
            if extra:
                row.update(extra(code, values))
            old = existing.get(code)
            if old is None:
                row["code"] = code
                inserts.append(row)
                continue
            changed = [name for name, value in row.items() if old[name] != value]
            if not changed:
                count.unchanged += 1
                continue
            count.updated += 1
            for name in changed:
                self.report.changes.append(
                    Change(table_map.label, code, labels.get(name, name), _shown(old[name]), _shown(row[name]))
                )
            updates.append({"_id": old["id"], **row})
        count.new += len(inserts)
        insert_rows(self.connection, table, inserts)
        _update(self.connection, table, updates, list(next(iter(updates)).keys() - {"_id"}) if updates else [])
        if not want_ids:
            return {}
        ids = {code: row["id"] for code, row in existing.items()}
        if inserts:
            ids.update(
                self.connection.execute(
                    select(table.c.code, table.c.id).where(table.c.code.startswith(self.township))
                ).all()
            )
        return ids

    def members(self, by_household: dict[str, list[dict]], household_ids: dict[str, int]) -> None:
        count = self.report.counts["家庭成员"]
        columns = [f.attr for f in TABLES["CBF_JTCY"].fields if f.attr != "household_code"]
        ids = [household_ids[code] for code in by_household]
        current: dict[int, list[tuple]] = defaultdict(list)
        for start in range(0, len(ids), 900):
            rows = self.connection.execute(
                select(MEMBER.c.household_id, *(MEMBER.c[c] for c in columns))
                .where(MEMBER.c.household_id.in_(ids[start:start + 900]))
                .order_by(MEMBER.c.household_id, MEMBER.c.position)
            )
            for household_id, *values in rows:
                current[household_id].append(tuple(values))
        replace, inserts = [], []
        for code, members in by_household.items():
            household_id = household_ids[code]
            wanted = [tuple(m[c] for c in columns) for m in members]
            before = current.get(household_id, [])
            if wanted == before:
                count.unchanged += len(wanted)
                continue
            if before:
                replace.append(household_id)
                count.updated += 1
                self.report.changes.append(Change(
                    "家庭成员", code, "成员", "、".join(m[0] for m in before), "、".join(w[0] for w in wanted)))
            else:
                count.new += len(wanted)
            inserts.extend(
                {"household_id": household_id, "position": i, **dict(zip(columns, values))}
                for i, values in enumerate(wanted)
            )
        for start in range(0, len(replace), 900):
            self.connection.execute(MEMBER.delete().where(MEMBER.c.household_id.in_(replace[start:start + 900])))
        insert_rows(self.connection, MEMBER, inserts)

    def certificates(self, validator: _Validator, household_ids: dict[str, int],
                     events: dict[str, list[Row]]) -> None:
        """New certificates from CBJYQZ (serial from the register), old ones from YCBJYQZBH."""
        register = {code: row.values for code, row in validator.rows["CBJYQZDJB"].items()}
        cancelled = {row.values["code"] for row in events.get("CBJYQZ_QZZX", [])}
        existing = {
            (row.code if row.generation == "new" else row.serial, row.generation): row
            for row in self.connection.execute(
                select(CERTIFICATE).where(CERTIFICATE.c.household_id.in_(
                    select(HOUSEHOLD.c.id).where(HOUSEHOLD.c.code.startswith(self.township))))
            )
        }
        columns = [f.attr for f in TABLES["CBJYQZ"].fields if f.attr != "code"]
        count = self.report.counts["承包经营权证"]
        inserts, updates = [], []

        def status_for(code: str, values: dict) -> str:
            if code in cancelled:
                return "cancelled"
            return "issued" if values.get("collected") == YesNo.YES else "printed"

        for code, row in validator.rows["CBJYQZ"].items():
            values = row.values
            serial = (register.get(code) or {}).get("certificate_serial") or code
            wanted = {name: values[name] for name in columns}
            wanted["serial"] = serial
            old = existing.get((code, "new"))
            if old is None:
                inserts.append({"code": code, "household_id": household_ids[code[:18]], "generation": "new",
                                "status": status_for(code, values), **wanted})
                count.new += 1
                continue
            status = status_for(code, values) if old.status == "printed" else old.status
            changed = [n for n in wanted if getattr(old, n) != wanted[n]]
            if not changed and status == old.status:
                count.unchanged += 1
                continue
            count.updated += 1
            for name in changed:
                self.report.changes.append(Change("承包经营权证", code, name, _shown(getattr(old, name)),
                                                  _shown(wanted[name])))
            updates.append({"_id": old.id, **wanted, "status": status})
        for code, values in register.items():
            serial = values.get("old_certificate_serial")
            if not serial or (serial, "old") in existing or code[:18] not in household_ids:
                continue
            existing[(serial, "old")] = True  # one old certificate per serial
            inserts.append({"code": code, "serial": serial, "household_id": household_ids[code[:18]],
                            "generation": "old", "status": "issued", **{n: None if n.endswith("_on") else ""
                                                                         for n in columns}})
            count.new += 1
        insert_rows(self.connection, CERTIFICATE, inserts)
        _update(self.connection, CERTIFICATE, updates, columns + ["serial", "status"])

    def certificate_events(self, events: dict[str, list[Row]]) -> None:
        ids = dict(self.connection.execute(
            select(CERTIFICATE.c.code, CERTIFICATE.c.id)
            .where(CERTIFICATE.c.generation == "new", CERTIFICATE.c.code.startswith(self.township))
        ).all())
        fields = ("happened_on", "collected_on", "reason", "person_name", "person_id_type", "person_id_number")
        seen = {
            tuple(row)
            for row in self.connection.execute(
                select(EVENT.c.certificate_id, EVENT.c.kind, *(EVENT.c[f] for f in fields))
                .where(EVENT.c.kind.in_(EVENT_TABLES.values()))
            )
        }
        count = self.report.counts["证书补发换发注销"]
        inserts = []
        for name, rows in events.items():
            kind = EVENT_TABLES[name]
            for row in rows:
                record = {f: row.values.get(f, None if f.endswith("_on") else "") for f in fields}
                key = (ids[row.values["code"]], kind, *record.values())
                if key in seen:
                    count.unchanged += 1
                    continue
                seen.add(key)
                count.new += 1
                inserts.append({"certificate_id": key[0], "kind": kind, **record,
                                "operator": self.config.operator, "details": "{}", "recorded_at": now()})
        insert_rows(self.connection, EVENT, inserts)

    def attachments(self, rows: dict[tuple, Row], household_ids: dict[str, int]) -> None:
        existing = {
            (row.certificate_code, row.number): row
            for row in self.connection.execute(
                select(ATTACHMENT).where(ATTACHMENT.c.certificate_code.startswith(self.township)))
        }
        count = self.report.counts["权属来源资料附件"]
        inserts, updates = [], []
        for key, row in rows.items():
            values = {n: row.values[n] for n in ("certificate_code", "number", "name", "dated", "path")}
            old = existing.get(key)
            if old is None:
                inserts.append({"household_id": household_ids[key[0][:18]], **values})
                count.new += 1
            elif any(getattr(old, n) != v for n, v in values.items()):
                updates.append({"_id": old.id, **values})
                count.updated += 1
            else:
                count.unchanged += 1
        insert_rows(self.connection, ATTACHMENT, inserts)
        _update(self.connection, ATTACHMENT, updates, ["name", "dated", "path"])

    def findings(self, flags: list[Flag], household_ids: dict[str, int], imported: set[str]) -> None:
        """Open a finding per new flag; resolve import findings no longer flagged."""
        ids = [household_ids[code] for code in imported]
        open_findings: dict[tuple, int] = {}
        for start in range(0, len(ids), 900):
            for row in self.connection.execute(
                select(FINDING.c.id, FINDING.c.household_id, FINDING.c.rule, FINDING.c.subject, FINDING.c.message)
                .where(FINDING.c.source == "import", FINDING.c.status == "open",
                       FINDING.c.household_id.in_(ids[start:start + 900]))
            ):
                open_findings[(row.household_id, row.rule, row.subject, row.message)] = row.id
        inserts = []
        stamp = now()
        for flag in flags:
            if flag.household_code not in household_ids:
                continue
            key = (household_ids[flag.household_code], flag.rule, flag.subject, flag.message)
            if open_findings.pop(key, None) is not None:
                continue
            inserts.append({"household_id": key[0], "rule": flag.rule, "subject": flag.subject,
                            "message": flag.message, "severity": flag.severity, "status": "open",
                            "source": "import", "created_at": stamp, "waived_reason": "", "waived_by": ""})
        insert_rows(self.connection, FINDING, inserts)
        resolved = list(open_findings.values())
        for start in range(0, len(resolved), 900):
            self.connection.execute(
                FINDING.update().where(FINDING.c.id.in_(resolved[start:start + 900]))
                .values(status="resolved", resolved_at=stamp))
        self.report.findings_opened = len(inserts)
        self.report.findings_resolved = len(resolved)


def _village_names(issuers: dict[str, dict], connection: Connection, township: str) -> dict[str, str]:
    """Village name per village code: the village-level issuer's name (group 00) when known."""
    names = dict(connection.execute(
        select(ISSUER.c.village_code, ISSUER.c.village_name).where(ISSUER.c.code.startswith(township))
    ).all())
    for code, values in issuers.items():
        if code.endswith("00") and values["name"]:
            names[code[:12]] = values["name"]
    return names


def _issuer_extra(village_names: dict[str, str]) -> Callable[[str, dict], dict]:
    def extra(code: str, values: dict) -> dict:
        name = values["name"]
        village = village_names.get(code[:12]) or (name[: name.index("村") + 1] if "村" in name else "")
        return {"village_code": code[:12], "group_code": code[12:], "village_name": village}

    return extra


def _parcel_records(validator: _Validator) -> dict[str, dict]:
    """CBDKXX rows merged with the parcel-layer attributes (DK) where the source has them."""
    attributes = {code: row.values for code, row in validator.rows["DK"].items()}
    merged = {}
    for code, row in validator.rows["CBDKXX"].items():
        values = row.values
        extra = attributes.get(code)
        if extra:
            values.update(extra)  # same code; adds name, category, 四至
            values["is_basic_farmland"] = extra["is_basic_farmland"] == YesNo.YES
        merged[code] = values
    return merged


def run_import(
    engine: Engine,
    config: Config,
    path: Path,
    *,
    skip_rejects: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path``; raises :class:`ArchiveError` (nothing written) on rejects or bad input."""
    progress = progress or (lambda stage, done, total: None)
    progress("读取数据源", 0, 1)
    with cyclic_gc_paused():
        source = read_source(path)
        with engine.begin() as connection:
            return import_tables(connection, config, source, skip_rejects=skip_rejects, progress=progress)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while millions of rows are built.

    The rows are plain dicts and tuples without cycles; left on, the collector walks them
    again and again as they pile up, which costs a large share of a county-sized import.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_tables(
    connection: Connection,
    config: Config,
    source: Source,
    *,
    skip_rejects: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and write ``source`` inside the caller's transaction."""
    progress = progress or (lambda stage, done, total: None)
    report = ImportReport(str(source.path), source.kind, ignored=source.ignored)
    township = config.settings.township.code
    known = _Known.load(connection, township)
    validator = _Validator(source, township, known, report)
    steps = [validator.issuers, validator.households, validator.members, validator.parcels,
             lambda: validator.coded_by_household("CBHT", "承包合同"),
             lambda: validator.coded_by_household("CBJYQZDJB", "登记簿"),
             validator.certificates, validator.certificate_events, validator.attachments]
    results = []
    for done, step in enumerate(steps):
        progress("校验", done, len(steps))
        results.append(step())
    members, events = results[2], results[7]
    if report.rejects and not skip_rejects:
        raise ImportRejected(report)
    if not validator.rows["CBF"] and not validator.rows["FBF"] and report.other_township_rows:
        raise ArchiveError(
            f"数据源 {source.path} 中没有本乡镇（代码 {township}）的记录；其中的乡镇代码："
            f"{'、'.join(sorted(report.other_townships))}。请检查 config.toml 的 township.code。"
        )
    _write(connection, config, validator, members, events, report, progress)
    report.written = True
    return report


def _write(connection, config, validator, members, events, report, progress) -> None:
    writer = _Writer(connection, config, report, progress)
    township = config.settings.township.code
    rows = validator.rows
    stages = 9
    progress("写入发包方", 0, stages)
    issuers = {code: row.values for code, row in rows["FBF"].items()}
    issuer_ids = writer.upsert(TABLES["FBF"], ISSUER, issuers,
                               _issuer_extra(_village_names(issuers, connection, township)))
    parcels = _parcel_records(validator)
    farmland = {code[:18] for code, v in parcels.items() if v.get("is_basic_farmland")}
    progress("写入承包方", 1, stages)
    has_parcel_layer = "DK" in validator.source.tables

    def household_extra(code: str, values: dict) -> dict:
        extra = {"issuer_id": issuer_ids[code[:14]]}
        if has_parcel_layer:  # 基本农田 is known only from the parcel layer
            extra["has_basic_farmland"] = code in farmland
        return extra

    household_ids = writer.upsert(TABLES["CBF"], HOUSEHOLD, {code: row.values for code, row in rows["CBF"].items()},
                                  household_extra)
    progress("写入家庭成员", 2, stages)
    writer.members(members, household_ids)
    progress("写入承包地块", 3, stages)
    parcel_map = TableMap("CBDKXX", "承包地块", TABLES["CBDKXX"].fields + TABLES["DK"].fields[1:])
    writer.upsert(parcel_map, PARCEL, parcels,
                  lambda code, values: {"household_id": household_ids[values["household_code"]],
                                        "is_basic_farmland": bool(values.get("is_basic_farmland"))},
                  want_ids=False)
    progress("写入承包合同与登记簿", 4, stages)
    for name, table in (("CBHT", CONTRACT), ("CBJYQZDJB", REGISTER)):
        writer.upsert(TABLES[name], table, {code: row.values for code, row in rows[name].items()},
                      lambda code, values: {"household_id": household_ids[code[:18]]}, want_ids=False)
    progress("写入证书", 5, stages)
    writer.certificates(validator, household_ids, events)
    writer.certificate_events(events)
    writer.attachments(rows["QSLYZLFJ"], household_ids)
    progress("建立案卷", 6, stages)
    report.new_files = archive_files.create_missing(connection, config)
    progress("登记问题", 7, stages)
    imported = set(rows["CBF"]) | set(members)
    writer.findings(report.flags, household_ids, imported)
    progress("写入审计记录", 8, stages)
    if report.changed or report.new_files:
        audit.record(
            connection, operator=config.operator, action="import", entity="source", key=Path(report.source).name,
            after={"source": report.source, "kind": report.kind,
                   "counts": {k: vars(v) for k, v in report.counts.items()},
                   "rejects_skipped": len(report.rejects), "new_files": report.new_files},
        )
    progress("完成", stages, stages)


class ImportRejected(ArchiveError):
    """The source has rejected rows and ``skip_rejects`` was not given: nothing was written."""

    def __init__(self, report: ImportReport):
        shown = [f"  - {r.line()}" for r in report.rejects[:50]]
        if len(report.rejects) > 50:
            shown.append(f"  ……另有{len(report.rejects) - 50}条，见 --report 输出的报告")
        super().__init__(
            f"导入已中止：数据源 {report.source} 有{len(report.rejects)}行不合格，数据库未作任何改动。"
            "修正后重新导入，或加 --skip-rejects 跳过这些行：",
            details=shown,
        )
        self.report = report


def write_report(report: ImportReport, path: Path) -> None:
    """The reject and change report as CSV (UTF-8 with BOM, opens in Excel) or XLSX."""
    header = ["类别", "表", "行号/编码", "字段", "说明"]
    lines = [["不合格", r.table, r.row, r.field, r.reason] for r in report.rejects]
    lines += [["问题标记", "", f.household_code, f.subject, f.message] for f in report.flags]
    lines += [["变更", c.table, c.key, c.field, f"“{c.before}” → “{c.after}”"] for c in report.changes]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "导入报告"
        sheet.append(header)
        for line in lines:
            sheet.append(line)
        book.save(path)
        return
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(lines)

