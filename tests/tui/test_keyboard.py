"""The keyboard works the same in every section: ← → page through a section's sub-tabs wherever
the focus is (a table scrolls with ↑ ↓ PgUp PgDn), and in a text field they still move the cursor."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, TabbedContent

from archive_tui.bootstrap import context_for
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.tui.app import ArchiveApp
from tests.tui.test_app import settle


@pytest.fixture
def township(config, engine):
    fill_demo(context_for(engine, config), households=6, seed=3)


def section_tabs(app) -> TabbedContent:
    return app.screen.query(TabbedContent).first()


def pane_ids(tabs: TabbedContent) -> list[str]:
    return [pane.id for pane in tabs.query("TabPane") if pane.parent.parent is tabs]


@pytest.mark.parametrize("section", ["scans", "certificates", "checks", "records"])
async def test_left_and_right_switch_the_sub_tabs_even_from_a_table(config, engine, township, section):
    app = ArchiveApp(config, engine, section=section)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tabs = section_tabs(app)
        panes = pane_ids(tabs)
        tabs.get_pane(tabs.active).query(DataTable).first().focus()  # a table of the page shown
        await pilot.pause()
        first = tabs.active
        await pilot.press("right")
        assert tabs.active == panes[(panes.index(first) + 1) % len(panes)]
        shown = tabs.get_pane(tabs.active).query(DataTable)
        assert not shown or app.focused is shown.first()  # ↑ ↓ now move in the list shown
        await pilot.press("left", "left")
        assert tabs.active == panes[(panes.index(first) - 1) % len(panes)]
        await pilot.press("right")
        assert tabs.active == first


async def test_in_a_text_field_left_and_right_move_the_cursor_not_the_tab(config, engine, township):
    app = ArchiveApp(config, engine, section="certificates")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tabs = section_tabs(app)
        tabs.active = "tab-register"
        field = app.screen.query_one("#register-search", Input)
        field.focus()
        await pilot.press(*"dqd")
        await pilot.pause()
        before, position = tabs.active, field.cursor_position
        await pilot.press("left")
        assert tabs.active == before and field.cursor_position == position - 1
        await pilot.press("right")
        assert tabs.active == before and field.cursor_position == position


async def test_an_empty_list_says_so_under_its_header(config, engine, township):
    """The household file's tabs without rows (纠纷, 利用) say 暂无记录, not a bare header."""
    from archive_tui.services.households.households import list_households

    app = ArchiveApp(config, engine, section="households")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.open_household(list_households(engine, limit=1)[0]["cbfbm"])
        await settle(app, pilot)
        tabs = section_tabs(app)
        tabs.active = "tab-disputes"
        await settle(app, pilot)
        table = tabs.get_pane("tab-disputes").query(DataTable).first()
        assert table.row_count == 0
        assert "暂无记录" in app.export_screenshot()


async def test_the_household_files_page_keys_show_on_their_page(config, engine, township):
    """At 80 columns the footer holds the keys of the page shown: 移动 借出 归还 清点 on 三份, 著录
    on 卷内文件; pressed on another page they say where they work."""
    from archive_tui.services.households.households import list_households

    app = ArchiveApp(config, engine, section="households")
    said, notify = [], app.notify
    app.notify = lambda message, **options: (said.append(message), notify(message, **options))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.open_household(list_households(engine, limit=1)[0]["cbfbm"])
        await settle(app, pilot)

        def footer() -> set[str]:
            return {binding.action for (_node, binding, enabled, _tooltip) in app.screen.active_bindings.values()
                    if enabled and binding.show}

        assert "copy('move')" not in footer() and "catalogue" not in footer()
        await pilot.press("g")
        await settle(app, pilot)
        assert said[-1] == "请先在“三份”页选中一份"
        section_tabs(app).active = "tab-copies"
        await settle(app, pilot)
        assert {"copy('move')", "copy('lend')"} <= footer() and "catalogue" not in footer()
        section_tabs(app).active = "tab-documents"
        await settle(app, pilot)
        assert "catalogue" in footer() and "copy('move')" not in footer()


async def test_keys_typed_while_a_form_opens_go_to_its_first_field_and_tab_to_the_next(config, engine, township):
    """A quick typist (or a busy machine): ``a 0 1 Tab x y`` arrive before the form has drawn its
    fields. They land in 类别 and 题名, in order, none lost and none in a field they were not meant for."""
    from textual import events

    from archive_tui.tui.screens.fields_form import FieldsFormScreen

    app = ArchiveApp(config, engine, section="records")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for key, character in (("a", "a"), ("0", "0"), ("1", "1"), ("tab", None), ("x", "x"), ("y", "y")):
            app.post_message(events.Key(key, character))  # all queued at once, as a fast terminal sends them
        await settle(app, pilot)
        await pilot.pause()
        assert isinstance(app.screen, FieldsFormScreen)
        assert app.screen.query_one("#field-item_type", Input).value == "01"
        assert app.screen.query_one("#field-title", Input).value == "xy"


async def test_a_burst_of_text_tab_text_in_an_open_form_fills_two_fields(config, engine, township):
    """The 放行理由 once landed in the 村 field: ``01⇥xy`` sent at once must give 01 and xy."""
    from textual import events

    app = ArchiveApp(config, engine, section="records")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        for key, character in (("0", "0"), ("1", "1"), ("tab", None), ("x", "x"), ("y", "y")):
            app.post_message(events.Key(key, character))
        await settle(app, pilot)
        await pilot.pause()
        assert app.screen.query_one("#field-item_type", Input).value == "01"
        assert app.screen.query_one("#field-title", Input).value == "xy"
