"""Snapshots of the dialogs at 80×24 and 120×40 with Chinese demo data: each whole on the screen,
its first field framed and focused (forms and pages that show today's date or time are left out: they would
change every day; their pilot tests check them)."""

import pytest
from textual.widgets import Input

from tests.tui.test_snapshots import APP, settled

DIALOGS = {
    "records_new_item": ["8", "a"],  # 登记一件综合档案
    "item_type_picker": ["8", "a", "f4"],  # F4: the list to pick from
    "import_source": ["i"],
    "command_palette": ["ctrl+p"],
    "assign_scan": ["3", "a"],
    "edit_household": ["2", "enter", "e"],
    "waive_findings": ["6", "enter", "w"],
}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("dialog", list(DIALOGS))
def test_dialog(snap_compare, dialog, size):
    async def opened(pilot) -> None:
        """Settled before the keys (the figures, the search index) and after them (what the dialog
        reads), so the picture never catches a notice or a list half drawn."""
        await settled(pilot)
        for key in DIALOGS[dialog]:
            await pilot.press(key)
            await settled(pilot)
        pilot.app.clear_notifications()
        for field in pilot.app.screen.query(Input):  # a blinking cursor is shown or not by the clock
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(APP, terminal_size=size, run_before=opened)
