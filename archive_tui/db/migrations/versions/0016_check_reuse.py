"""Quality check reuse: what each rule saw at its last run, and a change count per table

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08

Two new tables; nothing existing changes. ``check_state`` keeps, per rule, the state of the
tables it read at its last run over the whole township, so a check on unchanged data keeps that
rule's findings instead of working them out again. ``table_change`` counts the rows updated or
deleted in each table the rules read (and in ``finding``, a waiver aside); SQLite triggers keep
the counts (a row added shows in the table's row count and highest id). On PostgreSQL there are
no triggers and no counts: every check works everything out.

A later migration that rebuilds one of these tables (``batch_alter_table`` on SQLite) drops its
triggers: the check notices (it looks for them) and works out again every rule that reads it.
"""

from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

WATCHED = ("household", "member", "issuer", "archive_file", "document", "scan_page", "parcel", "contract",
           "certificate", "dispute", "file_copy", "page_review", "finding")
NOT_A_WAIVER = ("NOT (OLD.status = 'open' AND NEW.status = 'waived' AND OLD.rule = NEW.rule"
                " AND OLD.household_id IS NEW.household_id AND OLD.subject = NEW.subject"
                " AND OLD.message = NEW.message)")


def _trigger(table: str, event: str) -> str:
    when = f" WHEN {NOT_A_WAIVER}" if (table, event) == ("finding", "UPDATE") else ""
    return (f"CREATE TRIGGER {table}_counted_{event.lower()} AFTER {event} ON {table}{when} BEGIN "
            f"UPDATE table_change SET changes = changes + 1 WHERE name = '{table}'; END")


def upgrade() -> None:
    op.create_table(
        "table_change",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("changes", sa.Integer(), nullable=False),
    )
    op.create_table(
        "check_state",
        sa.Column("rule", sa.String(), primary_key=True),
        sa.Column("context", sa.String(), nullable=False),
        sa.Column("tables", sa.String(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in WATCHED:
        op.execute(f"INSERT INTO table_change (name, changes) VALUES ('{table}', 0)")
        for event in ("UPDATE", "DELETE"):
            op.execute(_trigger(table, event))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_counted_{event}")
    op.drop_table("check_state")
    op.drop_table("table_change")
