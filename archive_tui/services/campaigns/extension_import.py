"""Importing a later campaign's data (延包数据导入): history beside 确权, never over it.

The county's 延包 database is the same NY/T 2539 tables with the same codes: a contract or
certificate code names the household and the way of contracting, not the period. What the
extension changed shows in the dates: a household that confirmed its members and parcels
was surveyed again (CBFDCRQ later than at 确权), publicised again (GSSHRQ later), its
contract now runs to the extended end (CBQXZ later than the 确权 contract's) with a new
signing date, and its new certificate has a new serial (CBJYQZLSH) and issue date.

So for each household of the township in the source:

* a contract ending later than the 确权 one is the campaign's contract, added beside it
  (same code, this campaign); one ending earlier is refused, naming the household;
* the confirmation, 公示 (and any objection) and signing are kept in ``campaign_record``
  with the members and parcels as the household confirmed them (the 确权 member and parcel
  rows stay as they were);
* a certificate with a new serial or a later issue date is the campaign's certificate; the
  确权 ones are untouched (they are exchanged later: ``certs replace --campaign``);
* a household the campaign reached gets its own file of the campaign (案卷), 相关案卷 of its
  确权 file.

A household not in the 确权 register is refused unless ``new_households`` is given; then it
is registered (household, members, parcels) and listed. Everything is checked before
anything is written; the whole import is one transaction; the same source again changes
nothing.

A county's 100,000 households are read in bounded memory: of a known household only its
few 公示/确认 fields stay in Python; its members, parcels and changed rows wait (as JSON
text) in a scratch SQLite file of the import's own, outside the archive's database, and are
taken out a batch of households at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, select

from archive_tui import audit
from archive_tui.core.config import PRIMARY_CAMPAIGN, CampaignSettings, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.roles import Permission
from archive_tui.db import insert_rows, rows_where_in
from archive_tui.db.tables import (
    CAMPAIGN_RECORD, CERTIFICATE, CONTRACT, FILE, HOUSEHOLD, ISSUER, MEMBER, PARCEL, REGISTER,
)
from archive_tui.services.exchange.importing.reading import TableReader
from archive_tui.services.exchange.importing.report import ImportRejected, ImportReport
from archive_tui.services.exchange.nyt2539 import TABLES, Kind
from archive_tui.services.exchange.sources import Source, read_source
from archive_tui.services.households import archive_files, catalogue, search
from archive_tui.services.use_cases import ArchiveContext, use_case
from models.codes import YesNo

SHOWN = 50  # households named per problem in the message
CONTRACT_FIELDS = ("original_code", "issuer_code", "method", "term_start", "term_end", "total_area", "parcel_count",
                   "signed_date", "total_area_mu", "original_total_area", "original_total_area_mu")
REGISTER_FIELDS = ("issuer_code", "method", "term_text", "term_start", "term_end", "parcel_map",
                   "old_certificate_serial", "certificate_serial", "attachment", "registrar", "registered_on")
RECORD_FIELDS = ("confirmed_on", "publicised_on", "objection", "signed_on", "members", "parcels")


@dataclass
class CampaignImportReport:
    """What a campaign import found and did, for the archivist."""

    source: str
    campaign: str
    households: int = 0  # of the township in the source
    reached: int = 0  # the campaign reached them (confirmed, signed or certified)
    not_reached: int = 0  # still as at 确权
    records_new: int = 0
    records_updated: int = 0
    contracts_new: int = 0
    registers_new: int = 0
    certificates_new: int = 0
    files_new: int = 0
    catalogued: int = 0
    new_households: list[str] = field(default_factory=list)  # 承包方编码 名称
    other_township_rows: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.records_new or self.records_updated or self.contracts_new or self.registers_new
                    or self.certificates_new or self.files_new or self.new_households)

    def lines(self) -> list[str]:
        if not self.reached:
            return [f"数据源 {self.source} 中没有{self.campaign}的数据：本乡镇 {self.households} 户的调查、公示日期，"
                    "合同期限和证书都与确权时相同（是否选错了数据库？），未作任何改动。", *self.notes]
        lines = [f"{self.campaign}数据：本乡镇承包方 {self.households} 户，"
                 f"其中已开展{self.campaign} {self.reached} 户，尚未开展 {self.not_reached} 户",
                 f"新增：进度记录 {self.records_new} 户（更新 {self.records_updated} 户）、"
                 f"合同 {self.contracts_new} 份、登记簿 {self.registers_new} 条、证书 {self.certificates_new} 本、"
                 f"{self.campaign}案卷 {self.files_new} 卷",
                 "确权的合同、证书、家庭成员和地块均保留未改（作为历史）"]
        if self.new_households:
            lines.append(f"确权登记中没有、本次新登记的承包方 {len(self.new_households)} 户："
                         + "、".join(self.new_households[:SHOWN]))
        if self.other_township_rows:
            lines.append(f"其他乡镇的 {self.other_township_rows} 行未导入")
        return [*lines, *self.notes]


@dataclass(slots=True)
class _Household:
    """One household of the source: its 承包方 row (a known household's campaign fields only); a new
    household's members and parcels (it is registered from them). The rest waits in ``STAGE``."""

    code: str
    cbf: dict
    members: list[dict] = field(default_factory=list)
    parcels: list[dict] = field(default_factory=list)


@contextmanager
def _scratch() -> Iterator[sqlite3.Connection]:
    """A scratch SQLite file for the staged rows: members (m), parcels (p), contract (CBHT), register
    entry (CBJYQZDJB) and certificate (CBJYQZ) as JSON text, in the source's order (seq)."""
    with tempfile.TemporaryDirectory(prefix="archive-tui-campaign-") as folder:
        scratch = sqlite3.connect(Path(folder) / "stage.db")
        try:
            scratch.execute("PRAGMA journal_mode = OFF")
            scratch.execute("PRAGMA synchronous = OFF")
            scratch.execute("CREATE TABLE stage (seq INTEGER PRIMARY KEY, code TEXT, kind TEXT, text TEXT)")
            yield scratch
        finally:
            scratch.close()


STAGED = {"CBF_JTCY": "m", "CBDKXX": "p", "CBHT": "CBHT", "CBJYQZDJB": "CBJYQZDJB", "CBJYQZ": "CBJYQZ"}
BATCH = 2_000


@dataclass(slots=True)
class _Known:
    """A household as the 确权 register holds it."""

    id: int
    name: str
    survey_date: dt.date | None
    publicity_date: dt.date | None
    contract_end: dt.date | None = None
    contract_signed: dt.date | None = None
    certificates: dict[str, dt.date | None] = field(default_factory=dict)  # serial → issued_on


@use_case(Permission.WRITE, "导入后续工作阶段数据")
def run_campaign_import(ctx: ArchiveContext, path: Path, campaign: str, *,
                        new_households: bool = False) -> CampaignImportReport:
    """Import ``path`` as ``campaign``'s data; raises ArchiveError (nothing written) on what it refuses."""
    settings = ctx.config.settings.campaign(campaign)
    source = read_source(path)
    try:
        with ctx.engine.begin() as connection:
            return import_campaign(connection, ctx.config, settings, source, new_households=new_households)
    finally:
        source.close()


def import_campaign(connection: Connection, config: Config, campaign: CampaignSettings, source: Source, *,
                    new_households: bool = False) -> CampaignImportReport:
    """Check and write ``source`` as ``campaign``'s data inside the caller's transaction."""
    audit.take_write_lock(connection)
    township = config.settings.township.code
    report = CampaignImportReport(str(source.path), campaign.name)
    known = _known(connection, township)
    with _scratch() as scratch:
        households, earlier = _read(scratch, source, township, report, known)
        refusals = _refusals(households, known, new_households, campaign.name, earlier)
        if refusals:
            raise ArchiveError(f"{campaign.name}数据 {source.path} 未导入，数据库未作任何改动：", details=refusals)
        report.households = len(households)
        new = _register_new(connection, households, known, report) if new_households else set()
        codes = sorted(households)
        for start in range(0, len(codes), BATCH):
            batch = {code: households[code] for code in codes[start:start + BATCH]}
            records, contracts, registers, certificates = _campaign_rows(
                batch, _staged(scratch, list(batch)), known, new, report)
            _write_records(connection, campaign.name, records, report)
            report.contracts_new += _insert_new(connection, CONTRACT, campaign.name, contracts)
            report.registers_new += _insert_new(connection, REGISTER, campaign.name, registers)
            report.certificates_new += _insert_certificates(connection, campaign.name, certificates)
    report.files_new = archive_files.create_missing(connection, config, campaign.name)
    file_ids = list(connection.execute(select(FILE.c.id).where(FILE.c.campaign == campaign.name)
                                       .order_by(FILE.c.id)).scalars())
    report.catalogued = catalogue.refresh(connection, config, file_ids)
    search.forget(connection, sorted({known[code].id for code in households if code in known}))
    if report.changed:
        audit.record(connection, operator=config.operator, action="import_campaign", entity="source",
                     key=Path(report.source).name,
                     after={"source": report.source, "campaign": campaign.name, "reached": report.reached,
                            "records_new": report.records_new, "records_updated": report.records_updated,
                            "contracts_new": report.contracts_new, "certificates_new": report.certificates_new,
                            "files_new": report.files_new, "new_households": report.new_households})
    return report


# ---- reading ---------------------------------------------------------------------------------

CBF_KEPT = ("code", "name", "survey_date", "publicity_review_date", "publicity_notes")
MEMBER_KEPT = ("name", "id_number", "relation")  # as campaign_record.members holds them


def _member_json(row: dict) -> str:
    return json.dumps({name: row[name] for name in MEMBER_KEPT}, ensure_ascii=False)


def _parcel_json(row: dict) -> str:
    return json.dumps({"code": row["code"], "area": row["contract_area"]}, ensure_ascii=False)


def _kept(row: dict, names: tuple[str, ...] | None) -> dict:
    """What is held of a source row: all of a new household's (it is registered from them), the
    campaign's few fields of a known one's (a county's 100,000 households in bounded memory)."""
    return row if names is None else {name: row[name] for name in names}


def _read(scratch: sqlite3.Connection, source: Source, township: str, report: CampaignImportReport,
          known: dict[str, "_Known"]) -> tuple[dict[str, _Household], list[str]]:
    """The source's households of this township, their other rows staged; and the households whose
    contract ends before the 确权 one. Unreadable values are rejects (the import's own messages), and
    any reject stops the import before anything is written."""
    problems = ImportReport(str(source.path), source.kind)
    if "CBF" not in source.tables:
        raise ArchiveError(f"数据源 {source.path} 中没有承包方表（CBF），不能作为{report.campaign}数据导入")
    households: dict[str, _Household] = {}
    for row in _rows(source, "CBF", problems):
        code = row["code"]
        if not code.startswith(township):
            report.other_township_rows += 1
            continue
        households[code] = _Household(code, _kept(row, CBF_KEPT if code in known else None))
    earlier: list[str] = []
    staged: list[tuple[str, str, str]] = []
    for name, key in (("CBF_JTCY", "household_code"), ("CBDKXX", "household_code"), ("CBHT", "household_code"),
                      ("CBJYQZDJB", "household_code"), ("CBJYQZ", "code")):
        for row in _rows(source, name, problems):
            household = households.get(row[key][:18])
            if household is None:
                if not row[key].startswith(township):
                    report.other_township_rows += 1
                continue
            entry = known.get(household.code)
            if entry is not None and _as_at_first(name, row, entry):
                continue  # the 确权 row itself: nothing of the campaign in it
            if entry is not None and name == "CBHT" and row["term_end"] and entry.contract_end \
                    and row["term_end"] < entry.contract_end:
                earlier.append(f"  - 承包方 {household.code}（{entry.name}）：合同 {row['code']} 的承包期限止 "
                               f"{row['term_end'].isoformat()} 早于确权合同的 {entry.contract_end.isoformat()}")
                continue
            if entry is None and name == "CBF_JTCY":
                household.members.append(row)
            elif entry is None and name == "CBDKXX":
                household.parcels.append(row)
            else:
                staged.append((household.code, STAGED[name], _as_json(name, row)))
                if len(staged) >= CHUNK:
                    scratch.executemany("INSERT INTO stage (code, kind, text) VALUES (?, ?, ?)", staged)
                    staged = []
    scratch.executemany("INSERT INTO stage (code, kind, text) VALUES (?, ?, ?)", staged)
    scratch.execute("CREATE INDEX stage_code ON stage (code, seq)")
    if problems.reject_count:
        raise ImportRejected(problems)
    return households, earlier


CHUNK = 5_000


def _as_json(table: str, row: dict) -> str:
    """A staged row as the JSON text it waits as (members and parcels as campaign_record holds them)."""
    if table == "CBF_JTCY":
        return _member_json(row)
    if table == "CBDKXX":
        return _parcel_json(row)
    return json.dumps({f.attr: row[f.attr] for f in TABLES[table].fields}, ensure_ascii=False, default=str)


def _from_json(table: str, text: str) -> dict:
    """A staged contract, register entry or certificate row, its dates dates again."""
    row = json.loads(text)
    for f in TABLES[table].fields:
        if f.kind == Kind.DATE and row.get(f.attr):
            row[f.attr] = dt.date.fromisoformat(row[f.attr])
    return row


def _staged(scratch: sqlite3.Connection, codes: list[str]) -> dict[str, dict[str, list[str]]]:
    """The staged rows of these households: code → kind → JSON texts, in the source's order."""
    found: dict[str, dict[str, list[str]]] = {}
    for start in range(0, len(codes), 500):
        part = codes[start:start + 500]
        for code, kind, text in scratch.execute(
                f"SELECT code, kind, text FROM stage WHERE code IN ({', '.join('?' * len(part))}) ORDER BY seq", part):
            found.setdefault(code, {}).setdefault(kind, []).append(text)
    return found


def _as_at_first(table: str, row: dict, entry: "_Known") -> bool:
    """Is this contract, register entry or certificate row the 确权 one, unchanged in its period?"""
    if table == "CBHT":
        return entry.contract_end is not None and row["term_end"] == entry.contract_end
    if table == "CBJYQZDJB":
        return (row["term_end"] or dt.date.min) <= (entry.contract_end or dt.date.min)
    if table == "CBJYQZ" and entry.certificates:
        return (row["issued_on"] or dt.date.min) <= max(day or dt.date.min for day in entry.certificates.values())
    return False


def _rows(source: Source, name: str, problems: ImportReport):
    if name not in source.tables:
        return
    reader = TableReader(source, TABLES[name], problems)
    for batch in reader.chunks():
        for row in batch.rows():
            yield row.values


def _known(connection: Connection, township: str) -> dict[str, _Known]:
    """The township's households as the 确权 register holds them."""
    known = {row.code: _Known(row.id, row.name, row.survey_date, row.publicity_review_date)
             for row in connection.execute(select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, HOUSEHOLD.c.name,
                                                  HOUSEHOLD.c.survey_date, HOUSEHOLD.c.publicity_review_date)
                                           .where(HOUSEHOLD.c.code.startswith(township)))}
    by_id = {entry.id: entry for entry in known.values()}
    first = (CONTRACT.c.campaign == PRIMARY_CAMPAIGN) & CONTRACT.c.code.startswith(township)
    for row in connection.execute(select(CONTRACT.c.household_id, CONTRACT.c.term_end, CONTRACT.c.signed_date)
                                  .where(first)):
        entry = by_id.get(row.household_id)
        if entry is not None and (row.term_end or dt.date.min) > (entry.contract_end or dt.date.min):
            entry.contract_end, entry.contract_signed = row.term_end, row.signed_date
    for row in connection.execute(select(CERTIFICATE.c.household_id, CERTIFICATE.c.serial, CERTIFICATE.c.issued_on)
                                  .where(CERTIFICATE.c.code.startswith(township))):
        entry = by_id.get(row.household_id)
        if entry is not None:
            entry.certificates[row.serial] = row.issued_on
    return known


# ---- what is refused ---------------------------------------------------------------------------

def _refusals(households: dict[str, _Household], known: dict[str, _Known], new_households: bool,
              campaign: str, earlier: list[str]) -> list[str]:
    refusals = []
    unknown = [h for code, h in households.items() if code not in known]
    if unknown and not new_households:
        refusals.append(f"以下 {len(unknown)} 户不在确权登记中（{campaign}以确权结果为基础逐户开展）；"
                        "确属新分户等情况的，核实后加 --new-households 导入，将逐户列出：")
        refusals += [f"  - 承包方 {h.code}（{h.cbf['name']}）" for h in unknown[:SHOWN]]
        refusals += [f"  ……另有 {len(unknown) - SHOWN} 户"] if len(unknown) > SHOWN else []
    if earlier:
        refusals.append(f"以下 {len(earlier)} 户的承包合同期限比确权时还早结束，不是延长后的合同（请核对数据）：")
        refusals += earlier[:SHOWN] + ([f"  ……另有 {len(earlier) - SHOWN} 户"] if len(earlier) > SHOWN else [])
    return refusals


# ---- writing -------------------------------------------------------------------------------------

def _register_new(connection: Connection, households: dict[str, _Household], known: dict[str, _Known],
                  report: CampaignImportReport) -> None:
    """Households new in the campaign (新分户 …): registered with their members and parcels, listed;
    returns their codes."""
    new = [h for code, h in households.items() if code not in known]
    if not new:
        return set()
    issuers = dict(rows_where_in(connection, [ISSUER.c.code, ISSUER.c.id], ISSUER.c.code,
                                 sorted({h.code[:14] for h in new})))
    missing = sorted({h.code[:14] for h in new} - set(issuers))
    if missing:
        raise ArchiveError(f"新登记的承包方所属发包方不在确权登记中：{'、'.join(missing)}；请先导入发包方（FBF）")
    household_columns = [column for column in HOUSEHOLD.c.keys() if column not in ("id", "issuer_id")]
    for household in new:
        values = {name: household.cbf[name] for name in household_columns if name in household.cbf}
        household_id = connection.execute(HOUSEHOLD.insert().values(
            issuer_id=issuers[household.code[:14]], **values)).inserted_primary_key[0]
        insert_rows(connection, MEMBER, [{"household_id": household_id, "position": position, **_own(member, MEMBER)}
                                         for position, member in enumerate(household.members, start=1)])
        insert_rows(connection, PARCEL, [{"household_id": household_id, **_own(parcel, PARCEL)}
                                         for parcel in household.parcels])
        known[household.code] = _Known(household_id, household.cbf.get("name", ""), None, None)
        report.new_households.append(f"{household.code} {household.cbf.get('name', '')}")
    return {household.code for household in new}


def _own(row: dict, table) -> dict:
    """The values of a source row that are columns of ``table`` (ids aside)."""
    return {name: row[name] for name in table.c.keys() if name in row and name not in ("id", "household_id")}


def _newer(value: dt.date | None, before: dt.date | None) -> dt.date | None:
    """A step's date when the source has one later than the 确权 one (the step was done again)."""
    return value if value and (before is None or value > before) else None


def _objection(notes: str) -> str:
    """公示异议 as the 公示记事 states it ("" when none was raised)."""
    text = (notes or "").strip()
    if "异议" in text and not any(word in text for word in ("无异议", "没有异议", "未有异议", "无人提出异议")):
        return text
    return ""


def _latest(texts: list[str] | None, table: str, date_field: str) -> dict | None:
    """Of a household's staged rows of a table (a source may hold both periods), the one of the latest date."""
    rows = [_from_json(table, text) for text in texts or ()]
    return max(rows, key=lambda row: row[date_field] or dt.date.min, default=None)


def _campaign_rows(households: dict[str, _Household], staged: dict[str, dict[str, list[str]]],
                   known: dict[str, _Known], new_codes: set[str], report: CampaignImportReport):
    """The campaign's records, contracts, register entries and certificates of a batch of households."""
    records, contracts, registers, certificates = {}, [], [], []
    for code, household in households.items():
        entry, rows, new = known[code], staged.get(code, {}), code in new_codes
        contract = _latest(rows.get("CBHT"), "CBHT", "term_end")
        extended = contract is not None and contract["term_end"] and (
            new or (entry.contract_end is not None and contract["term_end"] > entry.contract_end))
        register = _latest(rows.get("CBJYQZDJB"), "CBJYQZDJB", "term_end")
        certificate = _latest(rows.get("CBJYQZ"), "CBJYQZ", "issued_on")
        serial = _serial(register, certificate)
        # a certificate of the campaign goes with its extended contract or register entry (a 确权-era
        # certificate the archive never had is not the campaign's)
        certified = certificate is not None and serial not in entry.certificates and (
            new or extended or register is not None)
        confirmed = household.cbf.get("survey_date") if new else _newer(household.cbf.get("survey_date"),
                                                                         entry.survey_date)
        if not (confirmed or extended or certified):
            report.not_reached += 1
            continue
        report.reached += 1
        publicised = household.cbf.get("publicity_review_date") if new else _newer(
            household.cbf.get("publicity_review_date"), entry.publicity_date)
        records[entry.id] = {
            "confirmed_on": confirmed, "publicised_on": publicised,
            "objection": _objection(household.cbf.get("publicity_notes", "")) if publicised else "",
            "signed_on": contract["signed_date"] if extended else None,
            "members": _json_list(rows.get("m", []) + [_member_json(row) for row in household.members]),
            "parcels": _json_list(rows.get("p", []) + [_parcel_json(row) for row in household.parcels]),
            "new_household": new}
        if extended:
            contracts.append({"code": contract["code"], "household_id": entry.id,
                              **{name: contract[name] for name in CONTRACT_FIELDS if name in contract}})
        if extended and register is not None and register["term_end"] and register["term_end"] >= contract["term_end"]:
            registers.append({"code": register["code"], "household_id": entry.id,
                              **{name: register[name] for name in REGISTER_FIELDS if name in register}})
        if certified:
            collected = certificate["collected"] == YesNo.YES
            certificates.append({
                "serial": serial, "code": certificate["code"], "household_id": entry.id, "generation": "new",
                "status": "issued" if collected else "printed",
                **{name: certificate[name] for name in ("authority", "issued_on", "collected", "collected_on",
                                                         "collector_name", "collector_id_type", "collector_id_number")
                   if name in certificate}})
    return records, contracts, registers, certificates


def _json_list(texts: list[str]) -> str:
    """A JSON array of rows held as JSON text."""
    return "[" + ", ".join(texts) + "]"


def _serial(register: dict | None, certificate: dict | None) -> str:
    """The printed serial of the household's certificate in the source: the register's 证书流水号,
    else the certificate code itself."""
    if register is not None and register.get("certificate_serial"):
        return register["certificate_serial"]
    return certificate["code"] if certificate is not None else ""


def _write_records(connection: Connection, campaign: str, records: dict[int, dict],
                   report: CampaignImportReport) -> None:
    existing = {row.household_id: row._mapping for row in rows_where_in(
        connection, [CAMPAIGN_RECORD], CAMPAIGN_RECORD.c.household_id, list(records),
        where=CAMPAIGN_RECORD.c.campaign == campaign)}
    inserts = []
    for household_id, values in records.items():
        old = existing.get(household_id)
        if old is None:
            inserts.append({"household_id": household_id, "campaign": campaign, "note": "", **values})
            continue
        # a step once recorded is kept when a later source lacks it (no information is not "undone")
        changed = {name: values[name] for name in RECORD_FIELDS
                   if values[name] not in (None, "", "[]") and old[name] != values[name]}
        if changed:
            connection.execute(CAMPAIGN_RECORD.update().where(CAMPAIGN_RECORD.c.id == old["id"])
                               .values(**changed, updated_at=dt.datetime.now(dt.UTC).replace(microsecond=0)))
            report.records_updated += 1
    insert_rows(connection, CAMPAIGN_RECORD, inserts,
                ["household_id", "campaign", "note", "new_household", *RECORD_FIELDS])
    report.records_new += len(inserts)


def _insert_new(connection: Connection, table, campaign: str, rows: list[dict]) -> int:
    """Rows of the campaign not held yet (by code); a held one is left as it is."""
    held = {row.code for row in rows_where_in(connection, [table.c.code], table.c.code, [r["code"] for r in rows],
                                              where=table.c.campaign == campaign)}
    new = [{**row, "campaign": campaign} for row in rows if row["code"] not in held]
    if new:
        insert_rows(connection, table, new, sorted({key for row in new for key in row}))
    return len(new)


def _insert_certificates(connection: Connection, campaign: str, rows: list[dict]) -> int:
    held = {row.serial: row.household_id for row in rows_where_in(
        connection, [CERTIFICATE.c.serial, CERTIFICATE.c.household_id], CERTIFICATE.c.serial,
        [r["serial"] for r in rows])}
    clashes = [row for row in rows if row["serial"] in held and held[row["serial"]] != row["household_id"]]
    if clashes:
        raise ArchiveError("证书编号已被其他承包方的证书使用："
                           + "、".join(f"{row['serial']}（承包方 {row['code'][:18]}）" for row in clashes[:SHOWN]))
    new = [{**row, "campaign": campaign} for row in rows if row["serial"] not in held]
    if new:
        columns = sorted({key for row in new for key in row})
        insert_rows(connection, CERTIFICATE, [{name: row.get(name) for name in columns} for row in new], columns)
    return len(new)


__all__ = ["CampaignImportReport", "import_campaign", "run_campaign_import"]
