"""Per-rule recall and false positives of the pixel checks on a seeded-defect set, end to end.

    python bench/qc_recall.py [--per-kind 25] [--seed 1]

Renders pages the way a scanner leaves them (tests/fixtures/seeded_pages.py: form pages with
Chinese text, blur, noise, JPEG at quality 60–92, turned up to ±2°): good pages, rescans of
them (filed in the same household file), short statements, blank and near-blank sheets (a
stamp, a few strokes), pages skewed 0.5°–10° either way, dark borders, cropped pages, and a
rescan filed into another household's file. Files them into a demo township through the real
intake (which measures every page and runs the page rules), runs ``scans qc`` (the check
across files), and compares each rule's findings with the truth. Also prints the skew error
on the pages whose turn is known, and the intake's pages per second beside ``sha256sum``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.services.quality.checks import list_findings  # noqa: E402
from archive_tui.services.exchange.demo import fill_demo  # noqa: E402
from archive_tui.services.households.households import list_households  # noqa: E402
from archive_tui.services.intake.page_quality import run_qc  # noqa: E402
from archive_tui.services.quality.page_rules import KIND_LABELS  # noqa: E402
from archive_tui.services.intake.scans import ingest_once  # noqa: E402
from models import ScanPage  # noqa: E402
from tests.fixtures.seeded_pages import Seeded, form_page, saved, scanned, seeded_set, TITLES  # noqa: E402

RULES = ("page_blank", "page_skew", "page_border", "page_cropped", "page_duplicate", "page_duplicate_other")


def truth(page: Seeded, rule: str, skew_limit: float, elsewhere: set[Path]) -> bool:
    """Whether ``page`` should get a finding of ``rule``."""
    return {
        "page_blank": page.kind in ("blank", "near_blank"),
        "page_skew": page.kind == "skewed" and abs(page.angle) > skew_limit,
        "page_border": page.kind == "bordered",
        "page_cropped": page.kind == "cropped",
        "page_duplicate": page.kind == "rescan",
        "page_duplicate_other": page.path in elsewhere,
    }[rule]


def refiled(folder: Path, pages: list[Seeded], per_kind: int, seed: int) -> list[Seeded]:
    """A rescan of each good page filed into the next household's file (by mistake)."""
    rng = random.Random(seed)
    extra = []
    for page in [p for p in pages if p.kind == "good"]:
        number = page.group
        original = form_page((seed * 1000 + number) * 10, TITLES[number % len(TITLES)])  # as seeded_set draws it
        path = saved(scanned(original, (seed * 1000 + number) * 10 + 9, rng.uniform(-0.5, 0.5)),
                     folder / f"elsewhere-{number:03d}.jpg", quality=rng.randint(60, 92))
        extra.append(Seeded(path, "elsewhere", twin_of=page.path, group=(number + 1) % per_kind))
    return extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="qc-recall-"))
    started = time.perf_counter()
    pages = seeded_set(folder / "pages", options.per_kind, options.seed)
    pages += refiled(folder / "pages", pages, options.per_kind, options.seed)
    elsewhere = {p.path for p in pages if p.kind == "elsewhere"} | {p.twin_of for p in pages if p.kind == "elsewhere"}
    # the original's rescan in its own file is the same sheet too, at another angle: counted neither way
    either = {p.path for p in pages if p.kind == "rescan" and p.twin_of in elsewhere}
    rendered = time.perf_counter() - started

    write_default_config(folder / "archive" / "config.toml")
    config = load_config(folder / "archive" / "config.toml")
    engine = open_database(config.database_url)
    fill_demo(context_for(engine, config), households=options.per_kind, seed=options.seed)
    files = [row["archive_code"] for row in list_households(engine, limit=options.per_kind)]
    config.inbox.mkdir(parents=True, exist_ok=True)
    counters: dict[int, int] = {}
    names: dict[str, Seeded] = {}
    old = time.time() - 60
    for page in pages:  # in order: a rescan after its original
        counters[page.group] = counters.get(page.group, 0) + 1
        name = f"{files[page.group]}-{counters[page.group]}.jpg"
        target = config.inbox / name
        target.write_bytes(page.path.read_bytes())
        os.utime(target, (old, old))
        names[name] = page
    inbox_files = sorted(str(p) for p in config.inbox.glob("*.jpg"))
    started = time.perf_counter()
    subprocess.run(["sha256sum", *inbox_files], check=True, stdout=subprocess.DEVNULL)
    hashing = time.perf_counter() - started
    started = time.perf_counter()
    report = ingest_once(context_for(engine, config))
    intake = time.perf_counter() - started
    run_qc(context_for(engine, config))

    scan = ScanPage.__table__
    with engine.connect() as connection:
        stored = {row.store_path: names[row.source_name] for row in connection.execute(
            select(scan.c.store_path, scan.c.source_name))}
        measured = {names[row.source_name].path: row.skew_degrees for row in connection.execute(
            select(scan.c.source_name, scan.c.skew_degrees))}
    limit = config.settings.quality.skew_limit
    print(f"{platform.machine()} Python {platform.python_version()}, {len(pages)} pages "
          f"({options.per_kind} of each kind, seed {options.seed}); rendered in {rendered:.0f} s")
    print(f"intake (probe, copy, verify, measure, page rules): {len(pages) / intake:.1f} pages/s; "
          f"sha256sum on the same files {len(pages) / hashing:.1f} pages/s; linked {report.linked}")
    print(f"{'rule':22} {'positives':>9} {'found':>6} {'recall':>7} {'negatives':>9} {'false':>6} {'FP rate':>8}")
    for rule in RULES:
        flagged = {stored[f["subject"]].path for f in list_findings(engine, rules=[rule])}
        positives = [p for p in pages if truth(p, rule, limit, elsewhere)]
        negatives = [p for p in pages if not truth(p, rule, limit, elsewhere)
                     and not (rule == "page_duplicate_other" and p.path in either)]
        found = sum(p.path in flagged for p in positives)
        false = sum(p.path in flagged for p in negatives)
        recall = found / len(positives) if positives else 1.0
        print(f"{rule:22} {len(positives):9} {found:6} {recall:7.1%} {len(negatives):9} {false:6} "
              f"{false / len(negatives):8.2%}   {KIND_LABELS[rule]}")
        for p in positives:
            if p.path not in flagged:
                print(f"    missed: {p.path.name} ({p.kind}, {p.angle:+.2f}°)")
        for p in negatives:
            if p.path in flagged:
                print(f"    false:  {p.path.name} ({p.kind}, {p.angle:+.2f}°)")
    errors = [abs(measured[p.path] - p.angle) for p in pages if p.kind in ("good", "rescan", "skewed")]
    print(f"skew error on {len(errors)} pages of known turn: mean {sum(errors) / len(errors):.3f}°, "
          f"max {max(errors):.2f}°")


if __name__ == "__main__":
    main()
