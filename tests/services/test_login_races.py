"""Logins sent together (many browser tabs, terminals on several workstations) cannot race past
the account's limit: the attempt is counted before its password is checked, so fifty at once
get five passwords checked and one lock recorded (issue 31), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from archive_tui.audit import log
from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.core.roles import Actor
from archive_tui.services.admin import accounts

GOOD = "麦田2024春耕"
AT_ONCE = 50


def _all_at_once(call, arguments: list) -> list:
    """``call`` on every argument, each in a thread of its own, all released together."""
    start = threading.Barrier(len(arguments))

    def one(argument):
        start.wait()
        try:
            return call(argument)
        except ArchiveError as error:
            return error

    with ThreadPoolExecutor(len(arguments)) as pool:
        return list(pool.map(one, arguments))


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """The passwords actually checked against the hash."""
    seen: list[str] = []
    verify = accounts._verified

    def counting(password_hash: str, password: str) -> bool:
        seen.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(accounts, "_verified", counting)
    return seen


def test_fifty_wrong_passwords_at_once_check_five_and_record_one_lock(engine, checked):
    accounts.add_user(context_for(engine, actor=Actor.local("管理员甲")), "王档案", "archivist", GOOD)
    answers = _all_at_once(lambda n: accounts.authenticate(engine, "王档案", f"wrong-{n:04d}", where="browser"),
                           list(range(AT_ONCE)))
    assert all(isinstance(answer, ArchiveError) for answer in answers)
    assert all("账户名或密码不对" in answer.message or "已锁定" in answer.message for answer in answers)
    assert len(checked) == accounts.MAX_FAILURES
    actions = [event["action"] for event in log(engine, entity_key="王档案", limit=None)]
    assert actions.count("login.locked") == 1
    assert actions.count("login.fail") + actions.count("login.locked") in (accounts.MAX_FAILURES,
                                                                            accounts.MAX_FAILURES + 1)
    assert accounts.list_users(engine)[0]["locked"] is True
    with pytest.raises(ArchiveError, match="已锁定"):
        accounts.authenticate(engine, "王档案", GOOD)
    assert len(checked) == accounts.MAX_FAILURES


def test_the_right_password_sent_with_wrong_ones_logs_in(engine, checked):
    accounts.add_user(context_for(engine, actor=Actor.local("管理员甲")), "王档案", "archivist", GOOD)
    passwords = ["wrong-0001", GOOD, "wrong-0002"]
    answers = _all_at_once(lambda password: accounts.authenticate(engine, "王档案", password), passwords)
    assert answers[1] == accounts.User("王档案", "archivist")
    assert all(isinstance(answer, ArchiveError) for answer in answers[::2])
    assert sorted(checked) == sorted(passwords)
    actions = [event["action"] for event in log(engine, entity_key="王档案", limit=None)]
    assert sorted(actions) == ["login.fail", "login.fail", "login.ok", "users.add"]
    assert accounts.list_users(engine)[0]["locked"] is False
