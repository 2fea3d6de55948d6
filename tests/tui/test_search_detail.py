"""A name search that found a household through one of its members says so under the list:
``zx`` lists 刘怡庆's household because 赵晓 lives there — the detail line names 赵晓."""

from __future__ import annotations

from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.search import build_missing, initials, members_matching
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.widgets.household_table import HouseholdTable
from models import Household, Member
from tests.tui.test_app import settle, text_of


def member_only_initials(engine) -> tuple[str, str, str]:
    """(household code, member name, initials) of a member whose initials are in no head's name."""
    with engine.connect() as connection:
        heads = {initials(name) for name in connection.execute(select(Household.name)).scalars()}
        rows = connection.execute(select(Household.code, Household.name, Member.name)
                                  .join(Member, Member.household_id == Household.id)).all()
    for code, head, name in rows:
        letters = initials(name)
        if name != head and not any(letters in other for other in heads):
            return code, name, letters
    raise AssertionError("the demo has no such member")


def test_the_service_names_the_matching_members_only_when_the_head_does_not_match(config, engine):
    fill_demo(context_for(engine, config), households=30, seed=5)
    code, name, letters = member_only_initials(engine)
    assert name in members_matching(engine, code, letters)
    assert members_matching(engine, code, "130123") == []  # a number: codes and IDs, no names
    assert members_matching(engine, code, "") == []


async def test_the_detail_line_names_the_member_that_matched(config, engine):
    fill_demo(context_for(engine, config), households=30, seed=5)
    build_missing(engine)
    code, name, letters = member_only_initials(engine)
    app = ArchiveApp(config, engine, section="households")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *letters, "enter")
        await settle(app, pilot)
        table = app.screen.query_one(HouseholdTable)
        while table.current["cbfbm"] != code:
            table.action_cursor(1)
            await pilot.pause()
        await settle(app, pilot)
        assert f"（成员 {name}" in text_of(app.screen.query_one("#detail"))
