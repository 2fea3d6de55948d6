"""证书: the register, its events, the issue-rate report, the roster, destruction batches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.services.households.archive_files import short_group
from archive_tui.cli.common import (acting, announce_made,
    SCREEN_LIMIT, Table, out, load, engine_for, print_json, print_warnings, parse_date, DateOption,
    PrintOption, check_print, output_as, send_if_asked
)
from archive_tui.core.errors import ArchiveError


certs_app = typer.Typer(help="证书：发放、收回、挂失、补发、换发、注销、销毁与发证率", no_args_is_help=True)


batch_app = typer.Typer(help="销毁清册", no_args_is_help=True)
certs_app.add_typer(batch_app, name="destroy-batch")


@certs_app.command("list")
def certs_list(
    household: Annotated[Optional[str], typer.Option("--household", help="承包方编码或户主姓名")] = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help="printed、issued、lost、recalled、cancelled、destroyed")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    outstanding: Annotated[Optional[str], typer.Option(
        "--outstanding",
        help="new_not_issued 新证未发、old_not_recalled 旧证未收回、recalled_not_destroyed 未销毁")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="最多列出几个", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出证书。"""
    from archive_tui.services.registers.certificates import STATUS_LABELS, list_certificates

    config = load()
    shown = limit if (limit or as_json) else SCREEN_LIMIT
    rows = list_certificates(engine_for(config), household=household, status=status, village=village,
                             outstanding=outstanding, limit=shown)
    if as_json:
        print_json([{key: row[key] for key in ("serial", "code", "cbfbm", "generation", "status")}
                    for row in rows])
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("证书编号", "批次", "状态", "户主", "村组", "领取日期", "领取人"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["serial"], config.settings.generation_label(row["generation"], row["campaign"]),
                      STATUS_LABELS.get(row["status"], row["status"]), row["name"],
                      row["village"] + short_group(row["group"]), row["collected_on"] or "", row["collector"])
    out.print(table)
    out.print(f"列出 {len(rows)} 个证书" + ("（用 --limit 列出更多）" if len(rows) == shown and not limit else ""))


@certs_app.command("issue")
def certs_issue(
    serial: Annotated[str, typer.Argument(help="证书编号")],
    collector: Annotated[str, typer.Option("--collector", help="领证人姓名")],
    collector_id: Annotated[str, typer.Option("--collector-id", help="领证人身份证号码")],
    relation: Annotated[str, typer.Option("--relation", help="与户主关系（代码或名称，如 02 户主、10 配偶）")] = "",
    proxy_letter: Annotated[str, typer.Option(
        "--proxy-letter", help="户主委托书扫描件（文件）或编号（他人代领时必填）")] = "",
    date: DateOption = None,
) -> None:
    """发放证书。户主以外的人代领须有委托书；涉及基本农田、高标准农田或争议的只能由户主本人领取。"""
    from archive_tui.services.registers.certificates import Collector, issue

    config = load()
    details = issue(acting(engine_for(config), config), serial, Collector(collector, collector_id, relation,
                    proxy_letter=proxy_letter), parse_date(date))
    letter = f"，委托书：{details['proxy_letter']}" if details.get("proxy_letter") else ""
    out.print(f"证书 {serial} 已发放给 {collector}（{details['relation_label'] or '户主'}）{letter}")


@certs_app.command("recall")
def certs_recall(
    serial: Annotated[str, typer.Argument(help="证书编号")],
    by: Annotated[str, typer.Option("--by", help="交回人")] = "",
    condition: Annotated[str, typer.Option("--condition", help="证书状况，如 完好、破损")] = "",
    date: DateOption = None,
) -> None:
    """收回证书（通常是旧证）。"""
    from archive_tui.services.registers.certificates import recall

    config = load()
    recall(acting(engine_for(config), config), serial, by=by, condition=condition, on=parse_date(date))
    out.print(f"证书 {serial} 已收回")


@certs_app.command("lost")
def certs_lost(
    serial: Annotated[str, typer.Argument(help="证书编号")],
    reason: Annotated[str, typer.Option("--reason", help="说明")] = "",
    date: DateOption = None,
) -> None:
    """挂失证书。"""
    from archive_tui.services.registers.certificates import lost

    config = load()
    lost(acting(engine_for(config), config), serial, reason=reason, on=parse_date(date))
    out.print(f"证书 {serial} 已挂失")


@certs_app.command("cancel")
def certs_cancel(
    serial: Annotated[str, typer.Argument(help="证书编号")],
    reason: Annotated[str, typer.Option("--reason", help="注销原因")],
    date: DateOption = None,
) -> None:
    """注销证书。"""
    from archive_tui.services.registers.certificates import cancel

    config = load()
    cancel(acting(engine_for(config), config), serial, reason=reason, on=parse_date(date))
    out.print(f"证书 {serial} 已注销")


def _successor_command(action: str, serial: str, new: str, reason: str, date: str | None) -> None:
    from archive_tui.services.registers import certificates

    config = load()
    getattr(certificates, action)(engine_for(config), config, serial, new, reason=reason, on=parse_date(date))
    out.print(f"证书 {serial} 已{certificates.ACTION_LABELS[action]}为 {new}；新证发放时请用 certs issue {new}")


@certs_app.command("reissue")
def certs_reissue(
    serial: Annotated[str, typer.Argument(help="已挂失的证书编号")],
    new: Annotated[str, typer.Option("--new", help="新证书编号")],
    reason: Annotated[str, typer.Option("--reason", help="说明")] = "",
    date: DateOption = None,
) -> None:
    """补发：为已挂失的证书补发新证。"""
    _successor_command("reissue", serial, new, reason, date)


@certs_app.command("replace")
def certs_replace(
    serial: Annotated[Optional[str], typer.Argument(help="已收回或挂失的证书编号（按村成批换发时不写）")] = None,
    new: Annotated[Optional[str], typer.Option("--new", help="新证书编号")] = None,
    reason: Annotated[str, typer.Option("--reason", help="说明")] = "",
    date: DateOption = None,
    campaign: Annotated[Optional[str], typer.Option(
        "--campaign", help="按工作阶段成批换发（如 延包）：该村已确认、公示无异议、签约且有新证的户，"
                           "收回确权证书并换发")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="（与 --campaign 同用）村名或村代码")] = None,
) -> None:
    """换发：旧证收回（或挂失）后换发新证；或 --campaign 延包 --village 村 成批换发。"""
    if campaign is not None:
        if serial or new:
            raise ArchiveError("按工作阶段成批换发（--campaign）时不写证书编号和 --new：新证来自该阶段导入的数据")
        if not village:
            raise ArchiveError("成批换发须用 --village 指明哪个村")
        _campaign_replace(campaign.strip(), village, reason, date)
        return
    if not serial or not new:
        raise ArchiveError("请给出已收回（或挂失）的证书编号和 --new 新证书编号；"
                           "成批换发用 --campaign 延包 --village 村")
    _successor_command("replace", serial, new, reason, date)


def _campaign_replace(campaign: str, village: str, reason: str, date: str | None) -> None:
    from archive_tui.services.campaigns.replacement import replace_for_campaign

    config = load()
    report = replace_for_campaign(acting(engine_for(config), config), campaign, village, on=parse_date(date),
                                  reason=reason)
    out.print(f"{report.village}：{campaign}换发 {len(report.exchanged)} 本（确权证书已收回，待列入销毁清册）")
    for item in report.exchanged[:SCREEN_LIMIT]:
        out.print(f"  {item.household}：{item.old} → {item.new}")
    if report.already:
        out.print(f"此前已换发 {report.already} 本，未重复记录")
    if report.passed_by:
        out.print(f"未换发 {len(report.passed_by)} 户：")
        for household, why in report.passed_by[:SCREEN_LIMIT]:
            out.print(f"  {household}：{why}")


@certs_app.command("history")
def certs_history(serial: Annotated[str, typer.Argument(help="证书编号")]) -> None:
    """一个证书的全部记录。"""
    from archive_tui.services.registers.certificates import (
        ACTION_LABELS, STATUS_LABELS, certificate_history, details_text,
    )

    config = load()
    certificate, events = certificate_history(engine_for(config), serial)
    out.print(f"证书 {certificate['serial']}  {certificate['household_name']}  "
              f"{STATUS_LABELS.get(certificate['status'], certificate['status'])}")
    for event in events:
        out.print(f"  {event['happened_on'] or ''}  {ACTION_LABELS.get(event['kind'], event['kind'])}  "
                  f"{event['person_name']}  {event['reason']}  {details_text(event['details'])}"
                  f"  （{event['operator']}）", markup=False)


@certs_app.command("report")
def certs_report(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    by_group: Annotated[bool, typer.Option("--by-group", help="按村民小组列出")] = False,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="同时写成 .pdf（A4 表格）或 .xlsx", callback=output_as(".pdf", ".xlsx"))] = None,
    to_printer: PrintOption = False,
) -> None:
    """发证率（目标 100%）和三张待办清单的数目：新证未发、旧证未收回、已收回未销毁。"""
    from archive_tui.services.registers.certificates import issue_report, report_total

    config = load()
    if to_printer and out_file is None:
        raise ArchiveError("--print 须与 --out 文件名.pdf 一起用：先生成发证率表，再发送到打印机")
    check_print(config, to_printer, out_file)
    engine = engine_for(config)
    rows = issue_report(engine, by_group=by_group)
    if out_file is not None:
        from archive_tui.services.registers.issue_forms import write_issue_report

        made = write_issue_report(engine, config, out_file, by_group=by_group, rows=rows)
    if as_json:
        print_json(rows)
        if out_file is not None:  # stdout carries the JSON only
            print_warnings(made)
            send_if_asked(config, made.path, to_printer, quiet=True)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    columns = ["村"] + (["组"] if by_group else []) + ["户数", "已发证", "发证率", "新证未发", "旧证未收回", "未销毁"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("村", "组") else "right")
    for row in rows + [report_total(rows)]:
        table.add_row(row["village"], *([short_group(row.get("group", ""))] if by_group else []),
                      f"{row['households']:,}", f"{row['issued']:,}", f"{row['issue_rate']:.1f}%",
                      f"{row['new_not_issued']:,}", f"{row['old_not_recalled']:,}",
                      f"{row['recalled_not_destroyed']:,}")
    out.print(table)
    if out_file is not None:
        announce_made(config, made, to_printer)


@certs_app.command("roster")
def certs_roster(
    village: Annotated[str, typer.Option("--village", help="村名或村代码")],
    out_file: Annotated[Path, typer.Option("--out", help=".pdf 或 .xlsx", callback=output_as(".pdf", ".xlsx"))],
    group: Annotated[Optional[str], typer.Option("--group", help="只打印一个组（如 第一村民小组 或 01）")] = None,
    full_id: Annotated[bool, typer.Option("--full-id", help="印出完整身份证号码（记入审计日志）")] = False,
    sign: Annotated[bool, typer.Option("--sign", help="签发：按现在的数据生成并保存这一份（摘要记入审计日志），"
                                                      "此后重印即为这一份")] = False,
    to_printer: PrintOption = False,
) -> None:
    """颁证清册：每组一张，供领证人签字，末行合计。签发过的（--sign）重印时给出签发的那一份。"""
    from archive_tui.services.registers.certificate_forms import print_roster

    config = load()
    check_print(config, to_printer, out_file)
    result = print_roster(acting(engine_for(config), config), village, out_file, group=group, full_id=full_id,
                          sign=sign)
    announce_made(config, result, to_printer, what="（已签发）" if sign else "",
                  detail=f"：{result.files} 个组，{result.pages} 户")


@batch_app.command("new")
def batch_new(
    approval: Annotated[str, typer.Option("--approval", help="批准销毁的文件文号")],
    approver: Annotated[str, typer.Option("--approver", help="批准人")],
    supervisors: Annotated[str, typer.Option("--supervisors", help="两名监销人，用逗号分开")],
    method: Annotated[str, typer.Option("--method", help="销毁方式，如 粉碎")],
    place: Annotated[str, typer.Option("--place", help="销毁地点")],
    date: Annotated[str, typer.Option("--date", help="销毁日期 YYYY-MM-DD")],
    appraisal_head: Annotated[str, typer.Option("--appraisal-head", help="鉴定小组组长")] = "",
    approved_on: Annotated[Optional[str], typer.Option("--approved-on", help="批准日期 YYYY-MM-DD")] = None,
) -> None:
    """新建销毁清册；打印清册编号。"""
    import re

    from archive_tui.services.registers.certificates import BatchForm, new_batch

    config = load()
    form = BatchForm(approval, approver, re.split(r"[,，、]", supervisors), method, place,
                     parse_date(date), appraisal_head, parse_date(approved_on, "--approved-on"))
    print(new_batch(acting(engine_for(config), config), form))


@batch_app.command("add")
def batch_add(
    batch: Annotated[str, typer.Argument(help="销毁清册编号")],
    serials: Annotated[list[str], typer.Argument(help="证书编号（已收回或已注销的）")],
) -> None:
    """把证书列入销毁清册（有一个不合格则都不列入）。"""
    from archive_tui.services.registers.certificates import add_to_batch

    config = load()
    added = add_to_batch(acting(engine_for(config), config), batch, serials)
    out.print(f"已将 {added} 个证书列入销毁清册 {batch}")


@batch_app.command("close")
def batch_close(batch: Annotated[str, typer.Argument(help="销毁清册编号")]) -> None:
    """关闭销毁清册：所列证书全部记为已销毁，清册此后不能改动。"""
    from archive_tui.services.registers.certificates import close_batch

    config = load()
    destroyed = close_batch(acting(engine_for(config), config), batch)
    out.print(f"销毁清册 {batch} 已关闭，{destroyed} 个证书记为已销毁")


@batch_app.command("print")
def batch_print(
    batch: Annotated[str, typer.Argument(help="销毁清册编号")],
    out_file: Annotated[Path, typer.Option("--out", help=".pdf 或 .xlsx", callback=output_as(".pdf", ".xlsx"))],
    to_printer: PrintOption = False,
) -> None:
    """打印销毁清册（PDF 或 XLSX）。"""
    from archive_tui.services.registers.certificate_forms import print_destruction_register

    config = load()
    check_print(config, to_printer, out_file)
    result = print_destruction_register(acting(engine_for(config), config), batch, out_file)
    announce_made(config, result, to_printer)


@batch_app.command("list")
def batch_list(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出销毁清册。"""
    from archive_tui.services.registers.certificates import list_batches

    config = load()
    rows = list_batches(engine_for(config))
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = "已关闭" if row["status"] == "closed" else "未关闭"
        out.print(f"{row['batch']}  {state}  {row['certificates']} 个证书  销毁日期 {row['destroyed_on'] or ''}  "
                  f"{row['approval_doc']}", markup=False)
    if not rows:
        out.print("还没有销毁清册")
