"""Quality-check benchmark: a full `check` of a demo county, then again on unchanged data and
after a small change, in the process and as the whole `archive-tui check` command.

    python bench/checks_bench.py [--households 100000] [--repeat 3] [--no-cli]

Works on copies of the demo database that tui_bench.py builds (kept in the system temp folder;
the original is never written). Times each rule's query on its own, then, ``--repeat`` times on a
fresh copy each: the full run that stores the findings (first run: everything opened), a second
run on unchanged data (every rule keeps its findings) and a run after one member's ID number was
put right and one parcel given a name (the rules reading members and parcels work theirs out
again); then the command `archive-tui check` in its own process, first and second run. Prints
the least and the median of each. Goals at 100,000 households: a full run ≤ 5 s, a run on
unchanged data ≤ 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update  # noqa: E402

from archive_tui.bootstrap import context_for  # noqa: E402
from archive_tui.core.config import load_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.db.tables import MEMBER, PARCEL  # noqa: E402
from archive_tui.services.quality.checks import RULES, Scope, pass_shares, run_checks  # noqa: E402
from bench.tui_bench import archive  # noqa: E402
from models.validators import id_check_char  # noqa: E402


def copy_of(source: Path, folder: Path) -> Path:
    """A fresh copy of the demo archive (config.toml + archive.db) in ``folder``."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    shutil.copy(source / "config.toml", folder / "config.toml")
    shutil.copy(source / "archive.db", folder / "archive.db")
    return folder


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def per_rule(folder: Path) -> None:
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    with engine.connect() as connection:
        scope = Scope(connection, config)
        for rule in RULES.values():
            seconds, found = timed(lambda: sum(1 for _ in rule.find(scope)))
            print(f"  {rule.id:<20} {seconds:6.2f} s  {found:>8,} found")
    engine.dispose()


def a_small_change(engine) -> None:
    """One member's ID number put right (a valid one of its own), one parcel given a name."""
    with engine.begin() as connection:
        member = connection.execute(select(MEMBER.c.id).order_by(MEMBER.c.id).limit(1)).scalar_one()
        first17 = f"11010519800101{member % 1000:03d}"
        connection.execute(update(MEMBER).where(MEMBER.c.id == member).values(
            id_number=first17 + id_check_char(first17), id_type="1"))
        parcel = connection.execute(select(PARCEL.c.id).where(PARCEL.c.name == "").limit(1)).scalar()
        connection.execute(update(PARCEL).where(PARCEL.c.id == parcel).values(name="东大块"))


def in_process(folder: Path) -> dict[str, float]:
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    figures = {}
    for label in ("first", "unchanged"):
        figures[label], result = timed(lambda: run_checks(context_for(engine, config)))
        print(f"    {label:<10} {figures[label]:6.2f} s  opened {result.opened:,}, resolved {result.resolved:,}, "
              f"rules kept {getattr(result, 'kept_rules', 0)}")
    a_small_change(engine)
    figures["changed"], result = timed(lambda: run_checks(context_for(engine, config)))
    print(f"    {'changed':<10} {figures['changed']:6.2f} s  opened {result.opened:,}, resolved {result.resolved:,}, "
          f"rules kept {getattr(result, 'kept_rules', 0)}")
    figures["pass shares"], shares = timed(lambda: pass_shares(engine))
    engine.dispose()
    return figures


def whole_command(folder: Path) -> dict[str, float]:
    """`archive-tui check` in its own process, in the archive folder (exit 1: open findings); the
    copy is brought to the newest schema first (an upgrade happens once, not at each check)."""
    open_database(load_config(folder / "config.toml").database_url).dispose()
    figures = {}
    for label in ("cli first", "cli unchanged"):
        figures[label], done = timed(lambda: subprocess.run(
            [sys.executable, "-m", "archive_tui", "check"], cwd=folder, capture_output=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}))
        assert done.returncode in (0, 1), done.stderr.decode(errors="replace")
        print(f"    {label:<14} {figures[label]:6.2f} s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="leave out the whole `archive-tui check` command")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}, load {os.getloadavg()[0]:.1f}")
    source = archive(args.households)
    runs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="checks-bench-") as tmp:
        print(f"{args.households:,} households, {len(RULES)} rules, each rule on its own:")
        per_rule(copy_of(source, Path(tmp) / "rules"))
        for repeat in range(args.repeat):
            print(f"  run {repeat + 1}:")
            figures = in_process(copy_of(source, Path(tmp) / "run"))
            if not args.no_cli:
                figures |= whole_command(copy_of(source, Path(tmp) / "run"))
            for label, seconds in figures.items():
                runs.setdefault(label, []).append(seconds)
    print(f"least / median of {args.repeat} (goals: full run ≤ 5 s, unchanged ≤ 1 s):")
    for label, seconds in runs.items():
        print(f"  {label:<14} {min(seconds):6.2f} s  {statistics.median(seconds):6.2f} s")


if __name__ == "__main__":
    main()
