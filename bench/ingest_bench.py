"""Scan intake benchmark: a contractor's delivery taken in by `archive-tui scans ingest`, beside
what reading the same files costs at the least.

    python bench/ingest_bench.py [--pages 600] [--repeat 3] [--batch]

Makes 300-dpi A4 JPEG pages (about 0.5–1.5 MB each) named ``<档号>-<page>.jpg`` for a demo
township. Then, with the files in the page cache, each ``--repeat`` times (min and median):

* limit: one process reading each file, hashing it with ``hashlib.sha256`` and decoding it with
  Pillow's draft mode at 1/4 (what the pixel checks need at the least);
* ours: the whole process ``archive-tui scans ingest`` on a fresh copy of the archive (start-up,
  probe, copy, verify, pixel checks on every page, page rules), goal ≥ 0.25 of the limit;
* ``measure()`` alone on one core beside the draft decode of the same pages (goal ≥ 0.4);
* ``scans verify`` (whole process) beside hashlib over the stored files.

``--batch`` adds a scanner batch: pages with meaningless names (``IMG_00001.jpg``) behind a
separator sheet every ten pages, linked by reading QR codes on every page.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw  # noqa: E402

from archive_tui.bootstrap import context_for  # noqa: E402
from archive_tui.core.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.services.exchange.demo import fill_demo  # noqa: E402
from archive_tui.services.households.households import list_households  # noqa: E402

A4_300 = (2480, 3508)
CLI = [sys.executable, "-m", "archive_tui"]


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


def hashlib_seconds(files: list[Path], decode: bool = False, scale: int = 4) -> float:
    """One process: each file read and hashed, and (``decode``) decoded at 1/``scale`` in draft mode."""
    import io

    import numpy as np

    started = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        hashlib.sha256(data).hexdigest()
        if decode:
            image = Image.open(io.BytesIO(data))
            image.draft("L", (image.width // scale, image.height // scale))
            np.asarray(image)
    return time.perf_counter() - started


def measure_seconds(files: list[Path]) -> float:
    from archive_tui.scanning.pixels import measure

    measure(files[0])  # scipy and imagehash loaded before the clock starts
    started = time.perf_counter()
    for path in files:
        measure(path)
    return time.perf_counter() - started


def run_cli(config_path: Path, *arguments: str) -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, "--config", str(config_path), *arguments], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def spread(values: list[float]) -> str:
    return f"min {min(values):.2f} s, median {statistics.median(values):.2f} s"


def fresh_archive(template: Path, pages: Path, into: Path) -> Path:
    """A copy of the demo archive with the delivery in its inbox (older than the stable wait)."""
    shutil.copytree(template, into)
    inbox = load_config(into / "config.toml").inbox
    shutil.rmtree(inbox, ignore_errors=True)
    shutil.copytree(pages, inbox)
    return into / "config.toml"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", action="store_true", help="also a scanner batch with separator sheets")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}, python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        template = Path(tmp) / "template"
        template.mkdir()
        write_default_config(template / "config.toml")
        text = (template / "config.toml").read_text(encoding="utf-8")
        text = re.sub(r"(?m)^stable_seconds = [0-9.]+", "stable_seconds = 0", text)  # files just copied in
        (template / "config.toml").write_text(text, encoding="utf-8")
        config = load_config(template / "config.toml")
        engine = open_database(config.database_url)
        fill_demo(context_for(engine, config), households=max(1, args.pages // 10), seed=1)
        codes = [row["archive_code"] for row in list_households(engine)]
        engine.dispose()
        started = time.perf_counter()
        pages = Path(tmp) / "pages"
        megabytes = make_pages(pages, codes, args.pages) / 1e6
        print(f"made {args.pages} pages, {megabytes:.0f} MB, in {time.perf_counter() - started:.0f} s")
        files = sorted(pages.glob("*.jpg"))
        hashlib_seconds(files)  # in the page cache
        limit, ours, hashing, verify, stored_hashing = [], [], [], [], []
        for round_number in range(args.repeat):
            hashing.append(hashlib_seconds(files))
            limit.append(hashlib_seconds(files, decode=True))
            config_path = fresh_archive(template, pages, Path(tmp) / f"run{round_number}")
            ours.append(run_cli(config_path, "scans", "ingest"))
            stored = sorted((config_path.parent / "store").rglob("*.jpg"))
            assert len(stored) == args.pages, f"{len(stored)} pages filed of {args.pages}"
            stored_hashing.append(hashlib_seconds(stored))
            verify.append(run_cli(config_path, "scans", "verify"))
        sample = files[:min(len(files), 100)]
        decode_alone = [hashlib_seconds(sample, decode=True) - hashlib_seconds(sample) for _ in range(args.repeat)]
        measured = [measure_seconds(sample) for _ in range(args.repeat)]
        print(f"hashlib alone:            {spread(hashing)} ({args.pages / min(hashing):.0f} pages/s)")
        print(f"limit (hashlib + draft ¼): {spread(limit)} ({args.pages / min(limit):.0f} pages/s)")
        print(f"scans ingest (process):   {spread(ours)} ({args.pages / statistics.median(ours):.1f} pages/s)"
              f" → ratio {min(limit) / min(ours):.2f} / {statistics.median(limit) / statistics.median(ours):.2f}"
              " (min/median; goal ≥ 0.25)")
        print(f"measure() one core:       {len(sample) / min(measured):.0f} pages/s, draft decode "
              f"{len(sample) / min(decode_alone):.0f} pages/s → ratio {min(decode_alone) / min(measured):.2f} / "
              f"{statistics.median(decode_alone) / statistics.median(measured):.2f} (goal ≥ 0.4)")
        print(f"scans verify (process):   {spread(verify)} → ratio to hashlib over the store "
              f"{min(stored_hashing) / min(verify):.2f} / "
              f"{statistics.median(stored_hashing) / statistics.median(verify):.2f}")
        if args.batch:
            batch_run(template, codes, Path(tmp), args.pages)


def batch_run(template: Path, codes: list[str], tmp: Path, pages: int) -> None:
    config_path = template / "config.toml"
    config = load_config(config_path)
    engine = open_database(config.database_url)
    folder = tmp / "batch-pages" / "batch"
    make_batch(folder, engine, config, codes, pages)
    engine.dispose()
    files = sorted(folder.glob("*.jpg"))
    hashlib_seconds(files)
    limit = hashlib_seconds(files, decode=True)
    config_path = fresh_archive(template, folder.parent, tmp / "batch-run")
    ours = run_cli(config_path, "scans", "ingest")
    print(f"scanner batch with sheets: {ours:.2f} s ({pages / ours:.1f} pages/s, QR read on every page) → "
          f"ratio {limit / ours:.2f} to hashlib + draft ¼")


if __name__ == "__main__":
    main()
