"""Pixel checks of stored pages (图像质量检查): measure, record on the page, hold to the rules.

The intake measures each page it files; ``archive-tui scans qc`` measures the pages not yet
measured (all of them with ``--recheck``) and runs the page rules, whose findings follow the
usual life cycle (open → resolved when no longer found, or waived with a reason).
A page marked for rescan (重扫) is replaced by its next scan in the same place: the old row
becomes ``replaced`` and points at the new one; its file stays in the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from sqlalchemy import Connection, Engine, func, select

from archive_tui.core.states import PAGE_STATUS, PageStatus, check_transition
from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.errors import ArchiveError
from archive_tui.scanning.pixels import NoPicture, measure
from archive_tui.scanning.workers import worker_count, worker_pool
from archive_tui import audit
from archive_tui.services.quality.checks import CheckResult, run_checks
from archive_tui.services.households.filters import village_filter
from archive_tui.services.quality.page_rules import AT_INTAKE, PAGE_RULES
from models.tables import now
from archive_tui.db.tables import FILE, FINDING, HOUSEHOLD, ISSUER, SCAN

MEASURED_STATUSES = (PageStatus.LINKED, PageStatus.UNASSIGNED)
BATCH = 50  # pages measured between commits: an interrupted run keeps what it measured
PARALLEL_FROM = 16  # pages: from this many on, measured in worker processes (one per core)
PARALLEL_INTAKE_FROM = 24  # inbox files: from this many on, measured ahead in worker processes (each starts in ~1 s)
QC_RULES = (*PAGE_RULES, "page_count")  # scans qc: the pixel rules and the pages against the 卷内目录
INTAKE_RULES = (*AT_INTAKE, "page_count")


def measured_values(source: Path | bytes, dpi: int) -> dict:
    """The columns recorded on a page: its measures, or why it could not be measured
    (``source``: its file, or its bytes already read)."""
    values = {"measured_at": now(), "measure_note": "", "ink_share": None, "ink_marks": None, "skew_degrees": None,
              "dark_border": None, "edge_content": None, "phash": ""}
    try:
        found = measure(source, dpi or None)
    except FileNotFoundError:
        values["measure_note"] = "存储库中找不到该文件"
    except NoPicture as error:
        values["measure_note"] = f"{error}，无法做像素检查"
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        values["measure_note"] = f"图像无法完整读取：{error}"
    else:
        values.update(ink_share=found.ink_share, ink_marks=found.ink_marks, skew_degrees=found.skew_degrees,
                      dark_border=found.dark_border, edge_content=found.edge_content, phash=found.phash)
    return values


def _measure_one(job: tuple[str, int]) -> dict:
    return measured_values(Path(job[0]), job[1])


def _hash_and_measure(path: str) -> tuple[str, int, dict]:
    """In a worker: the file read once, its SHA-256 and its measures (at the resolution it states)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return "", 0, {}
    return hashlib.sha256(data).hexdigest(), len(data), measured_values(data, 0)


class MeasuresAhead:
    """The pixel measures of an intake's files, worked out ahead in worker processes (one per core)
    while the intake probes, copies and records the files before them (收件并行测量).

    A result is used only for the very bytes that are filed: the worker hashes what it measured,
    and the intake takes the measures only when that hash is the one it filed under. Anything
    else (a file changed meanwhile, a page split out of a multi-page scan) is measured as before."""

    AHEAD = 8  # files queued per worker: enough to keep them busy, few enough to stop at once

    def __init__(self, paths: list[Path]):
        self.paths = [path for path in paths if path.is_file() and not path.is_symlink()]
        self.workers = worker_count()
        self.executor: ProcessPoolExecutor | None = None
        self.futures: dict[Path, Future] = {}
        self.next = 0
        if len(self.paths) >= PARALLEL_INTAKE_FROM:
            try:
                self.executor = worker_pool(self.workers)
            except Exception:  # noqa: BLE001 - no workers to be had: every page is measured here, as before
                self.executor = None
            self._fill()

    def _fill(self) -> None:
        while (self.executor is not None and self.next < len(self.paths)
               and len(self.futures) < self.workers * self.AHEAD):
            path = self.paths[self.next]
            try:
                self.futures[path] = self.executor.submit(_hash_and_measure, str(path))
            except Exception:  # noqa: BLE001 - the workers could not start or died: measured here instead
                self.close()
            self.next += 1

    def values_for(self, path: Path, sha256: str) -> dict | None:
        """The measures of ``path`` if they were worked out ahead for content ``sha256``; else None."""
        if path not in self.futures:
            return None
        while (earlier := next(iter(self.futures))) != path:  # files the intake passed by (still being written…)
            self.futures.pop(earlier).cancel()
        future = self.futures.pop(path)
        try:
            digest, _size, values = future.result()
        except Exception:  # noqa: BLE001 - a worker that died: the page is measured here instead
            digest, values = "", {}
        finally:
            self._fill()
        return values if digest == sha256 and values else None

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


@dataclass
class QcReport:
    measured: int = 0
    unreadable: int = 0
    pages: int = 0  # linked pages in scope
    checks: CheckResult | None = None
    open_by_rule: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        checks = self.checks or CheckResult()
        return {"measured": self.measured, "unreadable": self.unreadable, "pages": self.pages,
                "opened": checks.opened, "resolved": checks.resolved, "open": self.open_by_rule}


def _pages_to_measure(connection: Connection, village: str | None, recheck: bool) -> list:
    query = select(SCAN.c.id, SCAN.c.store_path, SCAN.c.dpi).where(SCAN.c.status.in_(MEASURED_STATUSES))
    if village:
        query = query.where(SCAN.c.archive_file_id.in_(
            select(FILE.c.id).join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
            .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id).where(village_filter(village))))
    if not recheck:
        query = query.where(SCAN.c.measured_at.is_(None))
    return connection.execute(query.order_by(SCAN.c.id)).all()


@use_case(Permission.WRITE, "测量扫描页")
def measure_pages(ctx: ArchiveContext, rows: list, progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> tuple[int, int]:
    """Measure ``rows`` (id, store_path, dpi) and record the values; (measured, unreadable)."""
    engine, config = ctx.engine, ctx.config
    jobs = [(str(config.root / row.store_path), row.dpi) for row in rows]
    workers = worker_count() if len(jobs) >= PARALLEL_FROM else 1
    measured = unreadable = 0
    pending: list[tuple[int, dict]] = []

    def flush() -> None:
        with engine.begin() as connection:
            for page_id, values in pending:
                connection.execute(SCAN.update().where(SCAN.c.id == page_id).values(**values))
        pending.clear()

    executor = worker_pool(workers) if workers > 1 else None
    try:
        results = executor.map(_measure_one, jobs, chunksize=4) if executor else map(_measure_one, jobs)
        for done, (row, values) in enumerate(zip(rows, results), start=1):
            pending.append((row.id, values))
            measured += 1
            unreadable += bool(values["measure_note"])
            if len(pending) >= BATCH:
                flush()
            if progress:
                progress(done, len(rows))
            if cancelled and cancelled():
                break
    finally:
        if executor:
            executor.shutdown(wait=True, cancel_futures=True)
    flush()
    return measured, unreadable


@use_case(Permission.WRITE, "扫描质检")
def run_qc(ctx: ArchiveContext, *, village: str | None = None, recheck: bool = False,
           progress: Callable[[str, int, int], None] | None = None) -> QcReport:
    """``scans qc``: measure what is not measured yet (or everything), then run the page rules."""
    engine = ctx.engine
    report = QcReport()
    with engine.connect() as connection:
        if village and connection.execute(select(ISSUER.c.id).where(village_filter(village)).limit(1)).first() is None:
            raise ArchiveError(f"找不到村“{village}”")
        rows = _pages_to_measure(connection, village, recheck)
    measuring = (lambda done, total: progress("像素检查", done, total)) if progress else None
    report.measured, report.unreadable = measure_pages(ctx, rows, measuring)
    report.checks = run_checks(ctx, village=village, rules=list(QC_RULES),
                               progress=(lambda done, total: progress("质检规则", done, total)) if progress else None)
    report.open_by_rule, report.pages = open_page_findings(engine, village)
    with engine.begin() as connection:
        audit.record(connection, operator=ctx.operator, action="qc", entity="scans", key=village or "",
                     after={"measured": report.measured, "unreadable": report.unreadable,
                            "opened": report.checks.opened, "resolved": report.checks.resolved})
    return report


def open_page_findings(engine: Engine, village: str | None = None) -> tuple[dict[str, int], int]:
    """Open page findings per rule, and the linked pages in scope."""
    in_village = HOUSEHOLD.join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
    findings = (select(FINDING.c.rule, func.count()).select_from(
        FINDING.join(in_village, HOUSEHOLD.c.id == FINDING.c.household_id))
        .where(FINDING.c.rule.in_(QC_RULES), FINDING.c.status == "open").group_by(FINDING.c.rule))
    pages = select(func.count()).select_from(SCAN.join(FILE, FILE.c.id == SCAN.c.archive_file_id).join(
        in_village, HOUSEHOLD.c.id == FILE.c.household_id)).where(SCAN.c.status == PageStatus.LINKED)
    if village:
        findings, pages = findings.where(village_filter(village)), pages.where(village_filter(village))
    with engine.connect() as connection:
        return dict(connection.execute(findings).all()), connection.execute(pages).scalar_one()


@use_case(Permission.WRITE, "收件质检")
def check_intake_pages(ctx: ArchiveContext, file_ids: set[int]) -> None:
    """After an intake pass: the page rules for the households whose files got pages."""
    engine = ctx.engine
    with engine.connect() as connection:
        households = connection.execute(select(FILE.c.household_id).where(FILE.c.id.in_(sorted(file_ids)))).scalars()
        household_ids = sorted(set(households))
    if household_ids:
        run_checks(ctx, rules=list(INTAKE_RULES), households=household_ids)


# ---- rescans ---------------------------------------------------------------------------------------


def find_page(connection: Connection, key: str, statuses: tuple[str, ...] = (PageStatus.LINKED,)):
    """A page by its place in the store (as ``scans list`` shows it) or its SHA-256 (or the first
    12 or more characters of it)."""
    key = key.strip().replace("\\", "/")
    query = select(SCAN, FILE.c.archive_code, FILE.c.household_id).outerjoin(
        FILE, FILE.c.id == SCAN.c.archive_file_id).where(SCAN.c.status.in_(statuses))
    row = connection.execute(query.where(SCAN.c.store_path == key)).first()
    if row is None and len(key) >= 12 and all(c in "0123456789abcdef" for c in key.lower()):
        rows = connection.execute(query.where(SCAN.c.sha256.startswith(key.lower())).limit(2)).all()
        row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise ArchiveError(f"找不到扫描页“{key}”：请用 archive-tui scans list 所列的路径或 SHA-256")
    return row


@use_case(Permission.WRITE, "标记重扫")
def mark_for_rescan(ctx: ArchiveContext, key: str, reason: str) -> str:
    """重扫: the page is to be scanned again; its next scan (named by 档号 and page) replaces it."""
    engine = ctx.engine
    if not reason.strip():
        raise ArchiveError("请写明重扫的原因", field="reason")
    with engine.begin() as connection:
        row = find_page(connection, key)
        connection.execute(SCAN.update().where(SCAN.c.id == row.id).values(rescan_reason=reason.strip()))
        audit.record(connection, operator=ctx.operator, action="rescan", entity="scan", key=row.sha256,
                     before={"rescan_reason": row.rescan_reason},
                     after={"store_path": row.store_path, "rescan_reason": reason.strip()})
    return row.store_path


def replace_in_place(connection: Connection, old, new_id: int, ctx: ArchiveContext) -> None:
    """The new page takes the old one's place (document, page number); the old row is kept as
    ``replaced`` with a pointer to its successor, and its open findings are resolved by the next run."""
    connection.execute(SCAN.update().where(SCAN.c.id == new_id).values(
        archive_file_id=old.archive_file_id, document_id=old.document_id, seq=old.seq))
    check_transition(PAGE_STATUS, old.status, PageStatus.REPLACED, subject=f"扫描页 {old.store_path} ")
    connection.execute(SCAN.update().where(SCAN.c.id == old.id).values(status=PageStatus.REPLACED,
                                                                       replaced_by_id=new_id))
    audit.record(connection, operator=ctx.operator, action="replace", entity="scan", key=old.sha256,
                 before={"store_path": old.store_path, "rescan_reason": old.rescan_reason},
                 after={"replaced_by": new_id, "seq": old.seq})


def page_marked_for_rescan(connection: Connection, archive_file_id: int, seq: int | None):
    """The page of this file and number that waits for its rescan, if any."""
    if seq is None:
        return None
    return connection.execute(select(SCAN).where(
        SCAN.c.archive_file_id == archive_file_id, SCAN.c.seq == seq, SCAN.c.status == PageStatus.LINKED,
        SCAN.c.rescan_reason != "")).first()


# ---- what the 扫描 section shows -------------------------------------------------------------------


def problem_pages(engine: Engine, *, limit: int | None = None) -> list[dict]:
    """Open page findings with their page, by kind (in PAGE_RULES order), then 档号 and page."""
    from sqlalchemy import case

    order = case({rule_id: index for index, rule_id in enumerate(PAGE_RULES)}, value=FINDING.c.rule)
    query = (select(FINDING.c.id, FINDING.c.rule, FINDING.c.message, SCAN.c.id.label("page_id"), SCAN.c.store_path,
                    SCAN.c.seq, SCAN.c.rescan_reason, SCAN.c.archive_file_id, FILE.c.archive_code)
             .join(SCAN, SCAN.c.store_path == FINDING.c.subject).join(FILE, FILE.c.id == SCAN.c.archive_file_id)
             .where(FINDING.c.rule.in_(PAGE_RULES), FINDING.c.status == "open", SCAN.c.status == PageStatus.LINKED)
             .order_by(order, FILE.c.archive_code, SCAN.c.seq, FINDING.c.id))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def twin_page(engine: Engine, page_id: int, *, same_file: bool) -> str | None:
    """The page most like this one (by pHash): in its own file, or in another household's file (as
    ``page_duplicate_other`` compares them: not in the household's file of another campaign)."""
    import numpy as np  # loaded late: numpy takes 0.2 s

    from archive_tui.scanning.twins import as_words, distances

    with engine.connect() as connection:
        page = connection.execute(select(SCAN.c.archive_file_id, SCAN.c.phash, FILE.c.household_id).outerjoin(
            FILE, FILE.c.id == SCAN.c.archive_file_id).where(SCAN.c.id == page_id)).first()
        if page is None or len(page.phash) != 64:
            return None
        query = select(SCAN.c.store_path, SCAN.c.phash).where(
            SCAN.c.status == PageStatus.LINKED, SCAN.c.id != page_id, func.length(SCAN.c.phash) == 64)
        if same_file:
            query = query.where(SCAN.c.archive_file_id == page.archive_file_id)
        else:  # another household's file
            query = query.where(SCAN.c.archive_file_id != page.archive_file_id, SCAN.c.archive_file_id.not_in(
                select(FILE.c.id).where(FILE.c.household_id == page.household_id)))
        others = connection.execute(query).all()
    if not others:
        return None
    apart = distances(as_words([page.phash]), as_words([row.phash for row in others]))[0]
    return others[int(np.argmin(apart))].store_path
