"""总览: the township's totals, or how to get started when the database is empty."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

TEXT = {
    "title": "总览",
    "empty": (
        "数据库中还没有承包户。\n\n"
        "导入本乡镇的确权登记数据：\n"
        "    archive-tui import 县确权数据库.mdb\n"
        "    archive-tui import CSV文件夹  或  archive-tui import 数据.xlsx\n\n"
        "或者先生成演示数据试一试：\n"
        "    archive-tui demo --households 300"
    ),
    "refresh": "刷新",
    "quit": "退出",
}
ROWS = (
    ("villages", "村"), ("households", "承包户"), ("members", "家庭成员"), ("parcels", "承包地块"),
    ("files", "案卷"), ("pages", "卷内页数"), ("certificates", "证书"), ("open_findings", "待处理问题"),
)


class OverviewScreen(Screen):
    BINDINGS = [("r", "refresh", TEXT["refresh"]), ("q", "app.quit", TEXT["quit"])]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="overview"):
            yield Static("", id="empty")
            yield DataTable(id="counts", cursor_type="none", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#counts", DataTable)
        table.add_columns("项目", "数量")
        self.action_refresh()

    def action_refresh(self) -> None:
        counts = self.app.counts()
        table = self.query_one("#counts", DataTable)
        table.clear()
        for key, label in ROWS:
            table.add_row(label, f"{counts[key]:,}")
        empty = self.query_one("#empty", Static)
        empty.update(TEXT["empty"] if counts["households"] == 0 else "")
        empty.display = counts["households"] == 0
