"""A section whose issue has not landed yet."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

TEXT = {"soon": "“{title}”功能尚未提供，将在后续版本中加入。\n\n按 1 回到总览，按 2 浏览户卷。"}


class UnavailableScreen(Screen):
    def __init__(self, title: str):
        super().__init__()
        self.section_title = title

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(TEXT["soon"].format(title=self.section_title), classes="notice")
        yield Footer()
