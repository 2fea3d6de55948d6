"""The app driven with Textual's pilot: sections, the household list, the file view, editing."""

import pytest
from sqlalchemy import select
from textual.worker import WorkerState
from textual.widgets import DataTable, Input, Static

from archive_tui.bootstrap import context_for
from archive_tui.services.households.households import HouseholdFilter, browse_page, list_households
from archive_tui.services.households.search import initials
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.certificates import CertificatesScreen
from archive_tui.tui.screens.checks import ChecksScreen
from archive_tui.tui.screens.dashboard import DashboardScreen
from archive_tui.tui.screens.edit_household import EditHouseholdScreen
from archive_tui.tui.screens.help import HelpScreen
from archive_tui.tui.screens.household_file import HouseholdFileScreen
from archive_tui.tui.screens.households import HouseholdsScreen
from archive_tui.tui.screens.scans import ScansScreen
from archive_tui.tui.screens.storage import StorageScreen
from archive_tui.tui.screens.transfers import TransfersScreen
from archive_tui.tui.widgets.household_table import HouseholdTable
from models import AuditEvent, Household


async def settle(app, pilot):
    """Until no worker runs (a newer preview cancels an older one: that is not a failure)."""
    await pilot.pause()
    for _ in range(3000):  # a worker just started is pending, not yet running: it counts too
        if not any(worker.state in (WorkerState.PENDING, WorkerState.RUNNING) for worker in app.workers
                   if worker.group != "inbox"):
            break
        await pilot.pause(0.02)
    await pilot.pause()


def text_of(widget) -> str:
    return str(widget.render())


def table_rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_empty_database_explains_how_to_start(config, engine):
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        empty = app.screen.query_one("#empty", Static)
        assert empty.display and "archive-tui demo" in text_of(empty) and "archive-tui import" in text_of(empty)
        assert "城关镇" in app.sub_title and "档案员" in app.sub_title


async def test_dashboard_lists_villages_and_totals(config, township):
    app = ArchiveApp(config, township)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        rows = table_rows(app.screen.query_one("#villages", DataTable))
        assert rows[-1][0] == "合计" and rows[-1][1] == "400"
        assert sum(int(r[1]) for r in rows[:-1]) == 400
        assert not app.screen.query_one("#empty", Static).display


async def test_keys_one_to_eight_reach_every_section(config, township):
    from archive_tui.tui.screens.records import RecordsScreen

    app = ArchiveApp(config, township)
    async with app.run_test(size=(80, 24)) as pilot:
        expected = [DashboardScreen, HouseholdsScreen, ScansScreen, CertificatesScreen, TransfersScreen,
                    ChecksScreen, StorageScreen, RecordsScreen]
        for key, screen_type in zip("12345678", expected):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen_type), key
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = "".join(text_of(app.screen.query_one(f"#help-{side}", Static)) for side in ("left", "right"))
        assert all(title in shown for title in ("总览", "户卷", "扫描", "证书", "移交", "质检", "库房", "档案"))
        await pilot.press("escape")
        assert isinstance(app.screen, RecordsScreen)


async def test_list_filters_by_pinyin_initials_and_opens_a_file(config, township):
    target = list_households(township, limit=1, offset=123)[0]
    app = ArchiveApp(config, township)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        letters = initials(target["name"])
        await pilot.press(*letters)
        await app.workers.wait_for_complete()  # the count runs in a worker
        await pilot.pause()
        table = app.screen.query_one(HouseholdTable)
        expected = [r["cbfbm"] for r in list_households(township) if letters in initials(r["name"])]
        assert table.total >= len(expected) and target["cbfbm"] in [
            table.row(i)["cbfbm"] for i in range(table.total)]
        assert f"共 {table.total:,} 户" in text_of(app.screen.query_one("#status", Static))
        while table.current["cbfbm"] != target["cbfbm"]:
            table.action_cursor(1)
        await pilot.press("enter")  # from the search box: to the list
        await pilot.press("enter")  # open
        await pilot.pause()
        assert isinstance(app.screen, HouseholdFileScreen)
        summary = text_of(app.screen.query_one("#summary", Static))
        assert target["name"] in summary and target["archive_code"] in summary
        await pilot.press("escape")
        assert isinstance(app.screen, HouseholdsScreen)


async def test_list_pages_from_the_database_to_the_last_household(config, township):
    app = ArchiveApp(config, township)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(HouseholdTable)
        assert table.total == 400
        await pilot.press("end")
        await pilot.pause()
        assert table.current["cbfbm"] == list_households(township)[-1]["cbfbm"]
        assert len(table._pages) <= 3  # only the pages on screen were read
        await pilot.press("s")  # sort by the next column, 承包方编码 → 户主
        await pilot.pause()
        first = browse_page(township, HouseholdFilter(sort="name"), 0, 1)[0]
        assert table.row(0)["cbfbm"] == first["cbfbm"]
        await pilot.press("v")  # the village picker: the first village
        await pilot.pause()
        await pilot.press("down", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert 0 < table.total < 400
        assert app.screen.query_one("#detail").render().plain.startswith(table.current["village"])


async def test_wrong_id_number_is_shown_and_not_saved_then_a_right_edit_is(config, township):
    code = list_households(township, limit=1)[0]["cbfbm"]
    with township.connect() as connection:
        before = connection.execute(select(Household.id_number, Household.phone).where(Household.code == code)).one()
    app = ArchiveApp(config, township)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_household(code)
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditHouseholdScreen)
        app.screen.query_one("#field-id_number", Input).value = "110105194912310021"  # wrong check digit
        await pilot.click("#save")
        await settle(app, pilot)
        error = app.screen.query_one("#error-id_number", Static)
        assert error.display and "校验位错误" in text_of(error)
        with township.connect() as connection:
            assert connection.execute(
                select(Household.id_number, Household.phone).where(Household.code == code)).one() == before
        app.screen.query_one("#field-id_number", Input).value = "11010519491231002X"
        app.screen.query_one("#field-phone", Input).value = "13912345678"
        app.screen.query_one("#field-phone", Input).focus()
        await pilot.press("enter")  # Enter in a field saves, as the button does
        await pilot.pause()
        errors = [text_of(w) for w in app.screen.query(".error") if w.display]
        assert isinstance(app.screen, HouseholdFileScreen), errors
    with township.connect() as connection:
        saved = connection.execute(select(Household.id_number, Household.phone).where(Household.code == code)).one()
        actions = connection.execute(select(AuditEvent.action).where(AuditEvent.entity_key == code)).scalars().all()
    assert tuple(saved) == ("11010519491231002X", "13912345678")
    assert "edit" in actions


async def test_every_wrong_field_is_shown_at_once_and_goes_when_corrected(config, township):
    code = list_households(township, limit=1)[0]["cbfbm"]
    app = ArchiveApp(config, township)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_household(code)
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        for key, value in (("name", "110105"), ("id_number", "110105194912310021"), ("phone", "电话")):
            app.screen.query_one(f"#field-{key}", Input).value = value
        await pilot.click("#save")
        await settle(app, pilot)
        shown = {w.id: text_of(w) for w in app.screen.query(".error") if w.display}
        assert set(shown) == {"error-name", "error-id_number", "error-phone"}
        assert "全是数字" in shown["error-name"] and "校验位" in shown["error-id_number"]
        assert app.focused.id == "field-name"  # the first wrong field
        app.screen.query_one("#field-phone", Input).value = "13912345678"
        await pilot.pause()
        assert {w.id for w in app.screen.query(".error") if w.display} == {"error-name", "error-id_number"}


async def test_id_numbers_are_masked_until_revealed_and_revealing_is_recorded(config, township):
    code = list_households(township, limit=1)[0]["cbfbm"]
    app = ArchiveApp(config, township)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_household(code)
        await pilot.pause()
        members = app.screen.query_one("#table-members", DataTable)
        assert "*" in table_rows(members)[0][4]
        await pilot.press("m")
        await pilot.pause()
        assert "*" not in table_rows(members)[0][4]
    with township.connect() as connection:
        assert "reveal" in connection.execute(select(AuditEvent.action)).scalars().all()


async def test_a_filter_that_matches_everything_counts_them_all(config, township):
    app = ArchiveApp(config, township, section="households")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        status = app.screen.query_one("#status", Static)
        app.screen.apply(HouseholdFilter(text="z001"))  # every 档号 starts with Z001
        await pilot.pause()
        assert "共 400 户" in text_of(status)
        app.screen.apply(HouseholdFilter(text="没有这个人"))
        await pilot.pause()
        assert "共 0 户" in text_of(status) and "没有符合条件的承包户" in text_of(status)


async def test_search_index_is_built_in_a_worker_on_first_open(config, engine):
    from archive_tui.services.exchange.demo import fill_demo
    from archive_tui.services.households.search import missing_count

    fill_demo(context_for(engine, config), households=50, seed=2)
    assert missing_count(engine) == 50
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert missing_count(engine) == 0 and not app.indexing


async def test_file_view_lists_certificate_events(config, engine, tmp_path):
    from archive_tui.services.exchange.importing import run_import
    from tests.conftest import write_tables_csv
    from tests.services.test_import import _certificate_history

    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "csv", households=5,
                                                             edit=_certificate_history))
    code = list_households(engine, limit=1)[0]["cbfbm"]
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_household(code)
        await pilot.pause()
        rows = table_rows(app.screen.query_one("#table-certificates", DataTable))
        assert any(row[0].endswith("注销") and row[1] == "承包方全家迁入城镇" for row in rows)
        assert any(row[2] == "已注销" for row in rows)



async def test_names_with_brackets_and_control_characters_are_shown_as_written(config, township):
    """An older database holds what a careless import let through: ESC sequences and text that looks like
    markup. The list, the file view and its tables show it as written; nothing crashes or repaints."""
    from sqlalchemy import update

    from models import Member
    first = list_households(township, limit=1)[0]
    with township.begin() as connection:
        household_id = connection.execute(update(Household).where(Household.code == first["cbfbm"])
                                          .values(name="张[/b]\x1b[2J三").returning(Household.id)).scalar_one()
        connection.execute(update(Member).where(Member.household_id == household_id)
                           .values(name="[@click=app.quit]李四[/]"))
    app = ArchiveApp(config, township)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(HouseholdTable)
        assert table.row(0)["cbfbm"] == first["cbfbm"]
        shown = table.render_line(0).text
        assert "张[/b]\\" in shown and "\x1b" not in shown  # the escape, cut to the column
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HouseholdFileScreen)
        summary = text_of(app.screen.query_one("#summary", Static))
        assert "张[/b]\\x1b[2J三  承包方编码" in summary  # as written, and the markup after it still works
        members = table_rows(app.screen.query_one("#table-members", DataTable))
        assert members and all(row[0] == "[@click=app.quit]李四[/]" for row in members)
        app.notify("已挂接 [/b]\x1b.jpg")  # a file name from the inbox in a notification
        await pilot.pause()
        assert app.is_running


async def test_a_dispute_and_a_use_show_on_the_household_file_and_the_dashboard(config, engine):
    import datetime as dt

    from archive_tui.services.exchange.demo import fill_demo
    from archive_tui.services.households.disputes import NewDispute, add_dispute
    from archive_tui.services.registers.use_register import NewUse, add_use

    fill_demo(context_for(engine, config), households=5, seed=6)
    code = list_households(engine, limit=1)[0]["cbfbm"]
    number = add_dispute(context_for(engine, config), NewDispute(code, "东大块四至争议", dt.date(2026, 3, 1),
                                                                 "张三、李四"))
    add_use(context_for(engine, config), NewUse(code, "copy", "王五", dt.date(2026, 3, 2), purpose="核对", pages=2))
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "未结纠纷 1 起" in text_of(app.screen.query_one("#totals"))
        app.open_household(code)
        await pilot.pause()
        app.screen.query_one("#tabs").active = "tab-disputes"
        await pilot.pause()
        [row] = table_rows(app.screen.query_one("#table-disputes"))
        assert row[:4] == [number, "登记", "东大块四至争议", "张三、李四"]
        app.screen.query_one("#tabs").active = "tab-uses"
        await pilot.pause()
        [use] = table_rows(app.screen.query_one("#table-uses"))
        assert use[:4] == ["利用2026-001", "2026-03-02", "复制", "王五"]


@pytest.mark.parametrize("size, pages", [((80, 24), 2), ((120, 40), 1)])
async def test_the_help_shows_whole_pages_that_fit_the_screen(config, engine, size, pages):
    """At 80×24 the keys take two pages, each whole on the screen (← → turn them); on a taller
    screen everything shows at once. Every key of every page is there, once."""
    from archive_tui.tui.screens.help import help_columns

    app = ArchiveApp(config, engine)
    async with app.run_test(size=size) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        box = app.screen.query_one("#help")
        close = text_of(app.screen.query_one("#help-close", Static))
        assert (f"第 1/{pages} 页" in close) is (pages > 1) and "Esc" in close
        seen = []
        for _ in range(pages):
            assert box.region.y >= 0 and box.region.bottom <= size[1]  # nothing below the screen
            seen += [text_of(app.screen.query_one(f"#help-{side}", Static)) for side in ("left", "right")]
            await pilot.press("right")
            await pilot.pause()
        assert "第 1/" in text_of(app.screen.query_one("#help-close", Static)) or pages == 1  # round again
        shown = " ".join(" ".join(seen).split())
        assert "u 管理员" in shown
        left, right = help_columns(app)
        assert sum(len(column.split("\n")) for column in seen if column) == len(left) + len(right)


async def test_a_document_is_catalogued_in_the_file_view_and_a_wrong_date_is_refused(config, township):
    """d on the 卷内文件 tab: the entry's fields in a form; a date in the future stays beside its field."""
    from archive_tui.services.households.households import show_household

    code = list_households(township, limit=1)[0]["cbfbm"]
    before = show_household(context_for(township, config), code)["documents"][6]
    assert before["doc_number"] == f"{code}J"  # the contract's code, from the data
    app = ArchiveApp(config, township)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_household(code)
        await pilot.pause()
        app.screen.query_one("#tabs").active = "tab-documents"
        await settle(app, pilot)  # 著录 (d) works on this page
        table = app.screen.query_one("#table-documents", DataTable)
        table.move_cursor(row=6)  # the contract (07)
        await pilot.press("d")
        await pilot.pause()
        assert "承包合同" in text_of(app.screen.query(Static).first())
        app.screen.query_one("#field-dated", Input).value = "2099-01-01"
        app.screen.query_one("#field-doc_number", Input).value = "东合字〔2017〕8号"
        await pilot.click("#save")
        await settle(app, pilot)
        error = app.screen.query_one("#error-dated", Static)
        assert error.display and "在今天之后" in text_of(error)
        assert show_household(context_for(township, config), code)["documents"][6] == before  # nothing saved
        app.screen.query_one("#field-dated", Input).value = "2017-08-01"
        await pilot.click("#save")
        await settle(app, pilot)
        for _ in range(600):  # the form closes once its save's result is handled (a message after the worker)
            if isinstance(app.screen, HouseholdFileScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, HouseholdFileScreen)
        rows = table_rows(app.screen.query_one("#table-documents", DataTable))
        assert rows[6][1] == "2017-08-01" and rows[6][7] == "东合字〔2017〕8号"
    contract = show_household(context_for(township, config), code)["documents"][6]
    assert (contract["date"], contract["doc_number"]) == ("2017-08-01", "东合字〔2017〕8号")
