"""Backup and restore (备份与恢复).

A backup is a folder: ``config.toml``, the database (SQLite's online backup API, so it works
while the app and ``scans watch`` write; on PostgreSQL a ``pg_dump`` archive), a
``manifest.json`` with the SHA-256 of each of them and of every stored scan (from the hashes
recorded at intake), and — on request — the store's files themselves. ``verify`` checks a
backup against its manifest; ``restore`` rebuilds a working archive in an empty folder and
never overwrites anything. Backups are readable by their owner only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL, make_url

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import CONFIG_NAME, parse_settings
from archive_tui.core.errors import ArchiveError
from archive_tui.scanning.probe import sha256_of
from archive_tui import audit
from archive_tui.services.intake.scans import IN_STORE
from archive_tui.core.privacy import private_dir, private_file
from models import KeptForm
from archive_tui.db.tables import SCAN

MANIFEST = "manifest.json"
SQLITE_NAME = "archive.db"
PG_NAME = "archive.pgdump"
FORMAT = "archive-tui backup 1"
STORE_FILES = "store-files"


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
    """The program is closing: the backup stopped; its ``.part`` folder is redone next time."""


def _backup_sqlite(engine: Engine, target: Path, stop: Callable[[], bool] | None = None) -> None:
    """SQLite's online backup: a consistent copy even while others write, 4,096 pages a step;
    ``stop`` is asked between steps."""

    def step(_status, _remaining, _total) -> None:
        if stop is not None and stop():
            raise BackupStopped()

    source = sqlite3.connect(make_url(str(engine.url)).database, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=4096, progress=step)
        finally:
            copy.close()
    finally:
        source.close()


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
           stop: Callable[[], bool] | None = None) -> BackupReport:
    """Write a backup into ``dest`` (a new or empty folder)."""
    engine, config = ctx.engine, ctx.config
    dest = Path(dest)
    _empty_or_new(dest, "备份位置")
    partial = dest.with_name(dest.name + ".part")
    if partial.exists():
        shutil.rmtree(partial)  # an interrupted backup: started again
    private_dir(partial)
    database = SQLITE_NAME if _is_sqlite(engine) else PG_NAME
    if _is_sqlite(engine):
        _backup_sqlite(engine, partial / database, stop)
    else:
        _backup_postgresql(engine, partial / database)
    shutil.copyfile(config.path, partial / CONFIG_NAME)
    with engine.connect() as connection:
        pages = connection.execute(select(SCAN.c.store_path, SCAN.c.sha256, SCAN.c.size).where(
            SCAN.c.status.in_(IN_STORE)).order_by(SCAN.c.store_path)).all()
        kept = KeptForm.__table__  # 已签文书 live in the store beside the scans and go with them
        pages += connection.execute(select(kept.c.path, kept.c.sha256, kept.c.size).order_by(kept.c.path)).all()
    report = BackupReport(dest, 2)
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
    if stop is not None and stop():
        raise BackupStopped()  # before hashing the copy (a second for a county's database)
    manifest = {
        "format": FORMAT, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": {"file": database, "dialect": engine.dialect.name, "sha256": sha256_of(partial / database)[0]},
        "config": {"file": CONFIG_NAME, "sha256": sha256_of(partial / CONFIG_NAME)[0]},
        "store": {"included": with_store, "root": config.settings.paths.store, "files": files},
        "audit": audit.head(engine),  # an anchor of the audit chain, outside the database
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for path in partial.rglob("*"):
        if path.is_file():
            private_file(path)
    if dest.exists():
        dest.rmdir()  # empty: checked above
    os.replace(partial, dest)
    with engine.begin() as connection:
        audit.record(connection, operator=ctx.operator, action="backup", entity="archive", key=str(dest),
                     after={"store_files": report.store_files, "with_store": with_store})
    return report


def _manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ArchiveError(f"{path} 不是 archive-tui 的备份（没有可读的 {MANIFEST}）") from None
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"{path} 的备份格式“{manifest.get('format')}”不是本程序能读的")
    return manifest


def verify_backup(path: Path) -> BackupReport:
    """Every file of the backup against its manifest; the SQLite database also opened and checked."""
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
    database = path / manifest["database"]["file"]
    if manifest["database"]["dialect"] == "sqlite" and database.is_file() and not report.problems:
        # immutable: nothing is written beside it (a -shm file), so a backup on read-only media checks too
        connection = sqlite3.connect(f"file:{quote(database.as_posix())}?mode=ro&immutable=1", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            connection.close()
        if result != "ok":
            report.problems.append(f"数据库完整性检查未通过：{result}")
    if manifest["store"]["included"]:
        for entry in manifest["store"]["files"]:
            report.store_files += 1
            copy = path / STORE_FILES / _in_store(entry)
            if not copy.is_file():
                report.problems.append(f"缺少扫描件 {entry['path']}")
            elif sha256_of(copy)[0] != entry["sha256"]:
                report.problems.append(f"扫描件 {entry['path']} 的校验值不符")
    return report


def _in_store(entry: dict) -> str:
    """A page's place inside the store (manifests before 0.2 gave only the archive-relative path)."""
    if entry.get("in_store"):
        return entry["in_store"]
    return entry["path"]


def restore(source: Path, target: Path) -> BackupReport:
    """Rebuild an archive from a backup in ``target`` (new or empty): config, database, store.

    Everything is written into a folder beside ``target`` first and moved into it when
    complete: a restore that is killed leaves ``target`` as it was (the next run starts over).
    A config that names a database elsewhere (``database.url``) is pointed at the restored
    file, and the report says so."""
    source, target = Path(source), Path(target)
    _empty_or_new(target, "恢复位置")
    report = verify_backup(source)
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
    shutil.copyfile(source / SQLITE_NAME, staging / SQLITE_NAME)
    private_file(staging / SQLITE_NAME)
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


@use_case(Permission.BACKUP, "每日自动备份")
def daily_backup(ctx: ArchiveContext, now: dt.datetime | None = None,
                 stop: Callable[[], bool] | None = None) -> Path | None:
    """The automatic backup ([backup] in config): at most one a day, the newest ``keep`` kept."""
    config = ctx.config
    settings = config.settings.backup
    if not settings.daily:
        return None
    folder = config.resolve(settings.folder)
    now = now or dt.datetime.now()
    today = folder / f"auto-{now:%Y%m%d}"
    if any(folder.glob(f"auto-{now:%Y%m%d}*")) and not today.with_name(today.name + ".part").exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    private_dir(folder)
    target = today if not today.exists() else folder / f"auto-{now:%Y%m%d-%H%M%S}"
    backup(ctx, target, stop=stop)
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
