"""The 待挂接 list with what the pages say: o reads them in the background (o again stops), the
suggestion and its evidence stand beside the page (the ID number masked), y files it there."""

from __future__ import annotations

import os
import time

from sqlalchemy import select, text
from textual.widgets import DataTable

from archive_tui.bootstrap import context_for
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.intake.scans import ingest_once, list_scans
from archive_tui.tui.app import ArchiveApp
from models import AuditEvent
from tests.fixtures.seeded_pages import saved
from tests.services.test_page_suggest import form
from tests.tui.test_app import table_rows, text_of
from tests.tui.test_scans_screen import settle, wait_for


def waiting_page(engine, config) -> tuple[str, str, str]:
    """A 承包方调查表 naming a member by ID number, waiting to be linked; (cbfbm, head, ID number)."""
    fill_demo(context_for(engine, config), households=4, seed=12)
    with engine.connect() as connection:
        code, head, number = connection.execute(text(
            "SELECT h.code, h.name, m.id_number FROM household h JOIN member m ON m.household_id = h.id"
            " WHERE m.id_number != '' ORDER BY h.code, m.position DESC LIMIT 1")).one()
    config.inbox.mkdir(exist_ok=True)
    path = saved(form("承包方调查表", [f"身份证号码：{number}"]), config.inbox / "IMG_0100.jpg")
    os.utime(path, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    return code, head, number


async def test_pages_are_read_in_the_background_and_filed_where_they_point(config, engine):
    code, head, number = waiting_page(engine, config)
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert "未识别" in text_of(app.screen.query_one("#suggestion"))
        summary, shown_lines = app.screen.query_one("#scan-summary"), []
        update = summary.update
        summary.update = lambda content="", **options: (shown_lines.append(str(content)), update(content, **options))
        await pilot.press("o")
        table = app.screen.query_one("#table-unassigned", DataTable)
        await wait_for(pilot, lambda: table_rows(table) and table_rows(table)[0][1].startswith(head), 60)
        # progress from the first moment (the reading model takes a while to load), then page by page
        assert "识别中 0/1 页：正在载入识别模型（首次约需一分钟；再按 o 停止）" in shown_lines
        assert "识别中 1/1 页（再按 o 停止）" in shown_lines
        await settle(app, pilot)
        shown = text_of(app.screen.query_one("#suggestion"))
        assert head in shown and "承包方调查表" in shown and number[-4:] in shown and number not in shown
        await pilot.press("y")
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#table-unassigned", DataTable)) == []
    [linked] = list_scans(engine, "linked")
    assert linked["doc_type"] == "03"
    with engine.connect() as connection:
        after = connection.execute(select(AuditEvent.__table__.c.after).where(
            AuditEvent.__table__.c.action == "suggest.accept")).scalar_one()
    assert '"automatic": false' in after and number not in after  # the evidence is kept masked
