"""Opening the archive in one place: the configuration, the database (with the audit
anchor kept beside it) and who acts — the ``ArchiveContext`` every use case is given.

The CLI, the app and each browser session open the archive here; the use cases never read
the operator from the configuration, they take it from ``context.actor``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from archive_tui import audit
from archive_tui.core.config import Config, find_config, load_config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.privacy import private_file
from archive_tui.core.roles import Actor, Role
from archive_tui.db import open_database
from archive_tui.services.use_cases import ArchiveContext

__all__ = ["ArchiveContext", "context_for", "open_archive", "open_engine", "actor_of"]


def context_for(engine: Engine, config: Config | None = None, actor: Actor | None = None) -> ArchiveContext:
    """A context on an open engine; without an actor, the configured operator (no accounts).
    The account use cases need no configuration: ``context_for(engine, actor=…)``."""
    if actor is None and config is None:
        raise ValueError("context_for needs the configuration or an actor")
    return ArchiveContext(engine, config, actor or Actor.local(config.operator))


def actor_of(user) -> Actor:
    """The actor for a logged-in account (services.admin.accounts.User)."""
    return Actor(user.name, Role(user.role))


def open_engine(config: Config, **options) -> Engine:
    """The archive's database, up to date, with the audit anchor kept: beside the SQLite file,
    or beside config.toml for a server's database."""
    engine = open_database(config.database_url, **options)
    if engine.dialect.name == "sqlite" and engine.url.database:
        database = Path(engine.url.database)
        private_file(database)  # names and ID numbers: the owner's only
        audit.keep_anchor(engine, audit.anchor_file_for(database))
    else:
        audit.keep_anchor(engine, config.root / f"数据库{audit.ANCHOR_SUFFIX}")
    return engine


def load_archive_config(config_path: Path | None = None, operator: str | None = None) -> Config:
    path = find_config(config_path)
    if path is None:
        raise ArchiveError("找不到配置文件 config.toml：请先在档案文件夹中运行 archive-tui init，或用 --config 指定")
    return load_config(path, operator)


def open_archive(config_path: Path | None = None, *, operator: str | None = None,
                 actor: Actor | None = None) -> ArchiveContext:
    """The archive of ``config_path`` (or the one found from here), opened for ``actor``."""
    config = load_archive_config(config_path, operator)
    return context_for(open_engine(config), config, actor)
