"""延包 import benchmark: the county's extension export on top of its 确权 township, ours vs. plain sqlite3.

    python bench/campaign_bench.py [--households 20000] [--repeat 3]

Builds the demo township of N households (not timed), writes its 延包 export as the county would
(CBF, CBF_JTCY, CBDKXX, CBHT, CBJYQZDJB, CBJYQZ; about three households in four reached) and saves
it in GB18030. Then, each in a fresh process, alternating, ``--repeat`` times (min and median):

* raw: a plain ``sqlite3`` ``executemany`` load of the same files (bench/import_bench.py's baseline);
* ours: the whole process ``archive-tui import <folder> --campaign 延包`` on a copy of the township's
  database (start-up, reading, comparing with 确权, records, contracts, certificates, 延包 files and
  their copies, the catalogue), as a user runs it.

Prints the ratio raw/ours and each process's peak RSS (goal: at most 600 MB).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.bootstrap import context_for  # noqa: E402
from archive_tui.services.campaigns.demo_campaign import write_campaign_source  # noqa: E402
from archive_tui.services.exchange.demo import fill_demo  # noqa: E402
from bench.import_bench import RAW_LOAD, fresh_archive  # noqa: E402


def township(root: Path, households: int, seed: int) -> tuple[Path, Path]:
    """The demo township's archive folder and its 延包 export (GB18030 CSVs)."""
    config, engine = fresh_archive(root / "township")
    fill_demo(context_for(engine, config), households=households, seed=seed)
    folder = root / "延包导出"
    folder.mkdir()
    with engine.connect() as connection:
        write_campaign_source(connection, config, config.settings.campaign("延包"), seed, folder)
    engine.dispose()
    for path in folder.glob("*.csv"):
        path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    return root / "township", folder


PEAK = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(done.returncode)")
"""Runs a command and says its own peak RSS (KiB): each measured process has a parent of its own."""


def run(command: list[str]) -> tuple[float, float, str]:
    """(seconds of the whole process, its peak RSS in MB, what it printed)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''}, python {platform.python_version()}, "
          f"sqlite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory(prefix="campaign-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        archive, export = township(root, args.households, args.seed)
        rows = sum(sum(1 for _ in path.open(encoding="gb18030")) - 1 for path in export.glob("*.csv"))
        print(f"township of {args.households} households and its 延包 export ({rows} rows) in "
              f"{time.perf_counter() - started:.1f} s")
        raws, ourses, said = [], [], ""
        raw_peak = ours_peak = 0.0
        for attempt in range(args.repeat):  # alternating, best of each: the machine is shared and noisy
            seconds, raw_peak, _ = run([sys.executable, "-c", RAW_LOAD, str(export), str(root / f"raw{attempt}.db")])
            raws.append(seconds)
            work = root / f"ours{attempt}"
            shutil.copytree(archive, work)
            seconds, ours_peak, said = run([sys.executable, "-m", "archive_tui", "--config", str(work / "config.toml"),
                                            "import", str(export), "--campaign", "延包"])
            ourses.append(seconds)
        raw, ours = min(raws), min(ourses)
        print(f"raw sqlite3 executemany (process): {rows} rows, min {raw:.2f} s, median {statistics.median(raws):.2f} s"
              f", peak RSS {raw_peak:,.0f} MB")
        print(f"archive-tui import --campaign 延包 (process): min {ours:.2f} s, "
              f"median {statistics.median(ourses):.2f} s"
              f", peak RSS {ours_peak:,.0f} MB (goal <= 600)")
        print(f"ratio raw/ours: {raw / ours:.2f} (min) / {statistics.median(raws) / statistics.median(ourses):.2f} "
              "(median)")
        print("it said: " + " | ".join(said.strip().splitlines()[:3]))


if __name__ == "__main__":
    main()
