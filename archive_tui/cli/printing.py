"""打印: covers, 卷内目录, 备考表, shelf lists and box labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from archive_tui.cli.common import (announce_made, PrintOption, check_print, engine_for, load, output_as)


print_app = typer.Typer(help="打印案卷封面、分隔页等（PDF）", no_args_is_help=True)


@print_app.command("covers")
def print_covers_command(
    keys: Annotated[Optional[list[str]], typer.Argument(help="承包方编码或档号（默认全部）")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="PDF 文件（默认在 exports 文件夹）", callback=output_as(".pdf"))] = None,
    separators: Annotated[bool, typer.Option("--separators/--no-separators", help="每类卷内文件打一张分隔页")] = True,
    to_printer: PrintOption = False,
) -> None:
    """案卷封面（档号二维码）和分隔页：扫描时放在各卷、各类文件之前，收件时据此自动挂接。"""
    from archive_tui.services.households.printing import print_covers

    config = load()
    check_print(config, to_printer, out_file)
    result = print_covers(engine_for(config), config, out_file, village=village, keys=keys or [],
                          separators=separators)
    announce_made(config, result, to_printer, detail=f"：{result.files} 卷，共 {result.pages} 页")


def _print_file_forms(kind: str, keys: list[str] | None, village: str | None, out_file: Path | None,
                      to_printer: bool) -> None:
    from archive_tui.services.quality import file_forms

    config = load()
    check_print(config, to_printer, out_file)
    make = file_forms.print_contents if kind == "contents" else file_forms.print_notes
    result = make(engine_for(config), config, out_file, village=village, keys=keys or [])
    announce_made(config, result, to_printer, detail=f"：{result.files} 卷，共 {result.pages} 页")


@print_app.command("contents")
def print_contents_command(
    keys: Annotated[Optional[list[str]], typer.Argument(help="承包方编码或档号（默认全部）")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="PDF 文件（默认在 exports 文件夹）", callback=output_as(".pdf"))] = None,
    to_printer: PrintOption = False,
) -> None:
    """卷内目录：序号、文号、责任者、题名、日期、页号（按扫描件计）、备注；每卷一表，续页重复表头。"""
    _print_file_forms("contents", keys, village, out_file, to_printer)


@print_app.command("notes")
def print_notes_command(
    keys: Annotated[Optional[list[str]], typer.Argument(help="承包方编码或档号（默认全部）")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="PDF 文件（默认在 exports 文件夹）", callback=output_as(".pdf"))] = None,
    to_printer: PrintOption = False,
) -> None:
    """卷内备考表：本卷情况说明（件数、页数、缺少的文件、与目录不符的扫描件），立卷人、检查人、立卷时间。"""
    _print_file_forms("notes", keys, village, out_file, to_printer)


@print_app.command("shelf-list")
def print_shelf_list_command(
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    location: Annotated[Optional[str], typer.Option("--location", help="位置 楼/室/柜/层")] = None,
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")] = "township",
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help=".pdf 或 .xlsx（默认在 exports 文件夹）", callback=output_as(".pdf", ".xlsx"))] = None,
    to_printer: PrintOption = False,
) -> None:
    """案卷目录：档号、案卷题名、年度、保管期限、页数、盒号，按档号排列。"""
    from archive_tui.services.registers.copies import check_level
    from archive_tui.services.registers.custody_forms import print_shelf_list

    config = load()
    check_level(level)
    check_print(config, to_printer, out_file)
    result = print_shelf_list(engine_for(config), config, out_file, village=village, level=level, location=location)
    announce_made(config, result, to_printer, detail=f"：{result.files} 卷")


@print_app.command("box-labels")
def print_box_labels_command(
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")] = "township",
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="PDF 文件（默认在 exports 文件夹）", callback=output_as(".pdf"))] = None,
    to_printer: PrintOption = False,
) -> None:
    """盒脊标签（全宗号、年度、档号起止、保管期限、盒号）和每盒的盒内目录（A4 PDF）。"""
    from archive_tui.services.registers.copies import check_level
    from archive_tui.services.registers.custody_forms import print_box_labels

    config = load()
    check_level(level)
    check_print(config, to_printer, out_file)
    result = print_box_labels(engine_for(config), config, out_file, village=village, level=level)
    announce_made(config, result, to_printer, detail=f"：{result.files} 盒，{result.pages} 页")
