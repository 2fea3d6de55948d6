"""档案 section: 综合档案 registered, boxed and printed from the keyboard; the use register of the year."""

from __future__ import annotations

import datetime as dt

from textual.widgets import DataTable, Input, Static

from archive_tui.bootstrap import context_for
from archive_tui.services.registers.record_items import list_items
from archive_tui.services.registers.use_register import NewUse, add_use
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from tests.conftest import table_counts
from tests.tui.test_app import table_rows, text_of
from tests.tui.test_scans_screen import settle


async def fill(app, pilot, **values):
    for key, value in values.items():
        app.screen.query_one(f"#field-{key}", Input).value = value
    app.screen.query(Input).first().focus()
    await pilot.press("enter")
    await pilot.pause()


async def test_an_item_is_registered_boxed_and_listed_from_the_keyboard(config, engine):
    app = ArchiveApp(config, engine, section="records")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, FieldsFormScreen)
        before = table_counts(engine)
        await fill(app, pilot, item_type="01", title="城关镇确权登记颁证工作实施方案", dated="2024/03/05")
        assert "YYYY-MM-DD" in text_of(app.screen.query_one("#error-dated", Static))
        assert table_counts(engine) == before  # refused: nothing written
        await fill(app, pilot, dated="2024-03-05", pages="8")
        await settle(app, pilot)
        assert not isinstance(app.screen, FieldsFormScreen)
        rows = table_rows(app.screen.query_one("#items", DataTable))
        assert rows[0][:4] == ["Z001-WS·2024-Y-0001", "城关镇确权登记颁证工作实施方案", "2024-03-05", "8"]
        await pilot.press("b")
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#items", DataTable))[0][5] == "综2024-Y-001"
        assert "未装盒 0 件" in text_of(app.screen.query_one("#items-summary", Static))
        await pilot.press("p")
        await pilot.pause()
        assert (config.exports / "归档文件目录-全部.pdf").is_file()
    assert [row["box"] for row in list_items(engine, config)] == ["综2024-Y-001"]


async def test_the_use_register_of_the_year_lists_every_file(config, engine):
    fill_demo(context_for(engine, config), households=3, seed=5)
    households = list_households(engine)
    today = dt.date.today()
    for household in households[:2]:
        add_use(context_for(engine, config), NewUse(household["cbfbm"], "copy", "王五", today, "县自然资源局",
                                                    "不动产登记核对",
                                       pages=2))
    app = ArchiveApp(config, engine, section="records")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#record-tabs").active = "tab-uses"
        await pilot.pause()
        rows = table_rows(app.screen.query_one("#uses", DataTable))
        assert {row[4] for row in rows} == {h["archive_code"] for h in households[:2]}
        assert f"{today.year} 年利用 2 次（复制 2）" in text_of(app.screen.query_one("#uses-summary", Static))
        await pilot.press("p")
        await pilot.pause()
        assert (config.exports / f"档案利用登记表-{today.year}.pdf").is_file()


async def test_the_monthly_tab_shows_villages_a_sparkline_and_other_months(config, engine):
    from textual.widgets import Sparkline

    fill_demo(context_for(engine, config), households=40, seed=5)
    app = ArchiveApp(config, engine, section="records")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#record-tabs").active = "tab-monthly"
        await settle(app, pilot)
        rows = table_rows(app.screen.query_one("#monthly", DataTable))
        assert rows[-1][0] == "合计" and rows[-1][1] == "40 +40"  # imported this month
        assert len(app.screen.query_one("#issued-spark", Sparkline).data) == 12
        this_month = text_of(app.screen.query_one("#monthly-summary", Static))
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert text_of(app.screen.query_one("#monthly-summary", Static)) != this_month
        assert table_rows(app.screen.query_one("#monthly", DataTable))[-1][1] == "0"  # nothing imported before
        await pilot.press("right_square_bracket", "right_square_bracket")  # next month has not come: refused
        await settle(app, pilot)
        assert text_of(app.screen.query_one("#monthly-summary", Static)) == this_month
        await pilot.press("p")
        await pilot.pause()
        assert (config.exports / f"月报-{dt.date.today():%Y-%m}.pdf").is_file()


async def test_a_share_is_made_from_the_form_and_listed(config, engine):
    fill_demo(context_for(engine, config), households=5, seed=5)
    app = ArchiveApp(config, engine, section="records")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#record-tabs").active = "tab-shares"
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await fill(app, pilot, to="正定县自然资源局", since="2026/01/01")
        assert "YYYY-MM-DD" in text_of(app.screen.query_one("#error-since", Static))
        await fill(app, pilot, since="")
        await settle(app, pilot)
        rows = table_rows(app.screen.query_one("#shares", DataTable))
        assert [row[1:5] for row in rows] == [["正定县自然资源局", "全乡镇", "全部", "5"]]
        await pilot.press("n")
        await pilot.pause()
        await fill(app, pilot, to="正定县自然资源局", since=rows[0][0])  # nothing changed since: refused
        await settle(app, pilot)
        assert len(table_rows(app.screen.query_one("#shares", DataTable))) == 1
