"""Opening the app: the 总览 with its figures first, the work of the day (the daily backup)
after it in the background; quitting while that work runs leaves nothing half made."""

import asyncio
import datetime as dt
import threading

from textual.widgets import DataTable, Static

from archive_tui.bootstrap import context_for
from archive_tui.services.admin import backup as backups
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.tui.app import ArchiveApp
from tests.tui.test_scans_screen import wait_for


async def until(condition, seconds=30.0):
    """The same once the app has gone (no pilot left)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    assert condition()


def made_today(folder) -> list:
    """The finished automatic backups of today."""
    return sorted(p.name for p in folder.glob(f"auto-{dt.date.today():%Y%m%d}*") if not p.name.endswith(".part"))


async def test_quitting_while_the_daily_backup_runs_leaves_nothing_and_the_next_open_makes_it(config, engine,
                                                                                             monkeypatch):
    fill_demo(context_for(engine, config), households=20, seed=5)
    folder = config.resolve(config.settings.backup.folder)
    at_work, check = threading.Event(), backups._check
    app = ArchiveApp(config, engine, backups=True)

    def still_copying(stop) -> None:  # the backup is under way when the archivist presses q
        at_work.set()
        app.stop_watching.wait(30)
        check(stop)

    monkeypatch.setattr(backups, "_check", still_copying)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, at_work.is_set, seconds=30)
        totals = str(app.screen.query_one("#totals", Static).render())
        assert "20 户" in totals  # the figures were on screen before the backup began
        assert [p.name for p in folder.iterdir()] == [f"auto-{dt.date.today():%Y%m%d}.part"]
        await pilot.press("q")
    await until(lambda: not list(folder.iterdir()))  # stopped between two steps, its folder removed
    monkeypatch.setattr(backups, "_check", check)

    again = ArchiveApp(config, engine, backups=True)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: made_today(folder), seconds=30)
        await wait_for(pilot, lambda: again.screen.query_one("#villages", DataTable).row_count > 0, seconds=30)
    [name] = made_today(folder)
    assert backups.verify_backup(folder / name).ok and (folder / name / "archive.db.gz").is_file()
