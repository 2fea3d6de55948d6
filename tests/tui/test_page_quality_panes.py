"""The 扫描 section's 问题页 and 抽检 panes: pages with problems shown beside their picture (a
duplicate beside its twin), waived or marked for rescan; sampled pages judged 合格/不合格."""

from __future__ import annotations

import os
import time

from textual.widgets import DataTable, Input

from archive_tui.bootstrap import context_for
from archive_tui.services.quality.checks import list_findings
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.page_sample import draw_sample, sample_rows
from archive_tui.services.intake.scans import ingest_once, list_scans
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from archive_tui.tui.screens.page_quality import PageProblems
from archive_tui.tui.widgets.scan_preview import ScanPreview
from tests.fixtures.seeded_pages import blank_page, form_page, saved, scanned
from tests.tui.test_app import table_rows, text_of
from tests.tui.test_scans_screen import settle, wait_for


def filed_with_problems(engine, config) -> str:
    """A household file of four pages: good, blank, skewed 6°, and page 1 scanned again."""
    fill_demo(context_for(engine, config), households=4, seed=8)
    code = list_households(engine, limit=1)[0]["archive_code"]
    config.inbox.mkdir(exist_ok=True)
    original = form_page(21)
    pages = [scanned(original, 1, angle=0.2), scanned(blank_page(2), 2), scanned(form_page(22, "登记簿"), 3, angle=6.0),
             scanned(original, 4, angle=-0.4)]
    for number, page in enumerate(pages, start=1):
        path = saved(page, config.inbox / f"{code}-{number}.jpg")
        os.utime(path, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    return code


async def open_pane(app, pilot, pane: str) -> None:
    app.screen.query_one("#scan-tabs").active = f"tab-{pane}"
    await pilot.pause()
    app.screen.query_one("#problems" if pane == "problems" else "#sample", DataTable).focus()
    await settle(app, pilot)


async def test_problem_pages_are_listed_by_kind_with_the_twin_beside_a_duplicate(config, engine):
    filed_with_problems(engine, config)
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_pane(app, pilot, "problems")
        rows = table_rows(app.screen.query_one("#problems", DataTable))
        assert [(row[0], row[2]) for row in rows] == [("空白页", "2"), ("歪斜", "3"), ("重复页", "4")]
        assert "问题页 3" in text_of(app.screen.query_one("#scan-summary"))
        await pilot.press("down", "down")
        await settle(app, pilot)
        pane = app.screen.query_one(PageProblems)
        assert "与第 1 页" in text_of(pane.query_one("#problem-message"))
        await wait_for(pilot, lambda: pane.has_class("with-twin"))
        assert pane.query_one("#twin-preview", ScanPreview).strips  # the twin drawn beside it
        assert pane.query_one("#problem-preview", ScanPreview).strips


async def test_a_blank_back_side_is_waived_and_a_skewed_page_marked_for_rescan(config, engine):
    filed_with_problems(engine, config)
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_pane(app, pilot, "problems")
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, FieldsFormScreen)
        await pilot.press("enter")  # no reason: refused, nothing changed
        await pilot.pause()
        assert isinstance(app.screen, FieldsFormScreen) and "理由" in text_of(app.screen.query_one("#error-reason"))
        await pilot.press(*"有意留白的背面", "enter")
        await settle(app, pilot)
        rows = table_rows(app.screen.query_one("#problems", DataTable))
        assert [row[0] for row in rows] == ["歪斜", "重复页"]
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.query_one("#field-reason", Input).value == "歪斜"  # the kind, to be edited
        await pilot.press("enter")
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#problems", DataTable))[0][3] == "待重扫"
    [waived] = list_findings(engine, rules=["page_blank"])
    assert waived["status"] == "waived" and waived["waived_reason"] == "有意留白的背面"
    assert [page["seq"] for page in list_scans(engine, "linked") if page["path"]] == [1, 2, 3, 4]


async def test_sampled_pages_are_judged_from_the_app_and_a_new_sample_is_drawn(config, engine):
    filed_with_problems(engine, config)
    draw_sample(context_for(engine, config), share=50, seed=3)
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_pane(app, pilot, "sample")
        assert len(table_rows(app.screen.query_one("#sample", DataTable))) == 2
        await pilot.press("o")
        await settle(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press(*"签名看不清", "enter")
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#sample", DataTable)) == []
        await pilot.press("n")  # 50 % sampled already: the default 5 % draws nothing
        await settle(app, pilot)
    verdicts = sorted((row["verdict"], row["problem"]) for row in sample_rows(engine))
    assert verdicts == [("ok", ""), ("problem", "签名看不清")]
    assert [f["message"].endswith("签名看不清") for f in list_findings(engine, rules=["page_review"])] == [True]
