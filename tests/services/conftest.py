"""The service tests run on SQLite and, as well, on a real PostgreSQL server.

PostgreSQL: 127.0.0.1:5432, user postgres, trust auth (``ARCHIVE_TUI_TEST_PG`` overrides the
server URL). Each test gets a database of its own, dropped afterwards. When no server
answers, the PostgreSQL variants are skipped — the SQLite suite never depends on it (CI
starts the server first, see .ci/run). Tests that are about SQLite itself are marked
``sqlite_only``, those about PostgreSQL itself ``postgresql_only``.
"""

from __future__ import annotations

import os
import uuid

import pytest

from archive_tui.core.config import load_config

SERVER = os.environ.get("ARCHIVE_TUI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
_reachable: bool | None = None


def _admin():
    from sqlalchemy import create_engine

    return create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")


def server_reachable() -> bool:
    global _reachable
    if _reachable is None:
        try:
            import psycopg  # noqa: F401

            with _admin().connect():
                _reachable = True
        except Exception:  # noqa: BLE001 - any failure means: no server for these tests
            _reachable = False
    return _reachable


@pytest.fixture(scope="session")
def migrated_template():
    """One PostgreSQL database built by the migrations, copied for each test (CREATE DATABASE …
    TEMPLATE): 0.1 s a test instead of 0.5 s of migrations. Dropped at the end of the session."""
    if not server_reachable():
        yield None
        return
    from sqlalchemy import text

    from archive_tui.db import open_database

    name = f"archive_template_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    open_database(f"{SERVER}/{name}").dispose()  # no session may stay on a template
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def config(request, archive_dir, migrated_template):
    if request.param == "sqlite":
        if request.node.get_closest_marker("postgresql_only"):
            pytest.skip("about PostgreSQL itself")
        yield load_config(archive_dir / "config.toml")
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("about SQLite itself")
    if not server_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    from sqlalchemy import text

    name = f"archive_test_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"'))
    path = archive_dir / "config.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('url = ""', f'url = "{SERVER}/{name}"', 1),
                    encoding="utf-8")
    yield load_config(path)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
