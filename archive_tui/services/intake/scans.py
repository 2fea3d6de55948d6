"""Scan intake (扫描件收件): take stable files from the inbox, check them, link them to a
household file (挂接) and file them into the store — or set them aside with a reason.

Nothing is lost: an original leaves the inbox only after its copy in the store has been
verified by SHA-256 and its row committed. Identical content is recorded as a duplicate
and moved to ``_duplicates``; unreadable scans go to ``_quarantine`` with a reason file.

The inbox holds scans and nothing else is touched (收件箱只收扫描件): only files whose first bytes
are a scan format's are taken; everything else stays where it is and is listed once. The inbox
and its batch folders one level down are read, no deeper. An inbox that holds the archive, is
(or is in) a system folder or the user's home, or holds more than ``scan.inbox_max_other_files``
files that are not scans is refused before anything is touched. Nothing is moved or copied
over an existing path (a link there, even a dangling one, counts).
"""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from filelock import FileLock, Timeout
from PIL import Image
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.crash import logged_text
from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import PAGE_STATUS, PAGE_STATUS_LABELS, ItemStatus, PageStatus, check_transition
from archive_tui.core.paths import from_template, inside, readable_name, safe_file_name, safe_part
from archive_tui.core.privacy import private_file
from archive_tui.scanning.names import HEAD_BYTES, NameMatch, match_name, named_as_scan, scan_kind
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
    others: list[str] = field(default_factory=list)  # files that are not scans, left where they are (inbox-relative)
    folders: list[str] = field(default_factory=list)  # folders not entered (deeper than a batch folder, links)
    filed: list[str] = field(default_factory=list)  # "source → store path（status）" of every row committed
    taking: str = ""  # the file being taken (named when the intake stops on an error)

    def left_alone(self) -> list[str]:
        """What the intake did not touch, one line each (收件箱中有 N 个不是扫描件的文件，未处理)."""
        lines = []
        if self.others:
            lines.append(f"收件箱中有 {len(self.others)} 个不是扫描件的文件，未处理：{_some(self.others)}")
        if self.folders:
            lines.append(f"收件箱中有 {len(self.folders)} 个文件夹未进入（只收收件箱中和其下一层文件夹中的扫描件）："
                         f"{_some(self.folders)}")
        return lines


def _some(names: list[str], shown: int = 5) -> str:
    return "、".join(names[:shown]) + (f" 等 {len(names)} 个" if len(names) > shown else "")


@dataclass(frozen=True)
class ItemTarget:
    """A page of a 综合档案 item (named ``档号`` or ``档号-页号``, or in a folder named by the 档号)."""

    record_item_id: int
    archive_code: str
    page: int | None


@dataclass(frozen=True)
class Target:
    """Where a scan belongs: a household file (of one campaign, 工作阶段), maybe a document, maybe
    a page number."""

    archive_file_id: int
    archive_code: str
    village: str
    cbfbm: str
    doc_type: str | None
    page: int | None
    campaign: str = PRIMARY_CAMPAIGN


@dataclass(frozen=True)
class Unlinked:
    """A scan whose name says where it belongs, but that place is not there (a 延包 document of a
    household without a 延包 file): it waits unassigned with this reason."""

    reason: str


SPLIT_PAGES = "-分页"  # the folder a multi-page scan with sheets is split into, beside it (Intake._split)
SYSTEM_FOLDERS = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/dev", "/proc",
                  "/sys", "/run", "/snap", "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/mail", "/System",
                  "/Library", "/Applications", "/private/etc", "/private/var/db")  # nor anything inside them
SHARED_FOLDERS = ("/", "/home", "/Users", "/root", "/mnt", "/media", "/Volumes", "/srv", "/opt", "/var", "/tmp",
                  "/private", "/private/var", "/private/tmp")  # everyone's: not an inbox themselves
WINDOWS_SYSTEM = ("SystemRoot", "windir", "ProgramFiles", "ProgramFiles(x86)", "ProgramW6432", "ProgramData")
A_SCAN, NOT_A_SCAN, UNKNOWN = "scan", "other", "unknown"  # what a file of the inbox is (UNKNOWN: being written)
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


@dataclass
class InboxSurvey:
    """What the inbox holds, looked at without touching anything."""

    files: list[Path] = field(default_factory=list)  # scans (and files still being written), in intake order
    others: list[Path] = field(default_factory=list)  # not scans: left where they are
    folders: list[Path] = field(default_factory=list)  # not entered
    too_many: bool = False  # more others than allowed: the survey stopped there


def file_kind(path: Path, stable_seconds: float | None, now: float | None = None) -> str:
    """A_SCAN when the file's first bytes are a scan format's (an empty file: when it is named as one),
    NOT_A_SCAN for anything else (a link, a folder, a pipe, a device, a text or office file, a hidden
    file), UNKNOWN while a file still being written shows too few bytes to tell (``stable_seconds``
    None: known to be whole). Never follows a link, never waits on a pipe."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode) or path.name.startswith("."):
        return NOT_A_SCAN
    try:
        handle = os.open(path, os.O_RDONLY | NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise
    except OSError:
        return NOT_A_SCAN  # unreadable (a link or a pipe put there meanwhile, no permission): listed, not moved
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return NOT_A_SCAN
        head = os.read(handle, HEAD_BYTES)
    except OSError:
        return NOT_A_SCAN
    finally:
        os.close(handle)
    if scan_kind(head):
        return A_SCAN
    unsure = len(head) < HEAD_BYTES or not head.strip(b"\x00")  # too short yet, or room made for a copy
    if unsure and stable_seconds is not None and (now or time.time()) - info.st_mtime < stable_seconds:
        return UNKNOWN  # judged once it is whole
    return A_SCAN if not head and named_as_scan(path.name) else NOT_A_SCAN


def survey_inbox(inbox: Path, ignore: list[str], stable_seconds: float, now: float | None = None,
                 max_others: int | None = None) -> InboxSurvey:
    """The files of the inbox and of its batch folders (one level down: a folder named by a 档号, a
    承包方编码 or a scanned batch; inside one only the intake's own ``…-分页`` folders), sorted as a
    scanner numbers them. Hidden folders and the intake's own are passed over; nothing deeper is
    read. With ``max_others``, the survey stops once more files than that are not scans."""
    survey = InboxSurvey()

    def walk(folder: Path, depth: int) -> bool:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except FileNotFoundError:
            return True
        inner = []
        for entry in entries:
            path = Path(entry.path)
            if any(fnmatch.fnmatch(entry.name, pattern) for pattern in ignore):
                continue
            if entry.is_dir(follow_symlinks=False):
                if not _enterable(entry.name) or depth == 0 and entry.name in SET_ASIDE:
                    continue  # hidden, the system's, or the intake's own
                if depth == 0 or entry.name.endswith(SPLIT_PAGES) and depth == 1:
                    inner.append(path)
                else:
                    survey.folders.append(path)
                continue
            try:
                kind = file_kind(path, stable_seconds, now)
            except FileNotFoundError:
                continue  # gone meanwhile
            if kind == NOT_A_SCAN:
                if entry.is_symlink() and entry.is_dir():
                    survey.folders.append(path)
                    continue
                survey.others.append(path)
                if max_others is not None and len(survey.others) > max_others:
                    survey.too_many = True
                    return False
            else:
                survey.files.append(path)
        return all(walk(path, depth + 1) for path in inner)

    walk(inbox, 0)
    return survey


def _enterable(name: str) -> bool:
    """A folder the intake may read: not hidden, not the system's (a drive's recycle bin)."""
    return not name.startswith((".", "$")) and name != "System Volume Information"


def _same_or_inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _system_folder(inbox: Path) -> str | None:
    """What makes the inbox no inbox: it is, or lies in, a system folder; it is the user's home, a
    drive or the folder of everyone's files. None for an ordinary folder."""
    if os.name == "nt":
        within = [Path(os.environ[name]) for name in WINDOWS_SYSTEM if os.environ.get(name)]
        shared = [Path(os.environ.get("SystemDrive", "C:") + "\\Users")]
    else:
        within, shared = [Path(folder) for folder in SYSTEM_FOLDERS], [Path(folder) for folder in SHARED_FOLDERS]
    try:
        home = [Path.home(), Path.home().resolve()]
    except (KeyError, RuntimeError):
        home = []
    shared += [folder.resolve() for folder in shared]
    for path in (inbox.absolute(), inbox.resolve()):
        for folder in within:
            for system in (folder, folder.resolve()):
                if path == system:
                    return "是系统文件夹"
                if path.is_relative_to(system):
                    return f"在系统文件夹 {folder} 中"
        if path in home:
            return "是用户主文件夹（其中是用户自己的各种文件）"
        if path in shared or path == Path(path.anchor):
            return "是磁盘根目录或存放所有用户、所有程序文件的文件夹"
    return None


def check_inbox(config: Config) -> None:
    """Refuse, before anything is touched, an inbox that cannot be one: holding the archive
    (its folder, the database, the store, exports or backups) or in it the wrong way round, a
    system folder or a folder of everyone's files, or set-aside folders that are links."""
    inbox = config.inbox.resolve()
    fix = "请在 config.toml 的 paths.inbox 中指定单独的扫描收件箱文件夹"
    system = _system_folder(config.inbox)
    if system is not None:
        raise ArchiveError(f"扫描收件箱 {config.inbox} {system}，不能作为收件箱，未作任何处理。{fix}")
    kept = {"档案文件夹": config.root, "存储库": config.store, "导出文件夹": config.exports,
            "备份文件夹": config.backups}
    if config.database_url.startswith("sqlite:///"):
        kept["数据库文件"] = Path(config.database_url.removeprefix("sqlite:///"))
    for what, path in kept.items():
        path = path.resolve()
        if _same_or_inside(path, inbox) or (what != "档案文件夹" and inbox.is_relative_to(path)):
            raise ArchiveError(f"扫描收件箱 {config.inbox} 与{what} {path} 重叠：收件会把档案本身当作扫描件，"
                               f"未作任何处理。{fix}")
    for name in SET_ASIDE:
        folder = config.inbox / name
        if os.path.lexists(folder) and (folder.is_symlink() or not folder.is_dir()):
            raise ArchiveError(f"扫描收件箱中的 {folder} 是链接或不是文件夹：收件不会把文件放进去，未作任何处理。"
                               "请删除它（或换成普通文件夹）后再收件")


def refuse_crowded(config: Config, survey: InboxSurvey) -> None:
    """An inbox with more files that are not scans than allowed is not an inbox (a user's Documents)."""
    limit = config.settings.scan.inbox_max_other_files
    if survey.too_many:
        raise ArchiveError(
            f"扫描收件箱 {config.inbox} 中不是扫描件的文件超过 {limit} 个"
            "（config.toml 的 scan.inbox_max_other_files），"
            f"它不像扫描收件箱（如：{_some([_shown(path, config.inbox) for path in survey.others], 3)}），"
            "未作任何处理。请检查 config.toml 的 paths.inbox，或把这些文件移走")


def _shown(path: Path, inbox: Path) -> str:
    return readable_name(path.relative_to(inbox).as_posix())


def is_stable(path: Path, seconds: float, now: float | None = None) -> bool:
    """Unchanged for ``seconds``: a scanner or a copy still writing is left for later."""
    return (now or time.time()) - path.lstat().st_mtime >= seconds


def free_path(path: Path, taken: Callable[[Path], bool] | None = None, also: tuple[str, ...] = ()) -> Path:
    """``path``, or ``name~2.ext``, ``name~3.ext`` … when something is there already (a link too,
    even a dangling one), when ``taken`` says the name is spoken for (a row of the database
    names it), or when a companion name (``path`` + each of ``also``) is there."""
    candidate, number = path, 1

    def used(place: Path) -> bool:
        return (os.path.lexists(place) or any(os.path.lexists(place.with_name(place.name + end)) for end in also)
                or (taken is not None and taken(place)))

    while used(candidate):
        number += 1
        candidate = path.with_name(f"{path.stem}~{number}{path.suffix}")
    return candidate


def _new_file(path: Path):
    """A file made at ``path`` that was not there (no link followed): FileExistsError otherwise."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | getattr(os, "O_BINARY", 0),
                             0o600), "wb")


def move_new(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``, a name nothing is at: the name is taken first (O_EXCL), so the
    move can only ever replace that empty placeholder, never a file or link someone put there."""
    with _new_file(target):
        pass
    try:
        os.replace(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:  # on another disk: copied into the placeholder instead
            target.unlink(missing_ok=True)
            raise
        try:
            with source.open("rb") as reading, target.open("r+b") as writing:
                shutil.copyfileobj(reading, writing)
            shutil.copystat(source, target)
        except OSError:
            target.unlink(missing_ok=True)
            raise
        source.unlink()


def store_target(config: Config, *, village: str, archive_code: str, cbfbm: str, doc: str, seq: int,
                 ext: str) -> Path:
    """Where a linked page goes in the store (``scan.store_template``): every piece from data
    made safe, the path checked to lie inside the store."""
    return from_template(config.store, config.settings.scan.store_template,
                         {"village": village, "archive_code": archive_code, "cbfbm": cbfbm, "doc": doc, "seq": seq,
                          "ext": ext}, "scan.store_template")


REASON = ".原因.txt"  # beside a set-aside file: why


def _aside_folder(inbox: Path, folder: str) -> Path:
    """One of the intake's own folders of the inbox, made when missing; never a link."""
    place = inbox / folder
    place.mkdir(parents=True, exist_ok=True)
    if place.is_symlink() or not place.is_dir():
        raise ArchiveError(f"{place} 是链接或不是文件夹，未把文件移进去")
    return place


def _set_aside(path: Path, inbox: Path, folder: str, reason: str, taken: Callable[[Path], bool] | None = None) -> Path:
    """Move a file of the inbox into one of the intake's folders under a free name (never over
    anything there, nor onto a name a row of the database holds), with its reason beside it."""
    target = free_path(_aside_folder(inbox, folder) / safe_file_name(path.name), taken, also=(REASON,))
    move_new(path, target)
    try:
        with _new_file(target.with_name(target.name + REASON)) as handle:
            handle.write((reason + "\n").encode("utf-8"))
    except OSError:
        _put_back(target, path, with_reason=False)
        raise
    return target


def _put_back(target: Path, path: Path, with_reason: bool = True) -> bool:
    """Undo :func:`_set_aside`: the file back at its place in the inbox (if that is still free),
    and, ``with_reason``, the reason file it wrote beside it removed."""
    try:
        move_new(target, path)
    except OSError:
        return False
    if with_reason:
        target.with_name(target.name + REASON).unlink(missing_ok=True)
    return True


def _named_by_a_row(engine: Engine, config: Config) -> Callable[[Path], bool]:
    """Whether a row of the database already holds a place (its file may have gone since)."""

    def taken(place: Path) -> bool:
        with engine.connect() as connection:
            return connection.execute(select(SCAN.c.id).where(
                SCAN.c.store_path == relative_path(place, config))).first() is not None

    return taken


def _place_for(engine: Engine, wanted: Path, sha256: str, config: Config) -> Path:
    """Where to file: ``wanted``, or the copy an interrupted run left there (same content,
    no row yet: reused, so nothing is doubled), or a free name beside it (never overwrite)."""
    taken = _named_by_a_row(engine, config)
    if not wanted.is_symlink() and wanted.is_file() and sha256_of(wanted)[0] == sha256 and not taken(wanted):
        return wanted
    return free_path(wanted, taken)


def copy_verified(source: Path, target: Path, sha256: str, *, new: bool = False) -> None:
    """Copy under a temporary name, check the hash, then give it its name. Never written through a
    link; ``new``: nothing may be at ``target`` (but the same content, left by an interrupted run)."""
    if not target.is_symlink() and target.is_file() and sha256_of(target)[0] == sha256:
        return  # left by an interrupted run and verified just now
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    if os.path.lexists(partial):
        partial.unlink()  # left by an interrupted copy (or a link put there): removed, never written through
    with source.open("rb") as reading, _new_file(partial) as writing:
        shutil.copyfileobj(reading, writing, 1 << 20)
    shutil.copystat(source, partial)
    if sha256_of(partial)[0] != sha256:
        partial.unlink()
        raise ArchiveError(f"{source} 的内容与记录的校验值不一致（文件被改动或读取出错），"
                           f"未复制到 {target}；原件留在原处")
    private_file(partial)  # ID-card copies, names: the owner's only
    if os.path.lexists(target) and (new or target.is_symlink()):
        partial.unlink()
        raise ArchiveError(f"{target} 已存在（文件或链接），未覆盖；原件留在原处")
    os.replace(partial, target)


class Linker:
    """Resolves file names and folder names to household files, with the township's data.

    A household may have one file per campaign (工作阶段: 确权, 延包 …). A page named by its 档号
    goes into that file; a page named by the household and a document (``{cbfbm}_{doc}_{page}``)
    goes into the household's file of the campaign that document belongs to (Y04 → 延包, 07 →
    确权: document codes are distinct across campaigns); a page named by the household only goes
    into its 确权 file (or its only file)."""

    def __init__(self, engine: Engine, config: Config):
        self.config = config
        with engine.connect() as connection:
            rows = connection.execute(
                select(FILE.c.id, FILE.c.archive_code, FILE.c.household_id, FILE.c.campaign, HOUSEHOLD.c.code,
                       HOUSEHOLD.c.name, ISSUER.c.village_name)
                .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
                .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
            ).all()
        self.by_archive_code = {row.archive_code.lower(): row for row in rows}
        self.files_of: dict[str, dict[str, object]] = {}  # 承包方编码 → campaign → its file
        for row in rows:
            self.files_of.setdefault(row.code, {})[row.campaign] = row
        self.by_cbfbm = {code: _household_file(files) for code, files in self.files_of.items()}
        self.by_seq_name: dict[tuple[str, str], list] = {}
        for row in self.by_cbfbm.values():
            self.by_seq_name.setdefault((row.code[-4:], row.name), []).append(row)
        lists = campaign_documents(config)
        self.doc_codes = {doc.code.lower(): doc.code for _campaign, docs in lists for doc in docs}
        self.doc_campaign = {doc.code: campaign for campaign, docs in lists for doc in docs}
        self.doc_names = [(doc.name, doc.code) for _campaign, docs in lists for doc in docs]
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

    def _household(self, found: NameMatch):
        """The file a name names (its 档号), or the household's 确权 file (its 承包方编码, or the last
        four digits of it with the head's name)."""
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
            return document_named(found.docname, self.doc_names)
        return None

    def campaign_of(self, doc_type: str | None) -> str:
        """The campaign a document type belongs to (确权 for none)."""
        return self.doc_campaign.get(doc_type, PRIMARY_CAMPAIGN) if doc_type else PRIMARY_CAMPAIGN

    def file_for(self, row, doc_type: str | None, named_by_code: bool) -> tuple[object | None, str]:
        """The household file a page of ``doc_type`` goes to, given the file ``row`` its name found:
        the file itself when named by its 档号 (refused when the document is of another campaign),
        else the household's file of the document's campaign. (file, "") or (None, reason)."""
        campaign = self.campaign_of(doc_type)
        if named_by_code:
            if doc_type and campaign != row.campaign:
                return None, f"文件类型 {doc_type} 属于{campaign}，而档号 {row.archive_code} 是{row.campaign}卷"
            return row, ""
        if doc_type is None:
            return row, ""
        found = self.files_of.get(row.code, {}).get(campaign)
        if found is None:
            return None, f"文件类型 {doc_type} 属于{campaign}，承包方 {row.code}（{row.name}）还没有{campaign}卷"
        return found, ""

    def sheet(self, text: str) -> tuple[SheetCode, str] | None:
        """A QR text read off a page, if it is one of our covers or separators for a known file, with
        a note when its document type is not of that file's campaign (the pages after it then join
        the file unsorted: 未分类)."""
        code = parse_payload(text)
        row = self.by_archive_code.get(code.archive_code.lower())
        if row is None:
            return None  # e.g. the QR code printed on a certificate
        if code.doc_type is None:
            return code, ""
        if code.doc_type not in self.doc_campaign:
            return None
        campaign = self.doc_campaign[code.doc_type]
        if campaign != row.campaign:
            note = f"分隔页的文件类型 {code.doc_type} 属于{campaign}，不是{row.campaign}卷的：其后各页归入该卷，未分类"
            return replace(code, doc_type=None), note
        return code, ""

    def target_for(self, archive_code: str, doc_type: str | None) -> Target | None:
        row = self.by_archive_code.get(archive_code.lower())
        if row is None:
            return None
        return _target(row, doc_type, None)

    def resolve(self, path: Path, inbox: Path) -> Target | Unlinked | None:
        """Where a scan of the inbox goes by its name or its folder; Unlinked when its name says
        where, but that file is not there (a 延包 document of a household without a 延包 file)."""
        rules = self.config.settings.scan.filename_rules
        found = match_name(readable_name(path.stem), rules, accept=lambda m: self._household(m) is not None)
        row = self._household(found) if found else None
        if row is None:  # a folder named by a 档号 or 承包方编码 links everything inside
            for folder in path.relative_to(inbox).parents:
                if folder == Path("."):
                    break
                row = self.by_archive_code.get(folder.name.lower()) or self.by_cbfbm.get(folder.name)
                if row is not None:
                    break
        if row is None:
            return None
        doc_type = self._doc_type(found) if found else None  # none for a page named by its folder
        row, why = self.file_for(row, doc_type, named_by_code=bool(found and found.archive_code))
        if row is None:
            return Unlinked(f"{why}，未挂接（核对后用 scans assign 人工挂接）")
        return _target(row, doc_type, found.page if found else None)


def _file_by_key(linker: Linker, key: str, doc_type: str | None, missing: str):
    """The household file an archivist names (by 档号, or by 承包方编码: the household's file of the
    document's campaign) for a page of ``doc_type``; refused in Chinese when there is none."""
    if doc_type is not None and doc_type not in linker.doc_campaign:
        codes = "、".join(linker.doc_campaign)
        raise ArchiveError(f"文件类型代码“{doc_type}”不在 config.toml 的卷内文件清单中（可用：{codes}）")
    row = linker.by_archive_code.get(key.strip().lower())
    named_by_code = row is not None
    row = row or linker.by_cbfbm.get(key.strip())
    if row is None:
        raise ArchiveError(missing)
    found, why = linker.file_for(row, doc_type, named_by_code)
    if found is None:
        campaign = linker.campaign_of(doc_type)
        raise ArchiveError(f"{why}，未挂接：请给出该户{campaign}卷的档号或承包方编码"
                           f"（没有{campaign}卷的，待建卷后再挂接）")
    return found


def campaign_documents(config: Config) -> list[tuple[str, list]]:
    """Each campaign (工作阶段) with its household document list: 确权 first, then the later ones."""
    settings = config.settings
    return [(PRIMARY_CAMPAIGN, settings.documents), *((campaign.name, campaign.documents)
                                                      for campaign in settings.campaigns)]


def document_named(text: str, names: list[tuple[str, str]]) -> str | None:
    """The document type a name in a scan's file name stands for: the one named exactly, else the
    one sharing the longest stretch with it (one name holding the other): ``延包承包合同`` is Y04
    延包承包合同（再延长三十年）, not 07 承包合同."""
    best, overlap = None, 0
    for name, code in names:
        if text == name:
            return code
        shared = len(text) if text in name else len(name) if name in text else 0
        if shared > overlap:
            best, overlap = code, shared
    return best


def _household_file(files: dict[str, object]):
    """The file a page named by its household only goes to: the 确权 file, or the household's only one."""
    return files.get(PRIMARY_CAMPAIGN) or next(iter(sorted(files.items())))[1]


def _target(row, doc_type: str | None, page: int | None) -> Target:
    return Target(row.id, row.archive_code, row.village_name or row.code[9:12], row.code, doc_type, page,
                  row.campaign)


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
    check_inbox(config)
    survey = _survey(config, now)
    if not survey.files:  # nothing to take: not even the intake's lock is made
        _tell_left_alone(report, survey, inbox)
        return report
    with inbox_turn(inbox, wait) as ours:
        if not ours:
            report.busy = True
            report.notes.append("另一个收取（本机的程序或另一个命令）正在处理收件箱，本次未收取；它结束后会再收")
            return report
        survey = _survey(config, now)  # again: what another intake took meanwhile is gone
        _tell_left_alone(report, survey, inbox)
        _take_inbox(ctx, report, survey.files, progress, now, stop)
    return report


def _survey(config: Config, now: float | None) -> InboxSurvey:
    scan = config.settings.scan
    survey = survey_inbox(config.inbox, scan.ignore, scan.stable_seconds, now, scan.inbox_max_other_files)
    refuse_crowded(config, survey)
    return survey


def _tell_left_alone(report: IngestReport, survey: InboxSurvey, inbox: Path) -> None:
    report.others = [_shown(path, inbox) for path in survey.others]
    report.folders = [_shown(path, inbox) for path in survey.folders]


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


def _take_inbox(ctx: ArchiveContext, report: IngestReport, files: list[Path],
                progress: Callable[[int, int], None] | None, now: float | None,
                stop: Callable[[], bool] | None = None) -> None:
    engine, config = ctx.engine, ctx.config
    scan, inbox = config.settings.scan, config.inbox
    if not files:
        return  # an empty inbox: the household index (a second for a county) is not needed
    intake = Intake(ctx, Linker(engine, config), SheetTrail(inbox, scan.sheet_minutes), report)
    try:
        if config.settings.quality.at_intake:
            intake.ahead = MeasuresAhead(files)
        try:
            _take_files(intake, files, progress, now, stop)
        finally:
            if intake.ahead is not None:
                intake.ahead.close()
        intake.sheets.save()
        _check_pages_of(ctx, report.files)
    except Exception as error:  # noqa: BLE001 - said in Chinese, with exactly what was filed before it
        if isinstance(error, ArchiveError) and not report.filed:
            raise
        raise stopped_intake(config, report, error) from error


def _problem(error: BaseException) -> str:
    """What went wrong, in Chinese, without SQL or its values (they go to the log)."""
    if isinstance(error, IntegrityError):
        return "数据库拒绝了一页的记录（与已有的记录重复或冲突）"
    if isinstance(error, OperationalError):
        return "数据库无法读写（被其他程序占用、文件损坏、磁盘已满或连接中断）"
    if isinstance(error, SQLAlchemyError):
        return "数据库操作失败"
    if isinstance(error, ArchiveError):
        return error.message
    if isinstance(error, OSError):
        return f"读写文件出错（{error.strerror or error}）：{error.filename or ''}".rstrip("：")
    return "程序遇到意外问题"


def stopped_intake(config: Config, report: IngestReport, error: BaseException) -> ArchiveError:
    """The intake stopped part-way: what went wrong, the file it was taking, and every file it had
    filed (committed to the database) before, one a line; the traceback goes to the log."""
    lines = [f"  出错时正在处理：{report.taking}（留在收件箱中，未记入数据库）"] if report.taking else []
    if report.filed:
        lines.append(f"  出错前本次已归档并写入数据库 {len(report.filed)} 个文件（这些改动已保存）：")
        lines += [f"    {entry}" for entry in report.filed]
    else:
        lines.append("  出错前本次没有文件写入数据库")
    lines += [f"  {line}" for line in report.notes]
    if not isinstance(error, ArchiveError):
        lines.append(f"  {logged_text(config.root, '收件（scans ingest）', error)}")
    return ArchiveError(f"收件中途出错，已停止：{_problem(error)}", details=lines)


def _take_files(intake: Intake, files: list[Path], progress: Callable[[int, int], None] | None,
                now: float | None, stop: Callable[[], bool] | None = None) -> None:
    report = intake.report
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
        report.taking = _shown(path, inbox)
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
    report.taking = ""


def _folder_key(path: Path, inbox: Path) -> str:
    return path.parent.relative_to(inbox).as_posix()


@use_case(Permission.WRITE, "监视收件夹")
def watch_inbox(ctx: ArchiveContext, stop, on_pass: Callable[[IngestReport], None] | None = None) -> None:
    """Keep taking in scans until ``stop`` (a threading.Event) is set."""
    config = ctx.config
    from archive_tui.scanning.watcher import watch_folder

    scan = config.settings.scan
    check_inbox(config)  # before a folder is made for it
    config.inbox.mkdir(parents=True, exist_ok=True)
    _survey(config, None)  # refused at start when crowded with files that are not scans

    def run_pass() -> int:
        report = ingest_once(ctx, wait=False, stop=stop.is_set)
        if on_pass:
            on_pass(report)
        return report.waiting or int(report.busy)  # busy: try again shortly

    watch_folder(config.inbox, run_pass, stop, rescan_seconds=scan.rescan_seconds,
                 stable_seconds=scan.stable_seconds, polling=scan.polling,
                 own=lambda path: is_set_aside(Path(path), config.inbox), inner=lambda: batch_folders(config.inbox))


def batch_folders(inbox: Path) -> list[Path]:
    """The folders one level down that the intake reads (its batch folders): not hidden, not its own, no links."""
    try:
        return [Path(entry.path) for entry in os.scandir(inbox)
                if entry.is_dir(follow_symlinks=False) and _enterable(entry.name) and entry.name not in SET_ASIDE]
    except OSError:
        return []


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
    if within is None:  # committed now (else with the action it is part of)
        report.filed.append(f"{readable_name(source_name or stored.name)} → {relative_path(stored, ctx.config)}"
                            f"（{PAGE_STATUS_LABELS[status]}）")
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

    def set_aside(self, path: Path, folder: str, reason: str, result: Probe | None, status: str) -> None:
        """Move a scan into ``_quarantine`` or ``_duplicates`` and record it; when its row cannot be
        written, the file goes back where it was (nothing moved without its row)."""
        stored = _set_aside(path, self.config.inbox, folder, reason, _named_by_a_row(self.engine, self.config))
        try:
            _record(self.engine, stored, self.ctx, result, None, status, reason, self.report, path.name)
        except Exception:
            if not _put_back(stored, path):
                self.report.notes.append(f"{path.name} 已移到 {stored}，但未能记入数据库，也未能移回收件箱")
            raise

    def take(self, path: Path, folder: str) -> None:
        """Probe, link, file (or set aside) one stable file of the inbox: a scan by its first bytes;
        anything else is left where it is (judged again here: it may have changed since the survey)."""
        engine, config, report = self.engine, self.config, self.report
        inbox, scan = config.inbox, config.settings.scan
        if file_kind(path, None) != A_SCAN:  # the caller has seen it whole
            shown = _shown(path, inbox) if path.is_relative_to(inbox) else path.name
            if shown not in report.others:
                report.others.append(shown)
            return
        try:
            result = probe(path, max_pixels=scan.max_pixels, thumbnail=False, full_decode=scan.full_decode)
        except ProbeProblem as problem:
            self.set_aside(path, QUARANTINE, problem.reason, None, PageStatus.QUARANTINED)
            return
        item = self.linker.item_for(path, inbox)
        target = self.linker.resolve(path, inbox) if item is None else None
        why = ""
        if isinstance(target, Unlinked):  # its name says where, but that file is not there: it waits
            why, target = target.reason, None
        elif item is None and target is None and scan.read_sheets:
            if self._took_sheets(path, folder, result):
                return
            target = self._after_sheet(path, folder)
        elif target is not None and target.doc_type is None and scan.read_sheets:
            target = self._typed_by_sheet(path, folder, target)
        with engine.connect() as connection:
            known = connection.execute(select(SCAN.c.store_path).where(
                SCAN.c.sha256 == result.sha256, SCAN.c.status.in_((PageStatus.LINKED, PageStatus.UNASSIGNED)))).first()
        if known is not None:
            self.set_aside(path, DUPLICATES, f"与已收取的 {known.store_path} 内容相同", result, PageStatus.DUPLICATE)
            return
        if item is not None:
            self.file_item_page(path, result, item)
            return
        self._file(path, result, target, why=why)

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
        copy_verified(path, stored, result.sha256, new=True)
        _record(engine, stored, ctx, result, None, PageStatus.LINKED, quality_notes(config, result, None), self.report,
                path.name, seq, record_item_id=item.record_item_id, measured=self.measured_ahead(path, result))
        if remove_original and not config.settings.scan.keep_originals:
            path.unlink()
        return relative_path(stored, config)

    def _file(self, path: Path, result: Probe, target: Target | None, remove_original: bool = True,
              why: str = "") -> str:
        """File a page into its target, or (none) among the pages waiting to be linked, ``why`` first
        in its reason (with the DA/T 31 notes)."""
        ctx = self.ctx
        engine, config, scan = self.engine, self.config, self.config.settings.scan
        if target is None:
            wanted = inside(config.store, config.store / UNASSIGNED / safe_file_name(path.name))  # no link out
            stored = _place_for(engine, wanted, result.sha256, config)
            copy_verified(path, stored, result.sha256, new=True)
            reason = "；".join(part for part in (why, quality_notes(config, result, None)) if part)
            _record(engine, stored, ctx, result, None, PageStatus.UNASSIGNED, reason,
                    self.report, path.name, measured=self.measured_ahead(path, result))
            if why:
                self.report.notes.append(f"{path.name}：{why}")
        else:
            with engine.connect() as connection:
                old = page_marked_for_rescan(connection, target.archive_file_id, target.page)
            seq = target.page or _next_seq(engine, target.archive_file_id)
            stored = _place_for(engine, store_target(
                config, village=target.village, archive_code=target.archive_code, cbfbm=target.cbfbm,
                doc=target.doc_type or "", seq=seq, ext=path.suffix), result.sha256, config)
            copy_verified(path, stored, result.sha256, new=True)
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
        sheet, note = sheets[0][0]
        self.sheets.start(folder, sheet, path.stat().st_mtime)
        kind = "案卷封面" if sheet.doc_type is None else f"分隔页（文件类型 {sheet.doc_type}）"
        if note:  # a separator of another campaign's document type: its pages join the file unsorted
            self.report.notes.append(f"{path.name}：{note}")
        _set_aside(path, self.config.inbox, SHEETS, f"分隔页：{sheet.archive_code}，{note}" if note
                   else f"{kind}：{sheet.archive_code}，其后各页归入该卷")
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
    row = _file_by_key(linker, key, doc_type, f"找不到承包方编码或档号为“{key}”的户卷")
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
        documents = config.settings.documents_of(target.campaign)  # the list of the file's campaign
        codes = [d.code for d in documents]
        name = documents[codes.index(target.doc_type)].name
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
    codes = [doc.code for doc in config.settings.all_documents]  # a code names its campaign (确权 01…, 延包 Y01…)
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
    target_row = _file_by_key(linker, key, doc_type, f"找不到承包方编码或档号为“{key}”的户卷或综合档案")
    with engine.connect() as connection:
        old = page_marked_for_rescan(connection, target_row.id, seq)  # this scan is its rescan
    given, seq = seq, seq or _next_seq(engine, target_row.id)
    target = _target(target_row, doc_type, seq)
    source = config.root / row.store_path
    destination = free_path(store_target(config, village=target.village, archive_code=target.archive_code,
                                         cbfbm=target.cbfbm, doc=doc_type or "", seq=seq, ext=source.suffix),
                            _named_by_a_row(engine, config))
    copy_verified(source, destination, row.sha256, new=True)
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
    destination = free_path(folder / safe_file_name(f"{item.archive_code}-{seq:04d}{source.suffix}"),
                            _named_by_a_row(engine, ctx.config))
    copy_verified(source, destination, row.sha256, new=True)
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
