"""Every screen a user reaches is in Chinese: no program words (``copies.move``, ``None``,
``holder``, ``palette``, ``Search for commands``) — only codes, numbers and key names."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from archive_tui.bootstrap import context_for
from archive_tui.services.registers import copies

from archive_tui.services.transfers import transfers
from archive_tui.services.quality.checks import run_checks
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.registers.record_items import NewItem, add_item
from archive_tui.services.households.search import build_missing
from archive_tui.tui.app import ArchiveApp
from tests.tui.test_scans_screen import settle

# Words that may stand in Chinese text: key names, file formats, the app's name, units.
ALLOWED = {"Enter", "Esc", "esc", "Tab", "PgUp", "PgDn", "Ctrl", "Home", "End", "XLSX", "PDF", "CSV", "JPEG", "TIFF",
           "PNG", "dpi", "archive", "tui", "F5", "YYYY", "MM", "DD", "SHA",
           "jpg", "tif", "png", "pdf",  # the extension of a page's file name
           "zs", "xyzqw"}  # the search box's example (张三 → zs); what the test types into the palette
PATH = re.compile(r"[\w.-]*/[\w./-]*")  # folders and files (scans/, store/…) are the archive's own names
WORD = re.compile(r"[A-Za-z][A-Za-z_.]+")
DIGEST = re.compile(r"\b[0-9a-fA-F]{16,}")  # SHA-256 / SM3 digests, whole or cut by their cell
CODE = re.compile(r"\b(?:[A-Z]{1,3}\d[\w·-]*|\d[\w·-]*|[A-Z]{1,2})\b")  # 档号, batch numbers, 全宗号 …


def words_on(app) -> set[str]:
    """The words of the screen as drawn (the SVG screenshot's text), codes taken out."""
    svg = app.export_screenshot()
    text = html.unescape(" ".join(re.findall(r">([^<>]*)</text>", svg))).replace("\xa0", " ")
    text = CODE.sub(" ", PATH.sub(" ", DIGEST.sub(" ", text)))
    return {word for word in WORD.findall(text) if word not in ALLOWED and not word.isupper()}


@pytest.fixture
def archive(config, engine):
    fill_demo(context_for(engine, config), households=12, seed=3)
    run_checks(context_for(engine, config))
    build_missing(engine)
    households = list_households(engine)
    key = households[0]["cbfbm"]
    copies.move(context_for(engine, config), [key], "乡政府/档案室", level="township")
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    transfers.add(context_for(engine, config), number, [key], override="测试")
    add_item(context_for(engine, config), NewItem("05", "宣传动员会照片", dt.date(2024, 4, 1), pages=3))
    return households


SCREENS = [("1",), ("2",), ("3",), ("4",), ("5",), ("6",), ("7",), ("8",), ("question_mark",), ("escape", "ctrl+p"),
           ("x", "y", "z", "q", "w"), ("escape",)]
TABS = ["members", "parcels", "documents", "copies", "certificates", "disputes", "uses", "findings", "history"]


async def test_no_program_words_on_any_section_the_help_or_the_palette(config, engine, archive):
    """One session walks them all (each key sequence from where the last one left off)."""
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for keys in SCREENS:
            await pilot.press(*keys)
            await settle(app, pilot)
            await pilot.pause(0.6)  # the palette's "no matches" line comes after half a second
            assert words_on(app) == set(), keys


async def test_no_program_words_on_any_tab_of_a_file(config, engine, archive):
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.open_household(archive[0]["cbfbm"])
        await pilot.pause()
        for tab in TABS:
            app.screen.query_one("#tabs").active = f"tab-{tab}"
            await settle(app, pilot)
            assert words_on(app) == set(), tab


async def test_no_program_words_on_the_problem_pages_and_the_sample(config, engine):
    from archive_tui.services.intake.page_sample import draw_sample
    from tests.tui.test_page_quality_panes import filed_with_problems, open_pane

    filed_with_problems(engine, config)
    draw_sample(context_for(engine, config), share=50, seed=1)
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(80, 24)) as pilot:
        for pane in ("problems", "sample"):
            await open_pane(app, pilot, pane)
            assert words_on(app) == set(), pane
        await pilot.press("x")  # the verdict form
        await pilot.pause()
        assert words_on(app) == set()


async def test_no_program_words_on_the_records_tabs(config, engine, archive):
    app = ArchiveApp(config, engine, section="records")
    async with app.run_test(size=(80, 24)) as pilot:
        for tab in ("items", "uses", "shares", "monthly"):
            app.screen.query_one("#record-tabs").active = f"tab-{tab}"
            await settle(app, pilot)
            assert words_on(app) == set(), tab
