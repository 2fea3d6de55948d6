"""Browser logins expire; one address that fails too often waits (table-driven, a fake clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from archive_tui.services.admin.accounts import User
from archive_tui.web.sessions import Logins, Throttle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


IDLE, LIFETIME = dt.timedelta(minutes=30), dt.timedelta(hours=12)


@pytest.mark.parametrize("steps, valid", [
    ([], True),
    ([29 * 60], True),
    ([30 * 60 + 1], False),                       # idle past 30 minutes
    ([20 * 60, "touch", 20 * 60], True),          # a key pressed restarts the idle time
    ([20 * 60, 20 * 60], False),
    (["touch", 25 * 60] * 28 + ["touch"], True),  # busy for 11 h 40
    ([25 * 60, "touch"] * 30, False),             # busy, but past 12 hours: a new login each working day
])
def test_a_login_expires_when_idle_or_too_old(steps, valid):
    clock = Clock()
    logins = Logins(IDLE, LIFETIME, clock)
    login = logins.start(User("张三", "archivist"), "10.0.0.5")
    for step in steps:
        if step == "touch":
            logins.touch(login)
        else:
            clock.now += step
    assert (logins.find(login.token) is login) is valid
    assert [gone.token for gone in logins.expired()] == ([] if valid else [login.token])


def test_tokens_are_unguessable_and_unknown_ones_find_nothing():
    logins = Logins(IDLE, LIFETIME, Clock())
    tokens = {logins.start(User("张三", "archivist"), "a").token for _ in range(50)}
    assert len(tokens) == 50 and all(len(token) >= 40 for token in tokens)
    for token in (None, "", "x" * 43, "../../etc"):
        assert logins.find(token) is None
    login = logins.start(User("李四", "reader"), "b")
    assert logins.end(login.token) is login and logins.find(login.token) is None


@pytest.mark.parametrize("failures, later, wait", [
    (9, 0, 0),
    (10, 0, 600),         # the tenth failure: wait until the first leaves the 10-minute window
    (10, 599, 1),
    (10, 601, 0),
    (15, 300, 300),
])
def test_an_address_that_fails_too_often_waits(failures, later, wait):
    clock = Clock()
    throttle = Throttle(10, dt.timedelta(minutes=10), clock)
    for _ in range(failures):
        throttle.failed("10.0.0.9")
    clock.now += later
    assert throttle.wait_seconds("10.0.0.9") in (wait, wait + 1) if wait else throttle.wait_seconds("10.0.0.9") == 0
    assert throttle.wait_seconds("10.0.0.10") == 0  # another computer is not held up


def test_a_success_clears_the_address():
    throttle = Throttle(3, dt.timedelta(minutes=10), Clock())
    for _ in range(2):
        throttle.failed("a")
    throttle.succeeded("a")
    throttle.failed("a")
    throttle.failed("a")
    assert throttle.wait_seconds("a") == 0
