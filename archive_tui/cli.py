"""The command line (命令行): thin Typer wrappers over the services.

User errors print one Chinese message on stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Iterator, Optional

import platformdirs
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from archive_tui.config import Config, find_config, load_config, write_default_config
from archive_tui.display import printable
from archive_tui.errors import ArchiveError
from archive_tui.services.archive_files import short_group

app = typer.Typer(
    help="乡镇农村土地承包经营权确权登记档案管理。不带命令时打开终端界面。",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
export_app = typer.Typer(help="导出数据", no_args_is_help=True)
app.add_typer(export_app, name="export")
scans_app = typer.Typer(help="扫描件收件与挂接", no_args_is_help=True)
app.add_typer(scans_app, name="scans")
certs_app = typer.Typer(help="证书：发放、收回、挂失、补发、换发、注销、销毁与发证率", no_args_is_help=True)
app.add_typer(certs_app, name="certs")
batch_app = typer.Typer(help="销毁清册", no_args_is_help=True)
certs_app.add_typer(batch_app, name="destroy-batch")
copies_app = typer.Typer(help="三份案卷的保管：位置、装盒、移动、借阅、清点", no_args_is_help=True)
app.add_typer(copies_app, name="copies")
transfers_app = typer.Typer(help="向县档案馆移交：批次、移交清单、移交包、接收", no_args_is_help=True)
app.add_typer(transfers_app, name="transfers")
audit_app = typer.Typer(help="审计日志：校验、查看", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
findings_app = typer.Typer(help="质检问题：列出、豁免", no_args_is_help=True)
app.add_typer(findings_app, name="findings")
print_app = typer.Typer(help="打印案卷封面、分隔页等（PDF）", no_args_is_help=True)
app.add_typer(print_app, name="print")

SCREEN_LIMIT = 100  # rows printed as a table when --limit is not given
class SafeConsole(Console):
    """Prints text from data with its control characters made visible (never raw escapes)."""

    def print(self, *objects, **kwargs) -> None:
        super().print(*(printable(o) if isinstance(o, str) else o for o in objects), **kwargs)


class Table(RichTable):
    """A rich table whose cells from data show control characters escaped."""

    def add_row(self, *cells, **kwargs) -> None:
        super().add_row(*(printable(c) if isinstance(c, str) else c for c in cells), **kwargs)


err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)
out = SafeConsole(highlight=False, soft_wrap=True)


class State:
    config_path: Path | None = None
    operator: str | None = None


state = State()


def load() -> Config:
    path = find_config(state.config_path)
    if path is None:
        raise ArchiveError("找不到配置文件 config.toml：请先在档案文件夹中运行 archive-tui init，或用 --config 指定")
    return load_config(path, state.operator)


def engine_for(config: Config):
    from archive_tui.db import open_database
    from archive_tui.services.audit import ANCHOR_SUFFIX, keep_anchor

    engine = open_database(config.database_url)
    if engine.dialect.name != "sqlite":  # a server's database: the anchor lives beside config.toml
        keep_anchor(engine, config.root / f"数据库{ANCHOR_SUFFIX}")
    return engine


def print_json(data: object) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator:
    """A progress bar on stderr; the callback takes (stage, done, total)."""
    if not enabled or not err.is_terminal:
        yield lambda stage, done, total: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("准备", total=1)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        yield update


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Optional[Path], typer.Option("--config", help="配置文件（默认 ./config.toml，再找用户配置文件夹）")
    ] = None,
    operator: Annotated[Optional[str], typer.Option("--operator", help="操作员姓名（记入审计日志）")] = None,
) -> None:
    state.config_path = config
    state.operator = operator
    if ctx.invoked_subcommand is None:
        from archive_tui.tui.app import run_app

        cfg = load()
        run_app(cfg, engine_for(cfg))


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
) -> None:
    """向空数据库填入一个虚拟乡镇的演示数据。"""
    from archive_tui.services.demo import fill_demo

    if with_scans:
        raise ArchiveError("--with-scans 需要扫描功能，当前版本尚未提供")
    config = load()
    engine = engine_for(config)
    with progress_bar() as progress:
        report = fill_demo(engine, config, households, seed, progress)
    out.print(f"已生成演示乡镇“{config.settings.township.name}”：{households}户，"
              f"案卷{report.new_files}卷，待核对问题{len(report.flags)}条。")


@app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help=".mdb/.accdb 数据库、.xlsx 工作簿或 CSV 文件夹")],
    skip_rejects: Annotated[bool, typer.Option("--skip-rejects", help="跳过不合格的行，导入其余数据")] = False,
    report_file: Annotated[
        Optional[Path],
        typer.Option("--report", help="把不合格行、问题标记和变更写入 CSV/XLSX 报告", callback=output_file)
    ] = None,
) -> None:
    """导入 NY/T 2539 确权登记数据（全部成功或全部不写入）。"""
    from archive_tui.services.importing import ImportRejected, run_import, write_report

    config = load()
    engine = engine_for(config)
    try:
        with progress_bar() as progress:
            report = run_import(engine, config, source, skip_rejects=skip_rejects, progress=progress)
    except ImportRejected as rejected:
        if report_file:
            write_report(rejected.report, report_file)
            rejected.details.append(f"完整报告已写入 {report_file}")
        raise
    if report_file:
        write_report(report, report_file)
    _print_import_summary(report, report_file)


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
    if report.reject_count:
        out.print(f"已跳过不合格的行 {report.reject_count} 处")
    flags = report.flag_counts()
    if flags:
        out.print("已导入但需核对（已登记为质检问题）：" + "；".join(f"{k} {v}条" for k, v in flags.items()))
    if report.findings_resolved:
        out.print(f"已解决的问题 {report.findings_resolved} 条")
    if report.other_township_rows:
        out.print(f"其他乡镇的记录 {report.other_township_rows} 行未导入")
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
    from archive_tui.services.households import FILE_STATUS_LABELS, count_households, list_households

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
    from rich.markup import escape

    from archive_tui.services.archive_files import LEVEL_LABELS
    from archive_tui.services.certificates import STATUS_LABELS
    from archive_tui.services.households import FILE_STATUS_LABELS, show_household
    from archive_tui.services.values import format_number

    config = load()
    data = show_household(engine_for(config), config, key, reveal=reveal)
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
    from archive_tui.services.exporting import export_nyt2539

    config = load()
    path, counts = export_nyt2539(engine_for(config), config, dest)
    out.print(f"已导出到 {path}：" + "，".join(f"{name} {count}行" for name, count in counts.items()))
    out.print("注意：国家表格式须含完整身份证号码，导出文件只应交给有权使用的单位，用后妥善保管（本次导出已记入审计日志）")


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


@print_app.command("covers")
def print_covers_command(
    keys: Annotated[Optional[list[str]], typer.Argument(help="承包方编码或档号（默认全部）")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="PDF 文件（默认在 exports 文件夹）", callback=output_file)] = None,
    separators: Annotated[bool, typer.Option("--separators/--no-separators", help="每类卷内文件打一张分隔页")] = True,
) -> None:
    """案卷封面（档号二维码）和分隔页：扫描时放在各卷、各类文件之前，收件时据此自动挂接。"""
    from archive_tui.services.printing import print_covers

    config = load()
    result = print_covers(engine_for(config), config, out_file, village=village, keys=keys or [],
                          separators=separators)
    print_warnings(result)
    out.print(f"已生成 {result.path}：{result.files} 卷，共 {result.pages} 页")


def print_warnings(result) -> None:
    """A printed form's warnings (characters no font has, …), one line each on stderr."""
    for warning in result.warnings:
        err.print(f"注意：{warning}", markup=False)


def _print_file_forms(kind: str, keys: list[str] | None, village: str | None, out_file: Path | None) -> None:
    from archive_tui.services import printing

    config = load()
    make = printing.print_contents if kind == "contents" else printing.print_notes
    result = make(engine_for(config), config, out_file, village=village, keys=keys or [])
    print_warnings(result)
    out.print(f"已生成 {result.path}：{result.files} 卷，共 {result.pages} 页")


@print_app.command("contents")
def print_contents_command(
    keys: Annotated[Optional[list[str]], typer.Argument(help="承包方编码或档号（默认全部）")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="PDF 文件（默认在 exports 文件夹）", callback=output_file)] = None,
) -> None:
    """卷内目录：序号、文号、责任者、题名、日期、页号（按扫描件计）、备注；每卷一表，续页重复表头。"""
    _print_file_forms("contents", keys, village, out_file)


@print_app.command("notes")
def print_notes_command(
    keys: Annotated[Optional[list[str]], typer.Argument(help="承包方编码或档号（默认全部）")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="PDF 文件（默认在 exports 文件夹）", callback=output_file)] = None,
) -> None:
    """卷内备考表：本卷情况说明（件数、页数、缺少的文件、与目录不符的扫描件），立卷人、检查人、立卷时间。"""
    _print_file_forms("notes", keys, village, out_file)


def parse_date(text: str | None, option: str = "--date") -> dt.date | None:
    from archive_tui.services.certificates import parse_day

    try:
        return parse_day(text or "")
    except ArchiveError as error:
        raise ArchiveError(f"{option}：{error.message}") from None


DateOption = Annotated[Optional[str], typer.Option("--date", help="日期 YYYY-MM-DD（默认今天）")]


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
    from archive_tui.services.certificates import STATUS_LABELS, list_certificates

    config = load()
    shown = limit if (limit or as_json) else SCREEN_LIMIT
    rows = list_certificates(engine_for(config), household=household, status=status, village=village,
                             outstanding=outstanding, limit=shown)
    if as_json:
        print_json([{key: row[key] for key in ("serial", "code", "cbfbm", "generation", "status")}
                    for row in rows])
        return
    names = config.settings.certificates
    generations = {"old": names.old_generation, "new": names.new_generation}
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("证书编号", "批次", "状态", "户主", "村组", "领取日期", "领取人"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["serial"], generations.get(row["generation"], row["generation"]),
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
    from archive_tui.services.certificates import Collector, issue

    config = load()
    details = issue(engine_for(config), config, serial, Collector(collector, collector_id, relation,
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
    from archive_tui.services.certificates import recall

    config = load()
    recall(engine_for(config), config, serial, by=by, condition=condition, on=parse_date(date))
    out.print(f"证书 {serial} 已收回")


@certs_app.command("lost")
def certs_lost(
    serial: Annotated[str, typer.Argument(help="证书编号")],
    reason: Annotated[str, typer.Option("--reason", help="说明")] = "",
    date: DateOption = None,
) -> None:
    """挂失证书。"""
    from archive_tui.services.certificates import lost

    config = load()
    lost(engine_for(config), config, serial, reason=reason, on=parse_date(date))
    out.print(f"证书 {serial} 已挂失")


@certs_app.command("cancel")
def certs_cancel(
    serial: Annotated[str, typer.Argument(help="证书编号")],
    reason: Annotated[str, typer.Option("--reason", help="注销原因")],
    date: DateOption = None,
) -> None:
    """注销证书。"""
    from archive_tui.services.certificates import cancel

    config = load()
    cancel(engine_for(config), config, serial, reason=reason, on=parse_date(date))
    out.print(f"证书 {serial} 已注销")


def _successor_command(action: str, serial: str, new: str, reason: str, date: str | None) -> None:
    from archive_tui.services import certificates

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
    serial: Annotated[str, typer.Argument(help="已收回或挂失的证书编号")],
    new: Annotated[str, typer.Option("--new", help="新证书编号")],
    reason: Annotated[str, typer.Option("--reason", help="说明")] = "",
    date: DateOption = None,
) -> None:
    """换发：旧证收回（或挂失）后换发新证。"""
    _successor_command("replace", serial, new, reason, date)


@certs_app.command("history")
def certs_history(serial: Annotated[str, typer.Argument(help="证书编号")]) -> None:
    """一个证书的全部记录。"""
    from archive_tui.services.certificates import ACTION_LABELS, STATUS_LABELS, certificate_history

    config = load()
    certificate, events = certificate_history(engine_for(config), serial)
    out.print(f"证书 {certificate['serial']}  {certificate['household_name']}  "
              f"{STATUS_LABELS.get(certificate['status'], certificate['status'])}")
    for event in events:
        out.print(f"  {event['happened_on'] or ''}  {ACTION_LABELS.get(event['kind'], event['kind'])}  "
                  f"{event['person_name']}  {event['reason']}  {event['details'] if event['details'] != '{}' else ''}"
                  f"  （{event['operator']}）", markup=False)


@certs_app.command("report")
def certs_report(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    by_group: Annotated[bool, typer.Option("--by-group", help="按村民小组列出")] = False,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="同时写成 .xlsx", callback=output_file)] = None,
) -> None:
    """发证率（目标 100%）和三张待办清单的数目：新证未发、旧证未收回、已收回未销毁。"""
    from archive_tui.services.certificates import issue_report, report_total

    config = load()
    rows = issue_report(engine_for(config), by_group=by_group)
    if out_file is not None:
        from archive_tui.reports.certificates import write_issue_report_xlsx

        write_issue_report_xlsx(out_file, rows + [report_total(rows)], by_group)
    if as_json:
        print_json(rows)
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
        out.print(f"已写入 {out_file}")


@certs_app.command("roster")
def certs_roster(
    village: Annotated[str, typer.Option("--village", help="村名或村代码")],
    out_file: Annotated[Path, typer.Option("--out", help=".pdf 或 .xlsx", callback=output_file)],
    group: Annotated[Optional[str], typer.Option("--group", help="只打印一个组（如 第一村民小组 或 01）")] = None,
    full_id: Annotated[bool, typer.Option("--full-id", help="印出完整身份证号码（记入审计日志）")] = False,
) -> None:
    """颁证清册：每组一张，供领证人签字，末行合计。"""
    from archive_tui.services.certificate_forms import print_roster

    config = load()
    result = print_roster(engine_for(config), config, village, out_file, group=group, full_id=full_id)
    print_warnings(result)
    out.print(f"已生成 {result.path}：{result.files} 个组，{result.pages} 户")


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

    from archive_tui.services.certificates import BatchForm, new_batch

    config = load()
    form = BatchForm(approval, approver, re.split(r"[,，、]", supervisors), method, place,
                     parse_date(date), appraisal_head, parse_date(approved_on, "--approved-on"))
    print(new_batch(engine_for(config), config, form))


@batch_app.command("add")
def batch_add(
    batch: Annotated[str, typer.Argument(help="销毁清册编号")],
    serials: Annotated[list[str], typer.Argument(help="证书编号（已收回或已注销的）")],
) -> None:
    """把证书列入销毁清册（有一个不合格则都不列入）。"""
    from archive_tui.services.certificates import add_to_batch

    config = load()
    added = add_to_batch(engine_for(config), config, batch, serials)
    out.print(f"已将 {added} 个证书列入销毁清册 {batch}")


@batch_app.command("close")
def batch_close(batch: Annotated[str, typer.Argument(help="销毁清册编号")]) -> None:
    """关闭销毁清册：所列证书全部记为已销毁，清册此后不能改动。"""
    from archive_tui.services.certificates import close_batch

    config = load()
    destroyed = close_batch(engine_for(config), config, batch)
    out.print(f"销毁清册 {batch} 已关闭，{destroyed} 个证书记为已销毁")


@batch_app.command("print")
def batch_print(
    batch: Annotated[str, typer.Argument(help="销毁清册编号")],
    out_file: Annotated[Path, typer.Option("--out", help=".pdf 或 .xlsx", callback=output_file)],
) -> None:
    """打印销毁清册（PDF 或 XLSX）。"""
    from archive_tui.services.certificate_forms import print_destruction_register

    config = load()
    result = print_destruction_register(engine_for(config), config, batch, out_file)
    print_warnings(result)
    out.print(f"已生成 {result.path}")


@batch_app.command("list")
def batch_list(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出销毁清册。"""
    from archive_tui.services.certificates import list_batches

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


@app.command()
def check(
    village: Annotated[Optional[str], typer.Option("--village", help="只检查一个村")] = None,
    rules: Annotated[Optional[list[str]], typer.Option("--rule", help="只运行这条规则（可重复）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", help="问题清单写成 .xlsx", callback=output_file)] = None,
) -> None:
    """质量检查：结果记为问题（待处理、已解决、已豁免）；再次运行时已改正的自动销号。有待处理问题时退出码为 1。"""
    from archive_tui.services.checks import (
        RULES, SEVERITY_LABELS, export_findings, list_findings, pass_shares, run_checks,
    )

    config = load()
    engine = engine_for(config)
    with progress_bar(not as_json) as progress:
        result = run_checks(engine, config, village=village, rules=rules,
                            progress=lambda done, total: progress("质检", done, total))
    findings = list_findings(engine, village=village, rules=rules)
    if xlsx is not None:
        export_findings(engine, xlsx, village=village, rules=rules)
    if as_json:
        print_json([{key: f[key] for key in ("id", "rule", "severity", "cbfbm", "archive_code", "message", "status")}
                    for f in findings])
    else:
        out.print(f"新发现 {result.opened}，已销号 {result.resolved}，待处理 {result.still_open}，"
                  f"已豁免 {result.waived}")
        counts: dict[str, int] = {}
        for finding in findings:
            if finding["status"] == "open":
                counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        for column in ("规则", "级别", "说明", "待处理"):
            table.add_column(column, justify="right" if column == "待处理" else "left")
        for rule_id, count in sorted(counts.items(), key=lambda item: -item[1]):
            unit = RULES.get(rule_id)
            table.add_row(rule_id, SEVERITY_LABELS.get(unit.severity if unit else "", ""),
                          unit.description if unit else "（导入时发现）", f"{count:,}")
        out.print(table)
        target = config.settings.checks.pass_share
        shares = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                       title=f"各村无待处理错误的户所占比例（要求 ≥ {target:g}%）")
        for column in ("村", "户数", "有问题户", "合格率"):
            shares.add_column(column, justify="left" if column == "村" else "right")
        for row in pass_shares(engine, village):
            mark = "" if row["pass_share"] >= target else " ✗"
            shares.add_row(row["village"], f"{row['households']:,}", f"{row['failing']:,}",
                           f"{row['pass_share']:.1f}%{mark}")
        out.print(shares)
        if xlsx is not None:
            out.print(f"问题清单已写入 {xlsx}")
    if any(finding["status"] == "open" for finding in findings):
        raise typer.Exit(1)


@findings_app.command("list")
def findings_list(
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    rules: Annotated[Optional[list[str]], typer.Option("--rule", help="规则（可重复）")] = None,
    status: Annotated[Optional[str], typer.Option("--status", help="open、resolved 或 waived")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="最多列出几条", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出质检问题（默认：待处理和已豁免的）。"""
    from archive_tui.services.checks import STATUS_LABELS, list_findings

    if status is not None and status not in STATUS_LABELS:
        raise ArchiveError(f"问题状态“{status}”无效：应为 open、resolved 或 waived")
    config = load()
    shown = limit if (limit or as_json) else SCREEN_LIMIT
    rows = list_findings(engine_for(config), village=village, rules=rules,
                         statuses=(status,) if status else ("open", "waived"), limit=shown)
    if as_json:
        print_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("编号", "规则", "承包方编码", "户主", "问题", "状态"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row["id"]), row["rule"], row["cbfbm"], row["name"], row["message"],
                      STATUS_LABELS.get(row["status"], row["status"]))
    out.print(table)
    out.print(f"列出 {len(rows)} 条")


@findings_app.command("waive")
def findings_waive(
    finding_id: Annotated[int, typer.Argument(help="问题编号（findings list 或 check --json 的 id）")],
    reason: Annotated[str, typer.Option("--reason", help="豁免理由")],
) -> None:
    """豁免一条待处理的问题（写明理由，记录操作员和时间）。"""
    from archive_tui.services.checks import waive

    config = load()
    waive(engine_for(config), config, finding_id, reason)
    out.print(f"问题 {finding_id} 已豁免")


LevelOption = Annotated[Optional[str], typer.Option("--level", help="village 村级、township 乡镇级、county 县级")]


@copies_app.command("list")
def copies_list(
    level: LevelOption = None,
    holder: Annotated[Optional[str], typer.Option("--holder", help="保管单位")] = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help="assembling、filed、lent、in_transit、transferred")] = None,
    box_no: Annotated[Optional[str], typer.Option("--box", help="盒号")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    location: Annotated[Optional[str], typer.Option("--location", help="位置 楼/室/柜/层（可只写前几级）")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="最多列出几份", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出各份案卷：保管单位、代管、位置、盒号、状态。"""
    from archive_tui.services.archive_files import LEVEL_LABELS
    from archive_tui.services.copies import STATUS_LABELS, list_copies

    config = load()
    shown = limit if (limit or as_json) else SCREEN_LIMIT
    rows = list_copies(engine_for(config), level=level, holder=holder, status=status, box=box_no, village=village,
                       location=location, limit=shown)
    if as_json:
        print_json([{key: row[key] for key in ("archive_code", "cbfbm", "level", "holder", "keeper", "location",
                                               "box", "status")} for row in rows])
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("档号", "份", "保管单位", "代管", "位置", "盒号", "状态"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["archive_code"], LEVEL_LABELS[row["level"]], row["holder"], row["keeper"],
                      row["location"] or "未登记", row["box"], STATUS_LABELS.get(row["status"], row["status"]))
    out.print(table)
    out.print(f"列出 {len(rows)} 份")


@copies_app.command("move")
def copies_move(
    keys: Annotated[list[str], typer.Argument(help="承包方编码、档号或盒号（可多个）")],
    to: Annotated[str, typer.Option("--to", help="新位置 楼/室/柜/层，如 乡政府/档案室/3/2")] = "",
    level: LevelOption = None,
    holder: Annotated[Optional[str], typer.Option("--holder", help="新的保管单位")] = None,
    keeper: Annotated[Optional[str], typer.Option("--keeper", help="新的代管单位")] = None,
    box_no: Annotated[Optional[str], typer.Option("--box", help="放入的盒号")] = None,
    reason: Annotated[str, typer.Option("--reason", help="原因")] = "",
) -> None:
    """移动案卷（不给 --level 时三份都移）；每份记一条历史。"""
    from archive_tui.services.copies import move

    config = load()
    moved = move(engine_for(config), config, keys, to, level=level, holder=holder, keeper=keeper, box=box_no,
                 reason=reason)
    out.print(f"已移动 {moved} 份")


@copies_app.command("box")
def copies_box(
    village: Annotated[str, typer.Option("--village", help="村名或村代码")],
    capacity: Annotated[Optional[int], typer.Option("--capacity", help="每盒卷数")] = None,
    pages: Annotated[Optional[int], typer.Option("--pages", help="每盒页数（与 --capacity 二选一）")] = None,
    level: LevelOption = None,
    group: Annotated[Optional[str], typer.Option("--group", help="只装一个组")] = None,
    start: Annotated[int, typer.Option("--start", help="第一个盒序号", min=1)] = 1,
) -> None:
    """装盒：按档号顺序把案卷装入连续编号的盒（不给 --level 时三份各自装盒）；重新装盒保留历史。"""
    from archive_tui.services.copies import box_files

    config = load()
    result = box_files(engine_for(config), config, village=village, capacity=capacity, pages=pages, level=level,
                       group=group, start=start)
    first, last = result.boxes[0], result.boxes[-1]
    out.print(f"已装盒 {result.copies} 份，共 {len(result.boxes)} 盒（{first} … {last}），"
              f"其中 {result.changed} 份有变动")


@copies_app.command("lend")
def copies_lend(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")],
    to: Annotated[str, typer.Option("--to", help="借阅人")],
    until: Annotated[str, typer.Option("--until", help="归还日期 YYYY-MM-DD")],
    purpose: Annotated[str, typer.Option("--purpose", help="用途")] = "",
    date: DateOption = None,
) -> None:
    """借出一份案卷。"""
    from archive_tui.services.copies import lend

    config = load()
    lend(engine_for(config), config, key, level, to, parse_date(until, "--until"), purpose=purpose,
         on=parse_date(date))
    out.print(f"已借出：{key}（{level}）借给 {to}，应于 {until} 归还")


@copies_app.command("return")
def copies_return(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")],
    date: DateOption = None,
) -> None:
    """归还借出的案卷。"""
    from archive_tui.services.copies import give_back

    config = load()
    give_back(engine_for(config), config, key, level, parse_date(date))
    out.print(f"已归还：{key}（{level}）")


@copies_app.command("loans")
def copies_loans(
    overdue: Annotated[bool, typer.Option("--overdue", help="只列逾期未还的")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """借出未还的案卷（--overdue：已逾期的）。"""
    from archive_tui.services.copies import loans

    config = load()
    rows = loans(engine_for(config), overdue_on=dt.date.today() if overdue else None)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['archive_code']}  {row['level']}  {row['name']}  借给 {row['borrower']}  "
                  f"{row['lent_on']} 借出，应于 {row['due_on']} 归还  {row['purpose']}", markup=False)
    out.print(f"共 {len(rows)} 份" + ("逾期未还" if overdue else "借出未还"))


@copies_app.command("tick")
def copies_tick(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")],
    present: Annotated[str, typer.Option("--present", help="实有的卷内文件类型代码，逗号分开，如 01,02,03")],
) -> None:
    """清点一份案卷实有的卷内文件，三份之间的差别在户卷中显示。"""
    import re

    from archive_tui.services.copies import tick

    config = load()
    missing = tick(engine_for(config), config, key, level, [c for c in re.split(r"[,，、 ]+", present) if c])
    out.print("已记录；" + ("缺少必备文件：" + "、".join(missing) if missing else "必备文件齐全"))


@copies_app.command("history")
def copies_history(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")],
) -> None:
    """一份案卷的全部历史（谁、何时、从哪到哪、为什么）。"""
    from archive_tui.services.copies import ACTION_LABELS, history

    config = load()
    for event in history(engine_for(config), key, level):
        before, after = event["before"], event["after"]
        changes = "，".join(f"{name} {before.get(name) or '—'} → {after.get(name) or '—'}" for name in after
                           if before.get(name) != after.get(name))
        out.print(f"{(event['at'] or '')[:16]}  {ACTION_LABELS.get(event['action'], event['action'])}  {changes}  "
                  f"{event['reason']}（{event['operator']}）", markup=False)


@print_app.command("shelf-list")
def print_shelf_list_command(
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    location: Annotated[Optional[str], typer.Option("--location", help="位置 楼/室/柜/层")] = None,
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")] = "township",
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help=".pdf 或 .xlsx（默认在 exports 文件夹）", callback=output_file)] = None,
) -> None:
    """案卷目录：档号、案卷题名、年度、保管期限、页数、盒号，按档号排列。"""
    from archive_tui.services.copies import check_level
    from archive_tui.services.printing import print_shelf_list

    config = load()
    check_level(level)
    result = print_shelf_list(engine_for(config), config, out_file, village=village, level=level, location=location)
    print_warnings(result)
    out.print(f"已生成 {result.path}：{result.files} 卷")


@print_app.command("box-labels")
def print_box_labels_command(
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    level: Annotated[str, typer.Option("--level", help="village、township 或 county")] = "township",
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="PDF 文件（默认在 exports 文件夹）", callback=output_file)] = None,
) -> None:
    """盒脊标签（全宗号、年度、档号起止、保管期限、盒号）和每盒的盒内目录（A4 PDF）。"""
    from archive_tui.services.copies import check_level
    from archive_tui.services.printing import print_box_labels

    config = load()
    check_level(level)
    result = print_box_labels(engine_for(config), config, out_file, village=village, level=level)
    print_warnings(result)
    out.print(f"已生成 {result.path}：{result.files} 盒，{result.pages} 页")


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
    from archive_tui.services.transfers import Batch, new_batch

    config = load()
    print(new_batch(engine_for(config), config, Batch(to, note, level, handed_over_by, received_by, supervised_by,
                                                      copies_count)))


@transfers_app.command("add")
def transfers_add(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    keys: Annotated[Optional[list[str]], typer.Argument(help="承包方编码或档号")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="加入一个村的案卷")] = None,
    group: Annotated[Optional[str], typer.Option("--group", help="只加入一个组")] = None,
    status: Annotated[Optional[str], typer.Option("--status", help="只加入这一状态的（如 filed）")] = None,
    override: Annotated[str, typer.Option("--override", help="放行不全或质检未通过的案卷，写明理由")] = "",
    skip_refused: Annotated[bool, typer.Option("--skip-refused", help="只加入合格的，其余列出")] = False,
) -> None:
    """把案卷加入移交批次：只能加入文件齐全、质检通过的（或写明理由放行）。"""
    from archive_tui.services.transfers import add

    config = load()
    result = add(engine_for(config), config, batch, keys or [], village=village, group=group, status=status,
                 override=override, skip_refused=skip_refused)
    out.print(f"已加入 {result.added} 卷" + (f"（其中放行 {result.overridden} 卷）" if result.overridden else ""))
    for line in result.refused:
        out.print(f"  未加入：{line}", markup=False)


@transfers_app.command("list")
def transfers_list(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出移交批次。"""
    from archive_tui.services.transfers import STATUS_LABELS, list_batches

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
    from archive_tui.services.copies import STATUS_LABELS as COPY_STATUS
    from archive_tui.services.transfers import RESULT_LABELS, STATUS_LABELS, show

    config = load()
    data = show(engine_for(config), batch)
    if as_json:
        print_json({**{key: data[key] for key in ("batch", "status", "to", "files", "pages")},
                    "items": [{key: item[key] for key in ("archive_code", "cbfbm", "status")}
                              for item in data["items"]]})
        return
    out.print(f"{data['batch']}  {STATUS_LABELS[data['status']]}  接收单位 {data['to']}  "
              f"{data['files']} 卷 {data['pages']} 页", markup=False)
    for item in data["items"]:
        label = RESULT_LABELS.get(item["status"]) or COPY_STATUS.get(item["status"], item["status"])
        override = f"  放行：{item['override']}" if item["override"] else ""
        out.print(f"  {item['archive_code']}  {item['title']}  {item['pages']} 页  {label}{override}", markup=False)


@transfers_app.command("manifest")
def transfers_manifest(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    out_file: Annotated[Path, typer.Option("--out", help=".pdf、.xlsx 或 .csv", callback=output_file)],
) -> None:
    """移交清单（案卷目录）和交接文据。"""
    from archive_tui.services.transfer_forms import manifest

    config = load()
    result = manifest(engine_for(config), config, batch, out_file)
    print_warnings(result)
    out.print(f"已生成 {result.path}")


@transfers_app.command("package")
def transfers_package(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    out_dir: Annotated[Path, typer.Option("--out", help="放移交包的文件夹")],
    max_gb: Annotated[Optional[float], typer.Option("--max-gb", help="每个包最多多少 GB（超过则分成几个包）")] = None,
    link: Annotated[bool, typer.Option("--link", help="与存储库在同一磁盘时用硬链接代替复制（快；包内文件即存储库文件，"
                                                      "只可复制走，不可在包内修改）")] = False,
) -> None:
    """BagIt 移交包：按档号存放的扫描件和目录（CSV、JSON），SHA-256 清单。"""
    from archive_tui.services.transfer_bags import package

    config = load()
    bags = package(engine_for(config), config, batch, out_dir,
                   max_bytes=int(max_gb * 1_000_000_000) if max_gb else None, link=link)
    for bag in bags:
        out.print(f"已生成移交包 {bag}")


@transfers_app.command("send")
def transfers_send(batch: Annotated[str, typer.Argument(help="移交批次号")]) -> None:
    """移交：清单冻结，所列案卷记为移交中。"""
    from archive_tui.services.transfers import send

    config = load()
    out.print(f"批次 {batch} 已移交，{send(engine_for(config), config, batch)} 卷记为移交中")


@transfers_app.command("close")
def transfers_close(
    batch: Annotated[str, typer.Argument(help="移交批次号")],
    missing: Annotated[Optional[list[str]], typer.Option("--missing", help="接收时缺失的案卷（可重复）")] = None,
    damaged: Annotated[Optional[list[str]], typer.Option("--damaged", help="接收时破损的案卷（可重复）")] = None,
) -> None:
    """接收完毕：逐卷记为已接收、缺失或破损，并列出差异。"""
    from archive_tui.services.transfers import close

    config = load()
    found = close(engine_for(config), config, batch, missing=missing or [], damaged=damaged or [])
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
    from archive_tui.services.transfers import return_batch

    config = load()
    out.print(f"批次 {batch} 已退回，{return_batch(engine_for(config), config, batch, reason)} 卷回到本乡镇")


@transfers_app.command("receive")
def transfers_receive(bag: Annotated[Path, typer.Argument(help="移交包文件夹")]) -> None:
    """（县档案馆）接收移交包：先校验，再导入目录和扫描件；同一个包再接收一次不会改动。"""
    from archive_tui.services.transfer_bags import receive

    config = load()
    result = receive(engine_for(config), config, bag)
    if result.changed:
        out.print(f"已接收批次 {result.batch}：新增案卷 {result.new_files} 卷、扫描件 {result.new_pages} 页"
                  f"（包内共 {result.files} 卷 {result.pages} 页）")
    else:
        out.print(f"批次 {result.batch} 的这个移交包已接收过，未作改动")


@audit_app.command("verify")
def audit_verify(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """校验审计日志的哈希链：被改动、删除或调换顺序的记录会被发现，指出第一条有问题的。"""
    from archive_tui.services.audit import known_anchors, verify

    config = load()
    engine = engine_for(config)
    anchors = known_anchors(engine, config)
    report = verify(engine, anchors=anchors)
    if as_json:
        print_json(report.as_dict())
    elif report.ok:
        out.print(f"审计日志完好：{report.checked:,} 条记录的哈希链一致"
                  + (f"，与 {len(anchors)} 个锚点（数据库旁、备份中）相符" if anchors else ""))
    else:
        bad = report.first_bad
        where = (f"第一处在第 {bad['id']} 条（{bad['at']} {bad['operator']} {bad['action']} {bad['key']}）："
                 if "action" in bad else "")
        out.print(f"审计日志有问题：{where}{bad['problem']}", markup=False)
        for problem in report.problems[1:20]:
            out.print(f"  {problem}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("log")
def audit_log(
    entity: Annotated[Optional[str], typer.Option("--entity", help="对象：承包方编码、档号、证书编号等")] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多列出几条（最新的）", min=1)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出审计日志（谁、何时、做了什么、改动前后）。"""
    from archive_tui.services.audit import log
    from archive_tui.services.audit_text import action_label, change_text

    config = load()
    rows = log(engine_for(config), entity_key=entity, limit=limit)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']:>6}  {row['at'][:19].replace('T', ' ')}  {row['operator']}  "
                  f"{action_label(row['action'])}  {row['key']}  {change_text(row['before'], row['after'], 80)}",
                  markup=False)
    out.print(f"共 {len(rows)} 条")


@app.command("backup")
def backup_command(
    dest: Annotated[Path, typer.Argument(help="备份文件夹（新的或空的）；已有备份时配合 --verify 校验它")],
    verify: Annotated[bool, typer.Option("--verify", help="校验备份（写完后校验；DEST 已是备份时只校验）")] = False,
    with_store: Annotated[bool, typer.Option("--with-store", help="连同存储库中的扫描件一起备份")] = False,
) -> None:
    """备份：配置、数据库（程序运行时也可以）、扫描件清单及校验值（--with-store 连同扫描件）。"""
    from archive_tui.services.backup import MANIFEST, backup, verify_backup

    if verify and (dest / MANIFEST).is_file():
        report = verify_backup(dest)
    else:
        config = load()
        report = backup(engine_for(config), config, dest, with_store=with_store)
        out.print(f"已备份到 {dest}" + (f"（含扫描件 {report.store_files} 个）" if with_store else ""))
        if verify and report.ok:
            report = verify_backup(dest)
    for problem in report.problems[:50]:
        err.print(f"  {problem}", markup=False)
    if verify:
        out.print("备份校验通过" if report.ok else f"备份校验未通过：{len(report.problems)} 处问题")
    if not report.ok:
        raise typer.Exit(1)


@app.command("restore")
def restore_command(
    src: Annotated[Path, typer.Argument(help="备份文件夹")],
    target: Annotated[Path, typer.Option("--into", help="恢复到哪个文件夹（默认当前文件夹，须为空）")] = Path("."),
) -> None:
    """在一个空文件夹中从备份恢复出可用的档案（不覆盖任何东西）。"""
    from archive_tui.db import open_database
    from archive_tui.services.backup import restore

    report = restore(src, target)
    for note in report.notes:
        out.print(f"注意：{note}", markup=False)
    config = load_config(target / "config.toml")
    open_database(config.database_url).dispose()  # opens (and upgrades, if the backup is older)
    out.print(f"已从 {src} 恢复到 {target.resolve()}" + (f"，含扫描件 {report.store_files} 个" if report.store_files
                                                         else "（备份中没有扫描件，只有清单）"))


def output_file(value: Path | None) -> Path | None:
    """An output file given on the command line, checked before any work is done (a command
    that stops with an error has changed nothing): not a folder, its folder writable."""
    if value is None:
        return None
    if value.is_dir():
        raise ArchiveError(f"输出位置 {value} 是一个文件夹；请给出文件名，例如 {value / '输出.xlsx'}")
    folder = value.parent if str(value.parent) else Path(".")
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise ArchiveError(f"输出位置 {value} 的上级 {existing} 是文件，不是文件夹")
    if not os.access(existing, os.W_OK) or (value.exists() and not os.access(value, os.W_OK)):
        raise ArchiveError(f"没有权限写入 {value}（文件夹只读？）；请换一个位置")
    return value


def _os_problem(error: OSError) -> str:
    """A file-system failure in Chinese, naming the file."""
    name = error.filename or ""
    if isinstance(error, IsADirectoryError):
        return f"“{name}”是文件夹，不是文件"
    if isinstance(error, PermissionError):
        return f"没有权限读写“{name}”（只读的文件夹或介质？）"
    if isinstance(error, FileNotFoundError):
        return f"找不到“{name}”"
    if error.errno == errno.ENAMETOOLONG:
        return f"文件名过长：“{str(name)[:60]}…”"
    if error.errno == errno.ENOSPC:
        return "磁盘空间不足"
    return f"读写文件出错（{error.strerror or error}）：“{name}”"


def _crash_log() -> Path:
    """The traceback of an unexpected failure, in the archive folder's logs (or the user's)."""
    import traceback

    try:
        folder = (find_config(state.config_path) or Path("config.toml")).resolve().parent / "logs"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(platformdirs.user_log_dir("archive-tui", appauthor=False))
        folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"错误-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    path.write_text(f"archive-tui {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}", encoding="utf-8")
    return path


def main() -> None:
    """Entry point: user errors become one Chinese message on stderr and exit 1; anything
    unexpected too, with its traceback written to a log file instead of the screen."""
    try:
        _main()
    except KeyboardInterrupt:
        err.print("已中断。", markup=False)
        sys.exit(130)
    except OSError as error:
        err.print(f"错误：{_os_problem(error)}。", markup=False)
        sys.exit(1)
    except Exception:  # noqa: BLE001 - the last resort: never a traceback on the archivist's screen
        try:
            where = f"详细信息已写入 {_crash_log()}，请发给维护人员"
        except OSError:
            where = "详细信息未能写入日志文件"
        err.print(f"错误：程序遇到意外问题，未能完成（{where}）。", markup=False)
        sys.exit(1)


def _main() -> None:
    try:
        app()  # click's standalone mode: usage errors exit 2
    except ArchiveError as error:
        err.print(f"[red]错误：[/]{escape(error.message)}")
        for line in error.details:
            err.print(line, markup=False)
        sys.exit(1)
    except OperationalError as error:
        reason = str(error.orig)
        if "locked" in reason:
            err.print("错误：数据库正被其他程序占用（已锁定），请稍后重试。数据库未作改动。", markup=False)
        else:
            err.print(f"错误：数据库操作失败：{reason}。数据库未作改动。", markup=False)
        sys.exit(1)
    except SQLAlchemyError as error:
        err.print(f"错误：数据库操作失败：{error}。数据库未作改动。", markup=False)
        sys.exit(1)
