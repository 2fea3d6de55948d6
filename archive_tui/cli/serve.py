"""serve: the app in a browser on the township LAN, with logins (accounts: ``users``)."""

from __future__ import annotations

import errno
from typing import Annotated

import typer

from archive_tui.cli.common import app, engine_for, load, out
from archive_tui.core.errors import ArchiveError


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="监听的地址（0.0.0.0：局域网内都可访问；127.0.0.1：只限本机）")]
    = "0.0.0.0",
    port: Annotated[int, typer.Option("--port", help="端口", min=1, max=65535)] = 8600,
    idle_minutes: Annotated[int, typer.Option(
        "--idle-minutes", help="多少分钟无操作后登录过期", min=1, max=24 * 60)] = 30,
    max_sessions: Annotated[int, typer.Option(
        "--max-sessions", help="最多同时打开的会话（浏览器标签页）", min=1, max=500)] = 20,
    trust_proxy: Annotated[bool, typer.Option(
        "--behind-proxy", help="在反向代理（HTTPS）之后：采信 X-Forwarded-For/Proto/Host")] = False,
) -> None:
    """在局域网内以网页提供本程序：浏览器打开、以账户登录（账户用 users add 添加）。"""
    from archive_tui.web.server import serve

    config = load()
    try:
        serve(config, engine_for(config), host, port, idle_minutes=idle_minutes, max_sessions=max_sessions,
              trust_proxy=trust_proxy, say=lambda line: out.print(line, markup=False))
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
            raise ArchiveError(f"端口 {port} 已被占用：换一个端口（--port）或先关闭占用它的程序") from error
        if error.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
            raise ArchiveError(f"不能在 {host}:{port} 上监听（{error.strerror}）：检查 --host 与 --port") from error
        raise
