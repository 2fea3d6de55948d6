"""Whole at 80×24: what a section shows keeps its meaning in 80 columns (headings shortened,
village and group abbreviated), and the full words come back from 100 columns on."""

from __future__ import annotations

import html
import re

import pytest

from archive_tui.bootstrap import context_for
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.quality.checks import run_checks
from archive_tui.tui.app import ArchiveApp
from tests.tui.test_app import settle


@pytest.fixture
def township(config, engine):
    fill_demo(context_for(engine, config), households=8, seed=3)
    run_checks(context_for(engine, config))


def screen_text(app) -> str:
    svg = app.export_screenshot()
    return html.unescape(" ".join(re.findall(r">([^<>]*)</text>", svg))).replace("\xa0", " ")


@pytest.mark.parametrize(("section", "size", "shown", "not_shown"), [
    ("dashboard", (80, 24), ["合格%", "旧证收回", "已移交"], ["质检合格%"]),
    ("dashboard", (120, 40), ["质检合格%", "已移交份数"], []),
    ("households", (80, 24), ["村一组"], ["第一…"]),  # the detail line below says 第一村民小组 in full
    ("certificates", (80, 24), ["领取人", "旧证", "新证"], ["2010年版旧证"]),
    ("certificates", (120, 40), ["2010年版旧证", "领取人"], []),
])
async def test_a_section_keeps_its_columns_at_its_width(config, engine, township, section, size, shown, not_shown):
    app = ArchiveApp(config, engine, section=section)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.pause()
        text = screen_text(app).replace(" ", "")
        assert all(word.replace(" ", "") in text for word in shown), [w for w in shown if w not in text]
        assert not any(word in text for word in not_shown)


async def test_the_dashboard_changes_its_headings_when_the_window_narrows(config, engine, township):
    app = ArchiveApp(config, engine, section="dashboard")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "质检合格%" in screen_text(app)
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        await pilot.pause()
        text = screen_text(app)
        assert "合格%" in text and "质检合格%" not in text


async def test_a_set_aside_files_reason_reads_in_full_below_the_list(config, engine, township):
    import os
    import time

    from archive_tui.services.intake.scans import ingest_once

    config.inbox.mkdir(exist_ok=True)
    broken = config.inbox / "Z001-NJ·2018-Y-00003-1.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"garbage" * 20)
    os.utime(broken, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("right", "right", "right")  # 已隔离
        await settle(app, pilot)
        line = str(app.screen.query_one("#scan-reason").render())
        assert line == "scans/_quarantine/Z001-NJ·2018-Y-00003-1.jpg：不是可识别的图像或 PDF 文件"


async def test_a_title_takes_the_room_a_wide_window_gives_it(config, engine, township):
    import datetime as dt

    from archive_tui.services.registers.record_items import NewItem, add_item

    title = "城厢镇农村土地承包经营权确权登记颁证工作实施方案"
    add_item(context_for(engine, config), NewItem("01", title, dt.date(2024, 4, 1), pages=3))
    app = ArchiveApp(config, engine, section="records")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.pause()
        assert title in screen_text(app).replace(" ", "")  # whole (it was cut to 城厢镇农村土地承包经)
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        await pilot.pause()
        text = screen_text(app).replace(" ", "")
        assert "城厢镇农村土地承包经" in text and title not in text and "盒号" in text  # the other columns stay


async def test_the_pass_share_waits_for_the_first_check(config, engine):
    """Before any 质检 the 总览 says 未检, not 100.0 (the walk found 100.0 right after an import)."""
    fill_demo(context_for(engine, config), households=4, seed=3)
    app = ArchiveApp(config, engine, section="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "未检" in screen_text(app) and "100.0" not in screen_text(app)
    run_checks(context_for(engine, config))
    app = ArchiveApp(config, engine, section="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "未检" not in screen_text(app)


async def test_the_monthly_report_keeps_its_last_column_at_80(config, engine, township):
    app = ArchiveApp(config, engine, section="records")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("left")  # 月报, the last page
        await settle(app, pilot)
        text = screen_text(app).replace(" ", "")
        assert "已移交" in text and "+8（" not in text  # the month's flow stands in the line above, not the cell
