"""Offline OCR of scanned pages (识别) and the household and document it suggests

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

scan_page gains the text read from the page, when it was read (or why it could not be), how
the page lies (turned 90°, 180°, 270° when it was scanned so), and
the suggestion made from it: the household file, the document type, a confidence and the
evidence. page_term holds the names and numbers read on pages filed to a household, so a search
finds them. Nothing existing changes; pages are read by the next ``archive-tui scans suggest``.
"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # columns and an index only: SQLite adds them in place (recreating scan_page would be refused,
    # page_review refers to it); the suggested file is advisory, so it carries no constraint
    with op.batch_alter_table("scan_page") as table:
        table.add_column(sa.Column("ocr_text", sa.String(), nullable=False, server_default=""))
        table.add_column(sa.Column("ocr_at", sa.DateTime(), nullable=True))
        table.add_column(sa.Column("ocr_note", sa.String(), nullable=False, server_default=""))
        table.add_column(sa.Column("orientation", sa.Integer(), nullable=True))
        table.add_column(sa.Column("suggested_file_id", sa.Integer(), nullable=True))
        table.add_column(sa.Column("suggested_doc_type", sa.String(), nullable=False, server_default=""))
        table.add_column(sa.Column("suggestion_confidence", sa.Float(), nullable=True))
        table.add_column(sa.Column("suggestion_evidence", sa.String(), nullable=False, server_default=""))
        table.create_index("ix_scan_page_suggested_file_id", ["suggested_file_id"])
    op.create_table(
        "page_term",
        sa.Column("term", sa.String(), primary_key=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_page_term_household_id", "page_term", ["household_id"])


def downgrade() -> None:
    op.drop_index("ix_page_term_household_id", table_name="page_term")
    op.drop_table("page_term")
    with op.batch_alter_table("scan_page") as table:
        table.drop_index("ix_scan_page_suggested_file_id")
        for column in ("suggestion_evidence", "suggestion_confidence", "suggested_doc_type", "suggested_file_id",
                       "orientation", "ocr_note", "ocr_at", "ocr_text"):
            table.drop_column(column)
