"""户卷的卷内文件著录: correct a document's catalogue entry, file scanned pages into it."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archive_tui.cli.common import acting, app, engine_for, err, load, out

files_app = typer.Typer(help="卷内文件著录：更正卷内目录的日期、文号、责任者、题名、页数、备注，把扫描页归入文件",
                        no_args_is_help=True)


@files_app.command("doc")
def files_doc(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    doc_type: Annotated[str, typer.Argument(help="文件类型代码（config.toml 的 [[documents]]，如 07 承包合同）")],
    date: Annotated[Optional[str], typer.Option("--date", help="日期 YYYY-MM-DD（空字符串清除）")] = None,
    number: Annotated[Optional[str], typer.Option("--number", help="文号")] = None,
    responsible: Annotated[Optional[str], typer.Option("--responsible", help="责任者")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="题名")] = None,
    pages: Annotated[Optional[str], typer.Option("--pages", help="页数（0：按扫描页数）")] = None,
    remark: Annotated[Optional[str], typer.Option("--remark", help="备注")] = None,
    scans: Annotated[Optional[str], typer.Option(
        "--scans", help="把本卷这些页号的扫描页归入该文件，如 1-3 或 1-3,5")] = None,
) -> None:
    """更正一户卷内目录中的一个文件（没有的先建立），或把扫描页归入该文件；记入审计，再次导入时保留。"""
    from archive_tui.services.households.catalogue import FIELDS, edit_document
    from archive_tui.core.display import page_numbers

    config = load()
    values = {name: value for name, value in (("dated", date), ("doc_number", number), ("responsible", responsible),
                                              ("title", title), ("page_count", pages), ("remark", remark))
              if value is not None}
    if not values and scans is None:
        err.print("没有要更正的项：请给出 --date、--number、--responsible、--title、--pages、--remark 或 --scans")
        raise typer.Exit(1)
    changed = edit_document(acting(engine_for(config), config), key, doc_type, values, scans=scans)
    if not changed:
        out.print("与卷内目录中的相同，未作改动")
        return
    moved = changed.pop("scans", [])
    if changed:
        out.print("已更正：" + "，".join(f"{FIELDS[name]} {_shown(value)}" for name, value in changed.items()),
                  markup=False)
    if moved:
        out.print(f"已把 {len(moved)} 页扫描件（第 {page_numbers(moved)} 页）归入该文件")


def _shown(value: object) -> str:
    return "（空）" if value in (None, "") else f"“{value}”"


app.add_typer(files_app, name="files")
