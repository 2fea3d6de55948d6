"""OCR suggestions measured end to end: forms printed for a demo township, scanned badly, read
by `scans suggest`, compared with the truth kept beside them.

    python bench/ocr_bench.py [--households 30] [--seed 1]

For each household three forms are rendered with the bundled 宋体 as they are printed — a
承包方调查表 (title, the head's name, an ID number, the 承包方编码, the members' names), a
承包合同 (title, the 发包方, the head's name, the contract code) and a 公示结果归户表 (title,
the head's name and the parcels) — then degraded as scanners do: 300 or 200 dpi, a turn of up
to ±1.5°, blur, noise, JPEG at quality 55–90, and on some pages a red stamp over the text.
Files them unnamed (IMG_0001.jpg …) into the inbox, runs the suggestions and reports: the
share of pages whose top suggestion is the right household, the share with the right document
type, the wrong links at the auto-link threshold, the character error rate on names and ID
numbers, and the pages read per second beside the OCR engine alone run once on each page.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402
from sqlalchemy import text  # noqa: E402

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402
from archive_tui.services.exchange.demo import fill_demo  # noqa: E402
from archive_tui.services.intake.page_suggest import AUTO_LINK, suggest_pages  # noqa: E402
from archive_tui.services.intake.scans import ingest_once  # noqa: E402
from tests.fixtures.seeded_pages import font  # noqa: E402


def levenshtein(first: str, second: str) -> int:
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def errors_in(truth: str, read: str) -> int:
    """Edits from ``truth`` to the closest stretch of one line read (as long as the truth, ±2)."""
    best = len(truth)
    for line in read.replace(" ", "").splitlines():
        if truth in line:
            return 0
        for start in range(max(1, len(line) - len(truth) + 3)):
            for length in (len(truth) - 1, len(truth), len(truth) + 1):
                if length > 0:
                    best = min(best, levenshtein(truth, line[start:start + length]))
    return best


def page(dpi: int, title: str, lines: list[str], rng: random.Random) -> Image.Image:
    scale = dpi / 150
    width, height = int(1240 * scale), int(1754 * scale)
    image = Image.new("RGB", (width, height), (250, 250, 247))
    draw = ImageDraw.Draw(image)
    draw.text((width // 2 - int(40 * scale) * len(title) // 2, int(140 * scale)), title, font=font(int(44 * scale)),
              fill=(20, 20, 20))
    for number, line in enumerate(lines):
        y = int((300 + 64 * number) * scale)
        draw.line((int(110 * scale), y - 8, width - int(110 * scale), y - 8), fill=(90, 90, 90), width=2)
        draw.text((int(130 * scale), y), line, font=font(int(28 * scale)), fill=(30, 30, 30))
    if rng.random() < 0.3:  # a red stamp over part of the text
        x, y = rng.randint(int(600 * scale), int(900 * scale)), rng.randint(int(280 * scale), int(500 * scale))
        size = int(220 * scale)
        draw.ellipse((x, y, x + size, y + size), outline=(200, 30, 30), width=int(6 * scale))
        draw.text((x + size // 5, y + size // 2 - 20), "村民委员会", font=font(int(26 * scale)), fill=(200, 30, 30))
    image = image.rotate(rng.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC, fillcolor=(250, 250, 247))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.8)))
    noise = Image.effect_noise(image.size, rng.uniform(4, 10)).convert("RGB")
    from PIL import ImageChops

    return ImageChops.add(image, noise, scale=1.0, offset=-128)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    folder = Path(tempfile.mkdtemp(prefix="ocr-bench-"))
    write_default_config(folder / "config.toml")
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    fill_demo(context_for(engine, config), households=options.households, seed=options.seed)
    with engine.connect() as connection:
        households = connection.execute(text(
            "SELECT h.id, h.code, h.name, i.name AS issuer FROM household h JOIN issuer i ON i.id = h.issuer_id"
            " ORDER BY h.code")).all()
        members = {}
        for row in connection.execute(text("SELECT household_id, name, id_number FROM member ORDER BY position")):
            members.setdefault(row.household_id, []).append((row.name, row.id_number))
        contracts = dict(connection.execute(text("SELECT household_id, code FROM contract")).all())
        files = dict(connection.execute(text("SELECT household_id, id FROM archive_file")).all())
    config.inbox.mkdir(exist_ok=True)
    truth: dict[str, tuple[int, str, list[str]]] = {}
    number = 0
    for household in households:
        people = members.get(household.id, [])
        with_id = [person for person in people if person[1]]
        named_id = rng.choice(with_id)[1] if with_id else ""
        forms = [
            ("03", "承包方调查表", [f"承包方代表姓名：{household.name}", f"身份证号码：{named_id}",
                                   f"承包方编码：{household.code}",
                                   "家庭成员：" + "、".join(person[0] for person in people[:4])]),
            ("07", "农村土地承包合同", [f"发包方：{household.issuer}", f"承包方：{household.name}",
                                       f"合同编号：{contracts.get(household.id, '')}"]),
            ("06", "公示结果归户表", [f"承包方代表：{household.name}", "地块名称  面积（亩）  四至",
                                     "东大块  2.35  东至路 南至渠", "西坡地  1.10  东至李地 西至河"]),
        ]
        for doc_type, title, lines in forms:
            number += 1
            dpi = rng.choice((300, 200))
            name = f"IMG_{number:04d}.jpg"
            path = config.inbox / name
            page(dpi, title, lines, rng).save(path, dpi=(dpi, dpi), quality=rng.randint(55, 90))
            os.utime(path, (time.time() - 60,) * 2)
            strings = [household.name] + ([named_id] if doc_type == "03" and named_id else [])
            truth[name] = (files[household.id], doc_type, strings)
    print(f"rendered {len(truth)} pages; the OCR engine alone on them, then filing them …", flush=True)
    baseline = engine_alone_seconds(sorted(config.inbox.glob("IMG_*.jpg")))
    ingest_once(context_for(engine, config))
    started = time.perf_counter()
    report = suggest_pages(context_for(engine, config))
    elapsed = time.perf_counter() - started
    with engine.connect() as connection:
        read = {row.source_name: row for row in connection.execute(text(
            "SELECT source_name, ocr_text, suggested_file_id, suggested_doc_type, suggestion_confidence"
            " FROM scan_page WHERE status = 'unassigned'"))}
    right = doc_right = wrong_links = auto = 0
    name_errors = name_chars = id_errors = id_chars = 0
    for name, (file_id, doc_type, strings) in truth.items():
        row = read[name]
        right += row.suggested_file_id == file_id
        doc_right += row.suggested_doc_type == doc_type
        if row.suggestion_confidence is not None and row.suggestion_confidence >= AUTO_LINK:
            auto += 1
            wrong_links += row.suggested_file_id != file_id
        for string in strings:
            errors = errors_in(string, row.ocr_text)
            if string.isdigit() or string[:17].isdigit():
                id_errors, id_chars = id_errors + errors, id_chars + len(string)
            else:
                name_errors, name_chars = name_errors + errors, name_chars + len(string)
    pages = len(truth)
    print(f"{platform.machine()} Python {platform.python_version()}, {pages} pages of {len(households)} households, "
          f"seed {options.seed}; 300/200 dpi, ±1.5°, blur, noise, JPEG 55–90, stamps on some")
    print(f"read {report.read} pages in {elapsed:.1f} s: {pages / elapsed:.2f} pages/s "
          f"({elapsed / pages:.2f} s a page); the engine alone once on each page (the limit) "
          f"{pages / baseline:.2f} pages/s → ratio {baseline / elapsed:.2f}")
    print(f"top suggestion the right household: {right}/{pages} = {right / pages:.1%} (goal ≥ 95 %)")
    print(f"right document type:                {doc_right}/{pages} = {doc_right / pages:.1%} (goal ≥ 95 %)")
    print(f"at the auto-link threshold {AUTO_LINK}: {auto} pages would be linked, {wrong_links} wrongly (goal 0)")
    print(f"character error rate: names {name_errors}/{name_chars} = {name_errors / max(1, name_chars):.2%}, "
          f"ID numbers {id_errors}/{id_chars} = {id_errors / max(1, id_chars):.2%}")


def engine_alone_seconds(paths: list[Path]) -> float:
    """The baseline: RapidOCR run once on each page as the suggestions decode it, nothing else
    (no turning, no matching); the engine loaded before the clock starts."""
    from archive_tui.scanning.ocr import engine as ocr_engine
    from archive_tui.scanning.ocr import page_picture, read_picture

    ocr_engine()
    started = time.perf_counter()
    for path in paths:
        read_picture(page_picture(path))
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
