"""移交: batches, their papers and bags, sending, receipt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from archive_tui.cli.common import (acting, PrintOption, announce_made, check_print, out, load, engine_for, output_as,
                                    print_json, progress_bar, send_if_asked)
from archive_tui.core.errors import ArchiveError


transfers_app = typer.Typer(help="向县档案馆移交：批次、移交清单、移交包、接收", no_args_is_help=True)


@transfers_app.command("new")
def transfers_new(
    to: Annotated[str, typer.Option("--to", help="接收单位，如 正定县档案馆")],
    note: Annotated[str, typer.Option("--note", help="备注")] = "",
    level: Annotated[str, typer.Option("--level", help="township 乡镇级或 village 村级（乡镇代管）")] = "township",
    handed_over_by: Annotated[str, typer.Option("--handed-over-by", help="移交人")] = "",
    received_by: Annotated[str, typer.Option("--received-by", help="接收人")] = "",
    supervised_by: Annotated[str, typer.Option("--supervised-by", help="监交人")] = "",
    copies_count: Annotated[int, typer.Option("--document-copies", help="交接文据一式几份", min=1)] = 3,
) -> None:
    """新建移交批次；打印批次号。"""
    from archive_tui.services.transfers.transfers import Batch, new_batch

    config = load()
    print(new_batch(acting(engine_for(config), config), Batch(to, note, level, handed_over_by, received_by,
                                                              supervised_by,
                                                      copies_count)))


@transfers_app.command("add")
def transfers_add(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    keys: Annotated[Optional[list[str]], typer.Argument(help="承包方编码或档号（户卷或综合档案）")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="加入一个村的案卷")] = None,
    items_year: Annotated[Optional[int], typer.Option("--items-year", help="加入这一年度在库的全部综合档案")] = None,
    group: Annotated[Optional[str], typer.Option("--group", help="只加入一个组")] = None,
    status: Annotated[Optional[str], typer.Option("--status", help="只加入这一状态的（如 filed）")] = None,
    override: Annotated[str, typer.Option("--override", help="放行不全或质检未通过的案卷，写明理由")] = "",
    skip_refused: Annotated[bool, typer.Option("--skip-refused", help="只加入合格的，其余列出")] = False,
    campaign: Annotated[Optional[str], typer.Option(
        "--campaign", help="只加入这一工作阶段（确权、延包…）的案卷；不给时选各阶段的")] = None,
) -> None:
    """把案卷加入移交批次：只能加入文件齐全、质检通过的（或写明理由放行）。承包方编码或一个村代表该户（该村各户）
    各工作阶段（确权、延包）的案卷，档号只代表那一卷。"""
    from archive_tui.services.transfers.transfers import add

    config = load()
    result = add(acting(engine_for(config), config), batch, keys or [], village=village, group=group, status=status,
                 override=override, skip_refused=skip_refused, item_year=items_year, campaign=campaign)
    out.print(f"已加入 {result.added} 卷（件）"
              + (f"（其中放行 {result.overridden} 卷（件））" if result.overridden else ""))
    for line in result.refused:
        out.print(f"  未加入：{line}", markup=False)


@transfers_app.command("list")
def transfers_list(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出移交批次。"""
    from archive_tui.services.transfers.transfers import STATUS_LABELS, list_batches

    config = load()
    rows = list_batches(engine_for(config))
    if as_json:
        print_json([{key: row[key] for key in ("batch", "status", "to", "files", "pages")} for row in rows])
        return
    for row in rows:
        out.print(f"{row['batch']}  {STATUS_LABELS[row['status']]}  {row['to']}  {row['files']} 卷 {row['pages']} 页",
                  markup=False)
    if not rows:
        out.print("还没有移交批次")


@transfers_app.command("show")
def transfers_show(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """一个移交批次及其案卷。"""
    from archive_tui.services.registers.copies import STATUS_LABELS as COPY_STATUS
    from archive_tui.services.registers.record_items import STATUS_LABELS as ITEM_STATUS
    from archive_tui.core.config import PRIMARY_CAMPAIGN
    from archive_tui.services.transfers.transfers import RESULT_LABELS, STATUS_LABELS, show

    config = load()
    data = show(engine_for(config), batch)
    if as_json:
        keys = ("archive_code", "cbfbm", "status")
        if any(item["campaign"] != PRIMARY_CAMPAIGN for item in data["items"]):  # a later campaign's files: each says
            keys += ("campaign",)
        shown = {**{key: data[key] for key in ("batch", "status", "to", "files", "pages")},
                 "items": [{key: item[key] for key in keys} for item in data["items"]]}
        if data["record_items"]:  # 综合档案 in the batch: listed apart from the household files
            shown["record_items"] = [{key: item[key] for key in ("archive_code", "title", "status")}
                                     for item in data["record_item_list"]]
        print_json(shown)
        return
    items = f" 综合档案 {data['record_items']} 件" if data["record_items"] else ""
    out.print(f"{data['batch']}  {STATUS_LABELS[data['status']]}  接收单位 {data['to']}  "
              f"{data['files']} 卷{items} {data['pages']} 页", markup=False)
    campaigns = any(item["campaign"] != PRIMARY_CAMPAIGN for item in data["items"])
    for item in data["items"]:
        label = RESULT_LABELS.get(item["status"]) or COPY_STATUS.get(item["status"], item["status"])
        override = f"  放行：{item['override']}" if item["override"] else ""
        campaign = f"{item['campaign']}  " if campaigns else ""
        out.print(f"  {campaign}{item['archive_code']}  {item['title']}  {item['pages']} 页  {label}{override}",
                  markup=False)
    for item in data["record_item_list"]:
        label = RESULT_LABELS.get(item["status"]) or ITEM_STATUS.get(item["status"], item["status"])
        override = f"  放行：{item['override']}" if item["override"] else ""
        out.print(f"  {item['archive_code']}  {item['title']}  {item['pages']} 页  综合档案 {label}{override}",
                  markup=False)


@transfers_app.command("manifest")
def transfers_manifest(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    out_file: Annotated[Path, typer.Option("--out", help=".pdf、.xlsx 或 .csv",
                                           callback=output_as(".pdf", ".xlsx", ".csv"))],
    to_printer: PrintOption = False,
) -> None:
    """移交清单（案卷目录）和交接文据。"""
    from archive_tui.services.transfers.transfer_forms import manifest

    config = load()
    check_print(config, to_printer, out_file)
    result = manifest(acting(engine_for(config), config), batch, out_file)
    announce_made(config, result, to_printer)


@transfers_app.command("package")
def transfers_package(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    out_dir: Annotated[Path, typer.Option("--out", help="放移交包的文件夹")],
    max_gb: Annotated[Optional[float], typer.Option("--max-gb", help="每个包最多多少 GB（超过则分成几个包）")] = None,
    link: Annotated[bool, typer.Option("--link", help="与存储库在同一磁盘时用硬链接代替复制（快；包内文件即存储库文件，"
                                                      "只可复制走，不可在包内修改）")] = False,
) -> None:
    """BagIt 移交包：按档号存放的扫描件和目录（CSV、JSON），SHA-256 清单。"""
    from archive_tui.services.transfers.transfer_bags import package

    config = load()
    bags = package(acting(engine_for(config), config), batch, out_dir,
                   max_bytes=int(max_gb * 1_000_000_000) if max_gb else None, link=link)
    for bag in bags:
        out.print(f"已生成移交包 {bag}")


@transfers_app.command("send")
def transfers_send(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    override: Annotated[str, typer.Option(
        "--override", help="最近一次四性检测的真实性或完整性不通过时，写明仍要移交的理由")] = "",
) -> None:
    """移交：清单冻结，所列案卷记为移交中。"""
    from archive_tui.services.transfers.transfers import send

    config = load()
    sent = send(acting(engine_for(config), config), batch, override=override)
    out.print(f"批次 {batch} 已移交，{sent} 卷（件）记为移交中")


@transfers_app.command("close")
def transfers_close(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    missing: Annotated[Optional[list[str]], typer.Option("--missing", help="接收时缺失的案卷（可重复）")] = None,
    damaged: Annotated[Optional[list[str]], typer.Option("--damaged", help="接收时破损的案卷（可重复）")] = None,
) -> None:
    """接收完毕：逐卷记为已接收、缺失或破损，并列出差异。"""
    from archive_tui.services.transfers.transfers import close

    config = load()
    found = close(acting(engine_for(config), config), batch, missing=missing or [], damaged=damaged or [])
    out.print(f"批次 {batch} 已接收" + ("" if any(found.values()) else "，无差异"))
    for label, key in (("缺失", "missing"), ("破损", "damaged")):
        for code in found[key]:
            out.print(f"  {label}：{code}")


@transfers_app.command("return")
def transfers_return(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    reason: Annotated[str, typer.Option("--reason", help="退回原因")],
) -> None:
    """退回：整批退回乡镇。"""
    from archive_tui.services.transfers.transfers import return_batch

    config = load()
    out.print(f"批次 {batch} 已退回，{return_batch(acting(engine_for(config), config), batch, reason)} 卷回到本乡镇")


@transfers_app.command("receive")
def transfers_receive(
    bag: Annotated[Path, typer.Argument(help="移交包文件夹")],
    digest: Annotated[Optional[str], typer.Option(
        "--digest", help="交接文据上印的摘要（SHA-256，可扫描其二维码）；不符则拒收")] = None,
    override: Annotated[str, typer.Option(
        "--override", help="未通过四性检测仍要接收时的理由（记入审计日志）")] = "",
) -> None:
    """（县档案馆）接收移交包：先校验和四性检测（给出交接文据上的摘要时还须与之一致），再导入目录和扫描件；同一个包再接收一次不会改动。"""
    from archive_tui.services.transfers.transfer_bags import receive

    config = load()
    if not digest:
        out.print("注意：未给出交接文据上的摘要（--digest），未核对移交包是否为签字时的那一个", markup=False)
    with progress_bar() as progress:
        result = receive(acting(engine_for(config), config), bag, digest, override,
                         lambda done, total: progress("四性检测", done, total))
    if result.failed_checks:
        out.print(f"注意：未通过四性检测的 {'、'.join(result.failed_checks)} 按理由“{override.strip()}”放行，"
                  "已记入审计日志", markup=False)
    if result.changed:
        items = f"、综合档案 {result.new_items} 件" if result.new_items else ""
        out.print(f"已接收批次 {result.batch}：新增案卷 {result.new_files} 卷{items}、扫描件 {result.new_pages} 页"
                  f"（包内共 {result.files} 卷 {result.pages} 页）")
    else:
        out.print(f"批次 {result.batch} 的这个移交包已接收过，未作改动")


@transfers_app.command("check")
def transfers_check(
    target: Annotated[str, typer.Argument(help="移交批次号，或移交包文件夹")],
    digest: Annotated[Optional[str], typer.Option("--digest", help="交接文据上印的移交包摘要（SHA-256）")] = None,
    carrier: Annotated[str, typer.Option("--carrier", help="载体，如 移动硬盘（登记表用）")] = "",
    output: Annotated[Optional[Path], typer.Option(
        "--out", help="四性检测报告和登记表 .pdf、.xlsx 或 .json",
        callback=output_as(".pdf", ".xlsx", ".json"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    to_printer: PrintOption = False,
) -> None:
    """四性检测（DA/T 70）：真实性、完整性、可用性、安全性逐项检测；有不通过的项时退出码为 1。"""
    from archive_tui.services.transfers.bag_checks import FAIL
    from archive_tui.services.transfers.transfer_checks import check_transfer

    config = load()
    if to_printer and output is None:
        raise ArchiveError("--print 须与 --out 文件名.pdf 一起用：打印的是四性检测报告和登记表")
    check_print(config, to_printer, output)
    with progress_bar(not as_json) as progress:
        report, register = check_transfer(acting(engine_for(config), config), target, digest=digest, carrier=carrier,
                                          out=output, progress=lambda done, total: progress("读取", done, total))
    if as_json:
        print_json({**report.as_dict(), "register": register})
    else:
        for item in sorted(report.items, key=lambda item: item.result != FAIL):
            details = f"：{'；'.join(item.details[:3])}" if item.details else ""
            if len(item.details) > 3:
                details += f"……共 {len(item.details):,} 处"
            out.print(f"{item.code} {item.result}  {item.name}{details}", markup=False)
        out.print(f"结论：{report.conclusion()}；摘要 SHA-256 {report.digest}", markup=False)
        if output:
            out.print(f"已生成 {output}", markup=False)
    if output:
        send_if_asked(config, output, to_printer, quiet=as_json)
    if report.failed:
        raise typer.Exit(1)


@transfers_app.command("check-report")
def transfers_check_report(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    output: Annotated[Path, typer.Option("--out", help=".pdf、.xlsx 或 .json",
                                         callback=output_as(".pdf", ".xlsx", ".json"))],
    to_printer: PrintOption = False,
) -> None:
    """最近一次四性检测的报告和登记表：检测时保存的那一份（不重新检测；被改动或缺失时拒绝并指明文件和摘要）。"""
    from archive_tui.services.transfers.transfer_checks import check_report

    config = load()
    check_print(config, to_printer, output)
    made = check_report(engine_for(config), config, batch, output)
    announce_made(config, made, to_printer)
