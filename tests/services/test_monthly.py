"""月报: month-end figures and the month's change, from the registers' dates — any past month again."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.registers import certificates as certs
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.disputes import NewDispute, add_dispute, move_dispute
from archive_tui.services.quality.checks import run_checks
from archive_tui.services.registers.monthly import Month, monthly_figures, print_monthly
from models import Certificate, Finding, Household
from tests.conftest import render_pdf_page

CERT, HOUSEHOLD, FINDING = Certificate.__table__, Household.__table__, Finding.__table__
MARCH, APRIL, MAY = Month(2026, 3), Month(2026, 4), Month(2026, 5)


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=6, seed=4)
    with engine.begin() as connection:  # one new certificate printed and not yet collected
        household = connection.execute(select(HOUSEHOLD).order_by(HOUSEHOLD.c.code)).first()
        serial = connection.execute(select(CERT.c.serial).where(
            CERT.c.household_id == household.id, CERT.c.generation == "new")).scalar_one()
        connection.execute(update(CERT).where(CERT.c.serial == serial).values(status="printed", collected_on=None))
    return household, serial


def total(engine, config, month, key):
    return monthly_figures(engine, config, month)["total"][key]


def test_each_figure_comes_from_its_dated_event_and_past_months_stay_as_they_were(engine, config, township):
    household, serial = township
    issued_before = total(engine, config, MARCH, "issued")[0]
    certs.issue(context_for(engine, config), serial, certs.Collector(household.name, household.id_number),
                dt.date(2026, 4, 12))
    number = add_dispute(context_for(engine, config), NewDispute(household.code, "东大块四至争议",
                                                                 dt.date(2026, 3, 20)))
    move_dispute(context_for(engine, config), number, "closed", dt.date(2026, 4, 28), "调解协议第1号")
    march, april, may = (monthly_figures(engine, config, month)["total"] for month in (MARCH, APRIL, MAY))
    assert march["issued"] == [issued_before, 0] and april["issued"] == [issued_before + 1, 1]
    assert may["issued"] == [issued_before + 1, 0]
    assert (march["disputes_open"], april["disputes_open"]) == ([1, 1], [0, -1])  # end minus start
    assert (march["disputes_closed"], april["disputes_closed"]) == ([0, 0], [1, 1])
    this_month = Month(dt.date.today().year, dt.date.today().month)
    assert total(engine, config, this_month, "households") == [6, 6]  # the files were opened today
    assert march["households"] == [0, 0]
    again = monthly_figures(engine, config, MARCH)["total"]
    assert again == march  # the same month reported again gives the same figures
    village = monthly_figures(engine, config, APRIL)["villages"]
    assert sum(row["issued"][1] for row in village) == 1 and all(row["registered"] for row in village)


@pytest.mark.parametrize(("text", "message"), [
    ("2026/03", "YYYY-MM"), ("2026-13", "YYYY-MM"), ("三月", "YYYY-MM"), ("2999-01", "还没有到"),
])
def test_a_wrong_month_is_refused_in_chinese(text, message):
    with pytest.raises(ArchiveError, match=message):
        Month.parse(text)


def test_no_report_for_an_empty_archive_or_a_wrong_format(engine, config, tmp_path):
    with pytest.raises(ArchiveError, match="还没有承包户"):
        print_monthly(engine, config, APRIL, tmp_path / "月报.pdf")
    with pytest.raises(ArchiveError, match=r"\.pdf 或 \.xlsx"):
        print_monthly(engine, config, APRIL, tmp_path / "月报.docx")
    assert not (tmp_path / "月报.pdf").exists()


@pytest.mark.sqlite_only
def test_the_report_prints_tables_and_a_chart_and_a_sheet(engine, config, township, tmp_path):
    figures = monthly_figures(engine, config, APRIL)
    pdf = print_monthly(engine, config, APRIL, tmp_path / "月报.pdf")
    reader = PdfReader(pdf)
    first = reader.pages[0].extract_text().replace("\n", "")
    assert "进展月报（2026 年 4 月）" in first and "合计" in first and figures["villages"][0]["name"] in first
    assert "各村进度" in reader.pages[-1].extract_text()
    chart = render_pdf_page(pdf, len(reader.pages) - 1, dpi=50).convert("RGB")
    colours = set(chart.getdata())
    assert (217, 128, 38) in colours or any(r > 200 and 100 < g < 150 and b < 60 for r, g, b in colours)  # bars
    sheet = load_workbook(print_monthly(engine, config, APRIL, tmp_path / "月报.xlsx")).active
    header = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "村")
    last = [row for row in sheet.iter_rows(values_only=True) if row[0] == "合计"][0]
    assert last[header.index("已发证")] == figures["total"]["issued"][0]


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0)).astimezone(dt.UTC)


@pytest.mark.sqlite_only
def test_open_findings_change_by_end_minus_start_with_found_and_resolved_apart(engine, config, township, tmp_path):
    run_checks(context_for(engine, config))
    with engine.begin() as connection:  # the findings were raised on 10 March; a month that began at 0
        ids = connection.execute(select(FINDING.c.id).order_by(FINDING.c.id)).scalars().all()
        connection.execute(update(FINDING).values(created_at=_at(dt.date(2026, 3, 10))))
        resolve = lambda finding_ids, day: connection.execute(update(FINDING).where(  # noqa: E731
            FINDING.c.id.in_(finding_ids)).values(status="resolved", resolved_at=_at(day)))
        resolve(ids[:2], dt.date(2026, 3, 20))
        resolve(ids[2:3], dt.date(2026, 4, 5))
        connection.execute(update(FINDING).where(FINDING.c.id == ids[3]).values(  # waived, later resolved
            status="resolved", waived_at=_at(dt.date(2026, 4, 6)), resolved_at=_at(dt.date(2026, 5, 2)),
            waived_reason="有意留白", waived_by="档案员"))
    found = len(ids)
    assert found > 4
    march, april, may = (monthly_figures(engine, config, month)["total"] for month in (MARCH, APRIL, MAY))
    assert total(engine, config, Month(2026, 2), "findings_open") == [0, 0]
    assert march["findings_open"] == [found - 2, found - 2]  # end minus start, not the raised count
    assert march["findings_flow"] == [found, 2, 0] and march["findings_closed"] == [2, 2]
    assert april["findings_open"] == [found - 4, -2] and april["findings_flow"] == [0, 1, 1]
    assert may["findings_open"] == [found - 4, 0] and may["findings_flow"] == [0, 0, 0]  # closed when waived
    for key in ("households", "issued", "findings_open", "findings_closed", "disputes_open"):
        start = monthly_figures(engine, config, MARCH)["total"][key][0]
        assert april[key][1] == april[key][0] - start, key
    pdf = print_monthly(engine, config, MARCH, tmp_path / "月报.pdf")
    text = PdfReader(pdf).pages[0].extract_text().replace("\n", "").replace(" ", "")
    assert f"{found - 2}（新发现{found}，销号2）" in text and f"(+{found}" not in text
    april_pdf = print_monthly(engine, config, APRIL, tmp_path / "四月.pdf")
    assert f"{found - 4}（新发现0，销号1，豁免1）" in (
        PdfReader(april_pdf).pages[0].extract_text().replace("\n", "").replace(" ", ""))
    sheet = load_workbook(print_monthly(engine, config, MARCH, tmp_path / "月报.xlsx")).active
    header = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "村")
    last = [row for row in sheet.iter_rows(values_only=True) if row[0] == "合计"][0]
    assert [last[header.index(name)] for name in ("待处理问题", "待处理问题本月", "待处理问题本月新发现",
                                                  "待处理问题本月销号", "待处理问题本月豁免")] == [
        found - 2, found - 2, found, 2, 0]
