"""The use register (档案利用登记): consultations, copies and certified extracts of files

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23

One new table; nothing existing changes. Loans of a copy stay in copy_loan and are counted
with the uses.
"""

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "use_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(), nullable=False, unique=True),
        sa.Column("archive_file_id", sa.Integer(), sa.ForeignKey("archive_file.id"), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("person", sa.String(), nullable=False),
        sa.Column("id_number", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("operator", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_use_record_archive_file_id", "use_record", ["archive_file_id"])


def downgrade() -> None:
    op.drop_index("ix_use_record_archive_file_id", table_name="use_record")
    op.drop_table("use_record")
