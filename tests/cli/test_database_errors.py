"""A database that refuses a write (a constraint another workstation's row broke, a value the
server cannot store) is one Chinese sentence: never the SQL statement, never its parameters
(ID numbers, phones, password hashes), which go to the crash log for the maintainer."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.conftest import table_counts

REFUSE = "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'trigger-abort-7f3'); END"
LEAKS = ("[SQL:", "sqlalche.me", "Traceback", "INSERT INTO", "IntegrityError", "trigger-abort-7f3")


def refusing(archive_dir, table: str) -> None:
    with sqlite3.connect(archive_dir / "archive.db") as connection:
        connection.execute(REFUSE.format(table=table))


@pytest.fixture
def opened(cli, archive_dir):
    assert cli("init", cwd=archive_dir).code == 0
    return archive_dir


@pytest.mark.parametrize(("table", "args", "stdin"), [
    ("member", ("demo", "--households", "2"), None),  # a bulk write: the driver's own error
    ("account", ("users", "add", "王档案", "--role", "reader", "--password-stdin"), b"Secret-pass-2024\n"),
])
def test_a_refused_write_says_so_in_chinese_without_sql_or_values(cli, opened, engine, monkeypatch, table, args, stdin):
    import io
    import sys

    refusing(opened, table)
    before = table_counts(engine)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    result = cli(*args, cwd=opened)
    assert result.code == 1
    assert "错误：数据库拒绝了这次改动：与已有的记录重复或冲突" in result.err
    assert "这次操作未完成的改动没有写入数据库" in result.err
    assert [leak for leak in LEAKS if leak in result.err + result.out] == [], result.err + result.out
    assert not re.search(r"\d{11,}", result.err)  # no ID number, phone or code from the parameters
    assert table_counts(engine) == before
    [log] = (opened / "logs").glob("错误-*.log")
    assert "trigger-abort-7f3" in log.read_text(encoding="utf-8")  # the whole story is in the log
