"""``serve --max-sessions``: the place of a tab is taken before anything is awaited, so fifty
tabs opened at once start no more apps than the limit; the place is given back when the app
ends or never starts (issue 31). The app is a stand-in process that speaks textual-serve's
protocol (a real app is 100 MB and seconds to start; test_server runs one)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError

from archive_tui.bootstrap import context_for
from archive_tui.core.roles import Actor
from archive_tui.services.admin import accounts
from archive_tui.web.server import ArchiveServer
from tests.web.test_server import PASSWORD, _received, log_in, serving

AT_ONCE = 50
LIMIT = 3

# Notes its pid in the folder it is given, says it is a Textual app, draws "ready", and ends when
# asked to quit (or when its input closes): what textual-serve expects of an app.
STAND_IN = r"""
import os, sys
open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
out = sys.stdout.buffer
out.write(b"__GANGLION__\n" + b"D" + (5).to_bytes(4, "big") + b"ready")
out.flush()
stdin = sys.stdin.buffer
while len(head := stdin.read(5)) == 5:
    body = stdin.read(int.from_bytes(head[1:], "big"))
    if head[:1] == b"M" and b'"quit"' in body:
        break
"""


@pytest.fixture
def users(engine):
    accounts.add_user(context_for(engine, actor=Actor.local("管理员")), "张三", "archivist", PASSWORD)
    return engine


def stand_in(started: Path) -> list[str]:
    started.mkdir(exist_ok=True)
    return [sys.executable, "-c", STAND_IN, str(started)]


async def until(condition, seconds: float = 30) -> None:
    """Wait for ``condition()`` to hold (checked between the server's steps), at most ``seconds``."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


async def test_fifty_tabs_opened_at_once_start_no_more_apps_than_the_limit(config, users, tmp_path):
    started = tmp_path / "started"
    server = ArchiveServer(config, users, max_sessions=LIMIT, app_command=stand_in(started))
    async with serving(server) as client:
        await log_in(client)
        results = await asyncio.gather(*(client.ws_connect("/ws") for _ in range(AT_ONCE)), return_exceptions=True)
        sockets = [result for result in results if not isinstance(result, BaseException)]
        refused = [result for result in results if isinstance(result, BaseException)]
        assert len(sockets) == LIMIT
        assert all(isinstance(error, WSServerHandshakeError) and error.status == 503 for error in refused)
        for socket in sockets:
            await _received(socket, "ready")
        assert len(list(started.iterdir())) == LIMIT and server.running() == LIMIT == len(server.sockets)
        full = await client.get("/ws")
        assert full.status == 503 and f"同时打开的会话已满（{LIMIT} 个）" in await full.text()
        page = await client.get("/")
        assert page.status == 503 and "请关闭不用的浏览器标签页" in await page.text()
        for socket in sockets:
            await socket.close()
        await until(lambda: server.running() == 0 and not server.sockets)
        again = await client.ws_connect("/ws")  # the places are free again
        await _received(again, "ready")
        await again.close()
        await until(lambda: server.running() == 0)
    assert len(list(started.iterdir())) == LIMIT + 1


@pytest.mark.parametrize("command", [
    ["/nonexistent/archive-tui-session"],                  # cannot start at all
    [sys.executable, "-c", "raise SystemExit(3)"],         # starts, and ends before it draws
    [sys.executable, "-c", "print('__GANGLION__', flush=True)"],  # draws nothing, then ends
], ids=["missing", "exits", "ends"])
async def test_a_tab_whose_app_fails_or_ends_gives_its_place_back_and_is_closed(config, users, command):
    server = ArchiveServer(config, users, max_sessions=1, app_command=command)
    async with serving(server) as client:
        await log_in(client)
        for _ in range(3):  # one place: each tab must have given it back for the next to open
            socket = await client.ws_connect("/ws")
            message = await socket.receive(timeout=30)
            assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED)
            await until(lambda: server.running() == 0 and not server.sockets)


async def test_a_refused_tab_takes_no_place(config, users, tmp_path):
    """Refusals (another site's page, an account disabled since its login) hold no place."""
    server = ArchiveServer(config, users, max_sessions=1, app_command=stand_in(tmp_path / "started"))
    async with serving(server) as client:
        await log_in(client)
        for _ in range(3):
            with pytest.raises(WSServerHandshakeError) as foreign:
                await client.ws_connect("/ws", headers={"Origin": "http://evil.example"})
            assert foreign.value.status == 403
        assert server.running() == 0
        accounts.disable_user(context_for(users, actor=Actor.local("管理员")), "张三", "调离")
        with pytest.raises(WSServerHandshakeError) as disabled:
            await client.ws_connect("/ws")
        assert disabled.value.status == 403 and server.running() == 0
