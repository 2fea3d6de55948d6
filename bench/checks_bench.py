"""Quality-check benchmark: a full `check` of a demo county.

    python bench/checks_bench.py [--households 100000]

Works on a copy of the demo database that tui_bench.py builds (kept in the system temp
folder). Times each rule's query on its own, then the full run that stores the findings
(first run: everything opened) and a second run on unchanged data (nothing to change),
and the per-village figures. Goal: a full check of 100,000 households ≤ 10 s.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.services.quality.checks import RULES, Scope, pass_shares, run_checks  # noqa: E402
from bench.tui_bench import archive  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    source = archive(args.households)
    with tempfile.TemporaryDirectory(prefix="checks-bench-") as tmp:
        folder = Path(tmp)
        shutil.copy(source / "config.toml", folder / "config.toml")
        shutil.copy(source / "archive.db", folder / "archive.db")
        config = load_config(folder / "config.toml")
        engine = open_database(config.database_url)
        with engine.connect() as connection:
            scope = Scope(connection, config)
            for rule in RULES.values():
                started = time.perf_counter()
                found = sum(1 for _ in rule.find(scope))
                print(f"  {rule.id:<18} {time.perf_counter() - started:6.2f} s  {found:>8,} found")
        started = time.perf_counter()
        first = run_checks(context_for(engine, config))
        first_time = time.perf_counter() - started
        started = time.perf_counter()
        second = run_checks(context_for(engine, config))
        second_time = time.perf_counter() - started
        started = time.perf_counter()
        shares = pass_shares(engine)
        shares_time = time.perf_counter() - started
        print(f"{args.households:,} households, {len(RULES)} rules")
        print(f"full check, first run:  {first_time:.2f} s ({first.opened:,} findings opened) (goal ≤ 10 s)")
        print(f"full check, second run: {second_time:.2f} s ({second.opened} opened, {second.resolved} resolved)")
        print(f"per-village pass share: {shares_time:.2f} s ({len(shares)} villages)")
        engine.dispose()


if __name__ == "__main__":
    main()
