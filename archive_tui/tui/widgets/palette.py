"""The command palette (命令面板) in Chinese: its placeholder and its "no matches" line."""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

TEXT = {"placeholder": "输入命令或按键说明……", "none": "没有匹配的命令"}


class ChinesePalette(CommandPalette):
    """Textual's palette with Chinese text. Textual writes "No matches found" inside this
    method, so it is restated here (textual ≥ 8) with the Chinese line."""

    def __init__(self) -> None:
        super().__init__(placeholder=TEXT["placeholder"], id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(TEXT["none"], style="not bold")), disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
