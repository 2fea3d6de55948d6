"""Worker processes for work on scans (测量、解码): one per core, spawned rather than forked.

The app runs these jobs in a thread, and a fork would copy the other threads' locks; spawning
is also how Windows starts them, so what is tested here is what runs there."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait

MOST_WORKERS = 8


def worker_count() -> int:
    return min(os.cpu_count() or 1, MOST_WORKERS)


def worker_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes (one per core by default), each of which ends
    when the process that started it ends, however it ends."""
    return ProcessPoolExecutor(workers or worker_count(), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_end_with_parent)


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
