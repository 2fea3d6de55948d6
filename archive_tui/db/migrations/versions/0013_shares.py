"""复制共享: packages of registration results shared with the natural-resources department

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24

Two new tables; nothing existing changes.
"""

from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(), nullable=False, unique=True),
        sa.Column("to_unit", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("village", sa.String(), nullable=False),
        sa.Column("since_date", sa.Date(), nullable=True),
        sa.Column("since_share", sa.String(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("operator", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "share_household",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("share_id", sa.Integer(), sa.ForeignKey("share.id"), nullable=False),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id"), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.UniqueConstraint("share_id", "household_id"),
    )
    op.create_index("ix_share_household_share_id", "share_household", ["share_id"])
    op.create_index("ix_share_household_household_id", "share_household", ["household_id"])


def downgrade() -> None:
    op.drop_index("ix_share_household_household_id", table_name="share_household")
    op.drop_index("ix_share_household_share_id", table_name="share_household")
    op.drop_table("share_household")
    op.drop_table("share")
