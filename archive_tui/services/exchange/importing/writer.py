"""Writing checked rows into the archive (写入), a chunk at a time: insert new, update
changed, list each change, and keep what the archive owns (see :mod:`.ownership`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy import Connection, Table, bindparam, exists, func, select

from archive_tui.core.config import Config
from archive_tui.db import insert_columns, insert_rows, rows_where_in, update_rows
from archive_tui.services.households.archive_files import village_name_of
from archive_tui.services.registers.certificate_records import STATUS_LABELS
from archive_tui.services.exchange.importing.checks import SourceChecker
from archive_tui.services.exchange.importing.ownership import (
    ARCHIVE_EVENTS_WHY, HANDOVER, LOCAL_EDIT_WHY, archive_owned_certificates, local_edits,
)
from archive_tui.services.exchange.importing.reading import Batch, Row, TableReader
from archive_tui.services.exchange.importing.report import Change, Conflict, ImportReport, shown_value
from archive_tui.services.exchange.nyt2539 import EVENT_TABLES, TABLES, TableMap
from models.codes import YesNo
from models.tables import PRIMARY_CAMPAIGN, now
from archive_tui.db.tables import (
    ATTACHMENT, CERTIFICATE, CERT_EVENT as EVENT, CONTRACT, HOUSEHOLD, ISSUER, MEMBER, PARCEL, REGISTER,
)

EVENTS_LABEL = "证书补发换发注销"
MORE_LABELS = {"household_id": "承包方", "serial": "证书编号", "status": "状态", "village_name": "村名"}
EVENT_FIELDS = ("happened_on", "collected_on", "reason", "person_name", "person_id_type", "person_id_number")


class ArchiveWriter:
    def __init__(self, connection: Connection, config: Config, report: ImportReport, checker: SourceChecker):
        self.connection = connection
        self.config = config
        self.report = report
        self.checker = checker
        self.township = config.settings.township.code
        self.household_ids: dict[str, int] = dict(connection.execute(
            select(HOUSEHOLD.c.code, HOUSEHOLD.c.id).where(HOUSEHOLD.c.code.startswith(self.township))).all())
        self.local_edits = local_edits(connection, "household")
        self.changed_households: set[int] = set()  # their search entries are rebuilt
        self.floors = {table.name: connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
                       for table in (HOUSEHOLD, PARCEL, CERTIFICATE)}  # ids above these are new in this import
        # tables holding nothing of this township yet: every row is new, nothing to look up
        self.fresh = {table.name: not connection.execute(
            select(exists().where(table.c[key].startswith(self.township)))).scalar()
            for table, key in ((ISSUER, "code"), (HOUSEHOLD, "code"), (PARCEL, "code"), (CONTRACT, "code"),
                               (REGISTER, "code"), (CERTIFICATE, "code"), (ATTACHMENT, "certificate_code"))}
        self.fresh[MEMBER.name] = self.fresh[HOUSEHOLD.name]
        self.issuer_rows: list[Row] = []
        self.member_positions: Counter[str] = Counter()
        self.members_before: dict[int, int] = {}
        self.cancelled: set[str] = set()

    # ---- the generic upsert ------------------------------------------------------------------

    def existing(self, table: Table, column: str, keys: list, columns=None) -> list:
        """The archive's rows of these keys. By code, only the 确权 ones: a later campaign's contract,
        register entry or certificate has the same code and is never the import's to change."""
        selected = [table] if columns is None else [table.c[name] for name in columns]
        first = table.c.campaign == PRIMARY_CAMPAIGN if column == "code" and "campaign" in table.c else None
        return list(rows_where_in(self.connection, selected, table.c[column], keys, where=first))

    def upsert(self, reader: TableReader, batch: Batch, table: Table, *,
               extra: Callable[[Batch], dict[str, list]] | None = None,
               key: tuple[str, ...] = ("code",), editable: bool = False) -> None:
        """Insert the new rows of a chunk and update the changed ones, field by field.

        Only the fields the source has are compared: a column the source lacks is "no
        information", never "erase". Fields edited in the archive are kept (a conflict is
        listed when the source says otherwise). ``extra``: columns of ours that follow
        from the row (its household's id …), given column by column."""
        count = self.report.counts[reader.table.label]
        inserted = [f.attr for f in reader.table.fields if f.attr in table.c and f.attr not in key]
        more = extra(batch) if extra else {}
        if self.fresh[table.name]:  # nothing of this township yet: all new, nothing to compare
            insert_columns(self.connection, table, {name: batch[name] for name in (*key, *inserted)} | more)
            count.new += len(batch)
        else:
            self._upsert_rows(reader, batch, table, key, inserted, more, editable)
        if table is HOUSEHOLD:
            self.household_ids.update(
                rows_where_in(self.connection, [HOUSEHOLD.c.code, HOUSEHOLD.c.id], HOUSEHOLD.c.code, batch["code"]))

    def _upsert_rows(self, reader: TableReader, batch: Batch, table: Table, key: tuple[str, ...],
                     inserted: list[str], more: dict[str, list], editable: bool) -> None:
        count = self.report.counts[reader.table.label]
        compared = [f.attr for f in reader.present if f.attr in table.c and f.attr not in key]
        old_rows = {tuple(getattr(row, name) for name in key): row._mapping
                    for row in self.existing(table, key[0], list(set(batch[key[0]])))}
        inserts, updates = [], defaultdict(list)
        for index, row in enumerate(batch.rows()):
            values = row.values
            row_key = tuple(values[name] for name in key)
            row_more = {name: column[index] for name, column in more.items()}
            old = old_rows.get(row_key)
            if old is None:
                values.update(row_more)  # the row's own dict goes to the insert: no copy per row
                inserts.append(values)
                continue
            changed = self._changes(reader.table, "·".join(row_key), old, values, compared, row_more, editable)
            if not changed:
                count.unchanged += 1
                continue
            count.updated += 1
            updates[tuple(sorted(changed))].append({"_id": old["id"], **changed})
            if table is HOUSEHOLD:
                self.changed_households.add(old["id"])
        count.new += len(inserts)
        insert_rows(self.connection, table, inserts, [*key, *inserted, *more])
        for columns, group in updates.items():
            update_rows(self.connection, table, group, list(columns))

    def _changes(self, table_map: TableMap, key: str, old, values: dict, compared: list[str], more: dict,
                 editable: bool) -> dict:
        """The fields whose value the source changes (listed), keeping the archive's own edits."""
        changed = {}
        for name in compared:
            new = values[name]
            if old[name] == new:
                continue
            if editable and (key, name) in self.local_edits:
                self.report.conflict(Conflict(table_map.label, key, table_map.label_of(name),
                                              shown_value(name, old[name]), shown_value(name, new), LOCAL_EDIT_WHY))
                continue
            changed[name] = new
            self.report.change(Change(table_map.label, key, table_map.label_of(name),
                                      shown_value(name, old[name]), shown_value(name, new)))
        for name, new in more.items():
            if old[name] == new:
                continue
            changed[name] = new
            if name in ("issuer_id", "village_code", "group_code"):  # follow from the code: nothing to list
                continue
            before, after = old[name], new
            if name == "household_id":
                before, after = self._household_code(before), self._household_code(after)
            elif name == "status":
                before, after = STATUS_LABELS.get(before, before), STATUS_LABELS.get(after, after)
            self.report.change(Change(table_map.label, key, MORE_LABELS.get(name, name), str(before), str(after)))
        return changed

    def _household_code(self, household_id: int) -> str:
        return next((code for code, id_ in self.household_ids.items() if id_ == household_id), str(household_id))

    # ---- the tables --------------------------------------------------------------------------

    def issuers(self, reader: TableReader, batch: Batch) -> None:
        self.issuer_rows.extend(batch.rows())  # a township has a few hundred: written at once, village names first

    def issuers_done(self, reader: TableReader) -> None:
        names = dict(self.connection.execute(
            select(ISSUER.c.village_code, ISSUER.c.village_name).where(ISSUER.c.code.startswith(self.township))
        ).all())
        township_name = self.config.settings.township.name
        for row in self.issuer_rows:
            code, name = row.values["code"], row.values["name"]
            if code.endswith("00") and name:  # the village-level issuer names the village
                names[code[:12]] = village_name_of(name, township_name, village_level=True)

        def extra(batch: Batch) -> dict[str, list]:
            codes = batch["code"]
            return {"village_code": [code[:12] for code in codes], "group_code": [code[12:] for code in codes],
                    "village_name": [names.get(code[:12]) or village_name_of(name, township_name, village_level=False)
                                     for code, name in zip(codes, batch["name"])]}

        attrs = [f.attr for f in reader.table.fields]
        for start in range(0, len(self.issuer_rows), 5000):
            self.upsert(reader, Batch.of_rows(self.issuer_rows[start:start + 5000], attrs), ISSUER, extra=extra)
        self.issuer_rows = []

    def households(self, reader: TableReader, batch: Batch) -> None:
        issuers = [code[:14] for code in batch["code"]]
        issuer_ids = self._issuer_ids(set(issuers))
        self.upsert(reader, batch, HOUSEHOLD, extra=lambda _b: {"issuer_id": list(map(issuer_ids.get, issuers))},
                    editable=True)

    def _household_id_column(self, codes: list[str]) -> dict[str, list]:
        return {"household_id": list(map(self.household_ids.__getitem__, codes))}

    def _issuer_ids(self, codes: set[str]) -> dict[str, int]:
        return {row.code: row.id for row in self.existing(ISSUER, "code", list(codes), ("code", "id"))}

    def members(self, reader: TableReader, batch: Batch) -> None:
        """Members by their place in the household (1st, 2nd …) as the source lists them."""
        count = self.report.counts[reader.table.label]
        codes = batch["household_code"]
        household_ids = list(map(self.household_ids.__getitem__, codes))
        positions, counter = [], self.member_positions
        for code in codes:
            position = counter[code]
            counter[code] = position + 1
            positions.append(position)
        inserted = [f.attr for f in reader.table.fields if f.attr != "household_code"]
        if self.fresh[MEMBER.name]:
            insert_columns(self.connection, MEMBER, {"household_id": household_ids, "position": positions,
                                                     **{name: batch[name] for name in inserted}})
            count.new += len(batch)
            return
        compared = [f.attr for f in reader.present if f.attr != "household_code"]
        ids = list(set(household_ids))
        current: dict[tuple[int, int], object] = {}
        for row in self.existing(MEMBER, "household_id", ids):
            current[(row.household_id, row.position)] = row._mapping
        for household_id in ids:
            self.members_before.setdefault(household_id, 0)
        for (household_id, position) in current:
            self.members_before[household_id] = max(self.members_before[household_id], position + 1)
        inserts, updates = [], defaultdict(list)
        for row, household_id, position in zip(batch.rows(), household_ids, positions):
            values = row.values
            old = current.get((household_id, position))
            if old is None:
                values["household_id"], values["position"] = household_id, position
                inserts.append(values)
                self.changed_households.add(household_id)
                continue
            key = f"{values['household_code']} 第{position + 1}人"
            changed = self._changes(reader.table, key, old, values, compared, {}, False)
            if not changed:
                count.unchanged += 1
                continue
            count.updated += 1
            self.changed_households.add(household_id)
            updates[tuple(sorted(changed))].append({"_id": old["id"], **changed})
        count.new += len(inserts)
        insert_rows(self.connection, MEMBER, inserts, ["household_id", "position", *inserted])
        for columns, group in updates.items():
            update_rows(self.connection, MEMBER, group, list(columns))

    def members_done(self, reader: TableReader) -> None:
        """Members a household no longer has in the source are removed (and listed)."""
        codes = {id_: code for code, id_ in self.household_ids.items()}
        for household_id, before in self.members_before.items():
            code = codes[household_id]
            now_count = self.member_positions[code]
            if before <= now_count:
                continue
            gone = self.connection.execute(
                select(MEMBER.c.position, MEMBER.c.name)
                .where(MEMBER.c.household_id == household_id, MEMBER.c.position >= now_count)).all()
            for position, name in gone:
                self.report.change(Change("家庭成员", f"{code} 第{position + 1}人", "成员", name, "（已不在数据源中）"))
            self.connection.execute(MEMBER.delete().where(MEMBER.c.household_id == household_id,
                                                          MEMBER.c.position >= now_count))
            self.report.counts[reader.table.label].updated += len(gone)
            self.changed_households.add(household_id)
        self.members_before = {}

    def parcels(self, reader: TableReader, batch: Batch) -> None:
        """CBDKXX, with the values of the parcel layer (DK) the checker attached: a new parcel
        is written once, whole; an existing one compares the layer's values field by field."""
        layer = self.checker.layer_attrs
        layer_count = self.report.counts[TABLES["DK"].label]

        def extra(b: Batch) -> dict[str, list]:
            columns = self._household_id_column(b["household_code"])
            if self.fresh[PARCEL.name]:
                columns.update((name, b[name]) for name in layer)
            return columns

        self.upsert(reader, batch, PARCEL, extra=extra)
        if not layer:
            return
        if self.fresh[PARCEL.name]:
            layer_count.new += sum(batch["in_layer"])
        else:
            self._parcel_attributes(batch)

    def parcels_done(self, reader: TableReader) -> None:
        """DK rows of parcels the archive already had; then 基本农田 of each household follows its
        parcels (only the parcel layer says which are)."""
        layer = self.checker.layer_attrs
        if not layer:
            return
        self._parcel_attributes(self.checker.left_in_layer())
        if "is_basic_farmland" in layer:
            any_farmland = exists().where(PARCEL.c.household_id == HOUSEHOLD.c.id, PARCEL.c.is_basic_farmland)
            self.connection.execute(
                HOUSEHOLD.update().where(HOUSEHOLD.c.code.startswith(self.township),
                                         HOUSEHOLD.c.has_basic_farmland != any_farmland)
                .values(has_basic_farmland=any_farmland))

    def _parcel_attributes(self, batch: Batch) -> None:
        """DK's values for parcels that were in the archive before this import (and for those
        brought in by CBDKXX but not new to it): compared field by field, changes listed."""
        table_map = TABLES["DK"]
        count = self.report.counts[table_map.label]
        layer = self.checker.layer_attrs
        codes = [code for code, present in zip(batch["code"], batch["in_layer"]) if present]
        if not codes:
            return
        old_rows = {row.code: row._mapping for row in self.existing(PARCEL, "code", codes)}
        updates = defaultdict(list)
        floor = self.floors["parcel"]
        for row in batch.rows():
            values = row.values
            old = old_rows.get(values["code"]) if values["in_layer"] else None
            if old is None:
                continue
            if old["id"] > floor:  # brought in by this import: no change to list
                changed = {name: values[name] for name in layer if old[name] != values[name]}
                count.new += 1
            else:
                changed = self._changes(table_map, values["code"], old, values, layer, {}, False)
                if changed:
                    count.updated += 1
                else:
                    count.unchanged += 1
            if changed:
                updates[tuple(sorted(changed))].append({"_id": old["id"], **changed})
        for columns, group in updates.items():
            update_rows(self.connection, PARCEL, group, list(columns))

    def _owners(self, batch: Batch, column: str = "code") -> dict[str, list]:
        return self._household_id_column([code[:18] for code in batch[column]])

    def contracts(self, reader: TableReader, batch: Batch) -> None:
        self.upsert(reader, batch, CONTRACT, extra=self._owners)

    def registers(self, reader: TableReader, batch: Batch) -> None:
        self.upsert(reader, batch, REGISTER, extra=self._owners)
        self._old_certificates(batch)

    def _old_certificates(self, batch: Batch) -> None:
        """The 2010-era certificate each register entry names (原证编号), once per serial."""
        wanted = {serial: code for serial, code in zip(batch["old_certificate_serial"], batch["code"]) if serial}
        if not wanted:
            return
        taken = {row.serial for row in self.existing(CERTIFICATE, "serial", list(wanted), ("serial",))}
        count = self.report.counts["承包经营权证"]
        inserts = [{"code": code, "serial": serial, "household_id": self.household_ids[code[:18]],
                    "generation": "old", "status": "issued", "authority": "", "issued_on": None, "collected": "",
                    "collected_on": None, "collector_name": "", "collector_id_type": "", "collector_id_number": ""}
                   for serial, code in wanted.items() if serial not in taken]
        count.new += len(inserts)
        insert_rows(self.connection, CERTIFICATE, inserts)

    def read_cancellations(self, reader: TableReader) -> None:
        """The codes the source cancelled (注销), read ahead: a new certificate's status needs them."""
        for chunk in reader.chunks():
            self.cancelled.update(chunk["code"])

    def certificates(self, reader: TableReader, batch: Batch) -> None:
        """New certificates (CBJYQZ). The registration fields are the source's; who collected it
        and its status are the archive's as soon as the archive recorded an event of it."""
        count = self.report.counts["承包经营权证"]
        codes = batch["code"]
        serials = list(map(self.checker.serial_of, codes))
        statuses = [self._source_status(code, collected) for code, collected in zip(codes, batch["collected"])]
        if self.fresh[CERTIFICATE.name]:
            insert_columns(self.connection, CERTIFICATE, {
                "code": codes, "serial": serials, "generation": ["new"] * len(batch), "status": statuses,
                **self._owners(batch), **{name: batch[name] for name in ("authority", "issued_on", *HANDOVER)}})
            count.new += len(batch)
            return
        present = {f.attr for f in reader.present}
        registration = [name for name in ("authority", "issued_on") if name in present]
        handover = [name for name in HANDOVER if name in present]
        old_rows = {row.code: row._mapping for row in self.existing(CERTIFICATE, "code", codes)
                    if row.generation == "new"}
        ours = archive_owned_certificates(self.connection, [old["id"] for old in old_rows.values()])
        inserts, updates, guarded = [], defaultdict(list), defaultdict(list)
        for row, serial, status in zip(batch.rows(), serials, statuses):
            values = row.values
            code = values["code"]
            old = old_rows.get(code)
            if old is None:
                inserts.append({"code": code, "serial": serial, "household_id": self.household_ids[code[:18]],
                                "generation": "new", "status": status,
                                **{name: values[name] for name in ("authority", "issued_on", *HANDOVER)}})
                continue
            changed = self._changes(reader.table, code, old, values, registration, {"serial": serial}, False)
            if old["id"] in ours:
                self._handover_conflicts(reader, code, old, values, handover)
                source_changes = {}
            else:
                source_changes = self._changes(reader.table, code, old, values, handover, {"status": status}, False)
            if not changed and not source_changes:
                count.unchanged += 1
                continue
            count.updated += 1
            if changed:
                updates[tuple(sorted(changed))].append({"_id": old["id"], **changed})
            if source_changes:
                guarded[tuple(sorted(source_changes))].append({"_id": old["id"], **source_changes})
        count.new += len(inserts)
        insert_rows(self.connection, CERTIFICATE, inserts)
        for columns, group in updates.items():
            update_rows(self.connection, CERTIFICATE, group, list(columns))
        for columns, group in guarded.items():
            self._update_unless_recorded(group, columns)

    def _source_status(self, code: str, collected: str) -> str:
        if code in self.cancelled:
            return "cancelled"
        return "issued" if collected == YesNo.YES else "printed"

    def _handover_conflicts(self, reader: TableReader, code: str, old, values: dict, handover: list[str]) -> None:
        for name in handover:
            if values[name] not in ("", None) and old[name] != values[name]:
                self.report.conflict(Conflict(reader.table.label, code, reader.table.label_of(name),
                                              shown_value(name, old[name]), shown_value(name, values[name]),
                                              ARCHIVE_EVENTS_WHY))

    def _update_unless_recorded(self, rows: list[dict], columns: Iterable[str]) -> None:
        """Handover fields from the source, unless meanwhile the archive recorded an event of the
        certificate (another workstation's 发证 committing while this import runs)."""
        columns = list(columns)
        recorded = exists().where(EVENT.c.certificate_id == CERTIFICATE.c.id, EVENT.c.origin == "archive")
        statement = (CERTIFICATE.update().where(CERTIFICATE.c.id == bindparam("_id"), ~recorded)
                     .values({name: bindparam(f"_{name}") for name in columns}))
        self.connection.execute(statement, [{"_id": row["_id"], **{f"_{name}": row[name] for name in columns}}
                                            for row in rows])

    def certificate_events(self, reader: TableReader, batch: Batch) -> None:
        """补发/换发/注销 rows of the national tables, each recorded once (origin: import)."""
        kind = EVENT_TABLES[reader.table.name]
        rows = batch.rows()
        codes = list(set(batch["code"]))
        ids = {row.code: row.id for row in self.existing(CERTIFICATE, "code", codes, ("code", "id", "generation"))
               if row.generation == "new"}
        seen = {
            tuple(row) for row in self.connection.execute(
                select(EVENT.c.certificate_id, EVENT.c.kind, *(EVENT.c[f] for f in EVENT_FIELDS))
                .where(EVENT.c.kind == kind, EVENT.c.certificate_id.in_(list(ids.values()))))
        }
        count = self.report.counts[EVENTS_LABEL]
        inserts = []
        for row in rows:
            record = {f: row.values.get(f, None if f.endswith("_on") else "") for f in EVENT_FIELDS}
            event_key = (ids[row.values["code"]], kind, *record.values())
            if event_key in seen:
                count.unchanged += 1
                continue
            seen.add(event_key)
            count.new += 1
            inserts.append({"certificate_id": event_key[0], "kind": kind, **record, "operator": self.config.operator,
                            "details": "{}", "origin": "import", "recorded_at": now()})
        insert_rows(self.connection, EVENT, inserts)

    def attachments(self, reader: TableReader, batch: Batch) -> None:
        self.upsert(reader, batch, ATTACHMENT, key=("certificate_code", "number"),
                    extra=lambda b: self._owners(b, "certificate_code"))
