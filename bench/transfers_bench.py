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
from collections import Counter
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update  # noqa: E402

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import insert_rows, open_database  # noqa: E402
from archive_tui.services.transfers import transfer_forms  # noqa: E402
from archive_tui.services.transfers import transfers
from archive_tui.services.exchange.demo import fill_demo  # noqa: E402
from archive_tui.services.households.households import village_names  # noqa: E402
from archive_tui.services.transfers.bag_checks import check_bag  # noqa: E402
from archive_tui.services.transfers.transfer_bags import package  # noqa: E402
from bench.ingest_bench import CLI, hashlib_seconds, spread  # noqa: E402
from models import ArchiveFile, Document, ScanPage  # noqa: E402


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
    """``count`` pages filed into the files in turn, each page in one of its file's documents, and the
    卷内目录 made to say what was scanned (a document's and a file's page counts; every required
    document listed): the bag of such an archive passes its own 四性检测."""
    samples = real_pages(size // 1024)
    document, archive_file = Document.__table__, ArchiveFile.__table__
    required = [doc.code for doc in config.settings.documents if doc.required]
    with engine.begin() as connection:
        files = connection.execute(select(archive_file.c.id, archive_file.c.archive_code)
                                   .order_by(archive_file.c.archive_code)).all()
        listed = {(row.archive_file_id, row.doc_type)
                  for row in connection.execute(select(document.c.archive_file_id, document.c.doc_type))}
        insert_rows(connection, document, [{"archive_file_id": file_id, "doc_type": code, "position": 90 + index}
                                           for file_id, _code in files for index, code in enumerate(required)
                                           if (file_id, code) not in listed])
        documents: dict[int, list[tuple[int, str]]] = {}
        for row in connection.execute(select(document.c.id, document.c.archive_file_id, document.c.doc_type)
                                      .order_by(document.c.archive_file_id, document.c.position, document.c.id)):
            documents.setdefault(row.archive_file_id, []).append((row.id, row.doc_type))
    rows, paths, pages_of_document, pages_of_file = [], [], Counter(), Counter()
    for number in range(count):
        file_id, code = files[number % len(files)]
        seq = number // len(files) + 1
        document_id, _doc_type = documents[file_id][(seq - 1) % len(documents[file_id])]
        path = config.store / "bench" / code / f"{code}-{seq:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = samples[number % len(samples)]
        path.write_bytes(data)
        paths.append(path)
        pages_of_document[document_id] += 1
        pages_of_file[file_id] += 1
        rows.append({"archive_file_id": file_id, "document_id": document_id,
                     "store_path": path.relative_to(config.root).as_posix(), "source_name": path.name,
                     "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "format": "JPEG", "width": 1240,
                     "height": 1754, "dpi": 150, "colour_mode": "colour", "page_index": 0, "seq": seq,
                     "status": "linked", "reason": ""})
    with engine.begin() as connection:
        insert_rows(connection, ScanPage.__table__, rows)
        connection.execute(update(document).values(page_count=0, page_start=None, page_end=None))
        for document_id, pages in pages_of_document.items():
            connection.execute(update(document).where(document.c.id == document_id).values(page_count=pages))
        for file_id, pages in pages_of_file.items():
            connection.execute(update(archive_file).where(archive_file.c.id == file_id).values(page_count=pages))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=20000)
    parser.add_argument("--page-kb", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
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
        hashlib_seconds(paths)  # warm the page cache
        raw = hashlib_seconds(paths)
        bag_time, bags = timed(lambda: package(context_for(engine, config), number, Path(tmp) / "bags"))
        link_time, _ = timed(lambda: package(context_for(engine, config), number, Path(tmp) / "linked", link=True))
        print(f"hashlib over {args.pages:,} pages ({megabytes:.0f} MB): {raw:.2f} s ({megabytes / raw:.0f} MB/s)")
        print(f"transfers package:                  {bag_time:.2f} s ({megabytes / bag_time:.0f} MB/s) "
              f"→ ratio {raw / bag_time:.2f} (goal ≥ 0.5)")
        print(f"transfers package --link:           {link_time:.2f} s ({megabytes / link_time:.0f} MB/s) "
              f"→ ratio {raw / link_time:.2f}")
        print(f"bag: {bags[0].name}")
        report = check_bag(bags[0], config)
        failed = [f"{item.code} {item.details[:2]}" for item in report.failed]
        bag_files = [path for path in bags[0].rglob("*") if path.is_file()]
        hashing, decoding, checking = [], [], []
        images = [path for path in bag_files if path.suffix.lower() == ".jpg"]
        for _ in range(args.repeat):
            hashing.append(hashlib_seconds(bag_files))
            decoding.append(hashlib_seconds(bag_files) + hashlib_seconds(images, decode=True, scale=8)
                            - hashlib_seconds(images))
            started = time.perf_counter()
            subprocess.run([*CLI, "--config", str(folder / "config.toml"), "transfers", "check", str(bags[0])],
                           stdout=subprocess.DEVNULL)
            checking.append(time.perf_counter() - started)
        print(f"hashlib over the bag ({len(bag_files):,} files): {spread(hashing)}")
        print(f"transfers check (process):          {spread(checking)} ({megabytes / min(checking):.0f} MB/s) "
              f"→ ratio {min(hashing) / min(checking):.2f} / "
              f"{statistics.median(hashing) / statistics.median(checking):.2f} (min/median; goal ≥ 0.5)")
        print(f"hashlib + every image decoded (draft 1/8, what KY-01 needs at least), one process: "
              f"{spread(decoding)} → the check's ratio to it {min(decoding) / min(checking):.2f} / "
              f"{statistics.median(decoding) / statistics.median(checking):.2f}")
        print(f"failed items: {failed or 'none'}")
        engine.dispose()


if __name__ == "__main__":
    main()
