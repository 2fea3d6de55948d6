"""四性检测: a good bag passes every item; each mutation below makes exactly its item fail.

The good bag is made once by the real chain (intake → batch → package); each test copies it,
changes it the way a careless or hostile hand would, and re-manifests it with plain hashlib
where the change should get past the digests (as a forger would).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import update

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config
from archive_tui.db import open_database
from archive_tui.services.registers import record_items
from archive_tui.services.transfers import transfers
from archive_tui.services.transfers.bag_checks import FAIL, PASS, SKIP, WARN, check_bag
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import ingest_once
from archive_tui.services.transfers.transfer_bags import package
from models import ArchiveFile, Document

pytestmark = pytest.mark.sqlite_only


def _page(path: Path, shade: int, kind: str = "JPEG", dpi: int = 300) -> Path:
    image = Image.new("RGB", (200, 280), (shade, 120, 200 - shade // 2))
    if kind == "PDF":
        image.save(path, "PDF", resolution=dpi)
    else:
        image.save(path, kind, dpi=(dpi, dpi))
    os.utime(path, (time.time() - 60,) * 2)
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("township")
    write_default_config(folder / "config.toml")
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    fill_demo(context_for(engine, config), households=4, seed=3)
    households = list_households(engine)[:3]
    config.inbox.mkdir(exist_ok=True)
    for index, household in enumerate(households):
        for page in (1, 2):
            _page(config.inbox / f"{household['cbfbm']}_08_{page}.jpg", 30 * index + 10 * page)
    _page(config.inbox / f"{households[0]['cbfbm']}_07_3.pdf", 99, "PDF")
    items = [record_items.add_item(context_for(engine, config), record_items.NewItem("01", f"实施方案第{i}稿",
                                                                                     dt.date(2024, 3, i)))
             for i in (1, 2)]
    for number, code in enumerate(items, start=1):
        _page(config.inbox / f"{code}-1.jpg", 150 + number)
    ingest_once(context_for(engine, config))
    record_items.box_items(context_for(engine, config))
    with engine.begin() as connection:  # the 卷内目录 says what was scanned: 登记簿 2 pages (+ a 1-page 合同)
        table, files = Document.__table__, ArchiveFile.__table__
        connection.execute(update(table).values(page_count=0))
        connection.execute(update(table).where(table.c.doc_type == "08").values(page_count=2))
        connection.execute(update(files).values(page_count=0))
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in households] + items, override="测试用")
    [bag] = package(context_for(engine, config), number, folder / "bags", processes=1)
    engine.dispose()
    return config, bag


@pytest.fixture
def bag(archive, tmp_path):
    copy = tmp_path / "bag"
    shutil.copytree(archive[1], copy)
    return copy


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def retag(folder: Path) -> None:
    names = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"]
    (folder / "tagmanifest-sha256.txt").write_text(
        "".join(f"{sha(folder / name)}  {name}\n" for name in names if (folder / name).exists()), encoding="utf-8")


def remanifest(folder: Path) -> None:
    """What a forger does after an edit: every manifest and the Payload-Oxum made to agree again."""
    files = sorted(p for p in (folder / "data").rglob("*") if p.is_file() and not p.is_symlink())
    (folder / "manifest-sha256.txt").write_text(
        "".join(f"{sha(p)}  {p.relative_to(folder).as_posix()}\n" for p in files), encoding="utf-8")
    set_info(folder, "Payload-Oxum", f"{sum(p.stat().st_size for p in files)}.{len(files)}")


def set_info(folder: Path, key: str, value: str | None) -> None:
    lines = [line for line in (folder / "bag-info.txt").read_text(encoding="utf-8").splitlines()
             if not line.startswith(f"{key}:")]
    if value is not None:
        lines.append(f"{key}: {value}")
    (folder / "bag-info.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    retag(folder)


def edit_catalogue(folder: Path, change) -> None:
    path = folder / "data" / "catalogue" / "catalogue.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    remanifest(folder)


def jpeg_pages(folder: Path) -> list[Path]:
    return sorted((folder / "data" / "scans").rglob("*.jpg"))


def resize_in_catalogue(folder: Path, relative: str, **values) -> None:
    def change(data):
        for page in [*(p for entry in data["files"] for p in entry["pages"]),
                     *(p for item in data["items"] for p in item["page_files"])]:
            if page["path"] == relative:
                page.update(values)
    edit_catalogue(folder, change)


def failing(report) -> set[str]:
    return {item.code for item in report.items if item.result == FAIL}


def test_a_good_bag_passes_every_item(archive, bag):
    report = check_bag(bag, archive[0], digest=sha(bag / "tagmanifest-sha256.txt"))
    results = {item.code: item.result for item in report.items}
    assert len(results) >= 30 and failing(report) == set()
    assert results["AQ-04"] in (PASS, SKIP) and results["ZS-04"] == PASS
    assert set(report.by_property()) == {"真实性", "完整性", "可用性", "安全性"}
    skipped = [item.code for item in report.items if item.result == SKIP]
    conclusion = report.conclusion()
    assert conclusion.startswith("真实性通过，完整性通过，可用性通过，安全性通过")
    assert (f"（另有 {len(skipped)} 项未检：{'、'.join(skipped)}）" in conclusion) is bool(skipped)


def test_the_conclusion_names_the_items_not_checked(archive, bag):
    """No digest from the 交接文据 (ZS-04 未检): 真实性通过 is said with that item named."""
    conclusion = check_bag(bag, archive[0]).conclusion()
    assert "真实性通过" in conclusion and "未检：" in conclusion and "ZS-04" in conclusion.split("未检：")[1]


def _first_page_path(folder: Path) -> str:
    return jpeg_pages(folder)[0].relative_to(folder / "data").as_posix()


def m_zs01(folder):
    (folder / "bagit.txt").write_text("BagIt-Version: 0.5\nTag-File-Character-Encoding: Latin-1\n", encoding="utf-8")
    retag(folder)


def m_zs02(folder):
    csv_file = folder / "data" / "catalogue" / "documents.csv"
    raw = bytearray(csv_file.read_bytes())
    raw[-3] = ord("9") if raw[-3] != ord("9") else ord("8")  # one byte, same size
    csv_file.write_bytes(bytes(raw))


def m_zs03(folder):
    with (folder / "bag-info.txt").open("a", encoding="utf-8") as handle:
        handle.write("Contact-Phone: 13800000000\n")


def m_zs05(folder):
    edit_catalogue(folder, lambda data: data["files"][0].update(contractor_type="9"))


def m_zs06(folder):
    edit_catalogue(folder, lambda data: data["fonds"].update(code="Z999"))


def m_zs07(folder):
    path = folder / "data" / "catalogue" / "households.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    first = lines[1].split(",")
    first[1] = "冒名顶替"
    lines[1] = ",".join(first)
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    remanifest(folder)


def m_zs08(folder):
    edit_catalogue(folder, lambda data: data["files"][0]["documents"][0].update(dated="2999-01-01"))


def m_zs09(folder):
    relative = _first_page_path(folder)
    resize_in_catalogue(folder, relative, size=(folder / "data" / relative).stat().st_size + 1)


def m_zs10(folder):
    resize_in_catalogue(folder, _first_page_path(folder), format="TIFF")


def m_zs11(folder):
    resize_in_catalogue(folder, _first_page_path(folder), dpi=600)


def m_zs12(folder):
    def change(data):
        entry = data["files"][0]
        ghost = dict(entry["pages"][-1], seq=len(entry["pages"]) + 1, doc_type=None,
                     path=f"scans/{entry['archive_code']}/ghost.jpg")
        entry["pages"].append(ghost)
    edit_catalogue(folder, change)
    pages = folder / "data" / "catalogue" / "pages.csv"
    pages.write_text(pages.read_text(encoding="utf-8-sig") + "x,9,,ghost,0,0,JPEG,300\n", encoding="utf-8-sig")
    remanifest(folder)


def m_zs13(folder):
    shutil.copyfile(jpeg_pages(folder)[0], jpeg_pages(folder)[0].with_name("另一页.jpg"))
    remanifest(folder)


def m_zs14(folder):
    set_info(folder, "External-Identifier", "130123101-YJ2026-999")


def m_wz01(folder):
    set_info(folder, "Payload-Oxum", "1.1")


def m_wz02(folder):
    extra = folder / "data" / "catalogue" / "notes.csv"
    extra.write_text("备注\n", encoding="utf-8")
    files = [p for p in (folder / "data").rglob("*") if p.is_file()]
    set_info(folder, "Payload-Oxum", f"{sum(p.stat().st_size for p in files)}.{len(files)}")


def m_wz03(folder):
    edit_catalogue(folder, lambda data: data["files"][1].update(volume_no=data["files"][0]["volume_no"]))


def m_wz04(folder):
    edit_catalogue(folder, lambda data: data["files"][1]["pages"][1].update(seq=5))


def m_wz05(folder):
    edit_catalogue(folder, lambda data: data["items"][1].update(piece_no=data["items"][0]["piece_no"]))


def m_wz06(folder):
    edit_catalogue(folder, lambda data: data["files"][0].update(documents=[
        doc for doc in data["files"][0]["documents"] if doc["doc_type"] != "02"]))


def m_wz07(folder):
    edit_catalogue(folder, lambda data: [doc.update(page_count=5) for doc in data["files"][1]["documents"]
                                         if doc["doc_type"] == "08"])


def m_wz08(folder):
    edit_catalogue(folder, lambda data: data["files"][1].update(page_count=7))


def m_wz09(folder):
    edit_catalogue(folder, lambda data: data["files"][0].update(title=""))


def m_wz10(folder):
    set_info(folder, "Bagging-Date", None)


def m_wz11(folder):
    pages = folder / "data" / "catalogue" / "pages.csv"
    pages.write_text("".join(pages.read_text(encoding="utf-8-sig").splitlines(keepends=True)[:-1]),
                     encoding="utf-8-sig")
    remanifest(folder)


def _replace_page(folder, data: bytes, **catalogue) -> None:
    target = jpeg_pages(folder)[0]
    target.write_bytes(data)
    resize_in_catalogue(folder, target.relative_to(folder / "data").as_posix(), size=len(data), **catalogue)


def m_ky01(folder):
    raw = jpeg_pages(folder)[0].read_bytes()
    _replace_page(folder, raw[: len(raw) // 2])


def m_ky02(folder):
    [pdf] = (folder / "data" / "scans").rglob("*.pdf")
    raw = pdf.read_bytes()[:200]
    pdf.write_bytes(raw)
    resize_in_catalogue(folder, pdf.relative_to(folder / "data").as_posix(), size=len(raw))


def m_ky03(folder):
    path = folder / "x.png"
    Image.new("RGB", (200, 280), "white").save(path, "PNG", dpi=(300, 300))
    data = path.read_bytes()
    path.unlink()
    _replace_page(folder, data, format="PNG")


def m_ky04(folder):
    (folder / "data" / "catalogue" / "乱码.csv").write_bytes(b"\x80\x80\xff\xfe\x81")
    remanifest(folder)


def m_ky05(folder):
    from pypdf import PdfReader, PdfWriter

    [pdf] = (folder / "data" / "scans").rglob("*.pdf")
    writer = PdfWriter(clone_from=PdfReader(str(pdf)))
    writer.encrypt("口令")
    with pdf.open("wb") as handle:
        writer.write(handle)
    resize_in_catalogue(folder, pdf.relative_to(folder / "data").as_posix(), size=pdf.stat().st_size)


def m_ky06(folder):
    path = folder / "x.tif"
    Image.new("RGB", (200, 280), "white").save(path, "TIFF", dpi=(300, 300), compression="zstd")  # no viewer
    data = path.read_bytes()
    path.unlink()
    _replace_page(folder, data, format="TIFF")


def m_ky07(folder):
    path = folder / "x.jpg"
    Image.new("RGB", (200, 280), "white").save(path, "JPEG", dpi=(150, 150))
    data = path.read_bytes()
    path.unlink()
    _replace_page(folder, data, dpi=150)


def m_aq01(folder):
    (folder / "data" / "catalogue" / "run.csv").write_bytes(b"MZ this is a program")
    remanifest(folder)


def m_aq02(folder):
    (folder / "data" / "other").mkdir()
    (folder / "data" / "other" / "readme.txt").write_text("hello", encoding="utf-8")
    remanifest(folder)


def m_aq03(folder):
    os.symlink("/etc/hostname", folder / "data" / "catalogue" / "link.csv")


def m_aq05(folder):
    os.chmod(jpeg_pages(folder)[0], 0o666)


def m_aq06(folder):
    deep = folder / "data" / "catalogue" / "/".join(["a" * 40] * 5)  # > 260 characters: Windows cannot open it
    deep.mkdir(parents=True)
    (deep / "x.csv").write_text("a\n", encoding="utf-8")
    remanifest(folder)


def m_aq07(folder):
    (folder / "data" / "catalogue" / "CON.csv").write_text("a\n", encoding="utf-8")
    remanifest(folder)


MUTATIONS = {"ZS-01": m_zs01, "ZS-02": m_zs02, "ZS-03": m_zs03, "ZS-05": m_zs05, "ZS-06": m_zs06, "ZS-07": m_zs07,
             "ZS-08": m_zs08, "ZS-09": m_zs09, "ZS-10": m_zs10, "ZS-11": m_zs11, "ZS-12": m_zs12, "ZS-13": m_zs13,
             "ZS-14": m_zs14, "WZ-01": m_wz01, "WZ-02": m_wz02, "WZ-03": m_wz03, "WZ-04": m_wz04, "WZ-05": m_wz05,
             "WZ-06": m_wz06, "WZ-07": m_wz07, "WZ-08": m_wz08, "WZ-09": m_wz09, "WZ-10": m_wz10, "WZ-11": m_wz11,
             "KY-01": m_ky01, "KY-02": m_ky02, "KY-03": m_ky03, "KY-04": m_ky04, "KY-05": m_ky05, "KY-06": m_ky06,
             "AQ-01": m_aq01, "AQ-02": m_aq02, "AQ-03": m_aq03, "AQ-05": m_aq05, "AQ-06": m_aq06, "AQ-07": m_aq07}


@pytest.mark.parametrize("code", sorted(MUTATIONS))
def test_each_mutation_fails_exactly_its_item(archive, bag, code):
    MUTATIONS[code](bag)
    report = check_bag(bag, archive[0])
    assert failing(report) == {code}, [(i.code, i.details[:2]) for i in report.items if i.result == FAIL]


def test_a_bag_remanifested_after_printing_is_refused_by_the_printed_digest(archive, bag):
    printed = sha(bag / "tagmanifest-sha256.txt")
    m_zs09(bag)  # an edit, with every manifest recomputed: only the printed digest tells
    report = check_bag(bag, archive[0], digest=printed)
    assert "ZS-04" in failing(report) and "ZS-02" not in failing(report) and "ZS-03" not in failing(report)
    with pytest.raises(Exception, match="64 位十六进制"):
        check_bag(bag, archive[0], digest="不是摘要")


def test_a_low_resolution_page_is_a_warning(archive, bag):
    m_ky07(bag)
    report = check_bag(bag, archive[0])
    assert failing(report) == set() and {i.code: i.result for i in report.items}["KY-07"] == WARN


def test_the_virus_scan_says_when_no_scanner_is_installed_and_uses_one_that_is(archive, bag, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert {i.code: i.result for i in check_bag(bag, archive[0]).items}["AQ-04"] == SKIP
    scanner = tmp_path / "bin" / "clamscan"  # a stand-in that reports the EICAR test file, as ClamAV does
    scanner.parent.mkdir()
    scanner.write_text('#!/bin/sh\necho "$3/x.jpg: Eicar-Test-Signature FOUND"\nexit 1\n', encoding="utf-8")
    scanner.chmod(0o755)
    monkeypatch.setenv("PATH", str(scanner.parent))
    report = check_bag(bag, archive[0])
    virus = next(item for item in report.items if item.code == "AQ-04")
    assert failing(report) == {"AQ-04"} and "Eicar" in virus.details[0]


@pytest.fixture
def township(archive, tmp_path):
    """A copy of the whole archive folder (config, database, store) to change."""
    folder = tmp_path / "乡镇"
    shutil.copytree(archive[0].root, folder, ignore=shutil.ignore_patterns("bags"))
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    yield config, engine, archive[1].name
    engine.dispose()


def test_a_batch_is_checked_with_its_report_and_register(township, tmp_path):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from archive_tui.audit import log
    from archive_tui.services.transfers.transfer_checks import check_transfer

    config, engine, number = township
    report, register = check_transfer(context_for(engine, config), number, carrier="移动硬盘",
                                      out=tmp_path / "检测.pdf")
    assert failing(report) == set() and register["载体"] == "移动硬盘" and register["数据量"].endswith("字节）")
    assert register["数量"].startswith("案卷 3 卷，综合档案 2 件，扫描件 9 页")
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "检测.pdf").pages).replace("\n", "")
    assert "四性检测报告" in text and "电子档案移交与接收登记表" in text and report.digest in text
    assert "AQ-07" in text and "接收单位（盖章）" in text
    check_transfer(context_for(engine, config), number, out=tmp_path / "检测.xlsx")
    book = load_workbook(tmp_path / "检测.xlsx")
    assert book.sheetnames == ["四性检测", "问题明细", "登记表"]
    actions = [event["action"] for event in log(engine, entity_key=number, limit=None)]
    assert actions.count("transfer.check") == 2 and actions.count("transfer.package") == 1  # the check's bag is aside
    assert not any(p.name.startswith("四性检测-") for p in config.exports.iterdir())  # and removed


def test_a_batch_whose_check_failed_is_sent_only_with_a_reason(township):
    from sqlalchemy import update as sql_update

    from archive_tui.core.errors import ArchiveError
    from archive_tui.services.transfers.transfer_checks import check_transfer
    from archive_tui.services.transfers.transfers import send, show

    config, engine, number = township
    with engine.begin() as connection:  # a 卷内目录 that no longer agrees with the scans
        connection.execute(sql_update(ArchiveFile.__table__).values(page_count=9))
    report, _register = check_transfer(context_for(engine, config), number)
    assert "WZ-08" in failing(report)
    with pytest.raises(ArchiveError, match="完整性不通过"):
        send(context_for(engine, config), number)
    assert show(engine, number)["status"] == "draft"
    assert send(context_for(engine, config), number, override="卷内目录页数待县里核对") == 5


def test_the_printed_digest_binds_the_bag_at_receipt(township, archive, tmp_path):
    from archive_tui.core.errors import ArchiveError
    import zxingcpp
    from archive_tui.services.transfers.transfer_bags import receive
    from archive_tui.services.transfers.transfer_forms import manifest
    from tests.conftest import another_archive, render_pdf_page, table_counts

    config, engine, number = township
    [bag] = package(context_for(engine, config), number, tmp_path / "bags", processes=1)
    printed = manifest(context_for(engine, config), number, tmp_path / "交接.pdf").path
    last = render_pdf_page(printed, len(__import__("pypdf").PdfReader(printed).pages) - 1, dpi=200)
    codes = [code.text for code in zxingcpp.read_barcodes(last)]  # as a phone or a barcode gun reads the paper
    assert f"SHA-256:{sha(bag / 'tagmanifest-sha256.txt')}" in codes
    county_config, county_engine = another_archive(tmp_path / "县档案馆")
    forged = tmp_path / "forged"
    shutil.copytree(bag, forged)
    m_zs09(forged)  # altered and re-manifested after the paper was signed
    before = table_counts(county_engine)
    with pytest.raises(ArchiveError, match="与交接文据上的"):
        receive(context_for(county_engine, county_config), forged, digest=codes[0])
    assert table_counts(county_engine) == before
    assert receive(context_for(county_engine, county_config), bag, digest=codes[0]).new_files == 3
    county_engine.dispose()


def test_a_wrong_printed_digest_fails_only_its_item_and_sm3_is_accepted(archive, bag):
    import hashlib

    assert failing(check_bag(bag, archive[0], digest="0" * 64)) == {"ZS-04"}
    sm3 = hashlib.new("sm3", (bag / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    results = {item.code: item.result for item in check_bag(bag, archive[0], digest=f"SM3:{sm3}").items}
    assert results["ZS-04"] == PASS
    assert failing(check_bag(bag, archive[0], digest=f"SM3:{sha(bag / 'tagmanifest-sha256.txt')}")) == {"ZS-04"}


def test_the_report_states_every_problems_true_count(township, bag, tmp_path):
    """1,234 problems of one item: the PDF says so and lists the first 50 under that total, the
    workbook and the JSON hold all of them; times in Chinese form; the unit by its full name."""
    import re

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from archive_tui.services.transfers.transfer_checks import check_report, check_transfer

    config, engine, number = township

    def ghosts(data):
        entry = data["files"][0]
        for n in range(1234):
            entry["pages"].append(dict(entry["pages"][-1], seq=len(entry["pages"]) + 1, doc_type=None,
                                       path=f"scans/{entry['archive_code']}/ghost{n:04d}.jpg"))
    edit_catalogue(bag, ghosts)
    report, register = check_transfer(context_for(engine, config), str(bag), out=tmp_path / "检测.pdf")
    [zs12] = [item for item in report.items if item.code == "ZS-12"]
    assert zs12.result == FAIL and len(zs12.details) == 1234
    text = "".join("".join(page.extract_text() for page in PdfReader(tmp_path / "检测.pdf").pages).split())
    assert "共1,234处，以下列出前50处" in text and "共1,234处（问题明细列出前50处）" in text
    assert "ghost0049.jpg" in text and "ghost0050.jpg" not in text and "共50处" not in text
    assert "问题明细" in text and re.search(r"\d{4}-\d\d-\d\dT", text) is None and "检测时间：2026年" in text
    assert register["移交单位"] == config.settings.township_full_name == "正定县城关镇人民政府"
    assert "移交单位正定县城关镇人民政府" in text
    book = load_workbook(check_report(engine, config, number, tmp_path / "检测.xlsx"))
    details = [row for row in book["问题明细"].iter_rows(min_row=3, values_only=True) if row[0] == "ZS-12"]
    assert len(details) == 1234 and details[-1][3].endswith("ghost1233.jpg 在包中没有文件")
    items = {row[0]: row for row in book["四性检测"].iter_rows(values_only=True) if row and row[0]}
    assert "共 1,234 处" in items["ZS-12"][4]
    data = json.loads(check_report(engine, config, number, tmp_path / "检测.json").read_text(encoding="utf-8"))
    [item] = [item for item in data["items"] if item["code"] == "ZS-12"]
    assert item["count"] == len(item["details"]) == 1234
    assert (tmp_path / "检测.pdf").read_bytes() == check_report(engine, config, number, tmp_path / "again.pdf"
                                                                ).read_bytes()  # the report as kept
