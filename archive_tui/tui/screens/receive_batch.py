"""接收完毕 from the keyboard: the batch's files as a checklist, each received, missing or
damaged (space changes the selected one), then a confirmation naming the counts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from archive_tui.services.transfers import transfers
from archive_tui.tui.screens.confirm import ConfirmScreen
from archive_tui.tui.widgets.plain import PlainTable

RESULTS = ["received", "missing", "damaged"]
TEXT = {
    "title": "接收批次 {batch}：逐卷核对（空格切换 已接收 → 缺失 → 破损；回车完成；Esc 取消）",
    "columns": ("档号", "户主 / 案卷题名", "页数", "核对结果"),
    "counts": "实收 {received} 卷，缺失 {missing} 卷，破损 {damaged} 卷",
    "confirm": "接收批次 {batch}",
    "effect": ["缺失的案卷退回本乡镇保管；已接收和破损的记为已移交，由{to}保管。", "批次记为已接收，不能再改。"],
}


class ReceiveBatchScreen(ModalScreen[dict | None]):
    """Dismissed with {"missing": [...], "damaged": [...]} once confirmed, or None."""

    BINDINGS = [Binding("space", "cycle", "切换结果"), Binding("enter", "done", "完成"),
                Binding("escape", "cancel", "取消")]
    DEFAULT_CSS = """
    ReceiveBatchScreen { align: center middle; }
    #receive { width: 100%; height: 100%; border: round $accent; background: $surface; }
    #receive-title, #receive-counts { padding: 0 1; height: auto; }
    #receive-items { height: 1fr; }
    """

    def __init__(self, batch: dict):
        super().__init__()
        self.batch = batch
        self.results = {item["archive_code"]: "received" for item in batch["items"]}

    def compose(self) -> ComposeResult:
        with Vertical(id="receive"):
            yield Static(TEXT["title"].format(batch=self.batch["batch"]), id="receive-title")
            yield PlainTable(id="receive-items", cursor_type="row", zebra_stripes=True)
            yield Static("", id="receive-counts")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#receive-items", DataTable)
        table.add_columns(*TEXT["columns"])
        for item in self.batch["items"]:
            table.add_row(item["archive_code"], item["title"], str(item["pages"]),
                          transfers.RESULT_LABELS["received"], key=item["archive_code"])
        table.focus()
        self.show_counts()

    def show_counts(self) -> None:
        counts = {result: sum(1 for value in self.results.values() if value == result) for result in RESULTS}
        self.query_one("#receive-counts", Static).update(TEXT["counts"].format(**counts))

    def action_cycle(self) -> None:
        table = self.query_one("#receive-items", DataTable)
        if not table.row_count:
            return
        code = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        result = RESULTS[(RESULTS.index(self.results[code]) + 1) % len(RESULTS)]
        self.results[code] = result
        table.update_cell(code, table.ordered_columns[3].key, transfers.RESULT_LABELS[result])
        self.show_counts()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_done()

    def action_done(self) -> None:
        chosen = {result: [code for code, value in self.results.items() if value == result] for result in RESULTS}
        counts = {result: len(codes) for result, codes in chosen.items()}
        gaps = [f"{transfers.RESULT_LABELS[r]}：{'、'.join(chosen[r])}" for r in ("missing", "damaged") if chosen[r]]
        lines = [TEXT["counts"].format(**counts), *gaps,
                 TEXT["effect"][0].format(to=self.batch["to"]), TEXT["effect"][1]]

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss({"missing": chosen["missing"], "damaged": chosen["damaged"]})

        self.app.push_screen(ConfirmScreen(TEXT["confirm"].format(batch=self.batch["batch"]), lines), answered)

    def action_cancel(self) -> None:
        self.dismiss(None)
