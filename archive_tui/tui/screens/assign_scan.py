"""人工挂接: pick the household, the document type and the page number for one waiting scan."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from archive_tui.core.errors import ArchiveError
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import assign_scan
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.form import SaveOrCancel
from archive_tui.tui.widgets.plain import PlainStatic
from archive_tui.core.display import in_markup

TEXT = {
    "title": "挂接扫描件", "household": "户", "doc": "文件类型", "seq": "页序号",
    "household_hint": "承包方编码、档号或户主姓名", "seq_hint": "留空：排在该卷最后",
    "save": "挂接", "cancel": "取消", "none": "没有找到匹配的户", "many": "找到 {count} 户，请再输入几个字：",
    "one": "→ {name}  {village}{group}  {archive_code}", "pick": "请先选定一户", "bad_seq": "页序号应为正整数",
    "no_doc": "请选择文件类型",
}
CANDIDATES = 5


class AssignScanScreen(SaveOrCancel, ModalScreen[str | None]):
    """Returns the scan's new place in the store, or None when cancelled."""

    AUTO_FOCUS = "#household"
    BINDINGS = [Binding("escape", "cancel", TEXT["cancel"])]
    DEFAULT_CSS = """
    AssignScanScreen { align: center middle; }
    #assign { width: 76; max-width: 100%; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    #assign .row { height: auto; margin-top: 1; }
    #assign Label { width: 10; }
    #assign Input { border: none; height: 1; padding: 0 1; width: 1fr; }
    #assign Select { width: 1fr; }
    #matches { height: auto; padding-left: 10; color: $text-muted; }
    #error { color: $error; height: auto; }
    #buttons { height: auto; margin-top: 1; }
    """

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.chosen: str | None = None
        self.saving = False

    def compose(self) -> ComposeResult:
        documents = self.app.config.settings.documents
        with Vertical(id="assign"):
            yield Static(f"[b]{TEXT['title']}[/b]  {in_markup(self.path)}")
            with Horizontal(classes="row"):
                yield Label(TEXT["household"])
                yield Input(placeholder=TEXT["household_hint"], id="household")
            yield PlainStatic("", id="matches")
            with Horizontal(classes="row"):
                yield Label(TEXT["doc"])
                yield Select([(f"{d.code} {d.name}", d.code) for d in documents], id="doc", prompt=TEXT["doc"])
            with Horizontal(classes="row"):
                yield Label(TEXT["seq"])
                yield Input(placeholder=TEXT["seq_hint"], id="seq", restrict=r"\d*")
            yield PlainStatic("", id="error")
            with Horizontal(id="buttons"):
                yield Button(TEXT["save"], variant="primary", id="save")
                yield Button(TEXT["cancel"], id="cancel")

    @on(Input.Changed, "#household")
    def look_up(self, event: Input.Changed) -> None:
        text = event.value.strip()
        self.chosen = None
        matches = self.query_one("#matches", Static)
        if len(text) < 2:
            matches.update("")
            return
        found = list_households(self.app.engine, search=text, limit=CANDIDATES + 1)
        exact = [h for h in found if text in (h["cbfbm"], h["archive_code"])]
        if len(found) == 1 or len(exact) == 1:
            household = (exact or found)[0]
            self.chosen = household["cbfbm"]
            matches.update(TEXT["one"].format(name=household["name"], village=household["village"],
                                              group=household["group"], archive_code=household["archive_code"]))
        elif not found:
            matches.update(TEXT["none"])
        else:
            lines = [f"{h['cbfbm']} {h['name']} {h['village']}{h['group']}" for h in found[:CANDIDATES]]
            count = f"{CANDIDATES}+" if len(found) > CANDIDATES else len(found)
            matches.update(TEXT["many"].format(count=count) + "\n" + "\n".join(lines))

    def _fail(self, message: str) -> None:
        self.query_one("#error", Static).update(message)

    def action_save(self) -> None:
        if self.saving:
            return
        doc = self.query_one("#doc", Select).value
        seq_text = self.query_one("#seq", Input).value.strip()
        if self.chosen is None:
            return self._fail(TEXT["pick"])
        if self.query_one("#doc", Select).is_blank():
            return self._fail(TEXT["no_doc"])
        if seq_text and int(seq_text) < 1:
            return self._fail(TEXT["bad_seq"])
        app, chosen = self.app, self.chosen
        self._fail("")
        self.saving = True
        run_action(self, lambda: assign_scan(app.context, self.path, chosen, str(doc),
                                             int(seq_text) if seq_text else None),
                   done=self.dismiss, failed=self.not_saved, field_errors_to=self, description=TEXT["title"],
                   group="form-save", exclusive=True)

    def not_saved(self, _text: str) -> None:
        self.saving = False

    def show_errors(self, error: ArchiveError) -> None:
        self._fail(error.message)

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)
