"""One way to run an action (tui.actions): whatever a worker raises, the app goes on and says
what happened in Chinese — a user error as it is, a locked database as such, anything else
with a crash log written beside config.toml.

Every wait here is for a condition (bounded generously), never a fixed sleep."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from textual.widgets import Button, Input, Static

from archive_tui.core.errors import ArchiveError
from archive_tui.tui.actions import TEXT
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.checks import ChecksScreen
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from archive_tui.tui.screens.storage import StorageScreen
from archive_tui.tui.screens.transfers import TransfersScreen
from tests.tui.test_app import text_of
from tests.tui.test_scans_screen import settle, wait_for

WAIT = 60.0  # seconds at most: the suite runs beside two busy processes


def notices(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def locked() -> OperationalError:
    return OperationalError("UPDATE findings SET status=?", {}, Exception("database is locked"))


def crash_logs(config) -> list:
    return sorted((config.root / "logs").glob("错误-*.log"))


async def test_an_unexpected_failure_in_a_worker_is_a_notice_and_a_crash_log(config, engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("库房统计出错")

    monkeypatch.setattr("archive_tui.services.registers.copies.storage_summary", broken)
    app = ArchiveApp(config, engine, section="storage")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any("程序遇到意外问题" in text for text in notices(app)), WAIT)
        await settle(app, pilot)
        assert app.is_running and isinstance(app.screen, StorageScreen)
        said = [text for text in notices(app) if "程序遇到意外问题" in text]  # the list is read on mount and resume
        logs = crash_logs(config)
        assert said and len(logs) == len(said)  # one file each, none overwritten
        assert set(said) == {f"程序遇到意外问题，未能完成（详细信息已写入 {log}，请发给维护人员）" for log in logs}
        for log in logs:
            written = log.read_text(encoding="utf-8")
            assert "archive-tui 界面：库房" in written and "RuntimeError: 库房统计出错" in written
        await pilot.press("2")  # the app still answers its keys
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HouseholdsScreen"


async def test_a_user_error_in_a_worker_is_its_message(config, engine, monkeypatch):
    def refused(*args, **kwargs):
        raise ArchiveError("质检规则配置有误：规则 K9 不存在", details=["请检查 config.toml 的 [checks]"])

    monkeypatch.setattr("archive_tui.tui.screens.checks.run_checks", refused)
    app = ArchiveApp(config, engine, section="checks")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: any(text.startswith("质检规则配置有误") for text in notices(app)), WAIT)
        await settle(app, pilot)
        assert app.is_running and isinstance(app.screen, ChecksScreen)
        [notice] = [n for n in app._notifications if str(n.message).startswith("质检规则配置有误")]
        assert str(notice.message) == "质检规则配置有误：规则 K9 不存在\n请检查 config.toml 的 [checks]"
        assert notice.severity == "error"
        assert not (config.root / "logs").exists()  # a user error is no crash


async def test_a_locked_database_is_said_as_such(config, engine, monkeypatch):
    def busy(*args, **kwargs):
        raise locked()

    monkeypatch.setattr("archive_tui.tui.screens.checks.export_findings", busy)
    app = ArchiveApp(config, engine, section="checks")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: TEXT["locked"] in notices(app), WAIT)
        await settle(app, pilot)
        assert app.is_running and isinstance(app.screen, ChecksScreen)
        assert TEXT["locked"] == "数据库正被其他程序占用（已锁定），请稍后重试。数据库未作改动。"
        assert not (config.root / "logs").exists()


async def test_a_form_stays_open_when_its_save_fails_and_can_be_saved_again(config, engine, monkeypatch):
    """A locked database while saving a form: the notice, the form still there with what was typed
    and its save button back; a user error stands beside its field."""
    from archive_tui.services.transfers import transfers

    calls = []

    def new_batch(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise locked()
        raise ArchiveError("接收单位不在名单中", field="to")

    monkeypatch.setattr(transfers, "new_batch", new_batch)
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen), WAIT)
        form = app.screen
        form.query_one("#field-to", Input).value = "正定县档案馆"
        form.query_one("#field-to", Input).focus()
        await pilot.press("enter")  # Enter saves (a click may land on a notice over the button)
        await wait_for(pilot, lambda: TEXT["locked"] in notices(app), WAIT)
        await settle(app, pilot)
        assert app.screen is form and not form.query_one("#save", Button).disabled
        assert form.query_one("#field-to", Input).value == "正定县档案馆"
        form.query_one("#field-to", Input).focus()
        await pilot.press("enter")
        beside = form.query_one("#error-to", Static)
        await wait_for(pilot, lambda: beside.display, WAIT)
        assert text_of(beside) == "接收单位不在名单中" and app.screen is form
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, TransfersScreen), WAIT)
        assert app.is_running and len(calls) == 2
