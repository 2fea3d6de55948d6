"""`report campaign NAME [--month YYYY-MM] [--out FILE] [--json]`: a later campaign's progress per village."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import table_counts
from tests.services.test_campaign_progress import A, B, EXPECTED_MONTH, EXPECTED_NOW, extension_township
from archive_tui.services.registers.monthly import Month

KEYS = {"village", "households", "confirmed", "publicised", "signed", "issued", "filed", "confirmed_rate",
        "publicised_rate", "signed_rate", "issued_rate", "filed_rate"}
COUNTED = ("households", "confirmed", "publicised", "signed", "issued", "filed")


@pytest.fixture
def township(engine, config, tmp_path):
    return extension_township(engine, config, tmp_path / "csv")


def test_json_is_one_document_of_the_villages(cli, archive_dir, township):
    result = cli("report", "campaign", "延包", "--json", cwd=archive_dir)
    assert result.code == 0 and result.err == ""
    assert "北前家村" in result.out  # Chinese not escaped
    rows = json.loads(result.out)
    assert [row["village"] for row in rows] == [A, B]
    for row in rows:
        assert set(row) == KEYS
        assert tuple(row[key] for key in COUNTED) == EXPECTED_NOW[row["village"]]
    assert rows[1]["confirmed_rate"] == 33.3
    april = json.loads(cli("report", "campaign", "延包", "--month", "2026-04", "--json", cwd=archive_dir).out)
    for row in april:
        at_end, within = EXPECTED_MONTH[Month(2026, 4)][row["village"]]
        assert tuple(row[key] for key in COUNTED) == at_end
        assert tuple(row[f"{key}_in_month"] for key in ("confirmed", "publicised", "signed", "issued")) == within


def test_the_table_has_each_village_and_the_total(cli, archive_dir, township):
    result = cli("report", "campaign", "延包", cwd=archive_dir)
    assert result.code == 0
    text = result.out
    assert all(word in text for word in (A, B, "合计", "已确认", "已公示", "已签约", "已颁证", "已归档", "367"))
    total = next(line for line in text.splitlines() if "合计" in line).split()
    assert total == ["合计", "367", "6", "1.6%", "3", "0.8%", "3", "0.8%", "2", "0.5%", "2", "0.5%"]
    month = cli("report", "campaign", "延包", "--month", "2026-04", cwd=archive_dir).out
    assert "2026-04" in month
    assert next(line for line in month.splitlines() if "合计" in line).split() == [
        "合计", "367", "6（+3）", "1.6%", "3（+1）", "0.8%", "3（+2）", "0.8%", "2（+1）", "0.5%", "2", "0.5%"]


def test_out_writes_a_pdf_or_a_workbook(cli, archive_dir, township, tmp_path):
    pdf = cli("report", "campaign", "延包", "--out", tmp_path / "延包进度.pdf", cwd=archive_dir)
    assert pdf.code == 0 and "已生成进度表" in pdf.out
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "延包进度.pdf").pages).replace(" ", "")
    assert all(word in text for word in (A, B, "合计", "361", "367", "33.3%"))
    book = cli("report", "campaign", "延包", "--month", "2026-03", "--out", tmp_path / "三月.xlsx", cwd=archive_dir)
    assert book.code == 0
    rows = list(load_workbook(tmp_path / "三月.xlsx").active.iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == "村")
    last = rows[-1]
    assert last[0] == "合计"
    assert [last[header.index(label)] for label in ("已确认", "本月已确认", "已签约")] == [3, 3, 1]
    both = cli("report", "campaign", "延包", "--json", "--out", tmp_path / "再.xlsx", cwd=archive_dir)
    assert both.code == 0 and len(json.loads(both.out)) == 2 and (tmp_path / "再.xlsx").is_file()


@pytest.mark.parametrize("args", [
    ("二轮延包",), ("确权", "--json"), ("试点", "--out", "{folder}/进度.pdf"), ("试点", "--month", "2026-04"),
])
def test_an_unknown_campaign_is_a_chinese_error_naming_the_known_ones(cli, archive_dir, township, tmp_path, engine,
                                                                       args):
    before = table_counts(engine)
    result = cli("report", "campaign", *[arg.format(folder=tmp_path) for arg in args], cwd=archive_dir)
    assert result.code == 1 and result.out == ""
    assert "工作阶段" in result.err and "延包" in result.err
    assert not (tmp_path / "进度.pdf").exists() and table_counts(engine) == before


@pytest.mark.parametrize(("args", "message"), [
    (("--month", "2026/04"), "YYYY-MM"), (("--out", "进度.docx"), ".pdf 或 .xlsx"),
])
def test_a_wrong_month_or_format_is_refused(cli, archive_dir, township, args, message):
    result = cli("report", "campaign", "延包", *args, cwd=archive_dir)
    assert result.code == 1 and message in result.err
    assert not (archive_dir / "进度.docx").exists()


def test_the_monthly_report_shows_the_campaign_too(cli, archive_dir, township):
    result = cli("report", "monthly", "--month", "2026-04", cwd=archive_dir)
    assert result.code == 0 and "第二轮土地承包到期后再延长三十年（延包）" in result.out
    figures = json.loads(cli("report", "monthly", "--month", "2026-04", "--json", cwd=archive_dir).out)
    assert figures["campaigns"][0]["total"]["signed_in_month"] == 2
