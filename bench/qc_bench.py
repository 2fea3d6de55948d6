"""Pixel checks benchmark: every measure of archive_tui.scanning.pixels on 300-dpi A4 JPEGs,
beside Pillow's draft decode of the same pages at 1/4 (the least the checks can cost).

    python bench/qc_bench.py [--pages 60] [--repeat 3]

Renders form pages with Chinese text (the bundled 宋体), saves them as 300-dpi JPEGs (about
2480×3508), reads them once so they are in the page cache, then times, ``--repeat`` times (min
and median): the draft decode at 1/4 in one process, ``measure()`` in one process (goal ≥ 0.4 of
the decode) and in worker processes, one per core, as ``scans qc`` runs it. First the twin
search on one large village (100,000 pages of 25 printed forms).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.scanning.pixels import measure  # noqa: E402
from archive_tui.scanning.workers import worker_pool  # noqa: E402
from archive_tui.services.intake.page_quality import _measure_one  # noqa: E402
from bench.ingest_bench import hashlib_seconds, spread  # noqa: E402
from tests.fixtures.seeded_pages import form_page  # noqa: E402


def twin_search(count: int) -> None:
    """The twin rules' search on one large village: ``count`` 256-bit hashes of 30-page files, each page
    a variant of one of 25 printed forms (30–45 bits from its form: two pages of a form 60–90 apart, as
    different pages of one form measured here), every tenth file holding a rescan (6 bits from its page)."""
    import numpy as np

    from archive_tui.scanning.twins import WORDS, pairs_between, pairs_within

    rng = np.random.default_rng(1)
    forms = rng.integers(0, 2**63, size=(25, WORDS), dtype=np.uint64)

    def flipped(words: np.ndarray, bits: int) -> np.ndarray:
        words = words.copy()
        for bit in rng.choice(256, size=bits, replace=False):
            words[bit // 64] ^= np.uint64(1 << int(bit % 64))
        return words

    hashes = np.array([flipped(forms[index % 25], int(rng.integers(30, 45))) for index in range(count)])
    owners = np.arange(count) // 30
    for index in range(0, count, 300):
        hashes[index + 1] = flipped(hashes[index], 6)  # the page scanned twice in its file
    started = time.perf_counter()
    within = sum(len(list(pairs_within(hashes[start:start + 30], 36))) for start in range(0, count, 30))
    inside = time.perf_counter() - started
    started = time.perf_counter()
    across = pairs_between(hashes, owners, 20)
    between = time.perf_counter() - started
    print(f"twin search, one village of {count:,} pages in {count // 30:,} files: within files {inside:.1f} s "
          f"({within} pairs), across files at 20 bits {between:.1f} s ({len(across)} pairs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--village-pages", type=int, default=100_000, help="hashes for the twin search")
    options = parser.parse_args()
    twin_search(options.village_pages)
    pages = options.pages
    folder = Path(tempfile.mkdtemp(prefix="qc-bench-"))
    paths = []
    for number in range(pages):
        page = form_page(number).rotate((number % 9) - 4, fillcolor=250).resize((2480, 3508))
        path = folder / f"page-{number:04d}.jpg"
        page.save(path, dpi=(300, 300), quality=85)
        paths.append(path)
    size = sum(path.stat().st_size for path in paths)
    for path in paths:
        path.read_bytes()  # in the page cache for both
    measure(paths[0], 300)  # scipy and imagehash loaded before the clocks start
    decoding, checking, pooled = [], [], []
    workers = os.cpu_count() or 1
    for _ in range(options.repeat):
        decoding.append(hashlib_seconds(paths, decode=True) - hashlib_seconds(paths))
        started = time.perf_counter()
        for path in paths:
            measure(path, 300)
        checking.append(time.perf_counter() - started)
        started = time.perf_counter()
        with worker_pool(workers) as pool:  # as `scans qc` runs them (the workers' start counted)
            list(pool.map(_measure_one, [(str(path), 300) for path in paths], chunksize=4))
        pooled.append(time.perf_counter() - started)
    print(f"{platform.machine()} Python {platform.python_version()}, {pages} pages, {size / 1e6:.0f} MB")
    print(f"draft decode at 1/4: {pages / min(decoding):8.1f} pages/s ({spread(decoding)})")
    print(f"pixel checks:        {pages / min(checking):8.1f} pages/s ({spread(checking)}), one process "
          f"→ ratio {min(decoding) / min(checking):.2f} / "
          f"{statistics.median(decoding) / statistics.median(checking):.2f} (min/median; goal ≥ 0.4)")
    print(f"pixel checks:        {pages / min(pooled):8.1f} pages/s ({spread(pooled)}), {workers} processes "
          "(scans qc)")

if __name__ == "__main__":
    main()
