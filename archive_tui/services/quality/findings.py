"""Keeping findings up to date (销号管理), for the quality checks and the import alike.

A run says what it found: (household, rule, subject) → (message, severity). Against the
findings already open or waived in the run's scope, a finding still found stays as it is
(open, or waived if the archivist waived it: a waiver is never undone by finding the same
problem again), one no longer found is resolved, a new one is opened. Nothing is deleted.

What the last check saw (质检复用), so that a check on unchanged data can keep a rule's findings:

* a table's state is its change count, row count and highest id. SQLite triggers (migration
  0016) count the rows updated or deleted; a row added raises the row count. Where nothing
  counts — PostgreSQL, or a table whose triggers are gone — a table has no state (None), and
  a rule that read it is always worked out again;
* ``check_state`` holds, per rule, the context (settings, date, program) and the state of each
  table its last run over the whole township read; its row "" holds the state of ``finding``
  as the last check left it. Findings changed since by anything else (the import, a hand edit;
  a waiver does not count) void what every rule saw.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, text

from archive_tui.db import insert_columns, update_columns
from models import CheckState, TableChange
from models.tables import now
from archive_tui.db.tables import FINDING

Key = tuple[int | None, str, str]  # household id (None: a village's finding), rule, subject
STATE, CHANGE = CheckState.__table__, TableChange.__table__
FINDINGS_LEFT = ""  # the check_state row of the findings as the last check left them


@dataclass
class Reconciled:
    opened: int = 0
    resolved: int = 0
    still_open: int = 0
    waived: int = 0
    kept_rules: int = 0  # rules whose findings a check kept (nothing they depend on had changed)


def reconcile(connection: Connection, found: dict[Key, tuple[str, str]], existing: Iterable, source: str) -> Reconciled:
    """Store what a run found. ``existing``: the open and waived findings in the run's scope
    (rows with id, household_id, rule, subject, status, message and perhaps severity: a finding
    whose severity the settings changed takes the new one); ``found`` is consumed."""
    result = Reconciled()
    gone, changed, messages, regraded, severities = [], [], [], [], []
    for row in existing:
        key = (row.household_id, row.rule, row.subject)
        if key not in found:
            gone.append(row.id)
            continue
        message, severity = found.pop(key)
        if message != row.message:
            changed.append(row.id)
            messages.append(message)
        if severity != row._mapping.get("severity", severity):
            regraded.append(row.id)
            severities.append(severity)
        if row.status == "waived":
            result.waived += 1
        else:
            result.still_open += 1
    stamp = now()
    for start in range(0, len(gone), 900):
        connection.execute(FINDING.update().where(FINDING.c.id.in_(gone[start:start + 900]))
                           .values(status="resolved", resolved_at=stamp))
    update_columns(connection, FINDING, "id", changed, {"message": messages})
    update_columns(connection, FINDING, "id", regraded, {"severity": severities})
    _open(connection, found, source)
    result.opened, result.resolved = len(found), len(gone)
    result.still_open += len(found)
    return result


def _open(connection: Connection, found: dict[Key, tuple[str, str]], source: str) -> None:
    """New findings, open from now (the status and the time are the columns' defaults)."""
    keys, values = list(found), list(found.values())
    insert_columns(connection, FINDING, {
        "household_id": [key[0] for key in keys], "rule": [key[1] for key in keys],
        "subject": [key[2] for key in keys], "message": [value[0] for value in values],
        "severity": [value[1] for value in values], "source": [source] * len(keys)})


# ---- what the last check saw ---------------------------------------------------------------------

def table_states(connection: Connection, names: Iterable[str] | None = None) -> dict[str, str]:
    """The state of each table (of those named) whose changes are counted: "changes:rows:highest id"."""
    quote = connection.dialect.identifier_preparer.quote
    states = {}
    for name, changes in _counted_tables(connection).items():
        if names is None or name in names:
            rows, highest = connection.execute(text(f"SELECT count(*), max(rowid) FROM {quote(name)}")).one()
            states[name] = f"{changes}:{rows}:{highest or 0}"
    return states


def _counted_tables(connection: Connection) -> dict[str, int]:
    """Change count of each table whose both triggers are in place (SQLite only)."""
    if connection.dialect.name != "sqlite":
        return {}
    triggers = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return {name: changes for name, changes in connection.execute(select(CHANGE.c.name, CHANGE.c.changes))
            if {f"{name}_counted_update", f"{name}_counted_delete"} <= triggers}


def _finding_state(connection: Connection) -> str | None:
    return table_states(connection, ["finding"]).get("finding")


def stored_states(connection: Connection) -> dict[str, tuple[str, dict[str, str]]]:
    """Per rule: (context, state of each table read) of its last run over the whole township."""
    return {row.rule: (row.context, json.loads(row.tables))
            for row in connection.execute(select(STATE).where(STATE.c.rule != FINDINGS_LEFT))}


def findings_as_left(connection: Connection) -> bool:
    """Are the findings as the last check left them (no change by anything else since)?"""
    left = connection.execute(select(STATE.c.tables).where(STATE.c.rule == FINDINGS_LEFT)).scalar()
    state = _finding_state(connection)
    return state is not None and left == json.dumps({"finding": state})


def forget_states(connection: Connection) -> None:
    connection.execute(delete(STATE))


def remember(connection: Connection, seen: dict[str, dict[str, str | None]], context: str) -> None:
    """After a run has written its findings: what each rule run over the whole township saw (a rule
    that read a table without a state is not remembered), and the findings as this run leaves them."""
    stamp = now()
    connection.execute(delete(STATE).where(STATE.c.rule.in_([*seen, FINDINGS_LEFT])))
    rows = [{"rule": rule, "context": context, "tables": json.dumps(tables, sort_keys=True), "checked_at": stamp}
            for rule, tables in seen.items() if None not in tables.values()]
    state = _finding_state(connection)
    if state is not None:
        rows.append({"rule": FINDINGS_LEFT, "context": "", "tables": json.dumps({"finding": state}),
                     "checked_at": stamp})
    if rows:
        connection.execute(insert(STATE), rows)
