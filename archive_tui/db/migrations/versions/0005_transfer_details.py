"""transfers (移交): which copies go, the people of the 交接文据, who sent and closed a batch

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Existing batches keep their rows; they are taken to be township copies.
"""

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("level", sa.String(), "township"), ("handed_over_by", sa.String(), ""), ("received_by", sa.String(), ""),
    ("supervised_by", sa.String(), ""), ("document_copies", sa.Integer(), "3"), ("sent_by", sa.String(), ""),
    ("closed_by", sa.String(), ""),
)


def upgrade() -> None:
    with op.batch_alter_table("transfer") as batch:
        for name, kind, default in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))


def downgrade() -> None:
    with op.batch_alter_table("transfer") as batch:
        for name, _kind, _default in reversed(COLUMNS):
            batch.drop_column(name)
