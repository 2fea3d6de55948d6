"""The audit trail's hash chain: an edited, deleted or reordered event is found and named."""

import pytest
from sqlalchemy import delete, select, update

from archive_tui.bootstrap import context_for
from archive_tui import audit
from archive_tui.services.quality.checks import run_checks
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.editing import update_household
from archive_tui.services.households.households import list_households
from models import AuditEvent

AUDIT = AuditEvent.__table__


@pytest.fixture
def chained(engine, config):
    fill_demo(context_for(engine, config), households=5, seed=1)
    for name in ("张一", "张二", "张三", "张四"):
        update_household(context_for(engine, config), list_households(engine, limit=1)[0]["cbfbm"], {"name": name})
    run_checks(context_for(engine, config))
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
    update_household(context_for(chained, config), key, {"id_number": "11010519491231002X"})
    [event] = [e for e in audit.log(chained, entity_key=key) if "id_number" in e["after"]]
    assert event["after"]["id_number"] == "110105********002X"  # as everywhere on screen
    assert audit.verify(chained).ok  # the stored event keeps the full number its hash covers


def _anchored(engine, config):
    from archive_tui.audit import known_anchors

    return known_anchors(engine, config)


def _keep_anchor(engine, config):
    """SQLite keeps its anchor beside the file by itself; a server's, as the CLI does, beside config.toml."""
    from archive_tui.audit import ANCHOR_SUFFIX, keep_anchor

    if engine.dialect.name != "sqlite":
        keep_anchor(engine, config.root / f"数据库{ANCHOR_SUFFIX}")


@pytest.mark.parametrize(("tamper", "problem"), [
    ("DELETE FROM audit_event WHERE id > (SELECT max(id) - 3 FROM audit_event)", "之后被截断"),
    ("DELETE FROM audit_event", "审计日志已被全部删除"),
])
def test_the_anchor_beside_the_database_finds_a_chain_cut_short_or_emptied(engine, config, tamper, problem):
    from sqlalchemy import text

    from archive_tui.audit import verify

    _keep_anchor(engine, config)
    fill_demo(context_for(engine, config), households=3, seed=2)
    for number in range(6):
        update_household(context_for(engine, config), "130123101001010001", {"address": f"第{number}次"})
    assert verify(engine, anchors=_anchored(engine, config)).ok
    with engine.begin() as connection:
        connection.execute(text(tamper))
    report = verify(engine, anchors=_anchored(engine, config))
    assert not report.ok and problem in report.problems[0] and "数据库旁的锚点文件" in report.problems[0]


def test_a_chain_computed_anew_after_an_edit_fails_against_the_anchor(engine, config):
    """Edit an event, then recompute every hash after it: the walk passes, the anchor does not."""
    from sqlalchemy import select, text

    from archive_tui.audit import AUDIT, _hashed_fields, event_hash, verify

    _keep_anchor(engine, config)
    fill_demo(context_for(engine, config), households=3, seed=2)
    update_household(context_for(engine, config), "130123101001010001", {"address": "真的地址"})
    update_household(context_for(engine, config), "130123101001010001", {"address": "又改了"})
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET operator = '别人' WHERE id = 2"))
        previous = ""
        for row in connection.execute(select(AUDIT).order_by(AUDIT.c.id)).all():
            digest = event_hash(previous, _hashed_fields(row._mapping))
            connection.execute(AUDIT.update().where(AUDIT.c.id == row.id).values(prev_hash=previous, hash=digest))
            previous = digest
    assert verify(engine).ok  # the walk alone cannot tell
    report = verify(engine, anchors=_anchored(engine, config))
    assert not report.ok and "审计日志被重新计算过" in report.problems[0]


@pytest.mark.sqlite_only
def test_backups_carry_an_anchor_too(engine, config, tmp_path):
    from sqlalchemy import text

    from archive_tui.audit import anchor_file_for, verify
    from archive_tui.services.admin.backup import backup

    fill_demo(context_for(engine, config), households=3, seed=2)
    backup(context_for(engine, config), config.root / "backups" / "手动-1")
    anchor_file_for(config.root / "archive.db").unlink()  # gone with the deleted events
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event"))
    report = verify(engine, anchors=_anchored(engine, config))
    assert not report.ok and "备份 手动-1" in report.problems[0]
