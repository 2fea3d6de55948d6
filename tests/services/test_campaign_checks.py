"""The 延包 checks on a township imported from the county, then its 延包 data: each rule finds exactly
the households the fixture made so (tests/fixtures/extension_sources.py), and the wrong cases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from archive_tui.bootstrap import context_for
from archive_tui.core.config import CampaignSettings
from archive_tui.db.tables import CAMPAIGN_RECORD, CONTRACT, FINDING, HOUSEHOLD
from archive_tui.services.campaigns.extension_import import run_campaign_import
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.quality import checks
from archive_tui.services.quality.campaign_rules import extended_end
from tests.fixtures.extension_sources import write_extension_export
from tests.fixtures.real_sources import write_access_text_export


@pytest.fixture
def extended(engine, config, tmp_path):
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "确权导出"))
    run_campaign_import(context_for(engine, config), write_extension_export(tmp_path / "延包导出"), "延包")
    return engine


def findings(engine, config, rule) -> dict[str, str]:
    checks.run_checks(context_for(engine, config), rules=[rule])
    with engine.connect() as c:
        return dict(c.execute(select(HOUSEHOLD.c.code, FINDING.c.message)
                              .join(HOUSEHOLD, HOUSEHOLD.c.id == FINDING.c.household_id)
                              .where(FINDING.c.rule == rule, FINDING.c.status == "open")).all())


@pytest.mark.parametrize("rule, households, words", [
    ("extension_term", ["130123101002010001"], ["2057-12-31", "应为 2058-06-30", "加 30 年"]),
    ("extension_members_changed", ["130123101001010001"], ["新增 张子涵", "减少 张丽"]),
    ("extension_area_change", ["130123101001020001"], ["1333.33", "1200.00", "-10.0%", "超过 5%"]),
    ("extension_objection", ["130123101001010003"], ["异议", "王建设"]),
    ("extension_order", ["130123101001020002"], ["2026-04-01", "早于公示（2026-04-16）、签订延包合同（2026-05-20）"]),
])
def test_each_extension_rule_finds_the_households_the_data_made_so(extended, config, rule, households, words):
    found = findings(extended, config, rule)
    assert sorted(found) == households
    for word in words:
        assert word in found[households[0]], found[households[0]]


def test_the_first_certificate_still_held_is_found_until_exchanged(extended, config):
    found = findings(extended, config, "extension_not_exchanged")
    # 赵志刚, 王振华 and 阿依古丽 collected their 延包 certificate; 张建国's and 孙国强's are printed
    assert "130123101001000001" in found and "certs replace --campaign 延包" in found["130123101001000001"]


def test_a_term_as_configured_is_not_a_finding(extended, config):
    with extended.begin() as c:
        c.execute(update(CONTRACT).where(CONTRACT.c.campaign == "延包").values(term_end=dt.date(2058, 6, 30)))
    assert findings(extended, config, "extension_term") == {}


def test_a_certificate_after_every_step_is_in_order_and_one_before_confirming_is_not(extended, config):
    with extended.begin() as c:
        c.execute(update(CAMPAIGN_RECORD).values(confirmed_on=dt.date(2026, 3, 1), publicised_on=dt.date(2026, 3, 20),
                                                 signed_on=dt.date(2026, 3, 31), objection=""))
    assert findings(extended, config, "extension_order") == {}
    with extended.begin() as c:
        c.execute(update(CAMPAIGN_RECORD).values(confirmed_on=None))
    found = findings(extended, config, "extension_order")
    assert found and all("尚未农户确认" in message for message in found.values())


@pytest.mark.parametrize("old, years, fixed, wanted", [
    (dt.date(2028, 6, 30), 30, None, dt.date(2058, 6, 30)),
    (dt.date(2028, 2, 29), 30, None, dt.date(2058, 2, 28)),  # no 29 February in 2058
    (dt.date(2027, 12, 31), 30, dt.date(2059, 12, 31), dt.date(2059, 12, 31)),
])
def test_the_extended_end(old, years, fixed, wanted):
    campaign = CampaignSettings(name="延包", year=2026, extend_years=years, term_end=fixed)
    assert extended_end(campaign, old) == wanted
