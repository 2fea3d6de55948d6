"""Checking the source's rows (校验), a chunk at a time: rejects and flags.

The checker keeps only what later tables need (the codes seen so far, the declared member
counts), never the rows themselves, so a county-sized source is checked in bounded memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import Connection, select

from archive_tui.services.importing.reading import Row, TableReader
from archive_tui.services.importing.report import Flag, ImportReport
from models import Certificate, Household, Issuer, Parcel
from models.codes import IdType, Relation, Sex, YesNo, relation_code
from models.validators import (
    check_contract_code, check_household_code, check_id_number, check_issuer_code,
    check_method_suffix, check_parcel_code, check_sequence_range,
)

ISSUER, HOUSEHOLD, PARCEL, CERTIFICATE = Issuer.__table__, Household.__table__, Parcel.__table__, Certificate.__table__
LOOKUP = 900  # codes per IN (…) query

RELATION_CODES = frozenset(Relation)
MEMBER_CODE_LISTS = (
    ("性别", frozenset(Sex), "sex"),
    ("与户主关系", frozenset(Relation), "relation"),
    ("是否共有人", frozenset(YesNo), "is_co_owner"),
)
EXCEL_HINT = "（是否被 Excel 当作数字处理过？请把该列设为“文本”格式后重新导出）"
Problem = tuple[str, str] | str | None  # (field, reason), "skip" (another township's row) or None


def _with_excel_hint(code: str, problem: str) -> str:
    """A code that lost digits or turned into zeros the way Excel shortens numbers."""
    if code.isdigit() and ("位" in problem or "0000" in problem):
        return problem + EXCEL_HINT
    return problem


class SourceChecker:
    """Turns chunks of converted rows into the rows to write, recording rejects and flags."""

    def __init__(self, connection: Connection, township: str, report: ImportReport):
        self.connection = connection
        self.township = township
        self.report = report
        self.issuers: set[str] = self._codes(ISSUER)
        self.households: set[str] = self._codes(HOUSEHOLD)
        self.source_households: set[str] = set()  # CBF rows of this source (their flags are refreshed)
        self.declared_members: dict[str, int | None] = {}
        self.members_found: Counter[str] = Counter()
        self.parcels: dict[str, int] = {}  # CBDKXX codes of this source → row
        self.certificates: set[str] = self._codes(CERTIFICATE, CERTIFICATE.c.generation == "new")
        self.register_serials: dict[str, str] = {}  # 登记簿: certificate code → its serial
        self.serials_used: dict[str, str] = {}  # serial → certificate code, in this source
        self.seen: dict[object, int] = {}  # the current table's keys → row number (duplicates)

    def _codes(self, table, where=None) -> set[str]:
        query = select(table.c.code).where(table.c.code.startswith(self.township))
        if where is not None:
            query = query.where(where)
        return set(self.connection.execute(query).scalars())

    # ---- helpers -------------------------------------------------------------------------------

    def flag(self, household: str, rule: str, subject: str, message: str, severity: str = "error") -> None:
        self.report.flags.append(Flag(household, rule, subject, message, severity))

    def table_done(self) -> None:
        self.seen = {}

    def in_township(self, code: str) -> bool:
        if code.startswith(self.township):
            return True
        self.report.other_township_rows += 1
        self.report.other_townships.add(code[:9])
        return False

    def keep(self, reader: TableReader, rows: list[Row], key: Callable[[dict], object],
             check: Callable[[dict], Problem]) -> list[Row]:
        """The rows that pass ``check`` and whose key was not seen before in this table."""
        kept = []
        seen = self.seen
        for row in rows:
            problem = check(row.values)
            if problem == "skip":
                continue
            if problem:
                reader.reject(row.number, *problem)
                continue
            row_key = key(row.values)
            first = seen.get(row_key)
            if first is not None:
                reader.reject(row.number, reader.table.fields[0].national, f"与第{first}行重复（{row_key}）")
                continue
            seen[row_key] = row.number
            kept.append(row)
        return kept

    def _household_of(self, field_name: str, code: str) -> Problem:
        """None for a known household; (field, reason) for a malformed or unknown one;
        "skip" for another township's."""
        if code in self.households:
            return None
        problem = check_household_code(code)
        if problem:
            return field_name, _with_excel_hint(code, problem)
        if not self.in_township(code):
            return "skip"
        return field_name, f"承包方“{code}”不存在"

    # ---- the tables, parents first -------------------------------------------------------------

    def issuers_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        def check(v):
            problem = check_issuer_code(v["code"])
            if problem:
                return "FBFBM", _with_excel_hint(v["code"], problem)
            return None if self.in_township(v["code"]) else "skip"

        kept = self.keep(reader, rows, lambda v: v["code"], check)
        self.issuers.update(row.values["code"] for row in kept)
        return kept

    def households_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        def check(v):
            code = v["code"]
            problem = check_household_code(code)
            if problem:
                return "CBFBM", _with_excel_hint(code, problem)
            if not self.in_township(code):
                return "skip"
            if code[:14] not in self.issuers:
                return "CBFBM", f"承包方编码“{code}”的发包方“{code[:14]}”不存在"
            return None

        kept = self.keep(reader, rows, lambda v: v["code"], check)
        for row in kept:
            v = row.values
            code = v["code"]
            self.households.add(code)
            self.source_households.add(code)
            self.declared_members[code] = v["member_count"]
            problem = check_sequence_range(code, v["contractor_type"])
            if problem:
                self.flag(code, "sequence_range", "承包方", problem)
            if v["contractor_type"] in ("", "1") and v["id_type"] in ("", IdType.RESIDENT_ID):
                self.flag_id(code, f"承包方 {v['name']}", v["id_number"])
        return kept

    def flag_id(self, household: str, subject: str, number: str) -> None:
        result = check_id_number(number)
        if result.status == "legacy":
            self.flag(household, "id_legacy", subject, f"{subject}：{result.reason}", "warning")
        elif not result.ok:
            self.flag(household, "id_number", subject, f"{subject}：{result.reason}")

    def members_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        kept = []
        for row in rows:
            v = row.values
            problem = self._household_of("CBFBM", v["household_code"])
            if problem == "skip":
                continue
            if problem:
                reader.reject(row.number, *problem)
                continue
            self.members_found[v["household_code"]] += 1
            self.check_member(v)
            kept.append(row)
        return kept

    def check_member(self, member: dict) -> None:
        """Flag what the archive keeps but inspections object to (missing data, bad IDs, codes)."""
        code = member["household_code"]
        subject = f"成员 {member['name'] or '（无姓名）'}"
        relation = member["relation"]
        if relation and relation not in RELATION_CODES:
            member["relation"] = relation_code(relation) or relation  # 儿子 → 20
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

    def member_count_flags(self) -> None:
        for code, expected in self.declared_members.items():
            found = self.members_found.get(code, 0)
            if expected is not None and expected != found:
                self.flag(code, "member_count", "承包方", f"承包方成员数量为{expected}，家庭成员表中有{found}人",
                          "warning")

    def parcels_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        def check(v):
            problem = self._household_of("CBFBM", v["household_code"])
            if problem:
                return problem
            problem = check_parcel_code(v["code"], v["household_code"][:14])
            if problem:
                return "DKBM", _with_excel_hint(v["code"], problem)
            if v["issuer_code"] and v["issuer_code"] != v["household_code"][:14]:
                return "FBFBM", f"发包方编码“{v['issuer_code']}”与承包方编码“{v['household_code']}”不符"
            return None

        kept = self.keep(reader, rows, lambda v: v["code"], check)
        self.parcels.update((row.values["code"], row.number) for row in kept)
        return kept

    def parcel_attributes_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        """DK: each code must be a parcel of CBDKXX (this source's, or one already imported)."""
        candidates = [row.values["code"] for row in rows if row.values["code"] not in self.parcels]
        in_database = self._existing(PARCEL, candidates)

        def check(v):
            code = v["code"]
            problem = check_parcel_code(code)
            if problem:
                return "DKBM", _with_excel_hint(code, problem)
            if not self.in_township(code):
                return "skip"
            if code not in self.parcels and code not in in_database:
                return "DKBM", f"地块“{code}”不在承包地块信息表中"
            return None

        kept = self.keep(reader, rows, lambda v: v["code"], check)
        for row in kept:
            row.values["is_basic_farmland"] = row.values["is_basic_farmland"] == YesNo.YES
        return kept

    def _existing(self, table, codes: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(codes), LOOKUP):
            found.update(self.connection.execute(
                select(table.c.code).where(table.c.code.in_(codes[start:start + LOOKUP]))).scalars())
        return found

    def coded_by_household_chunk(self, reader: TableReader, rows: list[Row], what: str) -> list[Row]:
        """Contracts and register entries: code = CBFBM + J/Q, household must exist."""
        national = reader.table.fields[0].national

        def check(v):
            household = v["household_code"] or v["code"][:18]
            problem = check_contract_code(v["code"], household, what)
            if problem:
                return national, problem
            problem = self._household_of("CBFBM", household)
            if problem:
                return problem
            if v["issuer_code"] and v["issuer_code"] != household[:14]:
                return "FBFBM", f"发包方编码“{v['issuer_code']}”与承包方编码“{household}”不符"
            return None

        kept = self.keep(reader, rows, lambda v: v["code"], check)
        for row in kept:
            problem = check_method_suffix(row.values["code"], row.values["method"])
            if problem:
                self.flag(row.values["code"][:18], "contract_suffix", what, f"{what}：{problem}", "warning")
        return kept

    def contracts_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        return self.coded_by_household_chunk(reader, rows, "承包合同")

    def registers_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        kept = self.coded_by_household_chunk(reader, rows, "登记簿")
        serials = {}
        for row in kept:
            serial = row.values["certificate_serial"]
            if serial:
                serials[row.values["code"]] = serial
        self.register_serials.update(serials)
        return kept

    def certificates_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        def check(v):
            problem = check_contract_code(v["code"], None, "承包经营权证编码")
            return ("CBJYQZBM", problem) if problem else self._household_of("CBJYQZBM", v["code"][:18])

        kept = self.keep(reader, rows, lambda v: v["code"], check)
        taken = self._serials_in_use([self.serial_of(row.values["code"]) for row in kept])
        result = []
        for row in kept:
            code = row.values["code"]
            serial = self.serial_of(code)
            holder = taken.get(serial)
            if holder is None and self.serials_used.get(serial, code) != code:
                holder = (self.serials_used[serial], "new")
            if holder is not None and holder != (code, "new"):
                other = f"{holder[0]}，{'旧证' if holder[1] == 'old' else '新证'}"
                reader.reject(row.number, "CBJYQZBM", f"证书编号“{serial}”已被另一本证书（{other}）使用")
                continue
            self.certificates.add(code)
            self.serials_used[serial] = code
            result.append(row)
        return result

    def serial_of(self, code: str) -> str:
        """The printed serial (证书流水号) of a certificate: from the register, else its code."""
        return self.register_serials.get(code) or code

    def _serials_in_use(self, serials: list[str]) -> dict[str, tuple[str, str]]:
        found = {}
        for start in range(0, len(serials), LOOKUP):
            found.update((serial, (code, generation)) for serial, code, generation in self.connection.execute(
                select(CERTIFICATE.c.serial, CERTIFICATE.c.code, CERTIFICATE.c.generation)
                .where(CERTIFICATE.c.serial.in_(serials[start:start + LOOKUP]))))
        return found

    def certificate_events_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        kept = []
        for row in rows:
            code = row.values["code"]
            problem = check_contract_code(code, None, "承包经营权证编码")
            if problem:
                reader.reject(row.number, "CBJYQZBM", problem)
                continue
            if not self.in_township(code):
                continue
            if code not in self.certificates:
                reader.reject(row.number, "CBJYQZBM", f"承包经营权证“{code}”不存在")
                continue
            kept.append(row)
        return kept

    def attachments_chunk(self, reader: TableReader, rows: list[Row]) -> list[Row]:
        def check(v):
            problem = check_contract_code(v["certificate_code"], None, "承包经营权证编码")
            if problem:
                return "CBJYQZBM", problem
            return self._household_of("CBJYQZBM", v["certificate_code"][:18])

        return self.keep(reader, rows, lambda v: (v["certificate_code"], v["number"]), check)
