"""Writing checked rows into the archive (写入): insert new, update changed, list each change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path

from sqlalchemy import Connection, Table, bindparam, select

from archive_tui.config import Config
from archive_tui.db import insert_rows
from archive_tui.services import archive_files, audit, search
from archive_tui.services.importing.checks import Row, SourceChecker
from archive_tui.services.importing.report import Change, Flag, ImportReport
from archive_tui.services.nyt2539 import EVENT_TABLES, TABLES, TableMap
from archive_tui.services.values import as_text
from models import (
    Attachment, Certificate, CertificateEvent, Contract, Finding, Household, Issuer, Member,
    Parcel, RegisterEntry,
)
from models.codes import YesNo
from models.tables import now

ISSUER, HOUSEHOLD, MEMBER, PARCEL = (Issuer.__table__, Household.__table__, Member.__table__, Parcel.__table__)
CONTRACT, REGISTER = Contract.__table__, RegisterEntry.__table__
CERTIFICATE, EVENT, ATTACHMENT, FINDING = (
    Certificate.__table__, CertificateEvent.__table__, Attachment.__table__, Finding.__table__,
)
CHUNK = 20_000

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


class ArchiveWriter:
    def __init__(self, connection: Connection, config: Config, report: ImportReport):
        self.connection = connection
        self.config = config
        self.report = report
        self.changed_households: set[int] = set()  # their search entries are rebuilt
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
            if table is HOUSEHOLD:
                self.changed_households.add(old["id"])
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
                self.changed_households.add(household_id)
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

    def certificates(self, validator: SourceChecker, household_ids: dict[str, int],
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


def _parcel_records(validator: SourceChecker) -> dict[str, dict]:
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




def write_all(connection: Connection, config: Config, validator: SourceChecker, members: dict[str, list[dict]],
              events: dict[str, list[Row]], report: ImportReport, progress) -> None:
    """Write every checked table, parents first, then the files, findings and the audit event."""
    writer = ArchiveWriter(connection, config, report)
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
    search.forget(connection, sorted(writer.changed_households))
    progress("写入审计记录", 8, stages)
    if report.changed or report.new_files:
        audit.record(
            connection, operator=config.operator, action="import", entity="source", key=Path(report.source).name,
            after={"source": report.source, "kind": report.kind,
                   "counts": {k: vars(v) for k, v in report.counts.items()},
                   "rejects_skipped": len(report.rejects), "new_files": report.new_files},
        )
    progress("完成", stages, stages)
