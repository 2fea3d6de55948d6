"""TUI benchmark: the household list at 1,000 and 100,000 households, ours vs. a plain DataTable.

    python bench/tui_bench.py [--sizes 1000 100000] [--keys 30]

Databases come from ``demo`` (built once and kept in the system temp folder). Each
measurement runs headless (``App.run_test``) in its own process (ours: best of two) and prints:
first paint of the household list, median key-to-render latency of cursor-down and
page-down, the latency of a two-character filter, and peak memory. The same keys pressed
in an empty app in the same run give the pilot's own cost, which is subtracted ("net").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--only", choices=["ours", "plain", "empty"], help=argparse.SUPPRESS)
    parser.add_argument("--households", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--skip-plain", action="store_true", help="leave out the plain DataTable")
    args = parser.parse_args()
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
