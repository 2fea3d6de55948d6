"""What every command group shares: the consoles (data shown as written), the archive it
works on, JSON output, progress, option checks and the root Typer app."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from archive_tui.bootstrap import actor_of, context_for, open_engine
from archive_tui.core.config import Config, find_config, load_config
from archive_tui.core.display import printable
from archive_tui.core.errors import ArchiveError
from archive_tui.core.roles import Actor
from archive_tui.services.admin.accounts import accounts_exist, authenticate
from archive_tui.services.use_cases import ArchiveContext


app = typer.Typer(
    help="乡镇农村土地承包经营权确权登记档案管理。不带命令时打开终端界面。",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


SCREEN_LIMIT = 100  # rows printed as a table when --limit is not given


class SafeConsole(Console):
    """Prints text from data with its control characters made visible (never raw escapes)."""

    def print(self, *objects, **kwargs) -> None:
        super().print(*(printable(o) if isinstance(o, str) else o for o in objects), **kwargs)


class Table(RichTable):
    """A rich table whose cells from data show control characters escaped."""

    def add_row(self, *cells, **kwargs) -> None:
        super().add_row(*(printable(c) if isinstance(c, str) else c for c in cells), **kwargs)


err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)


out = SafeConsole(highlight=False, soft_wrap=True)


class State:
    config_path: Path | None = None
    operator: str | None = None
    user: str | None = None  # --user: the account this command runs as
    password_stdin: bool = False
    actor: Actor | None = None  # who acts, settled once per command (the password asked once)


state = State()


def load() -> Config:
    path = find_config(state.config_path)
    if path is None:
        raise ArchiveError("找不到配置文件 config.toml：请先在档案文件夹中运行 archive-tui init，或用 --config 指定")
    return load_config(path, state.operator)


def engine_for(config: Config):
    """The archive's database with its audit anchor kept (beside the file, or beside config.toml)."""
    return open_engine(config)


def ask_password() -> str:
    if state.password_stdin:
        return read_password_stdin()
    return typer.prompt("密码", hide_input=True)


def read_password_stdin() -> str:
    """A password piped in (one line), for scripts."""
    data = sys.stdin.buffer.readline()
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ArchiveError("从标准输入读到的密码不是 UTF-8 文本") from None


def acting(engine, config: Config) -> ArchiveContext:
    """The context a command acts in: the account of ``--user`` (password asked once), else the
    configured operator — or, where ``[accounts] require_login`` is set (and the first account
    exists: until then someone must be able to add it), nobody who may write."""
    if state.actor is None:
        if state.user:
            state.actor = actor_of(authenticate(engine, state.user, ask_password(), where="terminal"))
        elif config.settings.accounts.require_login and accounts_exist(engine):
            state.actor = Actor.not_logged_in(config.operator)
        else:
            state.actor = Actor.local(config.operator)
    return context_for(engine, config, state.actor)


def print_json(data: object) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator:
    """A progress bar on stderr; the callback takes (stage, done, total)."""
    if not enabled or not err.is_terminal:
        yield lambda stage, done, total: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("准备", total=1)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        yield update


def print_warnings(result) -> None:
    """A printed form's warnings (characters no font has, …), one line each on stderr."""
    for warning in result.warnings:
        err.print(f"注意：{warning}", markup=False)


def parse_date(text: str | None, option: str = "--date") -> dt.date | None:
    from archive_tui.services.registers.certificates import parse_day

    try:
        return parse_day(text or "")
    except ArchiveError as error:
        raise ArchiveError(f"{option}：{error.message}") from None


DateOption = Annotated[Optional[str], typer.Option("--date", help="日期 YYYY-MM-DD（默认今天）")]


LevelOption = Annotated[Optional[str], typer.Option("--level", help="village 村级、township 乡镇级、county 县级")]


def output_file(value: Path | None) -> Path | None:
    """An output file given on the command line, checked before any work is done (a command
    that stops with an error has changed nothing): not a folder, its folder writable."""
    if value is None:
        return None
    if value.is_dir():
        raise ArchiveError(f"输出位置 {value} 是一个文件夹；请给出文件名，例如 {value / '输出.xlsx'}")
    folder = value.parent if str(value.parent) else Path(".")
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise ArchiveError(f"输出位置 {value} 的上级 {existing} 是文件，不是文件夹")
    if not os.access(existing, os.W_OK) or (value.exists() and not os.access(value, os.W_OK)):
        raise ArchiveError(f"没有权限写入 {value}（文件夹只读？）；请换一个位置")
    return value


def _suffix_list(suffixes: tuple[str, ...]) -> str:
    return suffixes[0] if len(suffixes) == 1 else "、".join(suffixes[:-1]) + f" 或 {suffixes[-1]}"


def output_as(*suffixes: str):
    """An ``--out`` callback for a command that writes the formats ``suffixes`` (".pdf", ".xlsx",
    ".csv" …): the file's suffix names one of them, or the command is refused before any work
    (a form never lands under a name that says another format)."""

    def check(value: Path | None) -> Path | None:
        value = output_file(value)
        if value is not None and value.suffix.lower() not in suffixes:
            raise ArchiveError(f"输出文件 {value.name} 应以 {_suffix_list(suffixes)} 结尾")
        return value

    return check


PrintOption = Annotated[bool, typer.Option(
    "--print", help="生成后发送到打印机（config.toml 中 [print] printer 所设的）")]


def check_print(config: Config, wanted: bool, path: Path | None = None) -> None:
    """Before any work: refuse ``--print`` that cannot happen (no printer, no lp, not a PDF)."""
    if wanted:
        from archive_tui.services.admin.printer import check_printer

        check_printer(config, path)


def send_if_asked(config: Config, path: Path, wanted: bool, *, quiet: bool = False) -> None:
    """After a form is made: with ``--print`` send it to the printer and say so; the caller has
    already said "已生成" (the file is made either way). ``quiet``: say it on stderr (stdout
    carries JSON). Characters the form printed as □ that no warning named yet are named here."""
    from archive_tui.services.printed import unprinted_warnings

    for warning in unprinted_warnings(Path(path)):
        err.print(f"注意：{warning}", markup=False)
    if not wanted:
        return
    from archive_tui.services.admin.printer import made_message, send_to_printer

    (err if quiet else out).print(made_message(path, send_to_printer(config, Path(path))), markup=False)


def announce_made(config: Config, result, wanted: bool, *, what: str = "", detail: str = "") -> None:
    """A form made (a PrintResult or a path): its warnings, "已生成{what} 文件{detail}", and with
    ``--print`` the printer."""
    path = getattr(result, "path", result)
    if hasattr(result, "warnings"):
        print_warnings(result)
    out.print(f"已生成{what} {path}{detail}", markup=False)
    send_if_asked(config, path, wanted)
