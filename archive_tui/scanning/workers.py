"""Worker processes for work on scans (测量、解码): one per core, spawned rather than forked.

The app runs these jobs in a thread, and a fork would copy the other threads' locks; spawning
is also how Windows starts them, so what is tested here is what runs there."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait

MOST_WORKERS = 8


def worker_count() -> int:
    return min(os.cpu_count() or 1, MOST_WORKERS)


def worker_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes (one per core by default), each of which ends
    when the process that started it ends, however it ends."""
    _resource_tracker_started()
    return ProcessPoolExecutor(workers or worker_count(), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_end_with_parent)


def _resource_tracker_started() -> None:
    """Start multiprocessing's resource tracker (POSIX) with the real standard error: in the app,
    Textual's stand-in for sys.stderr has no file descriptor (-1), and the tracker, started with the
    first worker, hands it to its process, which fails ("bad value(s) in fds_to_keep")."""
    if os.name != "posix":
        return
    from multiprocessing import resource_tracker

    stand_in = sys.stderr
    try:
        if sys.__stderr__ is not None and _no_descriptor(stand_in):
            sys.stderr = sys.__stderr__
        resource_tracker.ensure_running()
    finally:
        sys.stderr = stand_in


def _no_descriptor(stream) -> bool:
    try:
        return stream is None or stream.fileno() < 0
    except (AttributeError, OSError, ValueError):
        return True


def _end_with_parent() -> None:
    """In a worker: end it as soon as its parent is gone (killed, crashed). A pool's workers wait
    for work on a pipe they hold both ends of, so they would otherwise wait for ever."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="parent watch", daemon=True).start()
