"""``archive-tui serve`` in a real browser: Debian's Chromium, headless, driven by Playwright.

The archive is a township imported from an Excel workbook written the way Excel writes it
(tests/fixtures/real_sources.py). The page draws the app onto canvases, so what the app
shows is asserted through the app's own test hook (F12 saves the screen as SVG text when
ARCHIVE_TUI_TEST_SCREENS is set) and by screenshots compared with references in
tests/web/references/ (ARCHIVE_TUI_UPDATE_SCREENSHOTS=1 writes them anew: look at them
before committing). CI installs Chromium (.ci/run) and sets ARCHIVE_TUI_REQUIRE_BROWSER,
so there a missing browser fails instead of skipping.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from archive_tui.bootstrap import context_for
from archive_tui.core.roles import Actor
from archive_tui.core.config import load_config, write_default_config
from archive_tui.db import open_database
from archive_tui.services.admin import accounts
from archive_tui.audit import log
from archive_tui.services.households.search import build_missing
from tests.fixtures.real_sources import write_excel_export

PASSWORD = "dangan2026"
REFERENCES = Path(__file__).parent / "references"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1000, "height": 600}


def chromium() -> str:
    found = os.environ.get("ARCHIVE_TUI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("ARCHIVE_TUI_REQUIRE_BROWSER"):
            pytest.fail("没有找到 Chromium（CI 由 .ci/run 安装 Debian 的 chromium）")
        pytest.skip("Chromium is not installed (apt install chromium)")
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """An archive imported from Excel, two accounts, and ``serve`` running on 127.0.0.1."""
    pytest.importorskip("playwright")
    executable = chromium()
    folder = tmp_path_factory.mktemp("served") / "城关镇 档案"
    folder.mkdir()
    write_default_config(folder / "config.toml")
    workbook = write_excel_export(folder.parent / "城关镇.xlsx")
    imported = subprocess.run([sys.executable, "-m", "archive_tui", "import", str(workbook)], cwd=folder,
                              capture_output=True, text=True, encoding="utf-8")
    assert imported.returncode == 0, imported.stderr
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    build_missing(engine)
    accounts.add_user(context_for(engine, actor=Actor.local("管理员")), "张三", "archivist", PASSWORD)
    accounts.add_user(context_for(engine, actor=Actor.local("管理员")), "李四", "reader", PASSWORD)
    engine.dispose()
    hook = folder.parent / "screens"
    hook.mkdir()
    port = _free_port()
    log = (folder.parent / "serve.log").open("wb")
    command = [sys.executable, "-m", "archive_tui", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--behind-proxy"]
    server = subprocess.Popen(command, cwd=folder, env={**os.environ, "ARCHIVE_TUI_TEST_SCREENS": str(hook)},
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    _wait_for(base + "login", server, Path(log.name))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield {"base": base, "browser": browser, "hook": hook, "server": server, "database": config.database_url}
        browser.close()
    server.terminate()
    server.wait(20)
    log.close()


@pytest.fixture(autouse=True)
def _each_test_ends_its_tabs(served):
    """A tab a failed test left open is ended here, so that it cannot fail the tests after it
    (each test asserts that its own tab's process goes)."""
    yield
    left = _children(served["server"].pid)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_an_archivist_logs_in_searches_in_chinese_opens_a_file_and_downloads_a_list(served, tmp_path):
    context = served["browser"].new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.goto(served["base"])
    assert page.url.endswith("/login")
    _log_in(page, "张三", "not-the-password")
    assert "账户名或密码不对" in page.inner_text("#message")
    _log_in(page, "张三", PASSWORD)
    _wait_until_drawn(page)
    _screen_showing(page, served["hook"], "操作员 张三（档案员）", "共 2 个村 9 户")
    _compare(page, "dashboard.png", tmp_path)

    _search(page, "张建国")
    _screen_showing(page, served["hook"], "共 1 户", "张建国")
    opened = _enter_until(page, served["hook"], "130123101001010001", "东里村第一村民小组张建国户", "e 修改")
    assert "m 证件号" in opened  # an archivist may reveal a whole ID number
    _compare(page, "household-file.png", tmp_path)

    page.keyboard.press("6")
    _screen_showing(page, served["hook"], "x 导出")
    with page.expect_download(timeout=30_000) as waiting:
        page.keyboard.press("x")  # 质检问题清单 as XLSX
    download = waiting.value
    assert download.suggested_filename == "质检问题清单.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    import openpyxl

    assert openpyxl.load_workbook(saved).active.max_row >= 1

    apps = _children(served["server"].pid)
    assert len(apps) == 1
    context.close()  # the tab closes: its app process goes
    _wait_for_gone(apps)


def test_a_reader_sees_the_file_with_id_numbers_masked(served, tmp_path):
    """Opened by another name of the same server (localhost, not 127.0.0.1): nothing in the page
    names a fixed host, so the login, the websocket and the app all work under it."""
    context = served["browser"].new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(served["base"].replace("127.0.0.1", "localhost"))
    _log_in(page, "李四", PASSWORD)
    _wait_until_drawn(page)
    _search(page, "张建国")
    _screen_showing(page, served["hook"], "共 1 户")
    shown = _enter_until(page, served["hook"], "操作员 李四（查阅）", "东里村第一村民小组张建国户",
                         "esc 返回")  # the file's footer is drawn: the keys it offers can be read
    head_id = _id_of("张建国")
    assert head_id not in shown and head_id[:6] in shown  # masked ...
    assert "m 证件号" not in shown and "e 修改" not in shown  # ... with no key to reveal it, nothing to change
    apps = _children(served["server"].pid)
    context.close()
    _wait_for_gone(apps)


def test_behind_an_https_proxy_under_a_path_prefix(served, tmp_path):
    """As a township's nginx would serve it: https://…/archive/ (TLS, the prefix stripped before
    serve, X-Forwarded-* added). The login, the websocket (now wss), the app and a download all
    go through the proxy; the cookie is Secure and kept to /archive."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    from tests.web.tls_proxy import TlsProxy

    proxy = TlsProxy(served["base"], tmp_path)
    address = proxy.start()
    try:
        context = served["browser"].new_context(viewport=VIEWPORT, ignore_https_errors=True, accept_downloads=True)
        page = context.new_page()
        page.goto(address.rstrip("/"))
        assert page.url == address + "login"
        _log_in(page, "张三", PASSWORD)
        _wait_until_drawn(page)
        _screen_showing(page, served["hook"], "操作员 张三（档案员）")
        (cookie,) = context.cookies()
        assert cookie["secure"] and cookie["httpOnly"] and cookie["path"] == "/archive"
        page.keyboard.press("6")
        _screen_showing(page, served["hook"], "x 导出")
        with page.expect_download(timeout=30_000) as waiting:
            page.keyboard.press("x")
        assert waiting.value.url.startswith(address + "download/")
        assert waiting.value.suggested_filename == "质检问题清单.xlsx"
        apps = _children(served["server"].pid)
        context.close()
        _wait_for_gone(apps)
    finally:
        proxy.stop()
    engine = open_database(served["database"])
    logins = [e for e in log(engine, limit=None) if e["action"] == "login.ok" and "10.20.30.40" in str(e["after"])]
    engine.dispose()
    assert [e["operator"] for e in logins] == ["张三"]  # the user's own address, as the proxy said


# -- helpers ----------------------------------------------------------------------------------


def _id_of(name: str) -> str:
    from tests.fixtures.real_sources import TOWNSHIP

    return next(row["CBFZJHM"] for row in TOWNSHIP["CBF"] if row["CBFMC"] == name)


def _search(page, text: str) -> None:
    """Section 2 (户卷), the search box (/), then the text typed as a person types it."""
    for key in ("2", "/"):
        page.keyboard.press(key)
        _wait_until_still(page)
    page.keyboard.type(text, delay=50)
    _wait_until_still(page)


def _log_in(page, name: str, password: str) -> None:
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_load_state()


def _wait_until_drawn(page) -> None:
    page.wait_for_selector("body.-first-byte", timeout=30_000)
    _wait_until_still(page)


def _wait_until_still(page, seconds: float = 30) -> bytes:
    """The page once two screenshots 0.6 s apart are the same (the app has finished drawing)."""
    deadline = time.monotonic() + seconds
    last = page.screenshot()
    while time.monotonic() < deadline:
        time.sleep(0.6)
        shot = page.screenshot()
        if shot == last:
            return shot
        last = shot
    return last


def _screen_showing(page, hook: Path, *wanted: str, seconds: float = 30) -> str:
    """What the app shows, as text, once it shows all of ``wanted``: F12 makes the app save its
    screen as SVG (the test hook), asked again until the app has caught up with the keys."""
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        text = _screen_text(page, hook)
        if all(part in text for part in wanted):
            return text
        time.sleep(0.3)
    raise AssertionError(f"the app never showed {wanted}; last screen:\n{text}")


def _enter_until(page, hook: Path, *wanted: str, tries: int = 6) -> str:
    """Enter, from the search to the list and then into the household file, until the file is
    shown: a busy machine may still be moving the focus when the next key arrives (a second
    Enter typed at once then lands in the search box and the file never opens)."""
    for _ in range(tries):
        page.keyboard.press("Enter")
        try:
            return _screen_showing(page, hook, *wanted, seconds=10)
        except AssertionError:
            continue
    return _screen_showing(page, hook, *wanted)


def _screen_text(page, hook: Path, seconds: float = 15) -> str:
    before = set(hook.glob("*.svg"))
    page.keyboard.press("F12")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        new = set(hook.glob("*.svg")) - before
        whole = max(new).read_text(encoding="utf-8") if new else ""
        if whole.rstrip().endswith("</svg>"):  # written to the end: a busy machine may be mid-write
            svg = re.sub(r"<style>.*?</style>", "", whole, flags=re.S)
            return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")
        time.sleep(0.1)
    raise AssertionError("the app saved no screen on F12")


def _compare(page, name: str, tmp_path: Path, tolerance: float = 0.01) -> None:
    """The page as a screenshot against the reference: at most ``tolerance`` of the pixels
    differ visibly (fonts are the same on every machine the tests run on)."""
    shot = tmp_path / name
    shot.write_bytes(_wait_until_still(page))
    reference = REFERENCES / name
    if os.environ.get("ARCHIVE_TUI_UPDATE_SCREENSHOTS") or not reference.exists():
        REFERENCES.mkdir(exist_ok=True)
        shutil.copyfile(shot, reference)
        if not os.environ.get("ARCHIVE_TUI_UPDATE_SCREENSHOTS"):
            pytest.fail(f"no reference {reference} yet: one was written from this run; look at it and commit it")
        return
    actual, expected = Image.open(shot).convert("RGB"), Image.open(reference).convert("RGB")
    assert actual.size == expected.size
    difference = ImageChops.difference(actual, expected).convert("L").point(lambda v: 255 if v > 64 else 0)
    share = difference.histogram()[255] / (actual.width * actual.height)
    if share > tolerance:
        difference.save(tmp_path / f"diff-{name}")
        pytest.fail(f"{name}: {share:.2%} of the pixels differ from the reference (see {tmp_path})")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(log.read_text(encoding="utf-8", errors="replace"))
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"serve did not answer at {url}")


def _children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _wait_for_gone(pids: list[int], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):  # not even a zombie: reaped
            return
        time.sleep(0.2)
    raise AssertionError(f"app processes still running after the tab closed: {pids}")

