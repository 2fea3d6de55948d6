"""The dashboard (总览): per-village progress of the archive work, and totals.

The first screen of the app, counted afresh each time it is shown (nothing kept that could
go stale): every per-village figure is counted per 发包方 (an integer key) and added up per
village here (a county has a few thousand 发包方). The scanned pages (millions once a county
is scanned) are read in one pass for all the figures about them (``PageCounts``), and
``counting`` gives the connection to count them all on (page_cache.py).

The figures of the first table are those of 确权 (its files, its certificates, the households of its
register); a later campaign (延包 …) that has begun is counted apart (``campaign_rows_on``): how far
each village's households have come through its steps. That count lives here, below the domains that
show it (the 月报 in registers, the campaign's own report in campaigns), so that each can use it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, case, exists, func, or_, select

from archive_tui.core.states import DisputeStage, FileStatus, PageStatus
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.db.tables import (
    AUDIT, CAMPAIGN_RECORD, CERTIFICATE, COPY, DISPUTE, DOCUMENT, FILE, FINDING, HOUSEHOLD, ISSUER, MEMBER, PARCEL,
    SCAN,
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


def in_primary_register():
    """The household is in the 确权 register: not one that a later campaign brought in (新增户)."""
    return ~exists().where(CAMPAIGN_RECORD.c.household_id == HOUSEHOLD.c.id, CAMPAIGN_RECORD.c.new_household)


def _figure_queries(config: Config) -> dict:
    """Each figure as a query of (发包方 id, count): 确权's (its files, its certificates)."""
    required = [doc.code for doc in config.settings.documents if doc.required]
    primary = FILE.c.campaign == PRIMARY_CAMPAIGN
    # (archive_file_id, doc_type) is unique: a file with as many required types as there are is complete
    complete_files = (select(DOCUMENT.c.archive_file_id.label("file_id")).where(DOCUMENT.c.doc_type.in_(required))
                      .group_by(DOCUMENT.c.archive_file_id).having(func.count() == len(required)).subquery())
    of_file = FILE.join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)

    def certificates(generation: str, statuses: tuple[str, ...]):
        return (select(ISSUER_ID, func.count())
                .select_from(CERTIFICATE.join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id))
                .where(CERTIFICATE.c.generation == generation, CERTIFICATE.c.status.in_(statuses),
                       CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN)
                .group_by(ISSUER_ID))

    return {
        "households": select(ISSUER_ID, func.count()).where(in_primary_register()).group_by(ISSUER_ID),
        "complete": select(ISSUER_ID, func.count()).select_from(
            complete_files.join(FILE, FILE.c.id == complete_files.c.file_id)
            .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)).where(primary).group_by(ISSUER_ID),
        "issued": certificates("new", ("issued",)),
        "recalled": certificates("old", ("recalled", "destroyed")),
        "destroyed": certificates("old", ("destroyed",)),
        "transferred": select(ISSUER_ID, func.count())
        .select_from(of_file.join(COPY, COPY.c.archive_file_id == FILE.c.id))
        .where(COPY.c.status == FileStatus.TRANSFERRED, COPY.c.level.in_(config.settings.copies.held_levels), primary)
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


# ---- later campaigns (延包 …) ----------------------------------------------------------------

# a household's steps in a later campaign, in their order; the first four have a date, 已归档 is
# the file's state now (a file's own status, or a copy of it boxed, lent or handed on)
CAMPAIGN_STEPS = (("confirmed", "已确认"), ("publicised", "已公示"), ("signed", "已签约"), ("issued", "已颁证"),
                  ("filed", "已归档"))
DATED_STEPS = ("confirmed", "publicised", "signed", "issued")
ARCHIVED = (FileStatus.FILED, FileStatus.LENT, FileStatus.IN_TRANSIT, FileStatus.TRANSFERRED)
IN_MONTH = "{}_in_month"  # a dated step's count within the month asked for
TOTAL = "合计"


def later_campaigns_on(connection: Connection, config: Config) -> list[str]:
    """The later campaigns that have any household record, in the order of config.toml (a name
    only the database knows comes after them)."""
    names = set(connection.execute(select(CAMPAIGN_RECORD.c.campaign).distinct()).scalars())
    ordered = [campaign.name for campaign in config.settings.campaigns if campaign.name in names]
    return ordered + sorted(names - set(ordered))


def campaign_label(config: Config, name: str) -> str:
    """The campaign's full name (第二轮土地承包到期后再延长三十年), or its name when config.toml lacks it."""
    try:
        return config.settings.campaign(name).label
    except ArchiveError:
        return name


def rate(part: int, whole: int) -> float:
    """A share in per cent, to one decimal (0.0 of nothing)."""
    return round(100 * part / whole, 1) if whole else 0.0


def campaign_rows_on(connection: Connection, campaign: str,
                     period: tuple[dt.date, dt.date] | None = None) -> list[dict]:
    """How far the households of each village have come in ``campaign``: one row per village
    (code order) and a 合计 row, each ``{village_code, village, households, <step>, <step>_rate}``
    for the CAMPAIGN_STEPS; none when there are no households.

    The households are those of the 确权 register and the campaign's own new ones (新增户; a new
    household of another campaign is not counted). 已公示 is a 公示 with no objection raised;
    已颁证 a certificate of the campaign handed over (status issued). With ``period`` (first day,
    day after the last) the dated steps are counted up to its end, each with ``<step>_in_month``
    done within it (the certificate by its collection date, else its issue date; one with
    neither counts as done before)."""
    record = CAMPAIGN_RECORD
    other = CAMPAIGN_RECORD.alias("other_record")
    day = func.min(func.coalesce(CERTIFICATE.c.collected_on, CERTIFICATE.c.issued_on)).label("day")
    issued = (select(CERTIFICATE.c.household_id, day)
              .where(CERTIFICATE.c.campaign == campaign, CERTIFICATE.c.status == "issued")
              .group_by(CERTIFICATE.c.household_id).subquery())
    copy_archived = exists().where(COPY.c.archive_file_id == FILE.c.id, COPY.c.status.in_(ARCHIVED))
    filed = (select(FILE.c.household_id).where(FILE.c.campaign == campaign,
                                               or_(FILE.c.status.in_(ARCHIVED), copy_archived)).subquery())
    reached = record.c.id.is_not(None)
    counted = reached | ~exists().where(other.c.household_id == HOUSEHOLD.c.id, other.c.new_household)

    def done(column):
        return column.is_not(None) if period is None else column < period[1]

    def within(column):
        return (column >= period[0]) & (column < period[1])

    no_objection = func.coalesce(record.c.objection, "") == ""
    has_issued = issued.c.household_id.is_not(None)
    conditions = {  # step: (done by now or by the period's end, done within the period)
        "confirmed": (done(record.c.confirmed_on), lambda: within(record.c.confirmed_on)),
        "publicised": (done(record.c.publicised_on) & no_objection,
                       lambda: within(record.c.publicised_on) & no_objection),
        "signed": (done(record.c.signed_on), lambda: within(record.c.signed_on)),
        "issued": (has_issued & (issued.c.day.is_(None) | done(issued.c.day)), lambda: within(issued.c.day)),
        "filed": (filed.c.household_id.is_not(None), None),
    }
    columns = [func.count()]
    for key, _label in CAMPAIGN_STEPS:
        condition, in_period = conditions[key]
        columns.append(count_if(condition))
        if period is not None and in_period is not None:
            columns.append(count_if(in_period()))
    query = (select(ISSUER_ID, *columns)
             .select_from(HOUSEHOLD.outerjoin(record, (record.c.household_id == HOUSEHOLD.c.id)
                                              & (record.c.campaign == campaign))
                          .outerjoin(issued, issued.c.household_id == HOUSEHOLD.c.id)
                          .outerjoin(filed, filed.c.household_id == HOUSEHOLD.c.id))
             .where(counted).group_by(ISSUER_ID))
    keys = ["households"]
    for key, _label in CAMPAIGN_STEPS:
        keys.append(key)
        if period is not None and key in DATED_STEPS:
            keys.append(IN_MONTH.format(key))
    villages = issuer_villages(connection)
    totals: dict[str, Counter] = {}
    for issuer_id, *counts in connection.execute(query):
        figures = totals.setdefault(villages[issuer_id], Counter())
        for key, count in zip(keys, counts):
            figures[key] += int(count or 0)
    if not totals:
        return []
    names = village_names_on(connection)
    rows = [_campaign_row({"village_code": code, "village": names.get(code) or code}, totals[code], keys)
            for code in sorted(totals)]
    total = Counter()
    for code in totals:
        total.update(totals[code])
    rows.append(_campaign_row({"village_code": "", "village": TOTAL}, total, keys))
    return rows


def _campaign_row(row: dict, figures: Counter, keys: list[str]) -> dict:
    for key in keys:
        row[key] = figures[key]
    for key, _label in CAMPAIGN_STEPS:
        row[f"{key}_rate"] = rate(row[key], row["households"])
    return row


def campaign_summaries_on(connection: Connection, config: Config) -> list[dict]:
    """The 总览's later campaigns: ``{campaign, label, rows}`` for each one that has begun (has a
    household record), its rows as ``campaign_rows_on`` gives them."""
    return [{"campaign": name, "label": campaign_label(config, name), "rows": campaign_rows_on(connection, name)}
            for name in later_campaigns_on(connection, config)]
