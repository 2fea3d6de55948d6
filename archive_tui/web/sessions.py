"""Browser logins (网页登录会话) and the throttle on failed logins, kept in the server's memory.

A login gives a random token (the cookie). It expires after ``idle`` without a key pressed
and, whatever happens, ``lifetime`` after the login; then its apps are closed and the
browser goes back to the login page. Nothing here is stored: restarting ``serve`` logs
everybody out, which is what a township office expects of a restart.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from archive_tui.services.admin.accounts import User

Clock = Callable[[], float]
SESSION_ENV = {"config": "ARCHIVE_TUI_CONFIG", "account": "ARCHIVE_TUI_ACCOUNT"}  # what a tab's app process is told


@dataclass
class Login:
    token: str
    user: User
    address: str
    started: float
    last_seen: float
    apps: set = field(default_factory=set)  # the running app services of this login (one per tab)


class Logins:
    """The logged-in browsers, by token."""

    def __init__(self, idle: dt.timedelta, lifetime: dt.timedelta, clock: Clock = time.monotonic):
        self.idle = idle.total_seconds()
        self.lifetime = lifetime.total_seconds()
        self.clock = clock
        self._by_token: dict[str, Login] = {}

    def start(self, user: User, address: str) -> Login:
        now = self.clock()
        login = Login(secrets.token_urlsafe(32), user, address, now, now)
        self._by_token[login.token] = login
        return login

    def find(self, token: str | None) -> Login | None:
        """The login of this token, if it is still valid (an expired one is not found)."""
        login = self._by_token.get(token or "")
        if login is None or self._expired(login):
            return None
        return login

    def touch(self, login: Login) -> None:
        """The user did something: the idle time starts again."""
        login.last_seen = self.clock()

    def end(self, token: str | None) -> Login | None:
        return self._by_token.pop(token or "", None)

    def expired(self) -> list[Login]:
        """Remove and return the logins that have expired (their apps are for the caller to close)."""
        gone = [login for login in self._by_token.values() if self._expired(login)]
        for login in gone:
            del self._by_token[login.token]
        return gone

    def all(self) -> list[Login]:
        return list(self._by_token.values())

    def _expired(self, login: Login) -> bool:
        now = self.clock()
        return now - login.last_seen > self.idle or now - login.started > self.lifetime


class Throttle:
    """At most ``limit`` failed logins from one address within ``window``; then that address
    waits until its oldest failure leaves the window. (The account itself is locked by the
    accounts service after five wrong passwords; this stops one machine trying many names.)

    A login is counted when it starts (``attempt``), before its password is checked: the
    logins still being checked count against the limit like failures, so fifty sent at once
    from one address get at most ``limit`` passwords checked; the others wait."""

    def __init__(self, limit: int, window: dt.timedelta, clock: Clock = time.monotonic):
        self.limit = limit
        self.window = window.total_seconds()
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._checking: dict[str, int] = {}  # logins of each address started and not yet ended

    def wait_seconds(self, address: str) -> int:
        """0 when this address may try; otherwise the whole seconds it must wait."""
        failures = self._recent(address)
        if len(failures) + self._checking.get(address, 0) < self.limit:
            return 0
        if len(failures) < self.limit:  # full of logins still being checked: they end within seconds
            return 1
        return max(1, int(failures[0] + self.window - self.clock()) + 1)

    def attempt(self, address: str) -> int:
        """Start a login from this address: 0 when it may go on, counted until it ends (``failed``
        or ``succeeded``); otherwise the seconds to wait, and nothing is counted. No await comes
        between the test and the count, so logins arriving together cannot all pass it."""
        wait = self.wait_seconds(address)
        if not wait:
            self._checking[address] = self._checking.get(address, 0) + 1
        return wait

    def failed(self, address: str) -> None:
        self._ended(address)
        self._recent(address).append(self.clock())

    def succeeded(self, address: str) -> None:
        self._ended(address)
        self._failures.pop(address, None)

    def _ended(self, address: str) -> None:
        checking = self._checking.get(address, 0) - 1
        if checking > 0:
            self._checking[address] = checking
        else:
            self._checking.pop(address, None)

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        cutoff = self.clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures
