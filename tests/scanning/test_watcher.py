"""The inbox watcher stops as soon as it is told to, whatever it is waiting for (the app
waits for it when the archivist quits: a one-minute rescan wait was a one-minute quit)."""

from __future__ import annotations

import threading
import time

import pytest

from archive_tui.scanning.watcher import watch_folder


@pytest.mark.parametrize("polling", [False, True])
def test_a_stop_ends_a_long_rescan_wait_at_once(tmp_path, polling):
    stop, passes = threading.Event(), []
    thread = threading.Thread(target=watch_folder, args=(tmp_path, lambda: passes.append(1) or 0, stop),
                              kwargs={"rescan_seconds": 60, "stable_seconds": 2, "polling": polling})
    thread.start()
    for _ in range(100):
        if passes:
            break
        time.sleep(0.02)
    assert passes == [1]  # the first pass ran; now it waits up to a minute for the next
    asked = time.monotonic()
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 10  # not the minute of the rescan wait (typically ≤ STOP_LATENCY + 1 s)


def test_the_intakes_own_folders_and_mere_reads_do_not_wake_it(tmp_path):
    """Each pass takes its lock and writes what it set aside: were those changes to wake it, it would run
    pass after pass for ever on an idle inbox."""
    own = tmp_path / "_sheets"
    own.mkdir()
    page = tmp_path / "扫描 0001.jpg"
    page.write_bytes(b"x")
    stop, passes = threading.Event(), []
    thread = threading.Thread(target=watch_folder, args=(tmp_path, lambda: passes.append(1) or 0, stop),
                              kwargs={"rescan_seconds": 60, "stable_seconds": 0.1,
                                      "own": lambda path: path.startswith(str(own))})
    thread.start()
    try:
        for _ in range(100):
            if passes:
                break
            time.sleep(0.02)
        for _ in range(5):
            (own / "收取.lock").write_bytes(b"")
            page.read_bytes()
            time.sleep(0.1)
        time.sleep(1)
        assert passes == [1]
        (tmp_path / "扫描 0002.jpg").write_bytes(b"y")  # a new page from the scanner does wake it
        for _ in range(250):
            if len(passes) > 1:
                break
            time.sleep(0.02)
        assert len(passes) == 2
    finally:
        stop.set()
        thread.join(30)
