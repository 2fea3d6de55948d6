"""Pixel checks benchmark: every measure of archive_tui.scanning.pixels on 300-dpi A4 JPEGs,
beside `sha256sum` over the same files in the same run.

    python bench/qc_bench.py [--pages 60]

Renders form pages with Chinese text (the bundled 宋体), saves them as 300-dpi JPEGs (about
2480×3508), reads them once so they are in the page cache, then times `sha256sum` over all
of them and `measure()` over all of them. Prints pages per second for both and the ratio
(goal for the checks: ≥ 10 pages/s on a 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from concurrent.futures import ProcessPoolExecutor  # noqa: E402

from archive_tui.scanning.pixels import measure  # noqa: E402
from archive_tui.services.page_quality import _measure_one  # noqa: E402
from tests.fixtures.seeded_pages import form_page  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    pages = parser.parse_args().pages
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
    started = time.perf_counter()
    subprocess.run(["sha256sum", *map(str, paths)], check=True, stdout=subprocess.DEVNULL)
    hashing = time.perf_counter() - started
    started = time.perf_counter()
    for path in paths:
        measure(path, 300)
    checking = time.perf_counter() - started
    workers = os.cpu_count() or 1
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:  # as `scans qc` runs them
        list(pool.map(_measure_one, [(str(path), 300) for path in paths], chunksize=4))
    pooled = time.perf_counter() - started
    print(f"{platform.machine()} Python {platform.python_version()}, {pages} pages, {size / 1e6:.0f} MB")
    print(f"sha256sum:    {pages / hashing:8.1f} pages/s")
    print(f"pixel checks: {pages / checking:8.1f} pages/s  ({hashing / checking:.3f} × sha256sum), one process")
    print(f"pixel checks: {pages / pooled:8.1f} pages/s  ({hashing / pooled:.3f} × sha256sum), {workers} processes "
          "(scans qc)")


if __name__ == "__main__":
    main()
