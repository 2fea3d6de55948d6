"""四性检测 result in the app: the four properties, then every item — failures first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer

from archive_tui.services.transfers.bag_checks import FAIL, SKIP, WARN
from archive_tui.tui.widgets.plain import PlainStatic, PlainTable

ORDER = {FAIL: 0, WARN: 1, SKIP: 2}
TEXT = {
    "title": "四性检测 {bag}：{properties}",
    "digest": "移交包摘要 SHA-256 {digest}　报告 {path}　（Esc 返回）",
    "columns": ("编号", "性质", "检测项", "结果", "说明"),
    "more": "共 {count:,} 处，前 {shown} 处：",
}


def details_text(details: list[str], shown: int = 3) -> str:
    """An item's problems for one cell: the true count first when there are more than shown."""
    if len(details) <= shown:
        return "；".join(details)
    return TEXT["more"].format(count=len(details), shown=shown) + "；".join(details[:shown])


class CheckReportScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", "返回")]
    DEFAULT_CSS = """
    CheckReportScreen { align: center middle; }
    #check { width: 100%; height: 100%; border: round $accent; background: $surface; }
    #check-title, #check-digest { padding: 0 1; height: auto; }
    #check-items { height: 1fr; }
    """

    def __init__(self, report, path):
        super().__init__()
        self.report, self.path = report, path

    def compose(self) -> ComposeResult:
        properties = self.report.conclusion()
        with Vertical(id="check"):
            yield PlainStatic(TEXT["title"].format(bag=self.report.bag, properties=properties), id="check-title")
            yield PlainStatic(TEXT["digest"].format(digest=self.report.digest, path=self.path), id="check-digest")
            yield PlainTable(id="check-items", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#check-items", DataTable)
        table.add_columns(*TEXT["columns"])
        for item in sorted(self.report.items, key=lambda item: (ORDER.get(item.result, 3), item.code)):
            table.add_row(item.code, item.property, item.name, item.result, details_text(item.details))
        table.focus()
