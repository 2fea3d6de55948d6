"""One way for the app to run an action (一个操作): its work in a thread worker, off the screen's
thread, and whatever happens the app goes on.

- success: ``done(result)`` runs on the app's thread (the worker waits for it, so a test or the
  app that waits for the workers sees what ``done`` started too);
- an ``ArchiveError`` (a user error, nothing changed): its message beside the form field it is
  about when the caller is a form that shows it (``field_errors_to``), else a notice;
- the database locked by another program (SQLite ``database is locked``): one sentence saying so;
- anything else: the traceback goes to a crash log (core.crash, the same folder and names as
  the CLI's) and the notice names that file.

``failed(text)`` (optional) runs after a failure was shown, for the caller to set itself right
again (a form's save button, an import's log). Nothing here touches the database itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.exc import OperationalError
from textual.dom import DOMNode
from textual.worker import Worker

from archive_tui.core.crash import unexpected_text
from archive_tui.core.errors import ArchiveError

TEXT = {
    "locked": "数据库正被其他程序占用（已锁定），请稍后重试。数据库未作改动。",
    "heading": "archive-tui 界面：{description}",
    "action": "操作",
}
DETAILS = 5  # lines of an error's details shown in a notice
NOTICE_SECONDS = 8
CRASH_SECONDS = 20  # the crash notice names a file: time to read it


class ShowsFieldErrors(Protocol):
    """A form that can put each message of an ``ArchiveError`` beside its field."""

    is_attached: bool

    def show_errors(self, error: ArchiveError) -> None: ...


def is_locked(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and "locked" in str(error).lower()


def report_failure(app, error: BaseException, *, field_errors_to: ShowsFieldErrors | None = None,
                   description: str = "", severity: str = "error", timeout: float = NOTICE_SECONDS) -> str:
    """Show what went wrong (on the app's thread) and return the Chinese text shown."""
    if isinstance(error, ArchiveError):
        if field_errors_to is not None and field_errors_to.is_attached:
            field_errors_to.show_errors(error)
            return error.message
        text = "\n".join([error.message, *error.details[:DETAILS]])
    elif is_locked(error):
        text, severity = TEXT["locked"], "error"
    else:
        config = getattr(app, "config", None)
        text = unexpected_text(getattr(config, "root", None),
                               TEXT["heading"].format(description=description or TEXT["action"]), error)
        severity, timeout = "error", max(timeout, CRASH_SECONDS)
    app.notify(text, severity=severity, timeout=timeout)
    return text


def run_action(owner: DOMNode, work: Callable[[], Any], *, done: Callable[[Any], object] | None = None,
               failed: Callable[[str], object] | None = None, field_errors_to: ShowsFieldErrors | None = None,
               description: str = "", group: str = "default", exclusive: bool = False,
               severity: str = "error", timeout: float = NOTICE_SECONDS) -> Worker[None]:
    """Run ``work()`` in a thread worker of ``owner`` (a screen or widget; ``group``/``exclusive``
    as Textual's: a new one in an exclusive group replaces the one running). Call on the app's
    thread. ``work`` must not touch widgets; ``done``, ``failed`` run on the app's thread."""
    app = owner.app

    def show(error: BaseException) -> None:
        text = report_failure(app, error, field_errors_to=field_errors_to, description=description,
                              severity=severity, timeout=timeout)
        if failed is not None:
            failed(text)

    def finish(result: Any, error: BaseException | None) -> None:
        """On the app's thread: a failure of ``done`` itself is shown like one of the work."""
        try:
            if error is not None:
                show(error)
            elif done is not None:
                done(result)
        except Exception as problem:  # noqa: BLE001 - the app goes on whatever a callback does
            if owner.is_attached:  # else the screen it was for has gone: nothing to show it on
                report_failure(app, problem, description=description)

    def job() -> None:
        try:
            result, error = work(), None
        except Exception as problem:  # noqa: BLE001 - every failure is shown, none ends the app
            result, error = None, problem
        if error is None and done is None:
            return  # nothing to tell: the app's thread is not disturbed (nor waited for while closing)
        if not app.is_running or getattr(app, "closing", False):
            return
        try:
            app.call_from_thread(finish, result, error)
        except RuntimeError:  # the app closed meanwhile
            pass

    return owner.run_worker(job, name=description or None, group=group, description=description,
                            exclusive=exclusive, thread=True, exit_on_error=False)
