"""综合档案 (按件): the township's own records of the campaign, item by item, from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.cli.common import (acting, announce_made,
    PrintOption, Table, check_print, engine_for, load, out, output_as, parse_date, print_json,
)

items_app = typer.Typer(help="综合档案（按件）：登记、挂接扫描件、装盒、借出、打印归档文件目录", no_args_is_help=True)


@items_app.command("add")
def items_add(
    item_type: Annotated[str, typer.Option("--type", help="类别代码，见 config.toml 的 [[item_types]]")],
    title: Annotated[str, typer.Option("--title", help="题名")],
    date: Annotated[Optional[str], typer.Option("--date", help="文件日期 YYYY-MM-DD")] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="年度（默认取日期的年份）")] = None,
    responsible: Annotated[str, typer.Option("--responsible", help="责任者")] = "",
    doc_number: Annotated[str, typer.Option("--doc-number", help="文号")] = "",
    pages: Annotated[int, typer.Option("--pages", help="页数")] = 0,
    retention: Annotated[str, typer.Option("--retention", help="保管期限 永久/30年/10年（默认按类别）")] = "",
    carrier: Annotated[str, typer.Option(
        "--carrier", help="载体 paper/photo/audiovisual/electronic（默认按类别）")] = "",
    remark: Annotated[str, typer.Option("--remark", help="备注")] = "",
    scans: Annotated[Optional[list[Path]], typer.Option("--scan", help="随即挂接的扫描件（可多次）")] = None,
) -> None:
    """登记一件综合档案，给出件号和档号。"""
    from archive_tui.services.registers.record_items import NewItem, add_item
    from archive_tui.services.intake.scans import file_item_scan

    config = load()
    engine = engine_for(config)
    code = add_item(acting(engine, config), NewItem(item_type, title, parse_date(date), year, responsible, doc_number,
                                                    pages,
                                            retention, carrier, remark))
    out.print(f"已登记 {code}")
    for scan in scans or []:
        out.print(f"  挂接 {scan.name} → {file_item_scan(acting(engine, config), scan, code)}")


@items_app.command("attach")
def items_attach(
    code: Annotated[str, typer.Argument(help="档号")],
    files: Annotated[list[Path], typer.Argument(help="扫描件（按页序）")],
) -> None:
    """把扫描件挂接到一件综合档案（原件留在原处）。收件箱中以档号或“档号-页号”命名的文件会自动挂接。"""
    from archive_tui.services.intake.scans import file_item_scan

    config = load()
    engine = engine_for(config)
    for path in files:
        out.print(f"{path.name} → {file_item_scan(acting(engine, config), path, code)}")


@items_app.command("list")
def items_list(
    year: Annotated[Optional[int], typer.Option("--year", help="只列这一年度")] = None,
    status: Annotated[Optional[str], typer.Option("--status", help="filed/lent/sent/transferred/withdrawn")] = None,
    search: Annotated[str, typer.Option("--search", help="题名、文号、责任者或档号中含有")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出综合档案。"""
    from archive_tui.services.registers.record_items import list_items

    config = load()
    rows = list_items(engine_for(config), config, year=year, status=status, search=search)
    if as_json:
        print_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("档号", "题名", "日期", "页数", "扫描", "盒号", "状态"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["archive_code"], row["title"], row["dated"] or "", str(row["pages"]), str(row["scanned"]),
                      row["box"], row["status_name"])
    out.print(table)
    out.print(f"共 {len(rows)} 件")


@items_app.command("show")
def items_show(
    code: Annotated[str, typer.Argument(help="档号")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """一件综合档案：著录项、扫描件和保管经过。"""
    from archive_tui.services.registers.record_items import show_item

    config = load()
    item = show_item(engine_for(config), config, code)
    if as_json:
        print_json(item)
        return
    out.print(f"{item['archive_code']}  {item['title']}  （{item['status_name']}）")
    out.print(f"类别：{item['type_name']}；责任者：{item['responsible'] or '—'}；文号：{item['doc_number'] or '—'}；"
              f"日期：{item['dated'] or '—'}；{item['pages']} 页；{item['retention']}；{item['carrier_name']}")
    out.print(f"盒号：{item['box'] or '未装盒'}；位置：{item['location'] or '—'}；扫描件 {item['scanned']} 页")
    for event in item["history"]:
        out.print(f"  {event['at']}  {event['action']}  {event['reason']}  {event['operator']}")


@items_app.command("edit")
def items_edit(
    code: Annotated[str, typer.Argument(help="档号")],
    reason: Annotated[str, typer.Option("--reason", help="更正原因")],
    title: Annotated[Optional[str], typer.Option("--title", help="题名")] = None,
    responsible: Annotated[Optional[str], typer.Option("--responsible", help="责任者")] = None,
    doc_number: Annotated[Optional[str], typer.Option("--doc-number", help="文号")] = None,
    date: Annotated[Optional[str], typer.Option("--date", help="日期 YYYY-MM-DD")] = None,
    pages: Annotated[Optional[int], typer.Option("--pages", help="页数")] = None,
    remark: Annotated[Optional[str], typer.Option("--remark", help="备注")] = None,
) -> None:
    """更正著录项（原值留在保管经过和审计日志中；档号、件号不变）。"""
    from archive_tui.services.registers.record_items import edit_item

    changes = {"title": title, "responsible": responsible, "doc_number": doc_number,
               "dated": parse_date(date) if date else None, "pages": pages, "remark": remark}
    config = load()
    edit_item(acting(engine_for(config), config), code, {k: v for k, v in changes.items() if v is not None}, reason)
    out.print(f"{code} 已更正")


@items_app.command("withdraw")
def items_withdraw(
    code: Annotated[str, typer.Argument(help="档号")],
    reason: Annotated[str, typer.Option("--reason", help="作废原因")],
) -> None:
    """作废误登记的一件（保留档号和记录，不删除）。"""
    from archive_tui.services.registers.record_items import withdraw_item

    config = load()
    withdraw_item(acting(engine_for(config), config), code, reason)
    out.print(f"{code} 已作废")


@items_app.command("box")
def items_box(
    year: Annotated[Optional[int], typer.Option("--year", help="只装这一年度的")] = None,
    capacity: Annotated[Optional[int], typer.Option("--capacity", help="每盒件数（默认 [items] box_capacity）")] = None,
) -> None:
    """未装盒的综合档案按年度、保管期限、件号装盒。"""
    from archive_tui.services.registers.record_items import box_items

    config = load()
    result = box_items(acting(engine_for(config), config), year=year, capacity=capacity)
    for box_no, count in result.boxes.items():
        out.print(f"{box_no}：装入 {count} 件")


@items_app.command("move")
def items_move(
    codes: Annotated[list[str], typer.Argument(help="档号或盒号")],
    to: Annotated[str, typer.Option("--to", help="位置 楼/室/柜/层")],
    reason: Annotated[str, typer.Option("--reason", help="原因")] = "",
) -> None:
    """移动综合档案（按件或按盒）。"""
    from archive_tui.services.registers.record_items import move_items

    config = load()
    count = move_items(acting(engine_for(config), config), codes, to, reason)
    out.print(f"已移动 {count} 件到 {to}")


@items_app.command("lend")
def items_lend(
    code: Annotated[str, typer.Argument(help="档号")],
    person: Annotated[str, typer.Option("--person", help="借阅人")],
    purpose: Annotated[str, typer.Option("--purpose", help="利用目的")],
    date: Annotated[str, typer.Option("--date", help="借出日期 YYYY-MM-DD")],
    unit: Annotated[str, typer.Option("--unit", help="单位")] = "",
    approved_by: Annotated[str, typer.Option("--approved-by", help="批准人")] = "",
) -> None:
    """借出一件（记入利用登记）。"""
    from archive_tui.services.registers.record_items import lend_item

    config = load()
    number = lend_item(acting(engine_for(config), config), code, person=person, purpose=purpose, on=parse_date(date),
                       unit=unit, approved_by=approved_by)
    out.print(f"{code} 已借出（{number}）")


@items_app.command("return")
def items_return(
    code: Annotated[str, typer.Argument(help="档号")],
    date: Annotated[str, typer.Option("--date", help="归还日期 YYYY-MM-DD")],
) -> None:
    """借出的一件已归还。"""
    from archive_tui.services.registers.record_items import return_item

    config = load()
    number = return_item(acting(engine_for(config), config), code, parse_date(date))
    out.print(f"{code} 已归还" + (f"（{number}）" if number else ""))


@items_app.command("print")
def items_print(
    output: Annotated[Optional[Path], typer.Option(
        "--out", help="输出 .pdf 或 .xlsx", callback=output_as(".pdf", ".xlsx"))] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="只印这一年度")] = None,
    to_printer: PrintOption = False,
) -> None:
    """打印归档文件目录（按年度、保管期限分表）。"""
    from archive_tui.services.registers.record_items import make_catalogue

    config = load()
    check_print(config, to_printer, output)
    result = make_catalogue(engine_for(config), config, year=year, out=output)
    announce_made(config, result, to_printer, what="归档文件目录")
