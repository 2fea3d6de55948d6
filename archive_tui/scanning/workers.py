"""Worker processes for work on scans (测量、解码): one per core, spawned rather than forked.

The app runs these jobs in a thread, and a fork would copy the other threads' locks; spawning
is also how Windows starts them, so what is tested here is what runs there."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

MOST_WORKERS = 8


def worker_count() -> int:
    return min(os.cpu_count() or 1, MOST_WORKERS)


def worker_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes (one per core by default)."""
    return ProcessPoolExecutor(workers or worker_count(), mp_context=multiprocessing.get_context("spawn"))
