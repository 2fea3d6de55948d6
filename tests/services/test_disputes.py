"""The dispute register: stages as a state machine (table-driven, wrong steps included), dates in
order, the 争议 flag kept by the open disputes (and with it no collecting by proxy), refusals
that change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.registers import certificates as certs
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.disputes import NewDispute, add_dispute, list_disputes, move_dispute, show_dispute
from models import Certificate, Household, Parcel
from tests.conftest import table_counts

HOUSEHOLD, PARCEL, CERT = Household.__table__, Parcel.__table__, Certificate.__table__
DAY = dt.date(2026, 3, 1)


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=6, seed=9)
    with engine.connect() as connection:
        return connection.execute(select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, HOUSEHOLD.c.name, HOUSEHOLD.c.id_number)
                                  .order_by(HOUSEHOLD.c.code)).all()


def flag(engine, household_id) -> bool:
    with engine.connect() as connection:
        return connection.execute(select(HOUSEHOLD.c.has_dispute).where(HOUSEHOLD.c.id == household_id)).scalar_one()


def registered(engine, config, household, subject="东大块四至争议") -> str:
    return add_dispute(context_for(engine, config), NewDispute(household.code, subject, DAY, "张三、李四"))


@pytest.mark.parametrize(("steps", "refused"), [
    (["mediation", "closed"], None),
    (["arbitration", "litigation", "closed"], None),
    (["closed"], None),  # settled at registration
    (["closed", "mediation", "closed"], None),  # reopened by a new round, closed again
    (["closed", "closed"], "不能再次结案"),
    (["litigation", "mediation"], "不能改为“调解”"),
    (["mediation", "registered"], "不能改为“登记”"),
    (["mediation", "appeal"], "阶段“appeal”无效"),
])
def test_a_dispute_goes_through_its_stages_and_no_other_way(engine, config, township, steps, refused):
    number = registered(engine, config, township[0])
    for index, stage in enumerate(steps):
        day = DAY + dt.timedelta(days=index + 1)
        last = index == len(steps) - 1
        if refused and last:
            before = table_counts(engine)
            with pytest.raises(ArchiveError, match=refused):
                move_dispute(context_for(engine, config), number, stage, day, "结果" if stage == "closed" else "")
            assert table_counts(engine) == before
        else:
            move_dispute(context_for(engine, config), number, stage, day, "调解协议第1号" if stage == "closed" else "")
    history = [event["stage"] for event in show_dispute(engine, number)["events"]]
    assert history == ["registered", *(steps[:-1] if refused else steps)]


def test_an_open_dispute_keeps_the_flag_and_bars_a_proxy_until_the_last_is_closed(engine, config, township):
    household = township[1]
    first, second = registered(engine, config, household), registered(engine, config, household, "界址争议")
    assert flag(engine, household.id)
    with engine.connect() as connection:
        serial = connection.execute(select(CERT.c.serial).where(CERT.c.household_id == household.id,
                                                                CERT.c.generation == "new")).scalar_one()
    with engine.begin() as connection:
        connection.execute(CERT.update().where(CERT.c.serial == serial).values(status="printed"))
        connection.execute(HOUSEHOLD.update().where(HOUSEHOLD.c.id == household.id).values(
            has_basic_farmland=False, has_high_standard_farmland=False))  # only the dispute counts here
    proxy = certs.Collector("王某", "11010519491231002X", relation="10", proxy_letter="委托书第3号")
    with pytest.raises(ArchiveError, match="涉及争议.*只能由户主"):
        certs.issue(context_for(engine, config), serial, proxy)
    move_dispute(context_for(engine, config), first, "closed", DAY, "调解协议")
    assert flag(engine, household.id)  # the second is still open
    move_dispute(context_for(engine, config), second, "closed", DAY + dt.timedelta(days=3), "裁决书",
                 right_changed=True)
    assert not flag(engine, household.id)
    certs.issue(context_for(engine, config), serial,
                proxy)  # no dispute any more: a proxy with the head's letter may collect
    closed = {row["number"]: row for row in list_disputes(engine, key=household.code)}
    assert closed[second]["right_changed"] and closed[second]["closed_on"] == (DAY + dt.timedelta(days=3)).isoformat()
    assert list_disputes(engine, open_only=True) == []


@pytest.mark.parametrize(("change", "message"), [
    (lambda e, c, n, h: move_dispute(context_for(e, c), n, "mediation", DAY - dt.timedelta(days=1)), "早于上一步"),
    (lambda e, c, n, h: move_dispute(context_for(e, c), n, "mediation", dt.date.today() + dt.timedelta(days=2)),
     "晚于今天"),
    (lambda e, c, n, h: move_dispute(context_for(e, c), n, "closed", DAY, "  "), "须写明结果"),
    (lambda e, c, n, h: move_dispute(context_for(e, c), "纠纷1999-001", "mediation", DAY), "没有编号"),
    (lambda e, c, n, h: add_dispute(context_for(e, c), NewDispute("130123999999999999", "x", DAY)), "找不到"),
    (lambda e, c, n, h: add_dispute(context_for(e, c), NewDispute(h, " ", DAY)), "争议事项"),
    (lambda e, c, n, h: add_dispute(context_for(e, c), NewDispute(h, "地界", DAY, parcel_code="1301231010010100099")),
     "不是承包方"),
])
def test_wrong_input_is_refused_in_chinese_and_changes_nothing(engine, config, township, change, message):
    number = registered(engine, config, township[2])
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        change(engine, config, number, township[2].code)
    assert table_counts(engine) == before


def test_a_dispute_about_one_of_the_households_parcels_is_registered_with_it(engine, config, township):
    household = township[3]
    with engine.connect() as connection:
        parcel = connection.execute(select(PARCEL.c.code).where(PARCEL.c.household_id == household.id)
                                    .order_by(PARCEL.c.code)).scalars().first()
    number = add_dispute(context_for(engine, config), NewDispute(household.code, "地块面积争议", DAY, "张三", parcel))
    shown = show_dispute(engine, number)
    assert (shown["parcel"], shown["cbfbm"], shown["stage"]) == (parcel, household.code, "registered")
    assert number.startswith("纠纷2026-")


def test_a_closing_that_changed_a_right_is_followed_up_once(engine, config, township):
    from archive_tui.services.quality.checks import list_findings, run_checks
    from archive_tui.services.households.disputes import followed_up

    household = township[4]
    plain, changed = registered(engine, config, household), registered(engine, config, household, "继承争议")
    move_dispute(context_for(engine, config), plain, "closed", DAY, "撤回")
    move_dispute(context_for(engine, config), changed, "closed", DAY + dt.timedelta(days=2), "判决书",
                 right_changed=True)
    run_checks(context_for(engine, config), rules=["dispute_followup"])
    [finding] = list_findings(engine, rules=["dispute_followup"])
    assert changed in finding["message"] and finding["cbfbm"] == household.code
    with pytest.raises(ArchiveError, match="无须补充登记"):
        followed_up(context_for(engine, config), plain, DAY)
    with pytest.raises(ArchiveError, match="早于结案"):
        followed_up(context_for(engine, config), changed, DAY)
    followed_up(context_for(engine, config), changed, DAY + dt.timedelta(days=9), "新证 1301232018000099")
    with pytest.raises(ArchiveError, match="已于"):
        followed_up(context_for(engine, config), changed, DAY + dt.timedelta(days=10))
    run_checks(context_for(engine, config), rules=["dispute_followup"])
    assert list_findings(engine, rules=["dispute_followup"]) == []
    assert [event["stage"] for event in show_dispute(engine, changed)["events"]] == ["registered", "closed", "followup"]
