"""扫描件: intake, the watcher, the list, hand assignment, fixity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.cli.common import (acting, PrintOption, Table, check_print, out, load, engine_for, output_as,
                                    print_json,
                                    progress_bar, send_if_asked)


scans_app = typer.Typer(help="扫描件收件与挂接", no_args_is_help=True)


@scans_app.command("ingest")
def scans_ingest() -> None:
    """处理收件箱中现有的扫描件一次：挂接、归档、查重、隔离。不是扫描件的文件不动，只列出。"""
    from archive_tui.services.intake.scans import ingest_once

    config = load()
    with progress_bar() as progress:
        report = ingest_once(acting(engine_for(config), config), lambda done, total: progress("收件", done, total))
    out.print(f"已挂接归档 {report.linked} 个，待挂接 {report.unassigned} 个，重复 {report.duplicates} 个，"
              f"隔离 {report.quarantined} 个" + (f"，仍在写入、稍后再收 {report.waiting} 个" if report.waiting else ""),
              markup=False)
    for line in report.left_alone() + report.notes:
        out.print(line, markup=False)


@scans_app.command("watch")
def scans_watch() -> None:
    """持续监视收件箱，随到随收（Ctrl+C 停止）。"""
    import threading

    from archive_tui.services.intake.scans import watch_inbox

    config = load()
    stop = threading.Event()
    shown: list[str] = []  # what was said of the files left alone: said again only when it changes

    def show(report) -> None:
        if report.linked or report.unassigned or report.duplicates or report.quarantined or report.notes:
            out.print(f"已挂接 {report.linked}，待挂接 {report.unassigned}，重复 {report.duplicates}，"
                      f"隔离 {report.quarantined}" + "".join(f"\n  {note}" for note in report.notes), markup=False)
        left = report.left_alone()
        if left != shown and not report.busy:
            shown[:] = left
            for line in left:
                out.print(line, markup=False)

    out.print(f"正在监视 {config.inbox}（Ctrl+C 停止）")
    try:
        watch_inbox(acting(engine_for(config), config), stop, show)
    except KeyboardInterrupt:
        stop.set()
        out.print("已停止监视")


@scans_app.command("list")
def scans_list(
    status: Annotated[
        Optional[str], typer.Option("--status", help="linked、unassigned、duplicate、quarantined 或 replaced")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出扫描件。"""
    from archive_tui.core.states import PAGE_STATUS_LABELS
    from archive_tui.services.intake.scans import list_scans

    config = load()
    rows = list_scans(engine_for(config), status)
    if as_json:
        print_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("状态", "档号", "页", "格式", "dpi", "文件", "说明"):  # a 档号 never split over two lines
        table.add_column(column, overflow="fold", no_wrap=column in ("状态", "档号", "页", "格式", "dpi"))
    for row in rows:
        table.add_row(PAGE_STATUS_LABELS[row["status"]], row["archive_code"] or "", str(row["seq"] or ""),
                      row["format"], str(row["dpi"] or ""), row["path"], row["reason"])
    out.print(table)
    out.print(f"共 {len(rows)} 个扫描件")


@scans_app.command("assign")
def scans_assign(
    file: Annotated[str, typer.Argument(help="待挂接扫描件在存储库中的路径（scans list 所列）或其 SHA-256")],
    to: Annotated[str, typer.Option("--to", help="承包方编码或档号（户卷或综合档案）")],
    doc: Annotated[Optional[str], typer.Option(
        "--doc", help="卷内文件类型代码（config.toml 的 documents，延包的 Y01…）；给承包方编码时挂接到该户这一代码"
                      "所属工作阶段的卷；挂接到综合档案时不用")] = None,
    seq: Annotated[Optional[int], typer.Option("--seq", help="页序号（默认排在该卷最后）")] = None,
) -> None:
    """人工挂接一个待挂接的扫描件。"""
    from archive_tui.services.intake.scans import assign_scan

    config = load()
    stored = assign_scan(acting(engine_for(config), config), file, to, doc, seq)
    out.print(f"已挂接并归档到 {stored}")


@scans_app.command("verify")
def scans_verify(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """固定性检查：存储库中每个扫描件是否都在、是否被改动，有没有数据库不知道的文件。"""
    from archive_tui.services.intake.scans import verify_store

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


@scans_app.command("qc")
def scans_qc(
    village: Annotated[Optional[str], typer.Option("--village", help="只检查这个村（村名或村代码）")] = None,
    recheck: Annotated[bool, typer.Option("--recheck", help="已检查过的页也重新测量")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """图像质量检查：逐页测量空白、歪斜、黑边、裁切、重复，按 [quality] 的限度记为质检问题。

    有待处理的问题时退出码为 1。"""
    from archive_tui.services.intake.page_quality import run_qc
    from archive_tui.services.quality.page_rules import KIND_LABELS

    config = load()
    with progress_bar(not as_json) as progress:
        report = run_qc(acting(engine_for(config), config), village=village, recheck=recheck, progress=progress)
    if as_json:
        print_json(report.as_dict())
    else:
        out.print(f"测量 {report.measured} 页（无法读取 {report.unreadable} 页）；范围内已挂接 {report.pages} 页；"
                  f"新发现问题 {report.checks.opened} 个，已解决 {report.checks.resolved} 个")
        for rule_id, count in sorted(report.open_by_rule.items()):
            unit = "处" if rule_id == "page_count" else "页"  # page counts are per document
            out.print(f"  {KIND_LABELS.get(rule_id, rule_id)}（{rule_id}）：{count} {unit}待处理")
        if report.open_by_rule:
            out.print("逐页列出：archive-tui check --rule 规则名（如 page_skew）；"
                      "在程序“扫描”页的“问题页”中可查看、豁免或标记重扫")
    if report.open_by_rule:
        raise typer.Exit(1)


@scans_app.command("sample")
def scans_sample(
    share: Annotated[Optional[str], typer.Option(
        "--share", help="抽检比例，如 5%（默认取 [quality] sample_share）")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="只在这个村的页中抽")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="随机种子（默认由数据库状态决定，可重现）")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--out", help="抽检清单 .pdf 或 .xlsx（默认存到导出文件夹）", callback=output_as(".pdf", ".xlsx"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    to_printer: PrintOption = False,
) -> None:
    """人工抽检：从尚未抽过的页中随机抽取，补足到所要的比例，并打印抽检清单（带缩略图）。"""
    from archive_tui.services.intake.page_sample import draw_sample, parse_share, print_sample, sample_rows

    config = load()
    check_print(config, to_printer, output)
    engine = engine_for(config)
    sample = draw_sample(acting(engine, config), share=parse_share(share, config.settings.quality.sample_share),
                         village=village, seed=seed)
    printed = print_sample(engine, config, sample.number, output) if sample.drawn else None
    if as_json:
        if printed:
            send_if_asked(config, printed, to_printer, quiet=True)
        print_json({"sample": sample.number, "seed": sample.seed, "drawn": sample.drawn, "pages": sample.population,
                    "sampled": sample.sampled, "share": sample.share, "out": str(printed or ""),
                    "items": sample_rows(engine, sample.number) if sample.drawn else []})
        return
    if not sample.drawn:
        out.print(f"范围内 {sample.population} 页中已抽检 {sample.sampled} 页，已达到 {sample.share:g}%，本次未抽取")
        return
    out.print(f"抽检批号 {sample.number}：抽取 {sample.drawn} 页（随机种子 {sample.seed}），"
              f"范围内已抽检 {sample.sampled}/{sample.population} 页")
    out.print(f"已生成抽检清单 {printed}", markup=False)
    send_if_asked(config, printed, to_printer)
    out.print("逐页核对后用 archive-tui scans review 页 --ok 或 --problem 问题 记录结论")


@scans_app.command("review")
def scans_review(
    page: Annotated[str, typer.Argument(help="扫描页在存储库中的路径（scans list 所列）或其 SHA-256")],
    ok: Annotated[bool, typer.Option("--ok", help="合格")] = False,
    problem: Annotated[Optional[str], typer.Option("--problem", help="不合格，写明问题")] = None,
) -> None:
    """记录人工抽检结论：合格，或不合格及问题（不合格的页列为质检问题）。"""
    from archive_tui.core.errors import ArchiveError
    from archive_tui.services.intake.page_sample import review_page

    if ok == (problem is not None):
        raise ArchiveError("请给出 --ok 或 --problem 问题（二者选一）")
    config = load()
    result = review_page(acting(engine_for(config), config), page, ok=ok, problem=problem or "")
    label = "合格" if ok else f"不合格：{result['problem']}"
    out.print(f"{result['archive_code'] or ''} {result['path']}：{label}".strip())


@scans_app.command("rescan")
def scans_rescan(
    page: Annotated[str, typer.Argument(help="扫描页在存储库中的路径或其 SHA-256")],
    reason: Annotated[str, typer.Option("--reason", help="重扫原因")],
) -> None:
    """标记一页需要重扫：重扫件按“档号-页号”命名放入收件箱（或 scans assign --seq 该页号）即替换该页，原件保留。"""
    from archive_tui.services.intake.page_quality import mark_for_rescan

    config = load()
    stored = mark_for_rescan(acting(engine_for(config), config), page, reason)
    out.print(f"已标记重扫：{stored}")


@scans_app.command("suggest")
def scans_suggest(
    apply: Annotated[bool, typer.Option("--apply", help="把置信度达到下限的页直接挂接（记入审计日志）")] = False,
    min_confidence: Annotated[float, typer.Option(
        "--min-confidence", help="自动挂接的置信度下限（0–1，默认 0.9：只有身份证号、承包方编码或档号才够）")] = 0.9,
    again: Annotated[bool, typer.Option("--again", help="已识别过的页也重新识别")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """识别待挂接的页（离线 OCR），按页上的身份证号、承包方编码、档号、姓名和标题建议所属户卷和文件类型。"""
    from archive_tui.services.intake.page_suggest import evidence_words, suggest_pages

    config = load()
    with progress_bar(not as_json) as progress:
        report = suggest_pages(acting(engine_for(config), config), apply=apply, min_confidence=min_confidence,
                               again=again,
                               progress=lambda done, total: progress("识别", done, total))
    if as_json:
        print_json(report.rows)
        return
    out.print(f"识别 {report.read} 页（无法识别 {report.unreadable} 页），有挂接建议 {report.suggested} 页"
              + (f"，已自动挂接 {report.linked} 页" if apply else "")
              + (f"，按标题把 {report.sorted} 页未分类的扫描页归入卷内文件" if report.sorted else ""))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("文件", "建议户卷", "户主", "文件类型", "置信度", "依据"):
        table.add_column(column, overflow="fold")
    for row in report.rows:
        basis = evidence_words(row["evidence"])
        confidence = f"{row['confidence']:.2f}" if row["confidence"] else ""
        table.add_row(row["path"].rsplit("/", 1)[-1], row["archive_code"] or "", row["name"] or "",
                      row["doc_type"] or "", confidence,
                      "；".join(part for part in (basis, row["note"]) if part))  # the note: why no file (no 延包卷)
    out.print(table)
