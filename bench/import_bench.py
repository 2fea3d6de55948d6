"""Import benchmark: NY/T 2539 CSVs for a county-sized township, ours vs. plain sqlite3.

    python bench/import_bench.py [--households 100000]

Writes the national tables as CSV (about 4 members and 5 parcels per household), then in
the same run times (a) ``archive-tui import`` of that folder into a fresh database and
(b) a plain ``sqlite3`` ``executemany`` load of the same rows (csv.reader, one TEXT table
per file, same WAL pragmas), and prints the rate ratio ours/raw (goal: at least 0.25).
Also times ``demo --households N`` on a fresh database.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.reports.tables import write_csv_folder  # noqa: E402
from archive_tui.services.demo import fill_demo, generate_tables  # noqa: E402
from archive_tui.services.exporting import _cell  # noqa: E402
from archive_tui.services.importing import run_import  # noqa: E402


def fresh_archive(root: Path, name: str):
    folder = root / name
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}, "
          f"sqlite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        root = Path(tmp)
        config, engine = fresh_archive(root, "ours")
        started = time.perf_counter()
        tables = generate_tables(config, args.households, args.seed)
        text_tables = {name: (t.columns, [[_cell(v) for v in row] for row in t.rows]) for name, t in tables.items()}
        del tables
        csv_folder = root / "csv"
        write_csv_folder(text_tables, csv_folder)
        counts = {name: len(rows) for name, (_c, rows) in text_tables.items()}
        del text_tables
        print(f"generated CSVs in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{k} {v}" for k, v in counts.items() if v))

        started = time.perf_counter()
        rows = raw_load(csv_folder, root / "raw.db")
        raw_seconds = time.perf_counter() - started

        started = time.perf_counter()
        report = run_import(engine, config, csv_folder)
        ours_seconds = time.perf_counter() - started
        assert report.counts["承包方"].new == args.households

        print(f"raw sqlite3 executemany: {rows} rows in {raw_seconds:.2f} s ({rows / raw_seconds:,.0f} rows/s)")
        print(f"archive-tui import:      {rows} rows in {ours_seconds:.2f} s ({rows / ours_seconds:,.0f} rows/s), "
              f"plus {report.new_files} files, {report.new_files * 3} copies, {report.findings_opened} findings")
        print(f"ratio ours/raw rate: {raw_seconds / ours_seconds:.2f}  (goal >= 0.25)")
        engine.dispose()

        if not args.skip_demo:
            config, engine = fresh_archive(root, "demo")
            started = time.perf_counter()
            fill_demo(engine, config, households=args.households, seed=args.seed)
            print(f"demo --households {args.households}: {time.perf_counter() - started:.1f} s")
            engine.dispose()


if __name__ == "__main__":
    main()
