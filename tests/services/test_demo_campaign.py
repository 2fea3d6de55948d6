"""`demo --campaign 延包`: the demo township with part of the extension done, through the real import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.db.tables import CAMPAIGN_RECORD, CERTIFICATE, CONTRACT, DISPUTE, FILE, FINDING
from archive_tui.services.campaigns.demo_campaign import fill_demo_campaign
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.quality import checks
from tests.conftest import table_counts


def count(engine, table, *where) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_the_demo_campaign_has_households_done_in_progress_disputed_and_changed(engine, config):
    fill_demo(context_for(engine, config), 120, 3)
    report = fill_demo_campaign(context_for(engine, config), "延包", 3)
    assert 0 < report.reached < 120 and report.not_reached == 120 - report.reached
    signed = count(engine, CAMPAIGN_RECORD, CAMPAIGN_RECORD.c.signed_on.is_not(None))
    assert 0 < signed < report.reached  # some signed, some still in progress
    assert count(engine, CONTRACT, CONTRACT.c.campaign == "延包") == signed
    assert 0 < count(engine, CERTIFICATE, CERTIFICATE.c.campaign == "延包", CERTIFICATE.c.status == "issued")
    assert count(engine, FILE, FILE.c.campaign == "延包", FILE.c.status == "filed") > 0
    assert count(engine, DISPUTE) == 1
    checks.run_checks(context_for(engine, config))
    with engine.connect() as c:
        rules = set(c.execute(select(FINDING.c.rule)).scalars())
    assert {"extension_objection", "extension_members_changed", "extension_area_change"} <= rules
    assert any("新增家庭成员" in note for note in report.notes)


def test_the_demo_campaign_is_added_once_and_only_to_a_township(engine, config):
    with pytest.raises(ArchiveError, match="请先生成演示乡镇"):
        fill_demo_campaign(context_for(engine, config), "延包", 1)
    fill_demo(context_for(engine, config), 40, 1)
    fill_demo_campaign(context_for(engine, config), "延包", 1)
    counts = table_counts(engine)
    with pytest.raises(ArchiveError, match="只能加一次"):
        fill_demo_campaign(context_for(engine, config), "延包", 1)
    assert table_counts(engine) == counts
