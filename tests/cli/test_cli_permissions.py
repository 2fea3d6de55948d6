"""Roles on the command line: an account's role decides what a command may change, and where
the archive requires a login ([accounts] require_login) a command that changes the archive
needs --user. Refused: a Chinese line naming the role it needs, exit 1, nothing changed."""

from __future__ import annotations

import io
import json
import sys

import pytest

from archive_tui.core.config import load_config
from archive_tui.db import open_database
from tests.conftest import table_counts

PASSWORD = "很长的密码123"
DISPUTE = ("disputes", "add", "130123101001010001", "--subject", "地界争议", "--date", "2024-03-01")


def _with_password(monkeypatch, password: str = PASSWORD) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{password}\n".encode("utf-8"))))


def _counts(archive_dir) -> dict:
    engine = open_database(load_config(archive_dir / "config.toml").database_url)
    try:
        return table_counts(engine)
    finally:
        engine.dispose()


@pytest.fixture
def with_accounts(cli, archive_dir, monkeypatch):
    assert cli("demo", "--households", "3", "--seed", "2", cwd=archive_dir).code == 0
    for name, role in (("李查阅", "reader"), ("赵审计", "auditor"), ("王档案", "archivist")):
        _with_password(monkeypatch)
        assert cli("users", "add", name, "--role", role, "--password-stdin", cwd=archive_dir).code == 0
    return archive_dir


@pytest.mark.parametrize(("user", "label"), [("李查阅", "查阅"), ("赵审计", "审计员")])
def test_an_account_that_may_not_write_is_refused_by_the_command(cli, with_accounts, monkeypatch, user, label):
    before = _counts(with_accounts)
    _with_password(monkeypatch)
    result = cli("--user", user, "--password-stdin", *DISPUTE, cwd=with_accounts)
    assert result.code == 1
    assert f"需要档案员权限：{user}（{label}）不能执行" in result.err
    after = _counts(with_accounts)
    assert after.pop("audit_event") == before.pop("audit_event") + 2  # the login and the refusal
    assert after == before


def test_an_archivist_account_writes_and_is_named_in_the_audit(cli, with_accounts, monkeypatch):
    _with_password(monkeypatch)
    result = cli("--user", "王档案", "--password-stdin", "--operator", "冒名", *DISPUTE, cwd=with_accounts)
    assert result.code == 0, result.err
    log = cli("audit", "log", "--json", cwd=with_accounts)
    [event] = [e for e in json.loads(log.out) if e["action"] == "dispute.add"]
    assert event["operator"] == "王档案"  # the account, whatever --operator says


def test_where_login_is_required_a_command_without_it_changes_nothing(cli, with_accounts, monkeypatch):
    config = with_accounts / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("require_login = false", "require_login = true"),
                      encoding="utf-8")
    before = _counts(with_accounts)
    result = cli(*DISPUTE, cwd=with_accounts)
    assert result.code == 1 and "须先登录" in result.err and "--user" in result.err
    after = _counts(with_accounts)
    assert after.pop("audit_event") == before.pop("audit_event") + 1 and after == before
    assert cli("households", cwd=with_accounts).code == 0  # reading needs no login
    _with_password(monkeypatch)
    assert cli("--user", "王档案", "--password-stdin", *DISPUTE, cwd=with_accounts).code == 0


def test_login_required_before_any_account_exists_still_lets_the_first_be_added(cli, archive_dir, monkeypatch):
    config = archive_dir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("require_login = false", "require_login = true"),
                      encoding="utf-8")
    _with_password(monkeypatch)
    assert cli("users", "add", "管理员甲", "--role", "admin", "--password-stdin", cwd=archive_dir).code == 0
    _with_password(monkeypatch)
    second = cli("users", "add", "管理员乙", "--role", "admin", "--password-stdin", cwd=archive_dir)
    assert second.code == 1 and "须先登录" in second.err


def test_the_auditor_reads_and_verifies_the_log_and_a_reader_does_not(cli, with_accounts, monkeypatch):
    _with_password(monkeypatch)
    verified = cli("--user", "赵审计", "--password-stdin", "audit", "verify", cwd=with_accounts)
    assert verified.code == 0 and "完好" in verified.out
    _with_password(monkeypatch)
    refused = cli("--user", "李查阅", "--password-stdin", "audit", "log", cwd=with_accounts)
    assert refused.code == 1 and "需要档案员或审计员权限" in refused.err
