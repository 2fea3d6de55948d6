"""延包 data imported beside 确权: both contracts kept, both files linked, nothing of 确权 overwritten."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.campaigns.extension_import import run_campaign_import
from archive_tui.services.exchange.importing import run_import
from models import PRIMARY_CAMPAIGN
from archive_tui.db.tables import CAMPAIGN_RECORD, CERTIFICATE, CONTRACT, FILE, HOUSEHOLD, MEMBER, PARCEL, REGISTER
from tests.conftest import table_counts
from tests.fixtures.extension_sources import (
    EXTENDED_END, NOT_REACHED, REACHED, write_extension_export,
)
from tests.fixtures.real_sources import TERM_END, write_access_text_export


@pytest.fixture
def township(engine, config, tmp_path):
    """城关镇 imported from the county's Access export, as at 确权."""
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "确权导出"))
    return engine


def import_extension(engine, config, folder, **options):
    return run_campaign_import(context_for(engine, config), folder, "延包", **options)


def campaigns_of(engine, household: str) -> list[str]:
    """The campaigns of a household's files."""
    with engine.connect() as c:
        return c.execute(select(FILE.c.campaign).join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
                         .where(HOUSEHOLD.c.code == household).order_by(FILE.c.id)).scalars().all()


def rows(engine, table, *where):
    with engine.connect() as c:
        return [r._mapping for r in c.execute(select(table).where(*where))]


def test_the_extension_keeps_the_first_contract_and_adds_the_extended_one(township, config, tmp_path):
    engine = township
    before = {r["code"]: dict(r) for r in rows(engine, CONTRACT)}
    certificates_before = {r["serial"]: dict(r) for r in rows(engine, CERTIFICATE)}
    members_before, parcels_before = rows(engine, MEMBER), rows(engine, PARCEL)
    report = import_extension(engine, config, write_extension_export(tmp_path / "延包导出"))
    assert (report.reached, report.not_reached) == (len(REACHED), len(NOT_REACHED))
    assert report.contracts_new == 5 and report.certificates_new == 5 and report.files_new == len(REACHED)
    first = {r["code"]: dict(r) for r in rows(engine, CONTRACT, CONTRACT.c.campaign == PRIMARY_CAMPAIGN)}
    assert first == before  # 确权 contracts untouched, every one
    assert {r["term_end"] for r in first.values()} == {TERM_END}
    extended = {r["code"]: r for r in rows(engine, CONTRACT, CONTRACT.c.campaign == "延包")}
    assert set(extended) <= set(first)  # the same codes
    assert extended["130123101001000001J"]["term_end"] == EXTENDED_END
    assert extended["130123101001000001J"]["signed_date"] == dt.date(2026, 5, 8)
    after = {r["serial"]: dict(r) for r in rows(engine, CERTIFICATE)}
    assert {serial: after[serial] for serial in certificates_before} == certificates_before
    new = [r for r in after.values() if r["campaign"] == "延包"]
    assert sorted(r["serial"] for r in new)[0] == "1301232026000001"
    assert rows(engine, MEMBER) == members_before and rows(engine, PARCEL) == parcels_before
    assert len(rows(engine, REGISTER, REGISTER.c.campaign == "延包")) == 5


def test_each_reached_household_has_a_second_file_of_the_campaign_year(township, config, tmp_path):
    engine = township
    import_extension(engine, config, write_extension_export(tmp_path / "延包导出"))
    with engine.connect() as c:
        files = c.execute(select(HOUSEHOLD.c.code, FILE.c.campaign, FILE.c.archive_code, FILE.c.year)
                          .join(FILE, FILE.c.household_id == HOUSEHOLD.c.id).order_by(FILE.c.id)).all()
    by_household = {}
    for code, campaign, archive_code, year in files:
        by_household.setdefault(code, {})[campaign] = (archive_code, year)
    for code in REACHED:
        assert set(by_household[code]) == {"确权", "延包"}
        assert by_household[code]["延包"][1] == 2026 and "2026" in by_household[code]["延包"][0]
    for code in NOT_REACHED:
        assert set(by_household[code]) == {"确权"}
    volumes = sorted(int(a[-5:]) for campaigns in by_household.values() for c, (a, _y) in campaigns.items()
                     if c == "延包")
    assert volumes == list(range(1, len(REACHED) + 1))  # the campaign numbers its own volumes


def test_the_steps_and_what_the_household_confirmed_are_kept(township, config, tmp_path):
    engine = township
    import_extension(engine, config, write_extension_export(tmp_path / "延包导出"))
    with engine.connect() as c:
        records = {r.code: r for r in c.execute(select(HOUSEHOLD.c.code, CAMPAIGN_RECORD).join(
            CAMPAIGN_RECORD, CAMPAIGN_RECORD.c.household_id == HOUSEHOLD.c.id))}
    assert sorted(records) == REACHED
    zhang = records["130123101001010001"]
    names = [m["name"] for m in json.loads(zhang.members)]
    assert "张子涵" in names and "张丽" not in names
    assert zhang.signed_on == dt.date(2026, 5, 9)
    wang = records["130123101001010003"]
    assert "异议" in wang.objection and wang.signed_on is None
    assert records["130123101001000001"].objection == ""


def test_the_same_extension_again_changes_nothing(township, config, tmp_path):
    engine = township
    folder = write_extension_export(tmp_path / "延包导出")
    import_extension(engine, config, folder)
    counts = table_counts(engine)
    report = import_extension(engine, config, folder)
    assert not report.changed
    assert {k: v for k, v in table_counts(engine).items() if k != "audit_event"} == {
        k: v for k, v in counts.items() if k != "audit_event"}


def test_a_household_not_in_the_register_is_refused_unless_allowed_and_then_listed(township, config, tmp_path):
    engine = township

    def add_household(tables):
        row = dict(tables["CBF"][0], CBFBM="130123101001000009", CBFMC="赵新分")
        tables["CBF"].append(row)
        tables["CBF_JTCY"].append(dict(tables["CBF_JTCY"][0], CBFBM="130123101001000009", CYXM="赵新分"))

    folder = write_extension_export(tmp_path / "延包导出", edit=add_household)
    counts = table_counts(engine)
    with pytest.raises(ArchiveError) as refused:
        import_extension(engine, config, folder)
    assert "130123101001000009" in "\n".join(refused.value.details) and "赵新分" in "\n".join(refused.value.details)
    assert table_counts(engine) == counts
    report = import_extension(engine, config, folder, new_households=True)
    assert report.new_households == ["130123101001000009 赵新分"]
    assert campaigns_of(engine, "130123101001000009") == ["延包"]


def test_an_extended_contract_ending_before_the_old_one_is_refused_naming_the_household(township, config, tmp_path):
    engine = township

    def shorten(tables):
        for row in tables["CBHT"]:
            if row["CBFBM"] == "130123101001000001":
                row["CBQXZ"] = dt.date(2027, 12, 31)

    counts = table_counts(engine)
    with pytest.raises(ArchiveError) as refused:
        import_extension(engine, config, write_extension_export(tmp_path / "延包导出", edit=shorten))
    text = "\n".join(refused.value.details)
    assert "130123101001000001（赵志刚）" in text and "2027-12-31" in text
    assert table_counts(engine) == counts


def test_an_unknown_campaign_is_named_with_the_known_ones(township, config, tmp_path):
    with pytest.raises(ArchiveError, match="延包"):
        run_campaign_import(context_for(township, config), write_extension_export(tmp_path / "x"), "三延")


def test_the_first_registration_imported_again_leaves_the_extension_as_it_was(township, config, tmp_path):
    engine = township
    import_extension(engine, config, write_extension_export(tmp_path / "延包导出"))
    extended = {r["code"]: dict(r) for r in rows(engine, CONTRACT, CONTRACT.c.campaign == "延包")}
    certificates = {r["serial"]: dict(r) for r in rows(engine, CERTIFICATE, CERTIFICATE.c.campaign == "延包")}
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "确权导出"))
    assert {r["code"]: dict(r) for r in rows(engine, CONTRACT, CONTRACT.c.campaign == "延包")} == extended
    assert {r["serial"]: dict(r) for r in rows(engine, CERTIFICATE, CERTIFICATE.c.campaign == "延包")} == certificates
    assert {r["term_end"] for r in rows(engine, CONTRACT, CONTRACT.c.campaign == PRIMARY_CAMPAIGN)} == {TERM_END}


def test_a_new_household_of_the_extension_never_gets_a_first_registration_file(township, config, tmp_path):
    engine = township

    def add_household(tables):
        tables["CBF"].append(dict(tables["CBF"][0], CBFBM="130123101001000009", CBFMC="赵新分"))

    import_extension(engine, config, write_extension_export(tmp_path / "延包导出", edit=add_household),
                     new_households=True)
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "确权导出"))  # 确权 data again
    assert campaigns_of(engine, "130123101001000009") == ["延包"]


def test_the_extension_given_as_a_first_registration_is_refused_and_says_how_to_import_it(township, config, tmp_path):
    engine = township
    counts = table_counts(engine)
    with pytest.raises(ArchiveError) as refused:
        run_import(context_for(engine, config), write_extension_export(tmp_path / "延包导出"))
    text = "\n".join(refused.value.details)
    assert "--campaign 延包" in text and "130123101001000001J" in text and "不被覆盖" in text
    assert table_counts(engine) == counts
