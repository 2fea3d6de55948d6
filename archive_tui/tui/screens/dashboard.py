"""总览: per-village progress and totals, or how to start when the database is empty."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from archive_tui.services.households.dashboard import FIGURES, village_summary
from archive_tui.services.households.households import township_counts
from archive_tui.services.intake.page_sample import PASS_RATE, linking_share, quality_summary
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.plain import PlainTable
from archive_tui.tui.screens.section import SectionScreen

REFRESH_SECONDS = 60

TEXT = {
    "empty": (
        "数据库中还没有承包户。\n\n"
        "导入本乡镇的确权登记数据：\n"
        "    archive-tui import 县确权数据库.mdb\n"
        "    archive-tui import CSV文件夹  或  archive-tui import 数据.xlsx\n\n"
        "或者先生成演示数据试一试：\n"
        "    archive-tui demo --households 300\n\n"
        "也可以在这里按 i 选择数据源导入。"
    ),
    "village": "村",
    "refresh": "刷新",
    "import": "导入",
    "totals": "共 {villages} 个村 {households:,} 户 · 成员 {members:,} 人 · 地块 {parcels:,} 块 · "
              "卷内 {pages:,} 页 · 待处理问题 {open_findings:,} 条 · 未结纠纷 {open_disputes:,} 起",
    "quality": "扫描质量（DA/T 31：自动检查 100%，挂接 100%，人工抽检不少于 {share:g}%、合格率不低于 {rate:g}%）"
               "　挂接率 {linking:g}%",
    "quality_columns": ("村", "已挂接页", "自动检查%", "抽检%", "已抽检", "抽检合格%", "未达标"),
    "met": "—",
}


class DashboardScreen(SectionScreen):
    BINDINGS = [("r", "refresh", TEXT["refresh"]), ("i", "import", TEXT["import"])]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"import": "导入确权登记数据"}
    DEFAULT_CSS = """
    DashboardScreen #villages { height: 1fr; }
    DashboardScreen #quality-title { height: auto; padding: 0 1; margin-top: 1; }
    DashboardScreen #quality { height: auto; max-height: 40%; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="dashboard"):
            yield Static("", id="empty")
            yield Static("", id="totals")
            yield PlainTable(id="villages", cursor_type="row", zebra_stripes=True)
            yield Static("", id="quality-title")
            yield PlainTable(id="quality", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#villages", DataTable)
        table.add_column(TEXT["village"], key="village")
        for key, label in FIGURES:
            table.add_column(label, key=key)
        self.query_one("#quality", DataTable).add_columns(*TEXT["quality_columns"])
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)  # other workstations' changes

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_import(self) -> None:
        from archive_tui.tui.screens.import_source import ImportScreen

        def done(changed: bool | None) -> None:
            if changed:
                self.action_refresh()
                self.app.refresh_search_index()

        self.app.push_screen(ImportScreen(), done)

    def action_refresh(self) -> None:
        run_action(self, self.load_figures, done=lambda figures: self.show_figures(*figures),
                   description="总览统计", group="dashboard", exclusive=True)

    def load_figures(self) -> tuple:
        """Count in a worker: at county scale the per-village figures take a moment."""
        app = self.app
        counts = township_counts(app.engine)
        rows = village_summary(app.engine, app.config)
        quality = quality_summary(app.engine, app.config), linking_share(app.engine)
        return counts, rows, quality

    def show_figures(self, counts: dict[str, int], rows: list[dict], quality: tuple[list[dict], float]) -> None:
        empty = self.query_one("#empty", Static)
        empty.update(TEXT["empty"])
        empty.display = counts["households"] == 0
        self.query_one("#totals", Static).update(TEXT["totals"].format(**counts))
        table = self.query_one("#villages", DataTable)
        table.clear()
        for row in rows:
            table.add_row(row["village"], *(f"{row[key]:,}" for key, _label in FIGURES))
        self.show_quality(*quality)

    def show_quality(self, rows: list[dict], linking: float) -> None:
        settings = self.app.config.settings.quality
        title = self.query_one("#quality-title", Static)
        title.update(TEXT["quality"].format(share=settings.sample_share, rate=PASS_RATE, linking=linking))
        table = self.query_one("#quality", DataTable)
        title.display = table.display = bool(rows)
        table.clear()
        for row in rows:
            rate = "" if row["pass_rate"] is None else f"{row['pass_rate']:g}"
            short = "、".join(row["short"]) or TEXT["met"]
            table.add_row(row["village"], f"{row['pages']:,}", f"{row['measured_share']:g}",
                          f"{row['sampled_share']:g}", f"{row['reviewed']:,}", rate, short)
