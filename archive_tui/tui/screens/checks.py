"""质检: findings by rule and by village, the list behind each, waivers, export, a new run."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from archive_tui.services.quality.checks import (
    STATUS_LABELS, export_findings, finding_counts, list_findings, pass_shares, rule_label, run_checks, waive,
)
from archive_tui.tui.actions import run_action
from archive_tui.tui.screens.fields_form import ask
from archive_tui.tui.widgets.plain import PlainTable
from archive_tui.core.display import in_markup
from archive_tui.tui.screens.section import SectionScreen

LIST_LIMIT = 1000
TEXT = {
    "summary": "待处理 [b]{open:,}[/b] 条 · 已豁免 {waived:,} 条 · 合格率低于 {target:g}% 的村 {below} 个{scope}",
    "scope": "   列表：{what}（a 显示全部）",
    "tabs": {"rules": "按规则", "villages": "按村", "findings": "问题清单"},
    "rules": ("规则", "级别", "待处理", "已豁免"),
    "villages": ("村", "户数", "有问题户", "合格率"),
    "findings": ("编号", "规则", "承包方编码", "户主", "问题", "状态"),
    "running": "正在质检……",
    "ran": "质检完成：新发现 {opened}，已销号 {resolved}；现有待处理 {open} 条{imported}，已豁免 {waived} 条",
    "imported": "（其中导入时发现 {count} 条）",
    "exported": "问题清单已导出到 {path}",
    "waived": "已豁免问题 {id}",
    "not_open": "只能豁免待处理的问题",
}


class ChecksScreen(SectionScreen):
    BINDINGS = [
        Binding("c", "run_check", "运行质检"),
        Binding("w", "waive", "豁免"),
        Binding("x", "export", "导出XLSX"),
        Binding("a", "show_all", "全部"),
        Binding("f5", "refresh", "刷新", show=False),
    ]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"run_check": "运行质检", "waive": "豁免（写理由）", "show_all": "显示全部"}
    DEFAULT_CSS = """
    #check-summary { padding: 0 1; height: auto; }
    #check-tabs { height: 1fr; }
    #check-tabs TabPane { height: 1fr; padding: 0; }
    ChecksScreen DataTable { height: 1fr; }
    """

    def __init__(self):
        super().__init__()
        self.rule: str | None = None
        self.village: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="check-summary")
        with TabbedContent(id="check-tabs"):
            for key, title in TEXT["tabs"].items():
                with TabPane(title, id=f"tab-{key}"):
                    yield PlainTable(id=f"table-{key}", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for key in TEXT["tabs"]:
            self.query_one(f"#table-{key}", DataTable).add_columns(*TEXT[key])
        self.query_one("#table-rules", DataTable).focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        rule, village = self.rule, self.village
        run_action(self, lambda: self.load_findings(rule, village), done=lambda found: self.show_findings(*found),
                   description="质检问题", group="findings", exclusive=True)

    def load_findings(self, rule: str | None, village: str | None) -> tuple:
        engine = self.app.engine
        counts = finding_counts(engine)
        shares = pass_shares(engine)
        findings = list_findings(engine, village=village, rules=[rule] if rule else None, limit=LIST_LIMIT)
        return counts, shares, findings

    def show_findings(self, counts: dict, shares: list[dict], findings: list[dict]) -> None:
        target = self.app.config.settings.checks.pass_share
        what = "、".join(part for part in (self.rule and rule_label(self.rule)[1], self.village) if part)
        self.query_one("#check-summary", Static).update(TEXT["summary"].format(
            open=sum(c["open"] for c in counts.values()), waived=sum(c["waived"] for c in counts.values()),
            target=target, below=sum(1 for row in shares if row["pass_share"] < target),
            scope=TEXT["scope"].format(what=in_markup(what)) if what else ""))
        rules = self.query_one("#table-rules", DataTable)
        rules.clear()
        for rule_id, count in sorted(counts.items(), key=lambda item: -item[1]["open"]):
            severity, description = rule_label(rule_id)
            rules.add_row(description, severity, f"{count['open']:,}", f"{count['waived']:,}", key=rule_id)
        villages = self.query_one("#table-villages", DataTable)
        villages.clear()
        for row in shares:
            mark = "" if row["pass_share"] >= target else " ✗"
            villages.add_row(row["village"], f"{row['households']:,}", f"{row['failing']:,}",
                             f"{row['pass_share']:.1f}%{mark}", key=row["village"])
        table = self.query_one("#table-findings", DataTable)
        table.clear()
        self.findings = {str(f["id"]): f for f in findings}
        for f in findings:
            table.add_row(str(f["id"]), rule_label(f["rule"])[1], f["cbfbm"], f["name"], f["message"],
                          STATUS_LABELS.get(f["status"], f["status"]), key=str(f["id"]))

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
        if finding:
            self.app.open_household(finding["cbfbm"])

    def _show_list(self) -> None:
        self.query_one("#check-tabs", TabbedContent).active = "tab-findings"
        self.query_one("#table-findings", DataTable).focus()
        self.action_refresh()

    def action_show_all(self) -> None:
        self.rule = self.village = None
        self.action_refresh()

    def _selected_finding(self) -> dict | None:
        table = self.query_one("#table-findings", DataTable)
        if self.query_one("#check-tabs", TabbedContent).active != "tab-findings" or table.row_count == 0:
            return None
        return self.findings.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_waive(self) -> None:
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

        ask(self, f"豁免问题 {finding['id']}：{finding['message'][:40]}", [("reason", "豁免理由", "必填")], submit,
            "豁免")

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
