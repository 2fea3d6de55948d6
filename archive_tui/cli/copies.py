"""三份案卷的保管: places, boxes, moves, loans, ticks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.cli.common import (acting,
    SCREEN_LIMIT, Table, out, load, engine_for, print_json, parse_date, DateOption, LevelOption
)


copies_app = typer.Typer(help="三份案卷的保管：位置、装盒、移动、借阅、清点", no_args_is_help=True)


@copies_app.command("list")
def copies_list(
    level: LevelOption = None,
    holder: Annotated[Optional[str], typer.Option("--holder", help="保管单位")] = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help="assembling、filed、lent、in_transit、transferred")] = None,
    box_no: Annotated[Optional[str], typer.Option("--box", help="盒号")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    location: Annotated[Optional[str], typer.Option("--location", help="位置 楼/室/柜/层（可只写前几级）")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="最多列出几份", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出各份案卷：保管单位、代管、位置、盒号、状态。"""
    from archive_tui.services.households.archive_files import LEVEL_LABELS
    from archive_tui.services.registers.copies import STATUS_LABELS, list_copies

    config = load()
    shown = limit if (limit or as_json) else SCREEN_LIMIT
    rows = list_copies(engine_for(config), level=level, holder=holder, status=status, box=box_no, village=village,
                       location=location, limit=shown)
    if as_json:
        print_json([{key: row[key] for key in ("archive_code", "cbfbm", "level", "holder", "keeper", "location",
                                               "box", "status")} for row in rows])
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("档号", "份", "保管单位", "代管", "位置", "盒号", "状态"):  # a 档号 or 盒号 never split over lines
        table.add_column(column, overflow="fold", no_wrap=column in ("档号", "盒号"))
    for row in rows:
        table.add_row(row["archive_code"], LEVEL_LABELS[row["level"]], row["holder"], row["keeper"],
                      row["location"] or "未登记", row["box"], STATUS_LABELS.get(row["status"], row["status"]))
    out.print(table)
    out.print(f"列出 {len(rows)} 份")


@copies_app.command("move")
def copies_move(
    keys: Annotated[list[str], typer.Argument(help="承包方编码、档号或盒号（可多个）")],
    to: Annotated[str, typer.Option("--to", help="新位置 楼/室/柜/层，如 乡政府/档案室/3/2")] = "",
    level: LevelOption = None,
    holder: Annotated[Optional[str], typer.Option("--holder", help="新的保管单位")] = None,
    keeper: Annotated[Optional[str], typer.Option("--keeper", help="新的代管单位")] = None,
    box_no: Annotated[Optional[str], typer.Option("--box", help="放入的盒号")] = None,
    reason: Annotated[str, typer.Option("--reason", help="原因")] = "",
) -> None:
    """移动案卷（不给 --level 时三份都移）；每份记一条历史。"""
    from archive_tui.services.registers.copies import move

    config = load()
    moved = move(acting(engine_for(config), config), keys, to, level=level, holder=holder, keeper=keeper, box=box_no,
                 reason=reason)
    out.print(f"已移动 {moved} 份")


@copies_app.command("box")
def copies_box(
    village: Annotated[str, typer.Option("--village", help="村名或村代码")],
    capacity: Annotated[Optional[int], typer.Option("--capacity", help="每盒卷数")] = None,
    pages: Annotated[Optional[int], typer.Option("--pages", help="每盒页数（与 --capacity 二选一）")] = None,
    level: Annotated[Optional[str], typer.Option("--level", help="village 村级、township 乡镇级、county 县级"
                                                 "（默认：config.toml 的 [copies] held_levels）")] = None,
    group: Annotated[Optional[str], typer.Option("--group", help="只装一个组")] = None,
    start: Annotated[int, typer.Option("--start", help="第一个盒序号", min=1)] = 1,
) -> None:
    """装盒：按档号顺序装入连续编号的盒（不给 --level 时装 [copies] held_levels 所列的几份）；重新装盒保留历史。"""
    from archive_tui.services.households.archive_files import LEVEL_LABELS
    from archive_tui.services.registers.copies import box_files

    config = load()
    result = box_files(acting(engine_for(config), config), village=village, capacity=capacity, pages=pages, level=level,
                       group=group, start=start)
    for part in result.plan.levels:
        first, last = part.boxes[0], part.boxes[-1]
        out.print(f"{LEVEL_LABELS[part.level]}：已装盒 {part.files} 份，共 {len(part.boxes)} 盒（{first} … {last}），"
                  f"其中 {part.changed} 份有变动")


@copies_app.command("lend")
def copies_lend(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")],
    to: Annotated[str, typer.Option("--to", help="借阅人")],
    until: Annotated[str, typer.Option("--until", help="归还日期 YYYY-MM-DD")],
    purpose: Annotated[str, typer.Option("--purpose", help="用途")] = "",
    date: DateOption = None,
) -> None:
    """借出一份案卷。"""
    from archive_tui.services.registers.copies import lend

    config = load()
    lend(acting(engine_for(config), config), key, level, to, parse_date(until, "--until"), purpose=purpose,
         on=parse_date(date))
    out.print(f"已借出：{key}（{level}）借给 {to}，应于 {until} 归还")


@copies_app.command("return")
def copies_return(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")],
    date: DateOption = None,
) -> None:
    """归还借出的案卷。"""
    from archive_tui.services.registers.copies import give_back

    config = load()
    give_back(acting(engine_for(config), config), key, level, parse_date(date))
    out.print(f"已归还：{key}（{level}）")


@copies_app.command("loans")
def copies_loans(
    overdue: Annotated[bool, typer.Option("--overdue", help="只列逾期未还的")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """借出未还的案卷（--overdue：已逾期的）。"""
    from archive_tui.services.registers.copies import loans

    config = load()
    rows = loans(engine_for(config), overdue_on=dt.date.today() if overdue else None)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['archive_code']}  {row['level']}  {row['name']}  借给 {row['borrower']}  "
                  f"{row['lent_on']} 借出，应于 {row['due_on']} 归还  {row['purpose']}", markup=False)
    out.print(f"共 {len(rows)} 份" + ("逾期未还" if overdue else "借出未还"))


@copies_app.command("tick")
def copies_tick(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")],
    present: Annotated[str, typer.Option("--present", help="实有的卷内文件类型代码，逗号分开，如 01,02,03")],
) -> None:
    """清点一份案卷实有的卷内文件，三份之间的差别在户卷中显示。"""
    import re

    from archive_tui.services.registers.copies import tick

    config = load()
    missing = tick(acting(engine_for(config), config), key, level, [c for c in re.split(r"[,，、 ]+", present) if c])
    out.print("已记录；" + ("缺少必备文件：" + "、".join(missing) if missing else "必备文件齐全"))


@copies_app.command("history")
def copies_history(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")],
) -> None:
    """一份案卷的全部历史（谁、何时、从哪到哪、为什么）。"""
    from archive_tui.services.registers.copies import ACTION_LABELS, history

    config = load()
    for event in history(engine_for(config), key, level):
        before, after = event["before"], event["after"]
        changes = "，".join(f"{name} {before.get(name) or '—'} → {after.get(name) or '—'}" for name in after
                           if before.get(name) != after.get(name))
        out.print(f"{(event['at'] or '')[:16]}  {ACTION_LABELS.get(event['action'], event['action'])}  {changes}  "
                  f"{event['reason']}（{event['operator']}）", markup=False)
