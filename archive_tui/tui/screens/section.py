"""What every section screen shares: 帮助 and 退出 first in its footer, so they are never cut
off at 80 columns whatever keys the section adds after them."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen


class SectionScreen(Screen):
    BINDINGS = [Binding("question_mark", "app.help", "帮助"), Binding("q", "app.quit", "退出")]
