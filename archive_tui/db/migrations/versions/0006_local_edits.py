"""local_edit (本档案的修改) and certificate_event.origin: what an import must keep

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

Edits made before this revision are taken from the audit log (action "edit" on a
household), latest value per field, so a re-import after the upgrade keeps them too.
A certificate event is the archive's own ("archive") when the audit log holds its
certificate action; the 补发/换发/注销 rows an import brought in are marked "import".
"""

import datetime as dt
import json

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "local_edit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_key", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("operator", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_edit")),
        sa.UniqueConstraint("entity", "entity_key", "field", name=op.f("uq_local_edit_entity_entity_key_field")),
    )
    audit = sa.table("audit_event", sa.column("id", sa.Integer()), sa.column("action", sa.String()),
                     sa.column("entity", sa.String()), sa.column("entity_key", sa.String()),
                     sa.column("after", sa.String()), sa.column("operator", sa.String()),
                     sa.column("recorded_at", sa.DateTime()))
    latest: dict[tuple[str, str], dict] = {}
    rows = op.get_bind().execute(
        sa.select(audit.c.entity_key, audit.c.after, audit.c.operator, audit.c.recorded_at)
        .where(audit.c.action == "edit", audit.c.entity == "household").order_by(audit.c.id))
    for key, after, operator, recorded_at in rows:
        try:
            changed = json.loads(after or "{}")
        except ValueError:
            continue
        for field, value in (changed.items() if isinstance(changed, dict) else ()):
            latest[(key, field)] = {"entity": "household", "entity_key": key, "field": field, "value": str(value),
                                    "operator": operator or "", "recorded_at": recorded_at or dt.datetime.now(dt.UTC)}
    if latest:
        op.bulk_insert(table, list(latest.values()))
    with op.batch_alter_table("certificate_event") as batch:
        batch.add_column(sa.Column("origin", sa.String(), nullable=False, server_default="archive"))
    op.execute(
        "UPDATE certificate_event SET origin = 'import' WHERE kind IN ('reissue', 'replace', 'cancel') AND NOT EXISTS ("
        " SELECT 1 FROM audit_event JOIN certificate ON certificate.id = certificate_event.certificate_id"
        " WHERE audit_event.action = 'certificate.' || certificate_event.kind"
        " AND audit_event.entity_key = certificate.serial)")


def downgrade() -> None:
    with op.batch_alter_table("certificate_event") as batch:
        batch.drop_column("origin")
    op.drop_table("local_edit")
