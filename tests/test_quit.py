"""Quitting the real app in a real terminal returns to the shell at once, with the inbox
watcher running and a page arriving just then: the page is filed whole or left in the inbox."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest
from PIL import Image
from sqlalchemy import select as sql_select

from archive_tui.bootstrap import context_for
from archive_tui.db import open_database
from archive_tui.services.exchange.demo import fill_demo
from models import ScanPage
from tests.conftest import another_archive

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")


def read_until(master: int, wanted: bytes, seconds: float) -> bytes:
    """What the app drew on its terminal until ``wanted`` appears (or the time is up)."""
    seen, end = b"", time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen


def test_q_returns_to_the_shell_at_once_and_a_page_arriving_is_filed_whole_or_left(tmp_path):
    import pty

    folder = tmp_path / "档案 文件夹"
    config, engine = another_archive(folder)
    fill_demo(context_for(engine, config), households=5, seed=1)
    config.inbox.mkdir(exist_ok=True)
    engine.dispose()
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    app = subprocess.Popen([sys.executable, "-m", "archive_tui"], cwd=folder, stdin=slave, stdout=slave,
                           stderr=slave, env=env, close_fds=True)
    os.close(slave)
    try:
        drawn = read_until(master, "帮助".encode(), 60)  # the footer's first key: the app is drawn
        assert "帮助".encode() in drawn, drawn[-500:]
        page = config.inbox / "Z001-NJ·2018-Y-00001_001.jpg"
        Image.new("L", (400, 560), 255).save(page, dpi=(300, 300))
        old = time.time() - 120
        os.utime(page, (old, old))  # written a while ago: the watcher may take it right now
        time.sleep(0.3)
        os.write(master, b"q")
        end = time.monotonic() + 20  # before the fix the watcher slept out its 60-second rescan
        while app.poll() is None and time.monotonic() < end:
            read_until(master, b"\0", 0.2)  # keep reading what it draws: a full terminal would block it
    finally:
        quit_in_time = app.poll() is not None
        if not quit_in_time:
            app.kill()
        os.close(master)
    assert quit_in_time and app.returncode == 0
    engine = open_database(config.database_url)
    with engine.connect() as connection:
        rows = connection.execute(sql_select(ScanPage.__table__.c.store_path)).scalars().all()
    engine.dispose()
    in_inbox = page.exists()
    filed = [path for path in rows if (folder / path).is_file()]
    assert in_inbox != bool(filed) and len(rows) == len(filed)  # one or the other, never half
    assert not list(config.store.rglob("*.part"))
