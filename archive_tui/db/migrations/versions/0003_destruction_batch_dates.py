"""destruction batch (销毁清册): approval and appraisal dates, who opened it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Existing batches keep their rows; the new columns start empty.
"""

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("destruction_batch") as batch:
        batch.add_column(sa.Column("approved_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("appraised_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("operator", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("destruction_batch") as batch:
        batch.drop_column("operator")
        batch.drop_column("appraised_on")
        batch.drop_column("approved_on")
