"""Snapshots of the 库房 at work: a box opened (its copies below the places), and boxing a village
asked to be confirmed — at 80×24 nothing important is cut off (档号起止 in one column, the keys in
the footer), and at 120×40."""

import pytest

from tests.tui.test_snapshots import APP, settled


async def wait_for(pilot, condition, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition()


async def a_box_opened(pilot) -> None:
    from archive_tui.tui.screens.storage import StorageScreen

    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, StorageScreen) and pilot.app.screen.places)
    await pilot.press("enter")
    await wait_for(pilot, lambda: pilot.app.screen.inside)
    await settled(pilot)


async def boxing_asked(pilot) -> None:
    from archive_tui.tui.screens.confirm import ConfirmScreen
    from archive_tui.tui.screens.fields_form import FieldsFormScreen
    from archive_tui.tui.screens.storage import StorageScreen

    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, StorageScreen) and pilot.app.screen.places)
    await pilot.press("b")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FieldsFormScreen))
    await pilot.press("0", "0", "1", "tab", "8", "enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    await settled(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_storage_with_a_box_opened(snap_compare, size):
    assert snap_compare(APP, terminal_size=size, run_before=a_box_opened)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_boxing_a_village_asks_first(snap_compare, size):
    assert snap_compare(APP, terminal_size=size, run_before=boxing_asked)
