"""Scan intake benchmark: `scans ingest` and `scans verify` beside `sha256sum` on the same files.

    python bench/ingest_bench.py [--pages 2000]

Makes A4 300-dpi JPEG pages (about 0.5–1.5 MB each) named ``<档号>-<page>.jpg`` for a demo
township, then in one run, with the files in the page cache: sha256sum over the inbox
files, `scans ingest` of them, sha256sum over the stored files, `scans verify`. Prints
throughput in MB/s and the ratios ours/sha256sum (goals: ingest ≥ 0.5, verify ≥ 0.8).

Then a scanner batch: the same number of pages with meaningless names (``IMG_00001.jpg``),
a separator sheet (rendered at 300 dpi from ``print covers``) before every ten, so each page
is linked by reading QR codes; printed beside sha256sum over the same files.
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw  # noqa: E402

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.services.exchange.demo import fill_demo  # noqa: E402
from archive_tui.services.households.households import list_households  # noqa: E402
from archive_tui.services.intake.scans import ingest_once, verify_store  # noqa: E402

A4_300 = (2480, 3508)


def base_page(seed: int) -> Image.Image:
    """A page of text-like strokes with a little scanner noise."""
    rng = random.Random(seed)
    page = Image.new("L", A4_300, 255)
    draw = ImageDraw.Draw(page)
    for line in range(rng.randint(60, 120)):
        y, x = 200 + line * 26, 200
        while x < 2280:
            width = rng.randint(10, 40)
            draw.rectangle([x, y, x + width, y + rng.randint(12, 20)], fill=rng.randint(0, 90))
            x += width + rng.randint(4, 12)
    return Image.blend(page, Image.effect_noise(A4_300, 8), 0.06).convert("RGB")


def make_pages(folder: Path, codes: list[str], pages: int) -> int:
    folder.mkdir(parents=True)
    bases = [base_page(seed) for seed in range(4)]
    total = 0
    for number in range(pages):
        page = bases[number % len(bases)].copy()
        ImageDraw.Draw(page).text((150, 120 + number % 50), f"page {number}", fill=(0, 0, 0))
        code = codes[number // 10 % len(codes)]
        path = folder / f"{code}-{number % 10 + 1}.jpg"
        page.save(path, "JPEG", quality=80, dpi=(300, 300))
        total += path.stat().st_size
    return total


def make_batch(folder: Path, engine, config, codes: list[str], pages: int) -> int:
    """Sheets + pages named like scanner output; pages differ from the named ones."""
    from archive_tui.services.households.printing import print_covers
    from tests.conftest import render_pdf_page

    folder.mkdir(parents=True)
    covers = print_covers(engine, config, folder.parent / "covers.pdf", keys=codes[:1])
    sheet = render_pdf_page(covers.path, 3, dpi=300).convert("RGB")  # separator, document type 03
    bases = [base_page(seed) for seed in range(4, 8)]
    total, number = 0, 0
    for page_number in range(pages):
        if page_number % 10 == 0:
            number += 1
            path = folder / f"IMG_{number:05d}.jpg"
            sheet.save(path, "JPEG", quality=80, dpi=(300, 300))
            total += path.stat().st_size
        number += 1
        page = bases[page_number % len(bases)].copy()
        ImageDraw.Draw(page).text((150, 120 + page_number % 50), f"batch {page_number}", fill=(0, 0, 0))
        path = folder / f"IMG_{number:05d}.jpg"
        page.save(path, "JPEG", quality=80, dpi=(300, 300))
        total += path.stat().st_size
    return total


def sha256sum_seconds(files: list[Path]) -> float:
    started = time.perf_counter()
    for start in range(0, len(files), 200):
        subprocess.run(["sha256sum", *map(str, files[start:start + 200])], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        root = Path(tmp) / "archive"
        root.mkdir()
        write_default_config(root / "config.toml")
        config = load_config(root / "config.toml")
        config.settings.scan.stable_seconds = 0
        engine = open_database(config.database_url)
        fill_demo(context_for(engine, config), households=max(1, args.pages // 10), seed=1)
        codes = [row["archive_code"] for row in list_households(engine)]
        started = time.perf_counter()
        size = make_pages(config.inbox, codes, args.pages)
        megabytes = size / 1e6
        print(f"made {args.pages} pages, {megabytes:.0f} MB, in {time.perf_counter() - started:.0f} s")
        inbox_files = sorted(config.inbox.glob("*.jpg"))
        sha256sum_seconds(inbox_files)  # warm the cache
        raw_in = sha256sum_seconds(inbox_files)
        started = time.perf_counter()
        report = ingest_once(context_for(engine, config))
        ours_in = time.perf_counter() - started
        assert report.linked == args.pages, report
        stored = sorted(p for p in config.store.rglob("*.jpg"))
        sha256sum_seconds(stored)
        raw_verify = sha256sum_seconds(stored)
        started = time.perf_counter()
        fixity = verify_store(engine, config)
        ours_verify = time.perf_counter() - started
        assert fixity.ok and fixity.checked == args.pages
        print(f"sha256sum inbox:  {raw_in:.2f} s ({megabytes / raw_in:.0f} MB/s)")
        print(f"scans ingest:     {ours_in:.2f} s ({megabytes / ours_in:.0f} MB/s, {args.pages / ours_in:.0f} pages/s)"
              f" → ratio {raw_in / ours_in:.2f} (goal ≥ 0.5)")
        print(f"sha256sum store:  {raw_verify:.2f} s ({megabytes / raw_verify:.0f} MB/s)")
        print(f"scans verify:     {ours_verify:.2f} s ({megabytes / ours_verify:.0f} MB/s)"
              f" → ratio {raw_verify / ours_verify:.2f} (goal ≥ 0.8)")
        batch_size = make_batch(config.inbox / "batch", engine, config, codes, args.pages) / 1e6
        batch_files = sorted((config.inbox / "batch").glob("*.jpg"))
        sha256sum_seconds(batch_files)
        raw_batch = sha256sum_seconds(batch_files)
        started = time.perf_counter()
        report = ingest_once(context_for(engine, config))
        ours_batch = time.perf_counter() - started
        assert report.linked == args.pages and report.sheets == len(batch_files) - args.pages, report
        print(f"sha256sum batch:  {raw_batch:.2f} s ({batch_size / raw_batch:.0f} MB/s)")
        print(f"batch with sheets:{ours_batch:.2f} s ({args.pages / ours_batch:.0f} pages/s, QR read on every page)"
              f" → ratio {raw_batch / ours_batch:.2f}")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
