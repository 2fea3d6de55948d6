"""Alembic environment: runs on the engine handed over by ``archive_tui.db``."""

from alembic import context

import models

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=models.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
