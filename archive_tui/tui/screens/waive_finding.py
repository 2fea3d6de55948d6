"""豁免: waive one open finding with a reason (recorded with who and when)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from archive_tui.errors import ArchiveError
from archive_tui.services.checks import waive
from archive_tui.tui.widgets.form import SaveOrCancel

TEXT = {"title": "豁免问题", "reason": "豁免理由（必填）", "save": "豁免", "cancel": "取消"}


class WaiveFindingScreen(SaveOrCancel, ModalScreen[bool]):
    AUTO_FOCUS = "#reason"
    BINDINGS = [Binding("escape", "cancel", TEXT["cancel"])]
    DEFAULT_CSS = """
    WaiveFindingScreen { align: center middle; }
    #waive-form { width: 70; max-width: 100%; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    #waive-form Input { border: none; height: 1; padding: 0 1; margin-top: 1; background: $boost; }
    #waive-error { color: $error; height: auto; }
    #buttons { height: auto; margin-top: 1; }
    """

    def __init__(self, finding_id: int, message: str):
        super().__init__()
        self.finding_id, self.message = finding_id, message

    def compose(self) -> ComposeResult:
        with Vertical(id="waive-form"):
            yield Static(f"[b]{TEXT['title']}[/b]  {self.finding_id}")
            yield Static(self.message, markup=False)
            yield Input(placeholder=TEXT["reason"], id="reason")
            yield Static("", id="waive-error")
            with Horizontal(id="buttons"):
                yield Button(TEXT["save"], variant="primary", id="save")
                yield Button(TEXT["cancel"], id="cancel")

    def action_save(self) -> None:
        try:
            waive(self.app.engine, self.app.config, self.finding_id, self.query_one("#reason", Input).value)
        except ArchiveError as error:
            self.query_one("#waive-error", Static).update(error.message)
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
