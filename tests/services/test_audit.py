"""The audit trail's hash chain: an edited, deleted or reordered event is found and named."""

import pytest
from sqlalchemy import delete, select, update

from archive_tui.services import audit
from archive_tui.services.checks import run_checks
from archive_tui.services.demo import fill_demo
from archive_tui.services.editing import update_household
from archive_tui.services.households import list_households
from models import AuditEvent

AUDIT = AuditEvent.__table__


@pytest.fixture
def chained(engine, config):
    fill_demo(engine, config, households=5, seed=1)
    for name in ("张一", "张二", "张三", "张四"):
        update_household(engine, config, list_households(engine, limit=1)[0]["cbfbm"], {"name": name})
    run_checks(engine, config)
    return engine


def ids(engine):
    with engine.connect() as connection:
        return connection.execute(select(AUDIT.c.id).order_by(AUDIT.c.id)).scalars().all()


def swap(connection, first, second):
    found = connection.execute(select(AUDIT).where(AUDIT.c.id.in_((first, second))))
    rows = {row.id: dict(row._mapping) for row in found}
    for target, source in ((first, second), (second, first)):
        values = {k: v for k, v in rows[source].items() if k != "id"}
        connection.execute(update(AUDIT).where(AUDIT.c.id == target).values(**values))


TAMPERING = {
    "edited field": (lambda c, i: c.execute(update(AUDIT).where(AUDIT.c.id == i[3]).values(operator="某人")), 3,
                     "内容被改动"),
    "edited change": (lambda c, i: c.execute(update(AUDIT).where(AUDIT.c.id == i[4])
                                             .values(after='{"name": "李四"}')), 4, "内容被改动"),
    "deleted": (lambda c, i: c.execute(delete(AUDIT).where(AUDIT.c.id == i[2])), 3, "删除"),
    "reordered": (lambda c, i: swap(c, i[2], i[3]), 2, ""),
}


def test_an_untouched_chain_verifies(chained):
    report = audit.verify(chained)
    assert report.ok and report.checked == len(ids(chained)) >= 6


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_is_found_and_the_first_bad_event_named(chained, case):
    tamper, bad_index, words = TAMPERING[case]
    numbers = ids(chained)
    with chained.begin() as connection:
        tamper(connection, numbers)
    report = audit.verify(chained)
    assert not report.ok
    assert report.first_bad["id"] == numbers[bad_index] and words in report.first_bad["problem"]


def test_the_log_of_one_entity(chained):
    key = list_households(chained, limit=1)[0]["cbfbm"]
    events = audit.log(chained, entity_key=key)
    assert [e["after"]["name"] for e in events if e["action"] == "edit"] == ["张一", "张二", "张三", "张四"]
    assert events[1]["before"] == {"name": "张一"}


def test_id_numbers_in_the_log_are_masked_for_display(chained, config):
    key = list_households(chained, limit=1)[0]["cbfbm"]
    update_household(chained, config, key, {"id_number": "11010519491231002X"})
    [event] = [e for e in audit.log(chained, entity_key=key) if "id_number" in e["after"]]
    assert event["after"]["id_number"] == "110105********002X"  # as everywhere on screen
    assert audit.verify(chained).ok  # the stored event keeps the full number its hash covers
