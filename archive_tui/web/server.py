"""``archive-tui serve``: the app in a browser on the township LAN (B/S 访问), with logins.

One aiohttp server: a login page, then a page holding xterm.js (textual-serve's static
files) whose websocket starts one app process per browser tab, running as the logged-in
account (``archive_tui.web.session_app``). The process ends when its tab closes, when the
user quits with q, or when the login expires. Files the app makes (PDF, XLSX, transfer
bags) reach the browser through the app's own download, only for the login whose app
made them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

from aiohttp import WSMsgType, web
from sqlalchemy import Engine
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

import textual_serve
from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui.services.admin import accounts
from archive_tui.web import pages
from archive_tui.web.sessions import SESSION_ENV, Login, Logins, Throttle

log = logging.getLogger("archive_tui.web")

COOKIE = "archive_tui_login"
STATIC = Path(textual_serve.__file__).resolve().parent / "static"
LOGIN_LIMIT = 10  # failed logins from one address ...
LOGIN_WINDOW = dt.timedelta(minutes=10)  # ... within this long, then it waits
LIFETIME = dt.timedelta(hours=12)  # a login lasts at most a working day, however busy
STOP_GRACE = 10  # seconds an app has to close after being asked, before it is killed
APP_COMMAND = (sys.executable, "-m", "archive_tui.web.session_app")  # one tab's app process


class AccountApp(AppService):
    """One app process for one browser tab, run as the login's account (no shell: the
    command is a list, so nothing from the request reaches a command line)."""

    def __init__(self, login: Login, config_path: Path, command: Sequence[str] = APP_COMMAND, **kwargs):
        super().__init__("archive-tui", **kwargs)
        self.login = login
        self.config_path = config_path
        self.argv = list(command)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment[SESSION_ENV["config"]] = str(self.config_path)
        environment[SESSION_ENV["account"]] = self.login.user.name
        environment.pop("ARCHIVE_TUI_OPERATOR", None)  # the account is the operator
        environment["PYTHONIOENCODING"] = "utf-8"
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24):
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height))
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """Relay the app's output until it ends; then the tab's websocket is closed (the page says
        the session has ended), so a tab whose app exited or never started frees its place."""
        try:
            await super().run()
        finally:
            try:
                await self.remote_close()
            except (OSError, RuntimeError) as error:  # the browser has gone already
                log.debug("会话关闭：%s", error)

    async def stop(self) -> None:
        """Ask the app to quit; a process that does not go within STOP_GRACE is killed."""
        process = self._process
        await super().stop()
        if process is None:
            return
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()


class ArchiveServer:
    """The web server of one archive folder."""

    def __init__(self, config: Config, engine: Engine, *, idle: dt.timedelta = dt.timedelta(minutes=30),
                 max_sessions: int = 20, trust_proxy: bool = False, sweep_seconds: float = 15.0,
                 app_command: Sequence[str] = APP_COMMAND):
        self.config = config
        self.engine = engine
        self.logins = Logins(idle, LIFETIME)
        self.throttle = Throttle(LOGIN_LIMIT, LOGIN_WINDOW)
        self.max_sessions = max_sessions
        self.trust_proxy = trust_proxy
        self.sweep_seconds = sweep_seconds
        self.downloads = DownloadManager()
        self.sockets: dict[AccountApp, web.WebSocketResponse] = {}
        self.app_command = list(app_command)
        self._reserved = 0  # places (of max_sessions) taken by tabs, from their first check to their end
        self._ending: set[asyncio.Future] = set()  # tabs whose apps are being stopped
        settings = config.settings
        self.place = f"{settings.county.name}{settings.township.name}"

    # -- the aiohttp application ------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.add_routes([
            web.get("/", self.handle_index),
            web.get("/login", self.handle_login_page),
            web.post("/login", self.handle_login),
            web.get("/logout", self.handle_logout),
            web.get("/ws", self.handle_websocket),
            web.get("/download/{key}", self.handle_download),
            web.get("/favicon.ico", self.handle_favicon),
            web.static("/static", STATIC),
        ])
        app.on_startup.append(self._start_sweeping)
        app.on_shutdown.append(self._close_everything)
        return app

    async def _start_sweeping(self, app: web.Application) -> None:
        self.sweeper = asyncio.create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            await self.sweep()

    async def sweep(self) -> None:
        """End the logins that have expired: their apps are closed, the browser goes back to login."""
        for login in self.logins.expired():
            await self._close_apps(login)
            await asyncio.to_thread(accounts.record_logout, self.engine, login.user.name, "expired")

    async def _close_everything(self, app: web.Application) -> None:
        self.sweeper.cancel()
        for login in self.logins.all():
            await self._close_apps(login)
        await asyncio.gather(*self._ending, return_exceptions=True)  # tabs whose apps are still stopping

    async def _close_apps(self, login: Login) -> None:
        for service in list(login.apps):
            socket = self.sockets.get(service)
            if socket is not None:
                await socket.close()
            await service.stop()

    # -- who is asking ----------------------------------------------------------------------

    def client_address(self, request: web.Request) -> str:
        if self.trust_proxy and (forwarded := request.headers.get("X-Forwarded-For")):
            return forwarded.split(",")[0].strip()[:64]
        return request.remote or "?"

    def is_https(self, request: web.Request) -> bool:
        if self.trust_proxy and request.headers.get("X-Forwarded-Proto", "").lower() == "https":
            return True
        return request.secure

    def login_of(self, request: web.Request) -> Login | None:
        return self.logins.find(request.cookies.get(COOKIE))

    def same_origin(self, request: web.Request) -> bool:
        """A websocket may only be opened by our own page (a browser always sends Origin)."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        host = request.headers.get("X-Forwarded-Host") if self.trust_proxy else None
        return urlsplit(origin).netloc.lower() == (host or request.host).lower()

    def running(self) -> int:
        """The tabs holding a place: apps running, starting, or about to start."""
        return self._reserved

    # -- pages ------------------------------------------------------------------------------

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.login_of(request) is None:
            expired = "?expired=1" if request.cookies.get(COOKIE) else ""
            return _redirect("login" + expired)
        if self.running() >= self.max_sessions:
            return _html(pages.notice_page(pages.TEXT["full"].format(limit=self.max_sessions)), 503)
        font_size = _bounded(request.query.get("fontsize"), 16, 8, 40)
        return _html(pages.app_page(font_size))

    async def handle_favicon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def handle_login_page(self, request: web.Request) -> web.Response:
        if "expired" in request.query:
            return _html(pages.login_page(self.place, pages.TEXT["expired"], info=True))
        if "out" in request.query:
            return _html(pages.login_page(self.place, pages.TEXT["logged_out"], info=True))
        return _html(pages.login_page(self.place))

    async def handle_login(self, request: web.Request) -> web.Response:
        form = await request.post()
        name = form.get("name") if isinstance(form.get("name"), str) else ""
        password = form.get("password") if isinstance(form.get("password"), str) else ""
        name = name.strip()[:64]
        address = self.client_address(request)
        wait = self.throttle.attempt(address)  # counted before the first await: see Throttle.attempt
        if wait:
            await asyncio.to_thread(accounts.record_throttled, self.engine, address, name)
            message = f"这台电脑登录失败次数过多，请 {max(1, round(wait / 60))} 分钟后再试"
            return _html(pages.login_page(self.place, message, name=name), 429)
        user = None
        try:
            user = await asyncio.to_thread(accounts.authenticate, self.engine, name, password,
                                           where=f"browser {address}")
        except ArchiveError as error:
            return _html(pages.login_page(self.place, error.message, name=name), 401)
        finally:  # whatever ended it (an internal error, a dropped connection) counts as a failure
            if user is None:
                self.throttle.failed(address)
            else:
                self.throttle.succeeded(address)
        login = self.logins.start(user, address)
        response = _redirect("./")
        # no Path: the browser keeps the cookie to the folder of the page it logged in on, so under a
        # proxy's prefix (https://…/archive/) it goes to that prefix only
        response.set_cookie(COOKIE, login.token, path="", httponly=True, samesite="Strict",
                            secure=self.is_https(request))
        return response

    async def handle_logout(self, request: web.Request) -> web.Response:
        login = self.logins.end(request.cookies.get(COOKIE))
        if login is not None:
            await self._close_apps(login)
            await asyncio.to_thread(accounts.record_logout, self.engine, login.user.name, "logout")
        response = _redirect("login?out=1")
        response.del_cookie(COOKIE, path="")
        return response

    # -- the app over a websocket -----------------------------------------------------------

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        login = self.login_of(request)
        if login is None:
            raise web.HTTPUnauthorized(text="请先登录")
        if not self.same_origin(request):
            raise web.HTTPForbidden(text="来源不符")
        if self.running() >= self.max_sessions:
            raise web.HTTPServiceUnavailable(text=pages.TEXT["full"].format(limit=self.max_sessions))
        self._reserved += 1  # the place is taken before the first await: tabs opened together cannot all pass
        socket = web.WebSocketResponse(heartbeat=15, max_msg_size=1024 * 1024)
        service = None
        try:
            try:
                await asyncio.to_thread(accounts.session_user, self.engine, login.user.name)
            except ArchiveError as error:
                self.logins.end(login.token)
                raise web.HTTPForbidden(text=error.message)
            width, height = _terminal_size(request.query.get("width"), request.query.get("height"))
            await socket.prepare(request)
            service = AccountApp(login, self.config.path, self.app_command, write_bytes=socket.send_bytes,
                                 write_str=socket.send_str, close=socket.close, download_manager=self.downloads)
            login.apps.add(service)
            self.sockets[service] = socket
            await service.start(width, height)
            await self._relay(socket, service, login)
        except asyncio.CancelledError:
            if not socket.prepared:  # gone before its websocket opened: nothing to answer
                raise
        except (ConnectionError, OSError) as error:
            log.warning("会话中断：%s", error)
        finally:  # the app ended, failed to start, or was refused: once it is gone, its place is free again
            ending = asyncio.ensure_future(self._end_tab(login, service, socket))
            self._ending.add(ending)  # kept (and finished) even when this handler is cancelled meanwhile
            ending.add_done_callback(self._ending.discard)
            await asyncio.shield(ending)
        return socket

    async def _end_tab(self, login: Login, service: AccountApp | None, socket: web.WebSocketResponse) -> None:
        try:
            if service is not None:
                await service.stop()
        finally:
            if service is not None:
                login.apps.discard(service)
                self.sockets.pop(service, None)
            self._reserved -= 1
            if socket.prepared:
                await socket.close()

    async def _relay(self, socket: web.WebSocketResponse, service: AccountApp, login: Login) -> None:
        """What the browser sends, to the app; anything malformed is ignored."""
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            envelope = _envelope(message.data)
            if envelope is None:
                continue
            kind, data = envelope
            if kind == "stdin" and isinstance(data, str):
                self.logins.touch(login)
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                self.logins.touch(login)
                await service.set_terminal_size(*_terminal_size(data.get("width"), data.get("height")))
            elif kind == "ping":
                await socket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    # -- files the app offers ---------------------------------------------------------------

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        login = self.login_of(request)
        key = request.match_info["key"]
        try:
            download = await self.downloads.get_download_metadata(key)
        except KeyError:
            raise web.HTTPNotFound(text="没有这个下载（已下载过或已过期）")
        if login is None or download.app_service not in login.apps:
            raise web.HTTPNotFound(text="没有这个下载（已下载过或已过期）")
        response = web.StreamResponse()
        content_type = download.mime_type or "application/octet-stream"
        if download.encoding:
            content_type += f"; charset={download.encoding}"
        response.headers["Content-Type"] = content_type
        disposition = "inline" if download.open_method == "browser" else "attachment"
        response.headers["Content-Disposition"] = content_disposition(disposition, download.file_name)
        response.headers["X-Content-Type-Options"] = "nosniff"
        await response.prepare(request)
        async for chunk in self.downloads.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response


def content_disposition(disposition: str, file_name: str) -> str:
    """A Content-Disposition that keeps a Chinese file name (RFC 6266 / 5987), with a plain
    ASCII fallback for old clients; no path, quotes or control characters get through."""
    name = re.sub(r"[\x00-\x1f\x7f\"\\/]", "_", Path(file_name).name) or "download"
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _envelope(text: str) -> tuple[str, object] | None:
    try:
        envelope = json.loads(text)
    except ValueError:
        return None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        return None
    return envelope[0], envelope[1] if len(envelope) > 1 else None


def _bounded(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return min(max(number, low), high)


def _redirect(location: str) -> web.Response:
    """A redirect to an address relative to the request (never a fixed host)."""
    return web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


def _terminal_size(width: object, height: object) -> tuple[int, int]:
    """Columns and rows the browser asks for, kept to what a screen can be (80×24 when unreadable)."""
    return _bounded(width, 80, 20, 400), _bounded(height, 24, 8, 200)


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Referrer-Policy": "no-referrer"})


def listening_addresses(host: str, port: int) -> list[str]:
    """The addresses to type into a browser on another computer (for the startup message)."""
    import socket

    if host not in ("0.0.0.0", "::", ""):
        return [f"http://{host}:{port}/"]
    found = []
    try:
        for address in socket.gethostbyname_ex(socket.gethostname())[2]:
            if not address.startswith("127."):
                found.append(f"http://{address}:{port}/")
    except OSError:
        pass
    return found or [f"http://127.0.0.1:{port}/"]


def serve(config: Config, engine: Engine, host: str, port: int, *, idle_minutes: int, max_sessions: int,
          trust_proxy: bool, say=print) -> None:
    """Run the server until Ctrl+C."""
    if not accounts.list_users(engine):
        raise ArchiveError("还没有账户，网页无法登录：先用 archive-tui users add 账户名 --role archivist 添加")
    server = ArchiveServer(config, engine, idle=dt.timedelta(minutes=idle_minutes), max_sessions=max_sessions,
                           trust_proxy=trust_proxy)
    say(f"archive-tui 网页版（{server.place}）：")
    for address in listening_addresses(host, port):
        say(f"  {address}")
    say("局域网内其他电脑用浏览器打开上面的地址，以账户登录。按 Ctrl+C 停止。")
    os.environ.pop("TEXTUAL", None)  # no devtools in served apps
    web.run_app(server.make_app(), host=host, port=port, print=None, access_log=None)
