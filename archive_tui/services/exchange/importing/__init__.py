"""Import the NY/T 2539 tables (导入确权登记数据库) into the archive.

Two kinds of problems:

* **rejects** break the structure (a malformed code, a code that does not start with its
  parent's code, a duplicate, a child of an unknown household, an unreadable date or
  number, a code Excel turned into a number, a row the file itself garbles). Without
  ``skip_rejects`` any reject aborts the whole import: nothing is written.
* **flags** are problems the archive must still hold (a missing or invalid ID number, a
  15-digit legacy ID, a sequence number outside its contractor type's range, a member count
  that does not match). The rows are imported and each flag becomes an open finding.

The source is read table by table in chunks (parents first) and each checked chunk is
written at once, so a county of 100,000 households imports in bounded memory. The whole
import is one transaction, taken with the archive's write lock so that another
workstation's action (a 发证 committing meanwhile) is never undone: it rolls back on a
reject, on cancel or on any error. Re-importing the same source changes nothing; a later
source updates the registration data by code and the report lists what changed. What the
archive owns is never overwritten (see :mod:`.ownership`). Nothing is ever deleted, except
members a household no longer has in the source (listed).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui.services.households import archive_files
from archive_tui import audit
from archive_tui.services.households import catalogue
from archive_tui.services.households import search
from archive_tui.services.quality.findings import reconcile
from archive_tui.services.exchange.importing.checks import SourceChecker
from archive_tui.services.exchange.importing.ownership import LOCAL_EDIT_WHY
from archive_tui.services.exchange.importing.reading import TableReader
from archive_tui.services.exchange.importing.report import (
    FLAG_RULES, Change, Conflict, Flag, ImportRejected, ImportReport, Reject, TableCount, write_report,
)
from archive_tui.services.exchange.importing.writer import ArchiveWriter
from archive_tui.services.exchange.nyt2539 import TABLES
from archive_tui.services.exchange.sources import Source, read_source
from archive_tui.db.tables import FINDING

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""

__all__ = [
    "FLAG_RULES", "Change", "Conflict", "Flag", "ImportRejected", "ImportReport", "Progress", "Reject",
    "TableCount", "cyclic_gc_paused", "import_tables", "run_import", "write_report",
]


@use_case(Permission.WRITE, "导入数据")
def run_import(
    ctx: ArchiveContext,
    path: Path,
    *,
    skip_rejects: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path``; raises :class:`ArchiveError` (nothing written) on rejects or bad input."""
    engine, config = ctx.engine, ctx.config
    progress = progress or (lambda stage, done, total: None)
    progress("读取数据源", 0, 1)
    source = read_source(path)
    try:
        with cyclic_gc_paused(), engine.connect() as connection:
            if connection.dialect.name == "postgresql":  # a row changed meanwhile elsewhere: fail, never undo it
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                return import_tables(connection, config, source, skip_rejects=skip_rejects, progress=progress)
    except DBAPIError as error:
        if "could not serialize" in str(error) or "deadlock" in str(error):
            raise ArchiveError("导入期间另一台工作站修改了同一批数据，导入未写入任何内容；请重新导入") from None
        raise
    finally:
        source.close()


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


STEPS = (
    # table, stage label, checker's method, writer's method, at the table's end: checker's, writer's.
    # DK comes before CBDKXX: its values are held (compactly) and written with the parcels.
    ("FBF", "发包方", "issuers_chunk", "issuers", None, "issuers_done"),
    ("CBF", "承包方", "households_chunk", "households", None, None),
    ("CBF_JTCY", "家庭成员", "members_chunk", "members", None, "members_done"),
    ("DK", "地块属性", "parcel_layer_chunk", None, None, None),
    ("CBDKXX", "承包地块", "parcels_chunk", "parcels", "parcel_layer_done", "parcels_done"),
    ("CBHT", "承包合同", "contracts_chunk", "contracts", None, None),
    ("CBJYQZDJB", "登记簿", "registers_chunk", "registers", None, None),
    ("CBJYQZ", "承包经营权证", "certificates_chunk", "certificates", None, None),
    ("CBJYQZ_QZBF", "权证补发", "certificate_events_chunk", "certificate_events", None, None),
    ("CBJYQZ_QZHF", "权证换发", "certificate_events_chunk", "certificate_events", None, None),
    ("CBJYQZ_QZZX", "权证注销", "certificate_events_chunk", "certificate_events", None, None),
    ("QSLYZLFJ", "权属来源资料附件", "attachments_chunk", "attachments", None, None),
)
FINISHING = ("建立案卷", "登记问题", "写入审计记录")


def import_tables(
    connection: Connection,
    config: Config,
    source: Source,
    *,
    skip_rejects: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check and write ``source`` inside the caller's transaction."""
    progress = progress or (lambda stage, done, total: None)
    audit.take_write_lock(connection)  # read the archive as it is, and let no one change it meanwhile
    report = ImportReport(str(source.path), source.kind, ignored=list(source.ignored))
    if "DK" not in source.tables and "CBDKXX" in source.tables:  # the common county export
        report.notes.append(NO_PARCEL_LAYER)
    township = config.settings.township.code
    checker = SourceChecker(connection, township, report)
    checker.term_end = config.settings.contract.term_end
    writer = ArchiveWriter(connection, config, report, checker)
    total = len(STEPS) + len(FINISHING)
    kept = {}
    for done, (name, label, check_name, write_name, check_end, write_end) in enumerate(STEPS):
        reader = TableReader(source, TABLES[name], report)
        if name == "CBJYQZ" and "CBJYQZ_QZZX" in source.tables:
            writer.read_cancellations(TableReader(source, TABLES["CBJYQZ_QZZX"], ImportReport("", "")))
        check, write = getattr(checker, check_name), write_name and getattr(writer, write_name)
        rows_read = kept[name] = 0
        progress(f"校验并写入{label}", done, total)
        for chunk in reader.chunks():
            rows = check(reader, chunk)
            rows_read += len(chunk)
            kept[name] += len(rows)
            if write and (skip_rejects or not report.reject_count):  # after a reject only check: nothing is kept
                write(reader, rows)
            progress(f"校验并写入{label}（已读 {rows_read:,} 行）", done, total)
        if check_end:
            getattr(checker, check_end)()
        checker.table_done()
        if write_end and (skip_rejects or not report.reject_count):
            getattr(writer, write_end)(reader)
    if "CBF_JTCY" in source.tables and "CBF" in source.tables:
        checker.member_count_flags()
    if checker.extended_contracts and config.settings.campaigns:
        campaign = config.settings.campaigns[0].name
        report.notes.append(f"数据源中有 {checker.extended_contracts} 份合同的承包期限止晚于 config.toml 的 "
                            f"contract.term_end（{config.settings.contract.term_end}）：若这是{campaign}数据，请作为"
                            f"{campaign}数据导入（archive-tui import 数据源 --campaign {campaign}；界面中勾选"
                            f"“作为{campaign}数据导入”），不会覆盖确权的合同和证书")
    if report.reject_count and not skip_rejects:
        raise ImportRejected(report)
    if not kept.get("CBF") and not kept.get("FBF") and report.other_township_rows:
        raise ArchiveError(
            f"数据源 {source.path} 中没有本乡镇（代码 {township}）的记录；其中的乡镇代码："
            f"{'、'.join(sorted(report.other_townships))}。请检查 config.toml 的 township.code。"
        )
    progress(FINISHING[0], len(STEPS), total)
    report.new_files = archive_files.create_missing(connection, config)
    def kept(key: str, document: str, field: str, ours: object, theirs: object) -> None:
        report.conflict(Conflict("卷内目录", key, f"{document} {field}", str(ours or ""), str(theirs), LOCAL_EDIT_WHY))

    changed = report.new_files or any(count.new or count.updated for count in report.counts.values())
    # the same data again: only the files never catalogued (made by an older archive-tui) and those
    # with corrections, to list where the data disagrees with them
    files = None if changed else sorted({*catalogue.undated_files(connection), *catalogue.corrected_files(connection)})
    report.catalogued = catalogue.refresh(connection, config, files, conflict=kept)
    progress(FINISHING[1], len(STEPS) + 1, total)
    _store_flags(connection, report, writer.household_ids, checker, source)
    search.forget(connection, sorted(writer.changed_households))
    progress(FINISHING[2], len(STEPS) + 2, total)
    if report.changed or report.new_files:
        audit.record(
            connection, operator=config.operator, action="import", entity="source", key=Path(report.source).name,
            after={"source": report.source, "kind": report.kind,
                   "counts": {k: vars(v) for k, v in report.counts.items()},
                   "rejects_skipped": report.reject_count, "conflicts": report.conflict_count,
                   "new_files": report.new_files, "catalogued": report.catalogued},
        )
    progress("完成", total, total)
    return report


NO_PARCEL_LAYER = ("数据源中没有地块表（DK）：地块名称、四至等为空，质检时每村列一条“待补充”；"
                   "以后拿到 DK 表再导入一次即可补上")


def _flag_scope(source: Source) -> Callable[[str, str], bool]:
    """Which (rule, subject) pairs this source speaks about: a finding outside them (a
    member's, when the source has no member table) is left as it is."""
    tables = set(source.tables)
    households, members = "CBF" in tables, "CBF_JTCY" in tables
    contracts = {"承包合同": "CBHT" in tables, "登记簿": "CBJYQZDJB" in tables}

    def in_scope(rule: str, subject: str) -> bool:
        if rule == "contract_suffix":
            return contracts.get(subject, False)
        if rule == "member_count":
            return households and members
        if subject.startswith("承包方"):
            return households
        return members

    return in_scope


def _store_flags(connection: Connection, report: ImportReport, household_ids: dict[str, int],
                 checker: SourceChecker, source: Source) -> None:
    """Open a finding per new flag; resolve the import's findings no longer flagged; waived stay waived."""
    in_scope = _flag_scope(source)
    found: dict[tuple[int, str, str], tuple[str, str]] = {}
    for flag in report.flags:
        household_id = household_ids.get(flag.household_code)
        if household_id is not None:
            found.setdefault((household_id, flag.rule, flag.subject), (flag.message, flag.severity))
    codes = checker.source_households | set(checker.members_found)
    ids = sorted(household_ids[code] for code in codes if code in household_ids)
    existing = []
    for start in range(0, len(ids), 900):
        existing.extend(
            row for row in connection.execute(
                select(FINDING.c.id, FINDING.c.household_id, FINDING.c.rule, FINDING.c.subject, FINDING.c.status,
                       FINDING.c.message)
                .where(FINDING.c.rule.in_(list(FLAG_RULES)), FINDING.c.status.in_(("open", "waived")),
                       FINDING.c.household_id.in_(ids[start:start + 900])))
            if in_scope(row.rule, row.subject))
    stored = reconcile(connection, found, existing, "import")
    report.findings_opened, report.findings_resolved = stored.opened, stored.resolved
