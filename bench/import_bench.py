"""Import benchmark: NY/T 2539 CSVs for a county-sized township, ours vs. plain sqlite3.

    python bench/import_bench.py [--households 100000] [--skip-demo]

Writes the national tables as CSV (about 4 members and 5 parcels per household), then
times, each in a fresh process so that one run's heap does not slow the next, and reads
each process's peak memory (peak RSS):

* raw: a plain ``sqlite3`` ``executemany`` load of the same rows (csv.reader, one TEXT
  table per file, the same WAL pragmas), alternating with ours, ``--repeat`` times each
  (the best run of each counts: the machine is shared);
* ours: ``archive-tui import`` of that folder into a fresh database;
* demo: ``archive-tui demo --households N`` on a fresh database.

Both loads run with Python's cycle collector paused. Prints the rate ratio ours/raw
(goal: at least 0.30) and the peak RSS of the import and the demo (goal: at most 600 MB).
"""

from __future__ import annotations

import argparse
import csv
import platform
import resource
import sqlite3
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
from archive_tui.services.exchange.importing import cyclic_gc_paused, run_import  # noqa: E402


def fresh_archive(folder: Path):
    folder.mkdir()
    write_default_config(folder / "config.toml")
    config = load_config(folder / "config.toml")
    return config, open_database(config.database_url)


def raw_load(folder: Path, db_path: Path) -> int:
    """The baseline: every CSV row straight into a TEXT table with executemany."""
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    rows_loaded = 0
    with connection:
        for path in sorted(folder.glob("*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader)
                columns = ", ".join(f'"{c}" TEXT' for c in header)
                connection.execute(f'CREATE TABLE "{path.stem}" ({columns})')
                marks = ", ".join("?" * len(header))
                rows = list(reader)
                connection.executemany(f'INSERT INTO "{path.stem}" VALUES ({marks})', rows)
                rows_loaded += len(rows)
    connection.close()
    return rows_loaded


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def run_one(kind: str, csv_folder: Path, work: Path, households: int, seed: int) -> None:
    """Time one load in this process and print 'seconds rows peak-MB extra'."""
    if kind == "raw":
        work.mkdir()
        started = time.perf_counter()
        with cyclic_gc_paused():
            rows = raw_load(csv_folder, work / "raw.db")
        print(f"{time.perf_counter() - started}\t{rows}\t{peak_rss_mb()}\t")
    elif kind == "ours":
        config, engine = fresh_archive(work)
        started = time.perf_counter()
        report = run_import(context_for(engine, config), csv_folder)
        seconds = time.perf_counter() - started
        assert report.counts["承包方"].new == households
        print(f"{seconds}\t0\t{peak_rss_mb()}\t{report.new_files} files, {report.new_files * 3} copies, "
              f"{report.findings_opened} findings")
    else:
        config, engine = fresh_archive(work)
        started = time.perf_counter()
        fill_demo(context_for(engine, config), households=households, seed=seed)
        print(f"{time.perf_counter() - started}\t0\t{peak_rss_mb()}\t")


def measure(kind: str, csv_folder: Path, work: Path, args) -> tuple[float, int, float, str]:
    output = subprocess.run(
        [sys.executable, __file__, "--only", kind, "--csv", str(csv_folder), "--work", str(work),
         "--households", str(args.households), "--seed", str(args.seed)],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()[-1]
    seconds, rows, peak, extra = output.split("\t", 3)
    return float(seconds), int(rows), float(peak), extra


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
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
        counts = {}
        for path in sorted(csv_folder.glob("*.csv")):
            with path.open(encoding="utf-8") as handle:
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
        print(f"raw sqlite3 executemany: {rows} rows in {raw:.2f} s (runs {' / '.join(f'{t:.2f}' for t in raws)}), "
              f"{rows / raw:,.0f} rows/s, peak RSS {raw_peak:,.0f} MB")
        print(f"archive-tui import:      {rows} rows in {ours:.2f} s (runs {' / '.join(f'{t:.2f}' for t in ourses)}), "
              f"{rows / ours:,.0f} rows/s ({extra}), peak RSS {ours_peak:,.0f} MB (goal <= 600)")
        print(f"ratio ours/raw rate: {raw / ours:.2f}  (goal >= 0.30)")
        if not args.skip_demo:
            demo, _, demo_peak, _ = measure("demo", csv_folder, root / "demo", args)
            print(f"demo --households {args.households}: {demo:.1f} s, peak RSS {demo_peak:,.0f} MB (goal <= 600)")


if __name__ == "__main__":
    main()
