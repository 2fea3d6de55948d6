"""综合档案 items (按件): the item register and its history; pages, transfers and uses of items

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24

Two new tables. scan_page gains record_item_id (a page of an item); transfer_item and
use_record gain record_item_id, and their household-file column becomes optional (a row is
about a file's copy or about an item). Existing rows keep their values.
"""

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("archive_code", sa.String(), nullable=False, unique=True),
        sa.Column("fonds_code", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("retention", sa.String(), nullable=False),
        sa.Column("piece_no", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("responsible", sa.String(), nullable=False),
        sa.Column("doc_number", sa.String(), nullable=False),
        sa.Column("dated", sa.Date(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("remark", sa.String(), nullable=False),
        sa.Column("box", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("operator", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("fonds_code", "year", "retention", "piece_no"),
    )
    op.create_index("ix_record_item_box", "record_item", ["box"])
    op.create_table(
        "item_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_item_id", sa.Integer(), sa.ForeignKey("record_item.id"), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("before", sa.String(), nullable=False),
        sa.Column("after", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("operator", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_item_event_record_item_id", "item_event", ["record_item_id"])
    op.add_column("scan_page", sa.Column("record_item_id", sa.Integer(), nullable=True))
    op.create_index("ix_scan_page_record_item_id", "scan_page", ["record_item_id"])
    with op.batch_alter_table("transfer_item") as batch:
        batch.alter_column("copy_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("record_item_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_transfer_item_record_item_id_record_item", "record_item",
                                 ["record_item_id"], ["id"])
        batch.create_unique_constraint("uq_transfer_item_transfer_id_record_item_id",
                                       ["transfer_id", "record_item_id"])
    op.create_index("ix_transfer_item_record_item_id", "transfer_item", ["record_item_id"])
    with op.batch_alter_table("use_record") as batch:
        batch.alter_column("archive_file_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("record_item_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_use_record_record_item_id_record_item", "record_item",
                                 ["record_item_id"], ["id"])
    op.create_index("ix_use_record_record_item_id", "use_record", ["record_item_id"])


def downgrade() -> None:
    op.drop_index("ix_use_record_record_item_id", table_name="use_record")
    with op.batch_alter_table("use_record") as batch:
        batch.drop_constraint("fk_use_record_record_item_id_record_item", type_="foreignkey")
        batch.drop_column("record_item_id")
        batch.alter_column("archive_file_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_transfer_item_record_item_id", table_name="transfer_item")
    with op.batch_alter_table("transfer_item") as batch:
        batch.drop_constraint("uq_transfer_item_transfer_id_record_item_id", type_="unique")
        batch.drop_constraint("fk_transfer_item_record_item_id_record_item", type_="foreignkey")
        batch.drop_column("record_item_id")
        batch.alter_column("copy_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_scan_page_record_item_id", table_name="scan_page")
    op.drop_column("scan_page", "record_item_id")
    op.drop_index("ix_item_event_record_item_id", table_name="item_event")
    op.drop_table("item_event")
    op.drop_index("ix_record_item_box", table_name="record_item")
    op.drop_table("record_item")
