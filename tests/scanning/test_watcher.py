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
