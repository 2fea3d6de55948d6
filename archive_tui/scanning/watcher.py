"""Watching the inbox (监视收件箱) with watchdog: a change wakes the intake, a periodic full
rescan catches what events missed, and files still being written are retried later. Only the
inbox and the folders one level down that the intake reads (its batch folders) are watched, each
on its own: a deep tree put into the inbox costs no watch per folder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver


class _Wake(FileSystemEventHandler):
    """Wakes the intake for a change made by someone else: a file merely opened or read, or a change in the
    intake's own folders (its lock, its set-aside files), would wake it for ever after each of its passes."""

    def __init__(self, changed: threading.Event, own: Callable[[str], bool]):
        self.changed, self.own = changed, own

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if all(self.own(str(path)) for path in paths if path):
            return
        self.changed.set()


STOP_LATENCY = 0.2  # seconds: how soon a stop request ends a wait (the app waits for it on quit)


def _wait(event: threading.Event, stop: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``event``; return early, False, once ``stop`` is set."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if event.wait(min(remaining, STOP_LATENCY)):
            return True
    return False


def watch_folder(
    folder: Path,
    run_pass: Callable[[], int],
    stop: threading.Event,
    *,
    rescan_seconds: float,
    stable_seconds: float,
    polling: bool = False,
    own: Callable[[str], bool] = lambda path: False,
    inner: Callable[[], list[Path]] | None = None,
) -> None:
    """Call ``run_pass`` at start, after changes, and every ``rescan_seconds`` until ``stop``.

    ``run_pass`` returns how many files it left waiting (still being written); they are
    looked at again after ``stable_seconds``. A network share wants ``polling``. ``inner``: the
    folders inside ``folder`` to watch as well (asked again after every pass: a batch folder
    that arrives is watched from then on); without it the whole tree is watched.
    """
    changed = threading.Event()
    wake = _Wake(changed, own)
    observer = PollingObserver(timeout=1) if polling else Observer()
    observer.schedule(wake, str(folder), recursive=inner is None)
    watched: dict[Path, object] = {}

    def follow_inner() -> None:
        """Watch the batch folders there are now, and no longer those that went."""
        if inner is None:
            return
        wanted = set(inner())
        for gone in set(watched) - wanted:
            try:
                observer.unschedule(watched.pop(gone))
            except (KeyError, OSError):
                pass
        for new in sorted(wanted - set(watched)):
            try:
                watched[new] = observer.schedule(wake, str(new), recursive=False)
            except OSError:
                pass  # gone meanwhile, or the system's limit of watches: the periodic rescan still finds its files

    observer.start()
    try:
        follow_inner()
        waiting = run_pass()
        follow_inner()
        while not stop.is_set():
            timeout = max(stable_seconds, 0.1) if waiting else rescan_seconds
            woke = _wait(changed, stop, timeout)
            if stop.is_set():
                break
            if woke:
                changed.clear()
                stop.wait(max(stable_seconds, 0.1))  # let a scanner or a copy finish writing
                if stop.is_set():
                    break
            follow_inner()  # before the pass: a batch folder it takes pages from is watched already
            waiting = run_pass()
            follow_inner()
    finally:
        observer.stop()
        observer.join(timeout=5)
