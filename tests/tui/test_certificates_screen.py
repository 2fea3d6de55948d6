"""The 证书 section: figures, the register with filters, actions as forms, destruction batches."""

import datetime as dt

from sqlalchemy import select
from textual.widgets import DataTable, Input, Static

from archive_tui.bootstrap import context_for
from archive_tui.services.registers import certificates as certs
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from models import Household
from tests.tui.test_app import table_rows, text_of
from tests.tui.test_scans_screen import settle


def demo(engine, config):
    fill_demo(context_for(engine, config), households=12, seed=6)
    with engine.begin() as connection:  # no head-only rule in the way of these tests
        connection.execute(Household.__table__.update().values(has_basic_farmland=False))


def serial_row(app, key, serial):
    table = app.screen.query_one(f"#table-{key}", DataTable)
    return [row[0] for row in table_rows(table)].index(serial)


async def press_on(app, pilot, serial, key):
    """Open the 证书 section, put the register's cursor on ``serial`` and press ``key``."""
    await settle(app, pilot)
    app.screen.query_one("#table-register", DataTable).move_cursor(row=serial_row(app, "register", serial))
    await pilot.press(key)
    await pilot.pause()


async def test_figures_and_lists_match_the_report(config, engine):
    demo(engine, config)
    [report] = certs.issue_report(engine)
    app = ArchiveApp(config, engine, section="certificates")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        summary = text_of(app.screen.query_one("#cert-summary", Static))
        assert f"{report['issue_rate']:.1f}%" in summary and f"新证未发 {report['new_not_issued']}" in summary
        waiting = table_rows(app.screen.query_one("#table-new_not_issued", DataTable))
        assert len(waiting) == report["new_not_issued"] and all(row[2] == "已打印" for row in waiting)
        report_rows = table_rows(app.screen.query_one("#table-report", DataTable))
        assert report_rows[-1][0] == "合计" and report_rows[-1][2] == "12"


async def test_issue_from_the_register_with_a_form(config, engine):
    demo(engine, config)
    [printed] = certs.list_certificates(engine, outstanding="new_not_issued", limit=1)
    with engine.connect() as connection:
        head = connection.execute(select(Household.__table__).where(
            Household.__table__.c.code == printed["cbfbm"])).one()
    app = ArchiveApp(config, engine, section="certificates")
    async with app.run_test(size=(120, 40)) as pilot:
        await press_on(app, pilot, printed["serial"], "f")
        assert isinstance(app.screen, FieldsFormScreen)
        assert app.screen.query_one("#field-collector", Input).value == head.name  # the head, most often
        assert app.screen.query_one("#field-date", Input).value == dt.date.today().isoformat()
        app.screen.query_one("#field-collector_id", Input).value = "110105194912310021"  # wrong check digit
        await pilot.click("#save")
        await settle(app, pilot)
        assert isinstance(app.screen, FieldsFormScreen)
        beside = app.screen.query_one("#error-collector_id", Static)
        assert "校验位" in text_of(beside) and beside.display  # next to the ID field it is about
        assert printed["serial"] not in {c["serial"] for c in certs.list_certificates(engine, status="issued")}
        app.screen.query_one("#field-collector_id", Input).value = head.id_number
        await pilot.pause()
        assert not beside.display  # corrected: the old error goes
        app.screen.query_one("#field-date", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, FieldsFormScreen)
        row = table_rows(app.screen.query_one("#table-register", DataTable))[serial_row(app, "register",
                                                                                       printed["serial"])]
        assert row[2] == "已发放" and row[6] == head.name


async def test_a_refused_action_says_why_without_a_form(config, engine):
    demo(engine, config)
    [issued] = certs.list_certificates(engine, status="issued", limit=1)
    app = ArchiveApp(config, engine, section="certificates")
    async with app.run_test(size=(120, 40)) as pilot:
        await press_on(app, pilot, issued["serial"], "f")
        assert not isinstance(app.screen, FieldsFormScreen)
        assert any("不能重复发放" in str(n.message) for n in app._notifications)


async def test_filters_narrow_the_register(config, engine):
    demo(engine, config)
    [one] = certs.list_certificates(engine, limit=1)
    app = ArchiveApp(config, engine, section="certificates")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        search = app.screen.query_one("#register-search", Input)
        search.value = one["cbfbm"]
        search.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        rows = table_rows(app.screen.query_one("#table-register", DataTable))
        assert rows and all(row[3] == one["name"] for row in rows)
        app.screen.query_one("#register-status").value = "printed"
        await settle(app, pilot)
        assert all(row[2] == "已打印" for row in table_rows(app.screen.query_one("#table-register", DataTable)))


async def test_a_destruction_batch_from_the_app(config, engine):
    demo(engine, config)
    old = certs.list_certificates(engine, outstanding="old_not_recalled", limit=2)
    for row in old:  # recalled before the destruction date the form gives
        certs.recall(context_for(engine, config), row["serial"], by="户主", on=dt.date(2026, 11, 10))
    app = ArchiveApp(config, engine, section="certificates")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, FieldsFormScreen)
        for key, value in (("approval", "城政发〔2026〕9号"), ("approver", "李四"), ("supervisors", "赵六，钱七"),
                           ("method", "粉碎"), ("place", "乡政府"), ("date", "2026-11-20")):
            app.screen.query_one(f"#field-{key}", Input).value = value
        await pilot.click("#save")
        await settle(app, pilot)
        app.screen.query_one("#cert-tabs").active = "tab-recalled_not_destroyed"
        await pilot.pause()
        for _ in old:
            await pilot.press("d")
            await settle(app, pilot)
        app.screen.query_one("#cert-tabs").active = "tab-batches"
        await pilot.pause()
        await pilot.press("k")
        await settle(app, pilot)
        assert "2 个证书记为“已销毁”" in text_of(app.screen.query_one("#confirm-what"))
        await pilot.press("n")  # changed one's mind: nothing happens
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#table-batches", DataTable))[0][1] != "已关闭"
        await pilot.press("k")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        [batch] = table_rows(app.screen.query_one("#table-batches", DataTable))
        assert batch[:3] == ["XH2026-001", "已关闭", "2"]
        assert "已销毁" in text_of(app.screen.query_one("#cert-detail"))  # the line below is read again
        await pilot.press("p")
        await settle(app, pilot)
    assert {c["serial"] for c in certs.list_certificates(engine, status="destroyed")} == {r["serial"] for r in old}
    assert (config.exports / "销毁清册-XH2026-001.pdf").is_file()


async def test_the_recall_form_offers_the_head_today_and_the_conditions(config, engine):
    demo(engine, config)
    [old] = certs.list_certificates(engine, outstanding="old_not_recalled", limit=1)
    app = ArchiveApp(config, engine, section="certificates")
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on(app, pilot, old["serial"], "r")
        assert isinstance(app.screen, FieldsFormScreen)
        assert app.screen.query_one("#field-by", Input).value == old["name"]
        assert app.screen.query_one("#field-condition", Input).value == "完好"
        assert app.screen.query_one("#field-date", Input).value == dt.date.today().isoformat()
        app.screen.query_one("#field-condition", Input).focus()
        await pilot.press("f4")
        await settle(app, pilot)
        await pilot.press("down", "enter")  # 破损
        await settle(app, pilot)
        assert app.screen.query_one("#field-condition", Input).value == "破损"
        await pilot.click("#save")
        await settle(app, pilot)
        assert not isinstance(app.screen, FieldsFormScreen)
    [event] = [e for e in certs.certificate_history(engine, old["serial"])[1] if e["kind"] == "recall"]
    assert event["person_name"] == old["name"]
