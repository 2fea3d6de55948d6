"""Campaigns (工作阶段): 延包 beside 确权, as history that never overwrites

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

A household may now have one archive file per campaign (确权, 延包 …), and a contract or
register entry code may appear once per campaign: the 延包 data uses the same codes as the
确权 data (a code names the household and the way of contracting, not the period). Every
existing row is 确权. A new table keeps a household's steps in a later campaign (confirmed,
publicised, signed) with the members and parcels it confirmed.

On SQLite the rebuilt tables lose the change-count triggers of 0016; they are made again, and the
new table's changes are counted too (the 延包 checks read it).
"""

from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

PRIMARY = "确权"
REBUILT = ("archive_file", "contract")  # the tables of 0016's WATCHED that are rebuilt here
COUNTED = "campaign_record"


def _campaign_column() -> sa.Column:
    return sa.Column("campaign", sa.String(), nullable=False, server_default=PRIMARY)


def _counted_triggers(tables: tuple[str, ...] = REBUILT) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in tables:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_counted_{event.lower()}")
            op.execute(f"CREATE TRIGGER {table}_counted_{event.lower()} AFTER {event} ON {table} BEGIN "
                       f"UPDATE table_change SET changes = changes + 1 WHERE name = '{table}'; END")


def upgrade() -> None:
    with op.batch_alter_table("archive_file") as batch:
        batch.add_column(_campaign_column())
        batch.drop_constraint("uq_archive_file_household_id", type_="unique")
        batch.create_unique_constraint("uq_archive_file_household_id_campaign", ["household_id", "campaign"])
        batch.create_index("ix_archive_file_campaign", ["campaign"])
    for table in ("contract", "register_entry"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(_campaign_column())
            batch.drop_constraint(f"uq_{table}_code", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_code_campaign", ["code", "campaign"])
            batch.create_index(f"ix_{table}_code", ["code"])
            batch.create_index(f"ix_{table}_campaign", ["campaign"])
    with op.batch_alter_table("certificate") as batch:
        batch.add_column(_campaign_column())
        batch.create_index("ix_certificate_campaign", ["campaign"])
    op.create_table(
        "campaign_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id", name="fk_campaign_record_household_id_household"),
                  nullable=False),
        sa.Column("campaign", sa.String(), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("publicised_on", sa.Date(), nullable=True),
        sa.Column("objection", sa.String(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("members", sa.String(), nullable=False),
        sa.Column("parcels", sa.String(), nullable=False),
        sa.Column("new_household", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("household_id", "campaign", name="uq_campaign_record_household_id_campaign"),
    )
    op.create_index("ix_campaign_record_household_id", "campaign_record", ["household_id"])
    op.create_index("ix_campaign_record_campaign", "campaign_record", ["campaign"])
    _counted_triggers()
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"INSERT INTO table_change (name, changes) VALUES ('{COUNTED}', 0)")
        _counted_triggers((COUNTED,))


def downgrade() -> None:
    bind = op.get_bind()
    for table in ("archive_file", "contract", "register_entry", "certificate"):
        later = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE campaign <> :primary"),
                             {"primary": PRIMARY}).scalar()
        if later:  # nothing is dropped on the way down: a database holding 延包 rows stays where it is
            raise RuntimeError(f"数据库中有 {later} 条确权以外工作阶段的记录（{table}），不能降级")
    op.drop_table("campaign_record")  # its triggers go with it
    op.execute(f"DELETE FROM table_change WHERE name = '{COUNTED}'")
    with op.batch_alter_table("certificate") as batch:
        batch.drop_index("ix_certificate_campaign")
        batch.drop_column("campaign")
    for table in ("contract", "register_entry"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_campaign")
            batch.drop_index(f"ix_{table}_code")
            batch.drop_constraint(f"uq_{table}_code_campaign", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_code", ["code"])
            batch.drop_column("campaign")
    with op.batch_alter_table("archive_file") as batch:
        batch.drop_index("ix_archive_file_campaign")
        batch.drop_constraint("uq_archive_file_household_id_campaign", type_="unique")
        batch.create_unique_constraint("uq_archive_file_household_id", ["household_id"])
        batch.drop_column("campaign")
    _counted_triggers()
