"""household search text (检索文本) for filter-as-you-type

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

The table starts empty; archive_tui.services.households.search fills it for every household that
has no entry yet (after an import, or when the app opens an upgraded database).
"""

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "household_search",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("names", sa.String(), nullable=False),
        sa.Column("numbers", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"],
                                name=op.f("fk_household_search_household_id_household"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household_search")),
    )


def downgrade() -> None:
    op.drop_table("household_search")
