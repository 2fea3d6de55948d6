"""Certificate report benchmark: the issue-rate report and the three outstanding lists.

    python bench/certs_bench.py [--households 100000]

The database comes from ``demo`` (built once, kept in the system temp folder and shared with
tui_bench.py). In one run it times, best of three: ``certs report`` (per village and per
group), each outstanding list in full (new certificates not issued, old ones not recalled,
recalled or cancelled but not destroyed), and — side by side — the same counts as one plain
sqlite3 GROUP BY over the same file, the floor for any report. Goal: report + lists ≤ 5 s.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.core.config import load_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.services.registers.certificates import OUTSTANDING, issue_report, list_certificates  # noqa: E402
from bench.tui_bench import archive  # noqa: E402

PLAIN = """
SELECT i.village_code,
       COUNT(DISTINCT CASE WHEN c.generation = 'new' AND c.status = 'issued' THEN c.household_id END),
       SUM(c.generation = 'new' AND c.status = 'printed'), SUM(c.generation = 'old' AND c.status = 'issued'),
       SUM(c.status IN ('recalled', 'cancelled'))
FROM certificate c JOIN household h ON h.id = c.household_id JOIN issuer i ON i.id = h.issuer_id
GROUP BY i.village_code
"""


def best_of(runs: int, step) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    folder = archive(args.households)
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    plain = sqlite3.connect(folder / "archive.db")
    plain_time, _rows = best_of(3, lambda: plain.execute(PLAIN).fetchall())
    report_time, rows = best_of(3, lambda: issue_report(engine))
    group_time, groups = best_of(3, lambda: issue_report(engine, by_group=True))
    print(f"{args.households:,} households, {len(rows)} villages, {len(groups)} groups")
    print(f"plain sqlite3 GROUP BY:        {plain_time:.3f} s")
    print(f"certs report (villages):       {report_time:.3f} s → {report_time / plain_time:.2f}× the plain query")
    print(f"certs report --by-group:       {group_time:.3f} s")
    total = report_time
    for kind, label in OUTSTANDING.items():
        seconds, found = best_of(3, lambda kind=kind: list_certificates(engine, outstanding=kind))
        total += seconds
        print(f"list {kind:<24} {seconds:.3f} s ({len(found):,} certificates, {label})")
    print(f"report + three lists:          {total:.2f} s (goal ≤ 5 s)")


if __name__ == "__main__":
    main()
