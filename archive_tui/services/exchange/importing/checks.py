"""Checking the source's rows (校验), a chunk at a time: rejects and flags.

The checker keeps only what later tables need (the codes seen so far, the declared member
counts), never the rows themselves, so a county-sized source is checked in bounded memory.

Each table's chunk is first checked as a whole, column by column (are all codes well
formed, all parents known, no key seen twice?); only a chunk with something wrong in it is
gone through row by row, to reject the bad rows by name and keep the rest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from itertools import repeat
from operator import is_not
from datetime import date

from sqlalchemy import Connection, select

from archive_tui.db import rows_where_in
from archive_tui.services.exchange.importing.reading import Batch, Row, TableReader
from archive_tui.services.exchange.importing.report import Flag, ImportReport, Reject
from archive_tui.services.exchange.nyt2539 import TABLES
from models.codes import IdType, Relation, Sex, YesNo, relation_code
from models.validators import (
    check_contract_code, check_household_code, check_issuer_code, check_method_suffix, check_parcel_code,
    check_sequence_range, invalid_id_numbers,
)
from archive_tui.db.tables import CERTIFICATE, CONTRACT, HOUSEHOLD, ISSUER, PARCEL
from models import PRIMARY_CAMPAIGN


RELATION_CODES = frozenset(Relation)
MEMBER_CODE_LISTS = {"sex": ("性别", frozenset(Sex)), "relation": ("与户主关系", RELATION_CODES),
                     "is_co_owner": ("是否共有人", frozenset(YesNo))}
RESIDENT_ID_TYPES = frozenset({"", IdType.RESIDENT_ID})
LAYER_SEPARATOR = "\x1f"
EXCEL_HINT = "（是否被 Excel 当作数字处理过？请把该列设为“文本”格式后重新导出）"
Problem = tuple[str, str] | str | None  # (field, reason), "skip" (another township's row) or None


def _with_excel_hint(code: str, problem: str) -> str:
    """A code that lost digits or turned into zeros the way Excel shortens numbers."""
    if code.isdigit() and ("位" in problem or "0000" in problem):
        return problem + EXCEL_HINT
    return problem


def _all_match(pattern: re.Pattern, values: list[str]) -> bool:
    """Every value matches (one regular-expression pass over the whole column)."""
    return pattern.fullmatch("\n".join(values)) is not None


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
        self.layer: dict[str, str] = {}  # DK rows (row number and values, packed) until CBDKXX takes them
        self.layer_attrs: list[str] = []
        self.certificates: set[str] = self._codes(CERTIFICATE, CERTIFICATE.c.generation == "new")
        self.term_end: date = date.max  # the 确权 contracts' end (config); set by the importer
        self.extended_contracts = 0  # contracts running past it: a later campaign's (延包) data?
        self.register_serials: dict[str, str] = {}  # 登记簿: certificate code → its serial
        self.serials_used: dict[str, str] = {}  # serial → certificate code, in this source
        self.seen: dict[object, int] = {}  # the current table's keys → row number (duplicates)
        self.today = date.today()
        tw = re.escape(township)
        line = {  # well-formed codes of this township, for the whole-chunk checks
            "household": rf"{tw}\d{{5}}(?!0000)\d{{4}}", "parcel": rf"{tw}\d{{10}}",
            "contract": rf"{tw}\d{{5}}(?!0000)\d{{4}}[JQ]",
        }
        self.patterns = {name: re.compile(rf"(?:{one}\n)*{one}") for name, one in line.items()}

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

    def _new_keys(self, batch: Batch, keys: list) -> bool:
        """No key of the chunk is repeated in it or was seen before; if so, remember them all."""
        seen = self.seen
        if len(set(keys)) != len(keys) or not seen.keys().isdisjoint(keys):
            return False
        seen.update(zip(keys, batch.numbers))
        return True

    def keep(self, reader: TableReader, batch: Batch, key: Callable[[dict], object],
             check: Callable[[dict], Problem]) -> Batch:
        """Row by row: the rows that pass ``check`` and whose key was not seen before."""
        kept = []
        seen = self.seen
        for row in batch.rows():
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
        return _kept(batch, kept)

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

    def _known_households(self, codes: list[str]) -> bool:
        return all(map(self.households.__contains__, codes))

    # ---- the tables, parents first -------------------------------------------------------------

    def issuers_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        def check(v):
            problem = check_issuer_code(v["code"])
            if problem:
                return "FBFBM", _with_excel_hint(v["code"], problem)
            return None if self.in_township(v["code"]) else "skip"

        kept = self.keep(reader, batch, lambda v: v["code"], check)
        self.issuers.update(kept["code"])
        return kept

    def households_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        codes = batch["code"]
        if not (_all_match(self.patterns["household"], codes)
                and all(map(self.issuers.__contains__, [code[:14] for code in codes]))
                and self._new_keys(batch, codes)):
            batch = self.keep(reader, batch, lambda v: v["code"], self._check_household)
        codes = batch["code"]
        self.households.update(codes)
        self.source_households.update(codes)
        self.declared_members.update(zip(codes, batch["member_count"]))
        kinds = batch["contractor_type"]
        if not (set(kinds) == {"1"} and max(code[-4:] for code in codes) <= "8000"):  # all 农户 in 0001–8000
            for code, kind in zip(codes, kinds):
                problem = check_sequence_range(code, kind)
                if problem:
                    self.flag(code, "sequence_range", "承包方", problem)
        types = [id_type if kind in ("", "1") else "-" for kind, id_type in zip(kinds, batch["id_type"])]  # 农户 only
        self.flag_ids("承包方", codes, batch["name"], types, batch["id_number"])
        return batch

    def _check_household(self, v: dict) -> Problem:
        code = v["code"]
        problem = check_household_code(code)
        if problem:
            return "CBFBM", _with_excel_hint(code, problem)
        if not self.in_township(code):
            return "skip"
        if code[:14] not in self.issuers:
            return "CBFBM", f"承包方编码“{code}”的发包方“{code[:14]}”不存在"
        return None

    def flag_ids(self, who: str, households: list[str], names: list[str], types: list[str],
                 numbers: list[str]) -> None:
        """Flag missing or invalid ID numbers (15-digit ones as legacy) of the people whose ID
        type is 居民身份证 (or not given); ``who``: 承包方 or 成员."""
        if set(types) <= RESIDENT_ID_TYPES:
            checked: list[int] | range = range(len(numbers))
        else:
            checked = [index for index, kind in enumerate(types) if kind in RESIDENT_ID_TYPES]
        for offset, result in invalid_id_numbers([numbers[index] for index in checked], self.today):
            index = checked[offset]
            name = names[index]
            subject = f"{who} {name or '（无姓名）'}" if who == "成员" else f"{who} {name}"
            if result.status == "legacy":
                self.flag(households[index], "id_legacy", subject, f"{subject}：{result.reason}", "warning")
            else:
                self.flag(households[index], "id_number", subject, f"{subject}：{result.reason}")

    def members_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        if not self._known_households(batch["household_code"]):
            kept = []
            for row in batch.rows():
                problem = self._household_of("CBFBM", row.values["household_code"])
                if problem == "skip":
                    continue
                if problem:
                    reader.reject(row.number, *problem)
                    continue
                kept.append(row)
            batch = _kept(batch, kept)
        self.members_found.update(batch["household_code"])
        self._member_relations(batch)
        self._member_flags(batch)
        return batch

    def _member_relations(self, batch: Batch) -> None:
        """Relations some vendors write as words (儿子) become their code (20)."""
        relations = batch["relation"]
        if not set(relations) <= RELATION_CODES | {""}:
            batch.columns["relation"] = [value if value in RELATION_CODES or not value
                                         else relation_code(value) or value for value in relations]
            batch.drop_rows()

    def _member_flags(self, batch: Batch) -> None:
        """Flag what the archive keeps but inspections object to (missing data, bad IDs, codes)."""
        codes, names, sexes, relations = batch["household_code"], batch["name"], batch["sex"], batch["relation"]
        self.flag_ids("成员", codes, names, batch["id_type"], batch["id_number"])
        if not (all(names) and all(sexes) and all(relations)):
            for code, name, sex, relation in zip(codes, names, sexes, relations):
                if not (name and sex and relation):
                    subject = f"成员 {name or '（无姓名）'}"
                    missing = [label for label, value in (("姓名", name), ("性别", sex), ("与户主关系", relation))
                               if not value]
                    self.flag(code, "member_incomplete", subject, f"{subject}：缺少{'、'.join(missing)}")
        for key, (label, listed) in MEMBER_CODE_LISTS.items():
            values = batch[key]
            if set(values) <= listed | {""}:
                continue
            for code, name, value in zip(codes, names, values):
                if value and value not in listed:
                    subject = f"成员 {name or '（无姓名）'}"
                    self.flag(code, "code_list", subject, f"{subject}：{label}代码“{value}”不在代码表中", "warning")

    def member_count_flags(self) -> None:
        for code, expected in self.declared_members.items():
            found = self.members_found.get(code, 0)
            if expected is not None and expected != found:
                self.flag(code, "member_count", "承包方", f"承包方成员数量为{expected}，家庭成员表中有{found}人",
                          "warning")

    def parcels_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        codes, households, issuers = batch["code"], batch["household_code"], batch["issuer_code"]
        prefixes = [household[:14] for household in households]
        if not (_all_match(self.patterns["parcel"], codes) and self._known_households(households)
                and [code[:14] for code in codes] == prefixes
                and (issuers == prefixes or all(not i or i == p for i, p in zip(issuers, prefixes)))
                and self._new_keys(batch, codes)):
            batch = self.keep(reader, batch, lambda v: v["code"], self._check_parcel)
        self._attach_layer(batch)
        return batch

    def _attach_layer(self, batch: Batch) -> None:
        """Give the chunk's parcels the DK values read before (columns ``layer_attrs`` and
        ``in_layer``); each DK row is taken once, what is left is checked at the end.
        (Whole columns through C-level map and zip: a county has 500,000 parcels.)"""
        blank = LAYER_SEPARATOR.join(["0", *("" for _ in self.layer_attrs)])
        packed = list(map(self.layer.pop, batch["code"], repeat(blank)))
        batch.columns["in_layer"] = list(map(is_not, packed, repeat(blank)))
        columns = list(zip(*map(str.split, packed, repeat(LAYER_SEPARATOR)))) or [()] * (len(self.layer_attrs) + 1)
        for name, column in zip(self.layer_attrs, columns[1:]):
            batch.columns[name] = list(map("1".__eq__, column)) if name == "is_basic_farmland" else list(column)
        batch.drop_rows()

    def _check_parcel(self, v: dict) -> Problem:
        problem = self._household_of("CBFBM", v["household_code"])
        if problem:
            return problem
        problem = check_parcel_code(v["code"], v["household_code"][:14])
        if problem:
            return "DKBM", _with_excel_hint(v["code"], problem)
        if v["issuer_code"] and v["issuer_code"] != v["household_code"][:14]:
            return "FBFBM", f"发包方编码“{v['issuer_code']}”与承包方编码“{v['household_code']}”不符"
        return None

    def parcel_layer_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        """DK, read before CBDKXX and held until CBDKXX brings each parcel (one write per new
        parcel): codes of this township, each once; compact (a county has 500,000 parcels)."""
        codes = batch["code"]
        if not (_all_match(self.patterns["parcel"], codes) and self.layer.keys().isdisjoint(codes)
                and len(set(codes)) == len(codes)):
            def check(v):
                code = v["code"]
                problem = check_parcel_code(code)
                if problem:
                    return "DKBM", _with_excel_hint(code, problem)
                if not self.in_township(code):
                    return "skip"
                if code in self.layer:
                    return "DKBM", f"与第{self.layer[code].split(LAYER_SEPARATOR, 1)[0]}行重复（{code}）"
                return None

            batch = self.keep(reader, batch, lambda v: v["code"], check)
        self.layer_attrs = [f.attr for f in reader.present if f.attr != "code"]
        columns = [map(str, batch.numbers)]
        for name in self.layer_attrs:
            values = batch[name]
            if name == "is_basic_farmland":
                columns.append(["1" if value == YesNo.YES else "" for value in values])
            elif LAYER_SEPARATOR in "".join(values):
                columns.append([value.replace(LAYER_SEPARATOR, " ") for value in values])
            else:
                columns.append(values)
        self.layer.update(zip(batch["code"], map(LAYER_SEPARATOR.join, zip(*columns))))
        return batch

    def parcel_layer_done(self) -> None:
        """DK rows whose parcel is neither in CBDKXX nor already in the archive are rejects;
        those of parcels already in the archive stay for the writer (:meth:`left_in_layer`)."""
        if not self.layer:
            return
        known = self._existing(PARCEL, list(self.layer))
        table = TABLES["DK"]
        for code, packed in sorted(self.layer.items(), key=lambda item: int(item[1].split(LAYER_SEPARATOR, 1)[0])):
            if code not in known:
                self.report.reject(Reject(f"{table.name} {table.label}", int(packed.split(LAYER_SEPARATOR, 1)[0]),
                                          "DKBM", f"地块“{code}”不在承包地块信息表中"))
                del self.layer[code]

    def left_in_layer(self) -> Batch:
        """The DK rows of parcels the archive already had (not in this source's CBDKXX)."""
        codes = list(self.layer)
        batch = Batch([0] * len(codes), {"code": codes})
        self._attach_layer(batch)
        return batch

    def _existing(self, table, codes: list[str]) -> set[str]:
        return {code for (code,) in rows_where_in(self.connection, [table.c.code], table.c.code, codes)}

    def coded_by_household_chunk(self, reader: TableReader, batch: Batch, what: str) -> Batch:
        """Contracts and register entries: code = CBFBM + J/Q, household must exist."""
        codes, households, issuers = batch["code"], batch["household_code"], batch["issuer_code"]
        owners = [code[:18] for code in codes]
        if not (_all_match(self.patterns["contract"], codes) and self._known_households(owners)
                and (households == owners or all(not h or h == o for h, o in zip(households, owners)))
                and all(not i or i == o[:14] for i, o in zip(issuers, owners))
                and self._new_keys(batch, codes)):
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

            batch = self.keep(reader, batch, lambda v: v["code"], check)
        for code, method in zip(batch["code"], batch["method"]):
            problem = check_method_suffix(code, method)
            if problem:
                self.flag(code[:18], "contract_suffix", what, f"{what}：{problem}", "warning")
        return batch

    def contracts_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        batch = self.coded_by_household_chunk(reader, batch, "承包合同")
        extended = {code: end for code, end in zip(batch["code"], batch["term_end"]) if end and end > self.term_end}
        if not extended:
            return batch
        self.extended_contracts += len(extended)
        held = dict(rows_where_in(self.connection, [CONTRACT.c.code, CONTRACT.c.term_end], CONTRACT.c.code,
                                  list(extended), where=CONTRACT.c.campaign == PRIMARY_CAMPAIGN))
        kept = []
        for row in batch.rows():
            code, end = row.values["code"], row.values["term_end"]
            before = held.get(code)
            if code in extended and before is not None and end > before:  # history is never overwritten
                reader.reject(row.number, "CBQXZ", f"合同 {code} 的承包期限止 {end} 晚于本档案中确权合同的 {before}："
                              "这是延包（再延长三十年）后的合同，请作为延包数据导入（--campaign 延包），"
                              "确权合同作为历史保留，不被覆盖")
                continue
            kept.append(row)
        return _kept(batch, kept)

    def registers_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        batch = self.coded_by_household_chunk(reader, batch, "登记簿")
        self.register_serials.update((code, serial) for code, serial in zip(batch["code"], batch["certificate_serial"])
                                     if serial)
        return batch

    def certificates_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        codes = batch["code"]
        if not (_all_match(self.patterns["contract"], codes) and self._known_households([c[:18] for c in codes])
                and self._new_keys(batch, codes)):
            def check(v):
                problem = check_contract_code(v["code"], None, "承包经营权证编码")
                return ("CBJYQZBM", problem) if problem else self._household_of("CBJYQZBM", v["code"][:18])

            batch = self.keep(reader, batch, lambda v: v["code"], check)
        serials = [self.serial_of(code) for code in batch["code"]]
        taken = self._serials_in_use(serials)
        kept = []
        for row, serial in zip(batch.rows(), serials):
            code = row.values["code"]
            holder = taken.get(serial)
            if holder is None and self.serials_used.get(serial, code) != code:
                holder = (self.serials_used[serial], "new")
            if holder is not None and holder != (code, "new"):
                other = f"{holder[0]}，{'旧证' if holder[1] == 'old' else '新证'}"
                reader.reject(row.number, "CBJYQZBM", f"证书编号“{serial}”已被另一本证书（{other}）使用")
                continue
            self.certificates.add(code)
            self.serials_used[serial] = code
            kept.append(row)
        return _kept(batch, kept)

    def serial_of(self, code: str) -> str:
        """The printed serial (证书流水号) of a certificate: from the register, else its code."""
        return self.register_serials.get(code) or code

    def _serials_in_use(self, serials: list[str]) -> dict[str, tuple[str, str]]:
        return {serial: (code, generation) for serial, code, generation in rows_where_in(
            self.connection, [CERTIFICATE.c.serial, CERTIFICATE.c.code, CERTIFICATE.c.generation], CERTIFICATE.c.serial,
            serials)}

    def certificate_events_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        kept = []
        for row in batch.rows():
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
        return _kept(batch, kept)

    def attachments_chunk(self, reader: TableReader, batch: Batch) -> Batch:
        def check(v):
            problem = check_contract_code(v["certificate_code"], None, "承包经营权证编码")
            if problem:
                return "CBJYQZBM", problem
            return self._household_of("CBJYQZBM", v["certificate_code"][:18])

        return self.keep(reader, batch, lambda v: (v["certificate_code"], v["number"]), check)


def _kept(batch: Batch, rows: list[Row]) -> Batch:
    return batch if len(rows) == len(batch) else Batch.of_rows(rows, list(batch.columns))
