"""The start screen: counts of the township, or how to begin on an empty database."""

from pathlib import Path

from textual.widgets import DataTable, Static

from archive_tui.services.demo import fill_demo
from archive_tui.tui.app import ArchiveApp


def table_text(app) -> dict[str, str]:
    table = app.screen.query_one("#counts", DataTable)
    return {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(table.row_count)}


async def test_empty_database_explains_how_to_start(config, engine):
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        empty = app.screen.query_one("#empty", Static)
        assert empty.display
        assert "archive-tui demo" in str(empty.render()) and "archive-tui import" in str(empty.render())
        assert table_text(app)["承包户"] == "0"
        assert "城关镇" in app.sub_title and "档案员" in app.sub_title


async def test_counts_follow_the_database_and_refresh_on_r(config, engine):
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert table_text(app)["承包户"] == "0"
        fill_demo(engine, config, households=25, seed=2)
        await pilot.press("r")
        await pilot.pause()
        counts = table_text(app)
        assert counts["承包户"] == "25" and counts["案卷"] == "25"
        assert not app.screen.query_one("#empty", Static).display
        await pilot.press("q")
    assert app.return_code in (0, None)


def test_overview_snapshot(snap_compare, tmp_path):
    """The start screen at 80×24 with a small demo township."""
    app_path = Path(__file__).parent / "snapshot_app.py"
    assert snap_compare(str(app_path), terminal_size=(80, 24))
