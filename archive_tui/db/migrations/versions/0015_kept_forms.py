"""Kept forms (已签文书): a form rendered once when its record is closed, kept in the store

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

One new table; nothing existing changes. A 销毁清册 closed, a 移交 batch sent or received, a
四性检测 run, a share made and a 颁证清册 signed off each keep the form as it was rendered then
(path in the store, SHA-256, size), bound to the audit event of that step.
"""

from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_form",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("entity_key", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("suffix", sa.String(), nullable=False),
        sa.Column("variant", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False, unique=True),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("audit_event_id", sa.Integer(), sa.ForeignKey("audit_event.id"), nullable=True),
        sa.Column("operator", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_kept_form_kind_entity_key", "kept_form", ["kind", "entity_key"])
    op.create_index("ix_kept_form_audit_event_id", "kept_form", ["audit_event_id"])


def downgrade() -> None:
    op.drop_index("ix_kept_form_audit_event_id", table_name="kept_form")
    op.drop_index("ix_kept_form_kind_entity_key", table_name="kept_form")
    op.drop_table("kept_form")
