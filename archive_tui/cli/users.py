"""账户: accounts for the terminal and the browser, managed from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box

from archive_tui.cli.common import Table, acting, engine_for, load, out, print_json, read_password_stdin

users_app = typer.Typer(help="账户：添加、改密码、停用（角色：archivist 档案员、reader 查阅、admin 管理员）",
                        no_args_is_help=True)

StdinOption = Annotated[bool, typer.Option("--password-stdin", help="从标准输入读密码（脚本用；不回显）")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return read_password_stdin()  # bytes that are not UTF-8: one Chinese line, no account
    return typer.prompt("密码", hide_input=True, confirmation_prompt="再输一遍")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="账户名（也是审计日志中的操作员）")],
    role: Annotated[str, typer.Option("--role", help="archivist 档案员、reader 查阅、admin 管理员")],
    password_stdin: StdinOption = False,
) -> None:
    """添加账户（密码至少 8 位）。"""
    from archive_tui.services.admin.accounts import ROLES, add_user

    config = load()
    add_user(acting(engine_for(config), config), name, role, _password(password_stdin))
    out.print(f"已添加账户 {name.strip()}（{ROLES[role]}）", markup=False)


@users_app.command("passwd")
def users_passwd(name: Annotated[str, typer.Argument(help="账户名")], password_stdin: StdinOption = False) -> None:
    """重设密码（同时解除锁定）。"""
    from archive_tui.services.admin.accounts import change_password

    config = load()
    change_password(acting(engine_for(config), config), name, _password(password_stdin))
    out.print(f"账户 {name.strip()} 的密码已重设", markup=False)


@users_app.command("disable")
def users_disable(
    name: Annotated[str, typer.Argument(help="账户名")],
    reason: Annotated[str, typer.Option("--reason", help="停用原因")],
) -> None:
    """停用账户（不删除：审计日志中的名字仍有所指）。"""
    from archive_tui.services.admin.accounts import disable_user

    config = load()
    disable_user(acting(engine_for(config), config), name, reason)
    out.print(f"账户 {name.strip()} 已停用", markup=False)


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出账户。"""
    from archive_tui.services.admin.accounts import list_users

    config = load()
    rows = list_users(engine_for(config))
    if as_json:
        print_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("账户", "角色", "状态", "上次登录"):
        table.add_column(column)
    for row in rows:
        state = "已停用" if row["disabled"] else "已锁定" if row["locked"] else "正常"
        table.add_row(row["name"], row["role_name"], state, row["last_login_at"] or "")
    out.print(table)
