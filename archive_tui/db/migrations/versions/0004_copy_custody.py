"""custody of the copies: per-copy completeness, lending (借阅), an index on the box number

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Existing copies keep their rows; ``present_docs`` starts empty (not yet checked).
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("file_copy") as batch:
        batch.add_column(sa.Column("present_docs", sa.String(), nullable=False, server_default=""))
        batch.create_index(batch.f("ix_file_copy_box"), ["box"], unique=False)
    op.create_table(
        "copy_loan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("copy_id", sa.Integer(), nullable=False),
        sa.Column("borrower", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("lent_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("status_before", sa.String(), nullable=False),
        sa.Column("operator", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["copy_id"], ["file_copy.id"], name=op.f("fk_copy_loan_copy_id_file_copy")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_copy_loan")),
    )
    op.create_index(op.f("ix_copy_loan_copy_id"), "copy_loan", ["copy_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_copy_loan_copy_id"), table_name="copy_loan")
    op.drop_table("copy_loan")
    with op.batch_alter_table("file_copy") as batch:
        batch.drop_index(batch.f("ix_file_copy_box"))
        batch.drop_column("present_docs")
