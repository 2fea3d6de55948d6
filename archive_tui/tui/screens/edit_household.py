"""修改户信息: a form for the household's basic fields; errors stand next to the field."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from archive_tui.core.errors import ArchiveError
from archive_tui.services.households.editing import EDITABLE, update_household
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.form import SaveOrCancel
from archive_tui.tui.widgets.plain import PlainStatic
from archive_tui.core.display import in_markup

TEXT = {"title": "修改户信息", "save": "保存", "cancel": "取消", "unchanged": "没有改动",
        "keep": "（不改请留空）"}


class EditHouseholdScreen(SaveOrCancel, ModalScreen[dict | None]):
    AUTO_FOCUS = "#field-name"
    BINDINGS = [Binding("escape", "cancel", TEXT["cancel"])]
    DEFAULT_CSS = """
    EditHouseholdScreen { align: center middle; }
    #form { width: 70; max-width: 100%; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    #form .row { height: 1; margin-top: 1; }
    #form Label { width: 12; }
    #form Input { border: none; height: 1; padding: 0 1; width: 1fr; }
    .error { color: $error; height: auto; padding-left: 12; display: none; }
    #buttons { height: auto; margin-top: 1; }
    """

    def __init__(self, code: str, household: dict):
        super().__init__()
        self.code = code
        self.household = household
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(f"[b]{TEXT['title']}[/b]  {in_markup(self.code)}")
            for key, label in EDITABLE.items():
                value = self.household.get(key) or ""
                if key in ("id_number", "phone") and "*" in value:
                    value = ""  # masked: leave empty unless retyped
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(value=value, placeholder=TEXT["keep"] if key in ("id_number", "phone") else "",
                                id=f"field-{key}")
                yield PlainStatic("", id=f"error-{key}", classes="error")
            with Horizontal(id="buttons"):
                yield Button(TEXT["save"], variant="primary", id="save")
                yield Button(TEXT["cancel"], id="cancel")

    def changes(self) -> dict[str, str]:
        values = {}
        for key in EDITABLE:
            value = self.query_one(f"#field-{key}", Input).value
            original = self.household.get(key) or ""
            if key in ("id_number", "phone") and "*" in original and not value:
                continue  # masked and not retyped: keep
            if value != original:
                values[key] = value
        return values

    def action_save(self) -> None:
        if self.saving:
            return
        for key in EDITABLE:
            error_line = self.query_one(f"#error-{key}", Static)
            error_line.update("")
            error_line.display = False
        app, changes = self.app, self.changes()
        self.saving = True
        run_action(self, lambda: update_household(app.context, self.code, changes), done=self.saved,
                   failed=self.not_saved, field_errors_to=self, description=TEXT["title"], group="form-save",
                   exclusive=True)

    def saved(self, changed: dict) -> None:
        if not changed:
            self.notify(TEXT["unchanged"])
        self.dismiss(changed)

    def not_saved(self, _text: str) -> None:
        self.saving = False

    def show_errors(self, error: ArchiveError) -> None:
        """Every field's problem beside it, the first one focused."""
        problems = {key: text for key, text in error.fields.items() if key in EDITABLE} or {"name": error.message}
        for key, text in problems.items():
            error_line = self.query_one(f"#error-{key}", Static)
            error_line.update(text)
            error_line.display = True
        self.query_one(f"#field-{next(iter(problems))}", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """A field being corrected loses its old error."""
        key = (event.input.id or "").removeprefix("field-")
        if key in EDITABLE:
            self.query_one(f"#error-{key}", Static).display = False

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)
