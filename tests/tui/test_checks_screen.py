"""The 质检 section: counts by rule and village, the list behind a rule, opening the household,
waiving with a reason, export, a new run from the app."""

import re

from openpyxl import load_workbook
from textual.widgets import DataTable, Input, Static

from archive_tui.bootstrap import context_for
from archive_tui.services.quality import checks
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.checks import rule_short
from archive_tui.tui.screens.household_file import HouseholdFileScreen
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from tests.tui.test_app import table_rows, text_of
from tests.tui.test_scans_screen import settle, wait_for


def row_keys(table: DataTable) -> list[str]:
    """The findings' ids, as the list's rows are keyed (the list shows them abbreviated)."""
    return [row.key.value for row in table.ordered_rows]


def checked(engine, config):
    fill_demo(context_for(engine, config), households=40, seed=3)
    checks.run_checks(context_for(engine, config))


async def test_rules_and_villages_with_counts_then_the_list_behind_a_rule(config, engine):
    checked(engine, config)
    counts = checks.finding_counts(engine)
    app = ArchiveApp(config, engine, section="checks")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        rules = table_rows(app.screen.query_one("#table-rules", DataTable))
        titles = {checks.rule_label(rule)[1]: rule for rule in counts}  # rules by their titles, not their ids
        assert {row[0]: int(row[2].replace(",", "")) for row in rules} == {
            title: counts[rule]["open"] for title, rule in titles.items()}
        top_title = rules[0][0]
        top = titles[top_title]
        await pilot.press("enter")
        await settle(app, pilot)
        listed = table_rows(app.screen.query_one("#table-findings", DataTable))
        assert listed and {row[2] for row in listed} == {rule_short(top)} and len(listed) == counts[top]["open"]
        assert top_title in text_of(app.screen.query_one("#check-summary", Static))
        assert top_title in text_of(app.screen.query_one("#finding-detail", Static))  # in full below the list
        [first] = checks.list_findings(engine, ids=[int(row_keys(app.screen.query_one("#table-findings"))[0])])
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HouseholdFileScreen)
        assert first["cbfbm"] in text_of(app.screen.query_one("#summary", Static))


async def test_waive_from_the_list_needs_a_reason(config, engine):
    checked(engine, config)
    app = ArchiveApp(config, engine, section="checks")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        first = row_keys(app.screen.query_one("#table-findings", DataTable))[0]
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, FieldsFormScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert "理由" in text_of(app.screen.query_one("#error-reason", Static))
        app.screen.query_one("#field-reason", Input).value = "经核实属实，另案处理"
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, FieldsFormScreen)
    [waived] = checks.list_findings(engine, statuses=("waived",))
    assert str(waived["id"]) == first and waived["waived_reason"] == "经核实属实，另案处理"


async def test_run_and_export_from_the_app(config, engine):
    fill_demo(context_for(engine, config), households=20, seed=3)
    app = ArchiveApp(config, engine, section="checks")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        def rules():
            return {row[0] for row in table_rows(app.screen.query_one("#table-rules", DataTable))}

        unsigned = checks.rule_label("unsigned")[1]
        assert unsigned not in rules()  # only what the import found so far
        await pilot.press("c")
        await wait_for(pilot, lambda: unsigned in rules())
        await settle(app, pilot)
        [ran] = [n.message for n in app._notifications if n.message.startswith("质检完成")]
        header = text_of(app.screen.query_one("#check-summary", Static))
        said = re.search(r"现有待处理 (\d+) 条", ran).group(1)
        assert f"待处理 {int(said):,} 条" in header  # the message and the header count alike
        await pilot.press("x")
        await pilot.pause()
    book = load_workbook(config.exports / "质检问题清单.xlsx")
    assert len(list(book["问题清单"].iter_rows())) - 2 == len(checks.list_findings(engine))
