"""Custody in the app: actions on the copies tab of the file view, and the 库房 view."""

import datetime as dt

from textual.widgets import DataTable, Input, SelectionList, Static

from archive_tui.bootstrap import context_for
from archive_tui.services.registers import copies
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.copy_action import CopyActionScreen
from archive_tui.tui.screens.storage import StorageScreen
from tests.tui.test_app import table_rows, text_of
from tests.tui.test_scans_screen import settle

A_MONTH_ON = (dt.date.today() + dt.timedelta(days=30)).isoformat()  # a loan's return date: always ahead


def row_of(table, level_label):
    return next(i for i, row in enumerate(table_rows(table)) if row[0] == level_label)


async def submit(app, pilot):
    """Enter in the form's first field saves it (a click could miss once an error line moved the button)."""
    app.screen.query(Input).first().focus()
    await pilot.press("enter")
    await pilot.pause()


async def open_copies_tab(app, pilot, code):
    app.open_household(code)
    await pilot.pause()
    app.screen.query_one("#tabs").active = "tab-copies"
    await pilot.pause()
    return app.screen.query_one("#table-copies", DataTable)


async def test_move_lend_and_return_from_the_copies_tab(config, engine):
    fill_demo(context_for(engine, config), households=5, seed=2)
    code = list_households(engine, limit=1)[0]["cbfbm"]
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_copies_tab(app, pilot, code)
        table.move_cursor(row=row_of(table, "乡镇级"))
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, CopyActionScreen)
        app.screen.query_one("#field-to", Input).value = "乡政府/档案室/3/2"
        app.screen.query_one("#field-reason", Input).value = "上架"
        await pilot.click("#save")
        await settle(app, pilot)
        table = app.screen.query_one("#table-copies", DataTable)
        row = table_rows(table)[row_of(table, "乡镇级")]
        assert row[2] == "乡政府/档案室/3/2"
        assert any("上架" in r[2] for r in table_rows(table))  # the history line under the copy
        table.move_cursor(row=row_of(table, "乡镇级"))
        await pilot.press("l")
        await pilot.pause()
        app.screen.query_one("#field-borrower", Input).value = "王科长"
        app.screen.query_one("#field-until", Input).value = "2026/12/01"
        await pilot.click("#save")
        await settle(app, pilot)
        assert "YYYY-MM-DD" in text_of(app.screen.query_one("#copy-error", Static))
        app.screen.query_one("#field-until", Input).value = A_MONTH_ON
        await submit(app, pilot)
        table = app.screen.query_one("#table-copies", DataTable)
        assert table_rows(table)[row_of(table, "乡镇级")][1] == "借出"
        table.move_cursor(row=row_of(table, "乡镇级"))
        await pilot.press("g")
        await pilot.pause()
        app.screen.query_one("#field-to", Input).value = "县局/库房"
        await pilot.click("#save")
        await settle(app, pilot)
        assert "已借出" in text_of(app.screen.query_one("#copy-error", Static))
        await pilot.press("escape")
        await pilot.press("b")
        await pilot.pause()
        await submit(app, pilot)
        app.screen.query_one("#tabs").active = "tab-history"
        await pilot.pause()
        history = table_rows(app.screen.query_one("#table-history", DataTable))
        assert [row[2] for row in history][-3:] == ["移动", "借出", "归还"]  # in words, under the household
        assert "位置 （空） → 乡政府/档案室/3/2" in history[-3][4] and "份别 乡镇级" in history[-3][4]
        shown = " ".join(" ".join(row) for row in history)
        assert not any(word in shown for word in ("copies.", "None", "['", "holder", "status"))
    township_copy = next(c for c in copies.list_copies(engine, level="township") if c["cbfbm"] == code)
    assert township_copy["status"] == "assembling" and township_copy["location"] == "乡政府/档案室/3/2"


async def test_ticking_what_a_copy_holds_shows_the_difference(config, engine):
    fill_demo(context_for(engine, config), households=5, seed=2)
    code = list_households(engine, limit=1)[0]["cbfbm"]
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_copies_tab(app, pilot, code)
        assert table_rows(table)[row_of(table, "县级")][4] == "未清点"
        table.move_cursor(row=row_of(table, "县级"))
        await pilot.press("t")
        await pilot.pause()
        documents = app.screen.query_one("#documents", SelectionList)
        documents.deselect("06")
        await pilot.click("#save")
        await settle(app, pilot)
        table = app.screen.query_one("#table-copies", DataTable)
        assert table_rows(table)[row_of(table, "县级")][4] == "公示结果归户表"
        app.screen.query_one("#tabs").active = "tab-members"  # copy actions need the 三份 tab
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert not isinstance(app.screen, CopyActionScreen)


async def test_the_storage_view_shows_boxes_and_what_they_hold(config, engine):
    fill_demo(context_for(engine, config), households=12, seed=2)
    village = list_households(engine, limit=1)[0]["village"]
    result = copies.box_files(context_for(engine, config), village=village, capacity=5, level="township")
    copies.move(context_for(engine, config), [result.boxes[0]], "乡政府/档案室/1/1", level="township")
    app = ArchiveApp(config, engine, section="storage")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, StorageScreen)
        places = table_rows(app.screen.query_one("#places", DataTable))
        first = next(i for i, row in enumerate(places) if row[2] == result.boxes[0])
        assert places[first][0] == "乡政府/档案室/1/1" and places[first][3] == "5"
        app.screen.query_one("#places", DataTable).move_cursor(row=first)
        await pilot.press("enter")
        await pilot.pause()
        inside = table_rows(app.screen.query_one("#inside", DataTable))
        assert len(inside) == 5 and inside == sorted(inside)
