"""库房 in the app: boxing a village (the held copies only, after saying what will happen), a
refusal with its reason and nothing changed, moving a box, printing labels, the palette's 装盒,
and a reader who sees none of the keys that change the archive."""

import datetime as dt

from textual.widgets import DataTable, Input, Static

from archive_tui.bootstrap import context_for
from archive_tui.services.admin.accounts import User
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.households.search import build_missing
from archive_tui.services.registers import copies
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.confirm import ConfirmScreen
from archive_tui.tui.screens.copy_action import CopyActionScreen
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from archive_tui.tui.screens.storage import StorageScreen, code_range
from tests.conftest import table_counts
from tests.tui.test_app import settle, table_rows, text_of
from tests.tui.test_roles import footer_keys
from tests.tui.test_scans_screen import wait_for

LEVELS = ("village", "township", "county")


def custody(engine) -> dict:
    """Every copy's box, place and status, by level: the custody part of the database."""
    return {level: [(c["archive_code"], c["box"], c["location"], c["status"]) for c in copies.list_copies(
        engine, level=level)] for level in LEVELS}


async def type_into(pilot, text: str) -> None:
    for character in text:
        await pilot.press(character)


async def open_storage(app, pilot) -> None:
    await settle(app, pilot)
    assert isinstance(app.screen, StorageScreen)
    await wait_for(pilot, lambda: app.screen.places)


async def fill_boxing_form(app, pilot, capacity: str) -> None:
    """b, the village chosen with F4 (the first in the list), the size typed, Enter."""
    await pilot.press("b")
    await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
    await pilot.press("f4")
    await wait_for(pilot, lambda: not isinstance(app.screen, FieldsFormScreen))
    await pilot.press("enter")  # the picker's first village
    await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
    await pilot.press("tab")
    await type_into(pilot, capacity)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_boxing_a_village_from_the_app_boxes_the_held_copies_only(config, engine):
    fill_demo(context_for(engine, config), households=12, seed=2)
    village = list_households(engine, limit=1)[0]["village"]
    files = len([h for h in list_households(engine) if h["village"] == village])
    app = ArchiveApp(config, engine, section="storage")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_storage(app, pilot)
        assert {"box", "move", "copy('lend')", "copy('return')", "labels", "shelf_list"} <= footer_keys(app)
        await fill_boxing_form(app, pilot, "5")
        assert isinstance(app.screen, ConfirmScreen)  # what will happen, before anything does
        said = text_of(app.screen.query_one("#confirm-what", Static))
        boxes = (files + 4) // 5
        assert f"乡镇级 {files} 卷，每盒 5 卷，装成 {boxes} 盒" in said and f"新装盒 {files} 卷" in said
        assert "\n  盒号 乡" in said and "-001 … 乡" in said  # the boxes' numbers on a line of their own
        assert "村级" not in said and "县级" not in said
        assert all(c["box"] == "" for c in copies.list_copies(engine))  # nothing yet
        await pilot.press("y")
        await wait_for(pilot, lambda: len(app.screen.places) == boxes)
        await settle(app, pilot)
        places = table_rows(app.screen.query_one("#places", DataTable))
        assert [row[3] for row in places] == [str(min(5, files - 5 * i)) for i in range(boxes)]
        assert {row[1] for row in places} == {"乡镇级"} and places[0][4].startswith("Z001-NJ") and "～" in places[0][4]
    township = copies.list_copies(engine, level="township", village=village)
    assert len({c["box"] for c in township}) == boxes and {c["status"] for c in township} == {"filed"}
    for level in ("village", "county"):  # a township does not hold these: untouched
        assert {(c["box"], c["status"]) for c in copies.list_copies(engine, level=level)} == {("", "assembling")}


async def test_a_refused_boxing_says_why_and_changes_nothing(config, engine):
    fill_demo(context_for(engine, config), households=8, seed=2)
    first = list_households(engine, limit=1)[0]
    copies.lend(context_for(engine, config), first["cbfbm"], "township", "县农业局 王科长",
                dt.date.today() + dt.timedelta(days=30))
    build_missing(engine)  # the search index (derived, built by any session) is there already
    before, rows = custody(engine), table_counts(engine)
    app = ArchiveApp(config, engine, section="storage")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_storage(app, pilot)
        await fill_boxing_form(app, pilot, "3")
        assert isinstance(app.screen, FieldsFormScreen)  # no confirmation: it would be refused
        shown = text_of(app.screen.query_one("#form-error", Static))
        assert first["archive_code"] in shown and "已借出" in shown and "王科长" in shown and "不能装盒" in shown
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, StorageScreen)
        await pilot.press("b")  # both sizes empty: said beside the field, in the app's words
        await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
        await pilot.press("enter")
        await settle(app, pilot)
        assert "填一项" in text_of(app.screen.query_one("#error-capacity", Static))
    assert custody(engine) == before and table_counts(engine) == rows


async def test_moving_a_box_and_printing_its_label_from_the_app(config, engine):
    fill_demo(context_for(engine, config), households=12, seed=2)
    village = list_households(engine, limit=1)[0]["village"]
    boxes = copies.box_files(context_for(engine, config), village=village, capacity=5).boxes
    app = ArchiveApp(config, engine, section="storage")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_storage(app, pilot)
        places = app.screen.query_one("#places", DataTable)
        places.move_cursor(row=[row[2] for row in table_rows(places)].index(boxes[1]))
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, CopyActionScreen))
        assert f"盒 {boxes[1]}（5 份）" in text_of(app.screen.query("Static").first())
        app.screen.query_one("#field-to", Input).value = "乡政府/档案室/2/1"
        app.screen.query_one("#field-reason", Input).value = "上架"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StorageScreen))
        await settle(app, pilot)
        places = app.screen.query_one("#places", DataTable)
        assert table_rows(places)[places.cursor_row][:3] == ["乡政府/档案室/2/1", "乡镇级", boxes[1]]  # followed it
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
        app.screen.query_one("#field-village", Input).value = village
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, StorageScreen)
    moved = copies.list_copies(engine, box=boxes[1])
    assert len(moved) == 5 and {c["location"] for c in moved} == {"乡政府/档案室/2/1"}
    assert copies.history(engine, moved[0]["archive_code"], "township")[-1]["reason"] == "上架"
    assert (config.exports / f"盒脊-{village}-乡镇级.pdf").is_file()


async def test_the_palette_offers_boxing(config, engine):
    fill_demo(context_for(engine, config), households=4, seed=2)
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_into(pilot, "装盒")
        await pilot.pause(0.3)  # the palette searches after a short debounce
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
        assert "装盒" in text_of(app.screen.query("Static").first())


async def test_a_reader_sees_no_custody_key_that_changes_the_archive(config, engine):
    fill_demo(context_for(engine, config), households=4, seed=2)
    before = custody(engine)
    app = ArchiveApp(config, engine, section="storage", user=User("李查阅", "reader"))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_storage(app, pilot)
        assert {"box", "move", "copy('lend')", "copy('return')"} & footer_keys(app) == set()
        assert {"labels", "shelf_list"} <= footer_keys(app)
        await pilot.press("b", "g", "l", "r")
        await settle(app, pilot)
        assert isinstance(app.screen, StorageScreen)
        said = [notice.message for notice in app._notifications]
        assert "查阅账户不能装盒（李查阅）；需要时请找管理员" in said and any("不能借出" in s for s in said)
    assert custody(engine) == before


def test_a_range_of_archive_codes_is_written_short():
    assert code_range("Z001-NJ·2018-Y-00001", "Z001-NJ·2018-Y-00016") == "Z001-NJ·2018-Y-00001～00016"
    assert code_range("Z001-NJ·2018-Y-00091", "Z001-NJ·2018-Y-00102") == "Z001-NJ·2018-Y-00091～00102"
    assert code_range("Z001-NJ·2018-Y-00001", "Z001-NJ·2018-Y-00001") == "Z001-NJ·2018-Y-00001"
    assert code_range("A-1", "B-2") == "A-1～B-2"
