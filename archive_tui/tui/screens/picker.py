"""选择: a list to pick from instead of typing a code or stepping through it key by key,
narrowed as you type — by characters (东里) or pinyin initials (dl)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from archive_tui.core.display import in_markup
from archive_tui.services.households.search import initials
from archive_tui.tui.widgets.form import TypeAhead

TEXT = {"filter": "输入文字或拼音首字母筛选，回车选定，Esc 取消", "none": "没有匹配的项"}


def matches(label: str, typed: str) -> bool:
    typed = typed.strip().lower()
    return not typed or typed in label.lower() or typed in initials(label)


class PickerScreen(TypeAhead, ModalScreen[str | None]):
    """Dismissed with the chosen value, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "取消"), Binding("down", "move(1)", show=False),
                Binding("up", "move(-1)", show=False)]
    DEFAULT_CSS = """
    PickerScreen { align: center middle; }
    #picker { width: 50; max-width: 100%; height: auto; max-height: 90%; border: round $accent; background: $surface;
              padding: 0 1; }
    #picker Input { border: none; height: 1; padding: 0 1; margin-top: 1; }
    #picker OptionList { height: auto; max-height: 16; border: none; margin-top: 1; }
    """

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str | None = None):
        super().__init__()
        self.title_text, self.choices, self.current = title, choices, current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(f"[b]{in_markup(self.title_text)}[/b]")
            yield Input(placeholder=TEXT["filter"], id="picker-filter")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self.show("")
        options = self.query_one(OptionList)
        values = [value for _label, value in self.choices]
        if self.current in values:
            options.highlighted = values.index(self.current)
        self.query_one(Input).focus()

    def show(self, typed: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        shown = [Option(label, id=str(index)) for index, (label, _value) in enumerate(self.choices)
                 if matches(label, typed)]
        options.add_options(shown or [Option(TEXT["none"], disabled=True)])
        options.highlighted = 0 if shown else None

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.pick(options.get_option_at_index(options.highlighted))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.pick(event.option)

    def pick(self, option: Option) -> None:
        if option.id is not None:
            self.dismiss(self.choices[int(option.id)][1])

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count and options.highlighted is not None:
            options.highlighted = max(0, min(options.option_count - 1, options.highlighted + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
