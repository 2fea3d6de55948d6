"""纠纷调处: the dispute register from the command line."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich import box

from archive_tui.cli.common import Table, acting, engine_for, load, out, parse_date, print_json

disputes_app = typer.Typer(help="纠纷调处登记", no_args_is_help=True)


@disputes_app.command("add")
def disputes_add(
    key: Annotated[str, typer.Argument(help="承包方编码或档号")],
    subject: Annotated[str, typer.Option("--subject", help="争议事项")],
    date: Annotated[str, typer.Option("--date", help="发生或受理日期 YYYY-MM-DD")],
    parties: Annotated[str, typer.Option("--parties", help="当事人，用“、”分隔")] = "",
    parcel: Annotated[str, typer.Option("--parcel", help="涉及的地块编码")] = "",
) -> None:
    """登记一起纠纷（该户即不能由他人代领证书，直到结案）。"""
    from archive_tui.services.households.disputes import NewDispute, add_dispute

    config = load()
    number = add_dispute(acting(engine_for(config), config), NewDispute(key, subject, parse_date(date), parties,
                                                                        parcel))
    out.print(f"已登记纠纷 {number}")


@disputes_app.command("stage")
def disputes_stage(
    number: Annotated[str, typer.Argument(help="纠纷编号，如 纠纷2026-001")],
    stage: Annotated[str, typer.Argument(help="mediation（调解）、arbitration（仲裁）或 litigation（诉讼）")],
    date: Annotated[str, typer.Option("--date", help="日期 YYYY-MM-DD")],
    note: Annotated[str, typer.Option("--note", help="经过")] = "",
) -> None:
    """纠纷进入下一阶段。"""
    from archive_tui.services.households.disputes import move_dispute

    config = load()
    move_dispute(acting(engine_for(config), config), number, stage, parse_date(date), note)
    out.print(f"纠纷 {number} 已记录")


@disputes_app.command("close")
def disputes_close(
    number: Annotated[str, typer.Argument(help="纠纷编号")],
    outcome: Annotated[str, typer.Option("--outcome", help="结果：调解协议、裁决或判决")],
    date: Annotated[str, typer.Option("--date", help="结案日期 YYYY-MM-DD")],
    right_changed: Annotated[bool, typer.Option("--right-changed", help="结果改变了承包经营权（须补充登记和颁证）")]
    = False,
) -> None:
    """结案。"""
    from archive_tui.core.states import DisputeStage
    from archive_tui.services.households.disputes import move_dispute

    config = load()
    move_dispute(acting(engine_for(config), config), number, DisputeStage.CLOSED, parse_date(date), outcome,
                 right_changed=right_changed)
    out.print(f"纠纷 {number} 已结案")


@disputes_app.command("list")
def disputes_list(
    open_only: Annotated[bool, typer.Option("--open", help="只列未结案的")] = False,
    key: Annotated[Optional[str], typer.Option("--household", help="只列这一户的（承包方编码或档号）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出纠纷。"""
    from archive_tui.services.households.disputes import STAGES, list_disputes

    config = load()
    rows = list_disputes(engine_for(config), open_only=open_only, key=key)
    if as_json:
        print_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("编号", "承包方编码", "户主", "阶段", "争议事项", "日期"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["number"], row["cbfbm"], row["name"], STAGES[row["stage"]], row["subject"],
                      row["started_on"])
    out.print(table)
    out.print(f"共 {len(rows)} 起")


@disputes_app.command("show")
def disputes_show(
    number: Annotated[str, typer.Argument(help="纠纷编号")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """一起纠纷及其调处经过。"""
    from archive_tui.services.households.disputes import EVENT_LABELS, STAGES, show_dispute

    config = load()
    dispute = show_dispute(engine_for(config), number)
    if as_json:
        print_json(dispute)
        return
    out.print(f"{dispute['number']}  {dispute['cbfbm']} {dispute['name']}  {STAGES[dispute['stage']]}")
    out.print(f"争议事项：{dispute['subject']}；当事人：{dispute['parties'] or '—'}")
    for event in dispute["events"]:
        out.print(f"  {event['date']}  {EVENT_LABELS[event['stage']]}  {event['note']}")


@disputes_app.command("done")
def disputes_done(
    number: Annotated[str, typer.Argument(help="纠纷编号")],
    date: Annotated[str, typer.Option("--date", help="完成日期 YYYY-MM-DD")],
    note: Annotated[str, typer.Option("--note", help="如新证编号、登记簿变更")] = "",
) -> None:
    """结案改变了承包经营权的纠纷：补充登记和重新颁证已完成。"""
    from archive_tui.services.households.disputes import followed_up

    config = load()
    followed_up(acting(engine_for(config), config), number, parse_date(date), note)
    out.print(f"纠纷 {number} 的补充登记颁证已记录")
