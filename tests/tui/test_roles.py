"""Roles in the app: a 查阅 account's keys that would change the archive are hidden and do nothing;
an 档案员 account has them; the account is the operator named in the title."""

from __future__ import annotations

from textual.widgets import DataTable

from archive_tui.bootstrap import context_for
from archive_tui.core.roles import Actor
from archive_tui.services.admin.accounts import User, add_user
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.households.search import build_missing
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from tests.conftest import table_counts
from tests.tui.test_app import table_rows
from tests.tui.test_scans_screen import settle


def footer_keys(app) -> set[str]:
    return {binding.action for (_node, binding, enabled, _tooltip) in app.screen.active_bindings.values()
            if enabled and binding.show}


async def test_a_reader_sees_no_key_that_changes_the_archive(config, engine):
    fill_demo(context_for(engine, config), households=4, seed=2)
    build_missing(engine)  # the search index (derived, rebuilt by any session) is there already
    add_user(context_for(engine, actor=Actor.local("安装")), "李查阅", "reader", "很长的密码123")
    code = list_households(engine, limit=1)[0]["cbfbm"]
    before = table_counts(engine)
    app = ArchiveApp(config, engine, section="records", user=User("李查阅", "reader"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert "（查阅）" in app.sub_title
        assert {"add_item", "box"} & footer_keys(app) == set() and "print" in footer_keys(app)
        assert "a 登记" not in str(app.screen.query_one("#items-summary").render())
        said, notify = [], app.notify

        def noting(message, **options):
            said.append(message)
            return notify(message, **options)

        app.notify = noting
        await pilot.press("a", "b")
        await settle(app, pilot)
        assert not isinstance(app.screen, FieldsFormScreen)
        assert said and said[0].startswith("查阅账户不能") and "（李查阅）；需要时请找管理员" in said[0]
        for section, keys in (("5", ("n", "k", "s")), ("6", ("c",)), ("1", ("i",))):
            await pilot.press(section)
            await settle(app, pilot)
            await pilot.press(*keys)
            await settle(app, pilot)
            assert not isinstance(app.screen, FieldsFormScreen), section
        app.open_household(code)
        await settle(app, pilot)
        await pilot.press("m", "e")  # reveal and edit: neither for a reader
        await settle(app, pilot)
        rows = table_rows(app.screen.query_one("#table-members", DataTable))
        assert rows and all("*" in row[4] for row in rows if len(row[4]) >= 15)  # ID numbers stay masked
        assert not isinstance(app.screen, FieldsFormScreen)
    assert table_counts(engine) == before


async def test_an_archivist_account_has_the_keys(config, engine):
    app = ArchiveApp(config, engine, section="records", user=User("王档案", "archivist"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert {"add_item", "box"} <= footer_keys(app)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, FieldsFormScreen)
