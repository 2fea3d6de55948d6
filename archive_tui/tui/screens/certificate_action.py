"""证书操作: one certificate's history and a form for one action (发放, 收回, 挂失, 注销, 补发, 换发)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from archive_tui.errors import ArchiveError
from archive_tui.services.certificates import ACTION_FIELDS, ACTION_LABELS, STATUS_LABELS, apply_action
from archive_tui.tui.widgets.form import SaveOrCancel

TEXT = {"cancel": "取消", "title": "{action}证书 {serial}", "status": "{name}  当前：{status}",
        "hints": {"date": "YYYY-MM-DD，留空为今天", "relation": "户主本人可留空；代领填 10 配偶、20 子…",
                  "proxy_letter": "代领时必填：委托书扫描件路径或编号", "collector_id": "18位身份证号码"}}


class CertificateActionScreen(SaveOrCancel, ModalScreen[bool]):
    """Returns True when the action was carried out."""

    BINDINGS = [Binding("escape", "cancel", TEXT["cancel"])]
    DEFAULT_CSS = """
    CertificateActionScreen { align: center middle; }
    #action-form { width: 76; max-width: 100%; height: auto; border: round $accent; padding: 0 1;
                   background: $surface; }
    #action-form .row { height: 1; margin-top: 1; }
    #action-form Label { width: 12; }
    #action-form Input { border: none; height: 1; padding: 0 1; width: 1fr; background: $boost; }
    #action-form Input:focus { background: $accent 30%; }
    #action-error { color: $error; height: auto; }
    #buttons { height: auto; margin-top: 1; }
    """

    def __init__(self, serial: str, action: str, household: str, status: str):
        super().__init__()
        self.serial, self.action, self.household, self.status = serial, action, household, status

    def compose(self) -> ComposeResult:
        with Vertical(id="action-form"):
            yield Static(f"[b]{TEXT['title'].format(action=ACTION_LABELS[self.action], serial=self.serial)}[/b]")
            yield Static(TEXT["status"].format(name=self.household, status=STATUS_LABELS.get(self.status, "")))
            for key, label in ACTION_FIELDS[self.action]:
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(placeholder=TEXT["hints"].get(key, ""), id=f"field-{key}")
            yield Static("", id="action-error")
            with Horizontal(id="buttons"):
                yield Button(ACTION_LABELS[self.action], variant="primary", id="save")
                yield Button(TEXT["cancel"], id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_save(self) -> None:
        values = {key: self.query_one(f"#field-{key}", Input).value for key, _label in ACTION_FIELDS[self.action]}
        app = self.app
        try:
            apply_action(app.engine, app.config, self.serial, self.action, values)
        except ArchiveError as error:
            self.query_one("#action-error", Static).update(error.message + "".join(f"\n{d}" for d in error.details))
            if error.field and self.query(f"#field-{error.field}"):
                self.query_one(f"#field-{error.field}", Input).focus()
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
