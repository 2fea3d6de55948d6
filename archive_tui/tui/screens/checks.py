"""质检: findings by rule and by village, the list behind each with the selected finding in full
below it, waivers one by one or in bulk (marked rows, or all of a rule), export, a new run.

At 80 columns the list shows what tells the rows apart — a mark, the status, the rule and the
承包方 abbreviated, the start of the message — and the pane under it the selected finding whole.
Waived and resolved rows are dimmed."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from archive_tui.core.display import in_markup, printable
from archive_tui.services.quality.checks import (
    RULES, STATUS_LABELS, export_findings, finding_counts, list_findings, open_by_rule, pass_shares, rule_label,
    run_checks, waive, waive_many,
)
from archive_tui.tui.actions import run_action
from archive_tui.tui.screens.fields_form import ask
from archive_tui.tui.screens.section import SectionScreen
from archive_tui.tui.widgets.plain import PlainTable

LIST_LIMIT = 1000
# which findings the list shows, in turn with s: (statuses, what the header says of them)
STATUS_VIEWS = ((("open", "waived"), ""), (("open",), "只看待处理"), (("open", "waived", "resolved"), "含已解决"))
RULE_CELLS, HOLDER_CELLS, MESSAGE_MIN = 12, 14, 16  # the list's abbreviated columns (cells)
TEXT = {
    "summary": "待处理 [b]{open:,}[/b] 条 · 已豁免 {waived:,} 条 · 合格率低于 {target:g}% 的村 {below} 个{scope}",
    "scope": "   列表：{what}（a 显示全部）",
    "tabs": {"rules": "按规则", "villages": "按村", "findings": "问题清单"},
    "rules": ("规则", "级别", "待处理", "已豁免"),
    "villages": ("村", "户数", "有问题户", "合格率"),
    "findings": ("✓", "状态", "规则", "承包方", "问题"),
    "running": "正在质检……",
    "ran": "质检完成：新发现 {opened}，已销号 {resolved}；现有待处理 {open} 条{imported}，已豁免 {waived} 条",
    "imported": "（其中导入时发现 {count} 条）",
    "exported": "问题清单已导出到 {path}",
    "waived": "已豁免问题 {id}",
    "waived_many": "已豁免 {count:,} 条问题",
    "not_open": "只能豁免待处理的问题",
    "not_open_mark": "只能标记待处理的问题",
    "village_row": "{village}（全村）",
    "no_household": "这是全村的问题（{village}），没有对应的户卷",
    "no_detail": "（没有问题）",
    "pick_rule": "先在“按规则”中选一条规则（回车），再按 W 豁免这条规则所列的全部待处理问题",
    "nothing_open": "所列的没有待处理的问题",
    "reason": ("reason", "豁免理由", "必填，所有问题共用一个理由"),
    "ask_one": "豁免问题 {id}：{message}",
    "ask_marked": "豁免所标记的 {count:,} 条待处理问题（同一理由；豁免后不能撤销）",
    "ask_rule": "豁免规则“{rule}”{village}的全部待处理问题，共 {count:,} 条（同一理由；豁免后不能撤销）",
    "ask_village": "（{village}）",
    "button_many": "豁免 {count:,} 条",
    "detail_head": "[b]问题 {id}[/b] · {status} · {severity}{rule}",
    "detail_holder": "承包方 {name} {cbfbm} · 档号 {code} · {village}",
    "detail_village": "{village} 全村（数据源的问题，不属于某一户）",
    "detail_waived": "已豁免：{reason}（{by}，{at}）",
    "marked": "已标记 {count} 条（w 豁免所标记的；空格或 m 取消标记）",
    # the rules as the list abbreviates them (the pane below says them in full)
    "short": {
        "member_incomplete": "成员信息不全", "id_number": "身份证号无效", "id_legacy": "15位旧证号",
        "id_duplicate": "身份证号重复", "head_mismatch": "户主不一致", "id_copy_missing": "缺身份证明",
        "documents_missing": "必备文件不全", "unsigned": "农户未签字", "proxy_signature": "须本人签字",
        "page_count": "缺页或多页", "scan_quality": "扫描件不合格", "parcel_name": "地块无名称",
        "parcel_boundaries": "四至不全", "parcel_source_missing": "待补地块信息", "parcel_area": "地块面积有误",
        "area_total": "面积合计不符", "contract_term": "承包期限不符", "issuer_code": "发包方编码错",
        "sequence_range": "顺序号不符", "code_mismatch": "编码不对应", "cert_not_issued": "新证未发放",
        "old_not_recalled": "旧证未收回", "old_not_destroyed": "旧证未销毁", "dispute_followup": "纠纷待补登",
        "copy_location": "未登记位置", "not_transferred": "到期未移交", "page_unreadable": "页无法读取",
        "page_blank": "空白页", "page_skew": "页歪斜", "page_orientation": "页倒置横置", "page_border": "页有黑边",
        "page_cropped": "页裁切不全", "page_duplicate": "重复页", "page_duplicate_other": "疑挂错户",
        "page_review": "抽检不合格", "member_count": "成员数不符", "code_list": "代码不在表中",
        "contract_suffix": "合同尾字母错",
    },
}


def clipped(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` terminal cells (Chinese characters count two), … where cut."""
    text = printable(text)
    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, cells - 1).rstrip() + "…"


def rule_short(rule_id: str) -> str:
    unit = RULES.get(rule_id)
    return TEXT["short"].get(rule_id) or clipped(unit.description if unit else rule_id, RULE_CELLS)


def holder_short(finding: dict) -> str:
    """The 承包方 abbreviated: the head's name and the code's last four digits (顺序号)."""
    if finding["cbfbm"] is None:
        return clipped(TEXT["village_row"].format(village=finding["village"] or ""), HOLDER_CELLS)
    name = clipped(finding["name"] or "", HOLDER_CELLS - 5)
    return f"{name} {finding['cbfbm'][-4:]}"


class ChecksScreen(SectionScreen):
    BINDINGS = [
        Binding("c", "run_check", "质检"),
        # marking is the first step of waiving: a waive action (so a 查阅 account neither sees nor uses it)
        Binding("m", "waive('mark')", "标记"),
        Binding("space", "waive('mark')", show=False),  # the same as m (not in the help, which lists m)
        Binding("w", "waive", "豁免"),
        Binding("a", "show_all", "全部"),
        Binding("W", "waive('rule')", "豁免本规则"),
        Binding("s", "cycle_status", "状态", show=False),
        Binding("x", "export", "导出"),
        Binding("f5", "refresh", "刷新", show=False),
    ]
    # what the help (screens/help.py) says of a key where the footer says less (short: they share lines)
    KEY_HELP = {"run_check": "运行质检", "cycle_status": "状态筛选"}
    DEFAULT_CSS = """
    #check-summary { padding: 0 1; height: auto; }
    #check-tabs { height: 1fr; }
    #check-tabs TabPane { height: 1fr; padding: 0; }
    ChecksScreen DataTable { height: 1fr; }
    #finding-detail { height: 6; padding: 0 1; border-top: solid $accent; color: $text; }
    """

    def __init__(self):
        super().__init__()
        self.rule: str | None = None
        self.village: str | None = None
        self.view = 0  # which of STATUS_VIEWS
        self.findings: dict[str, dict] = {}
        self.shown: list[dict] = []
        self.marked: set[str] = set()
        self.width = 0  # the screen width the list was laid out for

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="check-summary")
        with TabbedContent(id="check-tabs"):
            for key, title in TEXT["tabs"].items():
                with TabPane(title, id=f"tab-{key}"):
                    yield PlainTable(id=f"table-{key}", cursor_type="row", zebra_stripes=True)
                    if key == "findings":
                        yield Static(TEXT["no_detail"], id="finding-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for key in ("rules", "villages"):
            self.query_one(f"#table-{key}", DataTable).add_columns(*TEXT[key])
        self.query_one("#table-rules", DataTable).focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def on_resize(self) -> None:
        if self.size.width != self.width and self.is_mounted:
            self._fill_findings()

    def action_refresh(self) -> None:
        rule, village, statuses = self.rule, self.village, STATUS_VIEWS[self.view][0]
        run_action(self, lambda: self.load_findings(rule, village, statuses),
                   done=lambda found: self.show_findings(*found), description="质检问题", group="findings",
                   exclusive=True)

    def load_findings(self, rule: str | None, village: str | None, statuses: tuple[str, ...] = ("open", "waived")
                      ) -> tuple:
        engine = self.app.engine
        counts = finding_counts(engine)
        shares = pass_shares(engine)
        findings = list_findings(engine, village=village, rules=[rule] if rule else None, statuses=statuses,
                                 limit=LIST_LIMIT)
        return counts, shares, findings

    def show_findings(self, counts: dict, shares: list[dict], findings: list[dict]) -> None:
        target = self.app.config.settings.checks.pass_share
        parts = (self.rule and rule_label(self.rule)[1], self.village, STATUS_VIEWS[self.view][1])
        what = "、".join(part for part in parts if part)
        self.query_one("#check-summary", Static).update(TEXT["summary"].format(
            open=sum(c["open"] for c in counts.values()), waived=sum(c["waived"] for c in counts.values()),
            target=target, below=sum(1 for row in shares if row["pass_share"] < target),
            scope=TEXT["scope"].format(what=in_markup(what)) if what else ""))
        rules = self.query_one("#table-rules", DataTable)
        rules.clear()
        for rule_id, count in sorted(counts.items(), key=lambda item: -item[1]["open"]):
            severity, description = rule_label(rule_id, self.app.config)
            rules.add_row(description, severity, f"{count['open']:,}", f"{count['waived']:,}", key=rule_id)
        villages = self.query_one("#table-villages", DataTable)
        villages.clear()
        for row in shares:
            mark = "" if row["pass_share"] >= target else " ✗"
            villages.add_row(row["village"], f"{row['households']:,}", f"{row['failing']:,}",
                             f"{row['pass_share']:.1f}%{mark}", key=row["village"])
        self.shown = findings
        self.findings = {str(f["id"]): f for f in findings}
        self.marked &= {key for key, f in self.findings.items() if f["status"] == "open"}
        self._fill_findings()

    # ---- the list and the pane below it ------------------------------------------------------

    def _fill_findings(self) -> None:
        """The list laid out for the screen's width, the cursor kept on the row it was on."""
        table = self.query_one("#table-findings", DataTable)
        row = table.cursor_row
        self.width = self.size.width
        fixed = 1 + cell_len("已豁免") + RULE_CELLS + HOLDER_CELLS + 2 * len(TEXT["findings"]) + 3  # + scrollbar
        message_cells = max(MESSAGE_MIN, self.width - fixed)
        table.clear(columns=True)
        for label, cells in zip(TEXT["findings"], (1, cell_len("已豁免"), RULE_CELLS, HOLDER_CELLS, message_cells)):
            table.add_column(label, width=cells, key=label)
        for f in self.shown:
            key = str(f["id"])
            table.add_row(*self._cells(f, message_cells), key=key)
        if self.shown:
            table.move_cursor(row=min(row, len(self.shown) - 1))
        self._show_detail()

    def _cells(self, finding: dict, message_cells: int) -> list[Text]:
        style = "" if finding["status"] == "open" else "dim"
        values = ("✓" if str(finding["id"]) in self.marked else "",
                  STATUS_LABELS.get(finding["status"], finding["status"]), rule_short(finding["rule"]),
                  holder_short(finding), clipped(finding["message"], message_cells))
        return [Text(printable(value), style=style, end="") for value in values]

    def _current(self) -> dict | None:
        table = self.query_one("#table-findings", DataTable)
        if table.row_count == 0:
            return None
        return self.findings.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowHighlighted, "#table-findings")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#finding-detail", Static)
        finding = self._current()
        if finding is None:
            detail.update(TEXT["no_detail"])
            return
        severity, description = rule_label(finding["rule"], self.app.config)
        lines = [TEXT["detail_head"].format(
            id=finding["id"], status=STATUS_LABELS.get(finding["status"], finding["status"]),
            severity=f"{severity} · " if severity else "", rule=in_markup(f"{description}（{finding['rule']}）"))]
        if finding["cbfbm"] is None:
            lines.append(in_markup(TEXT["detail_village"].format(village=finding["village"] or "")))
        else:
            lines.append(in_markup(TEXT["detail_holder"].format(
                name=finding["name"] or "", cbfbm=finding["cbfbm"], code=finding["archive_code"] or "（无）",
                village=finding["village"] or "")))
        lines.append(in_markup(printable(finding["message"])))  # two lines at 80 columns at most
        if finding["status"] == "waived":
            lines.append(in_markup(TEXT["detail_waived"].format(
                reason=finding["waived_reason"], by=finding["waived_by"] or "", at=finding["waived_at"] or "")))
        elif self.marked:
            lines.append(TEXT["marked"].format(count=len(self.marked)))
        detail.update("\n".join(lines))

    # ---- picking what the list shows ---------------------------------------------------------

    @on(TabbedContent.TabActivated, "#check-tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        """The keys go to the list the tab shows (not to one left behind on a hidden tab)."""
        focused = self.focused
        if isinstance(focused, DataTable) and focused.id != f"table-{event.pane.id.removeprefix('tab-')}":
            self.query_one(f"#table-{event.pane.id.removeprefix('tab-')}", DataTable).focus()

    @on(DataTable.RowSelected, "#table-rules")
    def pick_rule(self, event: DataTable.RowSelected) -> None:
        self.rule = event.row_key.value
        self._show_list()

    @on(DataTable.RowSelected, "#table-villages")
    def pick_village(self, event: DataTable.RowSelected) -> None:
        self.village = event.row_key.value
        self._show_list()

    @on(DataTable.RowSelected, "#table-findings")
    def open_household(self, event: DataTable.RowSelected) -> None:
        finding = self.findings.get(event.row_key.value)
        if finding is None:
            return
        if finding["cbfbm"] is None:
            self.notify(TEXT["no_household"].format(village=finding["village"] or ""))
            return
        self.app.open_household(finding["cbfbm"])

    def _show_list(self) -> None:
        self.query_one("#check-tabs", TabbedContent).active = "tab-findings"
        self.query_one("#table-findings", DataTable).focus()
        self.marked.clear()
        self.action_refresh()

    def action_show_all(self) -> None:
        self.rule = self.village = None
        self.view = 0
        self.marked.clear()
        self.action_refresh()

    def action_cycle_status(self) -> None:
        self.view = (self.view + 1) % len(STATUS_VIEWS)
        self.action_refresh()

    def _in_list(self) -> bool:
        return self.query_one("#check-tabs", TabbedContent).active == "tab-findings"

    def _selected_finding(self) -> dict | None:
        return self._current() if self._in_list() else None

    # ---- marking and waiving -----------------------------------------------------------------

    def _mark(self) -> None:
        finding = self._selected_finding()
        if finding is None:
            return
        key = str(finding["id"])
        if finding["status"] != "open":
            self.notify(TEXT["not_open_mark"], severity="warning")
            return
        self.marked ^= {key}
        table = self.query_one("#table-findings", DataTable)
        table.update_cell(key, TEXT["findings"][0], Text("✓" if key in self.marked else ""))
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._show_detail()

    def action_waive(self, what: str = "") -> None:
        """w: the marked findings, or the selected one; W ("rule"): all of the listed rule; m and
        space ("mark"): mark the selected finding (or unmark it) for w."""
        if what == "mark":
            self._mark()
        elif what == "rule":
            self._waive_rule()
        elif self.marked and self._in_list():
            self._waive_marked()
        else:
            self._waive_one()

    def _waive_one(self) -> None:
        finding = self._selected_finding()
        if finding is None:
            return
        if finding["status"] != "open":
            self.notify(TEXT["not_open"], severity="warning")
            return
        app = self.app

        def submit(values: dict[str, str]) -> str:
            waive(app.context, finding["id"], values["reason"])
            return TEXT["waived"].format(id=finding["id"])

        ask(self, TEXT["ask_one"].format(id=finding["id"], message=clipped(finding["message"], 80)),
            [TEXT["reason"]], submit, "豁免")

    def _waive_marked(self) -> None:
        app, ids = self.app, sorted(int(key) for key in self.marked)

        def submit(values: dict[str, str]) -> str:
            count = waive_many(app.context, values["reason"], ids=ids)
            return TEXT["waived_many"].format(count=count)

        ask(self, TEXT["ask_marked"].format(count=len(ids)), [TEXT["reason"]], submit,
            TEXT["button_many"].format(count=len(ids)))

    def _waive_rule(self) -> None:
        """All open findings of the rule the list shows (in its village), however many the list holds."""
        if self.rule is None:
            self.notify(TEXT["pick_rule"], severity="warning")
            return
        app, rule, village = self.app, self.rule, self.village

        def counted(count: int) -> None:
            if not count:
                self.notify(TEXT["nothing_open"], severity="warning")
                return

            def submit(values: dict[str, str]) -> str:
                waived = waive_many(app.context, values["reason"], rule=rule, village=village)
                return TEXT["waived_many"].format(count=waived)

            title = TEXT["ask_rule"].format(rule=rule_label(rule)[1], count=count,
                                            village=TEXT["ask_village"].format(village=village) if village else "")
            ask(self, title, [TEXT["reason"]], submit, TEXT["button_many"].format(count=count))

        run_action(self, lambda: open_by_rule(app.engine, village=village, rules=[rule]).get(rule, 0),
                   done=counted, description="统计待处理问题", group="check-count", exclusive=True)

    # ---- export and a new run ----------------------------------------------------------------

    def action_export(self) -> None:
        app = self.app
        path = app.config.exports / "质检问题清单.xlsx"
        village, rules = self.village, [self.rule] if self.rule else None

        def exported(_result: object) -> None:
            self.notify(TEXT["exported"].format(path=path))
            app.offer_files(path)

        run_action(self, lambda: export_findings(app.engine, path, village=village, rules=rules), done=exported,
                   description="导出质检问题清单", group="check-export")

    def action_run_check(self) -> None:
        self.notify(TEXT["running"])
        run_action(self, self.run_check, done=self.checks_ran, description="运行质检", group="check-run",
                   exclusive=True)

    def checks_ran(self, message: str) -> None:
        self.notify(message)
        self.action_refresh()

    def run_check(self) -> str:
        """In the worker: the run, and what it found said as the header above the lists counts it."""
        app = self.app
        result = run_checks(app.context)
        counts = finding_counts(app.engine)  # the same figures as the header above the lists
        imported = sum(c["open"] for rule, c in counts.items() if rule_label(rule)[0] == "")
        return TEXT["ran"].format(
            opened=result.opened, resolved=result.resolved, open=sum(c["open"] for c in counts.values()),
            waived=sum(c["waived"] for c in counts.values()),
            imported=TEXT["imported"].format(count=imported) if imported else "")
