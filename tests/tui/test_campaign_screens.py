"""A later campaign (延包) where the archivist looks: its progress on the 总览, and a household's two
periods on its file (side by side from 100 columns, one under the other at 80)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static, TabbedContent

from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.household_file import HouseholdFileScreen
from tests.services.test_campaign_progress import A, B, extension_township
from tests.tui.test_app import settle, table_rows, text_of
from tests.tui.test_narrow import screen_text


@pytest.fixture
def extension(engine, config, tmp_path):
    return extension_township(engine, config, tmp_path / "csv")


@pytest.mark.parametrize(("size", "total", "headings", "not_shown"), [
    ((80, 24), ["合计", "367", "1.6", "0.8", "0.8", "0.5", "0.5"], ["确认%", "公示%", "签约%", "颁证%", "归档%"],
     ["第二轮土地承包"]),
    ((120, 40), ["合计", "367", "6（1.6%）", "3（0.8%）", "3（0.8%）", "2（0.5%）", "2（0.5%）"],
     ["已确认", "已公示", "已签约", "已颁证", "已归档", "第二轮土地承包到期后再延长三十年（延包）进度"], []),
])
async def test_the_dashboard_shows_the_campaigns_progress(config, engine, extension, size, total, headings,
                                                          not_shown):
    app = ArchiveApp(config, engine, section="dashboard")
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#campaign", DataTable)
        assert table.display and app.screen.query_one("#campaign-title", Static).display
        rows = table_rows(table)
        assert [row[0] for row in rows] == [A, B, "合计"] and rows[-1] == total
        assert rows[1][2] == ("33.3" if size[0] == 80 else "2（33.3%）")
        text = screen_text(app).replace(" ", "")
        assert all(word in text for word in headings), [word for word in headings if word not in text]
        assert not any(word in text for word in not_shown)
        assert "延包" in text and "进度" in text and "合计3" in text  # the table is on the screen, not below it
        assert all(word in text for word in (("合格%", "已移交") if size[0] == 80 else ("质检合格%", "已移交份数")))


async def test_the_dashboard_follows_the_window_and_shows_no_campaign_before_one_begins(config, engine, extension):
    app = ArchiveApp(config, engine, section="dashboard")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#campaign", DataTable))[-1][2] == "6（1.6%）"
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        await pilot.pause()
        assert table_rows(app.screen.query_one("#campaign", DataTable))[-1][2] == "1.6"
        assert "确认%" in screen_text(app)


async def test_no_campaign_table_before_a_campaign_begins(config, engine, tmp_path):
    from archive_tui.bootstrap import context_for
    from archive_tui.services.exchange.importing import run_import
    from tests.conftest import write_tables_csv

    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "csv", households=12))
    app = ArchiveApp(config, engine, section="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.screen.query_one("#campaign", DataTable).display
        assert "延包" not in screen_text(app)


async def open_file(app, pilot, code: str) -> HouseholdFileScreen:
    app.push_screen(HouseholdFileScreen(code))
    await settle(app, pilot)
    assert isinstance(app.screen, HouseholdFileScreen)
    return app.screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_household_file_shows_both_periods(config, engine, extension, size):
    first = extension.codes[0]
    app = ArchiveApp(config, engine, section="households")
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        screen = await open_file(app, pilot, first)
        summary = text_of(screen.query_one("#summary", Static))
        assert extension.primary[first] in summary and f"相关案卷 延包 {extension.files[first]}" in summary
        tabs = screen.query_one("#tabs", TabbedContent)
        assert tabs.get_tab("tab-periods").display
        tabs.active = "tab-periods"
        await settle(app, pilot)
        primary = text_of(screen.query_one("#period-primary", Static))
        later = text_of(screen.query_one("#period-later", Static))
        assert primary.startswith("确权") and extension.primary[first] in primary and "2028-06-30" in primary
        assert f"相关案卷 延包 {extension.files[first]}" in primary
        for expected in ("延包", extension.files[first], "已归档", "2028-07-01 至 2058-06-30", "YB2026000001",
                         "领取 2026-04-10", "确认 2026-03-05", "公示 2026-03-20（无异议）", "签约 2026-04-02",
                         f"相关案卷 确权 {extension.primary[first]}"):
            assert expected in later, expected
        narrow = screen.query_one("#periods").has_class("narrow")
        assert narrow == (size[0] < 100)
        left, right = (screen.query_one(f"#period-{side}").region for side in ("primary", "later"))
        if narrow:  # one under the other
            assert left.x == right.x and right.y > left.y
        else:  # side by side
            assert right.x > left.x and right.y == left.y
        text = screen_text(app)
        assert "两期" in text and "确权" in text and "延包" in text


async def test_the_periods_follow_the_window_and_stay_hidden_for_a_household_with_one(config, engine, extension):
    app = ArchiveApp(config, engine, section="households")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_file(app, pilot, extension.codes[1])
        later = text_of(screen.query_one("#period-later", Static))
        assert "公示 2026-03-20（异议：东大块面积有异议）" in later and "签约 —" in later
        assert not screen.query_one("#periods").has_class("narrow")
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert screen.query_one("#periods").has_class("narrow")
        await pilot.press("escape")
        await settle(app, pilot)
        alone = await open_file(app, pilot, extension.untouched)
        assert not alone.query_one("#tabs", TabbedContent).get_tab("tab-periods").display
        assert "相关案卷" not in text_of(alone.query_one("#summary", Static))
        assert "两期" not in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        new = await open_file(app, pilot, extension.codes[4])  # the 新增户: a 延包 file only
        later = text_of(new.query_one("#period-later", Static))
        assert "（本阶段新增户）" in later and extension.files[extension.codes[4]] in later
        assert "尚未建立案卷" in text_of(new.query_one("#period-primary", Static))
