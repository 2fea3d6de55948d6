"""Working through the findings in the 质检 section: mark rows and waive them with one reason, waive
all of a rule with a confirmation saying how many, the list at 80 columns with the selected finding
in full below it, waived rows marked, a village's own finding (what its source lacked)."""

from textual.widgets import DataTable, Input, Static

from archive_tui.bootstrap import context_for
from archive_tui.core.roles import Actor
from archive_tui.services.admin.accounts import User, add_user
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.quality import checks
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from tests.fixtures.real_sources import write_access_text_export
from tests.tui.test_app import table_rows, text_of
from tests.tui.test_checks_screen import checked, row_keys
from tests.tui.test_roles import footer_keys
from tests.tui.test_scans_screen import settle, wait_for


def findings_table(app) -> DataTable:
    return app.screen.query_one("#table-findings", DataTable)


def detail(app) -> str:
    return text_of(app.screen.query_one("#finding-detail", Static))


async def give_reason(app, pilot, reason: str) -> None:
    assert isinstance(app.screen, FieldsFormScreen)
    app.screen.query_one("#field-reason", Input).value = reason
    await pilot.press("enter")
    await settle(app, pilot)
    assert not isinstance(app.screen, FieldsFormScreen)


async def test_mark_two_rows_and_waive_them_with_one_reason(config, engine):
    checked(engine, config)
    app = ArchiveApp(config, engine, section="checks")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # the rule with the most open findings
        await settle(app, pilot)
        keys = row_keys(findings_table(app))
        assert len(keys) > 3
        await pilot.press("space", "down", "space")  # the first and the third row
        await pilot.pause()
        rows = table_rows(findings_table(app))
        assert [row[0] for row in rows[:3]] == ["✓", "", "✓"]
        assert "已标记 2 条" in detail(app)
        await pilot.press("w")
        await pilot.pause()
        assert "所标记的 2 条" in text_of(app.screen.query_one("#fields-form Static"))
        await give_reason(app, pilot, "村里统一补办，另案处理")
        waived = checks.list_findings(engine, statuses=("waived",))
        assert sorted(str(f["id"]) for f in waived) == sorted([keys[0], keys[2]])
        assert {f["waived_reason"] for f in waived} == {"村里统一补办，另案处理"}
        rows = {key: row for key, row in zip(row_keys(findings_table(app)), table_rows(findings_table(app)))}
        assert rows[keys[0]][:2] == ["", "已豁免"] and rows[keys[1]][1] == "待处理"
        style = findings_table(app).get_row(keys[0])[1].style
        assert "dim" in str(style)  # a waived row looks other than an open one
        findings_table(app).move_cursor(row=row_keys(findings_table(app)).index(keys[0]))
        await pilot.pause()
        assert "已豁免：村里统一补办，另案处理" in detail(app)
        await pilot.press("s")  # only the open ones
        await settle(app, pilot)
        assert keys[0] not in row_keys(findings_table(app)) and keys[1] in row_keys(findings_table(app))
        assert "只看待处理" in text_of(app.screen.query_one("#check-summary", Static))


async def test_waive_all_of_a_rule_says_how_many_first(config, engine):
    checked(engine, config)
    app = ArchiveApp(config, engine, section="checks")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("W")  # no rule chosen: nothing but a word on what to do
        await pilot.pause()
        assert not isinstance(app.screen, FieldsFormScreen)
        assert any("先在“按规则”中选一条规则" in n.message for n in app._notifications)
        rule = app.screen.query_one("#table-rules", DataTable).coordinate_to_cell_key((0, 0)).row_key.value
        count = checks.open_by_rule(engine, rules=[rule])[rule]
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("W")
        await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
        assert f"共 {count} 条" in text_of(app.screen.query_one("#fields-form Static"))
        assert f"豁免 {count} 条" in str(app.screen.query_one("#save").label)
        await give_reason(app, pilot, "旧证由村委会统一收回")
    assert checks.open_by_rule(engine, rules=[rule]) == {}
    waived = checks.list_findings(engine, rules=[rule], statuses=("waived",))
    assert len(waived) == count and {f["waived_reason"] for f in waived} == {"旧证由村委会统一收回"}


async def test_at_80_columns_the_list_fits_and_the_pane_says_the_finding_in_full(config, engine, tmp_path):
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "县导出"))
    checks.run_checks(context_for(engine, config))
    app = ArchiveApp(config, engine, section="checks")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("right", "right")  # the list of all findings
        await settle(app, pilot)
        table = findings_table(app)
        assert table.virtual_size.width <= table.size.width  # nothing off to the right
        pane = app.screen.query_one("#finding-detail", Static)
        assert pane.region.bottom <= 23 and pane.region.height >= 4
        village_findings = [f for f in checks.list_findings(engine, rules=["parcel_source_missing"])]
        target = village_findings[0]
        table.move_cursor(row=row_keys(table).index(str(target["id"])))
        await pilot.pause()
        row = table_rows(table)[table.cursor_row]
        assert row[2] == "待补地块信息" and row[3] == f"{target['village']}（全村）"
        assert target["message"] in detail(app) and "待补充" in detail(app)
        assert "全村" in detail(app)
        await pilot.press("enter")  # no household to open: it says so
        await pilot.pause()
        assert any("全村的问题" in n.message for n in app._notifications)


async def test_a_reader_can_neither_mark_nor_waive(config, engine):
    checked(engine, config)
    add_user(context_for(engine, actor=Actor.local("安装")), "李查阅", "reader", "很长的密码123")
    app = ArchiveApp(config, engine, section="checks", user=User("李查阅", "reader"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "waive" not in {action.partition("(")[0] for action in footer_keys(app)}
        await pilot.press("m", "space", "w", "W")
        await settle(app, pilot)
        assert not isinstance(app.screen, FieldsFormScreen)
        assert table_rows(findings_table(app))[0][0] == ""
        assert any(n.message.startswith("查阅账户不能标记") for n in app._notifications)
    assert checks.list_findings(engine, statuses=("waived",)) == []
