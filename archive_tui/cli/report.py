"""月报 and a later campaign's progress (延包 …) from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.cli.common import (PrintOption, Table, announce_made, check_print, engine_for, load, out, output_as,
                                    print_json, print_warnings, send_if_asked)
from archive_tui.core.errors import ArchiveError

VILLAGE_COLUMNS = ("households", "complete", "linked", "issued", "findings_open", "transferred")
report_app = typer.Typer(help="工作进展报告", no_args_is_help=True)


@report_app.command("monthly")
def report_monthly(
    month: Annotated[Optional[str], typer.Option("--month", help="月份 YYYY-MM（默认本月）")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--out", help="输出 .pdf 或 .xlsx", callback=output_as(".pdf", ".xlsx"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    to_printer: PrintOption = False,
) -> None:
    """按村的月末累计数和本月增减：户数、案卷齐全、挂接页、质检问题、发证、旧证收回销毁、装盒移交、纠纷。"""
    from archive_tui.services.registers.monthly import (METRICS, Month, change_text, flow_text, monthly_figures,
                                                        print_monthly)

    config = load()
    chosen = Month.parse(month)
    if to_printer and output is None:
        raise ArchiveError("--print 须与 --out 文件名.pdf 一起用：先生成月报，再发送到打印机")
    check_print(config, to_printer, output)
    engine = engine_for(config)
    if output is not None:
        path = print_monthly(engine, config, chosen, output)
        announce_made(config, path, to_printer, what="月报")
        return
    figures = monthly_figures(engine, config, chosen)
    if as_json:
        print_json(figures)
        return
    total = Table(title=f"{chosen.label()} 月报：全乡镇", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("项目", "月末累计", "本月增减"):
        total.add_column(column, justify="left" if column == "项目" else "right")
    for key, label, unit in METRICS:
        total.add_row(f"{label}（{unit}）", f"{figures['total'][key][0]:,}", change_text(figures["total"], key))
    out.print(total)
    villages = Table(title="各村（月末累计，+本月增减）", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    shown = [metric for metric in METRICS if metric[0] in VILLAGE_COLUMNS]
    villages.add_column("村", overflow="fold")
    for _key, label, _unit in shown:
        villages.add_column(label, justify="right")
    for row in figures["villages"]:
        villages.add_row(row["name"], *[f"{row[key][0]:,}" + (f" {row[key][1]:+,}" if row[key][1] else "")
                                        + (f"（{flow_text(row)}）" if key == "findings_open" and flow_text(row) else "")
                                        for key, _label, _unit in shown])
    out.print(villages)
    for section in figures["campaigns"]:
        if section["total"]:
            out.print(_campaign_table(f"{section['label']}（{section['campaign']}）：月末累计，+本月完成",
                                      [*section["villages"], section["total"]], month=True))
    out.print("全部项目见 --out 月报.pdf 或 .xlsx", markup=False)


def _campaign_table(title: str, rows: list[dict], *, month: bool) -> Table:
    """A campaign's progress per village and 合计: each step's count (+ the month's) and share."""
    from archive_tui.services.households.dashboard import CAMPAIGN_STEPS, IN_MONTH

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("村", overflow="fold")
    table.add_column("户数", justify="right")
    for _key, label in CAMPAIGN_STEPS:
        table.add_column(label, justify="right")
    for row in rows:
        cells = []
        for key, _label in CAMPAIGN_STEPS:
            during = row.get(IN_MONTH.format(key)) if month else None
            cells.append(f"{row[key]:,}" + (f"（+{during:,}）" if during else "") + f" {row[f'{key}_rate']:.1f}%")
        table.add_row(row["village"], f"{row['households']:,}", *cells)
    return table


@report_app.command("campaign")
def report_campaign(
    name: Annotated[str, typer.Argument(help="工作阶段名称，如 延包（config.toml 的 [[campaigns]]）")],
    month: Annotated[Optional[str], typer.Option("--month", help="月份 YYYY-MM：另计本月完成数（累计至月末）")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--out", help="输出 .pdf 或 .xlsx", callback=output_as(".pdf", ".xlsx"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    to_printer: PrintOption = False,
) -> None:
    """按村统计一个工作阶段（如延包）的进度：户数，已确认、已公示（无异议）、已签约、已颁证、已归档的户数和比例。"""
    from archive_tui.services.campaigns.progress import (campaign_progress, print_campaign, progress_json,
                                                         report_title)
    from archive_tui.services.registers.monthly import Month

    config = load()
    config.settings.campaign(name)  # an unknown campaign: said before anything else is done
    chosen = Month.parse(month) if month else None
    if to_printer and output is None:
        raise ArchiveError("--print 须与 --out 文件名.pdf 一起用：先生成进度表，再发送到打印机")
    check_print(config, to_printer, output)
    engine = engine_for(config)
    if output is not None:
        made = print_campaign(engine, config, name, output, chosen)
        if not as_json:
            announce_made(config, made, to_printer, what="进度表")
            return
        print_warnings(made)
        send_if_asked(config, made.path, to_printer, quiet=True)
    progress = campaign_progress(engine, config, name, chosen)
    if as_json:
        print_json(progress_json(progress))
        return
    title = report_title(config, progress) + (f"（{progress['month']}，+本月完成）" if chosen else "")
    out.print(_campaign_table(title, [*progress["villages"], progress["total"]], month=chosen is not None))
