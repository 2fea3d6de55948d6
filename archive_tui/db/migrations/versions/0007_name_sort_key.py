"""household_search.sort_name: the head's name in pinyin, for sorting like a register (按拼音排序)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

The search entries are an index built from the households: they are emptied here and
archive_tui.services.households.search builds them again, with the new column, when the app or a
search next needs them. Nothing else changes.
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM household_search")
    with op.batch_alter_table("household_search") as table:
        table.add_column(sa.Column("sort_name", sa.String(), nullable=False, server_default=""))
        table.create_index("ix_household_search_sort_name", ["sort_name"])


def downgrade() -> None:
    with op.batch_alter_table("household_search") as table:
        table.drop_index("ix_household_search_sort_name")
        table.drop_column("sort_name")
