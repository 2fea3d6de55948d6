"""``archive-tui serve`` under ten browser sessions at once, on a county of 100,000 households.

    python bench/serve_bench.py [--households 100000] [--sessions 10]

Needs Debian's Chromium (``apt install chromium fonts-wqy-zenhei``) and Playwright (the test
extras). The archive comes from ``demo`` (built once, kept in the system temp folder, shared
with tui_bench.py). It prints, measured in one run:

* memory of each session's app process (RSS and PSS, the honest share of shared pages),
  beside the same app opened in a terminal (a pty) on the same archive: the ratio is what
  serving costs over the terminal;
* time from pressing 登录 to the app's first screen, and from key 2 to the household list
  showing ``共 100,000 户`` (read through the app's F12 screen hook), for one session alone
  and for each of ten sessions logging in at the same moment;
* that every session's process is gone after its tab closes, and how long that took.
"""

from __future__ import annotations

from archive_tui.bootstrap import context_for
from archive_tui.core.roles import Actor
import argparse
import asyncio
import html
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tui_bench import archive  # noqa: E402

PASSWORD = "bench-2026"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB, from /proc (Linux)."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1])
    return values["Rss:"], values["Pss:"]


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def terminal_app_memory(folder: Path) -> tuple[int, int]:
    """The same app process, as the same account, in a terminal (a pty, 100×30) instead of
    a browser, after it has drawn and gone quiet: its (RSS, PSS)."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(folder)
        os.environ.update(COLUMNS="100", LINES="30", TERM="xterm-256color", ARCHIVE_TUI_ACCOUNT="bench",
                          ARCHIVE_TUI_CONFIG=str(folder / "config.toml"))
        os.execv(sys.executable, [sys.executable, "-m", "archive_tui.web.session_app"])
    deadline, received, quiet_since = time.monotonic() + 60, 0, time.monotonic()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                received += len(os.read(fd, 65536))
            except OSError:
                break
            quiet_since = time.monotonic()
        elif received and time.monotonic() - quiet_since > 3:
            break
    used = memory_kib(pid)
    os.write(fd, b"q")
    while True:  # drain until the app has gone
        ready, _, _ = select.select([fd], [], [], 0.2)
        try:
            if ready and not os.read(fd, 65536):
                break
        except OSError:
            break
    os.waitpid(pid, 0)
    os.close(fd)
    return used


def svg_text(path: Path) -> str:
    svg = re.sub(r"<style>.*?</style>", "", path.read_text(encoding="utf-8"), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def screen_showing(page, hook: Path, wanted: str, seconds: float = 120) -> float:
    """Press F12 until the app's saved screen shows ``wanted``; returns the moment it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = set(hook.glob("*.svg"))
        await page.keyboard.press("F12")
        for _ in range(100):
            new = set(hook.glob("*.svg")) - before
            if new:
                break
            await asyncio.sleep(0.02)
        for path in new:
            try:
                if wanted in svg_text(path):
                    return time.monotonic()
            except OSError:
                pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the app never showed {wanted}")


async def one_session(browser, base: str, hook: Path, total: str) -> dict:
    context = await browser.new_context(viewport={"width": 1000, "height": 600})
    page = await context.new_page()
    await page.goto(base)
    await page.fill("#name", "bench")
    await page.fill("#password", PASSWORD)
    started = time.monotonic()
    await page.click("#login")
    await page.wait_for_selector("body.-first-byte", timeout=120_000)
    drawn = await screen_showing(page, hook, "操作员 bench")
    await page.keyboard.press("2")
    pressed = time.monotonic()
    listed = await screen_showing(page, hook, f"共 {total} 户")
    return {"context": context, "first_screen": drawn - started, "list": listed - pressed,
            "login_to_list": listed - started}


async def run(folder: Path, sessions: int, households: int) -> None:
    from playwright.async_api import async_playwright

    hook = Path(tempfile.mkdtemp(prefix="serve-bench-screens-"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "archive_tui", "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--max-sessions", str(sessions + 2)], cwd=folder,
                              env={**os.environ, "ARCHIVE_TUI_TEST_SCREENS": str(hook)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "login", timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    total = f"{households:,}"
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                                       args=FLAGS, headless=True)
            alone = await one_session(browser, base, hook, total)
            await alone["context"].close()
            await asyncio.sleep(2)
            crowd = await asyncio.gather(*(one_session(browser, base, hook, total) for _ in range(sessions)))
            await asyncio.sleep(3)
            apps = children(server.pid)
            used = [memory_kib(pid) for pid in apps]
            server_used = memory_kib(server.pid)
            closing = time.monotonic()
            for session in crowd:
                await session["context"].close()
            while children(server.pid) and time.monotonic() - closing < 60:
                await asyncio.sleep(0.1)
            left = children(server.pid)
            gone_after = time.monotonic() - closing
            await browser.close()
    finally:
        server.terminate()
        server.wait(20)
    terminal = terminal_app_memory(folder)

    rss = [r for r, _ in used]
    pss = [p for _, p in used]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{households:,} households; {sessions} sessions at once")
    print(f"app processes while {sessions} tabs were open: {len(apps)}")
    print(f"memory per session: RSS median {statistics.median(rss) / 1024:.0f} MiB, "
          f"PSS median {statistics.median(pss) / 1024:.0f} MiB (all {sessions}: PSS {sum(pss) / 1024:.0f} MiB); "
          f"server itself RSS {server_used[0] / 1024:.0f} MiB")
    print(f"the same app in a terminal: RSS {terminal[0] / 1024:.0f} MiB, PSS {terminal[1] / 1024:.0f} MiB; "
          f"browser session / terminal (PSS): {statistics.median(pss) / terminal[1]:.2f}")
    print(f"one session alone: login → first screen {alone['first_screen']:.2f} s, key 2 → list of {total} "
          f"{alone['list']:.2f} s, login → list {alone['login_to_list']:.2f} s")
    together = [s["login_to_list"] for s in crowd]
    ratio = statistics.median(together) / alone["login_to_list"]
    print(f"{sessions} logging in at once: login → list median {statistics.median(together):.2f} s, "
          f"slowest {max(together):.2f} s (ratio to alone: {ratio:.1f}×)")
    print(f"after the tabs closed: {len(left)} app processes left, all gone within {gone_after:.2f} s")
    shutil.rmtree(hook, ignore_errors=True)


def prepare(households: int) -> Path:
    """The demo archive with a bench account."""
    from archive_tui.core.config import load_config
    from archive_tui.db import open_database
    from archive_tui.services.admin import accounts

    folder = archive(households)
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    if not any(user["name"] == "bench" for user in accounts.list_users(engine)):
        accounts.add_user(context_for(engine, actor=Actor.local("bench")), "bench", "archivist", PASSWORD)
    engine.dispose()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=10)
    options = parser.parse_args()
    asyncio.run(run(prepare(options.households), options.sessions, options.households))


if __name__ == "__main__":
    main()
