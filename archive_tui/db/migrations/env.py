"""Alembic environment: runs on the engine handed over by ``archive_tui.db``.

On SQLite a migration that rebuilds a table others point to (``batch_alter_table``) must
run with foreign keys off (SQLite's own procedure for altering a table); they are checked
as a whole before the migration commits and switched on again afterwards.
"""

from alembic import context
from sqlalchemy import text

import models

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # outside a transaction: heeded
    try:
        with connection.begin():
            context.configure(connection=connection, target_metadata=models.metadata, render_as_batch=sqlite)
            context.run_migrations()
            if sqlite:
                broken = connection.execute(text("PRAGMA foreign_key_check")).first()
                if broken is not None:
                    raise RuntimeError(f"迁移后表 {broken[0]} 的第 {broken[1]} 行指向不存在的 {broken[2]} 记录")
    finally:
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")
