"""The web server of ``serve``, over real HTTP (aiohttp's test server) on a real archive:
the login page, refusals, throttling, cookies, relative addresses, the websocket rules and
downloads that only reach the login whose app made them."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer

from archive_tui.bootstrap import context_for
from archive_tui.core.roles import Actor
from archive_tui.services.admin import accounts
from archive_tui.audit import log
from archive_tui.web.server import COOKIE, ArchiveServer, content_disposition
from tests.conftest import table_counts

PASSWORD = "dangan2026"


@pytest.fixture
def users(engine):
    accounts.add_user(context_for(engine, actor=Actor.local("管理员")), "张三", "archivist", PASSWORD)
    accounts.add_user(context_for(engine, actor=Actor.local("管理员")), "李四", "reader", PASSWORD)
    return engine


@contextlib.asynccontextmanager
async def serving(server: ArchiveServer) -> AsyncIterator[TestClient]:
    """The server on a real local port, with an HTTP client that keeps cookies."""
    client = TestClient(TestServer(server.make_app()))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def log_in(client: TestClient, name: str = "张三", password: str = PASSWORD, **headers):
    return await client.post("/login", data={"name": name, "password": password}, allow_redirects=False,
                             headers=headers)


def actions(engine, prefix: str) -> list[dict]:
    return [entry for entry in log(engine, limit=None) if entry["action"].startswith(prefix)]


async def test_the_app_page_asks_for_a_login_first_with_addresses_relative_to_the_request(config, users):
    async with serving(ArchiveServer(config, users)) as client:
        response = await client.get("/", allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "login"
        page = await (await client.get("/login")).text()
        assert "账户名" in page and "密码" in page and "正定县城关镇" in page
        assert 'action="login"' in page
        assert "http://" not in page and "https://" not in page and 'src="/' not in page and 'href="/' not in page


async def test_a_wrong_password_is_refused_in_chinese_and_audited(config, users):
    async with serving(ArchiveServer(config, users)) as client:
        before = table_counts(users)
        response = await log_in(client, password="wrong-password")
        assert response.status == 401
        assert "账户名或密码不对" in await response.text()
        assert COOKIE not in response.cookies
        unknown = await log_in(client, name="王五")
        assert unknown.status == 401 and "账户名或密码不对" in await unknown.text()  # no hint which names exist
        failures = actions(users, "login.fail")
        assert [f["operator"] for f in failures] == ["张三", "王五"]
        assert all("browser" in json.dumps(f, ensure_ascii=False) for f in failures)
        after = table_counts(users)
        assert {k: v for k, v in after.items() if after[k] != before[k]} == {"audit_event": before["audit_event"] + 2}


async def test_one_address_that_fails_ten_times_waits_even_with_the_right_password(config, users):
    async with serving(ArchiveServer(config, users)) as client:
        names = ["王五", "赵六", "孙七", "周八", "吴九"] * 2  # many names: no single account gets locked
        for name in names:
            assert (await log_in(client, name=name, password="guess-1234")).status == 401
        refused = await log_in(client)
        assert refused.status == 429
        assert "登录失败次数过多" in await refused.text()
        assert COOKIE not in refused.cookies
        assert [e["operator"] for e in actions(users, "login.throttled")] == ["张三"]


async def test_a_login_sets_a_private_cookie_and_opens_the_app_page(config, users):
    async with serving(ArchiveServer(config, users)) as client:
        response = await log_in(client)
        assert response.status == 302 and response.headers["Location"] == "./"
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
        assert "Path=" not in cookie  # kept to the login page's folder: a proxy's /archive/ prefix included
        page = await (await client.get("/")).text()
        assert 'src="static/js/textual.js"' in page and 'data-session-websocket-url=""' in page
        assert '"wss:"' in page  # the websocket becomes wss when the page came over HTTPS
        assert (await client.get("/static/js/textual.js")).status == 200
        assert [e["operator"] for e in actions(users, "login.ok")] == ["张三"]


@pytest.mark.parametrize("trust_proxy, proto, secure", [
    (False, "https", False),   # a header anyone can send is not believed by default
    (True, "https", True),     # behind the township's HTTPS proxy (serve --behind-proxy)
    (True, "http", False),
])
async def test_the_cookie_is_secure_behind_an_https_proxy_only_when_told(config, users, trust_proxy, proto, secure):
    async with serving(ArchiveServer(config, users, trust_proxy=trust_proxy)) as client:
        response = await log_in(client, **{"X-Forwarded-Proto": proto, "X-Forwarded-For": "192.168.1.20"})
        assert ("Secure" in response.headers["Set-Cookie"]) is secure
        where = actions(users, "login.ok")[0]
        assert ("192.168.1.20" in json.dumps(where)) is trust_proxy


async def test_an_expired_login_goes_back_to_the_login_page_and_is_audited(config, users):
    server = ArchiveServer(config, users, idle=dt.timedelta(minutes=30))
    async with serving(server) as client:
        await log_in(client)
        for login in server.logins.all():
            login.last_seen -= 31 * 60
        response = await client.get("/", allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "login?expired=1"
        assert "登录已过期" in await (await client.get("/login?expired=1")).text()
        await server.sweep()
        assert server.logins.all() == []
        assert [e["operator"] for e in actions(users, "logout")] == ["张三"]


async def test_logging_out_forgets_the_login(config, users):
    async with serving(ArchiveServer(config, users)) as client:
        await log_in(client)
        response = await client.get("/logout", allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "login?out=1"
        assert (await client.get("/", allow_redirects=False)).status == 302
        assert "已退出登录" in await (await client.get("/login?out=1")).text()


async def test_the_websocket_needs_a_login_and_our_own_page(config, users):
    async with serving(ArchiveServer(config, users)) as client:
        with pytest.raises(WSServerHandshakeError) as refused:
            await client.ws_connect("/ws")
        assert refused.value.status == 401
        await log_in(client)
        with pytest.raises(WSServerHandshakeError) as foreign:
            await client.ws_connect("/ws", headers={"Origin": "http://evil.example"})
        assert foreign.value.status == 403


async def test_an_account_disabled_after_its_login_gets_no_app(config, users):
    server = ArchiveServer(config, users)
    async with serving(server) as client:
        await log_in(client, name="李四")
        accounts.disable_user(context_for(users, actor=Actor.local("管理员")), "李四", "调离")
        with pytest.raises(WSServerHandshakeError) as refused:
            await client.ws_connect("/ws")
        assert refused.value.status == 403
        assert server.logins.all() == []


async def test_nobody_downloads_what_another_login_made(config, users):
    server = ArchiveServer(config, users)
    async with serving(server) as client:
        await log_in(client)
        response = await client.get("/download/" + "a" * 32)
        assert response.status == 404 and "没有这个下载" in await response.text()


@pytest.mark.parametrize("name, ascii_name, utf8", [
    ("移交清单-2026-001.pdf", "____-2026-001.pdf", "%E7%A7%BB%E4%BA%A4%E6%B8%85%E5%8D%95-2026-001.pdf"),
    ("../../etc/passwd", "passwd", "passwd"),
    ('a"b\r\nSet-Cookie: x.pdf', "a_b__Set-Cookie__x.pdf", "a_b__Set-Cookie%3A%20x.pdf"),
    ("", "download", "download"),
])
def test_download_names_keep_chinese_and_let_nothing_else_through(name, ascii_name, utf8):
    header = content_disposition("attachment", name)
    assert header == f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8}"
    assert "\r" not in header and "\n" not in header


async def test_a_tab_runs_the_app_as_its_account_and_leaves_no_process_when_closed(config, users):
    """The real app process behind one websocket: it draws, takes keys (malformed messages are
    ignored), runs as the account, and is gone once the tab closes."""
    server = ArchiveServer(config, users)
    async with serving(server) as client:
        await log_in(client)
        socket = await client.ws_connect("/ws?width=100&height=30")
        drawn = await _received(socket, "操作员 张三")
        assert "档案员" in drawn
        for garbage in ("not json", "[]", "{}", '[1, 2]', '["stdin", 5]', '["resize", "big"]'):
            await socket.send_str(garbage)
        await socket.send_str(json.dumps(["ping", "x"]))
        assert "pong" in await _received(socket, "pong")
        (service,) = server.sockets
        pid = service.pid
        assert _alive(pid)
        await socket.close()
        for _ in range(100):
            if not _alive(pid) and not server.sockets:
                break
            await asyncio.sleep(0.1)
        assert not _alive(pid) and not server.sockets


async def _received(socket, wanted: str, seconds: float = 30) -> str:
    seen = ""
    async with asyncio.timeout(seconds):
        while wanted not in seen:
            message = await socket.receive()
            data = message.data
            seen += data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive: its process table entry is all that is left
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_a_login_name_with_control_characters_reaches_the_audit_log_without_them(config, users):
    async with serving(ArchiveServer(config, users)) as client:
        response = await log_in(client, name="\x00\r\nX-Forged: 张三\x1b[31m")
        assert response.status == 401
        (failure,) = actions(users, "login.fail")
        assert failure["operator"] == "X-Forged: 张三[31m"


def test_serve_refuses_without_accounts_and_on_a_taken_port(archive_dir, engine):
    """Two mistakes an archivist makes on the first try, each one Chinese line and exit 1."""
    import socket
    import subprocess
    import sys

    def serve(port: int) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "archive_tui", "serve", "--host", "127.0.0.1", "--port", str(port)]
        return subprocess.run(command, cwd=archive_dir, capture_output=True, text=True, encoding="utf-8", timeout=60)

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        nobody = serve(port)
        assert nobody.returncode == 1 and "还没有账户" in nobody.stderr and "users add" in nobody.stderr
        accounts.add_user(context_for(engine, actor=Actor.local("管理员")), "张三", "archivist", PASSWORD)
        busy = serve(port)
        assert busy.returncode == 1 and f"端口 {port} 已被占用" in busy.stderr
        assert "Traceback" not in busy.stderr
