"""The archive-tui application shell."""

from __future__ import annotations

from sqlalchemy import Engine
from textual.app import App

from archive_tui.config import Config
from archive_tui.services.households import township_counts
from archive_tui.tui.screens.overview import OverviewScreen


class ArchiveApp(App):
    TITLE = "archive-tui 确权登记档案"
    CSS = """
    #overview { padding: 1 2; }
    #empty { padding: 1 2; border: round $accent; margin-bottom: 1; }
    #counts { width: auto; height: auto; }
    """

    def __init__(self, config: Config, engine: Engine):
        super().__init__()
        self.config = config
        self.engine = engine

    def on_mount(self) -> None:
        settings = self.config.settings
        self.sub_title = f"{settings.county.name}{settings.township.name} · 操作员 {self.config.operator}"
        self.push_screen(OverviewScreen())

    def counts(self) -> dict[str, int]:
        return township_counts(self.engine)


def run_app(config: Config, engine: Engine) -> None:
    ArchiveApp(config, engine).run()
