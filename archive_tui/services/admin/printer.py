"""Sending a made form to the office printer (打印机): ``[print] printer`` in config.toml.

CUPS ``lp -d 名称 文件`` where ``lp`` is installed (Linux, macOS); the Windows print verb
(``os.startfile(path, "print")``, the system's default printer) on Windows. A form is only
"已发送到打印机" when it went to the printer; a file only written is "已生成".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui.services.printed import unprinted_warnings

LP_SUFFIXES = (".pdf",)  # what lp is given: CUPS prints a PDF; an XLSX or CSV would come out as raw bytes
LP_TIMEOUT = 60  # seconds lp may take to hand the job to the spooler


def printer_name(config: Config) -> str:
    """The configured printer ("" when none)."""
    return config.settings.print.printer.strip()


def _windows() -> bool:
    return sys.platform == "win32"


def check_printer(config: Config, path: Path | None = None) -> str:
    """Refuse, before any work, a print that cannot happen: no printer configured, no ``lp``, or
    (with lp) a file that is not a PDF. Returns the printer's name."""
    name = printer_name(config)
    if not name:
        raise ArchiveError("没有设定打印机：请在 config.toml 的 [print] 中填写 printer = \"打印机名称\"（CUPS 队列名见 "
                           "lpstat -p），或不加 --print 只生成文件", field="print.printer")
    if _windows():
        return name
    if shutil.which("lp") is None:
        raise ArchiveError(f"找不到打印命令 lp（CUPS）：无法发送到打印机 {name}；请安装 CUPS（cups-client），"
                           "或不加 --print 只生成文件")
    if path is not None and path.suffix.lower() not in LP_SUFFIXES:
        raise ArchiveError(f"打印机 {name} 只能打印 PDF：{path.name} 不是 PDF；请用 --out 文件名.pdf，"
                           "或不加 --print 只生成文件")
    return name


def send_to_printer(config: Config, path: Path) -> str:
    """Send the made file ``path`` to the configured printer; returns the printer's name.
    A refusal (no printer, no lp, lp failing) is an ArchiveError with lp's own message."""
    path = Path(path)
    name = check_printer(config, path)
    if not path.is_file():
        raise ArchiveError(f"要打印的文件 {path} 不存在")
    if _windows():
        try:
            os.startfile(str(path), "print")  # type: ignore[attr-defined]  # Windows only
        except OSError as error:
            raise ArchiveError(f"发送到打印机失败（{path.name}）：{error.strerror or error}") from None
        return name
    try:
        done = subprocess.run(["lp", "-d", name, str(path)], capture_output=True, timeout=LP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ArchiveError(f"发送到打印机 {name} 超时（{LP_TIMEOUT} 秒无响应）：{path.name} 已生成，未打印") from None
    except OSError as error:
        raise ArchiveError(f"无法运行 lp：{error.strerror or error}；{path.name} 已生成，未打印") from None
    if done.returncode != 0:
        reason = _text(done.stderr) or _text(done.stdout) or f"退出码 {done.returncode}"
        raise ArchiveError(f"发送到打印机 {name} 失败：{reason}（{path.name} 已生成，未打印）")
    return name


def _text(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding).strip()
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace").strip()


def made_message(path: Path, printer: str | None = None) -> str:
    """What the user is told about a made form: sent to the printer, or only generated."""
    return f"已发送到打印机 {printer}：{Path(path).name}" if printer else f"已生成 {path}"


def make_known(config: Config, path: Path) -> tuple[str, bool]:
    """For the app's ``p``: the form at ``path`` is made; when a printer is configured it is also
    sent there. Returns (the message, False when sending failed — the message then says why);
    the message names any character the form printed as □."""
    made = made_message(path) + "".join(f"；注意：{warning}" for warning in unprinted_warnings(Path(path)))
    if not printer_name(config):
        return made, True
    try:
        name = send_to_printer(config, Path(path))
    except ArchiveError as error:
        return f"{made}；未能发送到打印机：{error.message}", False
    return f"{made}；{made_message(path, name)}", True
