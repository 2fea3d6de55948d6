"""确认: a step that cannot be undone asks first, saying exactly what will happen.

The cancel button has the focus, so an Enter pressed out of habit changes nothing; ``y``
(or the confirm button) goes ahead, ``n`` or Esc goes back.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from archive_tui.core.display import in_markup
from archive_tui.tui.widgets.plain import PlainStatic

TEXT = {"confirm": "确认（y）", "cancel": "取消（Esc）", "hint": "此操作不能撤销。"}


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("y", "confirm", "确认"), Binding("n,escape", "cancel", "取消")]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    #confirm { width: 64; max-width: 100%; height: auto; border: thick $warning; padding: 0 1; background: $surface; }
    #confirm-what { margin-top: 1; height: auto; }
    #confirm-hint { color: $warning; margin-top: 1; }
    #confirm-buttons { height: auto; margin-top: 1; }
    """

    def __init__(self, title: str, lines: list[str]):
        super().__init__()
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(f"[b]{in_markup(self.title_text)}[/b]")
            yield PlainStatic("\n".join(self.lines), id="confirm-what")
            yield Static(TEXT["hint"], id="confirm-hint")
            with Horizontal(id="confirm-buttons"):
                yield Button(TEXT["confirm"], variant="warning", id="yes")
                yield Button(TEXT["cancel"], id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def confirm(screen, title: str, lines: list[str], then: Callable[[], None]) -> None:
    """Ask over ``screen``; ``then`` runs only when the archivist confirms."""

    def answered(yes: bool | None) -> None:
        if yes:
            then()

    screen.app.push_screen(ConfirmScreen(title, lines), answered)
