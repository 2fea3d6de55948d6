"""Snapshots of the 移交 dialogs at 80×24 and 120×40: the files a village refused, with their
reasons, and the confirmation before sending."""

from pathlib import Path

import pytest

from tests.tui.test_scans_screen import wait_for
from tests.tui.test_snapshots import settled

APP = str(Path(__file__).parent / "transfer_snapshot_app.py")


async def refused_files(pilot) -> None:
    """The third batch, its village added: eight files refused (four in the other batches)."""
    from archive_tui.tui.screens.fields_form import FieldsFormScreen
    from archive_tui.tui.screens.refused_files import RefusedFilesScreen

    app = pilot.app
    await settled(pilot)
    await pilot.press("down", "down", "a")
    await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
    await pilot.press("0", "0", "1", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RefusedFilesScreen)
                   and app.screen.query_one("#refused-files").row_count == 8)
    await pilot.press("down", "space")  # the second marked, the third highlighted
    await settled(pilot)


async def send_confirmation(pilot) -> None:
    """The second batch (four files, one let through with a reason, never checked) about to go."""
    from archive_tui.tui.screens.confirm import ConfirmScreen

    app = pilot.app
    await settled(pilot)
    await pilot.press("down", "s")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await settled(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_refused_files(snap_compare, size):
    assert snap_compare(APP, terminal_size=size, run_before=refused_files)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_send_confirmation(snap_compare, size):
    assert snap_compare(APP, terminal_size=size, run_before=send_confirmation)
