"""A township's HTTPS reverse proxy, as nginx would be set up in front of ``serve``: TLS with a
self-signed certificate, the app under a path prefix (``/archive/``), the prefix stripped,
Host kept, X-Forwarded-For/Proto/Host added and websockets passed through.

Only for tests: it runs in a thread with its own event loop.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
from pathlib import Path

import aiohttp
from aiohttp import web

PREFIX = "/archive"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "content-encoding"}


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, made by openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class TlsProxy:
    def __init__(self, backend: str, folder: Path):
        self.backend = backend.rstrip("/")
        self.cert, self.key = self_signed(folder)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> str:
        self._thread.start()
        self._ready.wait(20)
        return f"https://127.0.0.1:{self.port}{PREFIX}/"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(20)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _shutdown(self) -> None:
        await self.client.close()
        await self.runner.cleanup()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", PREFIX, self._to_slash)
        app.router.add_route("*", PREFIX + "/{tail:.*}", self._forward)
        self.runner = runner = web.AppRunner(app)
        await runner.setup()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.client = aiohttp.ClientSession(auto_decompress=False)

    async def _to_slash(self, request: web.Request) -> web.Response:
        return web.Response(status=301, headers={"Location": PREFIX + "/"})

    def _headers(self, request: web.Request) -> dict[str, str]:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP
                   and not k.lower().startswith("sec-websocket")}
        headers["X-Forwarded-For"] = "10.20.30.40"
        headers["X-Forwarded-Proto"] = "https"
        headers["X-Forwarded-Host"] = request.host
        return headers

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        target = f"{self.backend}/{request.match_info['tail']}"
        if request.query_string:
            target += "?" + request.query_string
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request, target.replace("http://", "ws://", 1))
        async with self.client.request(request.method, target, headers=self._headers(request),
                                       data=await request.read(), allow_redirects=False) as answer:
            response = web.StreamResponse(status=answer.status)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    response.headers.add(name, value)
            await response.prepare(request)
            async for chunk in answer.content.iter_chunked(65536):
                await response.write(chunk)
            await response.write_eof()
            return response

    async def _websocket(self, request: web.Request, target: str) -> web.WebSocketResponse:
        browser = web.WebSocketResponse()
        await browser.prepare(request)
        async with self.client.ws_connect(target, headers=self._headers(request)) as app:
            async def pass_on(source, sink) -> None:
                async for message in source:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        await sink.send_str(message.data)
                    elif message.type == aiohttp.WSMsgType.BINARY:
                        await sink.send_bytes(message.data)
                    else:
                        break
                await sink.close()

            await asyncio.gather(pass_on(browser, app), pass_on(app, browser), return_exceptions=True)
        return browser
