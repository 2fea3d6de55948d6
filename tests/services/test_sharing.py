"""复制共享: a package the natural-resources department can check file by file, then only what changed."""

from __future__ import annotations

import csv
import datetime as dt
import os
import time

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.scanning.probe import sha256_of
from archive_tui.audit import log
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.editing import update_household
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import ingest_once
from archive_tui.services.exchange.sharing import ShareRequest, list_shares, new_share
from tests.conftest import table_counts

TO = "正定县自然资源局"


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=6, seed=8)
    return list_households(engine)


def file_pages(config, household, docs=("08", "07", "02")):
    """One scanned page per document type, named 承包方编码_类型_页 as the scanner station writes them."""
    config.inbox.mkdir(exist_ok=True)
    for number, doc in enumerate(docs, start=1):
        path = config.inbox / f"{household['cbfbm']}_{doc}_{number}.jpg"
        Image.new("RGB", (200, 280), (30 * number, 90, 160)).save(path, dpi=(300, 300))
        os.utime(path, (time.time() - 60,) * 2)


def sheet_rows(path, name):
    sheet = load_workbook(path)[name]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.sqlite_only
def test_a_share_holds_the_tables_ledger_and_pages_with_a_list_both_sides_can_check(engine, config, township):
    file_pages(config, township[0])
    ingest_once(context_for(engine, config))
    result = new_share(context_for(engine, config), ShareRequest(TO))
    folder = result.folder
    assert (result.number, result.households) == (f"共享{dt.date.today().year}-001", 6)
    pages = sorted(p.name for p in (folder / "扫描件" / township[0]["archive_code"]).iterdir())
    assert len(pages) == 2  # 登记簿 and 合同; the ID-card copy (02) is not shared
    households = sheet_rows(folder / "国家表.xlsx", "CBF")
    header = households[0]
    assert len(households) == 7 and {row[header.index("LXDH")] for row in households[1:]} == {None}
    assert all(row[header.index("CBFZJHM")] for row in households[1:])  # the rights holders' ID numbers stay
    ledger = sheet_rows(folder / "发证台账.xlsx", "发证台账")
    start = next(i for i, row in enumerate(ledger) if row[0] == "证书编码") + 1
    assert {row[2] for row in ledger[start:]} == {household["cbfbm"] for household in township}
    with (folder / "资料清单.csv").open(encoding="utf-8-sig") as handle:
        listed = list(csv.DictReader(handle))
    assert len(listed) == result.files == 4
    assert all(sha256_of(folder / row["文件"])[0] == row["SHA-256"] for row in listed)
    text = "".join(page.extract_text() for page in PdfReader(folder / "资料清单.pdf").pages).replace("\n", "")
    assert result.digest in text and "接收单位（盖章）" in text and TO in text
    assert sha256_of(folder / "资料清单.csv")[0] == result.digest
    [shown] = list_shares(engine)
    assert (shown["to"], shown["households"], shown["digest"]) == (TO, 6, result.digest)
    assert [event["action"] for event in log(engine, entity_key=result.number, limit=None)] == ["share.new"]


def test_an_incremental_share_holds_only_what_changed(engine, config, township, tmp_path):
    first = new_share(context_for(engine, config), ShareRequest(TO), tmp_path / "一")
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match="没有可共享的内容"):
        new_share(context_for(engine, config), ShareRequest(TO, since_share=first.number), tmp_path / "二")
    assert table_counts(engine) == before and not (tmp_path / "二").exists()
    update_household(context_for(engine, config), township[2]["cbfbm"], {"address": "东庄村南街 8 号"})
    second = new_share(context_for(engine, config), ShareRequest(TO, since_share=first.number), tmp_path / "二")
    codes = [row[0] for row in sheet_rows(second.folder / "国家表.xlsx", "CBF")[1:]]
    assert codes == [township[2]["cbfbm"]] and second.households == 1
    dated = new_share(context_for(engine, config), ShareRequest(TO, since=dt.date.today()), tmp_path / "三")
    assert dated.households == 6  # imported (files opened) today: every household has a dated change
    assert [row["since"] for row in list_shares(engine)] == ["", first.number, dt.date.today().isoformat()]


@pytest.mark.parametrize(("request_", "message"), [
    (ShareRequest(" "), "接收单位"),
    (ShareRequest(TO, village="不存在村"), "找不到村"),
    (ShareRequest(TO, since_share="共享1999-001"), "找不到共享编号"),
    (ShareRequest(TO, since=dt.date.today() + dt.timedelta(days=1)), "晚于今天"),
    (ShareRequest(TO, since=dt.date(2020, 1, 1), since_share="共享2026-001"), "只能用一个"),
])
def test_a_wrong_share_is_refused_and_changes_nothing(engine, config, township, tmp_path, request_, message):
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        new_share(context_for(engine, config), request_, tmp_path / "包")
    assert table_counts(engine) == before and not (tmp_path / "包").exists()


@pytest.mark.sqlite_only
def test_an_incremental_share_holds_a_household_whose_certificate_was_recalled(engine, config, township, tmp_path):
    """The 发证台账 ships each certificate's status: a recall recorded here (no national table
    changes) makes the household part of the next share, with the new status."""
    from archive_tui.services.registers.certificates import list_certificates, recall

    first = new_share(context_for(engine, config), ShareRequest(TO), tmp_path / "一")
    old = next(c for c in list_certificates(engine) if c["status"] == "issued" and c["generation"] == "old")
    recall(context_for(engine, config), old["serial"], by="本人", condition="完好")
    second = new_share(context_for(engine, config), ShareRequest(TO, since_share=first.number), tmp_path / "二")
    ledger = sheet_rows(second.folder / "发证台账.xlsx", "发证台账")
    assert second.households == 1 and any(old["serial"] in row and "已收回" in row for row in ledger)
