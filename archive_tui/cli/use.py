"""利用登记: consultations, copies and certified extracts of the files, from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.cli.common import (acting, PrintOption, Table, announce_made, check_print, engine_for, load, out,
                                    output_as,
                                    parse_date, print_json)
from archive_tui.core.errors import ArchiveError

use_app = typer.Typer(help="档案利用登记", no_args_is_help=True)


@use_app.command("add")
def use_add(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    kind: Annotated[str, typer.Option("--kind", help="consult（查阅）、copy（复制）或 extract（摘录证明）")],
    person: Annotated[str, typer.Option("--person", help="利用人")],
    purpose: Annotated[str, typer.Option("--purpose", help="利用目的")],
    date: Annotated[str, typer.Option("--date", help="日期 YYYY-MM-DD")],
    unit: Annotated[str, typer.Option("--unit", help="单位")] = "",
    approved_by: Annotated[str, typer.Option("--approved-by", help="批准人")] = "",
    pages: Annotated[int, typer.Option("--pages", help="复制或摘录的页数")] = 0,
    id_number: Annotated[str, typer.Option("--id-number", help="利用人证件号码")] = "",
) -> None:
    """登记一次查阅、复制或摘录证明。"""
    from archive_tui.services.registers.use_register import NewUse, add_use

    config = load()
    number = add_use(acting(engine_for(config), config), NewUse(key, kind, person, parse_date(date), unit, purpose,
                                                        approved_by, pages, id_number))
    out.print(f"已登记 {number}")


@use_app.command("return")
def use_return(
    number: Annotated[str, typer.Argument(help="利用编号，如 利用2026-001")],
    date: Annotated[str, typer.Option("--date", help="归还日期 YYYY-MM-DD")],
) -> None:
    """查阅的案卷已归还。"""
    from archive_tui.services.registers.use_register import return_use

    config = load()
    return_use(acting(engine_for(config), config), number, parse_date(date))
    out.print(f"{number} 已归还")


@use_app.command("list")
def use_list(
    year: Annotated[Optional[int], typer.Option("--year", help="只列这一年")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--out", help="打印这一年的档案利用登记表 .pdf 或 .xlsx（默认今年）",
        callback=output_as(".pdf", ".xlsx"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    to_printer: PrintOption = False,
) -> None:
    """列出利用登记（含借出），或打印一年的档案利用登记表。"""
    from archive_tui.services.registers.use_register import list_uses, make_use_register, yearly_figures

    config = load()
    if to_printer and output is None:
        raise ArchiveError("--print 须与 --out 文件名.pdf 一起用：打印的是这一年的档案利用登记表")
    check_print(config, to_printer, output)
    engine = engine_for(config)
    if output:
        printed = make_use_register(engine, config, year or dt.date.today().year, output)
        announce_made(config, printed, to_printer, what="档案利用登记表")
        return
    rows = list_uses(engine, year=year)
    if as_json:
        print_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("编号", "日期", "方式", "利用人", "单位", "档号", "页数", "归还"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["number"], row["date"], row["kind"], row["person"], row["unit"], row["archive_code"],
                      str(row["pages"] or ""), row["returned_on"] or "")
    out.print(table)
    if year:
        figures = yearly_figures(engine, year)
        out.print(f"{year} 年利用 {figures['uses']} 次，利用人 {figures['persons']} 人，案卷 {figures['files']} 卷，"
                  f"复制摘录 {figures['pages']} 页")
