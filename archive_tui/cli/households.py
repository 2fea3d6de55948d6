"""Setting up and reading the archive: init, demo, import, export, households, show."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.markup import escape

from archive_tui.bootstrap import open_engine
from archive_tui.core.config import find_config, load_config, write_default_config
from archive_tui.core.errors import ArchiveError
from archive_tui.services.households.archive_files import short_group
from archive_tui.cli.common import (acting,
    app, SCREEN_LIMIT, Table, out, state, load, engine_for, print_json, progress_bar, output_as
)


export_app = typer.Typer(help="导出数据", no_args_is_help=True)


@app.command()
def init() -> None:
    """创建 config.toml（若无）、数据库、收件箱和存储库；升级已有数据库。"""
    from archive_tui.db import upgrade, make_engine

    path = state.config_path or find_config(None) or Path.cwd() / "config.toml"
    if write_default_config(path):
        out.print(f"已创建配置文件 {path}（请按本乡镇实际修改乡镇名称、代码和全宗号）")
    else:
        out.print(f"使用已有配置文件 {path}")
    config = load_config(path, state.operator)
    for folder in (config.inbox, config.store, config.exports):
        folder.mkdir(parents=True, exist_ok=True)
    before, after = upgrade(make_engine(config.database_url))
    open_engine(config).dispose()  # as every later opening: the database owner-only, its audit anchor made
    if before is None:
        out.print(f"已创建数据库 {config.database_url}（结构版本 {after}）")
    elif before != after:
        out.print(f"数据库已从结构版本 {before} 升级到 {after}")
    else:
        out.print(f"数据库已是最新结构版本 {after}")
    out.print(f"扫描收件箱：{config.inbox}\n扫描存储库：{config.store}")


@app.command()
def demo(
    households: Annotated[int, typer.Option("--households", help="户数", min=1, max=300_000)] = 300,
    seed: Annotated[int, typer.Option("--seed", help="随机种子（同一种子生成相同数据）")] = 1,
    with_scans: Annotated[bool, typer.Option("--with-scans", help="同时生成扫描件（扫描功能上线后可用）")] = False,
    campaign: Annotated[Optional[str], typer.Option(
        "--campaign", help="给演示乡镇加上后续工作阶段（如 延包）的数据：部分户已完成、部分在办、一户有纠纷")] = None,
) -> None:
    """向空数据库填入一个虚拟乡镇的演示数据；--campaign 延包 再加上延包数据。"""
    from archive_tui.services.campaigns.demo_campaign import fill_demo_campaign
    from archive_tui.services.exchange.demo import fill_demo
    from archive_tui.services.households.households import count_households

    if with_scans:
        raise ArchiveError("--with-scans 需要扫描功能，当前版本尚未提供")
    config = load()
    engine = engine_for(config)
    if campaign is not None:
        config.settings.campaign(campaign.strip())  # an unknown name says so before anything is made
    if campaign is None or not count_households(engine):
        with progress_bar() as progress:
            report = fill_demo(acting(engine, config), households, seed, progress)
        out.print(f"已生成演示乡镇“{config.settings.township.name}”：{households}户，"
                  f"案卷{report.new_files}卷，待核对问题{len(report.flags)}条。")
    if campaign is not None:
        done = fill_demo_campaign(acting(engine, config), campaign.strip(), seed)
        for line in done.lines():
            out.print(line)


@app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help=".mdb/.accdb 数据库、.xlsx 工作簿或 CSV 文件夹")],
    skip_rejects: Annotated[bool, typer.Option("--skip-rejects", help="跳过不合格的行，导入其余数据")] = False,
    report_file: Annotated[
        Optional[Path],
        typer.Option("--report", help="把不合格行、问题标记和变更写入 .csv 或 .xlsx 报告",
                     callback=output_as(".csv", ".xlsx"))
    ] = None,
    campaign: Annotated[Optional[str], typer.Option(
        "--campaign", help="作为后续工作阶段（如 延包）的数据导入：与确权数据并存，不覆盖确权的合同和证书")] = None,
    new_households: Annotated[bool, typer.Option(
        "--new-households", help="（与 --campaign 同用）允许确权登记中没有的承包方，逐户列出")] = False,
) -> None:
    """导入 NY/T 2539 确权登记数据（全部成功或全部不写入）。"""
    from archive_tui.services.exchange.importing import ImportRejected, run_import, write_report

    config = load()
    engine = engine_for(config)
    if campaign is not None and campaign.strip() != "确权":
        _import_campaign(config, engine, source, campaign.strip(), new_households)
        return
    if new_households:
        raise ArchiveError("--new-households 只用于后续工作阶段的导入（与 --campaign 延包 同用）")
    try:
        with progress_bar() as progress:
            report = run_import(acting(engine, config), source, skip_rejects=skip_rejects, progress=progress)
    except ImportRejected as rejected:
        if report_file:
            write_report(rejected.report, report_file)
            rejected.details.append(f"完整报告已写入 {report_file}")
        raise
    if report_file:
        write_report(report, report_file)
    _print_import_summary(report, report_file)


def _import_campaign(config, engine, source: Path, campaign: str, new_households: bool) -> None:
    from archive_tui.services.campaigns.extension_import import run_campaign_import

    report = run_campaign_import(acting(engine, config), source, campaign, new_households=new_households)
    if not report.changed and report.reached:
        out.print(f"数据源 {report.source} 中的{campaign}数据与数据库中的完全相同，未作任何改动。")
    for line in report.lines():
        out.print(line)


def _print_import_summary(report, report_file: Path | None) -> None:
    rows = sum(c.new + c.updated + c.unchanged for c in report.counts.values())
    if rows == 0 and not report.reject_count:
        out.print(f"数据源 {report.source} 中没有任何记录（各表均为空），未作任何改动。")
        return
    if not report.changed and not report.new_files:
        same = "一致（冲突见下），" if report.conflict_count else "完全相同，"
        out.print(f"数据源 {report.source} 与数据库中的数据{same}未作任何改动。")
    table = Table(title="导入结果", show_lines=False)
    for column in ("表", "新增", "更新", "未变"):
        table.add_column(column, justify="right" if column != "表" else "left")
    for name, count in report.counts.items():
        table.add_row(name, str(count.new), str(count.updated), str(count.unchanged))
    out.print(table)
    if report.new_files:
        out.print(f"新建案卷 {report.new_files} 卷（每卷村、乡镇、县三份）")
    if report.catalogued:
        out.print(f"卷内目录按数据填写或更新 {report.catalogued} 条（日期、文号、责任者）")
    if report.reject_count:
        out.print(f"已跳过不合格的行 {report.reject_count} 处")
    flags = report.flag_counts()
    if flags:
        out.print("已导入但需核对（已登记为质检问题）：" + "；".join(f"{k} {v}条" for k, v in flags.items()))
    if report.findings_resolved:
        out.print(f"已解决的问题 {report.findings_resolved} 条")
    if report.other_township_rows:
        out.print(f"其他乡镇的记录 {report.other_township_rows} 行未导入")
    for note in report.notes:
        out.print(f"注意：{note}")
    if report.ignored:
        out.print(f"未导入的表或文件：{'、'.join(report.ignored)}")
    for name, columns in report.ignored_columns.items():
        out.print(f"表 {name} 中国家标准以外的字段未导入：{'、'.join(columns)}")
    more = "，详见报告" if report_file else "，可用 --report 导出全部"
    if report.conflict_count:
        out.print(f"与本档案记录不一致、已保留本档案的值 {report.conflict_count} 处：")
        for conflict in report.conflicts[:30]:
            out.print(f"  冲突 {conflict.line()}")
        if report.conflict_count > 30:
            out.print(f"  ……共{report.conflict_count}处冲突{more}")
    for change in report.changes[:30]:
        out.print(f"  变更 {change.line()}")
    if report.change_count > 30:
        out.print(f"  ……共{report.change_count}处变更{more}")


@app.command()
def households(
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    search: Annotated[Optional[str], typer.Option("--search", help="按姓名、编码、档号、成员或身份证号查找")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="最多列出几户", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出承包户。"""
    from archive_tui.services.households.filters import FILE_STATUS_LABELS
    from archive_tui.services.households.households import count_households, list_households

    config = load()
    engine = engine_for(config)
    shown = limit if (limit or as_json) else SCREEN_LIMIT
    rows = list_households(engine, village=village, search=search, limit=shown)
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("没有符合条件的承包户。")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column, width in (("档号", None), ("承包方编码", None), ("户主", 6), ("村组", 12), ("人/地", 5), ("状态", 6)):
        table.add_column(column, no_wrap=width is None, min_width=width, overflow="fold")
    for row in rows:
        table.add_row(row["archive_code"] or "", row["cbfbm"], row["name"], row["village"] + short_group(row["group"]),
                      f"{row['members']}/{row['parcels']}", FILE_STATUS_LABELS.get(row["status"], row["status"] or ""))
    out.print(table)
    total = count_households(engine, village=village, search=search)
    more = f"，只列出前 {len(rows)} 户（用 --limit 列出更多）" if total > len(rows) else ""
    out.print(f"共 {total} 户{more}")


@app.command()
def show(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    reveal: Annotated[bool, typer.Option("--reveal", help="显示完整身份证和电话号码（记入审计日志）")] = False,
) -> None:
    """显示一户的完整户卷。"""

    from archive_tui.services.households.archive_files import LEVEL_LABELS
    from archive_tui.services.registers.certificates import STATUS_LABELS
    from archive_tui.services.households.filters import FILE_STATUS_LABELS
    from archive_tui.services.households.households import show_household
    from archive_tui.core.values import format_number

    config = load()
    data = show_household(acting(engine_for(config), config), key, reveal=reveal)
    if as_json:
        print_json(data)
        return
    h, f = data["household"], data["archive_file"]
    say = out.print  # data is escaped: a name like 张[/b]三 is shown as written
    say(f"[bold]{escape(h['name'])}[/]  承包方编码 {h['cbfbm']}  {escape(h['village'] + h['group'])}")
    if f:
        say(escape(f"档号 {f['archive_code']}  {f['title']}  {f['retention']}  {f['pages']}页  "
                   f"{FILE_STATUS_LABELS.get(f['status'], f['status'])}"))
    say(escape("家庭成员：" + "、".join(f"{m['name']}（{m['relation']}，{m['id_number'] or '无身份证号'}）"
                                   for m in data["members"])))
    say(f"承包地块 {len(data['parcels'])} 块，合计 {sum(p['area_mu'] or 0 for p in data['parcels']):.2f} 亩")
    for p in data["parcels"]:
        sides = "、".join(f"{side}{p[key]}" for side, key in (("东", "east"), ("南", "south"), ("西", "west"),
                                                              ("北", "north")) if p[key])
        farmland = "基本农田" if p["basic_farmland"] else "非基本农田"
        say(escape(f"  {p['dkbm']} {p['name'] or '（无地块名称）'} {format_number(p['area_mu'] or 0)} 亩  "
                   f"{farmland}  四至：{sides or '未登记'}"))
    if f:
        say(escape("三份：" + "；".join(f"{LEVEL_LABELS[c['level']]} {c['holder']} {c['location'] or '位置未登记'} "
                                       f"{FILE_STATUS_LABELS.get(c['status'], c['status'])}" for c in f["copies"])))
    missing = [d["title"] for d in data["documents"] if d["required"] and not d["present"]]
    say(escape("卷内文件：" + (f"缺 {'、'.join(missing)}" if missing else "齐全")))
    for c in data["certificates"]:
        say(escape(f"证书 {c['serial']}（{'新证' if c['generation'] == 'new' else '旧证'}）"
                   f"{STATUS_LABELS.get(c['status'], c['status'])}"))
    for finding in data["findings"]:
        if finding["status"] == "open":
            say(f"[yellow]问题[/] {escape(finding['message'])}")


@export_app.command("nyt2539")
def export_nyt2539_command(
    dest: Annotated[Path, typer.Argument(help="CSV 文件夹或 .xlsx 文件")],
) -> None:
    """按 NY/T 2539 表结构导出（CSV 文件夹或 .xlsx）。"""
    from archive_tui.services.exchange.exporting import export_nyt2539

    config = load()
    path, counts = export_nyt2539(acting(engine_for(config), config), dest)
    out.print(f"已导出到 {path}：" + "，".join(f"{name} {count}行" for name, count in counts.items()))
    out.print("注意：国家表格式须含完整身份证号码，导出文件只应交给有权使用的单位，用后妥善保管（本次导出已记入审计日志）")
