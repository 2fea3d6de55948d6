"""A later campaign's progress (延包): per village and 合计, by hand-counted rows, now and for a month;
its printed table; a household's two periods side by side; the 月报's campaign section."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlmodel import Session

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.campaigns.progress import (
    JSON_KEYS, campaign_progress, household_periods, print_campaign, progress_json,
)
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.households import archive_files
from archive_tui.services.households.dashboard import campaign_summaries_on, village_summary
from archive_tui.services.registers.monthly import Month, monthly_figures, print_monthly
from models import ArchiveFile, CampaignRecord, Certificate, Contract, Household, Issuer
from tests.conftest import table_counts, write_tables_csv

FILE, HOUSEHOLD, RECORD = ArchiveFile.__table__, Household.__table__, CampaignRecord.__table__
D = dt.date
A, B = "杨小湾村", "北前家村"  # the synthetic township of 366 households: 360 in the first village, 6 in the second


@dataclass
class Step:
    """One household's 延包 record as inserted: what it went through and when."""

    village: str
    confirmed: dt.date | None = None
    publicised: dt.date | None = None
    objection: str = ""
    signed: dt.date | None = None
    collected: dt.date | None = None  # a 延包 certificate handed over on that day
    printed_only: bool = False  # a 延包 certificate printed, not yet collected
    file_status: str = ""  # the 延包 file's status set to this
    new: bool = False  # a household the 确权 register lacks (新增户)


STEPS = [
    Step(A, D(2026, 3, 5), D(2026, 3, 20), signed=D(2026, 4, 2), collected=D(2026, 4, 10), file_status="filed"),
    Step(A, D(2026, 3, 6), D(2026, 3, 20), objection="东大块面积有异议"),
    Step(A, D(2026, 4, 1), D(2026, 4, 15), signed=D(2026, 4, 20), printed_only=True),
    Step(A),  # reached, nothing done yet
    Step(A, D(2026, 4, 3), new=True),
    Step(B, D(2026, 3, 10), D(2026, 3, 25), signed=D(2026, 3, 28), collected=D(2026, 3, 30), file_status="lent"),
    Step(B, D(2026, 4, 8)),
]
# the same, counted by hand: households, confirmed, publicised, signed, issued, filed
EXPECTED_NOW = {A: (361, 4, 2, 2, 1, 1), B: (6, 2, 1, 1, 1, 1), "合计": (367, 6, 3, 3, 2, 2)}
# for a month: at its end (filed: now) and, after the slash, within it (confirmed, publicised, signed, issued)
EXPECTED_MONTH = {
    Month(2026, 3): {A: ((361, 2, 1, 0, 0, 1), (2, 1, 0, 0)), B: ((6, 1, 1, 1, 1, 1), (1, 1, 1, 1)),
                     "合计": ((367, 3, 2, 1, 1, 2), (3, 2, 1, 1))},
    Month(2026, 4): {A: ((361, 4, 2, 2, 1, 1), (2, 1, 2, 1)), B: ((6, 2, 1, 1, 1, 1), (1, 0, 0, 0)),
                     "合计": ((367, 6, 3, 3, 2, 2), (3, 1, 2, 1))},
    Month(2026, 2): {A: ((361, 0, 0, 0, 0, 1), (0, 0, 0, 0)), B: ((6, 0, 0, 0, 0, 1), (0, 0, 0, 0)),
                     "合计": ((367, 0, 0, 0, 0, 2), (0, 0, 0, 0))},
}
COUNTED = ("households", "confirmed", "publicised", "signed", "issued", "filed")
DATED = ("confirmed", "publicised", "signed", "issued")


@dataclass
class Extension:
    """The township with its 延包 data: the households (by their step), their 延包 files' 档号."""

    codes: list[str] = field(default_factory=list)  # 承包方编码, in the order of STEPS
    files: dict[str, str] = field(default_factory=dict)  # 承包方编码 → its 延包 档号
    primary: dict[str, str] = field(default_factory=dict)  # 承包方编码 → its 确权 档号
    untouched: str = ""  # a household the campaign has not reached


def extension_township(engine, config, folder, steps: list[Step] = STEPS) -> Extension:
    """A township imported from a county-shaped source, then 延包 rows put in as the importer will:
    campaign records, contracts of the same code, certificates of a new serial, the 延包 files."""
    source = write_tables_csv(config, folder, households=366, seed=7)
    run_import(context_for(engine, config), source)
    made = Extension()
    with Session(engine) as session:
        households = session.exec(select(Household).order_by(Household.code)).scalars().all()
        by_village: dict[str, list[Household]] = {}
        issuers = {issuer.id: issuer for issuer in session.exec(select(Issuer)).scalars()}
        for household in households:
            by_village.setdefault(issuers[household.issuer_id].village_name, []).append(household)
        taken = {A: 0, B: 0}
        for number, step in enumerate(steps, start=1):
            if step.new:
                template = by_village[step.village][0]
                household = Household(code=template.code[:14] + "0999", issuer_id=template.issuer_id,
                                      name="新立户", contractor_type="1")
                session.add(household)
                session.flush()
            else:
                household = by_village[step.village][taken[step.village]]
                taken[step.village] += 1
            made.codes.append(household.code)
            session.add(CampaignRecord(household_id=household.id, campaign="延包", confirmed_on=step.confirmed,
                                       publicised_on=step.publicised, objection=step.objection,
                                       signed_on=step.signed, new_household=step.new))
            code = f"{household.code}J"
            session.add(Contract(code=code, campaign="延包", household_id=household.id, method="110",
                                 term_start=D(2028, 7, 1), term_end=D(2058, 6, 30), signed_date=step.signed))
            if step.collected or step.printed_only:
                session.add(Certificate(serial=f"YB2026{number:06d}", code=code, household_id=household.id,
                                        generation="new", campaign="延包", issued_on=D(2026, 3, 1),
                                        collected_on=step.collected, status="issued" if step.collected else "printed",
                                        collector_name=household.name if step.collected else ""))
        made.untouched = by_village[A][-1].code
        session.commit()
    with engine.begin() as connection:
        archive_files.create_missing(connection, config, "延包")
        for code, step in zip(made.codes, steps):
            household_id = connection.execute(select(HOUSEHOLD.c.id).where(HOUSEHOLD.c.code == code)).scalar_one()
            files = dict(connection.execute(select(FILE.c.campaign, FILE.c.archive_code)
                                            .where(FILE.c.household_id == household_id)).all())
            made.files[code] = files["延包"]
            if "确权" in files:
                made.primary[code] = files["确权"]
            if step.file_status:
                connection.execute(update(FILE).where(FILE.c.archive_code == files["延包"])
                                   .values(status=step.file_status))
        # a 确权 file filed is not a 延包 file filed
        connection.execute(update(FILE).where(FILE.c.archive_code == made.primary[made.codes[2]])
                           .values(status="filed"))
    return made


@pytest.fixture
def township(engine, config, tmp_path):
    return extension_township(engine, config, tmp_path / "csv")


def by_village(progress: dict) -> dict[str, dict]:
    return {row["village"]: row for row in [*progress["villages"], progress["total"]]}


def test_the_progress_now_is_the_hand_count(engine, config, township):
    progress = campaign_progress(engine, config, "延包")
    assert progress["label"] == "第二轮土地承包到期后再延长三十年" and progress["month"] is None
    rows = by_village(progress)
    assert list(rows) == [A, B, "合计"]
    for village, expected in EXPECTED_NOW.items():
        assert tuple(rows[village][key] for key in COUNTED) == expected, village
        for key, count in zip(COUNTED[1:], expected[1:]):
            assert rows[village][f"{key}_rate"] == round(100 * count / expected[0], 1)
    assert rows[B]["confirmed_rate"] == 33.3 and rows[B]["filed_rate"] == 16.7


@pytest.mark.parametrize("month", list(EXPECTED_MONTH), ids=lambda month: month.label())
def test_a_month_counts_up_to_its_end_and_within_it(engine, config, township, month):
    rows = by_village(campaign_progress(engine, config, "延包", month))
    for village, (at_end, within) in EXPECTED_MONTH[month].items():
        assert tuple(rows[village][key] for key in COUNTED) == at_end, village
        assert tuple(rows[village][f"{key}_in_month"] for key in DATED) == within, village


def test_the_json_rows_have_the_contract_keys(engine, config, township):
    rows = progress_json(campaign_progress(engine, config, "延包"))
    assert [row["village"] for row in rows] == [A, B]  # the villages; they add up to the table's 合计
    assert all(tuple(row) == JSON_KEYS for row in rows)
    assert set(JSON_KEYS) == {"village", "households", "confirmed", "publicised", "signed", "issued", "filed",
                              "confirmed_rate", "publicised_rate", "signed_rate", "issued_rate", "filed_rate"}
    monthly = progress_json(campaign_progress(engine, config, "延包", Month(2026, 4)))
    assert monthly[0]["confirmed_in_month"] == 2 and set(monthly[0]) > set(JSON_KEYS)


def test_a_new_household_of_another_campaign_is_not_counted(engine, config, tmp_path):
    steps = [*STEPS, Step(B, D(2026, 4, 9), new=True)]
    extension_township(engine, config, tmp_path / "csv", steps)
    with engine.begin() as connection:  # the new household belongs to another campaign
        connection.execute(update(RECORD).where(RECORD.c.confirmed_on == D(2026, 4, 9)).values(campaign="试点"))
    rows = by_village(campaign_progress(engine, config, "延包"))
    assert rows[B]["households"] == 6 and rows["合计"]["households"] == 367
    assert {row["village"]: row["households"] for row in village_summary(engine, config)} == {
        A: 360, B: 6, "合计": 366}  # the 总览's 确权 households: the register's only


def test_an_unknown_campaign_is_refused_naming_the_known_ones(engine, config, township, tmp_path):
    before = table_counts(engine)
    for name in ("二轮延包", "确权"):
        with pytest.raises(ArchiveError, match="延包"):
            campaign_progress(engine, config, name)
        with pytest.raises(ArchiveError, match="延包"):
            print_campaign(engine, config, name, tmp_path / "进度.pdf")
    assert not (tmp_path / "进度.pdf").exists() and table_counts(engine) == before


def test_nothing_begun_gives_naughts_and_no_empty_archive_prints(engine, config, tmp_path):
    progress = campaign_progress(engine, config, "延包")
    assert progress["villages"] == [] and progress["total"]["households"] == 0
    with pytest.raises(ArchiveError, match="还没有承包户"):
        print_campaign(engine, config, "延包", tmp_path / "进度.xlsx")
    assert not (tmp_path / "进度.xlsx").exists()


@pytest.mark.sqlite_only
def test_the_printed_table_and_the_workbook_read_back(engine, config, township, tmp_path):
    result = print_campaign(engine, config, "延包", tmp_path / "延包进度.pdf")
    text = "".join(page.extract_text() for page in PdfReader(result.path).pages).replace("\n", "").replace(" ", "")
    assert "第二轮土地承包到期后再延长三十年（延包）工作进度" in text and result.warnings == []
    for village in (A, B, "合计"):
        assert village in text
    assert "361" in text and "367" in text and "33.3%" in text and "16.7%" in text
    april = print_campaign(engine, config, "延包", tmp_path / "四月.pdf", Month(2026, 4))
    april_text = PdfReader(april.path).pages[0].extract_text().replace("\n", "").replace(" ", "")
    assert "2026年4月" in april_text and "6（+3）" in april_text
    sheet = load_workbook(print_campaign(engine, config, "延包", tmp_path / "延包进度.xlsx",
                                         Month(2026, 4)).path).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == "村")
    table = {row[0]: row for row in rows[rows.index(header) + 1:]}
    for village, (at_end, within) in EXPECTED_MONTH[Month(2026, 4)].items():
        assert [table[village][header.index(label)] for label in ("户数", "已确认", "已公示", "已签约", "已颁证",
                                                                   "已归档")] == list(at_end)
        assert [table[village][header.index(f"本月{label}")] for label in ("已确认", "已公示", "已签约",
                                                                          "已颁证")] == list(within)
    assert table[B][header.index("确认率%")] == 33.3


def test_a_households_two_periods_side_by_side(engine, config, township):
    first = township.codes[0]
    for key in (first, township.files[first], township.primary[first]):  # by 承包方编码 or either 档号
        periods = household_periods(engine, config, key)
        assert [period["campaign"] for period in periods] == ["确权", "延包"]
    primary, extension = periods
    assert primary["archive_code"] == township.primary[first] and primary["steps"] is None
    assert primary["contract"]["code"] == f"{first}J" and primary["contract"]["term_end"] == "2028-06-30"
    assert {c["generation"] for c in primary["certificates"]} == {"old", "new"}
    assert extension["archive_code"] == township.files[first] and extension["status"] == "filed"
    assert extension["contract"] == {"code": f"{first}J", "term_start": "2028-07-01", "term_end": "2058-06-30",
                                     "signed_on": "2026-04-02"}
    assert [(c["serial"], c["status"], c["collected_on"]) for c in extension["certificates"]] == [
        ("YB2026000001", "issued", "2026-04-10")]
    assert extension["steps"] == {"confirmed_on": "2026-03-05", "publicised_on": "2026-03-20", "objection": "",
                                  "signed_on": "2026-04-02", "new_household": False}
    assert primary["related"] == [{"campaign": "延包", "archive_code": township.files[first]}]
    assert extension["related"] == [{"campaign": "确权", "archive_code": township.primary[first]}]
    new = household_periods(engine, config, township.codes[4])  # the 新增户: no 确权 file
    assert new[0]["archive_code"] == "" and new[1]["steps"]["new_household"] and new[0]["related"] == [
        {"campaign": "延包", "archive_code": township.files[township.codes[4]]}]
    untouched = household_periods(engine, config, township.untouched)
    assert [period["campaign"] for period in untouched] == ["确权"] and untouched[0]["related"] == []


def test_the_dashboard_counts_the_campaign_apart(engine, config, township):
    with engine.connect() as connection:
        [summary] = campaign_summaries_on(connection, config)
    assert summary["campaign"] == "延包" and summary["rows"][-1]["village"] == "合计"
    assert tuple(summary["rows"][-1][key] for key in COUNTED) == EXPECTED_NOW["合计"]
    total = village_summary(engine, config)[-1]
    assert total["households"] == 366  # 确权's households: the 新增户 is the campaign's
    cert = Certificate.__table__
    with engine.connect() as connection:
        issued = connection.execute(select(func.count()).select_from(cert).where(
            cert.c.generation == "new", cert.c.status == "issued", cert.c.campaign == "确权")).scalar_one()
    assert issued > 300 and total["issued"] == issued  # 确权's new certificates, not the 延包 ones


def test_the_monthly_report_has_a_section_for_the_campaign(engine, config, township, tmp_path):
    april = Month(2026, 4)
    figures = monthly_figures(engine, config, april)
    [section] = figures["campaigns"]
    assert section["campaign"] == "延包" and section["total"]["confirmed"] == 6
    assert section["total"]["confirmed_in_month"] == 3 and section["total"]["filed"] == 2
    today = dt.date.today()
    now = monthly_figures(engine, config, Month(today.year, today.month))
    assert now["total"]["households"] == [366, 366]  # 确权's files, opened today: the 延包 files do not count
    assert now["campaigns"][0]["total"]["confirmed"] == 6 and now["campaigns"][0]["total"]["confirmed_in_month"] == 0
    if engine.dialect.name != "sqlite":
        return
    pdf = print_monthly(engine, config, april, tmp_path / "月报.pdf")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages).replace("\n", "").replace(" ", "")
    assert "第二轮土地承包到期后再延长三十年（延包）工作进展（2026年4月）" in text and "6（+3）" in text
    book = load_workbook(print_monthly(engine, config, april, tmp_path / "月报.xlsx"))
    assert book.sheetnames == ["2026-04", "延包"]
    rows = list(book["延包"].iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == "村")
    last = rows[-1]
    assert last[0] == "合计" and last[header.index("已确认")] == 6 and last[header.index("本月已确认")] == 3


@pytest.mark.sqlite_only
def test_each_cover_of_a_household_with_two_files_names_the_other(engine, config, township, tmp_path):
    from archive_tui.scanning.sheets import codes_on
    from archive_tui.services.households.printing import print_covers
    from tests.conftest import render_pdf_page

    first = township.codes[0]
    result = print_covers(engine, config, tmp_path / "封面.pdf", keys=[first])
    pages = PdfReader(result.path).pages
    primary_docs, extension_docs = config.settings.documents, config.settings.campaign("延包").documents
    assert result.files == 2 and len(pages) == 2 + len(primary_docs) + len(extension_docs)
    primary_cover, extension_cover = (pages[index].extract_text().replace(" ", "").replace("\n", "")
                                      for index in (0, 1 + len(primary_docs)))
    assert township.primary[first] in primary_cover and f"相关案卷延包{township.files[first]}" in primary_cover
    assert township.files[first] in extension_cover and f"相关案卷确权{township.primary[first]}" in extension_cover
    assert extension_docs[0].name in pages[2 + len(primary_docs)].extract_text().replace(" ", "").replace("\n", "")
    assert codes_on(render_pdf_page(result.path, 1 + len(primary_docs), dpi=150)) == [township.files[first]]
    alone = print_covers(engine, config, tmp_path / "一卷.pdf", keys=[township.untouched], separators=False)
    assert "相关案卷" not in PdfReader(alone.path).pages[0].extract_text()
