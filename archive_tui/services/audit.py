"""Audit trail (审计日志): one hash-chained event per change, in the change's own transaction."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import Connection, select

from models import AuditEvent
from models.tables import now

AUDIT = AuditEvent.__table__


def _canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def event_hash(prev_hash: str, fields: dict[str, object]) -> str:
    return hashlib.sha256((prev_hash + _canonical(fields)).encode("utf-8")).hexdigest()


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
    digest = event_hash(prev_hash, {k: str(v) for k, v in fields.items()})
    connection.execute(AUDIT.insert().values(**fields, prev_hash=prev_hash, hash=digest))
