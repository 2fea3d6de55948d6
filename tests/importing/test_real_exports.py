"""Sources made the way counties' software makes them (Access text export, Excel workbooks and
Excel's CSV), not by our exporter: they import with the right members and parcels per
household, or are refused with a message that says what to do."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from archive_tui.bootstrap import context_for
from archive_tui.services.quality.checks import run_checks
from archive_tui.services.exchange.importing import ImportRejected, run_import
from models import Contract, Finding, Household, Issuer, Member, Parcel
from tests.conftest import table_counts
from tests.fixtures.real_sources import (
    expected_counts, write_access_text_export, write_excel_csv, write_excel_export,
)


def counts_per_household(engine) -> dict[str, tuple[int, int]]:
    with engine.connect() as connection:
        members = dict(connection.execute(
            select(Household.code, func.count(Member.id)).join(Member, Member.household_id == Household.id)
            .group_by(Household.code)).all())
        parcels = dict(connection.execute(
            select(Household.code, func.count(Parcel.id)).join(Parcel, Parcel.household_id == Household.id)
            .group_by(Household.code)).all())
    return {code: (members.get(code, 0), parcels.get(code, 0)) for code in members.keys() | parcels.keys()}


def test_an_access_text_export_without_a_parcel_layer_imports(engine, config, tmp_path):
    """GB18030, CRLF, CHAR fields padded with spaces, dates as 2017/7/15 0:00:00, float noise,
    vendor columns (CSRQ, MZ, BZ), file names in mixed case, and no DK table."""
    folder = write_access_text_export(tmp_path / "导出", names="mixed")
    report = run_import(context_for(engine, config), folder)
    assert report.reject_count == 0 and report.kind == "csv"
    assert counts_per_household(engine) == expected_counts()
    assert report.ignored_columns == {"CBF_JTCY": ["CSRQ", "MZ"], "CBF": ["BZ"]}
    assert report.notes == ["数据源中没有地块表（DK）：地块名称、四至等为空，质检时每村列一条“待补充”；"
                            "以后拿到 DK 表再导入一次即可补上"]  # said at the import, not first at the check
    with engine.connect() as connection:
        names = set(connection.execute(select(Member.name)).scalars())
        head = connection.execute(select(Household).where(Household.code == "130123101001010001")).one()
        parcel_names = set(connection.execute(select(Parcel.name)).scalars())
        area = connection.execute(select(Parcel.contract_area_mu).where(Parcel.code == "1301231010010200002")).scalar()
        total = connection.execute(select(Contract.total_area).where(Contract.code == "130123101002010001J")).scalar()
        signed = connection.execute(select(Contract.signed_date).where(Contract.code == "130123101001010001J")).scalar()
        relations = set(connection.execute(select(Member.relation)).scalars())
        village = connection.execute(select(Issuer.village_name).where(Issuer.code == "13012310100101")).scalar()
    assert "阿依古丽·买买提" in names and "热依拉·艾力" in names  # the ASCII full stop became the middle dot
    assert all(name == name.strip() for name in names)  # the CHAR padding is gone
    assert (head.name, head.contractor_type, head.id_number, head.postcode) == (
        "张建国", "1", "13012319620518017X", "050800")
    assert relations and all(len(code) == 2 and code.isdigit() for code in relations)
    assert area == 1.17 and total == 6460.77  # float noise rounded away
    assert signed == dt.date(2017, 7, 15)
    assert village == "东里村"
    assert parcel_names == {""}  # no parcel layer: names and 四至 wait for it …
    run_checks(context_for(engine, config), rules=["parcel_name", "parcel_boundaries", "parcel_source_missing"])
    with engine.connect() as connection:
        flagged = dict(connection.execute(select(Finding.rule, func.count()).group_by(Finding.rule)).all())
    villages = len({code[:12] for code in expected_counts()})
    assert flagged == {"parcel_source_missing": villages}  # one 待补充 per village, not an error per parcel
    again = run_import(context_for(engine, config), folder)  # … and the same export again changes nothing
    assert not again.changed and again.change_count == 0


def test_an_excel_workbook_with_dropped_leading_zeros_imports(engine, config, tmp_path):
    """Code-list values typed as numbers (2 for 02), real date cells, float noise, sheet and
    column names in lower case, vendor columns."""
    path = write_excel_export(tmp_path / "确权数据.xlsx", header_case="lower", sheet_case="lower")
    report = run_import(context_for(engine, config), path)
    assert report.reject_count == 0 and report.kind == "xlsx"
    assert counts_per_household(engine) == expected_counts()
    with engine.connect() as connection:
        relations = dict(connection.execute(select(Member.name, Member.relation)).all())
        household = connection.execute(select(Household).where(Household.code == "130123101001010001")).one()
        method = connection.execute(select(Contract.method).where(Contract.code == "130123101001010001J")).scalar()
    assert relations["张建国"] == "02" and household.contractor_type == "1" and household.postcode == "050800"
    assert method == "110"
    assert household.survey_date is not None and isinstance(household.survey_date, dt.date)


def test_the_same_township_from_access_and_from_excel_is_the_same(engine, config, tmp_path, archive_dir):
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "access"))
    before = table_counts(engine)
    report = run_import(context_for(engine, config), write_excel_export(tmp_path / "excel.xlsx"))
    assert not report.changed, [c.line() for c in report.changes]
    assert table_counts(engine) == before


@pytest.mark.parametrize("excel", [
    lambda tmp_path: write_excel_csv(tmp_path / "excel-csv", codes_as="number"),  # Excel showed 1.30123E+17
    lambda tmp_path: write_excel_export(tmp_path / "numbers.xlsx", codes_as="number"),  # a float cell
], ids=["excel-csv", "xlsx"])
def test_codes_excel_turned_into_numbers_are_refused_with_a_way_out(engine, config, tmp_path, excel):
    source = excel(tmp_path)
    before = table_counts(engine)
    with pytest.raises(ImportRejected) as error:
        run_import(context_for(engine, config), source)
    lines = [reject.line() for reject in error.value.report.rejects]
    assert ("CBF 承包方 第2行 CBFBM：“1.30123E+17”被 Excel 当作数字保存，已丢失数字；"
            "请在 Excel 中把该列设为“文本”格式、从原数据库重新导出后再导入（或直接导入 .mdb 数据库）") in lines
    assert "数据库未作任何改动" in error.value.message
    assert table_counts(engine) == before
