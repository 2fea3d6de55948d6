"""The pixel checks and the manual sample from the command line: JSON keys, exit codes,
Chinese messages, nothing changed by a refused command."""

from __future__ import annotations

import json
import os
import time

from pypdf import PdfReader

from tests.conftest import table_counts
from tests.fixtures.seeded_pages import blank_page, form_page, saved, scanned


def filed(cli, archive_dir) -> str:
    """Three pages of the first household (one of them skewed 5°) taken in; its 档号."""
    cli("demo", "--households", "5", "--seed", "2", cwd=archive_dir)
    code = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]["archive_code"]
    inbox = archive_dir / "scans"
    inbox.mkdir(exist_ok=True)
    pages = [scanned(form_page(1), 1, angle=0.3), scanned(form_page(2, "登记簿"), 2, angle=5.0),
             scanned(blank_page(3), 3)]
    for number, page in enumerate(pages, start=1):
        path = saved(page, inbox / f"{code}-{number}.jpg")
        os.utime(path, (time.time() - 60,) * 2)
    assert cli("scans", "ingest", cwd=archive_dir).code == 0
    return code


def test_qc_reports_open_problems_by_kind_and_exits_1(cli, archive_dir):
    filed(cli, archive_dir)
    result = cli("scans", "qc", "--recheck", "--json", cwd=archive_dir)
    report = json.loads(result.out)
    assert result.code == 1 and report["measured"] == 3 and report["pages"] == 3
    assert (report["open"]["page_skew"], report["open"]["page_blank"]) == (1, 1)
    assert set(report["open"]) == {"page_skew", "page_blank", "page_count"}  # 3 pages of a longer catalogue
    text = cli("scans", "qc", cwd=archive_dir)
    assert "歪斜（page_skew）：1 页待处理" in text.out and "空白页（page_blank）：1 页待处理" in text.out
    unknown = cli("scans", "qc", "--village", "火星村", cwd=archive_dir)
    assert unknown.code == 1 and "找不到村“火星村”" in unknown.err


def test_sample_prints_a_checklist_and_review_records_verdicts(cli, archive_dir):
    code = filed(cli, archive_dir)
    result = cli("scans", "sample", "--share", "50%", "--json", cwd=archive_dir)
    sample = json.loads(result.out)
    assert result.code == 0 and sample["drawn"] == 2 and sample["sample"].startswith("抽检")
    assert all(item["archive_code"] == code for item in sample["items"])
    assert "扫描件人工抽检清单" in PdfReader(sample["out"]).pages[0].extract_text()
    page = sample["items"][0]["path"]
    assert cli("scans", "review", page, "--problem", "签名看不清", cwd=archive_dir).code == 0
    findings = json.loads(cli("check", "--rule", "page_review", "--json", cwd=archive_dir).out)
    assert [f["message"].endswith("签名看不清") for f in findings] == [True]
    assert cli("scans", "review", page, "--ok", cwd=archive_dir).code == 0
    assert json.loads(cli("check", "--rule", "page_review", "--json", cwd=archive_dir).out) == []


def test_wrong_sample_and_review_arguments_are_refused_in_chinese_and_change_nothing(cli, archive_dir, config):
    filed(cli, archive_dir)
    from archive_tui.db import make_engine

    engine = make_engine(config.database_url)
    before = table_counts(engine)
    for args, message in ((("scans", "sample", "--share", "150%"), "抽检比例"),
                          (("scans", "review", "store/没有这页.jpg", "--ok"), "找不到扫描页"),
                          (("scans", "review", "store/没有这页.jpg"), "二者选一"),
                          (("scans", "rescan", "store/没有这页.jpg", "--reason", "歪"), "找不到扫描页")):
        result = cli(*args, cwd=archive_dir)
        assert result.code == 1 and message in result.err, (args, result.err)
    assert table_counts(engine) == before


def test_scans_suggest_reads_waiting_pages_and_applies_only_what_is_sure(cli, archive_dir, config):
    from archive_tui.db import make_engine
    from tests.services.test_page_suggest import form

    cli("demo", "--households", "5", "--seed", "2", cwd=archive_dir)
    engine = make_engine(config.database_url)
    with engine.connect() as connection:
        from sqlalchemy import text

        code = connection.execute(text("SELECT code FROM household ORDER BY code LIMIT 1")).scalar_one()
    inbox = archive_dir / "scans"
    inbox.mkdir(exist_ok=True)
    path = saved(form("承包合同", [f"承包方编码：{code}"]), inbox / "扫描 0001.jpg")
    os.utime(path, (time.time() - 60,) * 2)
    cli("scans", "ingest", cwd=archive_dir)
    refused = cli("scans", "suggest", "--apply", "--min-confidence", "2", cwd=archive_dir)
    assert refused.code == 1 and "置信度下限" in refused.err
    listed = json.loads(cli("scans", "suggest", "--json", cwd=archive_dir).out)
    assert [(row["cbfbm"], row["doc_type"]) for row in listed] == [(code, "07")]
    assert set(listed[0]) >= {"path", "cbfbm", "archive_code", "name", "doc_type", "confidence", "evidence"}
    applied = cli("scans", "suggest", "--apply", cwd=archive_dir)
    assert applied.code == 0 and "已自动挂接 1 页" in applied.out
    assert json.loads(cli("scans", "list", "--status", "unassigned", "--json", cwd=archive_dir).out) == []
