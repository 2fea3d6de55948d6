"""TUI benchmark: the household list at 1,000 and 100,000 households, ours vs. a plain DataTable;
and opening the app as a user does.

    python bench/tui_bench.py [--sizes 1000 100000] [--keys 30]
    python bench/tui_bench.py --opening [HOUSEHOLDS] [--runs 3]

Databases come from ``demo`` (built once and kept in the system temp folder). Each
measurement runs headless (``App.run_test``) in its own process (ours: best of two) and prints:
first paint of the household list, median key-to-render latency of cursor-down and
page-down, the latency of a two-character filter, and peak memory. The same keys pressed
in an empty app in the same run give the pilot's own cost, which is subtracted ("net").

``--opening`` starts the real command (``archive-tui --config …``) in an 80×24 tmux terminal
on a copy of the demo archive and times, as a whole process: the command until the 总览 is
drawn and until it shows its figures, ``q`` until the process has ended, and its peak memory
(VmHWM); each as the min and median of ``--runs``. A later open of the day; the first open of
the day, ``q`` pressed once its backup is under way; an open that builds the search entries
of every household (as after an import), ``q`` pressed while it does; then one first open of
the day that also builds the search entries, waited for until both are done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable, Input, Static  # noqa: E402

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402

SIZE = (120, 40)


def archive(households: int) -> Path:
    """A demo archive of ``households`` households with its search index, built once."""
    from archive_tui.services.exchange.demo import fill_demo
    from archive_tui.services.households.search import build_missing

    folder = Path(tempfile.gettempdir()) / f"archive-tui-bench-{households}"
    ready = folder / "ready"
    if not ready.exists():
        folder.mkdir(exist_ok=True)
        for leftover in folder.glob("archive.db*"):
            leftover.unlink()
        write_default_config(folder / "config.toml")
        config = load_config(folder / "config.toml")
        engine = open_database(config.database_url)
        fill_demo(context_for(engine, config), households=households, seed=1)
        build_missing(engine)
        ready.write_text("ok")
    return folder


class EmptyApp(App):
    def compose(self) -> ComposeResult:
        yield Input(id="search")
        yield Static("empty")


class PlainTableApp(App):
    """Every household loaded into a Textual DataTable, filtered by rebuilding it."""

    def __init__(self, rows: list[dict]):
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield Input(id="search")
        yield DataTable(id="table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("档号", "承包方编码", "户主", "村组", "人数", "地块", "状态")
        self.fill(self.rows)
        table.focus()

    def fill(self, rows: list[dict]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows([(r["archive_code"], r["cbfbm"], r["name"], r["village"] + r["group"], r["members"],
                         r["parcels"], r["status"]) for r in rows])

    def on_input_changed(self, event: Input.Changed) -> None:
        text = event.value
        self.fill([r for r in self.rows if text in r["name"] or text in r["cbfbm"]] if text else self.rows)


async def run_keys(pilot, keys: list[str]) -> list[float]:
    latencies = []
    for key in keys:
        started = time.perf_counter()
        await pilot.press(key)
        await pilot.pause()
        latencies.append(time.perf_counter() - started)
    return latencies


async def measure(kind: str, households: int, presses: int) -> dict:
    started = time.perf_counter()
    if kind == "empty":
        app = EmptyApp()
    else:
        folder = archive(households)
        config = load_config(folder / "config.toml")
        engine = open_database(config.database_url)
        if kind == "ours":
            from archive_tui.tui.app import ArchiveApp

            app = ArchiveApp(config, engine, section="households")
        else:
            from archive_tui.services.households.households import list_households

            app = PlainTableApp(list_households(engine))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first_paint = time.perf_counter() - started
        down = await run_keys(pilot, ["down"] * presses)
        page = await run_keys(pilot, ["pagedown"] * presses)
        app.screen.query_one("#search", Input).focus()
        await pilot.pause()
        started_filter = time.perf_counter()
        await pilot.press("z", "s")
        await pilot.pause()
        filter_seconds = time.perf_counter() - started_filter
    return {"first_paint": first_paint, "down": statistics.median(down), "page": statistics.median(page),
            "filter": filter_seconds, "rss_mb": peak_memory_mb()}


def peak_memory_mb() -> float:
    """This process's own peak RSS (VmHWM): ru_maxrss on Linux carries the parent's peak over exec."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, households: int, presses: int, runs: int = 2) -> dict:
    """The best of ``runs`` fresh processes (the first one also pays for a cold disk cache)."""
    results = []
    for _ in range(runs):
        output = subprocess.run([sys.executable, __file__, "--only", kind, "--households", str(households),
                                 "--keys", str(presses)], check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    return {key: min(r[key] for r in results) for key in results[0]}


FIGURES_SHOWN = (re.compile(r"成员 [\d,]+ 人"), re.compile(r"村\s+[\d,]+\s+[\d,]+"))  # totals, a village's row
TMUX = "archive-tui-bench-opening"
ARCHIVE_TUI = Path(sys.executable).with_name("archive-tui")  # the command as installed beside this Python


def opening_archive(households: int) -> Path:
    """A copy of the demo archive to open (opening writes), its schema brought up to date
    untimed (an upgrade is not the daily open)."""
    from archive_tui.bootstrap import open_engine

    copy = Path(tempfile.gettempdir()) / f"archive-tui-opening-{households}"
    if copy.exists():
        shutil.rmtree(copy)
    copy.mkdir()
    source = archive(households)
    for name in ("archive.db", "config.toml"):
        shutil.copyfile(source / name, copy / name)
    open_engine(load_config(copy / "config.toml")).dispose()
    return copy


def screen_text() -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", TMUX], capture_output=True, text=True).stdout


def process_state(pid: int) -> tuple[bool, float]:
    """(still running, its peak memory in MB so far)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False, 0.0
    running = not re.search(r"State:\s+Z", status)
    peak = re.search(r"VmHWM:\s+(\d+)", status)
    return running, int(peak.group(1)) / 1024 if peak else 0.0


def open_and_quit(folder: Path, until=None, limit: float = 120) -> dict:
    """One open of the app in a terminal: command → figures, (``until()`` holds,) q → ended, peak MB."""
    subprocess.run(["tmux", "kill-session", "-t", TMUX], capture_output=True)
    command = f"exec {ARCHIVE_TUI} --config '{folder / 'config.toml'}'"
    passed = ["-e", f"PYTHONPATH={os.environ['PYTHONPATH']}"] if "PYTHONPATH" in os.environ else []  # an older tree
    started = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-x", "80", "-y", "24", "-s", TMUX, *passed, command], check=True)
    pid = int(subprocess.run(["tmux", "list-panes", "-t", TMUX, "-F", "#{pane_pid}"], capture_output=True,
                             text=True, check=True).stdout.split()[0])
    peak, painted = 0.0, None
    while not all(pattern.search(text := screen_text()) for pattern in FIGURES_SHOWN):
        if painted is None and "帮助" in text:  # the footer: the 总览 is drawn, its figures not yet
            painted = time.perf_counter() - started
        running, peak = process_state(pid)
        if not running or time.perf_counter() - started > limit:
            raise SystemExit(f"the 总览 did not show its figures:\n{screen_text()}")
        time.sleep(0.01)
    shown = time.perf_counter() - started
    while until is not None and not until():
        peak = max(peak, process_state(pid)[1])
        time.sleep(0.05)
    waited = time.perf_counter() - started
    asked = time.perf_counter()
    subprocess.run(["tmux", "send-keys", "-t", TMUX, "q"], check=True)
    running = True
    while running:
        running, now = process_state(pid)
        peak = max(peak, now)
        time.sleep(0.005)
    ended = time.perf_counter() - asked
    subprocess.run(["tmux", "kill-session", "-t", TMUX], capture_output=True)
    return {"drawn": painted or shown, "figures": shown, "quit": ended, "rss_mb": peak, "waited": waited}


def finished_backups(folder: Path) -> list[Path]:
    return [p for p in (folder / "backups").glob("auto-*") if not p.name.endswith(".part")]


def backing_up(folder: Path) -> bool:
    """The daily backup is under way (or already done, as an older version may have it)."""
    return any((folder / "backups").glob("auto-*"))


def search_entries(folder: Path) -> int:
    import sqlite3

    with sqlite3.connect(folder / "archive.db", timeout=30) as connection:
        return connection.execute("SELECT count(*) FROM household_search").fetchone()[0]


def drop_search_entries(folder: Path) -> None:
    """As after an import: every household without its search entry (the app builds them)."""
    import sqlite3

    with sqlite3.connect(folder / "archive.db", timeout=30) as connection:
        connection.execute("DELETE FROM household_search")


_OVERVIEW_COPIES: dict[Path, Path] = {}


def overview_on_screen(folder: Path) -> float:
    """Seconds from the command to the 总览's figures on screen, a later open of the day, on a copy
    of the archive in ``folder`` (made once, its backup of the day waited for the first time)."""
    import atexit

    from archive_tui.bootstrap import open_engine

    copy = _OVERVIEW_COPIES.get(folder)
    if copy is None:
        copy = Path(tempfile.mkdtemp(prefix="archive-tui-overview-"))
        atexit.register(shutil.rmtree, copy, True)
        for name in ("archive.db", "config.toml"):
            shutil.copyfile(folder / name, copy / name)
        open_engine(load_config(copy / "config.toml")).dispose()
        open_and_quit(copy, until=lambda: bool(finished_backups(copy)), limit=600)
        _OVERVIEW_COPIES[folder] = copy
    return open_and_quit(copy)["figures"]


def opening(households: int, runs: int) -> None:
    folder = opening_archive(households)
    size = (folder / "archive.db").stat().st_size / 1e6
    print(f"opening at {households:,} households ({size:.0f} MB database), {runs} runs, terminal 80×24, "
          f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}")

    def first_open() -> dict:
        shutil.rmtree(folder / "backups", ignore_errors=True)
        return open_and_quit(folder, until=lambda: backing_up(folder))

    def while_indexing() -> dict:
        drop_search_entries(folder)
        return open_and_quit(folder, until=lambda: search_entries(folder) > 0)

    def report(what: str, results: list[dict]) -> None:
        def figure(key: str, unit: str, decimals: int = 2) -> str:
            values = [r[key] for r in results]
            return f"{min(values):.{decimals}f}/{statistics.median(values):.{decimals}f} {unit}"

        print(f"{what:28} command→总览 drawn {figure('drawn', 's')}, its figures {figure('figures', 's')} · "
              f"q→ended {figure('quit', 's')} · peak {figure('rss_mb', 'MB', 0)}   (min/median)")

    open_and_quit(folder)  # the backup of the day made: the opens below are the day's later ones
    report("later open of the day", [open_and_quit(folder) for _ in range(runs)])
    report("first open, q in the backup", [first_open() for _ in range(runs)])
    left = sorted(p.name for p in (folder / "backups").iterdir())
    print(f"  left in backups/ by the last: {left or 'nothing'}")
    report("q in the search index build", [while_indexing() for _ in range(runs)])
    shutil.rmtree(folder / "backups", ignore_errors=True)
    drop_search_entries(folder)
    whole = open_and_quit(folder, until=lambda: finished_backups(folder) and search_entries(folder) == households)
    [made] = finished_backups(folder)
    packed = sum(p.stat().st_size for p in made.iterdir()) / 1e6
    print(f"first open, its work to the end (backup {packed:.0f} MB, {households:,} search entries): figures "
          f"{whole['figures']:.2f} s, all done {whole['waited']:.1f} s, quit {whole['quit']:.2f} s, "
          f"peak {whole['rss_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--only", choices=["ours", "plain", "empty"], help=argparse.SUPPRESS)
    parser.add_argument("--households", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--skip-plain", action="store_true", help="leave out the plain DataTable")
    parser.add_argument("--opening", type=int, nargs="?", const=100_000, metavar="HOUSEHOLDS",
                        help="open the app as a user does, in tmux (default 100000 households)")
    parser.add_argument("--runs", type=int, default=3, help="with --opening: runs of each kind")
    args = parser.parse_args()
    if args.opening:
        opening(args.opening, args.runs)
        return
    if args.only:
        print(json.dumps(asyncio.run(measure(args.only, args.households, args.keys))))
        return
    print(f"machine: {platform.machine()}, python {platform.python_version()}, terminal {SIZE[0]}×{SIZE[1]}")
    subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                    f"from tui_bench import archive; [archive(n) for n in {args.sizes!r}]"], check=True)
    empty = child("empty", 0, args.keys, runs=3)
    ms = 1000
    print(f"pilot cost (empty app): key {empty['down'] * ms:.1f} ms, two-key filter {empty['filter'] * ms:.1f} ms")
    results = {}
    for households in args.sizes:
        for kind in ("ours",) if args.skip_plain else ("ours", "plain"):
            r = child(kind, households, args.keys, runs=1 if kind == "plain" else 2)
            results[(kind, households)] = r
            print(f"{kind:5} {households:>7,}: first paint {r['first_paint']:.2f} s · down {r['down'] * ms:.1f} ms "
                  f"(net {(r['down'] - empty['down']) * ms:.1f}) · page-down {r['page'] * ms:.1f} ms "
                  f"(net {(r['page'] - empty['page']) * ms:.1f}) · filter {r['filter'] * ms:.0f} ms "
                  f"(net {(r['filter'] - empty['filter']) * ms:.0f}) · peak {r['rss_mb']:.0f} MB")
    big, small = max(args.sizes), min(args.sizes)
    ours_big, ours_small = results[("ours", big)], results[("ours", small)]
    print(f"first paint {big:,} / {small:,}: {ours_big['first_paint'] / ours_small['first_paint']:.2f}× (goal ≤ 1.5×)")
    if ("plain", big) in results:
        print(f"first paint plain/ours at {big:,}: "
              f"{results[('plain', big)]['first_paint'] / ours_big['first_paint']:.1f}× (goal ≥ 20×)")


if __name__ == "__main__":
    main()
