"""Transfer benchmark: the hand-over list of a 5,000-file batch, a bag of 20,000 pages, and its 四性检测.

    python bench/transfers_bench.py [--files 5000] [--pages 20000] [--page-kb 60]

A demo township of ``--files`` households, all put on one batch; then ``--pages`` scan files
are written into the store and linked to those files: real JPEGs (12 rendered form pages of
A4 at 150 dpi, about ``--page-kb`` KB each, each written many times — every page is decoded by
the check, so they must be real images). In one run: the 移交清单 as PDF and XLSX, ``sha256sum`` over
the same store files (page cache warm, batches of 200), and ``transfers package`` (copy into
the bag, SHA-256 manifests with bagit, check against the hashes recorded at intake), and the
same with ``--link`` (hard links on the store's disk: no page data written).
Then ``transfers check`` on the bag (every file's digest, every image decoded, all 39 items).
Goal: bag throughput ≥ 0.5 × sha256sum; check throughput ≥ 0.5 × sha256sum.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import insert_rows, open_database  # noqa: E402
from archive_tui.services.transfers import transfer_forms  # noqa: E402
from archive_tui.services.transfers import transfers
from archive_tui.services.exchange.demo import fill_demo  # noqa: E402
from archive_tui.services.households.households import village_names  # noqa: E402
from archive_tui.services.transfers.bag_checks import check_bag  # noqa: E402
from archive_tui.services.transfers.transfer_bags import package  # noqa: E402
from bench.ingest_bench import sha256sum_seconds  # noqa: E402
from models import ArchiveFile, ScanPage  # noqa: E402


def timed(step):
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def real_pages(size_kb: int) -> list[bytes]:
    """Twelve form pages as JPEGs near ``size_kb`` KB (quality lowered until they fit)."""
    import io

    from tests.fixtures.seeded_pages import form_page

    pages = []
    for seed in range(12):
        page = form_page(seed).resize((1240, 1754))
        for quality in (90, 80, 70, 60, 50, 40):
            buffer = io.BytesIO()
            page.save(buffer, "JPEG", quality=quality, dpi=(150, 150))
            if buffer.tell() <= size_kb * 1024:
                break
        pages.append(buffer.getvalue())
    return pages


def write_pages(engine, config, count: int, size: int) -> list[Path]:
    samples = real_pages(size // 1024)
    with engine.connect() as connection:
        files = connection.execute(select(ArchiveFile.id, ArchiveFile.archive_code)
                                   .order_by(ArchiveFile.archive_code)).all()
    rows, paths = [], []
    for number in range(count):
        file_id, code = files[number % len(files)]
        seq = number // len(files) + 1
        path = config.store / "bench" / code / f"{code}-{seq:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = samples[number % len(samples)]
        path.write_bytes(data)
        paths.append(path)
        rows.append({"archive_file_id": file_id, "document_id": None,
                     "store_path": path.relative_to(config.root).as_posix(), "source_name": path.name,
                     "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "format": "JPEG", "width": 1240,
                     "height": 1754, "dpi": 150, "colour_mode": "colour", "page_index": 0, "seq": seq,
                     "status": "linked", "reason": ""})
    with engine.begin() as connection:
        insert_rows(connection, ScanPage.__table__, rows)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=20000)
    parser.add_argument("--page-kb", type=int, default=60)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="transfers-bench-") as tmp:
        folder = Path(tmp) / "archive"
        folder.mkdir()
        write_default_config(folder / "config.toml")
        config = load_config(folder / "config.toml")
        engine = open_database(config.database_url)
        fill_demo(context_for(engine, config), households=args.files, seed=5)
        number = transfers.new_batch(context_for(engine, config), transfers.Batch("县档案馆", handed_over_by="王档案"))
        for village in village_names(engine):
            transfers.add(context_for(engine, config), number, village=village, override="基准测试", skip_refused=True)
        files = transfers.show(engine, number)["files"]
        pdf_time, _ = timed(lambda: transfer_forms.manifest(context_for(engine, config), number, folder / "清单.pdf"))
        xlsx_time, _ = timed(lambda: transfer_forms.manifest(context_for(engine, config), number, folder / "清单.xlsx"))
        print(f"hand-over list of {files:,} files: PDF {pdf_time:.2f} s, XLSX {xlsx_time:.2f} s")
        paths = write_pages(engine, config, args.pages, args.page_kb * 1024)
        megabytes = sum(path.stat().st_size for path in paths) / 1e6
        sha256sum_seconds(paths)  # warm the page cache
        raw = sha256sum_seconds(paths)
        bag_time, bags = timed(lambda: package(context_for(engine, config), number, Path(tmp) / "bags"))
        link_time, _ = timed(lambda: package(context_for(engine, config), number, Path(tmp) / "linked", link=True))
        print(f"sha256sum of {args.pages:,} pages ({megabytes:.0f} MB): {raw:.2f} s ({megabytes / raw:.0f} MB/s)")
        print(f"transfers package:                  {bag_time:.2f} s ({megabytes / bag_time:.0f} MB/s) "
              f"→ ratio {raw / bag_time:.2f} (goal ≥ 0.5)")
        print(f"transfers package --link:           {link_time:.2f} s ({megabytes / link_time:.0f} MB/s) "
              f"→ ratio {raw / link_time:.2f}")
        print(f"bag: {bags[0].name}")
        check_time, report = timed(lambda: check_bag(bags[0], config))
        print(f"transfers check (39 items):         {check_time:.2f} s ({megabytes / check_time:.0f} MB/s) "
              f"→ ratio {raw / check_time:.2f} (goal ≥ 0.5); failed items: {[i.code for i in report.failed]}")
        engine.dispose()


if __name__ == "__main__":
    main()
