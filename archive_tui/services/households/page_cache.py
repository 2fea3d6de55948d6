"""SQLite's page cache kept small while a connection reads many rows once.

The archive's connections keep a large page cache (64 MiB, for the index upkeep of large
imports). A pass that reads each page once — the 总览's counts, building the search
entries — gains nothing from it: filling it costs time, and the app's memory grows by the
cache of every connection it uses. Such a pass asks for a small one, put back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

SMALL_CACHE_KIB = 8 * 1024


@contextmanager
def small_page_cache(connection: Connection) -> Iterator[Connection]:
    """``connection`` with a small page cache until the block ends (SQLite; others as they are)."""
    if connection.dialect.name != "sqlite":
        yield connection
        return
    driver = connection.connection.driver_connection  # a pragma here begins no transaction
    before = int(driver.execute("PRAGMA cache_size").fetchone()[0])
    driver.execute(f"PRAGMA cache_size = -{SMALL_CACHE_KIB}")
    try:
        yield connection
    finally:
        driver.execute(f"PRAGMA cache_size = {before}")
