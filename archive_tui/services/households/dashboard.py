"""The dashboard (总览): per-village progress of the archive work, and totals.

The first screen of the app, counted afresh each time it is shown (nothing kept that could
go stale): every per-village figure is counted per 发包方 (an integer key) and added up per
village here (a county has a few thousand 发包方). The scanned pages (millions once a county
is scanned) are read in one pass for all the figures about them (``PageCounts``), and
``counting`` gives the connection to count them all on (page_cache.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, case, func, select

from archive_tui.core.states import DisputeStage, FileStatus, PageStatus
from archive_tui.core.config import Config
from archive_tui.db.tables import (
    AUDIT, CERTIFICATE, COPY, DISPUTE, DOCUMENT, FILE, FINDING, HOUSEHOLD, ISSUER, MEMBER, PARCEL, SCAN,
)
from archive_tui.services.households.page_cache import small_page_cache


FIGURES = (
    ("households", "户数"), ("complete", "文件齐全"), ("pages", "已扫描页"), ("issued", "新证已发"),
    ("recalled", "旧证已收回"), ("destroyed", "旧证已销毁"), ("transferred", "已移交份数"),  # of the held copies
    ("pass_share", "质检合格%"),
)
ISSUER_ID = HOUSEHOLD.c.issuer_id


@contextmanager
def counting(engine: Engine) -> Iterator[Connection]:
    """One connection to count the 总览's figures on, with a small page cache (each page is read once)."""
    with engine.connect() as connection, small_page_cache(connection):
        yield connection


def township_counts(engine: Engine) -> dict[str, int]:
    """The totals shown on the start screen."""
    with engine.connect() as connection:
        return township_counts_on(connection)


def township_counts_on(connection: Connection) -> dict[str, int]:
    def count(table, *where) -> int:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

    return {
        "villages": connection.execute(select(func.count(ISSUER.c.village_code.distinct()))).scalar_one(),
        "households": count(HOUSEHOLD), "members": count(MEMBER), "parcels": count(PARCEL),
        "files": count(FILE), "pages": connection.execute(
            select(func.coalesce(func.sum(FILE.c.page_count), 0))).scalar_one(),
        "certificates": count(CERTIFICATE),
        "open_findings": count(FINDING, FINDING.c.status == "open"),
        "open_disputes": count(DISPUTE, DISPUTE.c.stage != DisputeStage.CLOSED),
    }


def village_names(engine: Engine) -> dict[str, str]:
    """Village code → its name."""
    with engine.connect() as connection:
        return village_names_on(connection)


def village_names_on(connection: Connection) -> dict[str, str]:
    return dict(connection.execute(
        select(ISSUER.c.village_code, func.max(ISSUER.c.village_name)).group_by(ISSUER.c.village_code)).all())


def issuer_villages(connection: Connection) -> dict[int, str]:
    """发包方 id → its village code."""
    return dict(connection.execute(select(ISSUER.c.id, ISSUER.c.village_code)).all())


def per_village(connection: Connection, query, villages: dict[int, str]) -> Counter:
    """A ``(issuer id, count)`` query added up per village code."""
    totals: Counter = Counter()
    for issuer_id, count in connection.execute(query):
        totals[villages[issuer_id]] += count
    return totals


def count_if(condition):
    """How many rows of the group meet ``condition``."""
    return func.sum(case((condition, 1), else_=0))


@dataclass
class PageCounts:
    """What the 总览 shows of the scanned pages, from one pass over them."""

    linked: Counter  # village code → pages linked to its files (已扫描页)
    measured: Counter  # village code → of them, measured by the pixel checks without a note
    linked_total: int  # every linked page (挂接率: of these two)
    unassigned_total: int  # every page waiting to be linked


def page_counts_on(connection: Connection) -> PageCounts:
    """Counted per file first (in the order of the pages' file index), then per 发包方: one
    look-up of the file and its household per file rather than per page."""
    linked = SCAN.c.status == PageStatus.LINKED
    measured = linked & SCAN.c.measured_at.is_not(None) & (SCAN.c.measure_note == "")
    per_file = (select(SCAN.c.archive_file_id.label("file_id"), count_if(linked).label("linked"),
                       count_if(SCAN.c.status == PageStatus.UNASSIGNED).label("waiting"),
                       count_if(measured).label("measured"))
                .where(SCAN.c.status.in_((PageStatus.LINKED, PageStatus.UNASSIGNED)))
                .group_by(SCAN.c.archive_file_id).subquery())
    query = (select(ISSUER_ID, func.sum(per_file.c.linked), func.sum(per_file.c.waiting), func.sum(per_file.c.measured))
             .select_from(per_file.outerjoin(FILE, FILE.c.id == per_file.c.file_id)
                          .outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id))
             .group_by(ISSUER_ID))
    villages = issuer_villages(connection)
    counts = PageCounts(Counter(), Counter(), 0, 0)
    for issuer_id, pages, waiting, measured in connection.execute(query):
        counts.linked_total += pages
        counts.unassigned_total += waiting
        if issuer_id is not None:
            counts.linked[villages[issuer_id]] += pages
            counts.measured[villages[issuer_id]] += measured
    return counts


def _figure_queries(config: Config) -> dict:
    """Each figure as a query of (发包方 id, count)."""
    required = [doc.code for doc in config.settings.documents if doc.required]
    # (archive_file_id, doc_type) is unique: a file with as many required types as there are is complete
    complete_files = (select(DOCUMENT.c.archive_file_id.label("file_id")).where(DOCUMENT.c.doc_type.in_(required))
                      .group_by(DOCUMENT.c.archive_file_id).having(func.count() == len(required)).subquery())
    of_file = FILE.join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)

    def certificates(generation: str, statuses: tuple[str, ...]):
        return (select(ISSUER_ID, func.count())
                .select_from(CERTIFICATE.join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id))
                .where(CERTIFICATE.c.generation == generation, CERTIFICATE.c.status.in_(statuses))
                .group_by(ISSUER_ID))

    return {
        "households": select(ISSUER_ID, func.count()).group_by(ISSUER_ID),
        "complete": select(ISSUER_ID, func.count()).select_from(
            complete_files.join(FILE, FILE.c.id == complete_files.c.file_id)
            .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)).group_by(ISSUER_ID),
        "issued": certificates("new", ("issued",)),
        "recalled": certificates("old", ("recalled", "destroyed")),
        "destroyed": certificates("old", ("destroyed",)),
        "transferred": select(ISSUER_ID, func.count())
        .select_from(of_file.join(COPY, COPY.c.archive_file_id == FILE.c.id))
        .where(COPY.c.status == FileStatus.TRANSFERRED, COPY.c.level.in_(config.settings.copies.held_levels))
        .group_by(ISSUER_ID),
        "failing": select(ISSUER_ID, func.count(FINDING.c.household_id.distinct()))
        .select_from(FINDING.join(HOUSEHOLD, HOUSEHOLD.c.id == FINDING.c.household_id))
        .where(FINDING.c.status == "open", FINDING.c.severity == "error").group_by(ISSUER_ID),
    }


def village_summary(engine: Engine, config: Config) -> list[dict]:
    """One dict per village (code, name and the FIGURES), in village-code order, then a 合计 row."""
    with engine.connect() as connection:
        return village_summary_on(connection, config)


def village_summary_on(connection: Connection, config: Config, pages: PageCounts | None = None) -> list[dict]:
    """``pages``: the pages as counted for the rest of the 总览 (else counted here)."""
    villages = issuer_villages(connection)
    names = village_names_on(connection)
    figures = {key: per_village(connection, query, villages) for key, query in _figure_queries(config).items()}
    figures["pages"] = (pages or page_counts_on(connection)).linked
    counted = [key for key, _label in FIGURES if key != "pass_share"] + ["failing"]
    rows = [_with_share({"village_code": code, "village": names.get(code) or code,
                         **{key: figures[key][code] for key in counted}})
            for code in sorted(figures["households"])]
    if not rows:
        return []
    total = {"village_code": "", "village": "合计", **{key: sum(row[key] for row in rows) for key in counted}}
    rows.append(_with_share(total))
    if not ever_checked(connection):  # no check yet: no pass share to speak of (it read 100% before any check)
        for row in rows:
            row["pass_share"] = None
    return rows


def ever_checked(connection: Connection) -> bool:
    """Has the 质检 ever run on this archive (its runs are in the audit log)?"""
    return connection.execute(select(AUDIT.c.id).where(AUDIT.c.action == "check").limit(1)).first() is not None


def _with_share(row: dict) -> dict:
    """质检合格%: households with no open error finding, as a share of all."""
    households = row["households"]
    row["pass_share"] = round(100 * (households - row["failing"]) / households, 1) if households else 100.0
    return row
