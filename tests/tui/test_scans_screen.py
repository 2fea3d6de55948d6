"""The 扫描 section: waiting scans with a preview, linking by hand, intake from the app."""

import os
import time

from PIL import Image
from textual.widgets import DataTable, Input, Select, Static

from archive_tui.bootstrap import context_for
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import ingest_once, list_scans
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.assign_scan import AssignScanScreen
from archive_tui.tui.screens.scans import ScansScreen, gather_lists
from archive_tui.tui.widgets.scan_preview import ScanPreview
from tests.tui.test_app import settle, table_rows, text_of


def drop(config, name, colour="red", at=None):
    path = config.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (400, 560), "white")
    image.paste(colour, (0, 0, 400, 200))  # the top of the page is coloured: the preview must show it
    image.save(path, dpi=(300, 300))
    stamp = at or time.time() - 60
    os.utime(path, (stamp, stamp))
    return path


def waiting_archive(engine, config):
    fill_demo(context_for(engine, config), households=12, seed=4)
    drop(config, "扫描 0001.jpg")
    drop(config, "扫描 0002.jpg", colour="blue")
    (config.inbox / "坏.tif").write_bytes(b"II*\x00broken")
    os.utime(config.inbox / "坏.tif", (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    return list_households(engine, limit=2)


async def wait_for(pilot, condition, seconds=10.0):
    """Pause until ``condition()`` holds (a worker's result reaches the screen), or fail."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition()




async def test_waiting_scans_are_listed_with_a_preview(config, engine):
    waiting_archive(engine, config)
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        summary = text_of(app.screen.query_one("#scan-summary", Static))
        assert "待挂接 2" in summary and "已隔离 1" in summary
        rows = table_rows(app.screen.query_one("#table-unassigned", DataTable))
        assert [row[0] for row in rows] == ["扫描 0001.jpg", "扫描 0002.jpg"]
        await settle(app, pilot)
        preview = app.screen.query_one("#preview", ScanPreview)
        top = preview.strips[0].text
        assert top and set(top) == {"▀"}
        assert "rgb(2" in str(preview.strips[0]._segments[0].style.color)  # red at the top of the first page
        await pilot.press("down")
        await settle(app, pilot)
        assert "rgb(0, 0, 2" in str(preview.strips[0]._segments[0].style.color)  # the blue one
        app.screen.query_one("#scan-tabs").active = "tab-quarantined"
        await pilot.pause()
        assert "坏.tif" in table_rows(app.screen.query_one("#table-quarantined", DataTable))[0][0]


async def test_a_scan_is_linked_by_hand_from_the_app(config, engine):
    households = waiting_archive(engine, config)
    target = households[1]
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AssignScanScreen)
        await pilot.press(*target["cbfbm"])
        await pilot.pause()
        assert target["name"] in text_of(app.screen.query_one("#matches", Static))
        app.screen.query_one("#doc", Select).value = "04"
        app.screen.query_one("#seq", Input).value = "3"
        await pilot.click("#save")
        await settle(app, pilot)
        assert not isinstance(app.screen, AssignScanScreen)
        assert len(table_rows(app.screen.query_one("#table-unassigned", DataTable))) == 1
    [linked] = list_scans(engine, "linked")
    assert (linked["archive_code"], linked["doc_type"], linked["seq"]) == (target["archive_code"], "04", 3)


async def test_the_form_refuses_without_a_household_and_changes_nothing(config, engine):
    waiting_archive(engine, config)
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.press(*"没有此人")
        await pilot.pause()
        assert "没有找到" in text_of(app.screen.query_one("#matches", Static))
        await pilot.click("#save")
        await settle(app, pilot)
        assert isinstance(app.screen, AssignScanScreen)
        assert "请先选定一户" in text_of(app.screen.query_one("#error", Static))
    assert len(list_scans(engine, "unassigned")) == 2 and not list_scans(engine, "linked")


async def test_intake_from_the_app_and_while_it_runs(config, engine):
    households = waiting_archive(engine, config)
    drop(config, f"{households[0]['archive_code']}-1.jpg", colour="green")
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("i")
        await wait_for(pilot, lambda: "已挂接 1" in text_of(app.screen.query_one("#scan-summary", Static)))
    drop(config, f"{households[1]['archive_code']}-1.jpg", colour="yellow")
    watching = ArchiveApp(config, engine, section="scans", intake=True)
    async with watching.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(list_scans(engine, "linked")) == 2)  # the watcher's first pass
        assert watching.watching
        # its news reaches the screen (posted by the watcher, never awaited)
        await wait_for(pilot, lambda: "已挂接 2" in text_of(watching.screen.query_one("#scan-summary", Static)))
    assert watching.stop_watching.is_set() and watching.intake_stopped.wait(10)  # stopped with the app
    assert not watching.watching


async def test_the_watcher_says_once_what_it_left_in_the_inbox(config, engine):
    """A file that is not a scan stays in the inbox and is named once, not on every pass."""
    households = waiting_archive(engine, config)
    config.inbox.mkdir(exist_ok=True)
    (config.inbox / "说明.txt").write_text("扫描批次说明", encoding="utf-8")
    drop(config, f"{households[0]['archive_code']}-1.jpg", colour="green")
    app = ArchiveApp(config, engine, section="scans", intake=True)
    said, notify = [], app.notify  # every notice, however soon it leaves the screen

    def noting(message, **options):
        said.append(message)
        return notify(message, **options)

    app.notify = noting

    def told() -> list[str]:
        return [message for message in said if "不是扫描件" in message]

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: told())
        assert told() == ["收件箱：挂接 1，待挂接 0，重复 0，隔离 0\n收件箱中有 1 个不是扫描件的文件，未处理：说明.txt"]
        drop(config, f"{households[1]['archive_code']}-1.jpg", colour="yellow")
        await wait_for(pilot, lambda: len(list_scans(engine, "linked")) == 2)
        await wait_for(pilot, lambda: sum("挂接 1" in message for message in said) == 2)
        assert len(told()) == 1  # the second pass took a page and did not repeat the list
    assert (config.inbox / "说明.txt").read_text(encoding="utf-8") == "扫描批次说明"


async def test_the_file_view_marks_documents_whose_scans_differ_from_the_catalogue(config, engine):
    from archive_tui.services.households.households import show_household
    from archive_tui.tui.screens.household_file import HouseholdFileScreen

    fill_demo(context_for(engine, config), households=3, seed=4)
    household = list_households(engine, limit=1)[0]
    documents = show_household(context_for(engine, config), household["cbfbm"])["documents"]
    counted = next(d for d in documents if d["pages"] > 1)
    drop(config, f"{household['cbfbm']}_{counted['doc_type']}_1.jpg")
    ingest_once(context_for(engine, config))
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_household(household["cbfbm"])
        await pilot.pause()
        assert isinstance(app.screen, HouseholdFileScreen)
        rows = {row[0]: row for row in table_rows(app.screen.query_one("#table-documents", DataTable))}
        assert rows[counted["title"]][5] == f"1 ≠ {counted['pages']}"


class ListsBeforeMount(ScansScreen):
    """The intake's refresh arriving between compose and the screen's mount handler, as it
    did when `3` was pressed while the app's watcher was reading the inbox."""

    def on_mount(self) -> None:
        self.show_lists(*gather_lists(self.app.engine))
        super().on_mount()


async def test_lists_that_arrive_before_the_screen_has_mounted_are_shown(config, engine):
    waiting_archive(engine, config)
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(ListsBeforeMount())
        await settle(app, pilot)
        rows = table_rows(app.screen.query_one("#table-unassigned", DataTable))
        assert [row[0] for row in rows] == ["扫描 0001.jpg", "扫描 0002.jpg"]
        assert "待挂接 2" in text_of(app.screen.query_one("#scan-summary", Static))


async def test_a_file_name_that_looks_like_markup_is_listed_and_linked_as_written(config, engine):
    """Scanner software names files after what the operator typed: ``[red]`` and ``[@click=…]`` are text, not markup."""
    fill_demo(context_for(engine, config), households=3, seed=4)
    drop(config, "[@click=app.quit]户主[red] 0001.jpg")
    ingest_once(context_for(engine, config))
    app = ArchiveApp(config, engine, section="scans")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        rows = table_rows(app.screen.query_one("#table-unassigned", DataTable))
        assert any("[@click=app.quit]户主[red] 0001.jpg" in cell for row in rows for cell in row)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AssignScanScreen)
        assert "[@click=app.quit]户主[red] 0001.jpg" in text_of(app.screen.query_one("#assign Static", Static))
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running


async def test_a_delivery_taken_in_while_the_app_runs_is_measured_by_worker_processes(config, engine):
    """From PARALLEL_INTAKE_FROM files on, the pages are measured in spawned workers, started from
    the app's watcher thread (where Textual's stand-in for stderr has no file descriptor)."""
    from sqlalchemy import func, select

    from archive_tui.services.intake.page_quality import PARALLEL_INTAKE_FROM
    from models import ScanPage

    fill_demo(context_for(engine, config), households=6, seed=4)
    codes = [row["archive_code"] for row in list_households(engine)]
    for number in range(PARALLEL_INTAKE_FROM + 2):
        drop(config, f"{codes[number % len(codes)]}-{number // len(codes) + 1}.jpg", colour=(number * 9, 40, 90))
    watching = ArchiveApp(config, engine, section="scans", intake=True)
    async with watching.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(list_scans(engine, "linked")) == PARALLEL_INTAKE_FROM + 2, seconds=300)
        assert watching.watching  # the watcher did not stop
    scan = ScanPage.__table__
    with engine.connect() as connection:
        measured = connection.execute(select(func.count()).where(
            scan.c.measured_at.is_not(None), scan.c.measure_note == "", scan.c.phash != "")).scalar_one()
    assert measured == PARALLEL_INTAKE_FROM + 2
