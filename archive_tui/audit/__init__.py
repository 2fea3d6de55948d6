"""Audit trail (审计日志): one hash-chained event per change, in the change's own transaction.

Each event's hash covers its fields and the previous event's hash, so an edited, deleted or
reordered event breaks the chain from there on; ``verify`` names the first bad one. Appends
are serialised (a write lock is taken before the chain's end is read), so two workstations
writing at once never fork the chain. The chain's head is kept outside the table as well — its
anchor (锚点, ``audit.anchor``): beside the database, in every backup, on the forms that close a
batch — so that the newest events cut off, or the chain computed anew, are found too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, func, select, text

from models.tables import local_time, now
from archive_tui.audit.anchor import (
    ANCHOR_SUFFIX, MISSING, REANCHOR, AnchorReport, anchor_deliberately, anchor_file_for, anchor_text, anchor_text_on,
    against_anchors, before_append, check_anchor, default_key_file, has_records, head, head_on, holds, is_empty,
    keep_anchor, key_configured, key_file_of, key_id, known_anchors, load_anchor, make_key, read_anchor, read_key,
    server_anchor_file, signature, signed, with_signature, write_anchor,
)
from archive_tui.core.privacy import mask_id, mask_phone
from archive_tui.db.tables import AUDIT

__all__ = [
    "ANCHOR_SUFFIX", "MISSING", "REANCHOR", "AnchorReport", "ChainReport", "anchor_deliberately", "anchor_file_for",
    "anchor_text", "anchor_text_on", "against_anchors", "check_anchor", "count", "default_key_file", "event_hash",
    "has_records", "head", "head_on", "holds", "is_empty", "keep_anchor", "key_configured", "key_file_of", "key_id",
    "known_anchors", "load_anchor", "log", "make_key", "read_anchor", "read_key", "record", "server_anchor_file",
    "signature", "signed", "take_write_lock", "verify", "with_signature", "write_anchor",
]

FIELDS = ("recorded_at", "operator", "action", "entity", "entity_key", "before", "after")


def _canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def event_hash(prev_hash: str, fields: dict[str, object]) -> str:
    return hashlib.sha256((prev_hash + _canonical(fields)).encode("utf-8")).hexdigest()


def _as_utc(value: dt.datetime) -> dt.datetime:
    """Stored times come back without a zone (SQLite, PostgreSQL ``timestamp``): they are UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _hashed_fields(values: dict) -> dict[str, str]:
    return {name: str(_as_utc(values[name]) if name == "recorded_at" else values[name]) for name in FIELDS}


def _lock_chain(connection: Connection) -> None:
    """Take the write lock before reading the chain's end (SQLite: a no-op write starts the
    write transaction; PostgreSQL: a table lock that only other appenders wait for)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE audit_event IN SHARE ROW EXCLUSIVE MODE"))
    else:
        connection.execute(text("UPDATE audit_event SET hash = hash WHERE 0"))


def take_write_lock(connection: Connection) -> None:
    """Begin a long writer's transaction (an import) with the write lock on SQLite, so that it
    reads the archive as it is and nobody changes it meanwhile; other writers wait for it.
    PostgreSQL needs no lock here: the import runs at REPEATABLE READ, where a row another
    workstation changed meanwhile makes the import fail instead of undoing that change."""
    if connection.dialect.name != "postgresql":
        _lock_chain(connection)


def record(
    connection: Connection,
    *,
    operator: str,
    action: str,
    entity: str,
    key: str = "",
    before: object = None,
    after: object = None,
) -> None:
    """Append one audit event chained to the previous one."""
    _lock_chain(connection)
    before_append(connection)  # does this transaction's commit move the anchor on?
    prev_hash = connection.execute(
        select(AUDIT.c.hash).order_by(AUDIT.c.id.desc()).limit(1)
    ).scalar_one_or_none() or ""
    fields = {
        "recorded_at": now(),
        "operator": operator,
        "action": action,
        "entity": entity,
        "entity_key": key,
        "before": _canonical(before or {}),
        "after": _canonical(after or {}),
    }
    digest = event_hash(prev_hash, _hashed_fields(fields))
    inserted = connection.execute(AUDIT.insert().values(**fields, prev_hash=prev_hash, hash=digest))
    new_id = inserted.inserted_primary_key[0]
    connection.info["audit_head"] = {"id": new_id, "hash": digest}  # the anchor, written once this commits


@dataclass
class ChainReport:
    """审计日志校验: how many events were checked and the first that breaks the chain."""

    checked: int = 0
    first_bad: dict | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_bad is None

    def as_dict(self) -> dict:
        return {"checked": self.checked, "ok": self.ok, "first_bad": self.first_bad, "problems": self.problems}


def _event_dict(row) -> dict:
    return {"id": row.id, "at": local_time(row.recorded_at).isoformat(timespec="seconds"), "operator": row.operator,
            "action": row.action, "entity": row.entity, "key": row.entity_key}


def verify(engine: Engine, batch: int = 5000, anchors: list[dict] | None = None) -> ChainReport:
    """Walk the chain in id order: a changed event no longer matches its hash, a deleted or
    moved one leaves the next event pointing at the wrong predecessor (or a gap in the ids).
    Then hold it against the anchors (beside the database, in backups): the last events cut
    off, all deleted, or the chain computed anew."""
    report = ChainReport()
    previous_hash, previous_id = "", 0
    with engine.connect() as connection:
        last = 0
        while True:
            rows = connection.execute(select(AUDIT).where(AUDIT.c.id > last).order_by(AUDIT.c.id)
                                      .limit(batch)).all()
            if not rows:
                break
            for row in rows:
                report.checked += 1
                problem = None
                if row.prev_hash != previous_hash:
                    problem = (f"第 {row.id} 条之前的记录被删除或调换了顺序"
                               if previous_id and row.id != previous_id + 1 else
                               f"第 {row.id} 条的前一条记录被改动、删除或调换了顺序")
                elif row.id != previous_id + 1 and previous_id:
                    problem = f"第 {previous_id + 1} 至 {row.id - 1} 条记录缺失"
                elif event_hash(row.prev_hash, _hashed_fields(row._mapping)) != row.hash:
                    problem = f"第 {row.id} 条记录的内容被改动"
                if problem:
                    report.problems.append(problem)
                    if report.first_bad is None:
                        report.first_bad = {**_event_dict(row), "problem": problem}
                previous_hash, previous_id = row.hash, row.id
            last = rows[-1].id
        failed = against_anchors(connection, anchors or [])
    if failed is not None:
        report.problems.append(failed[1])
        if report.first_bad is None:
            report.first_bad = {"id": failed[0], "problem": failed[1]}
    return report


def log(engine: Engine, *, entity_key: str | None = None, keys: list[str] | None = None,
        limit: int | None = 200) -> list[dict]:
    """The latest events (oldest first), of one entity (or of several keys) when given."""
    query = select(AUDIT).order_by(AUDIT.c.id.desc())
    if entity_key:
        query = query.where(AUDIT.c.entity_key == entity_key.strip())
    if keys:
        query = query.where(AUDIT.c.entity_key.in_(keys))
    if limit:
        query = query.limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [{**_event_dict(row), "before": _masked(json.loads(row.before or "{}")),
             "after": _masked(json.loads(row.after or "{}"))} for row in reversed(rows)]


PERSONAL = ("id_number", "phone", "collector_id", "collector_id_number", "person_id_number")


def _masked(values: object) -> object:
    """ID and phone numbers in an event, masked for display (the stored event keeps them)."""
    if not isinstance(values, dict):
        return values
    return {key: (mask_phone(value) if key == "phone" else mask_id(value))
            if key in PERSONAL and isinstance(value, str) else value for key, value in values.items()}


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(AUDIT)).scalar_one()
