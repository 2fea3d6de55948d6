"""The entry point: the root callback, the command groups in their order, and the rule that
a user sees one Chinese line, never a traceback."""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError

from archive_tui.core.config import find_config
from archive_tui.core.crash import logged_text, unexpected_text
from archive_tui.core.errors import ArchiveError
from typer import _click

from archive_tui.cli import chinese
from archive_tui.cli.common import app, ask_password, engine_for, err, load, state
from archive_tui.services.admin.accounts import authenticate
# each module registers its commands on import: households, checks, audit first, as in `archive-tui --help`
from archive_tui.cli import households
from archive_tui.cli import checks
from archive_tui.cli import audit
from archive_tui.cli import certs, copies, disputes, files, items, printing, report, scans  # noqa: F401
from archive_tui.cli import serve, share, transfers, use, users  # noqa: F401 - serve registers itself


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Optional[Path], typer.Option("--config", help="配置文件（默认 ./config.toml，再找用户配置文件夹）")
    ] = None,
    operator: Annotated[Optional[str], typer.Option("--operator", help="操作员姓名（记入审计日志）")] = None,
    user: Annotated[Optional[str], typer.Option(
        "--user", help="以账户登录（提示输入密码）：账户名即操作员，角色决定可用的操作")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="与 --user 一起：从标准输入读一行作为密码（用于脚本）")] = False,
) -> None:
    state.config_path = config
    state.operator = operator
    state.user = user
    state.password_stdin = password_stdin
    state.actor = None
    if ctx.invoked_subcommand is None:
        from archive_tui.tui.app import run_app  # loaded late: Textual only when the app opens

        cfg = load()
        engine = engine_for(cfg)
        account = authenticate(engine, user, ask_password(), where="terminal") if user else None
        run_app(cfg, engine, account)


def _os_problem(error: OSError) -> str:
    """A file-system failure in Chinese, naming the file."""
    name = error.filename or ""
    if isinstance(error, IsADirectoryError):
        return f"“{name}”是文件夹，不是文件"
    if isinstance(error, PermissionError):
        return f"没有权限读写“{name}”（只读的文件夹或介质？）"
    if isinstance(error, FileNotFoundError):
        return f"找不到“{name}”"
    if error.errno == errno.ENAMETOOLONG:
        return f"文件名过长：“{str(name)[:60]}…”"
    if error.errno == errno.ENOSPC:
        return "磁盘空间不足"
    return f"读写文件出错（{error.strerror or error}）：“{name}”"


def _archive_folder() -> Path | None:
    try:
        return (find_config(state.config_path) or Path("config.toml")).resolve().parent
    except OSError:
        return None


def _heading() -> str:
    return f"archive-tui {' '.join(sys.argv[1:])}"


def _crash_text() -> str:
    """The traceback of an unexpected failure in the archive folder's logs (core.crash), said in Chinese."""
    return unexpected_text(_archive_folder(), _heading())


DATABASE_PROBLEMS = (  # what a database error means to the archivist; its SQL and values go to the log only
    (IntegrityError, "数据库拒绝了这次改动：与已有的记录重复或冲突（可能另一台电脑同时做了同一操作），请重试"),
    (DataError, "数据库拒绝了这次改动：有数据库不能保存的值（如控制字符或过长的文字）"),
    (OperationalError, "数据库无法读写（文件损坏、磁盘已满或连接中断）"),
)


def _is_driver_error(error: BaseException) -> bool:
    """An error of the database driver itself (sqlite3, psycopg), raised past SQLAlchemy by a bulk write."""
    return type(error).__module__.split(".")[0] in ("sqlite3", "psycopg") and isinstance(error, Exception) and any(
        kind.__name__ == "DatabaseError" for kind in type(error).__mro__)


def _database_problem(error: Exception) -> str:
    """One Chinese sentence for a database error: never its SQL statement or parameters (ID numbers,
    phones), which are written to the crash log for the maintainer."""
    names = {kind.__name__ for kind in type(error).__mro__}  # a driver's own IntegrityError is not SQLAlchemy's
    meaning = next((text for kind, text in DATABASE_PROBLEMS if isinstance(error, kind) or kind.__name__ in names),
                   "数据库操作失败")
    return f"{meaning}。这次操作未完成的改动没有写入数据库；{logged_text(_archive_folder(), _heading(), error)}。"


def main() -> None:
    """Entry point: user errors become one Chinese message on stderr and exit 1; anything
    unexpected too, with its traceback written to a log file instead of the screen."""
    try:
        _main()
    except KeyboardInterrupt:
        err.print("已中断。", markup=False)
        sys.exit(130)
    except OSError as error:
        err.print(f"错误：{_os_problem(error)}。", markup=False)
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 - the last resort: never a traceback on the archivist's screen
        text = _database_problem(error) if _is_driver_error(error) else f"{_crash_text()}。"
        err.print(f"错误：{text}", markup=False)
        sys.exit(1)


def _main() -> None:
    chinese.install()
    try:
        code = app(prog_name="archive-tui", standalone_mode=False)
    except _click.exceptions.ClickException as error:  # a usage error: exit 2, said in Chinese
        for line in chinese.usage_error_lines(error):
            err.print(line, markup=False)
        sys.exit(error.exit_code)
    except typer.Abort:
        err.print("已中断。", markup=False)
        sys.exit(1)
    except ArchiveError as error:
        err.print(f"[red]错误：[/]{escape(error.message)}")
        for line in error.details:
            err.print(line, markup=False)
        sys.exit(1)
    except OperationalError as error:
        if "locked" in str(error.orig):
            err.print("错误：数据库正被其他程序占用（已锁定），请稍后重试。数据库未作改动。", markup=False)
        else:
            err.print(f"错误：{_database_problem(error)}", markup=False)
        sys.exit(1)
    except SQLAlchemyError as error:
        err.print(f"错误：{_database_problem(error)}", markup=False)
        sys.exit(1)
    if isinstance(code, int) and code:  # typer.Exit(n) inside a command; 130: interrupted
        if code == 130:
            err.print("已中断。", markup=False)
        sys.exit(code)


app.add_typer(households.export_app, name="export")
app.add_typer(scans.scans_app, name="scans")
app.add_typer(certs.certs_app, name="certs")
app.add_typer(copies.copies_app, name="copies")
app.add_typer(transfers.transfers_app, name="transfers")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(checks.findings_app, name="findings")
app.add_typer(printing.print_app, name="print")
app.add_typer(disputes.disputes_app, name="disputes")
app.add_typer(use.use_app, name="use")
app.add_typer(items.items_app, name="items")
app.add_typer(share.share_app, name="share")
app.add_typer(report.report_app, name="report")
app.add_typer(users.users_app, name="users")
