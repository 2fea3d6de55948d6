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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine

from archive_tui.config import Config
from archive_tui.errors import ArchiveError
from archive_tui.services.importing.checks import KnownCodes, SourceChecker
from archive_tui.services.importing.report import (
    FLAG_RULES, Change, Flag, ImportRejected, ImportReport, Reject, TableCount, write_report,
)
from archive_tui.services.importing.writer import write_all
from archive_tui.services.sources import Source, read_source

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""

__all__ = [
    "FLAG_RULES", "Change", "Flag", "ImportRejected", "ImportReport", "Progress", "Reject", "TableCount",
    "cyclic_gc_paused", "import_tables", "run_import", "write_report",
]


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
    known = KnownCodes.load(connection, township)
    validator = SourceChecker(source, township, known, report)
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
    write_all(connection, config, validator, members, events, report, progress)
    return report
