"""What the archive changed itself (本档案的修改): the fields a later import keeps, listing the
source's different value as a conflict. Kept by the household edits and the 卷内目录 alike."""

from __future__ import annotations

from archive_tui.db.tables import LOCAL_EDIT
from archive_tui.services.use_cases import ArchiveContext
from models.tables import now


def remember_local_edits(connection, ctx: ArchiveContext, entity: str, key: str, changed: dict[str, str]) -> None:
    """Record that these fields now hold the archive's own value (本档案的修改): a later import
    keeps them and lists the source's different value as a conflict."""
    for field, value in changed.items():
        updated = connection.execute(
            LOCAL_EDIT.update().where(LOCAL_EDIT.c.entity == entity, LOCAL_EDIT.c.entity_key == key,
                                      LOCAL_EDIT.c.field == field)
            .values(value=value, operator=ctx.operator, recorded_at=now()))
        if not updated.rowcount:
            connection.execute(LOCAL_EDIT.insert().values(entity=entity, entity_key=key, field=field, value=value,
                                                          operator=ctx.operator, recorded_at=now()))
