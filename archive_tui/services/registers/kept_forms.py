"""Kept forms (已签文书): a record is made once and kept.

When a 销毁清册 is closed, a 移交 batch is sent (or its package made after sending) and
received, a 四性检测 runs, a share is made and a 颁证清册 is signed off, the form is rendered
then, in that step's transaction, and kept in the store under ``已签/``: the file, a row in
``kept_form`` and its SHA-256 in the step's audit event (``after["kept"]``). Printing it again
copies that file byte for byte, so a later correction (a head's name) shows only on forms made
afterwards. A kept file that was altered or is missing is refused, naming the file and both
digests; ``audit verify`` checks every kept file against its row and its audit event.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

from archive_tui.services.use_cases import ArchiveContext
from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.paths import inside, safe_part
from archive_tui.core.privacy import private_file
from archive_tui import audit
from models.tables import local_time
from archive_tui.db.tables import AUDIT, KEPT
from archive_tui.db import serialize_writers
from archive_tui.scanning.probe import sha256_of

FOLDER = "已签"  # in the store
KIND_LABELS = {"destruction": "销毁清册", "handover": "移交清单和交接文据", "check": "四性检测报告",
               "share": "共享资料清单", "roster": "颁证清册"}
STAGE_LABELS = {"closed": "关闭", "sent": "移交", "package": "移交包", "received": "接收", "checked": "检测",
                "made": "生成", "signed": "签发", "first-print": "首次打印"}


@dataclass
class Keeping:
    """Files written into the store during one step: removed again if the step does not commit."""

    written: list[Path] = field(default_factory=list)


@contextmanager
def keeping() -> Iterator[Keeping]:
    """Wrap the step's ``engine.begin()``: a step that fails (or whose commit fails) leaves no
    kept file behind."""
    done = Keeping()
    try:
        yield done
    except BaseException:
        for path in done.written:
            path.unlink(missing_ok=True)
        raise


def _relative(path: Path, config: Config) -> str:
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return path.as_posix()


def keep(connection: Connection, ctx: ArchiveContext, keeping_: Keeping, kind: str, key: str, stage: str,
         files: list[Path], *, variant: str = "") -> list[dict]:
    """Copy the rendered ``files`` into ``store/已签/<kind>/<key>/`` and register them; returns
    what the step's audit event records of them (file, sha256, bytes). Call ``bind`` after the
    event is recorded."""
    serialize_writers(connection, KEPT)  # two workstations keeping forms of one key take turns
    folder = inside(ctx.config.store, ctx.config.store / FOLDER / KIND_LABELS[kind] / safe_part(key))
    folder.mkdir(parents=True, exist_ok=True)
    version = connection.execute(select(func.count()).where(KEPT.c.kind == kind, KEPT.c.entity_key == key)
                                 ).scalar_one() + 1
    kept = []
    for source in files:
        name = f"{version:02d}-{STAGE_LABELS.get(stage, stage)}{('-' + variant) if variant else ''}-{source.name}"
        target = folder / safe_part(name)
        again = 1
        while target.exists():  # never over a file already there (left by a step that did not commit)
            again += 1
            target = folder / safe_part(f"{Path(name).stem}-{again}{Path(name).suffix}")
        shutil.copyfile(source, target)
        keeping_.written.append(target)
        private_file(target)
        digest, size = sha256_of(target)
        relative = _relative(target, ctx.config)
        row_id = connection.execute(KEPT.insert().values(
            kind=kind, entity_key=key, stage=stage, suffix=source.suffix.lower(), variant=variant, path=relative,
            sha256=digest, size=size, operator=ctx.operator)).inserted_primary_key[0]
        kept.append({"id": row_id, "file": relative, "sha256": digest, "bytes": size})
    return kept


def bind(connection: Connection, kept: list[dict]) -> None:
    """Tie the kept rows to the audit event just recorded on ``connection``."""
    head = connection.info.get("audit_head")
    if head is None:
        raise RuntimeError("bind() follows audit.record() on the same connection")
    connection.execute(KEPT.update().where(KEPT.c.id.in_([entry["id"] for entry in kept]))
                       .values(audit_event_id=head["id"]))


def in_event(kept: list[dict]) -> list[dict]:
    """What the audit event says of each kept file."""
    return [{"file": entry["file"], "sha256": entry["sha256"], "bytes": entry["bytes"]} for entry in kept]


def record_kept(connection: Connection, ctx: ArchiveContext, keeping_: Keeping, kind: str, key: str, stage: str,
                files: list[Path], *, action: str, entity: str, after: dict | None = None, before: object = None,
                variant: str = "") -> list[dict]:
    """Keep ``files`` and record the step's audit event with their digests, in one go."""
    kept = keep(connection, ctx, keeping_, kind, key, stage, files, variant=variant)
    audit.record(connection, operator=ctx.operator, action=action, entity=entity, key=key, before=before,
                 after={**(after or {}), "kept": in_event(kept)})
    bind(connection, kept)
    return kept


def latest(connection: Connection, kind: str, key: str, suffix: str, variant: str | None = None):
    """The newest kept form of ``kind`` and ``key`` in the format ``suffix`` (None: none kept)."""
    query = select(KEPT).where(KEPT.c.kind == kind, KEPT.c.entity_key == key, KEPT.c.suffix == suffix.lower())
    if variant is not None:
        query = query.where(KEPT.c.variant == variant)
    return connection.execute(query.order_by(KEPT.c.id.desc()).limit(1)).first()


def has_kept(connection: Connection, kind: str, key: str) -> bool:
    return connection.execute(select(func.count()).where(KEPT.c.kind == kind, KEPT.c.entity_key == key)
                              ).scalar_one() > 0


def _problem(config: Config, row) -> str | None:
    """Why the kept file of ``row`` is not as kept (None: it is)."""
    path = config.resolve(row.path)
    if not path.is_file():
        return (f"已签文书 {row.path} 不见了：应为 SHA-256 {row.sha256}，"
                "现在找不到该文件")
    found = sha256_of(path)[0]
    if found != row.sha256:
        return f"已签文书 {row.path} 被改动过：应为 SHA-256 {row.sha256}，现为 SHA-256 {found}"
    return None


def copy_kept(config: Config, row, out: Path) -> Path:
    """The kept file copied to ``out`` (refused when it was altered or is missing)."""
    problem = _problem(config, row)
    if problem:
        raise ArchiveError(f"{problem}；未打印。请从备份恢复该文件"
                           "（archive-tui audit verify 列出所有已签文书的校验结果）")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.resolve() != config.resolve(row.path).resolve():
        shutil.copyfile(config.resolve(row.path), out)
        private_file(out)
    return out


def reprint(engine: Engine, config: Config, kind: str, key: str, out: Path, variant: str | None = None) -> Path | None:
    """Copy the newest kept form of ``kind``/``key`` in ``out``'s format to ``out``; None when
    none was kept."""
    with engine.connect() as connection:
        row = latest(connection, kind, key, Path(out).suffix, variant)
    return None if row is None else copy_kept(config, row, out)


def list_kept(engine: Engine, kind: str | None = None, key: str | None = None) -> list[dict]:
    query = select(KEPT).order_by(KEPT.c.id)
    if kind:
        query = query.where(KEPT.c.kind == kind)
    if key:
        query = query.where(KEPT.c.entity_key == key)
    with engine.connect() as connection:
        return [{"kind": row.kind, "key": row.entity_key, "stage": row.stage, "format": row.suffix,
                 "variant": row.variant, "path": row.path, "sha256": row.sha256, "bytes": row.size,
                 "operator": row.operator,
                 "created_at": local_time(row.created_at).isoformat(timespec="seconds")}
                for row in connection.execute(query)]


@dataclass
class KeptReport:
    """已签文书校验: how many kept files were checked and what is wrong with them."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"checked": self.checked, "ok": self.ok, "problems": self.problems}


def verify(engine: Engine, config: Config) -> KeptReport:
    """Every kept file against its row's digest, every row against its audit event, and every
    audit event that kept a file against the rows (a row deleted or rewritten is found too)."""
    report = KeptReport()
    with engine.connect() as connection:
        rows = connection.execute(select(KEPT).order_by(KEPT.c.id)).all()
        events = {row.id: json.loads(row.after or "{}") for row in connection.execute(
            select(AUDIT.c.id, AUDIT.c.after).where(AUDIT.c.after.contains('"kept"')))}
    by_path = {row.path: row for row in rows}
    for row in rows:
        report.checked += 1
        problem = _problem(config, row)
        if problem:
            report.problems.append(problem)
        recorded = events.get(row.audit_event_id, {}).get("kept", []) if row.audit_event_id else []
        if not any(entry.get("file") == row.path and entry.get("sha256") == row.sha256 for entry in recorded):
            report.problems.append(f"已签文书 {row.path} 的 SHA-256 {row.sha256} 与审计日志中的记录不符"
                                   + ("（没有对应的审计记录）" if not recorded else ""))
    for event_id, after in events.items():
        for entry in after.get("kept", []) if isinstance(after.get("kept"), list) else []:
            row = by_path.get(entry.get("file"))
            if row is None:
                report.problems.append(f"审计日志第 {event_id} 条记录的已签文书 {entry.get('file')}"
                                       f"（SHA-256 {entry.get('sha256')}）在登记中已不存在")
    return report
