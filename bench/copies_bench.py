"""Custody benchmark: boxing 5,000 files and printing their shelf list.

    python bench/copies_bench.py [--files 5000]

A demo township with that many households, then in one run: `copies box` of every village's
township copies (25 files per box; every copy gets its box and a history entry; the times of
the per-village runs are summed), a re-boxing with another capacity, and the township's shelf
list (案卷目录) as PDF and as XLSX. Goals: boxing ≤ 5 s, shelf list ≤ 5 s.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.services.registers.copies import box_files  # noqa: E402
from archive_tui.services.exchange.demo import fill_demo  # noqa: E402
from archive_tui.services.households.households import village_names  # noqa: E402
from archive_tui.services.registers.custody_forms import print_shelf_list  # noqa: E402


def timed(step):
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="copies-bench-") as tmp:
        folder = Path(tmp)
        write_default_config(folder / "config.toml")
        config = load_config(folder / "config.toml")
        engine = open_database(config.database_url)
        fill_demo(context_for(engine, config), households=args.files, seed=5)
        villages = village_names(engine)
        print(f"{args.files:,} files in {len(villages)} villages (boxing runs per village)")
        total_box = total_rebox = 0.0
        boxes = 0
        for village in villages:
            seconds, result = timed(lambda v=village: box_files(context_for(engine, config), village=v, capacity=25,
                                                               level="township"))
            total_box += seconds
            boxes += len(result.boxes)
            seconds, _ = timed(lambda v=village: box_files(context_for(engine, config), village=v, capacity=30,
                                                           level="township"))
            total_rebox += seconds
        print(f"boxing {args.files:,} files into {boxes} boxes: {total_box:.2f} s (goal ≤ 5 s)")
        print(f"re-boxing them (30 per box):           {total_rebox:.2f} s")
        pdf_time, pdf = timed(lambda: print_shelf_list(engine, config, folder / "目录.pdf"))
        xlsx_time, _ = timed(lambda: print_shelf_list(engine, config, folder / "目录.xlsx"))
        print(f"shelf list PDF ({pdf.pages} pages):       {pdf_time:.2f} s (goal ≤ 5 s)")
        print(f"shelf list XLSX:                       {xlsx_time:.2f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
