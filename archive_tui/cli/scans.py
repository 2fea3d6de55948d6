"""扫描件: intake, the watcher, the list, hand assignment, fixity."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.cli.common import Table, out, load, engine_for, print_json, progress_bar


scans_app = typer.Typer(help="扫描件收件与挂接", no_args_is_help=True)


@scans_app.command("ingest")
def scans_ingest() -> None:
    """处理收件箱中现有的扫描件一次：挂接、归档、查重、隔离。"""
    from archive_tui.services.scans import ingest_once

    config = load()
    with progress_bar() as progress:
        report = ingest_once(engine_for(config), config, lambda done, total: progress("收件", done, total))
    out.print(f"已挂接归档 {report.linked} 个，待挂接 {report.unassigned} 个，重复 {report.duplicates} 个，"
              f"隔离 {report.quarantined} 个" + (f"，仍在写入、稍后再收 {report.waiting} 个" if report.waiting else ""))


@scans_app.command("watch")
def scans_watch() -> None:
    """持续监视收件箱，随到随收（Ctrl+C 停止）。"""
    import threading

    from archive_tui.services.scans import watch_inbox

    config = load()
    stop = threading.Event()

    def show(report) -> None:
        if report.linked or report.unassigned or report.duplicates or report.quarantined or report.notes:
            out.print(f"已挂接 {report.linked}，待挂接 {report.unassigned}，重复 {report.duplicates}，"
                      f"隔离 {report.quarantined}" + "".join(f"\n  {note}" for note in report.notes))

    out.print(f"正在监视 {config.inbox}（Ctrl+C 停止）")
    try:
        watch_inbox(engine_for(config), config, stop, show)
    except KeyboardInterrupt:
        stop.set()
        out.print("已停止监视")


@scans_app.command("list")
def scans_list(
    status: Annotated[
        Optional[str], typer.Option("--status", help="linked、unassigned、duplicate 或 quarantined")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出扫描件。"""
    from archive_tui.services.scans import list_scans

    config = load()
    rows = list_scans(engine_for(config), status)
    if as_json:
        print_json(rows)
        return
    labels = {"linked": "已挂接", "unassigned": "待挂接", "duplicate": "重复", "quarantined": "已隔离"}
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("状态", "档号", "页", "格式", "dpi", "文件", "说明"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(labels[row["status"]], row["archive_code"] or "", str(row["seq"] or ""), row["format"],
                      str(row["dpi"] or ""), row["path"], row["reason"])
    out.print(table)
    out.print(f"共 {len(rows)} 个扫描件")


@scans_app.command("assign")
def scans_assign(
    file: Annotated[str, typer.Argument(help="待挂接扫描件在存储库中的路径（scans list 所列）或其 SHA-256")],
    to: Annotated[str, typer.Option("--to", help="承包方编码或档号")],
    doc: Annotated[str, typer.Option("--doc", help="卷内文件类型代码（config.toml 的 documents）")],
    seq: Annotated[Optional[int], typer.Option("--seq", help="页序号（默认排在该卷最后）")] = None,
) -> None:
    """人工挂接一个待挂接的扫描件。"""
    from archive_tui.services.scans import assign_scan

    config = load()
    stored = assign_scan(engine_for(config), config, file, to, doc, seq)
    out.print(f"已挂接并归档到 {stored}")


@scans_app.command("verify")
def scans_verify(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """固定性检查：存储库中每个扫描件是否都在、是否被改动，有没有数据库不知道的文件。"""
    from archive_tui.services.scans import verify_store

    config = load()
    with progress_bar() as progress:
        report = verify_store(engine_for(config), config, lambda done, total: progress("校验", done, total))
    if as_json:
        print_json(report.as_dict())
    else:
        out.print(f"已校验 {report.checked} 个扫描件：缺失 {len(report.missing)}，被改动 {len(report.changed)}，"
                  f"存储库中多出 {len(report.orphans)}")
        for label, paths in (("缺失", report.missing), ("被改动", report.changed), ("多出", report.orphans)):
            for path in paths[:50]:
                out.print(f"  {label}：{path}")
    if not report.ok:
        raise typer.Exit(1)
