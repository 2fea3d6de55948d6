"""卷内目录, 备考表 and the cover's new lines, from pages really scanned and filed."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import delete, select, update

from archive_tui.bootstrap import context_for
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.households.printing import print_covers
from archive_tui.services.quality.file_forms import print_contents, print_notes
from archive_tui.services.intake.scans import ingest_once
from models import ArchiveFile, Document
from tests.reports.pdf_reading import page_text, pages_of

DOCUMENT, FILE = Document.__table__, ArchiveFile.__table__


def scanned_page(path, shade: int) -> None:
    """A page as a scanner leaves it: a JPEG at 300 dpi, written a minute ago."""
    image = Image.new("L", (250, 350), 255)
    image.paste(shade, (20, 20, 230, 60 + shade % 50))  # every page different: no duplicates
    image.save(path, dpi=(300, 300))
    old = time.time() - 60
    os.utime(path, (old, old))


@pytest.fixture
def archive(engine, config):
    fill_demo(context_for(engine, config), households=6, seed=5)
    config.inbox.mkdir(exist_ok=True)
    return list_households(engine)


def documents_of(engine, archive_code):
    with engine.connect() as connection:
        return connection.execute(
            select(DOCUMENT).join(FILE, FILE.c.id == DOCUMENT.c.archive_file_id)
            .where(FILE.c.archive_code == archive_code).order_by(DOCUMENT.c.position, DOCUMENT.c.id)).all()


def text_of(path) -> str:
    return "".join(page_text(chars) for chars in pages_of(path))


def test_page_numbers_follow_the_pages_scanned_and_the_notes_say_where_they_differ(engine, config, archive,
                                                                                     tmp_path):
    household = archive[0]
    docs = documents_of(engine, household["archive_code"])
    first, second = docs[0], docs[1]
    scanned = first.page_count + 2  # two more pages scanned than the catalogue lists
    for seq in range(1, scanned + 1):
        scanned_page(config.inbox / f"{household['cbfbm']}_{first.doc_type}_{seq}.jpg", seq * 7)
    assert ingest_once(context_for(engine, config)).linked == scanned
    result = print_contents(engine, config, tmp_path / "目录.pdf", keys=[household["cbfbm"]])
    rows = PdfReader(result.path).pages[0].extract_text()
    assert f"1-{scanned}" in rows  # the first document: the pages as scanned
    after = f"{scanned + 1}-{scanned + second.page_count}" if second.page_count > 1 else str(scanned + 1)
    assert after in rows  # the second follows on, from its catalogue count
    notes = text_of(print_notes(engine, config, tmp_path / "备考.pdf", keys=[household["cbfbm"]]).path)
    total = scanned + sum(doc.page_count for doc in docs[1:])
    assert f"本卷共有文件{len(docs)}件，共{total}页" in notes
    assert f"{first.title}：目录{first.page_count}页，已挂接扫描{scanned}页，多2页" in notes  # as 质检 words it
    assert "缺少的必备文件：无" in notes and "已扫描的以扫描件计，其余按目录页数" in notes
    assert "立卷人" in notes and "检查人" in notes and "立卷时间" in notes


def test_the_notes_name_a_missing_required_document(engine, config, archive, tmp_path):
    household = archive[1]
    required = next(doc for doc in config.settings.documents if doc.required)
    with engine.begin() as connection:
        file_id = connection.execute(select(FILE.c.id).where(FILE.c.archive_code == household["archive_code"])
                                     ).scalar_one()
        connection.execute(delete(DOCUMENT).where(DOCUMENT.c.archive_file_id == file_id,
                                                  DOCUMENT.c.doc_type == required.code))
    notes = text_of(print_notes(engine, config, tmp_path / "备考.pdf", keys=[household["archive_code"]]).path)
    assert f"缺少的必备文件：{required.name}" in notes.replace(" ", "")


def test_the_cover_has_its_dates_and_document_count(engine, config, archive, tmp_path):
    household = archive[2]
    docs = documents_of(engine, household["archive_code"])
    with engine.begin() as connection:
        connection.execute(update(DOCUMENT).where(DOCUMENT.c.id == docs[0].id).values(dated=dt.date(2015, 3, 1)))
        connection.execute(update(DOCUMENT).where(DOCUMENT.c.id == docs[-1].id).values(dated=dt.date(2019, 6, 30)))
    result = print_covers(engine, config, tmp_path / "封面.pdf", keys=[household["cbfbm"]], separators=False)
    cover = page_text(pages_of(result.path)[0])
    assert "起止日期2015年3月1日至2019年6月30日" in cover and f"件数{len(docs)}" in cover
    assert "第1页共1页" in cover


def test_each_file_has_its_own_numbered_contents(engine, config, archive, tmp_path):
    result = print_contents(engine, config, tmp_path / "目录.pdf", village=archive[0]["village"])
    pages = [page_text(chars) for chars in pages_of(result.path)]
    files = [h for h in archive if h["village"] == archive[0]["village"]]
    assert result.files == len(files) and len(pages) >= len(files)
    assert all("卷内目录" in page and "序号文号责任者题名日期页号备注" in page for page in pages)
    assert [page for page in pages if files[0]["archive_code"] in page][0].endswith("第1页共1页")


def test_print_contents_and_notes_from_the_cli(cli, archive_dir):
    import json

    cli("demo", "--households", "3", cwd=archive_dir)
    first = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]
    made = cli("print", "contents", first["archive_code"], "--out", "卷内 目录.pdf", cwd=archive_dir)
    assert made.code == 0 and "1 卷" in made.out and (archive_dir / "卷内 目录.pdf").is_file()
    notes = cli("print", "notes", "--village", first["village"], cwd=archive_dir)
    assert notes.code == 0 and (archive_dir / "exports" / f"备考表-{first['village']}.pdf").is_file()
    unknown = cli("print", "notes", "130000000000000000", "--out", "x.pdf", cwd=archive_dir)
    assert unknown.code == 1 and "130000000000000000" in unknown.err and not (archive_dir / "x.pdf").exists()
