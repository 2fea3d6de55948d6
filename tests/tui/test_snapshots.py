"""Snapshots of the key screens at 80×24 and 120×40 with Chinese demo data."""

from pathlib import Path

import pytest

APP = str(Path(__file__).parent / "snapshot_app.py")


async def settled(pilot) -> None:
    """Let the workers (dashboard figures, search index, a list's detail pane that a finished
    list starts) finish before the picture: until a pause starts no new one."""
    from textual.worker import WorkerCancelled, WorkerState

    for _ in range(10):
        try:  # a newer preview cancels an older one: not a failure
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if not any(worker.state in (WorkerState.PENDING, WorkerState.RUNNING) for worker in pilot.app.workers):
            break
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_dashboard(snap_compare, size):
    assert snap_compare(APP, terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_household_list(snap_compare, size):
    assert snap_compare(APP, press=["2"], terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_household_file(snap_compare, size):
    assert snap_compare(APP, press=["2", "down", "down", "enter"], terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_scans_section(snap_compare, size):
    assert snap_compare(APP, press=["3"], terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_certificates_section(snap_compare, size):
    assert snap_compare(APP, press=["4"], terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_checks_section(snap_compare, size):
    assert snap_compare(APP, press=["6"], terminal_size=size, run_before=settled)


def test_checks_findings_list(snap_compare):
    """The list behind the rule with the most findings at 80×24: the rule and the 承包方 abbreviated,
    the second row's finding in full in the pane below."""
    assert snap_compare(APP, press=["6", "enter", "down"], terminal_size=(80, 24), run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_storage_section(snap_compare, size):
    assert snap_compare(APP, press=["7"], terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_transfers_section(snap_compare, size):
    assert snap_compare(APP, press=["5"], terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_records_section(snap_compare, size):
    assert snap_compare(APP, press=["8"], terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_help(snap_compare, size):
    assert snap_compare(APP, press=["question_mark"], terminal_size=size, run_before=settled)
