"""复制共享: packages of the registration results for the natural-resources department."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.cli.common import Table, acting, engine_for, err, load, out, output_file, parse_date, print_json

share_app = typer.Typer(help="复制共享：向自然资源等部门提供确权登记成果（资料清单、增量共享）", no_args_is_help=True)


@share_app.command("new")
def share_new(
    to: Annotated[str, typer.Option("--to", help="接收单位，如 县自然资源局")],
    village: Annotated[Optional[str], typer.Option("--village", help="只共享一个村（村名或代码）")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="只共享此日期以来有变化的户 YYYY-MM-DD")] = None,
    since_share: Annotated[Optional[str], typer.Option(
        "--since-share", help="只共享与这次共享（如 共享2026-001）相比有变化或新增的户")] = None,
    purpose: Annotated[str, typer.Option("--purpose", help="用途")] = "不动产统一登记",
    output: Annotated[Optional[Path], typer.Option("--out", help="共享包文件夹（默认 exports/共享/编号）")] = None,
) -> None:
    """生成共享包：国家表、发证台账、登记簿和承包合同扫描件，附双方签字的资料清单。"""
    from archive_tui.services.exchange.sharing import ShareRequest, new_share

    config = load()
    result = new_share(acting(engine_for(config), config), ShareRequest(
        to, purpose, village, parse_date(since, "--since") if since else None, since_share), output)
    out.print(f"已生成共享包 {result.number}：{result.households} 户，{result.files} 个文件，{result.bytes:,} 字节")
    out.print(f"  文件夹：{result.folder}", markup=False)
    out.print(f"  资料清单.csv 的 SHA-256：{result.digest}（印在资料清单.pdf 上，双方签字）")
    for warning in result.warnings:
        err.print(f"注意：{warning}", markup=False)


@share_app.command("print")
def share_print(
    number: Annotated[str, typer.Argument(help="共享编号，如 共享2026-001")],
    output: Annotated[Path, typer.Option("--out", help="资料清单 .pdf（或 .csv）", callback=output_file)],
) -> None:
    """重印资料清单：共享时保存的那一份（被改动或缺失时拒绝，指明文件和摘要）。"""
    from archive_tui.services.exchange.sharing import print_list

    config = load()
    out.print(f"已生成 {print_list(engine_for(config), config, number, output)}", markup=False)


@share_app.command("list")
def share_list(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出历次共享（给谁、何时、何人、多少户）。"""
    from archive_tui.services.exchange.sharing import list_shares

    config = load()
    rows = list_shares(engine_for(config))
    if as_json:
        print_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("编号", "接收单位", "范围", "增量起点", "户数", "文件", "经办", "时间"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["number"], row["to"], row["village"] or "全乡镇", row["since"] or "全部",
                      str(row["households"]), str(row["files"]), row["operator"], row["created_at"])
    out.print(table)
    out.print(f"共 {len(rows)} 次")
