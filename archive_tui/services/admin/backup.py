"""Backup and restore (备份与恢复).

A backup is a folder: ``config.toml``, the database (SQLite's online backup API, so it works
while the app and ``scans watch`` write; on PostgreSQL a ``pg_dump`` archive), a
``manifest.json`` with the SHA-256 of each of them and of every stored scan (from the hashes
recorded at intake), and — on request — the store's files themselves. ``verify`` checks a
backup against its manifest; ``restore`` rebuilds a working archive in an empty folder and
never overwrites anything. Backups are readable by their owner only.

The automatic backup of the day keeps its SQLite database compressed (``archive.db.gz``,
gzip: a third of the size; ``gunzip`` or 7-Zip open it too), its manifest format
``archive-tui backup 2`` naming the SHA-256 of the compressed file and of the database in
it. It is made in short steps that ask ``stop`` in between, from one reading of the
database (a read transaction held throughout: writers go on, the copy stays consistent);
a backup that stops or fails leaves nothing behind.

Every backup carries the audit chain's anchor (审计锚点: the id and hash of the last event in
the copied database, signed with the 审计密钥 when there is one) in its manifest: ``audit
verify`` holds the live chain against it, ``verify`` checks the backup's own chain against it,
and ``restore`` puts it beside the restored database.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import CONFIG_NAME, Config, parse_settings
from archive_tui.core.errors import ArchiveError
from archive_tui.scanning.probe import sha256_of
from archive_tui import audit
from archive_tui.services.intake.scans import IN_STORE
from archive_tui.core.privacy import private_dir, private_file
from models import KeptForm
from archive_tui.db.tables import SCAN

MANIFEST = "manifest.json"
SQLITE_NAME = "archive.db"
COMPRESSED_NAME = "archive.db.gz"
PG_NAME = "archive.pgdump"
FORMAT = "archive-tui backup 1"
COMPRESSED_FORMAT = "archive-tui backup 2"  # the database compressed (gzip); read as well as FORMAT
FORMATS = (FORMAT, COMPRESSED_FORMAT)
STORE_FILES = "store-files"
STEP_PAGES = 4096  # SQLite pages copied a step (16 MiB at 4 KiB a page), ``stop`` asked between steps
CHUNK = 1 << 20  # bytes compressed, decompressed or hashed between two questions to ``stop``
GZIP_LEVEL = 1  # the fastest: 412 MB → 125 MB in about 4 s; higher levels gain little on a database


@dataclass
class BackupReport:
    path: Path
    files: int = 0
    store_files: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _empty_or_new(folder: Path, what: str) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ArchiveError(f"{what} {folder} 不是空文件夹；为免覆盖任何东西，请换一个新的或空的文件夹")


def _is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class BackupStopped(Exception):
    """The program is closing: the backup stopped, nothing half made is left; it is made next time."""


def _check(stop: Callable[[], bool] | None) -> None:
    if stop is not None and stop():
        raise BackupStopped()


def _backup_sqlite(engine: Engine, target: Path, stop: Callable[[], bool] | None = None) -> None:
    """SQLite's online backup, STEP_PAGES a step, ``stop`` asked between steps. The source
    holds one read transaction throughout: what others commit meanwhile is not copied, and
    the copy does not start over after each of their commits (WAL: they are not held up)."""
    source = sqlite3.connect(make_url(str(engine.url)).database, timeout=30, isolation_level=None)
    try:
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the reading starts here
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=STEP_PAGES, progress=lambda _status, _left, _total: _check(stop))
        finally:
            copy.close()
    finally:
        source.close()


class _Hashing:
    """A file written through: the SHA-256 of what went in."""

    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def write(self, data) -> int:
        self.digest.update(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


def _compress(raw: Path, packed: Path, stop: Callable[[], bool] | None) -> tuple[str, str]:
    """``raw`` gzipped into ``packed``, a chunk at a time; (SHA-256 of ``raw``, of ``packed``)."""
    content = hashlib.sha256()
    with raw.open("rb") as source, packed.open("wb") as handle:
        hashing = _Hashing(handle)
        with gzip.GzipFile(filename=raw.name, mode="wb", compresslevel=GZIP_LEVEL, fileobj=hashing, mtime=0) as out:
            while chunk := source.read(CHUNK):
                _check(stop)
                content.update(chunk)
                out.write(chunk)
    return content.hexdigest(), hashing.digest.hexdigest()


def _decompress(packed: Path, target: Path) -> str:
    """``packed`` (gzip) written out as ``target``; the SHA-256 of what was written."""
    content = hashlib.sha256()
    with gzip.open(packed, "rb") as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            content.update(chunk)
            out.write(chunk)
    return content.hexdigest()


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The server's address for pg_dump without its password, which goes in the environment
    (PGPASSWORD): a command line is visible to every user of the computer."""
    url = engine.url
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    address = URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                         query=url.query)
    return address.render_as_string(hide_password=False), environment


def _backup_postgresql(engine: Engine, target: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise ArchiveError("找不到 pg_dump：PostgreSQL 数据库的备份需要安装 PostgreSQL 客户端工具")
    address, environment = _libpq(engine)
    done = subprocess.run([pg_dump, "--format=custom", f"--file={target}", address],
                          capture_output=True, text=True, env=environment)
    if done.returncode != 0:
        raise ArchiveError(f"pg_dump 失败：{done.stderr.strip()}")


@use_case(Permission.BACKUP, "备份")
def backup(ctx: ArchiveContext, dest: Path, *, with_store: bool = False,
           stop: Callable[[], bool] | None = None, compress: bool = False) -> BackupReport:
    """Write a backup into ``dest`` (a new or empty folder); ``compress``: the SQLite database
    as ``archive.db.gz``. Made in ``dest.part`` and moved into place when complete: a backup
    that stops (``BackupStopped``) or fails removes it."""
    dest = Path(dest)
    _empty_or_new(dest, "备份位置")
    partial = dest.with_name(dest.name + ".part")
    if partial.exists():
        shutil.rmtree(partial)  # a backup killed midway: started again
    private_dir(partial)
    try:
        report = _write_backup(ctx, partial, dest, with_store, stop, compress and _is_sqlite(ctx.engine))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if dest.exists():
        dest.rmdir()  # empty: checked above
    os.replace(partial, dest)
    with ctx.engine.begin() as connection:
        audit.record(connection, operator=ctx.operator, action="backup", entity="archive", key=str(dest),
                     after={"store_files": report.store_files, "with_store": with_store})
    return report


def _write_backup(ctx: ArchiveContext, partial: Path, dest: Path, with_store: bool,
                  stop: Callable[[], bool] | None, compress: bool) -> BackupReport:
    """Everything of the backup into ``partial``: the database, config.toml, the store's list
    (and files), the manifest."""
    engine, config = ctx.engine, ctx.config
    report = BackupReport(dest, 2)
    if not _is_sqlite(engine):
        anchor = audit.head(engine)  # read before the dump: the dump holds at least this
        _backup_postgresql(engine, partial / PG_NAME)
        database = {"file": PG_NAME, "dialect": engine.dialect.name}
    else:
        _backup_sqlite(engine, partial / SQLITE_NAME, stop)
        with _reading(partial / SQLITE_NAME) as copy:
            anchor = audit.head(copy)  # the copy's own head: exactly what it holds
        database = {"file": SQLITE_NAME, "dialect": "sqlite"}
        if compress:
            content, packed = _compress(partial / SQLITE_NAME, partial / COMPRESSED_NAME, stop)
            (partial / SQLITE_NAME).unlink()
            database = {"file": COMPRESSED_NAME, "dialect": "sqlite", "sha256": packed, "compression": "gzip",
                        "content": {"file": SQLITE_NAME, "sha256": content}}
    shutil.copyfile(config.path, partial / CONFIG_NAME)
    files = _store_files(ctx, partial, report, with_store)
    _check(stop)  # before hashing the copy (a second for a county's database)
    if "sha256" not in database:
        database["sha256"] = sha256_of(partial / database["file"])[0]
    manifest = {
        "format": COMPRESSED_FORMAT if compress else FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": database,
        "config": {"file": CONFIG_NAME, "sha256": sha256_of(partial / CONFIG_NAME)[0]},
        "store": {"included": with_store, "root": config.settings.paths.store, "files": files},
        "audit": _signed(anchor, config, report),  # the audit chain's anchor, outside the database
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for path in partial.rglob("*"):
        if path.is_file():
            private_file(path)
    return report


def _signed(anchor: dict | None, config: Config, report: BackupReport) -> dict | None:
    """The anchor with the 审计密钥's signature when there is a key (a key that cannot be read: a
    note, the backup is made unsigned)."""
    if anchor is None:
        return None
    try:
        key_file = audit.key_file_of(config)
        key = audit.read_key(key_file)
    except ArchiveError as error:
        report.notes.append(f"{error.message}；备份中的锚点未签名")
        return anchor
    if key is None and audit.key_configured(config):
        report.notes.append(f"config.toml 的 [audit] key_file 指定的审计密钥文件 {key_file} 不存在；备份中的锚点未签名")
    return audit.with_signature(anchor, key, key_file)


def backup_key(config: Config | None) -> bytes | None:
    """The 审计密钥 a backup's anchor is checked with (config.toml's, else the user config
    folder's); None when there is none or it cannot be read (then signatures are not checked)."""
    try:
        return audit.read_key(audit.key_file_of(config) if config is not None else audit.default_key_file())
    except ArchiveError:
        return None


@contextmanager
def _reading(database: Path):
    """An engine that only reads ``database`` (immutable: nothing is written beside it, so a
    backup on read-only media is read too)."""
    uri = f"file:{quote(database.as_posix())}?mode=ro&immutable=1"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def _store_files(ctx: ArchiveContext, partial: Path, report: BackupReport, with_store: bool) -> list[dict]:
    """The manifest's list of the store's files (scans and 已签文书); with ``with_store`` copied too."""
    engine, config = ctx.engine, ctx.config
    with engine.connect() as connection:
        pages = connection.execute(select(SCAN.c.store_path, SCAN.c.sha256, SCAN.c.size).where(
            SCAN.c.status.in_(IN_STORE)).order_by(SCAN.c.store_path)).all()
        kept = KeptForm.__table__  # 已签文书 live in the store beside the scans and go with them
        pages += connection.execute(select(kept.c.path, kept.c.sha256, kept.c.size).order_by(kept.c.path)).all()
    store = config.store.resolve()
    files = []
    for store_path, sha256, size in pages:
        source = (config.root / store_path).resolve()  # relative to the archive folder, or absolute
        in_store = source.relative_to(store).as_posix() if source.is_relative_to(store) else None
        files.append({"path": store_path, "in_store": in_store, "sha256": sha256, "size": size})
        if not with_store:
            continue
        if in_store is None or not source.is_file():
            report.problems.append(f"存储库中缺少 {store_path}，未备份（请运行 archive-tui scans verify）")
            continue
        target = partial / STORE_FILES / in_store
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        if sha256_of(target)[0] != sha256:
            report.problems.append(f"{store_path} 的备份与收件时的校验值不符")
        report.store_files += 1
    return files


def _manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ArchiveError(f"{path} 不是 archive-tui 的备份（没有可读的 {MANIFEST}）") from None
    if manifest.get("format") not in FORMATS:
        raise ArchiveError(f"{path} 的备份格式“{manifest.get('format')}”不是本程序能读的")
    return manifest


def verify_backup(path: Path, key: bytes | None = None) -> BackupReport:
    """Every file of the backup against its manifest; the SQLite database also opened and
    checked (a compressed one in a temporary file, nothing is written beside the backup): its
    integrity, its audit chain, and that chain against the anchor in the manifest (signed with
    ``key``, when the anchor is signed and the key given)."""
    path = Path(path)
    manifest = _manifest(path)
    report = BackupReport(path)
    for part in ("database", "config"):
        name = manifest[part]["file"]
        report.files += 1
        if not (path / name).is_file():
            report.problems.append(f"缺少 {name}")
        elif sha256_of(path / name)[0] != manifest[part]["sha256"]:
            report.problems.append(f"{name} 的校验值与备份清单不符（备份后被改动或损坏）")
    if manifest["database"]["dialect"] == "sqlite" and not report.problems:
        with _database_of(path, manifest) as (database, problem):
            if problem:
                report.problems.append(problem)
            else:
                _check_integrity(database, report)
                if report.ok:
                    _check_audit(database, manifest, key, report)
    if manifest["store"]["included"]:
        for entry in manifest["store"]["files"]:
            report.store_files += 1
            copy = path / STORE_FILES / _in_store(entry)
            if not copy.is_file():
                report.problems.append(f"缺少扫描件 {entry['path']}")
            elif sha256_of(copy)[0] != entry["sha256"]:
                report.problems.append(f"扫描件 {entry['path']} 的校验值不符")
    return report


@contextmanager
def _database_of(path: Path, manifest: dict):
    """(the SQLite database of the backup as a file, or None; what is wrong with it, or "").
    A compressed one is written out to a temporary file, removed afterwards."""
    entry = manifest["database"]
    if entry.get("compression") is None:
        yield path / entry["file"], ""
        return
    if entry["compression"] != "gzip":
        yield None, f"数据库的压缩方式“{entry['compression']}”不是本程序能读的"
        return
    with tempfile.TemporaryDirectory(prefix="archive-tui-校验-") as folder:
        database = Path(folder) / SQLITE_NAME
        try:
            content = _decompress(path / entry["file"], database)
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            yield None, f"{entry['file']} 无法解压：{error}"
            return
        if content != entry["content"]["sha256"]:
            yield None, f"{entry['file']} 解压出的数据库与备份清单的校验值不符"
            return
        yield database, ""


def _check_integrity(database: Path, report: BackupReport) -> None:
    # immutable: nothing is written beside it (a -shm file), so a backup on read-only media checks too
    connection = sqlite3.connect(f"file:{quote(database.as_posix())}?mode=ro&immutable=1", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    if result != "ok":
        report.problems.append(f"数据库完整性检查未通过：{result}")


def _check_audit(database: Path, manifest: dict, key: bytes | None, report: BackupReport) -> None:
    """The backup's audit chain walked and held against the manifest's anchor: its last event is
    the anchor's (none cut off, none added), signed with ``key`` when both are there. A backup
    made before backups carried an anchor: a note (restored, it is re-anchored deliberately)."""
    if "audit" not in manifest:
        report.notes.append("这份备份是旧版本做的，清单中没有审计锚点：恢复后须由管理员重新设定锚点"
                            "（archive-tui audit anchor --reason 理由）")
        anchor = None
    else:
        anchor = manifest["audit"]
        if anchor is not None and not (isinstance(anchor, dict) and type(anchor.get("id")) is int
                                       and isinstance(anchor.get("hash"), str)):
            report.problems.append("备份清单中的审计锚点格式不对：备份清单被改动过")
            return
    with _reading(database) as engine:
        last = audit.head(engine)
        chain = audit.verify(engine, anchors=[{**anchor, "where": "备份清单中的锚点"}] if anchor else [])
    if not chain.ok:
        report.problems.append(f"备份中的审计日志有问题：{chain.first_bad['problem']}")
    elif "audit" not in manifest:
        return
    elif anchor is None or last is None:
        if last is not None or anchor is not None:
            report.problems.append("备份清单中的审计锚点与备份中的审计日志不符（一方是空的）：备份后被改动过")
    elif last["id"] != anchor["id"]:
        report.problems.append(f"备份中的审计日志在锚点（第 {anchor['id']} 条）之后多出了记录，到第 {last['id']} 条："
                               "备份后被改动过")
    elif anchor.get("hmac") and key is not None and not audit.signed(anchor, key):
        report.problems.append("备份清单中锚点的密钥签名不符（或不是用本机的审计密钥签的）：备份清单被改写过")
    elif anchor.get("hmac") and key is None:
        report.notes.append(f"备份清单中的锚点带有密钥签名（密钥编号 {anchor.get('key_id')}），"
                            "本机没有这把审计密钥，未核对签名")


def _in_store(entry: dict) -> str:
    """A page's place inside the store (manifests before 0.2 gave only the archive-relative path)."""
    if entry.get("in_store"):
        return entry["in_store"]
    return entry["path"]


def restore(source: Path, target: Path, key: bytes | None = None) -> BackupReport:
    """Rebuild an archive from a backup in ``target`` (new or empty): config, database, store.

    Everything is written into a folder beside ``target`` first and moved into it when
    complete: a restore that is killed leaves ``target`` as it was (the next run starts over).
    A config that names a database elsewhere (``database.url``) is pointed at the restored
    file, and the report says so."""
    source, target = Path(source), Path(target)
    _empty_or_new(target, "恢复位置")
    report = verify_backup(source, key)
    if not report.ok:
        raise ArchiveError(f"备份 {source} 校验未通过，未恢复", details=report.problems)
    manifest = _manifest(source)
    if manifest["database"]["dialect"] != "sqlite":
        raise ArchiveError("PostgreSQL 备份请用 pg_restore 恢复到一个空数据库：pg_restore --dbname=<空库地址> "
                           f"{source / PG_NAME}")
    staging = target.resolve().with_name(target.resolve().name + ".恢复中")
    if staging.exists():
        shutil.rmtree(staging)  # a restore that was killed: started again
    private_dir(staging)
    config_text = (source / CONFIG_NAME).read_text(encoding="utf-8-sig")
    settings = parse_settings(config_text, str(source / CONFIG_NAME))
    if settings.database.url:
        config_text = _local_database(config_text)
        report.notes.append(f"备份的配置文件指定了数据库 {settings.database.url.split('://')[0]}://…；"
                            "恢复后的配置改为使用恢复出来的 archive.db（database.url 留空）")
    (staging / CONFIG_NAME).write_text(config_text, encoding="utf-8")
    private_file(staging / CONFIG_NAME)
    _restore_database(source, manifest["database"], staging / SQLITE_NAME)
    private_file(staging / SQLITE_NAME)
    _restore_anchor(manifest, staging / SQLITE_NAME)
    if manifest["store"]["included"]:
        store_root = Path(settings.paths.store)
        if store_root.is_absolute():
            raise ArchiveError(f"备份中的存储库在 {store_root}（绝对路径），不在恢复位置之内；"
                               "请把备份的扫描件（store-files 文件夹）自行复制过去，或改用相对路径后重新备份")
        for entry in manifest["store"]["files"]:
            relative = Path(_in_store(entry))
            destination = (staging / store_root / relative).resolve()
            if not destination.is_relative_to(staging.resolve()):
                raise ArchiveError(f"备份清单中的路径 {entry['path']} 指向恢复位置之外，已拒绝")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / STORE_FILES / relative, destination)
            private_file(destination)
        (staging / store_root).mkdir(parents=True, exist_ok=True)
    if target.exists():
        for item in staging.iterdir():
            os.replace(item, target / item.name)
        staging.rmdir()
    else:
        os.replace(staging, target)
    return report


def _restore_anchor(manifest: dict, database: Path) -> None:
    """The backup's anchor (checked against its chain by ``verify_backup``) beside the restored
    database, signature and all; an empty chain's: the empty anchor. A backup from before
    anchors: none (``audit verify`` asks for a deliberate re-anchor)."""
    if "audit" not in manifest:
        return
    head = manifest["audit"] or {"id": 0, "hash": ""}
    if not audit.write_anchor(audit.anchor_file_for(database), head):
        raise ArchiveError(f"无法在 {database.parent} 中写入审计锚点文件，未恢复")


def _restore_database(source: Path, entry: dict, target: Path) -> None:
    """The backup's SQLite database written as ``target`` (decompressed if it was compressed)."""
    if entry.get("compression") is None:
        shutil.copyfile(source / entry["file"], target)
    elif _decompress(source / entry["file"], target) != entry["content"]["sha256"]:
        raise ArchiveError(f"备份 {source} 中的数据库解压后与备份清单不符，未恢复")


def _local_database(config_text: str) -> str:
    """The config with its [database] url emptied: the restored archive.db beside it is used."""
    return re.sub(r'(?m)^(\s*url\s*=\s*)(".*?"|\'.*?\')', r'\1""', config_text, count=1)


def rotate(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` automatic backups (named by their time); returns the removed."""
    backups = sorted(p for p in folder.glob("auto-*") if p.is_dir() and not p.name.endswith(".part"))
    removed = backups[:-keep] if keep > 0 else []
    for old in removed:
        shutil.rmtree(old)
    return removed


def _made_on(folder: Path, day: dt.datetime) -> bool:
    """Is there a finished automatic backup of ``day``?"""
    return any(not made.name.endswith(".part") for made in folder.glob(f"auto-{day:%Y%m%d}*"))


def _remove_unfinished(folder: Path) -> None:
    """What an automatic backup killed midway left (its ``.part`` folder): it is made again."""
    for partial in folder.glob("auto-*.part"):
        shutil.rmtree(partial, ignore_errors=True)


@use_case(Permission.BACKUP, "每日自动备份")
def daily_backup(ctx: ArchiveContext, now: dt.datetime | None = None,
                 stop: Callable[[], bool] | None = None) -> Path | None:
    """The automatic backup ([backup] in config): at most one a day, its database compressed,
    the newest ``keep`` kept. Stopped (``BackupStopped``), it leaves nothing and is made on the
    next open."""
    config = ctx.config
    settings = config.settings.backup
    if not settings.daily:
        return None
    folder = config.resolve(settings.folder)
    now = now or dt.datetime.now()
    if folder.is_dir():
        _remove_unfinished(folder)
        if _made_on(folder, now):
            return None
    private_dir(folder)
    today = folder / f"auto-{now:%Y%m%d}"
    target = today if not today.exists() else folder / f"auto-{now:%Y%m%d-%H%M%S}"
    backup(ctx, target, stop=stop, compress=True)
    rotate(folder, settings.keep)
    return target


@use_case(Permission.BACKUP, "立即备份")
def backup_now(ctx: ArchiveContext, now: dt.datetime | None = None) -> BackupReport:
    """A backup asked for by hand (管理员“立即备份”), beside the automatic ones in [backup]'s
    folder, named by its time; never removed by the rotation of automatic backups."""
    config = ctx.config
    folder = config.resolve(config.settings.backup.folder)
    folder.mkdir(parents=True, exist_ok=True)
    private_dir(folder)
    now = now or dt.datetime.now()
    return backup(ctx, folder / f"manual-{now:%Y%m%d-%H%M%S}")
