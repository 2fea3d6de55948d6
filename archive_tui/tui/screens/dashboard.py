"""总览: per-village progress and totals, or how to start when the database is empty.

The first screen of the app: its figures are counted in a worker on one connection, one
count at a time (the screen's mount and its resume both ask for one); the first count may
have been started by the app before Textual was up (``ArchiveApp.figures_ahead``). The app
is told when they are on screen (``FiguresShown``): the work of the day waits for that.

When a later campaign (延包 …) has begun, its progress per village follows the villages' table:
the shares of households 已确认, 已公示, 已签约, 已颁证, 已归档 (with the counts from 100 columns on)."""

from __future__ import annotations

from sqlalchemy import Engine
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from archive_tui.core.config import Config
from archive_tui.services.households.dashboard import (
    CAMPAIGN_STEPS, FIGURES, campaign_summaries_on, counting, page_counts_on, township_counts_on, village_summary_on,
)
from archive_tui.services.intake.page_figures import PASS_RATE, linking_share_on, quality_summary_on
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.plain import PlainTable
from archive_tui.tui.screens.section import SectionScreen

REFRESH_SECONDS = 60

WIDE = 100  # columns from which the figures' full headings fit
SHORT_LABELS = {"complete": "齐全", "pages": "扫描页", "issued": "新证发", "recalled": "旧证收回",
                "destroyed": "旧证销毁", "transferred": "已移交", "pass_share": "合格%"}
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
    "unchecked": "未检",  # 合格% before the first 质检
    "campaign_title": "{label}（{name}）进度：各步骤的户数（占户数%）；已公示指公示无异议，已颁证指证书已领取",
    "campaign_title_narrow": "{name}进度（占户数%；公示指无异议，颁证指已领证）",
    "households": "户数",
    "campaign_short": {"confirmed": "确认%", "publicised": "公示%", "signed": "签约%", "issued": "颁证%",
                       "filed": "归档%"},
}


def count_figures(engine: Engine, config: Config) -> tuple:
    """The 总览's figures: the totals, the villages' rows, the scan quality rows and 挂接率."""
    with counting(engine) as connection:
        counts = township_counts_on(connection)
        pages = page_counts_on(connection)  # one pass over the scanned pages for all their figures
        rows = village_summary_on(connection, config, pages)
        quality = quality_summary_on(connection, config, pages), linking_share_on(connection, pages)
        campaigns = campaign_summaries_on(connection, config)  # the later campaigns begun (延包 …)
    return counts, rows, quality, campaigns


class DashboardScreen(SectionScreen):
    BINDINGS = [("r", "refresh", TEXT["refresh"]), ("i", "import", TEXT["import"])]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"import": "导入确权登记数据"}
    DEFAULT_CSS = """
    DashboardScreen #villages { height: 1fr; }
    DashboardScreen #campaign-title { height: auto; padding: 0 1; margin-top: 1; }
    DashboardScreen #campaign { height: auto; max-height: 35%; }
    DashboardScreen #quality-title { height: auto; padding: 0 1; margin-top: 1; }
    DashboardScreen #quality { height: auto; max-height: 40%; }
    """

    class FiguresShown(Message):
        """The figures are on screen (or could not be counted): the app's background work may start."""

    busy = False  # a count is under way
    count_again = False  # something changed since it began: another count follows it
    told = False  # FiguresShown was posted

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="dashboard"):
            yield Static("", id="empty")
            yield Static("", id="totals")
            yield PlainTable(id="villages", cursor_type="row", zebra_stripes=True)
            yield Static("", id="campaign-title")
            yield PlainTable(id="campaign", cursor_type="row", zebra_stripes=True)
            yield Static("", id="quality-title")
            yield PlainTable(id="quality", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.add_village_columns()
        for widget_id in ("#campaign-title", "#campaign"):
            self.query_one(widget_id).display = False  # until a later campaign has begun
        self.query_one("#quality", DataTable).add_columns(*TEXT["quality_columns"])
        self.count()  # and on_screen_resume asks again: one count serves both
        self.set_interval(REFRESH_SECONDS, self.count)  # other workstations' changes

    def on_screen_resume(self) -> None:
        self.count()

    def add_village_columns(self) -> None:
        """The figures' columns, their headings shortened below 100 columns so that all of them show
        at 80 (质检合格% was off the screen); the help and the report keep the full names."""
        self.narrow = self.app.size.width < WIDE
        table = self.query_one("#villages", DataTable)
        table.add_column(TEXT["village"], key="village")
        for key, label in FIGURES:
            table.add_column(SHORT_LABELS.get(key, label) if self.narrow else label, key=key)
        campaign = self.query_one("#campaign", DataTable)
        campaign.add_column(TEXT["village"], key="village")
        campaign.add_column(TEXT["households"], key="households")
        for key, label in CAMPAIGN_STEPS:
            campaign.add_column(TEXT["campaign_short"][key] if self.narrow else label, key=key)

    def on_resize(self) -> None:
        if getattr(self, "narrow", None) is not None and self.narrow != (self.app.size.width < WIDE):
            for table_id in ("#villages", "#campaign"):
                self.query_one(table_id, DataTable).clear(columns=True)
            self.add_village_columns()
            self.count()

    def action_import(self) -> None:
        from archive_tui.tui.screens.import_source import ImportScreen

        def done(changed: bool | None) -> None:
            if changed:
                self.action_refresh()
                self.app.refresh_search_index()

        self.app.push_screen(ImportScreen(), done)

    def action_refresh(self) -> None:
        """r, or after an import: counted afresh, after the count under way if there is one."""
        self.count(after_change=True)

    def count(self, *, after_change: bool = False) -> None:
        """Count the figures in a worker. Asked while a count is under way, that count serves;
        unless something changed since it began (``after_change``): then another follows it."""
        if self.busy:
            self.count_again = self.count_again or after_change
            return
        self.busy = True
        run_action(self, self.load_figures, done=self.figures_loaded, failed=self.figures_failed,
                   description="总览统计", group="dashboard")

    def load_figures(self) -> tuple:
        """Count in a worker: at county scale the per-village figures take a moment."""
        app = self.app
        ahead = getattr(app, "figures_ahead", None)
        if ahead is not None:  # the first count, started with the app
            app.figures_ahead = None
            return ahead.result()
        return count_figures(app.engine, app.config)

    def figures_loaded(self, figures: tuple) -> None:
        try:
            self.show_figures(*figures)
        finally:
            self.counted()

    def figures_failed(self, _text: str) -> None:
        self.counted()

    def counted(self) -> None:
        self.busy = False
        self.tell_figures_shown()
        if self.count_again:
            self.count_again = False
            self.count()

    def tell_figures_shown(self) -> None:
        if not self.told:
            self.told = True
            self.post_message(self.FiguresShown())

    def show_figures(self, counts: dict[str, int], rows: list[dict], quality: tuple[list[dict], float],
                     campaigns: list[dict] = ()) -> None:
        empty = self.query_one("#empty", Static)
        empty.update(TEXT["empty"])
        empty.display = counts["households"] == 0
        self.query_one("#totals", Static).update(TEXT["totals"].format(**counts))
        table = self.query_one("#villages", DataTable)
        table.clear()
        for row in rows:
            table.add_row(row["village"], *(TEXT["unchecked"] if row[key] is None else f"{row[key]:,}"
                                            for key, _label in FIGURES))
        self.show_campaigns(campaigns)
        self.show_quality(*quality)

    def show_campaigns(self, campaigns: list[dict]) -> None:
        """Each later campaign begun, its villages and 合计: shares at 80 columns, counts and shares wider
        (more than one campaign: each village named with its campaign)."""
        shown = [campaign for campaign in campaigns if campaign["rows"]]
        title = self.query_one("#campaign-title", Static)
        table = self.query_one("#campaign", DataTable)
        title.display = table.display = bool(shown)
        self.query_one("#villages").set_class(bool(shown), "beside-campaign")  # the campaign's right under it
        key = "campaign_title_narrow" if self.narrow else "campaign_title"
        title.update("\n".join(TEXT[key].format(label=campaign["label"], name=campaign["campaign"])
                               for campaign in shown))
        table.clear()
        for campaign in shown:
            prefix = f"{campaign['campaign']}·" if len(shown) > 1 else ""
            for row in campaign["rows"]:
                cells = [f"{row[f'{step}_rate']:.1f}" if self.narrow else f"{row[step]:,}（{row[f'{step}_rate']:.1f}%）"
                         for step, _label in CAMPAIGN_STEPS]
                table.add_row(prefix + row["village"], f"{row['households']:,}", *cells)

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
