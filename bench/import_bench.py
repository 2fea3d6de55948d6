"""Import benchmark: a county's NY/T 2539 export as it comes, ours vs. plain sqlite3.

    python bench/import_bench.py [--households 20000] [--repeat 3] [--skip-demo]

Writes the national tables as CSV (about 4 members and 5 parcels per household, with the parcel
layer's attribute table DK) and saves them in GB18030, as Chinese county systems export them.
Then, each in a fresh process, alternating, ``--repeat`` times (min and median):

* raw: a plain ``sqlite3`` ``executemany`` load of the same files (read as GB18030 with
  csv.reader, one TEXT table per file, the same WAL pragmas), the process timed whole;
* ours: the whole process ``archive-tui import <folder>`` into a fresh database (start-up,
  encoding detection, checks, findings, files and copies), as a user runs it;
* demo: ``archive-tui demo --households N`` on a fresh database (once).

Prints the rate ratio raw/ours (goal: at least 0.30) and each process's peak RSS (goal: at most 600 MB).
"""

from __future__ import annotations

import argparse
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.services.exchange.demo import fill_demo, write_demo_folder  # noqa: E402


def fresh_archive(folder: Path):
    folder.mkdir()
    write_default_config(folder / "config.toml")
    config = load_config(folder / "config.toml")
    return config, open_database(config.database_url)


RAW_LOAD = """
import csv, gc, resource, sqlite3, sys, time
from pathlib import Path
gc.disable()
folder, db_path = Path(sys.argv[1]), Path(sys.argv[2])
connection = sqlite3.connect(db_path)
connection.execute("PRAGMA journal_mode = WAL")
connection.execute("PRAGMA synchronous = NORMAL")
rows_loaded = 0
with connection:
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="gb18030", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            columns = ", ".join(f'"{c}" TEXT' for c in header)
            connection.execute(f'CREATE TABLE "{path.stem}" ({columns})')
            marks = ", ".join("?" * len(header))
            rows = list(reader)
            connection.executemany(f'INSERT INTO "{path.stem}" VALUES ({marks})', rows)
            rows_loaded += len(rows)
connection.close()
print(f"0\t{rows_loaded}\t{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}\t")
"""  # the baseline: every CSV row straight into a TEXT table with executemany, in a process of its own


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def run_one(kind: str, csv_folder: Path, work: Path, households: int, seed: int) -> None:
    """Time one load (ours: the archive-tui process; demo: in this process) and print 'seconds rows peak-MB extra'."""
    if kind == "ours":
        config, engine = fresh_archive(work)
        engine.dispose()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "archive_tui", "--config", str(work / "config.toml"), "import",
                               str(csv_folder)], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{seconds}\t0\t{child}\t{done.stdout.strip().splitlines()[0] if done.stdout.strip() else ''}")
    else:
        config, engine = fresh_archive(work)
        started = time.perf_counter()
        fill_demo(context_for(engine, config), households=households, seed=seed)
        print(f"{time.perf_counter() - started}\t0\t{peak_rss_mb()}\t")


def measure(kind: str, csv_folder: Path, work: Path, args) -> tuple[float, int, float, str]:
    """One load in a fresh process: (seconds of the whole process for ``raw``, of the ``archive-tui``
    process for ``ours``; rows; peak RSS in MB; what it said)."""
    started = time.perf_counter()
    if kind == "raw":
        work.mkdir()
        command = [sys.executable, "-c", RAW_LOAD, str(csv_folder), str(work / "raw.db")]
    else:
        command = [sys.executable, __file__, "--only", kind, "--csv", str(csv_folder), "--work", str(work),
                   "--households", str(args.households), "--seed", str(args.seed)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1]
    seconds, rows, peak, extra = output.split("\t", 3)
    if kind == "raw":
        seconds = time.perf_counter() - started  # the whole process, start-up included
    return float(seconds), int(rows), float(peak), extra


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each load; the best of each counts")
    parser.add_argument("--only", choices=["raw", "ours", "demo"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        run_one(args.only, args.csv, args.work, args.households, args.seed)
        return
    print(f"machine: {platform.machine()} {platform.processor() or ''}, python {platform.python_version()}, "
          f"sqlite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        config, _engine = fresh_archive(root / "generator")
        csv_folder = root / "csv"
        csv_folder.mkdir()
        write_demo_folder(config, args.households, args.seed, csv_folder)
        for path in csv_folder.glob("*.csv"):  # as the county's system exports them
            path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
        counts = {}
        for path in sorted(csv_folder.glob("*.csv")):
            with path.open(encoding="gb18030") as handle:
                lines = sum(1 for _ in handle) - 1
            if lines:
                counts[path.stem] = lines
        print(f"generated CSVs in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{k} {v}" for k, v in counts.items()))

        raws, ourses = [], []
        for run in range(args.repeat):  # alternating, best of each: the machine is shared and noisy
            seconds, rows, raw_peak, _ = measure("raw", csv_folder, root / f"raw{run}", args)
            raws.append(seconds)
            seconds, _, ours_peak, extra = measure("ours", csv_folder, root / f"ours{run}", args)
            ourses.append(seconds)
        raw, ours = min(raws), min(ourses)
        print(f"raw sqlite3 executemany (process): {rows} rows, min {raw:.2f} s, median {statistics.median(raws):.2f} s"
              f", {rows / raw:,.0f} rows/s, peak RSS {raw_peak:,.0f} MB")
        print(f"archive-tui import (process):      {rows} rows, min {ours:.2f} s, median "
              f"{statistics.median(ourses):.2f} s, {rows / ours:,.0f} rows/s, peak RSS {ours_peak:,.0f} MB "
              f"(goal <= 600); it said: {extra}")
        print(f"ratio raw/ours: {raw / ours:.2f} (min) / {statistics.median(raws) / statistics.median(ourses):.2f} "
              "(median)  (goal >= 0.30)")
        if not args.skip_demo:
            demo, _, demo_peak, _ = measure("demo", csv_folder, root / "demo", args)
            print(f"demo --households {args.households}: {demo:.1f} s, peak RSS {demo_peak:,.0f} MB (goal <= 600)")


if __name__ == "__main__":
    main()
