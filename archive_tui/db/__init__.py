"""Engine and session factory, SQLite pragmas, and the migrations entry point."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from itertools import repeat
from operator import itemgetter

from sqlalchemy import Boolean, Connection, Date, Engine, Table, bindparam, create_engine, event, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

import models  # noqa: F401  (registers the tables)
from archive_tui.core.errors import ArchiveError
from archive_tui.core.privacy import private_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SCHEMA_HEAD = "0017"  # the newest migration's revision: a new migration updates it (tests/test_db.py checks)
BUSY_TIMEOUT_MS = 30_000


CACHE_MIB = 64  # SQLite page cache per connection: index upkeep on large imports


def _sqlite_pragmas(dbapi_connection, _record, cache_mib: int = CACHE_MIB) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute(f"PRAGMA cache_size = {-1024 * int(cache_mib)}")
    cursor.execute("PRAGMA temp_store = MEMORY")
    cursor.close()


def make_engine(url: str, cache_mib: int = CACHE_MIB) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", lambda connection, record: _sqlite_pragmas(connection, record, cache_mib))
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine):
    from alembic.config import Config as AlembicConfig  # loaded late: alembic takes 0.5 s, needed only to migrate

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory  # loaded late: alembic takes 0.5 s, needed only to migrate

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext  # loaded late: alembic takes 0.5 s, needed only to migrate

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest schema; returns (revision before, revision after).

    A database written by a newer archive-tui is refused, never touched.
    """
    from alembic import command  # loaded late: alembic takes 0.5 s, needed only to migrate
    from alembic.script import ScriptDirectory  # loaded late: alembic takes 0.5 s, needed only to migrate

    try:
        before = current_revision(engine)
    except OperationalError as exc:
        raise ArchiveError(f"无法打开数据库 {engine.url}：{exc.orig}") from None
    script = ScriptDirectory.from_config(_alembic_config(engine))
    if before is not None and not _known(script, before):
        raise ArchiveError(
            f"数据库 {engine.url.database} 由更新版本的 archive-tui 创建（结构版本 {before}），"
            "本程序无法识别；请先升级 archive-tui。数据库未作任何改动。"
        )
    if before is None and inspect(engine).get_table_names():
        raise ArchiveError(f"数据库 {engine.url.database} 不是 archive-tui 的数据库（含有其他数据表），未作任何改动。")
    head = script.get_current_head()
    if before != head:
        command.upgrade(_alembic_config(engine), "head")
    return before, head


def _known(script, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for unknown ids
        return False


def _at_head(engine: Engine) -> bool:
    """Is the database already at SCHEMA_HEAD? One query, so that opening an up-to-date archive
    does not load the migration machinery (0.4 s of every start, of every browser tab)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" and not Path(database).exists():
        return False  # a new archive: not even an empty file is made before the migrations run
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [SCHEMA_HEAD]
    except Exception:  # noqa: BLE001 - no such table, no such file yet, a locked file: the full check decides
        return False


def open_database(url: str, cache_mib: int = CACHE_MIB) -> Engine:
    """An engine on an up-to-date database: created or upgraded on open, a newer one refused.
    ``cache_mib``: SQLite's page cache per connection (smaller for the many browser sessions)."""
    engine = make_engine(url, cache_mib)
    if not _at_head(engine):
        upgrade(engine)
    if engine.dialect.name == "sqlite" and engine.url.database:
        private_file(Path(engine.url.database))  # names and ID numbers: the owner's only
    # the audit anchor is kept by the callers (bootstrap.open_engine): the database is below the audit
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


INSERT_CHUNK = 20_000


def insert_rows(connection: Connection, table: Table, rows: list[dict], columns: list[str] | None = None) -> None:
    """Insert many rows fast: straight to the driver on SQLite, through Core elsewhere.

    SQLAlchemy's per-row parameter handling costs more than SQLite's own insert, so on
    SQLite the rows go to ``executemany`` as tuples after the columns' own bind
    processors (dates, datetimes) have been applied to them in place. ``columns``: the
    keys to insert (rows may hold more); by default every key of the first row. Columns
    left out get their Python-side defaults.
    """
    if not rows:
        return
    columns = list(columns or rows[0])
    defaults = _missing_defaults(table, columns)
    dialect = connection.dialect
    if dialect.paramstyle != "qmark":
        for start in range(0, len(rows), INSERT_CHUNK):
            connection.execute(table.insert(), [{**defaults, **{name: row[name] for name in columns}}
                                                for row in rows[start:start + INSERT_CHUNK]])
        return
    processors = [_bind_processor(table.c[name].type, dialect) for name in columns]
    quote = dialect.identifier_preparer.quote
    names = columns + list(defaults)
    sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
           f"({', '.join(quote(name) for name in names)}) VALUES ({', '.join('?' * len(names))})")
    take = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    fixed = tuple(processor(value) if value is not None and processor else value
                  for value, processor in ((value, _bind_processor(table.c[name].type, dialect))
                                           for name, value in defaults.items()))
    processed = [(name, processor) for name, processor in zip(columns, processors) if processor is not None]
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        for name, processor in processed:  # in place: the rows are consumed by the insert
            for row in chunk:
                value = row[name]
                if value is not None:
                    row[name] = processor(value)
        _executemany(connection, sql, map(take, chunk) if not fixed else (take(row) + fixed for row in chunk))


def serialize_writers(connection: Connection, table: Table) -> None:
    """Make the writers of ``table`` take turns from here to the end of the transaction, so a
    number counted from its rows (批次号) is not handed out twice by two processes at once."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE")
    else:  # SQLite: a write that changes nothing starts the write transaction (others wait)
        connection.exec_driver_sql(f"UPDATE {table.name} SET id = id WHERE 0")


def rows_where_in(connection: Connection, selected: list, column, values: list, size: int = 900, *,
                  where=None, select_from=None, order_by=None, group_by: tuple = ()) -> Iterator:
    """Rows of ``select(*selected)`` whose ``column`` is one of ``values``, asked in batches
    (one statement, the values bound as a list rather than one literal each); ``where``: a
    further condition, ``select_from``: a join, ``order_by``: the order within each batch."""
    statement = select(*selected).where(column.in_(bindparam("values", expanding=True)))
    if select_from is not None:
        statement = statement.select_from(select_from)
    if where is not None:
        statement = statement.where(where)
    if order_by is not None:
        statement = statement.order_by(order_by)
    if group_by:
        statement = statement.group_by(*group_by)
    for start in range(0, len(values), size):
        yield from connection.execute(statement, {"values": values[start:start + size]})


def insert_columns(connection: Connection, table: Table, columns: dict[str, list]) -> None:
    """Insert rows given column by column (every list as long as the others)."""
    count = len(next(iter(columns.values()), []))
    if not count:
        return
    names = list(columns)
    defaults = _missing_defaults(table, names)
    dialect = connection.dialect
    if dialect.paramstyle != "qmark":
        rows = [dict(zip(names, values), **defaults) for values in zip(*columns.values())]
        for start in range(0, len(rows), INSERT_CHUNK):
            connection.execute(table.insert(), rows[start:start + INSERT_CHUNK])
        return
    values = [_processed(table, dialect, name, column) for name, column in columns.items()]
    values.extend(repeat(_processed(table, dialect, name, [value])[0]) for name, value in defaults.items())
    names.extend(defaults)
    quote = dialect.identifier_preparer.quote
    _executemany(connection,
                 f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
                 f"({', '.join(quote(name) for name in names)}) VALUES ({', '.join('?' * len(names))})",
                 zip(*values))


def update_columns(connection: Connection, table: Table, by: str, keys: list, columns: dict[str, list]) -> None:
    """Set ``columns`` of the rows whose column ``by`` holds ``keys[i]`` (lists of equal length)."""
    if not keys or not columns:
        return
    names = list(columns)
    dialect = connection.dialect
    if dialect.paramstyle != "qmark":
        statement = (table.update().where(table.c[by] == bindparam("_where"))
                     .values({name: bindparam(f"_{name}") for name in names}))
        rows = [{"_where": key, **{f"_{name}": value for name, value in zip(names, values)}}
                for key, values in zip(keys, zip(*columns.values()))]
        for start in range(0, len(rows), INSERT_CHUNK):
            connection.execute(statement, rows[start:start + INSERT_CHUNK])
        return
    quote = dialect.identifier_preparer.quote
    values = [_processed(table, dialect, name, column) for name, column in columns.items()]
    _executemany(connection,
                 f"UPDATE {dialect.identifier_preparer.format_table(table)} "
                 f"SET {', '.join(f'{quote(name)} = ?' for name in names)} WHERE {quote(by)} = ?",
                 zip(*values, keys))


def update_rows(connection: Connection, table: Table, rows: list[dict], columns: list[str], key: str = "_id",
                by: str = "id") -> None:
    """Set ``columns`` of many rows, each found by ``row[key]`` in column ``by``."""
    update_columns(connection, table, by, [row[key] for row in rows],
                   {name: [row[name] for row in rows] for name in columns})


def _executemany(connection: Connection, sql: str, rows) -> None:
    """Straight to SQLite's own executemany, rows as they are made (an iterator: no list of
    half a million tuples, no per-row check on the way), in the connection's transaction."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _processed(table: Table, dialect, name: str, column: list) -> list:
    """A column's values as the driver takes them (the column type's bind processor applied)."""
    processor = _bind_processor(table.c[name].type, dialect)
    if processor is None:
        return column
    if None not in column:
        return list(map(processor, column))
    return [None if value is None else processor(value) for value in column]


def _bind_processor(column_type, dialect):
    """The column's bind processor on SQLite.

    None for booleans, which sqlite3 stores as 1/0 itself; ``date.isoformat`` for dates,
    which is SQLAlchemy's own SQLite storage format (YYYY-MM-DD) done in C.
    """
    if isinstance(column_type, Boolean):
        return None
    if type(column_type) is Date:
        return dt.date.isoformat
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def _missing_defaults(table: Table, given: list[str]) -> dict:
    """The Python-side column defaults Core would have filled in for columns not given."""
    values = {}
    for column in table.columns:
        if column.name in given or column.default is None or column.primary_key:
            continue
        default = column.default
        values[column.name] = default.arg(None) if default.is_callable else default.arg
    return values
