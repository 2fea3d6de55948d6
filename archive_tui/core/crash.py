"""崩溃日志: what went wrong unexpectedly is written to a file for the maintainer; the archivist
sees one Chinese sentence naming that file, never a traceback. The CLI and the TUI use the same
folder (``logs`` beside config.toml, else the user's log folder) and the same file names."""

from __future__ import annotations

import datetime as dt
import traceback
from pathlib import Path

import platformdirs

from archive_tui.core.privacy import write_private_text

TEXT = {
    "unexpected": "程序遇到意外问题，未能完成（{where}）",
    "written": "详细信息已写入 {path}，请发给维护人员",
    "not_written": "详细信息未能写入日志文件",
}


def log_folder(archive_folder: Path | None) -> Path:
    """``logs`` in the archive folder (where config.toml is), or the user's log folder when that
    cannot be made (a read-only medium)."""
    if archive_folder is not None:
        try:
            folder = archive_folder / "logs"
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        except OSError:
            pass
    folder = Path(platformdirs.user_log_dir("archive-tui", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_crash_log(archive_folder: Path | None, heading: str, error: BaseException | None = None) -> Path:
    """The traceback of ``error`` (or of the exception being handled) under ``heading`` in a new
    file 错误-YYYYmmdd-HHMMSS.log; a second failure in the same second gets its own file."""
    folder = log_folder(archive_folder)
    stamp = f"错误-{dt.datetime.now():%Y%m%d-%H%M%S}"
    path, number = folder / f"{stamp}.log", 1
    while path.exists():
        number += 1
        path = folder / f"{stamp}-{number}.log"
    trace = "".join(traceback.format_exception(error)) if error is not None else traceback.format_exc()
    return write_private_text(path, f"{heading}\n\n{trace}")  # names and ID numbers may be in it


def logged_text(archive_folder: Path | None, heading: str, error: BaseException | None = None) -> str:
    """Write the crash log and name it: 详细信息已写入 …，请发给维护人员."""
    try:
        return TEXT["written"].format(path=write_crash_log(archive_folder, heading, error))
    except OSError:
        return TEXT["not_written"]


def unexpected_text(archive_folder: Path | None, heading: str, error: BaseException | None = None) -> str:
    """Write the crash log and say so in Chinese: 程序遇到意外问题，未能完成（详细信息已写入 …）."""
    return TEXT["unexpected"].format(where=logged_text(archive_folder, heading, error))
