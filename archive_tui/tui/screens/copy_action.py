"""一份案卷的操作: move it (or a whole box), lend it, take it back, or tick the documents it
physically holds. Used by the household file's 三份 tab and by the 库房 section."""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static

from archive_tui.core.errors import ArchiveError
from archive_tui.services.registers import copies
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.registers.certificates import parse_day
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.form import SaveOrCancel
from archive_tui.tui.widgets.plain import PlainStatic
from archive_tui.core.display import in_markup

FIELDS = {
    "move": [("to", "新位置", "楼/室/柜/层，如 乡政府/档案室/3/2（F4 选已有的）"),
             ("holder", "保管单位", "不改请留空（F4 选择）"),
             ("reason", "原因", "")],
    "lend": [("borrower", "借阅人", ""), ("until", "归还日期", "YYYY-MM-DD"), ("purpose", "用途", "")],
    "return": [("date", "归还日期", "YYYY-MM-DD，留空为今天")],
}
TITLES = {"move": "移动", "lend": "借出", "return": "归还", "tick": "清点实有文件"}
TEXT = {"cancel": "取消", "no_date": "请填写归还日期",
        # what is said once the form has saved (the caller shows it)
        "moved": "已移动 {count} 份：{subject} → {to}", "lent": "已借出：{subject} 借给 {borrower}，应于 {until} 归还",
        "returned": "已归还：{subject}", "ticked": "已清点：{subject}"}


class CopyActionScreen(SaveOrCancel, ModalScreen[bool]):
    """Returns True when the copy was changed."""

    BINDINGS = [Binding("escape", "cancel", TEXT["cancel"]), Binding("f4", "pick", "从列表选")]
    DEFAULT_CSS = """
    CopyActionScreen { align: center middle; }
    #copy-form { width: 72; max-width: 100%; height: auto; max-height: 100%; border: round $accent;
                 padding: 0 1; background: $surface; }
    #copy-form .row { height: 1; margin-top: 1; }
    #copy-form Label { width: 10; }
    #copy-form Input { border: none; height: 1; padding: 0 1; width: 1fr; background: $boost; }
    #copy-form Input:focus { background: $accent 30%; }
    #copy-form SelectionList { height: auto; max-height: 14; }
    #copy-error { color: $error; height: auto; }
    #buttons { height: auto; margin-top: 1; }
    """

    def __init__(self, key: str, level: str, action: str, present: list[str] | None = None,
                 subject: str | None = None):
        """``key``: a CBFBM, 档号 or (to move a whole box) a box number; ``subject``: how the form
        names it (default: the key)."""
        super().__init__()
        self.key, self.level, self.action, self.present = key, level, action, present
        self.subject = subject or key
        self.saving = False
        self.typed: dict[str, str] = {}
        self.outcome = ""  # what was done, in a sentence, once saved

    def compose(self) -> ComposeResult:
        with Vertical(id="copy-form"):
            yield Static(f"[b]{TITLES[self.action]}[/b]  {in_markup(self.subject)}  {LEVEL_LABELS[self.level]}")
            if self.action == "tick":
                documents = self.app.config.settings.documents
                checked = set(self.present if self.present is not None else [d.code for d in documents])
                yield SelectionList(*[(f"{d.code} {d.name}" + ("（必备）" if d.required else ""), d.code,
                                       d.code in checked) for d in documents], id="documents")
            for key, label, hint in FIELDS.get(self.action, []):
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(placeholder=hint, id=f"field-{key}")
            yield PlainStatic("", id="copy-error")
            with Horizontal(id="buttons"):
                yield Button(TITLES[self.action][:2], variant="primary", id="save")
                yield Button(TEXT["cancel"], id="cancel")

    def on_mount(self) -> None:
        target = self.query("SelectionList") or self.query(Input)
        if target:
            target.first().focus()

    def _value(self, key: str) -> str:
        return self.typed[key]  # as typed when saving began: the save runs in a worker (tui.actions)

    def action_save(self) -> None:
        if self.saving:
            return
        app = self.app
        self.typed = {(field.id or "").removeprefix("field-"): field.value.strip() for field in self.query(Input)}
        present = list(self.query_one("#documents", SelectionList).selected) if self.action == "tick" else []
        self.query_one("#copy-error", Static).update("")

        def save() -> None:
            subject = self.subject
            if self.action == "move":
                holder = self._value("holder") or None
                count = copies.move(app.context, [self.key], self._value("to"), level=self.level, holder=holder,
                                    reason=self._value("reason"))
                self.outcome = TEXT["moved"].format(count=count, subject=subject,
                                                    to=self._value("to") or self._value("holder"))
            elif self.action == "lend":
                until = parse_day(self._value("until"), "until")
                if until is None:
                    raise ArchiveError(TEXT["no_date"], field="until")
                copies.lend(app.context, self.key, self.level, self._value("borrower"), until,
                            purpose=self._value("purpose"))
                self.outcome = TEXT["lent"].format(subject=subject, borrower=self._value("borrower"), until=until)
            elif self.action == "return":
                copies.give_back(app.context, self.key, self.level,
                                 parse_day(self._value("date")) or dt.date.today())
                self.outcome = TEXT["returned"].format(subject=subject)
            else:
                copies.tick(app.context, self.key, self.level, present)
                self.outcome = TEXT["ticked"].format(subject=subject)

        self.saving = True
        run_action(self, save, done=lambda _result: self.dismiss(True), failed=self.not_saved, field_errors_to=self,
                   description=f"{TITLES[self.action]} {self.key}", group="form-save", exclusive=True)

    def not_saved(self, _text: str) -> None:
        self.saving = False

    def show_errors(self, error: ArchiveError) -> None:
        self.query_one("#copy-error", Static).update(error.message + "".join(f"\n{d}" for d in error.details))

    def action_pick(self) -> None:
        """F4 in 新位置 or 保管单位: choose a place or a holder already known instead of typing it."""
        from archive_tui.tui.screens.picker import PickerScreen

        focused = self.focused
        key = (focused.id or "").removeprefix("field-") if isinstance(focused, Input) else ""
        if key not in ("to", "holder"):
            return
        locations, holders = copies.known_places(self.app.engine, self.app.config)
        values = locations if key == "to" else holders
        label = next(label for field, label, _hint in FIELDS["move"] if field == key)

        def picked(value: str | None) -> None:
            if value is not None:
                focused.value = value

        self.app.push_screen(PickerScreen(label, [(value, value) for value in values], focused.value), picked)

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(False)
