"""Limits that hold when requests arrive together (issue 31): fifty logins sent at once get
no more passwords checked than the limits allow, per address and per account, and the lock
is recorded once. Real HTTP (aiohttp's test server) on a real archive, as in test_server."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from archive_tui.bootstrap import context_for
from archive_tui.core.roles import Actor
from archive_tui.services.admin import accounts
from archive_tui.web.server import COOKIE, LOGIN_LIMIT, ArchiveServer
from archive_tui.web.sessions import Throttle
from tests.web.test_server import PASSWORD, actions, log_in, serving

AT_ONCE = 50


@pytest.fixture
def users(engine):
    accounts.add_user(context_for(engine, actor=Actor.local("管理员")), "张三", "archivist", PASSWORD)
    return engine


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """The passwords actually checked against a hash (argon2), in the order checked."""
    seen: list[str] = []
    verify = accounts._verified

    def counting(password_hash: str, password: str) -> bool:
        seen.append(password)  # list.append: one step under the GIL, safe from the worker threads
        return verify(password_hash, password)

    monkeypatch.setattr(accounts, "_verified", counting)
    return seen


async def _all_at_once(client, requests: list[dict]) -> list[tuple[int, str]]:
    async def one(fields: dict) -> tuple[int, str]:
        headers = fields.pop("headers", {})
        response = await log_in(client, **fields, **headers)
        return response.status, await response.text()

    return await asyncio.gather(*(one(dict(fields)) for fields in requests))


async def test_fifty_wrong_passwords_at_once_from_one_address_check_five_and_lock_once(config, users, checked):
    async with serving(ArchiveServer(config, users)) as client:
        answers = await _all_at_once(client, [{"password": f"guess-{n:04d}"} for n in range(AT_ONCE)])
        statuses = [status for status, _text in answers]
        assert statuses.count(429) == AT_ONCE - LOGIN_LIMIT  # the address's ten, counted as they start
        assert statuses.count(401) == LOGIN_LIMIT
        assert all("登录失败次数过多" in text for status, text in answers if status == 429)
        assert len(checked) == accounts.MAX_FAILURES  # of those ten, the account's five
        assert len(actions(users, "login.locked")) == 1
        # every password checked is audited: a failure each, but the one whose failure locked the account (when
        # a sixth login came while five were being checked, that one locked it, and all five are failures)
        assert len(actions(users, "login.fail")) in (accounts.MAX_FAILURES - 1, accounts.MAX_FAILURES)
        assert len(actions(users, "login.throttled")) == AT_ONCE - LOGIN_LIMIT
        assert COOKIE not in client.session.cookie_jar.filter_cookies(client.make_url("/"))


async def test_fifty_wrong_passwords_at_once_from_fifty_addresses_check_five_and_lock_once(config, users, checked):
    """Behind the township's proxy every request names its own computer: the address limit holds
    none of them back, the account's does."""
    async with serving(ArchiveServer(config, users, trust_proxy=True)) as client:
        requests = [{"password": f"guess-{n:04d}", "headers": {"X-Forwarded-For": f"10.0.{n // 200}.{n % 200 + 1}"}}
                    for n in range(AT_ONCE)]
        answers = await _all_at_once(client, requests)
        assert [status for status, _text in answers] == [401] * AT_ONCE
        assert len(checked) == accounts.MAX_FAILURES
        (locked,) = actions(users, "login.locked")
        assert locked["operator"] == "张三"
        locked_out = sum("已锁定" in text or "账户锁定" in text for _status, text in answers)
        assert locked_out >= AT_ONCE - accounts.MAX_FAILURES
        late = await log_in(client, **{"X-Forwarded-For": "10.9.9.9"})  # the right password, from elsewhere
        assert late.status == 401 and "已锁定" in await late.text()
        assert len(checked) == accounts.MAX_FAILURES  # refused before its password was looked at


async def test_fifty_names_at_once_from_one_address_reach_the_accounts_ten_times(config, users, checked):
    """One computer trying many names: the address's limit counts every login as it starts."""
    async with serving(ArchiveServer(config, users)) as client:
        answers = await _all_at_once(client, [{"name": f"猜测{n:02d}", "password": "guess-1234"}
                                              for n in range(AT_ONCE)])
        assert sorted(status for status, _text in answers) == [401] * LOGIN_LIMIT + [429] * (AT_ONCE - LOGIN_LIMIT)
        failures = actions(users, "login.fail")
        assert len(failures) == LOGIN_LIMIT
        assert all("no such account" in json.dumps(failure, ensure_ascii=False) for failure in failures)
        refused = await log_in(client)  # the right password of a real account: this address waits
        assert refused.status == 429
        assert checked == []


async def test_a_right_password_among_logins_sent_together_still_logs_in(config, users, checked):
    """Counting before checking does not refuse the archivist who types the password right while
    a colleague's tab retries: two wrong and one right at once, the right one gets in."""
    async with serving(ArchiveServer(config, users)) as client:
        answers = await _all_at_once(client, [{"password": "guess-0001"}, {"password": PASSWORD},
                                              {"password": "guess-0002"}])
        assert sorted(status for status, _text in answers) == [302, 401, 401]
        assert len(actions(users, "login.ok")) == 1 and actions(users, "login.locked") == []


def test_logins_still_being_checked_count_against_the_address():
    throttle = Throttle(3, dt.timedelta(minutes=10), clock=lambda: 1000.0)
    assert [throttle.attempt("a") for _ in range(5)] == [0, 0, 0, 1, 1]  # three being checked: the rest wait
    assert throttle.attempt("b") == 0  # another computer is not held up
    throttle.succeeded("a")
    assert throttle.attempt("a") == 0  # one ended well: a place again (the failures of "a" are cleared)
    for _ in range(3):
        throttle.failed("a")
    assert throttle.wait_seconds("a") in (600, 601)
    assert throttle.attempt("a") > 1  # three failures in the window: waits for the oldest to leave it
