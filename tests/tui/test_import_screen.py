"""Importing from the app: a worker with progress; rejects shown; the database unchanged on error."""

from textual.widgets import Input, Static

from archive_tui.bootstrap import context_for
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.dashboard import DashboardScreen
from archive_tui.tui.screens.import_source import ImportScreen
from tests.conftest import table_counts, write_tables_csv


async def _import(app, pilot, path) -> str:
    await pilot.press("i")
    await pilot.pause()
    assert isinstance(app.screen, ImportScreen)
    app.screen.query_one("#path", Input).value = str(path)
    await pilot.press("enter")
    await app.screen.workers.wait_for_complete()
    await pilot.pause()
    return str(app.screen.query_one("#log", Static).render())


async def test_import_runs_in_a_worker_and_the_dashboard_follows(config, engine, tmp_path):
    folder = write_tables_csv(config, tmp_path / "csv 数据", households=30)
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        log = await _import(app, pilot, folder)
        assert "导入完成：新增承包方 30 户" in log
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert not app.screen.query_one("#empty", Static).display
    assert table_counts(engine)["household"] == 30


async def test_rejected_source_is_reported_and_nothing_written(config, engine, tmp_path):
    def bad(tables):
        columns, rows = tables["CBF"]
        rows[0][columns.index("CBFBM")] = "123"

    folder = write_tables_csv(config, tmp_path / "csv", households=5, edit=bad)
    before = table_counts(engine)
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        log = await _import(app, pilot, folder)
        assert "导入已中止" in log and "CBF 承包方 第2行 CBFBM" in log
    assert table_counts(engine) == before


async def test_the_empty_national_template_says_it_holds_nothing(config, engine):
    from pathlib import Path

    template = Path(__file__).resolve().parents[1] / "fixtures" / "nyt2539-quanshu-template.mdb"
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        log = await _import(app, pilot, template)
        assert "数据源中没有任何记录（各表均为空），未作任何改动。" in log


async def test_a_reimport_after_an_edit_tells_of_the_kept_values(config, engine, tmp_path):
    from archive_tui.services.households.editing import update_household
    from archive_tui.services.exchange.importing import run_import

    folder = write_tables_csv(config, tmp_path / "csv", households=3)
    run_import(context_for(engine, config), folder)
    update_household(context_for(engine, config), "130123101001010001", {"name": "张改正"})
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        log = await _import(app, pilot, folder)
        assert "数据库未作任何改动。" in log and "完全相同" not in log
        assert "1 处与本档案的记录不一致" in log and "已保留本档案的值" in log


async def test_the_extension_is_imported_from_the_app_beside_the_first_registration(config, engine, tmp_path):
    from textual.widgets import Checkbox

    from archive_tui.services.exchange.importing import run_import
    from tests.fixtures.extension_sources import write_extension_export
    from tests.fixtures.real_sources import write_access_text_export

    run_import(context_for(engine, config), write_access_text_export(tmp_path / "确权导出"))
    before = table_counts(engine)
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(write_extension_export(tmp_path / "延包导出"))
        app.screen.query_one("#campaign-0", Checkbox).value = True
        await pilot.press("enter")
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        log = str(app.screen.query_one("#log", Static).render())
        assert "已开展延包 7 户" in log and "保留未改" in log
    after = table_counts(engine)
    assert after["campaign_record"] == 7 and after["contract"] == before["contract"] + 5
    assert after["household"] == before["household"]


async def test_the_campaign_box_is_ticked_from_the_keyboard_and_the_path_stays(config, engine, tmp_path):
    from textual.widgets import Checkbox

    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("i")
        await pilot.pause()
        await pilot.press(*"/tmp/x", "tab", "tab", "space")
        await pilot.pause()
        assert app.screen.query_one("#campaign-0", Checkbox).value
        assert not app.screen.query_one("#skip", Checkbox).value
        assert app.screen.query_one("#path", Input).value == "/tmp/x"
