"""County-scale benchmark: a large county (300,000 households) beside 100,000, as users run it.

    python bench/county_bench.py [--sizes 100000 300000] [--repeat 3]

Each archive is made by ``demo`` once (bench/tui_bench.py ``archive()``, kept in the system temp
folder; 300,000 households take several minutes and about 1.3 GB). Then, for each size, each of
these is timed as the whole ``archive-tui`` process a user runs, ``--repeat`` times (min and
median), on a copy of the archive for what writes:

* list: ``households --limit 50`` (the first page of the list);
* search: ``households --search 王 --limit 50``;
* open a file: ``show <a 档号>``;
* check: ``check`` (first run, then again with nothing changed);
* certs report: ``certs report --json``;
* 月报: ``report monthly --out 月报.xlsx``;
* 总览: the app opened until the overview's figures are on screen (bench/tui_bench.py).

Prints a table of seconds per size and the growth from the smallest size to the largest
(300k/100k: 3.0 is linear; goals: 总览 ≤ 1.5 s at 300k, check ≤ 5 s at 100k).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tui_bench import archive  # noqa: E402

CLI = [sys.executable, "-m", "archive_tui"]


def timed(config: Path, *arguments: str, ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([*CLI, "--config", str(config), *arguments], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(arguments)} failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return seconds, done.stdout


def a_file_code(config: Path) -> str:
    _seconds, out = timed(config, "households", "--limit", "1", "--json")
    return json.loads(out)[0]["archive_code"]


def overview_seconds(folder: Path) -> float:
    """The 总览 on screen, the app as a process (bench/tui_bench.py's measurement)."""
    from bench import tui_bench

    measure = getattr(tui_bench, "overview_on_screen", None)
    if measure is None:
        return float("nan")
    return measure(folder)


def figures(folder: Path, repeat: int) -> dict[str, list[float]]:
    config = folder / "config.toml"
    code = a_file_code(config)
    results: dict[str, list[float]] = {}

    def run(name: str, *arguments: str, ok: tuple[int, ...] = (0,)) -> None:
        results.setdefault(name, []).append(timed(config, *arguments, ok=ok)[0])

    with tempfile.TemporaryDirectory(prefix="county-bench-") as tmp:
        for _ in range(repeat):
            run("list", "households", "--limit", "50")
            run("search", "households", "--search", "王", "--limit", "50")
            run("open a file", "show", code)
            run("certs report", "certs", "report", "--json")
            run("月报", "report", "monthly", "--out", str(Path(tmp) / "月报.xlsx"))
            results.setdefault("总览", []).append(overview_seconds(folder))
        for round_number in range(repeat):  # check writes its findings: on a copy each time
            copy = Path(tmp) / f"copy{round_number}"
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("backups", "exports"))
            results.setdefault("check (first)", []).append(timed(copy / "config.toml", "check", ok=(0, 1))[0])
            results.setdefault("check (unchanged)", []).append(timed(copy / "config.toml", "check", ok=(0, 1))[0])
            shutil.rmtree(copy)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    table = {}
    for size in options.sizes:
        started = time.perf_counter()
        folder = archive(size)
        print(f"{size:,} households: archive ready in {time.perf_counter() - started:.0f} s "
              f"({(folder / 'archive.db').stat().st_size / 1e6:,.0f} MB)")
        table[size] = figures(folder, options.repeat)
    names = list(table[options.sizes[0]])
    print(f"{'seconds (min / median)':24}" + "".join(f"{size:>18,}" for size in options.sizes)
          + (f"{'growth':>10}" if len(options.sizes) > 1 else ""))
    for name in names:
        cells = "".join(f"{min(table[s][name]):>9.2f} /{statistics.median(table[s][name]):>6.2f}"
                        for s in options.sizes)
        first, last = (statistics.median(table[size][name]) for size in (options.sizes[0], options.sizes[-1]))
        growth = f"{last / first:>10.2f}" if len(options.sizes) > 1 else ""
        print(f"{name:24}{cells}{growth}")


if __name__ == "__main__":
    main()
