"""Keeping findings up to date (销号管理), for the quality checks and the import alike.

A run says what it found: (household, rule, subject) → (message, severity). Against the
findings already open or waived in the run's scope, a finding still found stays as it is
(open, or waived if the archivist waived it: a waiver is never undone by finding the same
problem again), one no longer found is resolved, a new one is opened. Nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from archive_tui.db import insert_rows
from models.tables import now
from archive_tui.db.tables import FINDING

Key = tuple[int, str, str]  # household id, rule, subject


@dataclass
class Reconciled:
    opened: int = 0
    resolved: int = 0
    still_open: int = 0
    waived: int = 0


def reconcile(connection: Connection, found: dict[Key, tuple[str, str]], existing: Iterable, source: str) -> Reconciled:
    """Store what a run found. ``existing``: the open and waived findings in the run's scope
    (rows with id, household_id, rule, subject, status, message); ``found`` is consumed."""
    result = Reconciled()
    stamp = now()
    gone, changed = [], []
    for row in existing:
        key = (row.household_id, row.rule, row.subject)
        if key not in found:
            gone.append(row.id)
            continue
        message, _severity = found.pop(key)
        if message != row.message:
            changed.append((row.id, message))
        if row.status == "waived":
            result.waived += 1
        else:
            result.still_open += 1
    for start in range(0, len(gone), 900):
        connection.execute(FINDING.update().where(FINDING.c.id.in_(gone[start:start + 900]))
                           .values(status="resolved", resolved_at=stamp))
    for finding_id, message in changed:
        connection.execute(FINDING.update().where(FINDING.c.id == finding_id).values(message=message))
    insert_rows(connection, FINDING, [
        {"household_id": household_id, "rule": rule_id, "subject": subject, "message": message,
         "severity": severity, "status": "open", "source": source, "created_at": stamp,
         "waived_reason": "", "waived_by": ""}
        for (household_id, rule_id, subject), (message, severity) in found.items()])
    result.opened, result.resolved = len(found), len(gone)
    result.still_open += len(found)
    return result
