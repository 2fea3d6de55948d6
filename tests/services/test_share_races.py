"""Shares made at the same moment (issue 31): two ``share new`` at once each get a number of their
own — no raw IntegrityError with its SQL — on SQLite and PostgreSQL, in threads of one process and
in separate processes, and each package lands whole in its own folder with its own number printed."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from archive_tui.audit import log
from archive_tui.bootstrap import context_for
from archive_tui.db import serialize_writers
from archive_tui.db.tables import SHARE
from archive_tui.services.exchange import sharing
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.exchange.sharing import ShareRequest, list_shares, new_share

TO = "正定县自然资源局"
AT_ONCE = 4


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=4, seed=8)


def _numbers(year: int, count: int) -> list[str]:
    return [f"共享{year}-{n:03d}" for n in range(1, count + 1)]


def test_shares_made_at_once_in_threads_get_numbers_of_their_own(engine, config, township, monkeypatch):
    """Every share has read the same next number before any is registered (they wait for each
    other there): each must still end with a number, a folder and a printed list of its own."""
    everyone_counted = threading.Barrier(AT_ONCE)
    write_ledger, print_list = sharing._write_ledger, sharing._print_list
    one_printer = threading.Lock()  # reportlab's font registry is not made for threads (processes print at once)

    def ledger_when_all_have_a_number(*args):
        everyone_counted.wait(timeout=60)
        write_ledger(*args)

    def print_in_turn(*args):
        with one_printer:
            print_list(*args)

    monkeypatch.setattr(sharing, "_write_ledger", ledger_when_all_have_a_number)
    monkeypatch.setattr(sharing, "_print_list", print_in_turn)
    with ThreadPoolExecutor(AT_ONCE) as pool:
        results = list(pool.map(lambda n: new_share(context_for(engine, config), ShareRequest(f"{TO}{n}")),
                                range(AT_ONCE)))
    year = dt.date.today().year
    assert sorted(result.number for result in results) == _numbers(year, AT_ONCE)
    shares = {row["number"]: row for row in list_shares(engine)}
    assert sorted(shares) == _numbers(year, AT_ONCE)
    assert {row["to"] for row in shares.values()} == {f"{TO}{n}" for n in range(AT_ONCE)}
    for result in results:
        assert result.folder == config.exports / "共享" / result.number
        assert sorted(path.name for path in result.folder.iterdir()) == [
            "发证台账.xlsx", "国家表.xlsx", "资料清单.csv", "资料清单.pdf"]
        text = "".join(page.extract_text() for page in PdfReader(result.folder / "资料清单.pdf").pages)
        assert result.number in text.replace("\n", "")
        assert shares[result.number]["digest"] == result.digest
        assert [event["action"] for event in log(engine, entity_key=result.number, limit=None)] == ["share.new"]
    assert not [path for path in (config.exports / "共享").iterdir() if path.name.startswith(sharing.WORK_PREFIX)]


def test_two_share_commands_at_once_both_succeed_with_two_numbers(engine, config, township):
    """The archivist's case: ``archive-tui share new`` started twice, by separate processes. The
    test holds the shares' writers back until both have built their packages (both have read the
    same next number by then), then lets them register."""
    command = [sys.executable, "-m", "archive_tui", "share", "new", "--to", TO]
    with engine.begin() as holding:
        serialize_writers(holding, SHARE)  # as a third writer would: the two wait for it
        running = [subprocess.Popen(command, cwd=config.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, encoding="utf-8") for _ in range(2)]
        deadline = time.monotonic() + 120
        while len(list((config.exports / "共享").rglob("资料清单.pdf"))) < 2:
            assert time.monotonic() < deadline and all(process.poll() is None for process in running), \
                [process.communicate() for process in running if process.poll() is not None]
            time.sleep(0.05)  # polling the folder for a condition, not waiting for a time
    finished = [process.communicate(timeout=300) for process in running]
    for process, (out, err) in zip(running, finished):
        assert process.returncode == 0, err
        assert "已生成共享包" in out
        for leak in ("Traceback", "IntegrityError", "[SQL", "sqlalche.me", "UNIQUE", "duplicate key"):
            assert leak not in out + err
    year = dt.date.today().year
    assert sorted(row["number"] for row in list_shares(engine)) == _numbers(year, 2)
    assert sorted(path.name for path in (config.exports / "共享").iterdir()) == _numbers(year, 2)


def test_a_leftover_folder_of_the_next_number_is_never_written_over(engine, config, township):
    """A folder of the number's name left with files in it (by hand): refused after the build, nothing
    registered, nothing of the package left behind, the folder untouched."""
    year = dt.date.today().year
    leftover = config.exports / "共享" / f"共享{year}-001"
    leftover.mkdir(parents=True)
    (leftover / "说明.txt").write_text("留着", encoding="utf-8")
    with pytest.raises(sharing.ArchiveError, match="已存在且不是空文件夹，未覆盖"):
        new_share(context_for(engine, config), ShareRequest(TO))
    assert list_shares(engine) == []
    assert sorted(path.name for path in (config.exports / "共享").iterdir()) == [leftover.name]
    assert [path.name for path in leftover.iterdir()] == ["说明.txt"]
