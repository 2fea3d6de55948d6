"""新建销毁清册: the approval, the approver, two supervisors, method, place and date."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from archive_tui.errors import ArchiveError
from archive_tui.services.certificates import BatchForm, new_batch, parse_day
from archive_tui.tui.widgets.form import SaveOrCancel

FIELDS = [("approval", "批准文号"), ("approver", "批准人"), ("appraisal_head", "鉴定组长"),
          ("supervisors", "监销人"), ("method", "销毁方式"), ("place", "销毁地点"), ("date", "销毁日期")]
TEXT = {"title": "新建销毁清册", "save": "新建", "cancel": "取消", "supervisors": "两人，用逗号分开",
        "date": "YYYY-MM-DD", "no_date": "请填写销毁日期"}


class DestructionBatchScreen(SaveOrCancel, ModalScreen[str | None]):
    """Returns the new batch's number."""

    BINDINGS = [Binding("escape", "cancel", TEXT["cancel"])]
    DEFAULT_CSS = """
    DestructionBatchScreen { align: center middle; }
    #batch-form { width: 70; max-width: 100%; height: auto; border: round $accent; padding: 0 1;
                  background: $surface; }
    #batch-form .row { height: 1; margin-top: 1; }
    #batch-form Label { width: 12; }
    #batch-form Input { border: none; height: 1; padding: 0 1; width: 1fr; background: $boost; }
    #batch-form Input:focus { background: $accent 30%; }
    #batch-error { color: $error; height: auto; }
    #buttons { height: auto; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="batch-form"):
            yield Static(f"[b]{TEXT['title']}[/b]")
            for key, label in FIELDS:
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(placeholder=TEXT.get(key, ""), id=f"field-{key}")
            yield Static("", id="batch-error")
            with Horizontal(id="buttons"):
                yield Button(TEXT["save"], variant="primary", id="save")
                yield Button(TEXT["cancel"], id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_save(self) -> None:
        value = {key: self.query_one(f"#field-{key}", Input).value for key, _label in FIELDS}
        try:
            day = parse_day(value["date"])
            if day is None:
                raise ArchiveError(TEXT["no_date"])
            form = BatchForm(value["approval"], value["approver"], re.split(r"[,，、]", value["supervisors"]),
                             value["method"], value["place"], day, value["appraisal_head"])
            number = new_batch(self.app.engine, self.app.config, form)
        except ArchiveError as error:
            self.query_one("#batch-error", Static).update(error.message)
            return
        self.dismiss(number)

    def action_cancel(self) -> None:
        self.dismiss(None)
