"""Snapshots of the dialogs at 80×24 and 120×40 with Chinese demo data: each whole on the screen,
its first field framed and focused (forms whose dates default to today are left out: they would
change every day; their pilot tests check them)."""

import pytest

from tests.tui.test_snapshots import APP, settled

DIALOGS = {
    "records_new_item": ["8", "a"],  # 登记一件综合档案
    "item_type_picker": ["8", "a", "f4"],  # F4: the list to pick from
    "import_source": ["i"],
    "command_palette": ["ctrl+p"],
    "assign_scan": ["3", "a"],
    "edit_household": ["2", "enter", "e"],
    "move_copy": ["2", "enter", "right", "right", "right", "g"],  # 三份 page: move this copy
    "waive_findings": ["6", "enter", "w"],
}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("dialog", list(DIALOGS))
def test_dialog(snap_compare, dialog, size):
    assert snap_compare(APP, press=DIALOGS[dialog], terminal_size=size, run_before=settled)
