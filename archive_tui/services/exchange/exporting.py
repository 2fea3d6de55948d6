"""Export the NY/T 2539 tables back out (导出), as a CSV folder or an ``.xlsx`` workbook.

Importing the export into a new database gives the same data. The tables are the 确权 data
(the register the national tables were imported from): a later campaign's (延包) contracts,
register entries and certificates, which carry the same codes, are not among them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.reports.tables import Tables, write_csv_folder, write_xlsx
from archive_tui.services.exchange.nyt2539 import EVENT_TABLES, TABLES, TableMap
from archive_tui.core.values import format_number
from archive_tui.db.tables import (
    ATTACHMENT, CERTIFICATE, CERT_EVENT as EVENT, CONTRACT, HOUSEHOLD, ISSUER, MEMBER, PARCEL, REGISTER,
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "2"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _table(table_map: TableMap, rows) -> tuple[list[str], list[list[str]]]:
    attrs = [f.attr for f in table_map.fields]
    return table_map.columns, [[_cell(row._mapping[attr]) for attr in attrs] for row in rows]


CURRENT_FIRST = {"issued": 0, "printed": 1, "lost": 2, "recalled": 3, "cancelled": 4, "destroyed": 5}


def _current_per_code(rows: list) -> list:
    """One certificate per CBJYQZBM: after a 补发/换发 the one in force (issued, else printed,
    else the latest), as the national table has one row per code."""
    best: dict[str, object] = {}
    for row in rows:  # in id order: a later one wins a tie
        kept = best.get(row.code)
        if kept is None or CURRENT_FIRST.get(row.status, 9) <= CURRENT_FIRST.get(kept.status, 9):
            best[row.code] = row
    return [best[code] for code in sorted(best)]


def collect_tables(engine: Engine, config: Config) -> Tables:
    township = config.settings.township.code
    household_code = HOUSEHOLD.c.code.label("household_code")
    in_township = HOUSEHOLD.c.code.startswith(township)
    tables: Tables = {}
    with engine.connect() as connection:
        def run(query):
            return connection.execute(query).all()

        tables["FBF"] = _table(TABLES["FBF"], run(
            select(ISSUER).where(ISSUER.c.code.startswith(township)).order_by(ISSUER.c.code)))
        tables["CBF"] = _table(TABLES["CBF"], run(
            select(HOUSEHOLD).where(in_township).order_by(HOUSEHOLD.c.code)))
        tables["CBF_JTCY"] = _table(TABLES["CBF_JTCY"], run(
            select(MEMBER, household_code).join(HOUSEHOLD, HOUSEHOLD.c.id == MEMBER.c.household_id)
            .where(in_township).order_by(HOUSEHOLD.c.code, MEMBER.c.position)))
        parcels = run(select(PARCEL, household_code).join(HOUSEHOLD, HOUSEHOLD.c.id == PARCEL.c.household_id)
                      .where(in_township).order_by(PARCEL.c.code))
        tables["CBDKXX"] = _table(TABLES["CBDKXX"], parcels)
        tables["DK"] = _table(TABLES["DK"], parcels)
        for name, table in (("CBHT", CONTRACT), ("CBJYQZDJB", REGISTER)):
            tables[name] = _table(TABLES[name], run(
                select(table, household_code).join(HOUSEHOLD, HOUSEHOLD.c.id == table.c.household_id)
                .where(in_township, table.c.campaign == PRIMARY_CAMPAIGN).order_by(table.c.code)))
        primary = CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN
        tables["CBJYQZ"] = _table(TABLES["CBJYQZ"], _current_per_code(run(
            select(CERTIFICATE).join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
            .where(in_township, primary, CERTIFICATE.c.generation == "new")
            .order_by(CERTIFICATE.c.code, CERTIFICATE.c.id))))
        for name, kind in EVENT_TABLES.items():  # the old (2010) certificates' registers are ours only
            tables[name] = _table(TABLES[name], run(
                select(EVENT, CERTIFICATE.c.code).join(CERTIFICATE, CERTIFICATE.c.id == EVENT.c.certificate_id)
                .join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
                .where(in_township, primary, EVENT.c.kind == kind, CERTIFICATE.c.generation == "new")
                .order_by(CERTIFICATE.c.code, EVENT.c.id)))
        tables["QSLYZLFJ"] = _table(TABLES["QSLYZLFJ"], run(
            select(ATTACHMENT).join(HOUSEHOLD, HOUSEHOLD.c.id == ATTACHMENT.c.household_id)
            .where(in_township).order_by(ATTACHMENT.c.certificate_code, ATTACHMENT.c.number)))
    return tables


@use_case(Permission.REVEAL, "导出汇交数据")
def export_nyt2539(ctx: ArchiveContext, dest: Path) -> tuple[Path, dict[str, int]]:
    """Write the tables to ``dest`` (a folder, or a file ending in .xlsx); returns row counts."""
    engine, config = ctx.engine, ctx.config
    tables = collect_tables(engine, config)
    counts = {name: len(rows) for name, (_columns, rows) in tables.items()}
    if dest.suffix.lower() == ".xlsx":
        if dest.exists():
            raise ArchiveError(f"文件 {dest} 已存在，未覆盖；请换一个文件名")
        write_xlsx(tables, dest)
    elif dest.suffix:
        raise ArchiveError(f"导出目标 {dest} 应为文件夹（写 CSV）或 .xlsx 文件")
    else:
        if dest.exists() and any(dest.iterdir()):
            raise ArchiveError(f"文件夹 {dest} 不是空的，未覆盖；请指定新的或空的文件夹")
        write_csv_folder(tables, dest)
    with engine.begin() as connection:  # the national tables carry full ID numbers: recorded
        audit.record(connection, operator=ctx.operator, action="export", entity="nyt2539", key=str(dest),
                     after={"tables": counts, "full_id_numbers": True})
    return dest, counts
