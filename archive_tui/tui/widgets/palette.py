"""The command palette (命令面板) in Chinese: its placeholder, its "no matches" line, and the
commands of the day's work that live in a section (装盒 and the rest of the 库房's)."""

from __future__ import annotations

from collections.abc import Iterator

from rich.align import Align
from rich.text import Text
from textual.app import SystemCommand
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from archive_tui.core.roles import Permission

TEXT = {"placeholder": "输入命令或按键说明……", "none": "没有匹配的命令"}
# (title, what it does, section, the section screen's action, changes the archive)
SECTION_COMMANDS = (
    ("装盒", "库房：把一个村的案卷按档号装盒（先说明，再确认）", "storage", "box", True),
    ("移库 调架", "库房：移动一盒或一份案卷（选中后按 g）", "storage", "move_hint", True),
    ("借出", "库房：借出一份案卷（选中后按 l）", "storage", "lend_hint", True),
    ("归还", "库房：借出的案卷归还", "storage", "copy('return')", True),
    ("打印盒脊", "库房：盒脊标签和盒内目录（PDF，存入 exports）", "storage", "labels", False),
    ("打印案卷目录", "库房：排架用的案卷目录（PDF，存入 exports）", "storage", "shelf_list", False),
)


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


def section_commands(app) -> Iterator[SystemCommand]:
    """The palette's commands that open a section and start one of its actions (the screen's
    check_action still decides); those changing the archive only for an account that may."""
    context = getattr(app, "context", None)
    writes = context is None or context.actor.may(Permission.WRITE)
    for title, help_text, section, action, changes in SECTION_COMMANDS:
        if writes or not changes:
            yield SystemCommand(title, help_text, lambda section=section, action=action: _start(app, section, action))


def _start(app, section: str, action: str) -> None:
    async def start() -> None:
        await app.switch_mode(section)
        await app.screen.run_action(action)

    app.call_later(start)
