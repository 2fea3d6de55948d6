"""One custody act on a 综合档案 item: its change, its history entry (item_event) and its audit
record. Below the items' use cases and the use register (whose 归还 of a lent item is one)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection

from archive_tui import audit
from archive_tui.core.states import ITEM_STATUS, check_transition
from archive_tui.db.tables import ITEM_EVENT as EVENT, RECORD_ITEM as ITEM
from archive_tui.services.use_cases import ArchiveContext

ACTION_LABELS = {"add": "登记", "edit": "更正", "withdraw": "作废", "box": "装盒", "move": "移动", "lend": "借出",
                 "return": "归还", "transfer": "移交", "attach": "挂接扫描件"}


def _jsonable(values: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in values.items()}


def _event(connection: Connection, ctx: ArchiveContext, item_id: int, code: str, action: str, before: dict,
           after: dict, reason: str = "") -> None:
    connection.execute(EVENT.insert().values(
        record_item_id=item_id, action=action, before=json.dumps(before, ensure_ascii=False),
        after=json.dumps(after, ensure_ascii=False), reason=reason, operator=ctx.operator))
    audit.record(connection, operator=ctx.operator, action=f"items.{action}", entity="record_item", key=code,
                 before=before or None, after={**after, **({"reason": reason} if reason else {})})


def _name(row) -> str:
    return f"{row.archive_code}《{row.title}》"


def change_item(connection: Connection, ctx: ArchiveContext, row, action: str, values: dict, reason: str = "") -> None:
    """Apply ``values`` to one item with its history entry and audit record; a new status must be
    one the items' table allows."""
    if "status" in values and values["status"] != row.status:
        check_transition(ITEM_STATUS, row.status, values["status"], subject=_name(row),
                         action=ACTION_LABELS.get(action, action))
    before = {key: getattr(row, key) for key in values}
    connection.execute(ITEM.update().where(ITEM.c.id == row.id).values(**values))
    _event(connection, ctx, row.id, row.archive_code, action, _jsonable(before), _jsonable(values), reason)
