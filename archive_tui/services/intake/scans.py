"""Scan intake (扫描件收件): take stable files from the inbox, check them, link them to a
household file (挂接) and file them into the store — or set them aside with a reason.

Nothing is lost: an original leaves the inbox only after its copy in the store has been
verified by SHA-256 and its row committed. Identical content is recorded as a duplicate
and moved to ``_duplicates``; unreadable files go to ``_quarantine`` with a reason file.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from filelock import FileLock, Timeout
from PIL import Image
from sqlalchemy import Connection, Engine, func, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import PAGE_STATUS, ItemStatus, PageStatus, check_transition
from archive_tui.core.paths import from_template, inside, readable_name, safe_file_name, safe_part
from archive_tui.core.privacy import private_file
from archive_tui.scanning.names import NameMatch, match_name
from archive_tui.scanning.probe import Probe, ProbeProblem, probe, sha256_of
from archive_tui.scanning.sheets import SheetCode, codes_per_page, parse_payload, split_pages
from archive_tui.services.households.catalogue import documents_by_range
from archive_tui.services.households.catalogue import refresh as refresh_catalogue
from archive_tui.db.tables import DOCUMENT, FILE, HOUSEHOLD, ISSUER, KEPT, RECORD_ITEM, SCAN
from archive_tui import audit
from archive_tui.services.households.search import index_page_text
from archive_tui.services.intake.page_quality import (
    MeasuresAhead, check_intake_pages, measured_values, page_marked_for_rescan, replace_in_place,
)

ITEMS_FOLDER = "综合档案"  # where pages of 综合档案 items are kept in the store
QUARANTINE, DUPLICATES, SHEETS, SPLIT = "_quarantine", "_duplicates", "_sheets", "_split"
SET_ASIDE = (QUARANTINE, DUPLICATES, SHEETS, SPLIT)
UNASSIGNED = "_unassigned"
# pages whose files the store keeps (a replaced page too: history)
IN_STORE = (PageStatus.LINKED, PageStatus.UNASSIGNED, PageStatus.REPLACED)
COUNTERS = {PageStatus.LINKED: "linked", PageStatus.UNASSIGNED: "unassigned", PageStatus.DUPLICATE: "duplicates",
            PageStatus.QUARANTINED: "quarantined"}


@dataclass
class IngestReport:
    linked: int = 0
    unassigned: int = 0
    duplicates: int = 0
    quarantined: int = 0
    waiting: int = 0  # still being written
    left: int = 0  # not taken: the intake was asked to stop (the app closing); taken by the next pass
    sheets: int = 0  # covers and separators read (not filed)
    replaced: int = 0  # rescans that took the place of a page marked for rescan
    busy: bool = False  # another intake had the inbox: nothing was taken this time
    notes: list[str] = field(default_factory=list)
    files: set[int] = field(default_factory=set)  # household files that got pages: their page rules are run


@dataclass(frozen=True)
class ItemTarget:
    """A page of a 综合档案 item (named ``档号`` or ``档号-页号``, or in a folder named by the 档号)."""

    record_item_id: int
    archive_code: str
    page: int | None


@dataclass(frozen=True)
class Target:
    """Where a scan belongs: a household file, maybe a document, maybe a page number."""

    archive_file_id: int
    archive_code: str
    village: str
    cbfbm: str
    doc_type: str | None
    page: int | None


def inbox_files(inbox: Path, ignore: list[str]) -> Iterator[Path]:
    """Files of the inbox and its subfolders, minus ignored names and our own folders."""
    for root, folders, names in os.walk(inbox):
        folders[:] = sorted(f for f in folders if f not in SET_ASIDE)
        for name in sorted(names):
            if not any(fnmatch.fnmatch(name, pattern) for pattern in ignore):
                yield Path(root) / name


def is_stable(path: Path, seconds: float, now: float | None = None) -> bool:
    """Unchanged for ``seconds``: a scanner or a copy still writing is left for later."""
    return (now or time.time()) - path.lstat().st_mtime >= seconds


def free_path(path: Path) -> Path:
    """``path``, or ``name~2.ext``, ``name~3.ext`` … when something is there already."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}~{number}{path.suffix}")
    return candidate


def store_target(config: Config, *, village: str, archive_code: str, cbfbm: str, doc: str, seq: int,
                 ext: str) -> Path:
    """Where a linked page goes in the store (``scan.store_template``): every piece from data
    made safe, the path checked to lie inside the store."""
    return from_template(config.store, config.settings.scan.store_template,
                         {"village": village, "archive_code": archive_code, "cbfbm": cbfbm, "doc": doc, "seq": seq,
                          "ext": ext}, "scan.store_template")


def _set_aside(path: Path, inbox: Path, folder: str, reason: str) -> Path:
    target = free_path(inbox / folder / safe_file_name(path.name))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), str(target))
    target.with_name(target.name + ".原因.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def _place_for(engine: Engine, wanted: Path, sha256: str, config: Config) -> Path:
    """Where to file: ``wanted``, or the copy an interrupted run left there (same content,
    no row yet: reused, so nothing is doubled), or a free name beside it (never overwrite)."""
    if wanted.is_file() and sha256_of(wanted)[0] == sha256:
        with engine.connect() as connection:
            taken = connection.execute(select(SCAN.c.id).where(
                SCAN.c.store_path == relative_path(wanted, config))).first()
        if taken is None:
            return wanted
    return free_path(wanted)


def copy_verified(source: Path, target: Path, sha256: str) -> None:
    """Copy under a temporary name, check the hash, then give it its name."""
    if target.is_file() and sha256_of(target)[0] == sha256:
        return  # left by an interrupted run and verified just now
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    shutil.copy2(source, partial)
    if sha256_of(partial)[0] != sha256:
        partial.unlink()
        raise ArchiveError(f"{source} 的内容与记录的校验值不一致（文件被改动或读取出错），"
                           f"未复制到 {target}；原件留在原处")
    private_file(partial)  # ID-card copies, names: the owner's only
    os.replace(partial, target)


class Linker:
    """Resolves file names and folder names to household files, with the township's data."""

    def __init__(self, engine: Engine, config: Config):
        self.config = config
        with engine.connect() as connection:
            rows = connection.execute(
                select(FILE.c.id, FILE.c.archive_code, FILE.c.household_id, HOUSEHOLD.c.code, HOUSEHOLD.c.name,
                       ISSUER.c.village_name)
                .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
                .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
            ).all()
        self.by_archive_code = {row.archive_code.lower(): row for row in rows}
        self.by_cbfbm = {row.code: row for row in rows}
        self.by_seq_name: dict[tuple[str, str], list] = {}
        for row in rows:
            self.by_seq_name.setdefault((row.code[-4:], row.name), []).append(row)
        self.doc_codes = {doc.code.lower(): doc.code for doc in config.settings.documents}
        self.doc_names = [(doc.name, doc.code) for doc in config.settings.documents]
        with engine.connect() as connection:
            self.items = {row.archive_code.lower(): row for row in connection.execute(
                select(RECORD_ITEM.c.id, RECORD_ITEM.c.archive_code)
                .where(RECORD_ITEM.c.status != ItemStatus.WITHDRAWN))}

    def item_for(self, path: Path, inbox: Path) -> ItemTarget | None:
        """The 综合档案 item a scan is named after (its 档号, maybe ``-页号``), or whose folder it is in."""
        stem = path.stem.strip().lower()
        head, _, tail = stem.rpartition("-")
        row, page = self.items.get(stem), None
        if row is None and tail.isdigit() and head in self.items:
            row, page = self.items[head], int(tail)
        if row is None:
            for folder in path.relative_to(inbox).parents:
                row = self.items.get(folder.name.lower()) if folder != Path(".") else None
                if row is not None:
                    break
        return ItemTarget(row.id, row.archive_code, page or None) if row is not None else None

    def _row(self, found: NameMatch):
        if found.archive_code:
            return self.by_archive_code.get(found.archive_code.lower())
        if found.cbfbm:
            return self.by_cbfbm.get(found.cbfbm)
        if found.seq4 and found.name:
            rows = self.by_seq_name.get((found.seq4, found.name), [])
            return rows[0] if len(rows) == 1 else None
        return None

    def _doc_type(self, found: NameMatch) -> str | None:
        if found.doc:
            return self.doc_codes.get(found.doc.lower())
        if found.docname:
            for name, code in self.doc_names:
                if found.docname in name or name in found.docname:
                    return code
        return None

    def sheet(self, text: str) -> SheetCode | None:
        """A QR text read off a page, if it is one of our covers or separators for a known file."""
        code = parse_payload(text)
        if code.archive_code.lower() not in self.by_archive_code:
            return None  # e.g. the QR code printed on a certificate
        if code.doc_type is not None and code.doc_type not in self.doc_codes.values():
            return None
        return code

    def target_for(self, archive_code: str, doc_type: str | None) -> Target | None:
        row = self.by_archive_code.get(archive_code.lower())
        if row is None:
            return None
        return Target(row.id, row.archive_code, row.village_name or row.code[9:12], row.code, doc_type, None)

    def resolve(self, path: Path, inbox: Path) -> Target | None:
        rules = self.config.settings.scan.filename_rules
        found = match_name(readable_name(path.stem), rules, accept=lambda m: self._row(m) is not None)
        row = self._row(found) if found else None
        if row is None:  # a folder named by a 档号 or 承包方编码 links everything inside
            for folder in path.relative_to(inbox).parents:
                if folder == Path("."):
                    break
                row = self.by_archive_code.get(folder.name.lower()) or self.by_cbfbm.get(folder.name)
                if row is not None:
                    break
        if row is None:
            return None
        doc_type = self._doc_type(found) if found else None
        return Target(row.id, row.archive_code, row.village_name or row.code[9:12], row.code, doc_type,
                      found.page if found else None)


class SheetTrail:
    """Where the pages after a cover or a separator go, per inbox folder (a scanned batch).

    Kept in ``<inbox>/_sheets/context.json`` so a batch still arriving across several passes
    stays together. A page follows the last sheet of its folder only if its file time is
    within ``scan.sheet_minutes`` of the sheet's (or of the batch's previous page)."""

    def __init__(self, inbox: Path, minutes: int):
        self.path = inbox / SHEETS / "context.json"
        self.window = minutes * 60
        try:
            self.state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.state = {}

    def start(self, folder: str, sheet: SheetCode, at: float) -> None:
        self.state[folder] = {"archive_code": sheet.archive_code, "doc_type": sheet.doc_type, "at": at}
        self.save()

    def follow(self, folder: str, at: float) -> dict | None:
        entry = self.state.get(folder)
        if entry is None or abs(at - entry["at"]) > self.window:
            return None
        entry["at"] = max(entry["at"], at)
        return entry

    def active(self, folder: str) -> bool:
        return folder in self.state

    def save(self) -> None:
        if not self.state and not self.path.exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".part")
        partial.write_text(json.dumps(self.state, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.path)


def quality_notes(config: Config, result: Probe, doc_type: str | None) -> str:
    """The DA/T 31 points a page falls short on, recorded on the page (not a rejection)."""
    scan = config.settings.scan
    notes = []
    if result.format not in scan.formats:
        notes.append(f"格式 {result.format} 不在允许的格式（{'、'.join(scan.formats)}）中")
    if result.format != "PDF" and result.dpi and result.dpi < scan.min_dpi:
        notes.append(f"分辨率 {result.dpi} dpi 低于 {scan.min_dpi} dpi")
    if result.format != "PDF" and not result.dpi:
        notes.append("文件未记录分辨率")
    if result.mixed:
        notes.append(f"文件内各页格式不一致（{result.mixed}）")
    if doc_type in scan.colour_required and result.colour_mode != "colour":
        notes.append("该类文件须彩色扫描，此页为黑白或灰度")
    return "；".join(notes)


@use_case(Permission.WRITE, "接收扫描件")
def ingest_once(ctx: ArchiveContext, progress: Callable[[int, int], None] | None = None,
                now: float | None = None, wait: bool = True, stop: Callable[[], bool] | None = None) -> IngestReport:
    """Process what is in the inbox now; with another intake at work, wait for it (or, not ``wait``, say so).
    ``stop``: asked before each file; when it says so (the app is closing), the files not yet taken
    stay in the inbox for the next pass (each one taken is filed whole)."""
    config = ctx.config
    inbox = config.inbox
    report = IngestReport()
    if not inbox.is_dir():
        raise ArchiveError(f"扫描收件箱 {inbox} 不存在；请先运行 archive-tui init 或检查 config.toml 的 paths.inbox")
    with inbox_turn(inbox, wait) as ours:
        if not ours:
            report.busy = True
            report.notes.append("另一个收取（本机的程序或另一个命令）正在处理收件箱，本次未收取；它结束后会再收")
            return report
        _take_inbox(ctx, report, progress, now, stop)
    return report


@contextmanager
def inbox_turn(inbox: Path, wait: bool) -> Iterator[bool]:
    """One intake at a time per inbox (收取轮次): two at once filed one page twice under one store name.

    The lock is the operating system's (released when a process dies), kept in a folder the intake skips.
    Yields whether this intake has the inbox; ``wait`` waits for the other one to finish."""
    folder = inbox / SHEETS
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / "收取.lock")
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def _take_inbox(ctx: ArchiveContext, report: IngestReport, progress: Callable[[int, int], None] | None,
                now: float | None, stop: Callable[[], bool] | None = None) -> None:
    engine, config = ctx.engine, ctx.config
    scan, inbox = config.settings.scan, config.inbox
    files = list(inbox_files(inbox, scan.ignore))
    if not files:
        return  # an empty inbox: the household index (a second for a county) is not needed
    intake = Intake(ctx, Linker(engine, config), SheetTrail(inbox, scan.sheet_minutes), report)
    if config.settings.quality.at_intake:
        intake.ahead = MeasuresAhead(files)
    try:
        _take_files(intake, files, progress, now, stop)
    finally:
        if intake.ahead is not None:
            intake.ahead.close()
    intake.sheets.save()
    _check_pages_of(ctx, report.files)


def _take_files(intake: Intake, files: list[Path], progress: Callable[[int, int], None] | None,
                now: float | None, stop: Callable[[], bool] | None = None) -> None:
    engine, ctx, report = intake.engine, intake.ctx, intake.report
    scan, inbox = intake.config.settings.scan, intake.config.inbox
    held: set[str] = set()  # batch folders waiting for a page still being written: keep the order
    for done, path in enumerate(files, start=1):
        if stop is not None and stop():
            report.left = len(files) - done + 1
            break
        if progress:
            progress(done, len(files))
        folder = _folder_key(path, inbox)
        if folder in held:
            report.waiting += 1
            continue
        if path.is_symlink():
            _record(engine, _set_aside(path, inbox, QUARANTINE, "符号链接，已拒收"), ctx, None, None,
                    PageStatus.QUARANTINED, "符号链接，已拒收", report)
            continue
        try:
            if not is_stable(path, scan.stable_seconds, now):
                report.waiting += 1
                if intake.sheets.active(folder):
                    held.add(folder)
                continue
            intake.take(path, folder)
        except FileNotFoundError:
            continue  # moved away meanwhile (by the scanner software or the archivist)
        except (OSError, ArchiveError) as error:  # one bad file never stops the intake
            report.notes.append(f"{path.name}：{error}")


def _folder_key(path: Path, inbox: Path) -> str:
    return path.parent.relative_to(inbox).as_posix()


@use_case(Permission.WRITE, "监视收件夹")
def watch_inbox(ctx: ArchiveContext, stop, on_pass: Callable[[IngestReport], None] | None = None) -> None:
    """Keep taking in scans until ``stop`` (a threading.Event) is set."""
    config = ctx.config
    from archive_tui.scanning.watcher import watch_folder

    scan = config.settings.scan
    config.inbox.mkdir(parents=True, exist_ok=True)

    def run_pass() -> int:
        report = ingest_once(ctx, wait=False, stop=stop.is_set)
        if on_pass:
            on_pass(report)
        return report.waiting or int(report.busy)  # busy: try again shortly

    watch_folder(config.inbox, run_pass, stop, rescan_seconds=scan.rescan_seconds,
                 stable_seconds=scan.stable_seconds, polling=scan.polling,
                 own=lambda path: is_set_aside(Path(path), config.inbox))


def is_set_aside(path: Path, inbox: Path) -> bool:
    """In one of the intake's own folders of the inbox (its lock, what it set aside)."""
    try:
        return path.relative_to(inbox).parts[:1] in [(folder,) for folder in SET_ASIDE]
    except ValueError:
        return False


def relative_path(path: Path, config: Config) -> str:
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return path.as_posix()


def _record(engine: Engine, stored: Path, ctx: ArchiveContext, result: Probe | None, target: Target | None,
            status: str, reason: str, report: IngestReport, source_name: str = "", seq: int | None = None,
            replaces=None, record_item_id: int | None = None, within: Connection | None = None,
            measured: dict | None = None) -> None:
    """The page's row, with its pixel measures when it is filed (linked or waiting to be);
    ``replaces``: the page marked for rescan whose place it takes; ``within``: the transaction
    of the action it is part of (committed, or rolled back, with it); ``measured``: its measures
    worked out ahead (of the same bytes), else it is measured now."""
    pixels = {}
    if (result is not None and status in (PageStatus.LINKED, PageStatus.UNASSIGNED)
            and ctx.config.settings.quality.at_intake):
        pixels = measured or measured_values(stored, result.dpi)
    with (nullcontext(within) if within is not None else engine.begin()) as connection:
        document_id = _page_document(connection, ctx.config, target, target.page) if target else None
        page_id = connection.execute(SCAN.insert().values(
            archive_file_id=target.archive_file_id if target else None, document_id=document_id,
            store_path=relative_path(stored, ctx.config), source_name=readable_name(source_name or stored.name),
            sha256=result.sha256 if result else "",
            size=result.size if result else 0, format=result.format if result else "",
            width=result.width if result else 0, height=result.height if result else 0,
            dpi=result.dpi if result else 0, colour_mode=result.colour_mode if result else "",
            page_index=0, seq=seq, status=status, reason=reason, record_item_id=record_item_id, **pixels,
        )).inserted_primary_key[0]
        if replaces is not None:
            replace_in_place(connection, replaces, page_id, ctx)
            report.replaced += 1
        if target is not None and status == PageStatus.LINKED:
            count_file_pages(connection, target.archive_file_id)
        audit.record(connection, operator=ctx.operator, action=f"intake.{status}", entity="scan",  # with the row
                     key=result.sha256 if result else relative_path(stored, ctx.config),
                     after={"store_path": relative_path(stored, ctx.config),
                            "source": readable_name(source_name or stored.name),
                            "archive_code": target.archive_code if target else "", "reason": reason})
    if target is not None and status == PageStatus.LINKED:
        report.files.add(target.archive_file_id)
    counter = COUNTERS[status]
    setattr(report, counter, getattr(report, counter) + 1)


@dataclass
class Intake:
    """One pass over the inbox: what it knows about files and sheets, and its tally."""

    ctx: ArchiveContext
    linker: Linker
    sheets: SheetTrail
    report: IngestReport
    within: Connection | None = None  # the transaction of the action the pages are filed in, if any
    ahead: MeasuresAhead | None = None  # the pages' measures worked out in worker processes, if many

    def measured_ahead(self, path: Path, result: Probe) -> dict | None:
        return self.ahead.values_for(path, result.sha256) if self.ahead is not None else None

    @property
    def engine(self) -> Engine:
        return self.ctx.engine

    @property
    def config(self) -> Config:
        return self.ctx.config

    def take(self, path: Path, folder: str) -> None:
        """Probe, link, file (or set aside) one stable file of the inbox."""
        ctx = self.ctx
        engine, config, report = self.engine, self.config, self.report
        inbox, scan = config.inbox, config.settings.scan
        try:
            result = probe(path, max_pixels=scan.max_pixels, thumbnail=False, full_decode=scan.full_decode)
        except ProbeProblem as problem:
            _record(engine, _set_aside(path, inbox, QUARANTINE, problem.reason), ctx, None, None,
                    PageStatus.QUARANTINED, problem.reason, report, path.name)
            return
        item = self.linker.item_for(path, inbox)
        target = self.linker.resolve(path, inbox) if item is None else None
        if item is None and target is None and scan.read_sheets:
            if self._took_sheets(path, folder, result):
                return
            target = self._after_sheet(path, folder)
        elif target is not None and target.doc_type is None and scan.read_sheets:
            target = self._typed_by_sheet(path, folder, target)
        with engine.connect() as connection:
            known = connection.execute(select(SCAN.c.store_path).where(
                SCAN.c.sha256 == result.sha256, SCAN.c.status.in_((PageStatus.LINKED, PageStatus.UNASSIGNED)))).first()
        if known is not None:
            reason = f"与已收取的 {known.store_path} 内容相同"
            _record(engine, _set_aside(path, inbox, DUPLICATES, reason), ctx, result, None,
                    PageStatus.DUPLICATE, reason, report, path.name)
            return
        if item is not None:
            self.file_item_page(path, result, item)
            return
        self._file(path, result, target)

    def file_item_page(self, path: Path, result: Probe, item: ItemTarget, remove_original: bool = True) -> str:
        """File a page of a 综合档案 item: ``store/综合档案/<档号>/<档号>-<页>``."""
        ctx = self.ctx
        engine, config = self.engine, self.config
        with engine.connect() as connection:
            taken = connection.execute(select(SCAN.c.seq).where(SCAN.c.record_item_id == item.record_item_id)).scalars()
            seq = item.page or max((seq or 0 for seq in taken), default=0) + 1
        folder = inside(config.store, config.store / ITEMS_FOLDER / safe_part(item.archive_code))
        wanted = folder / safe_file_name(f"{item.archive_code}-{seq:04d}{path.suffix}")
        stored = _place_for(engine, wanted, result.sha256, config)
        copy_verified(path, stored, result.sha256)
        _record(engine, stored, ctx, result, None, PageStatus.LINKED, quality_notes(config, result, None), self.report,
                path.name, seq, record_item_id=item.record_item_id, measured=self.measured_ahead(path, result))
        if remove_original and not config.settings.scan.keep_originals:
            path.unlink()
        return relative_path(stored, config)

    def _file(self, path: Path, result: Probe, target: Target | None, remove_original: bool = True) -> str:
        ctx = self.ctx
        engine, config, scan = self.engine, self.config, self.config.settings.scan
        if target is None:
            stored = _place_for(engine, config.store / UNASSIGNED / safe_file_name(path.name), result.sha256, config)
            copy_verified(path, stored, result.sha256)
            _record(engine, stored, ctx, result, None, PageStatus.UNASSIGNED, quality_notes(config, result, None),
                    self.report, path.name, measured=self.measured_ahead(path, result))
        else:
            with engine.connect() as connection:
                old = page_marked_for_rescan(connection, target.archive_file_id, target.page)
            seq = target.page or _next_seq(engine, target.archive_file_id)
            stored = _place_for(engine, store_target(
                config, village=target.village, archive_code=target.archive_code, cbfbm=target.cbfbm,
                doc=target.doc_type or "", seq=seq, ext=path.suffix), result.sha256, config)
            copy_verified(path, stored, result.sha256)
            _record(engine, stored, ctx, result, target, PageStatus.LINKED,
                    quality_notes(config, result, target.doc_type), self.report, path.name, seq, replaces=old,
                    within=self.within, measured=self.measured_ahead(path, result))
        if remove_original and not scan.keep_originals:
            path.unlink()
        return relative_path(stored, config)

    def _took_sheets(self, path: Path, folder: str, result: Probe) -> bool:
        """A cover or separator (set aside, remembered for the pages after it), or a multi-page
        scan with sheets inside (split into pages, each taken in order). False: an ordinary page."""
        pdf = result.format == "PDF"
        try:
            per_page = codes_per_page(path, pdf)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return False  # unreadable pixels: the page is filed as it is, with its probe notes
        sheets = [[self.linker.sheet(text) for text in texts] for texts in per_page]
        sheets = [[sheet for sheet in found if sheet] for found in sheets]
        if len(per_page) > 1:
            if not any(sheets):
                return False
            self._split(path, folder, pdf)
            return True
        if not sheets or not sheets[0]:
            return False
        sheet = sheets[0][0]
        self.sheets.start(folder, sheet, path.stat().st_mtime)
        kind = "案卷封面" if sheet.doc_type is None else f"分隔页（文件类型 {sheet.doc_type}）"
        _set_aside(path, self.config.inbox, SHEETS, f"{kind}：{sheet.archive_code}，其后各页归入该卷")
        self.report.sheets += 1
        return True

    def _split(self, path: Path, folder: str, pdf: bool) -> None:
        inbox = self.config.inbox
        pages_folder = free_path(path.with_name(f"{path.stem}-分页"))
        at = path.stat().st_mtime
        pages = split_pages(path, pages_folder, pdf)
        for page in pages:
            os.utime(page, (at, at))
        reason = f"含封面或分隔页的多页文件，已拆为 {len(pages)} 页（{pages_folder.name}）后逐页收取"
        _set_aside(path, inbox, SPLIT, reason)
        for page in pages:
            self.take(page, folder)
        if pages_folder.is_dir() and not any(pages_folder.iterdir()):
            pages_folder.rmdir()

    def _typed_by_sheet(self, path: Path, folder: str, target: Target) -> Target:
        """A page named by its file's 档号 (and page number) but not its document: of the type of
        the last separator sheet scanned before it for the same file, if any."""
        entry = self.sheets.follow(folder, path.stat().st_mtime) if self.sheets.active(folder) else None
        if entry and entry["doc_type"] and entry["archive_code"].lower() == target.archive_code.lower():
            return replace(target, doc_type=entry["doc_type"])
        return target

    def _after_sheet(self, path: Path, folder: str) -> Target | None:
        entry = self.sheets.follow(folder, path.stat().st_mtime)
        return self.linker.target_for(entry["archive_code"], entry["doc_type"]) if entry else None


@use_case(Permission.WRITE, "挂接扫描件")
def file_page(ctx: ArchiveContext, path: Path, key: str, doc_type: str) -> str:
    """File one scan given by the archivist (not from the inbox) into a household's file as a
    page of ``doc_type``; the original stays where it is. Returns its place in the store."""
    report = IngestReport()
    stored = file_page_within(ctx, None, path, key, doc_type, report)
    _check_pages_of(ctx, report.files)
    return stored


def file_page_within(ctx: ArchiveContext, within: Connection | None, path: Path, key: str, doc_type: str,
                     report: IngestReport) -> str:
    """``file_page`` as a step of another action, in its transaction ``within``: the page's row
    commits with that action or not at all (and its copy in the store is removed then)."""
    engine, config = ctx.engine, ctx.config
    linker = Linker(engine, config)
    row = linker.by_cbfbm.get(key) or linker.by_archive_code.get(key.lower())
    if row is None:
        raise ArchiveError(f"找不到承包方编码或档号为“{key}”的户卷")
    result = _probe_given(path, config)
    with engine.connect() as connection:
        known = connection.execute(select(SCAN.c.store_path).where(
            SCAN.c.sha256 == result.sha256, SCAN.c.status == PageStatus.LINKED)).scalar_one_or_none()
    if known is not None:
        return known  # already filed: the same page is not filed twice
    intake = Intake(ctx, linker, SheetTrail(config.inbox, config.settings.scan.sheet_minutes), report, within)
    return intake._file(path, result, linker.target_for(row.archive_code, doc_type), remove_original=False)


def _probe_given(path: Path, config: Config) -> Probe:
    """A scan the archivist names by hand, decoded in full; refused in Chinese when it is no image."""
    try:
        return probe(path, max_pixels=config.settings.scan.max_pixels, thumbnail=False, full_decode=True)
    except ProbeProblem as problem:
        raise ArchiveError(f"{path.name} 不能作为扫描件归档：{problem.reason}") from None


@use_case(Permission.WRITE, "综合档案挂接扫描件")
def file_item_scan(ctx: ArchiveContext, path: Path, code: str) -> str:
    """File one scan given by the archivist as the next page of a 综合档案 item; the original
    stays where it is. Returns its place in the store (the same page is not filed twice)."""
    engine, config = ctx.engine, ctx.config
    linker = Linker(engine, config)
    row = linker.items.get(code.strip().lower())
    if row is None:
        raise ArchiveError(f"找不到档号为“{code.strip()}”的综合档案（已作废的不能挂接）")
    result = _probe_given(path, config)
    with engine.connect() as connection:
        known = connection.execute(select(SCAN.c.store_path, SCAN.c.record_item_id).where(
            SCAN.c.sha256 == result.sha256, SCAN.c.status == PageStatus.LINKED)).first()
    if known is not None and known.record_item_id == row.id:
        return known.store_path  # already a page of this item
    if known is not None:
        raise ArchiveError(f"{path.name} 与已归档的 {known.store_path} 内容相同，未重复挂接")
    intake = Intake(ctx, linker, SheetTrail(config.inbox, config.settings.scan.sheet_minutes),
                    IngestReport())
    return intake.file_item_page(path, result, ItemTarget(row.id, row.archive_code, None), remove_original=False)


def _check_pages_of(ctx: ArchiveContext, file_ids: set[int]) -> None:
    if file_ids:
        check_intake_pages(ctx, file_ids)


def _page_document(connection, config: Config, target: Target, page: int | None) -> int | None:
    """The document a page filed to ``target`` belongs to: the one of its type; else the one whose
    catalogued page range (页号) holds the page number it was given (its name, the archivist);
    else none yet (未分类: sorted in the file)."""
    if target.doc_type:
        return _document_id(connection, config, target)
    return documents_by_range(connection, target.archive_file_id, page) if page else None


def count_file_pages(connection, archive_file_id: int) -> None:
    """The file's page count (页数) is its scanned pages, once it has any."""
    scanned = (select(func.count()).where(SCAN.c.archive_file_id == archive_file_id, SCAN.c.status == PageStatus.LINKED)
               .scalar_subquery())
    connection.execute(FILE.update().where(FILE.c.id == archive_file_id).values(page_count=scanned))


def _document_id(connection, config: Config, target: Target) -> int:
    """The file's document of the target's type, created (in configured order) when missing,
    with its 责任者 and what else the data says of it (catalogue.refresh)."""
    document_id = connection.execute(select(DOCUMENT.c.id).where(
        DOCUMENT.c.archive_file_id == target.archive_file_id, DOCUMENT.c.doc_type == target.doc_type)
    ).scalar_one_or_none()
    if document_id is None:
        codes = [d.code for d in config.settings.documents]
        name = config.settings.documents[codes.index(target.doc_type)].name
        document_id = connection.execute(DOCUMENT.insert().values(
            archive_file_id=target.archive_file_id, doc_type=target.doc_type, title=name,
            position=codes.index(target.doc_type) + 1,
        )).inserted_primary_key[0]
        refresh_catalogue(connection, config, [target.archive_file_id])
    return document_id


def _next_seq(engine: Engine, archive_file_id: int) -> int:
    with engine.connect() as connection:
        pages = connection.execute(select(SCAN.c.seq).where(SCAN.c.archive_file_id == archive_file_id)).scalars()
        return max((seq or 0 for seq in pages), default=0) + 1


STATUSES = tuple(PageStatus)


def scan_counts(engine: Engine) -> dict[str, int]:
    """How many scans are in each state."""
    from sqlalchemy import func

    with engine.connect() as connection:
        found = dict(connection.execute(select(SCAN.c.status, func.count()).group_by(SCAN.c.status)).all())
    return {status: found.get(status, 0) for status in STATUSES}


def scan_preview(config: Config, store_path: str, size: tuple[int, int]):
    """A small picture of a stored scan (or of a set-aside file) for the screen, or None."""
    from PIL import Image  # loaded late: Pillow, only when reading images

    from archive_tui.scanning.sheets import page_image

    path = (config.root / store_path).resolve()
    if not path.is_relative_to(config.root.resolve()) or not path.is_file():
        return None
    try:
        image = page_image(path)
        if image is None:
            return None
        image.thumbnail(size, Image.Resampling.LANCZOS)
        return image.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def list_scans(engine: Engine, status: str | None = None, *, limit: int | None = None) -> list[dict]:
    """Scans with the keys of the CLI contract."""
    query = (select(SCAN, FILE.c.archive_code, DOCUMENT.c.doc_type)
             .outerjoin(FILE, FILE.c.id == SCAN.c.archive_file_id)
             .outerjoin(DOCUMENT, DOCUMENT.c.id == SCAN.c.document_id).order_by(SCAN.c.id))
    if status:
        if status not in STATUSES:
            raise ArchiveError(f"扫描件状态“{status}”无效：应为 linked、unassigned、duplicate、quarantined 或 replaced")
        query = query.where(SCAN.c.status == status)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [{"path": row.store_path, "sha256": row.sha256, "status": row.status,
                 "archive_code": row.archive_code, "doc_type": row.doc_type, "seq": row.seq,
                 "format": row.format, "dpi": row.dpi, "reason": row.reason}
                for row in connection.execute(query)]


@dataclass
class FixityReport:
    """固定性检查: every stored page present and unchanged, and nothing unknown in the store."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.orphans)

    def as_dict(self) -> dict:
        return {"checked": self.checked, "missing": self.missing, "changed": self.changed, "orphans": self.orphans,
                "ok": self.ok}


def kept_paths(engine: Engine, config: Config) -> set[Path]:
    """Every kept file's place (resolved): files of the store that no scan row names
    (the 已签文书 of :mod:`archive_tui.services.registers.kept_forms`)."""
    with engine.connect() as connection:
        return {config.resolve(path).resolve() for path in connection.execute(select(KEPT.c.path)).scalars()}


def verify_store(engine: Engine, config: Config, progress: Callable[[int, int], None] | None = None) -> FixityReport:
    """Hash every page the database holds in the store and look for files it does not know."""
    report = FixityReport()
    with engine.connect() as connection:
        rows = connection.execute(select(SCAN.c.store_path, SCAN.c.sha256).where(SCAN.c.status.in_(IN_STORE))).all()
    known = set()
    for done, (store_path, sha256) in enumerate(rows, start=1):
        path = config.root / store_path
        known.add(path.resolve())
        report.checked += 1
        if not path.is_file():
            report.missing.append(store_path)
        elif sha256_of(path)[0] != sha256:
            report.changed.append(store_path)
        if progress:
            progress(done, len(rows))
    known |= kept_paths(engine, config)  # 已签文书 are the store's too (audit verify checks their digests)
    if config.store.is_dir():
        # anything that is not a folder counts: a pipe or a link put there is as foreign as a file
        for path in sorted(p for p in config.store.rglob("*") if p.is_symlink() or not p.is_dir()):
            if path.is_symlink() or path.resolve() not in known:
                report.orphans.append(relative_path(path, config))
    return report


def _check_linking(row) -> None:
    """A page may be linked by hand only while it waits (the pages' table)."""
    check_transition(PAGE_STATUS, row.status, PageStatus.LINKED, subject=f"扫描页 {row.store_path} ", action="挂接")


@use_case(Permission.WRITE, "挂接扫描页")
def assign_scan(ctx: ArchiveContext, file: str, key: str, doc_type: str | None,
                seq: int | None = None, *, action: str = "assign", why: dict | None = None) -> str:
    """Link an unassigned scan by hand (人工挂接; ``action`` and ``why`` say otherwise for an
    accepted suggestion); returns its new place in the store. Given the number of a page marked
    for rescan, the scan takes that page's place."""
    engine, config = ctx.engine, ctx.config
    codes = [doc.code for doc in config.settings.documents]
    if doc_type is not None and doc_type not in codes:  # None: the page's document is not known yet
        raise ArchiveError(f"文件类型代码“{doc_type}”不在 config.toml 的卷内文件清单中（可用：{'、'.join(codes)}）")
    if seq is not None and seq < 1:
        raise ArchiveError("页序号 --seq 应为正整数")
    wanted = Path(file)
    relative = relative_path(wanted.resolve(), config) if wanted.is_absolute() else wanted.as_posix()
    with engine.connect() as connection:
        row = connection.execute(select(SCAN).where(SCAN.c.status == PageStatus.UNASSIGNED).where(
            (SCAN.c.store_path == relative) | (SCAN.c.sha256 == file.lower()))).first()
    if row is None:
        raise ArchiveError(f"待挂接列表中没有“{file}”；可用 archive-tui scans list --status unassigned 查看")
    linker = Linker(engine, config)
    item = linker.items.get(key.strip().lower())
    if item is not None:
        return _assign_to_item(engine, ctx, row, item, seq, action)
    target_row = linker.by_cbfbm.get(key) or linker.by_archive_code.get(key.lower())
    if target_row is None:
        raise ArchiveError(f"找不到承包方编码或档号为“{key}”的户卷或综合档案")
    with engine.connect() as connection:
        old = page_marked_for_rescan(connection, target_row.id, seq)  # this scan is its rescan
    given, seq = seq, seq or _next_seq(engine, target_row.id)
    target = Target(target_row.id, target_row.archive_code, target_row.village_name or key[9:12], target_row.code,
                    doc_type, seq)
    source = config.root / row.store_path
    destination = free_path(store_target(config, village=target.village, archive_code=target.archive_code,
                                         cbfbm=target.cbfbm, doc=doc_type or "", seq=seq, ext=source.suffix))
    copy_verified(source, destination, row.sha256)
    try:
        with engine.begin() as connection:
            _check_linking(row)
            document_id = _page_document(connection, config, target, given)
            connection.execute(SCAN.update().where(SCAN.c.id == row.id).values(
                archive_file_id=target.archive_file_id, document_id=document_id, seq=seq, status=PageStatus.LINKED,
                store_path=relative_path(destination, config)))
            audit.record(connection, operator=ctx.operator, action=action, entity="scan", key=row.sha256,
                         before={"store_path": row.store_path},
                         after={"archive_code": target.archive_code, "doc_type": doc_type, "seq": seq, **(why or {})})
            if old is not None:
                replace_in_place(connection, old, row.id, ctx)
            count_file_pages(connection, target.archive_file_id)
            if row.ocr_text:  # what was read on it is found by a search for the household now
                index_page_text(connection, target_row.household_id, row.ocr_text)
    except Exception:
        destination.unlink(missing_ok=True)  # the row still points at the original: nothing lost
        raise
    source.unlink()
    _check_pages_of(ctx, {target.archive_file_id})
    return relative_path(destination, config)


def _assign_to_item(engine: Engine, ctx: ArchiveContext, row, item, seq: int | None, action: str) -> str:
    """A waiting scan becomes a page of a 综合档案 item (人工挂接)."""
    with engine.connect() as connection:
        taken = connection.execute(select(SCAN.c.seq).where(SCAN.c.record_item_id == item.id)).scalars()
        seq = seq or max((number or 0 for number in taken), default=0) + 1
    source = ctx.config.root / row.store_path
    folder = inside(ctx.config.store, ctx.config.store / ITEMS_FOLDER / safe_part(item.archive_code))
    destination = free_path(folder / safe_file_name(f"{item.archive_code}-{seq:04d}{source.suffix}"))
    copy_verified(source, destination, row.sha256)
    try:
        with engine.begin() as connection:
            _check_linking(row)
            connection.execute(SCAN.update().where(SCAN.c.id == row.id).values(
                record_item_id=item.id, seq=seq, status=PageStatus.LINKED,
                store_path=relative_path(destination, ctx.config)))
            audit.record(connection, operator=ctx.operator, action=action, entity="scan", key=row.sha256,
                         before={"store_path": row.store_path}, after={"archive_code": item.archive_code, "seq": seq})
    except Exception:
        destination.unlink(missing_ok=True)
        raise
    source.unlink()
    return relative_path(destination, ctx.config)
