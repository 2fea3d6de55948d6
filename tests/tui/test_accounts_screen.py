"""账户 for a 管理员: add an account, a new password, disable one, a backup now; other roles
have no u key. Everything goes through the accounts service, audited under the admin's name."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from archive_tui.bootstrap import context_for
from archive_tui.core.roles import Actor
from archive_tui.core.errors import ArchiveError
from archive_tui.services.admin import accounts
from archive_tui.services.admin.accounts import User, authenticate
from archive_tui.audit import log
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.accounts import AccountsScreen
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from tests.conftest import table_counts
from tests.tui.test_roles import footer_keys
from tests.tui.test_scans_screen import settle

ADMIN = User("赵管理", "admin")


@pytest.fixture
def with_admin(engine):
    accounts.add_user(context_for(engine, actor=Actor.local("安装")), "赵管理", "admin", "guanli-2026")
    accounts.add_user(context_for(engine, actor=Actor.local("安装")), "王档案", "archivist", "dangan-2026")
    return engine


def admin_app(config, engine) -> ArchiveApp:
    config.operator = ADMIN.name
    return ArchiveApp(config, engine, section="storage", user=ADMIN)


async def fill(app, pilot, values: dict[str, str]) -> None:
    for key, value in values.items():
        app.screen.query_one(f"#field-{key}", Input).value = value
    await pilot.press("enter")  # Enter in a field saves the form
    await settle(app, pilot)


@pytest.mark.parametrize("role, has_key", [("admin", True), ("archivist", False), ("reader", False), (None, False)])
async def test_only_an_admin_has_the_accounts_key(config, engine, role, has_key):
    user = User("某人", role) if role else None
    app = ArchiveApp(config, engine, section="storage", user=user)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert ("accounts" in footer_keys(app)) is has_key
        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, AccountsScreen) is has_key


async def test_an_admin_adds_an_account_that_can_then_log_in(config, with_admin):
    app = admin_app(config, with_admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, AccountsScreen)
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, FieldsFormScreen) and form.query_one("#field-password", Input).password
        await fill(app, pilot, {"name": "李查阅", "role": "reader", "password": "chayue-2026", "again": "chayue-2026"})
        assert not isinstance(app.screen, FieldsFormScreen)
        assert "李查阅" in [row["name"] for row in app.screen.rows]
    assert authenticate(with_admin, "李查阅", "chayue-2026") == User("李查阅", "reader")
    added = [e for e in log(with_admin, entity_key="李查阅") if e["action"] == "users.add"]
    assert [e["operator"] for e in added] == ["赵管理"]


@pytest.mark.parametrize("values, field, message", [
    ({"name": "李查阅", "role": "reader", "password": "chayue-2026", "again": "chayue-2027"}, "again", "不一样"),
    ({"name": "李查阅", "role": "boss", "password": "chayue-2026", "again": "chayue-2026"}, None, "角色"),
    ({"name": "李查阅", "role": "reader", "password": "short", "again": "short"}, "password", "至少 8 位"),
    ({"name": "王档案", "role": "reader", "password": "chayue-2026", "again": "chayue-2026"}, "name", "已存在"),
    ({"name": "../x", "role": "reader", "password": "chayue-2026", "again": "chayue-2026"}, "name", "不合适"),
])
async def test_a_wrong_account_form_is_refused_beside_its_field_and_nothing_changes(config, with_admin, values,
                                                                                     field, message):
    before = table_counts(with_admin)
    app = admin_app(config, with_admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("u")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        await fill(app, pilot, values)
        assert isinstance(app.screen, FieldsFormScreen)
        shown = str(app.screen.query_one(f"#error-{field}" if field else "#form-error").render())
        if field is None:
            shown += str(app.screen.query_one("#error-role").render())
        assert message in shown
    assert table_counts(with_admin) == before


async def test_an_admin_sets_a_new_password_and_disables_an_account(config, with_admin):
    app = admin_app(config, with_admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("u")
        await settle(app, pilot)
        names = [row["name"] for row in app.screen.rows]
        for _ in range(names.index("王档案")):
            await pilot.press("down")
        await pilot.press("p")
        await settle(app, pilot)
        await fill(app, pilot, {"password": "xinmima-2026", "again": "xinmima-2026"})
        await pilot.press("d")
        await settle(app, pilot)
        await fill(app, pilot, {"reason": "调离"})
        row = next(row for row in app.screen.rows if row["name"] == "王档案")
        assert row["disabled"]
    with pytest.raises(ArchiveError, match="已停用"):
        authenticate(with_admin, "王档案", "xinmima-2026")
    actions = [e["action"] for e in log(with_admin, entity_key="王档案") if e["operator"] == "赵管理"]
    assert actions == ["users.passwd", "users.disable"]


async def test_an_admin_makes_a_backup_now(config, with_admin):
    app = admin_app(config, with_admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("u")
        await settle(app, pilot)
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("y")
        for _ in range(100):
            await pilot.pause(0.05)
            if list((config.root / "backups").glob("manual-*/manifest.json")):
                break
        await app.workers.wait_for_complete()
    (made,) = list((config.root / "backups").glob("manual-*"))
    assert (made / "archive.db").stat().st_size > 0
    assert [e["operator"] for e in log(with_admin) if e["action"] == "backup"] == ["赵管理"]
