"""质检: running the checks, listing and waiving findings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.core.errors import ArchiveError
from archive_tui.cli.common import (acting,
    app, SCREEN_LIMIT, Table, out, load, engine_for, print_json, progress_bar, output_as
)


@app.command()
def check(
    village: Annotated[Optional[str], typer.Option("--village", help="只检查一个村")] = None,
    rules: Annotated[Optional[list[str]], typer.Option("--rule", help="只运行这条规则（可重复）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    xlsx: Annotated[Optional[Path], typer.Option(
        "--xlsx", help="问题清单写成 .xlsx", callback=output_as(".xlsx"))] = None,
) -> None:
    """质量检查：结果记为问题（待处理、已解决、已豁免）；再次运行时已改正的自动销号。有待处理问题时退出码为 1。"""
    from archive_tui.services.quality.checks import (
        export_findings, list_findings, open_by_rule, pass_shares, rule_label, run_checks,
    )

    config = load()
    engine = engine_for(config)
    with progress_bar(not as_json) as progress:
        result = run_checks(acting(engine, config), village=village, rules=rules,
                            progress=lambda done, total: progress("质检", done, total))
    counts = open_by_rule(engine, village=village, rules=rules)
    if xlsx is not None:
        export_findings(engine, xlsx, village=village, rules=rules)
    if as_json:
        print_json([{key: f[key] for key in ("id", "rule", "severity", "cbfbm", "archive_code", "message", "status")}
                    for f in list_findings(engine, village=village, rules=rules)])
    else:
        out.print(f"新发现 {result.opened}，已销号 {result.resolved}，待处理 {result.still_open}，"
                  f"已豁免 {result.waived}")
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        for column in ("规则", "级别", "说明", "待处理"):
            table.add_column(column, justify="right" if column == "待处理" else "left")
        for rule_id, count in sorted(counts.items(), key=lambda item: -item[1]):
            severity, description = rule_label(rule_id, config)
            table.add_row(rule_id, severity, description, f"{count:,}")
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
    if any(counts.values()):
        raise typer.Exit(1)


findings_app = typer.Typer(help="质检问题：列出、豁免", no_args_is_help=True)


@findings_app.command("list")
def findings_list(
    village: Annotated[Optional[str], typer.Option("--village", help="村名或村代码")] = None,
    rules: Annotated[Optional[list[str]], typer.Option("--rule", help="规则（可重复）")] = None,
    status: Annotated[Optional[str], typer.Option("--status", help="open、resolved 或 waived")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="最多列出几条", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出质检问题（默认：待处理和已豁免的）。"""
    from archive_tui.services.quality.checks import STATUS_LABELS, list_findings

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
        table.add_row(str(row["id"]), row["rule"], row["cbfbm"] or f"（{row['village']}全村）", row["name"] or "",
                      row["message"], STATUS_LABELS.get(row["status"], row["status"]))
    out.print(table)
    out.print(f"列出 {len(rows)} 条")


@findings_app.command("waive")
def findings_waive(
    reason: Annotated[str, typer.Option("--reason", help="豁免理由")],
    finding_id: Annotated[Optional[int], typer.Argument(
        help="问题编号（findings list 或 check --json 的 id）；或用 --rule 豁免一条规则的全部待处理问题")] = None,
    rule: Annotated[Optional[str], typer.Option("--rule", help="豁免这条规则的全部待处理问题（规则编码）")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="只豁免这个村的（与 --rule 同用）")] = None,
) -> None:
    """豁免待处理的问题（写明理由，记录操作员和时间）：一条（编号），或一条规则（--rule，可加 --village）的全部。"""
    from archive_tui.services.quality.checks import rule_label, waive, waive_many

    if (finding_id is None) == (rule is None):
        raise typer.BadParameter("给出一个问题编号，或用 --rule 给出规则（二者只能选一）")
    if village is not None and rule is None:
        raise typer.BadParameter("--village 须与 --rule 同用", param_hint="--village")
    config = load()
    context = acting(engine_for(config), config)
    if finding_id is not None:
        waive(context, finding_id, reason)
        out.print(f"问题 {finding_id} 已豁免")
        return
    count = waive_many(context, reason, rule=rule, village=village)
    where = f"村“{village}”中" if village else ""
    out.print(f"已豁免{where}规则 {rule}（{rule_label(rule, config)[1]}）的待处理问题 {count:,} 条")
