"""库房: what each location and box holds, and the copies inside a box."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.registers.copies import STATUS_LABELS, list_copies, storage_summary
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.plain import PlainStatic, PlainTable
from archive_tui.tui.screens.section import SectionScreen

TEXT = {
    "summary": "共 {boxes:,} 个位置/盒，{copies:,} 份（已移交的不在其中）。回车查看盒内案卷",
    "places": ("位置", "份别", "盒号", "份数", "档号起", "档号止"),
    "inside": ("档号", "户主", "份别", "状态"),
    "box": "盒 {box}（{location}）：{count} 份",
    "no_box": "（未装盒）",
}


class StorageScreen(SectionScreen):
    BINDINGS = [("f5", "refresh", "刷新")]
    DEFAULT_CSS = """
    #storage-summary, #box-title { padding: 0 1; height: auto; }
    #places { height: 2fr; }
    #inside { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="storage-summary")
        yield PlainTable(id="places", cursor_type="row", zebra_stripes=True)
        yield PlainStatic("", id="box-title")
        yield PlainTable(id="inside", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#places", DataTable).add_columns(*TEXT["places"])
        self.query_one("#inside", DataTable).add_columns(*TEXT["inside"])
        self.query_one("#places", DataTable).focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        run_action(self, self.load_places, done=self.show_places, description="库房", group="storage", exclusive=True)

    def load_places(self) -> list[dict]:
        rows = storage_summary(self.app.engine)
        return rows

    def show_places(self, rows: list[dict]) -> None:
        self.places = rows
        self.query_one("#storage-summary", Static).update(TEXT["summary"].format(
            boxes=len(rows), copies=sum(r["copies"] for r in rows)))
        table = self.query_one("#places", DataTable)
        table.clear()
        for row in rows:
            table.add_row(row["location"], LEVEL_LABELS[row["level"]], row["box"] or TEXT["no_box"],
                          f"{row['copies']:,}", row["first"], row["last"])

    @on(DataTable.RowSelected, "#places")
    def open_box(self, event: DataTable.RowSelected) -> None:
        place = self.places[event.cursor_row]
        inside = [c for c in list_copies(self.app.engine, level=place["level"], box=place["box"] or None, limit=2000)
                  if (c["location"] or "（未登记位置）") == place["location"] and c["box"] == place["box"]]
        self.query_one("#box-title", Static).update(TEXT["box"].format(
            box=place["box"] or TEXT["no_box"], location=place["location"], count=len(inside)))
        table = self.query_one("#inside", DataTable)
        table.clear()
        for copy in inside:
            table.add_row(copy["archive_code"], copy["name"], LEVEL_LABELS[copy["level"]],
                          STATUS_LABELS.get(copy["status"], copy["status"]))
