"""The 移交 section: a batch built, printed, sent, packaged and closed from the keyboard."""

import pytest
from textual.widgets import DataTable, Input, Static

from archive_tui.bootstrap import context_for
from archive_tui.services.transfers import transfers
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.confirm import ConfirmScreen
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from archive_tui.tui.screens.receive_batch import ReceiveBatchScreen
from tests.tui.test_app import table_rows, text_of
from tests.tui.test_scans_screen import settle, wait_for


async def fill(app, pilot, values):
    for key, value in values.items():
        app.screen.query_one(f"#field-{key}", Input).value = value
    app.screen.query(Input).first().focus()
    await pilot.press("enter")
    await settle(app, pilot)


async def test_a_batch_from_new_to_received(config, engine):
    fill_demo(context_for(engine, config), households=8, seed=6)
    village = list_households(engine, limit=1)[0]["village"]
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, FieldsFormScreen)
        await fill(app, pilot, {"to": ""})
        assert "接收单位" in text_of(app.screen.query_one("#error-to", Static))
        await fill(app, pilot, {"to": "正定县档案馆", "handed_over_by": "王档案"})
        [batch] = table_rows(app.screen.query_one("#batches", DataTable))
        assert batch[1] == "草稿" and batch[4] == "0"
        await pilot.press("a")
        await pilot.pause()
        await fill(app, pilot, {"village": village})
        await wait_for(pilot, lambda: table_rows(app.screen.query_one("#batches", DataTable))[0][4] != "0")
        files = int(table_rows(app.screen.query_one("#batches", DataTable))[0][4])
        assert files == len(table_rows(app.screen.query_one("#items", DataTable))) > 0
        await pilot.press("m")
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen) and f"{files} 卷" in text_of(app.screen.query_one("#confirm-what"))
        await pilot.press("enter")  # the cancel button has the focus: a habitual Enter sends nothing
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#batches", DataTable))[0][1] == "草稿"
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#batches", DataTable))[0][1] == "已移交待接收"
        assert {row[3] for row in table_rows(app.screen.query_one("#items", DataTable))} == {"移交中"}
        await pilot.press("p")
        bags = config.exports / "移交包"
        await wait_for(pilot, lambda: bags.is_dir() and any(bags.iterdir()))
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, ReceiveBatchScreen)
        checklist = app.screen.query_one("#receive-items", DataTable)
        first, second = [row[0] for row in table_rows(checklist)[:2]]
        await pilot.press("space")  # the first: missing
        await pilot.press("down", "space", "space")  # the second: damaged
        assert "缺失 1 卷，破损 1 卷" in text_of(app.screen.query_one("#receive-counts"))
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen) and first in text_of(app.screen.query_one("#confirm-what"))
        await pilot.press("y")
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#batches", DataTable))[0][1] == "已接收"
        results = {row[0]: row[3] for row in table_rows(app.screen.query_one("#items", DataTable))}
        assert results[first] == "缺失" and results[second] == "破损"
    [number] = [b["batch"] for b in transfers.list_batches(engine)]
    assert (config.exports / f"移交清单-{number}.pdf").is_file()
    assert (config.exports / "移交包" / number / "bagit.txt").is_file()


async def test_a_batch_is_checked_from_the_app_and_a_failed_check_needs_a_reason_to_send(config, engine):
    from archive_tui.tui.screens.check_report import CheckReportScreen

    fill_demo(context_for(engine, config), households=4, seed=6)
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in list_households(engine)], override="测试")
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("k")
        # the report screen is pushed, then fills its table on mount: wait for both (a loaded CI machine
        # once read the table between the two)
        await wait_for(pilot, lambda: isinstance(app.screen, CheckReportScreen)
                       and app.screen.query("#check-items") and app.screen.query_one("#check-items").row_count > 0)
        rows = table_rows(app.screen.query_one("#check-items", DataTable))
        assert len(rows) >= 30 and rows[0][3] == "不通过"  # failures first (the demo's 卷内目录 counts unscanned pages)
        assert "完整性不通过" in text_of(app.screen.query_one("#check-title"))
        assert (config.exports / f"四性检测-{number}.pdf").is_file()
        from tests.tui.test_all_chinese import words_on

        assert words_on(app) <= {"ClamAV", "Payload", "Oxum", "Windows"}  # names of a tool, a field, a system
        await pilot.press("escape")
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, FieldsFormScreen)  # not the plain confirmation: a reason is asked for
        await fill(app, pilot, {"override": ""})
        assert transfers.show(engine, number)["status"] == "draft"
        await fill(app, pilot, {"override": "卷内目录页数待县里核对"})
    assert transfers.show(engine, number)["status"] == "sent"


@pytest.mark.parametrize(("count", "cell"), [
    (0, ""), (2, "第1处；第2处"), (3, "第1处；第2处；第3处"), (1234, "共 1,234 处，前 3 处：第1处；第2处；第3处"),
])
def test_a_check_item_s_cell_states_its_true_count(count, cell):
    from archive_tui.tui.screens.check_report import details_text

    assert details_text([f"第{n}处" for n in range(1, count + 1)]) == cell


async def test_the_manifest_made_in_the_app_goes_to_the_configured_printer(config, engine, tmp_path, monkeypatch):
    """m makes the 移交清单; with [print] printer set it is also sent there (CUPS lp), and the
    message says so — never 已打印 for a file only written."""
    from tests.cli.test_print_and_out import PRINTER, fake_lp

    fill_demo(context_for(engine, config), households=3, seed=6)
    log = fake_lp(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    config.settings.print.printer = PRINTER
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await fill(app, pilot, {"to": "正定县档案馆"})
        await pilot.press("a")
        await pilot.pause()
        await fill(app, pilot, {"village": list_households(engine, limit=1)[0]["village"]})
        await wait_for(pilot, lambda: table_rows(app.screen.query_one("#batches", DataTable))[0][4] != "0")
        await pilot.press("m")
        await wait_for(pilot, lambda: log.is_file())
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[:2] == ["-d", PRINTER] and calls[2].endswith(".pdf") and "移交清单" in calls[2]
