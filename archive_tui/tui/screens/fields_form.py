"""A small form of text fields whose values go to one service call. Every error the call names
stands beside its field (the first gets the focus) and goes when that field is changed; an
error about no field stands under the form. Nothing is changed until the call succeeds.

The call runs in a worker (tui.actions): the form stays on screen, its save button off, until
the call has succeeded (the form closes) or failed (the errors are shown, the button back)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from archive_tui.core.errors import ArchiveError
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.form import SaveOrCancel
from archive_tui.tui.widgets.plain import PlainStatic
from archive_tui.core.display import in_markup

Field = tuple[str, str, str]  # key, label, placeholder


class FieldsFormScreen(SaveOrCancel, ModalScreen[object]):
    """Dismissed with what ``submit`` returned, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "取消"), Binding("f4", "pick", "从列表选")]
    DEFAULT_CSS = """
    FieldsFormScreen { align: center middle; }
    #fields-form { width: 72; max-width: 100%; height: auto; border: round $accent; padding: 0 1;
                   background: $surface; }
    #fields-form .row { height: 1; margin-top: 1; }
    #fields-form Label { width: 12; }
    #fields-form Input { border: none; height: 1; padding: 0 1; width: 1fr; }
    #form-error { color: $error; height: auto; }
    #fields-form .field-error { color: $error; height: auto; padding-left: 12; display: none; }
    #buttons { height: auto; margin-top: 1; }
    """

    def __init__(self, title: str, fields: list[Field], submit: Callable[[dict[str, str]], object],
                 button: str = "确定", values: dict[str, str] | None = None,
                 choices: dict[str, list[tuple[str, str]]] | None = None, secret: frozenset[str] = frozenset()):
        super().__init__()
        self.secret = secret  # fields typed without being shown (passwords)
        self.title_text, self.fields, self.submit, self.button = title, fields, submit, button
        self.values = values or {}
        self.choices = choices or {}  # field → (label, value) to pick from with F4 instead of typing a code
        self.saving = False  # the call is running: no second save, no cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="fields-form"):
            yield Static(f"[b]{in_markup(self.title_text)}[/b]")
            for key, label, hint in self.fields:
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(self.values.get(key, ""), placeholder=hint, id=f"field-{key}",
                                password=key in self.secret)
                yield PlainStatic("", id=f"error-{key}", classes="field-error")
            yield PlainStatic("", id="form-error")
            with Horizontal(id="buttons"):
                yield Button(self.button, variant="primary", id="save")
                yield Button("取消", id="cancel")

    def on_mount(self) -> None:
        inputs = self.query(Input)
        if inputs:  # a form opened by a key typed just after q has no fields: the app is closing
            inputs.first().focus()

    def action_save(self) -> None:
        if self.saving:
            return
        values = {key: self.query_one(f"#field-{key}", Input).value for key, _label, _hint in self.fields}
        for key, _label, _hint in self.fields:
            self.query_one(f"#error-{key}", Static).display = False
        self.query_one("#form-error", Static).update("")
        self.saving = True
        self.query_one("#save", Button).disabled = True
        run_action(self, lambda: self.submit(values), done=self.dismiss, failed=self.not_saved, field_errors_to=self,
                   description=self.title_text, group="form-save", exclusive=True)

    def not_saved(self, _text: str) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False

    def show_errors(self, error: ArchiveError) -> None:
        keys = {key for key, _label, _hint in self.fields}
        beside = {key: text for key, text in error.fields.items() if key in keys}
        for key, text in beside.items():
            line = self.query_one(f"#error-{key}", Static)
            line.update(text)
            line.display = True
        rest = [text for key, text in error.fields.items() if key not in keys] or ([] if beside else [error.message])
        self.query_one("#form-error", Static).update("\n".join([*rest, *error.details[:8]]))
        if beside:
            self.query_one(f"#field-{next(iter(beside))}", Input).focus()

    def action_pick(self) -> None:
        """F4 on a field with a list: choose from it (narrowed as you type)."""
        from archive_tui.tui.screens.picker import PickerScreen

        focused = self.focused
        key = (focused.id or "").removeprefix("field-") if isinstance(focused, Input) else ""
        if key not in self.choices:
            return
        label = next(label for field, label, _hint in self.fields if field == key)

        def picked(value: str | None) -> None:
            if value is not None:
                focused.value = value

        self.app.push_screen(PickerScreen(label, self.choices[key], focused.value), picked)

    def on_input_changed(self, event: Input.Changed) -> None:
        """A field being corrected loses its old error."""
        key = (event.input.id or "").removeprefix("field-")
        if self.query(f"#error-{key}"):
            self.query_one(f"#error-{key}", Static).display = False

    def action_cancel(self) -> None:
        if not self.saving:  # a call under way is not undone: its result comes first
            self.dismiss(None)


def ask(screen, title: str, fields: list[Field], submit: Callable[[dict[str, str]], object], button: str,
        choices: dict[str, list[tuple[str, str]]] | None = None, values: dict[str, str] | None = None,
        secret: frozenset[str] = frozenset()) -> None:
    """Open the form over ``screen``; on success show what ``submit`` returned and refresh it."""

    def done(message: object) -> None:
        if message:
            screen.notify(str(message))
            screen.action_refresh()

    screen.app.push_screen(FieldsFormScreen(title, fields, submit, button, values, choices, secret), done)
