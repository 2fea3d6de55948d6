"""The dispute register (纠纷调处): disputes per household and parcel and their stages

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23

Two new tables; nothing existing changes. A household's 争议 flag (has_dispute, from the
national tables) stays as it is until a dispute is registered or closed here.
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispute",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(), nullable=False, unique=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id"), nullable=False),
        sa.Column("parcel_code", sa.String(), nullable=False),
        sa.Column("parties", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("right_changed", sa.Boolean(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("followed_up_on", sa.Date(), nullable=True),
        sa.Column("operator", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_dispute_household_id", "dispute", ["household_id"])
    op.create_table(
        "dispute_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dispute_id", sa.Integer(), sa.ForeignKey("dispute.id"), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("operator", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_dispute_event_dispute_id", "dispute_event", ["dispute_id"])


def downgrade() -> None:
    op.drop_index("ix_dispute_event_dispute_id", table_name="dispute_event")
    op.drop_table("dispute_event")
    op.drop_index("ix_dispute_household_id", table_name="dispute")
    op.drop_table("dispute")
