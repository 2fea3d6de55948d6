"""Pixel checks of scanned pages (图像质量检查) and the manual sample (人工抽检)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

scan_page gains the measured values (ink share, skew, dark border, content at the edge,
pHash), when they were measured, why a page could not be, a rescan mark and the page that
replaced it; page_review holds the pages drawn into the manual sample and their verdicts.
Existing pages keep everything and are measured by the next ``archive-tui scans qc``.
"""

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scan_page") as table:
        table.add_column(sa.Column("ink_share", sa.Float(), nullable=True))
        table.add_column(sa.Column("ink_marks", sa.Integer(), nullable=True))
        table.add_column(sa.Column("skew_degrees", sa.Float(), nullable=True))
        table.add_column(sa.Column("dark_border", sa.Float(), nullable=True))
        table.add_column(sa.Column("edge_content", sa.Integer(), nullable=True))
        table.add_column(sa.Column("phash", sa.String(), nullable=False, server_default=""))
        table.add_column(sa.Column("measured_at", sa.DateTime(), nullable=True))
        table.add_column(sa.Column("measure_note", sa.String(), nullable=False, server_default=""))
        table.add_column(sa.Column("rescan_reason", sa.String(), nullable=False, server_default=""))
        table.add_column(sa.Column("replaced_by_id", sa.Integer(), nullable=True))
        table.create_index("ix_scan_page_replaced_by_id", ["replaced_by_id"])
        table.create_foreign_key("fk_scan_page_replaced_by_id_scan_page", "scan_page", ["replaced_by_id"], ["id"])
    op.create_table(
        "page_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scan_page_id", sa.Integer(), sa.ForeignKey("scan_page.id"), nullable=False, unique=True),
        sa.Column("sample_no", sa.String(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.Column("drawn_by", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("problem", sa.String(), nullable=False),
        sa.Column("reviewer", sa.String(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_page_review_sample_no", "page_review", ["sample_no"])


def downgrade() -> None:
    op.drop_index("ix_page_review_sample_no", table_name="page_review")
    op.drop_table("page_review")
    with op.batch_alter_table("scan_page") as table:
        table.drop_constraint("fk_scan_page_replaced_by_id_scan_page", type_="foreignkey")
        table.drop_index("ix_scan_page_replaced_by_id")
        for column in ("replaced_by_id", "rescan_reason", "measure_note", "measured_at", "phash", "edge_content",
                       "dark_border", "skew_degrees", "ink_marks", "ink_share"):
            table.drop_column(column)
