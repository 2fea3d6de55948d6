"""A check over the whole township keeps the findings of the rules nothing of which has changed:
after any change it finds exactly what a full run finds, on unchanged data it changes nothing.
Real SQLite files (the change counts are SQLite triggers); on PostgreSQL every run is full."""

import datetime as dt
import random

import pytest
from sqlalchemy import delete, insert, select, text, update

from archive_tui.bootstrap import context_for
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.quality import checks
from archive_tui.services.quality.checks import _invalid_ids, _tables_of, run_context
from models import CheckState, Finding
from models.validators import id_check_char, invalid_id_numbers
from tests.services.test_checks import (
    CASES, DOC, FILE, H, M, P, break_rule, file_of, first_member, households, member, parcel, three_made_right,
)

FINDING, STATE = Finding.__table__, CheckState.__table__
ALL = len(checks.RULES)


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=8, seed=12)
    return engine


def run(engine, config, **options):
    return checks.run_checks(context_for(engine, config), **options)


def findings(engine) -> set[tuple]:
    """The open and waived findings as a user sees them."""
    with engine.connect() as c:
        return set(c.execute(select(FINDING.c.household_id, FINDING.c.rule, FINDING.c.subject, FINDING.c.message,
                                    FINDING.c.status).where(FINDING.c.status.in_(("open", "waived")))))


def rows(engine) -> list[tuple]:
    with engine.connect() as c:
        return c.execute(select(FINDING).order_by(FINDING.c.id)).all()


def assert_as_a_full_run(engine, config):
    """Working every rule out again (nothing remembered) changes no finding."""
    before = findings(engine)
    with engine.begin() as c:
        c.execute(delete(STATE))
    full = run(engine, config)
    assert (full.opened, full.resolved, full.kept_rules) == (0, 0, 0)
    assert findings(engine) == before


def rules_reading(engine, table: str) -> set[str]:
    with engine.connect() as c:
        return {rule for rule, tables in c.execute(select(STATE.c.rule, STATE.c.tables)) if f'"{table}"' in tables}


def valid_number(seed: int) -> str:
    first17 = f"11010519800101{seed:03d}"
    return first17 + id_check_char(first17)


# ---- the ID numbers, all at once --------------------------------------------------------------------

TODAY = dt.date(2026, 3, 1)
ID_CASES = [
    valid_number(1), valid_number(2)[:17] + "0", valid_number(3).lower(), "11010519491231002",
    "110105194912310021", "110105491231002", "11010519800101001X", "11010519800101001x", "",
    " " + valid_number(4), "１１０１０５１９８００１０１００１２", "110105188001010010", "110105187912310010",
    "110105200002290010", "110105190002290010", "110105198013010010", "110105198004310010", "110105198004000010",
    "110105202603020010", "110105202603010010", "1101051980010100ab", "1101051980010100123",
]


def variants(count: int) -> list[str]:
    """Valid numbers with a character changed, dropped or added here and there (fixed seed)."""
    rng = random.Random(7)
    numbers = []
    for seed in range(count):
        number = list(valid_number(seed % 1000))
        place = rng.randrange(18)
        number[place] = rng.choice("0123456789X x-")
        numbers.append("".join(number)[:rng.choice((15, 17, 18, 18, 18, 19))])
    return numbers


@pytest.mark.parametrize("numbers", [ID_CASES, variants(5000)], ids=["edge cases", "variants"])
def test_the_numbers_set_aside_at_once_are_those_the_validator_passes(numbers):
    assert list(_invalid_ids(numbers, TODAY)) == list(invalid_id_numbers(numbers, TODAY))


# ---- keeping findings -------------------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_an_unchanged_second_run_keeps_every_rule_and_leaves_findings_as_they_are(engine, config, township):
    first = run(engine, config)
    before = rows(engine)
    second = run(engine, config)
    assert second.kept_rules == ALL and (second.opened, second.resolved) == (0, 0)
    assert (second.still_open, second.waived) == (first.still_open, first.waived)
    assert rows(engine) == before


@pytest.mark.sqlite_only
def test_a_second_run_after_a_change_resolves_exactly_what_was_fixed(engine, config, township):
    hh = households(engine)[0]
    with engine.begin() as c:
        member(c, hh, id_number=valid_number(5)[:17] + "0")  # a wrong check character
        c.execute(update(P).where(P.c.household_id == hh).values(
            name="东大块", east="路", south="渠", west="张地", north="李地", contract_area=500.0))
        parcel(c, hh, name="")
    run(engine, config)
    with engine.connect() as c:
        subject = f"成员 {first_member(c, hh).name}"
        code = c.execute(select(P.c.code).where(P.c.household_id == hh).order_by(P.c.code)).scalars().first()
    fixed = {(hh, "id_number", subject), (hh, "parcel_name", f"地块 {code}")}
    before = {finding[:3] for finding in findings(engine)}
    assert fixed <= before
    with engine.begin() as c:
        member(c, hh, id_number=valid_number(5))
        parcel(c, hh, name="西小块")
    result = run(engine, config)
    assert (result.opened, result.resolved) == (0, 2)
    assert {finding[:3] for finding in findings(engine)} == before - fixed
    assert result.kept_rules == ALL - len(rules_reading(engine, "member") | rules_reading(engine, "parcel"))
    assert_as_a_full_run(engine, config)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("rule", sorted(CASES))
def test_breaking_and_fixing_any_rule_is_found_as_a_full_run_finds_it(engine, config, township, rule):
    make_right = CASES[rule][0]
    a, _b, c_ = three_made_right(engine, config, rule)
    run(engine, config)
    break_rule(engine, config, rule, a, c_)
    assert run(engine, config).opened >= 1
    assert any(finding[:2] == (a, rule) for finding in findings(engine))
    assert_as_a_full_run(engine, config)
    with engine.begin() as connection:
        make_right(connection, a, config)
    assert run(engine, config).resolved >= 1
    assert not any(finding[:2] == (a, rule) for finding in findings(engine))
    assert_as_a_full_run(engine, config)


@pytest.mark.sqlite_only
def test_a_village_whose_parcels_lose_and_regain_their_names_is_found_as_a_full_run_finds_it(engine, config,
                                                                                             township):
    """parcel_source_missing, a village's finding (no household): every parcel of the village without
    its name and 四至 (a source without DK), then one parcel given them (the village's finding
    resolved, the other parcels' own findings opened), then all of them."""
    village = (None, "parcel_source_missing")
    run(engine, config)
    with engine.begin() as c:
        c.execute(update(P).values(name="", east="", south="", west="", north=""))
    assert run(engine, config).opened >= 1
    assert any(finding[:2] == village for finding in findings(engine))
    assert not any(finding[1] in ("parcel_name", "parcel_boundaries") for finding in findings(engine))
    assert_as_a_full_run(engine, config)
    with engine.begin() as c:
        parcel(c, households(engine)[0], name="东大块", east="路", south="渠", west="张地", north="李地")
    assert run(engine, config).resolved >= 1
    assert not any(finding[:2] == village for finding in findings(engine))
    assert {"parcel_name", "parcel_boundaries"} <= {finding[1] for finding in findings(engine)}
    assert_as_a_full_run(engine, config)
    with engine.begin() as c:
        c.execute(update(P).values(name="东大块", east="路", south="渠", west="张地", north="李地"))
    run(engine, config)
    assert not any(finding[1] in ("parcel_name", "parcel_boundaries", "parcel_source_missing")
                   for finding in findings(engine))
    assert_as_a_full_run(engine, config)


def add_document(c, hh):
    c.execute(insert(DOC).values(archive_file_id=file_of(c, hh), doc_type="99", title="补充材料", position=99,
                                 page_count=1, signed_by_proxy=False))


def delete_document(c, hh):
    c.execute(delete(DOC).where(DOC.c.archive_file_id == file_of(c, hh), DOC.c.doc_type == "03"))


def rename_household(c, hh):
    c.execute(update(H).where(H.c.id == hh).values(phone="13800000000"))


# what is changed → the tables whose rules must be worked out again
CHANGES = {
    "a row added": (add_document, "document"),
    "a row deleted": (delete_document, "document"),
    "a row changed": (rename_household, "household"),
    "a member's number": (lambda c, hh: member(c, hh, id_number=valid_number(9)), "member"),
}


@pytest.mark.sqlite_only
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_works_out_again_the_rules_that_read_the_table_and_keeps_the_others(engine, config, township,
                                                                                       change):
    make, table = CHANGES[change]
    run(engine, config)
    with engine.begin() as c:
        make(c, households(engine)[1])
    result = run(engine, config)
    assert result.kept_rules == ALL - len(rules_reading(engine, table)) < ALL
    assert_as_a_full_run(engine, config)


@pytest.mark.sqlite_only
def test_a_change_while_the_rules_run_is_seen_by_the_next_run(engine, config, township):
    """The tables' states are taken before the rules read: a name removed just after parcel_name
    ran is found at the next run, not kept as unchanged."""
    hh = households(engine)[0]
    with engine.begin() as c:
        c.execute(update(P).where(P.c.household_id == hh).values(name="东大块"))
    order = list(checks.RULES)

    def meanwhile(done, _total):
        if order[done - 1] == "parcel_name":
            with engine.begin() as c:
                parcel(c, hh, name="")

    run(engine, config, progress=meanwhile)
    assert not any(finding[:2] == (hh, "parcel_name") for finding in findings(engine))
    assert run(engine, config).opened >= 1
    assert any(finding[:2] == (hh, "parcel_name") for finding in findings(engine))
    assert_as_a_full_run(engine, config)


@pytest.mark.sqlite_only
def test_new_settings_or_another_day_work_everything_out_again(engine, config, township):
    run(engine, config)
    assert run_context(config, TODAY) != run_context(config, TODAY + dt.timedelta(days=1))
    config.settings.checks.area_tolerance_m2 = 1000.0
    assert run(engine, config).kept_rules == 0
    assert run(engine, config).kept_rules == ALL


@pytest.mark.sqlite_only
def test_findings_changed_by_anything_else_void_what_was_kept_but_a_waiver_does_not(engine, config, township):
    run(engine, config)
    finding = checks.list_findings(engine)[0]
    checks.waive(context_for(engine, config), finding["id"], "户主已去世，由继承人另行处理")
    assert run(engine, config).kept_rules == ALL
    with engine.begin() as c:  # as the import does with a finding of a rule it shares
        c.execute(update(FINDING).where(FINDING.c.status == "open", FINDING.c.rule == "id_number")
                  .values(message="导入时的说法"))
    again = run(engine, config)
    assert again.kept_rules == 0
    assert not any(f[3] == "导入时的说法" for f in findings(engine))
    assert_as_a_full_run(engine, config)


@pytest.mark.sqlite_only
def test_a_table_whose_triggers_are_gone_is_always_read_again(engine, config, township):
    """As after a migration that rebuilt the table: its changes are no longer counted."""
    run(engine, config)
    with engine.begin() as c:
        c.execute(text("DROP TRIGGER member_counted_update"))
    hh = households(engine)[0]
    with engine.begin() as c:
        member(c, hh, sex="")
    result = run(engine, config)
    assert result.kept_rules == ALL - len({"member_incomplete", "id_number", "id_legacy", "id_duplicate",
                                           "head_mismatch"})
    assert any(finding[:2] == (hh, "member_incomplete") for finding in findings(engine))
    assert run(engine, config).kept_rules < ALL  # never kept while the table is not counted


def test_a_village_or_some_households_are_always_worked_out(engine, config, township):
    run(engine, config)
    hh = households(engine)[0]
    with engine.begin() as c:
        member(c, hh, sex="")
    assert run(engine, config, households=[hh]).kept_rules == 0
    assert any(finding[:2] == (hh, "member_incomplete") for finding in findings(engine))
    full = run(engine, config)
    assert (full.opened, full.resolved) == (0, 0)


@pytest.mark.postgresql_only
def test_on_postgresql_every_run_works_everything_out(engine, config, township):
    first = run(engine, config)
    second = run(engine, config)
    assert second.kept_rules == 0 and (second.opened, second.resolved) == (0, 0)
    assert second.still_open == first.still_open


@pytest.mark.parametrize("statement, tables", [
    (select(M.c.id).join(H, H.c.id == M.c.household_id), {"member", "household"}),
    (select(FILE.c.id).where(FILE.c.id.in_(select(DOC.c.archive_file_id))), {"archive_file", "document"}),
    (text("SELECT 1 FROM member"), {"?"}),
    (select(M.c.id).where(text("1 = 1")), {"member", "?"}),
    (None, {"?"}),
])
def test_the_tables_a_statement_reads(statement, tables):
    assert _tables_of(statement) == tables


@pytest.mark.sqlite_only
@pytest.mark.real_migrations
def test_an_archive_at_0015_upgrades_without_loss_and_then_keeps_what_it_found(config):
    from alembic import command

    from archive_tui.db import _alembic_config, make_engine, open_database
    from tests.conftest import table_counts

    engine = make_engine(config.database_url)
    command.upgrade(_alembic_config(engine), "head")  # today's code fills it; then it is taken back to 0015
    fill_demo(context_for(engine, config), households=5, seed=3)
    command.downgrade(_alembic_config(engine), "0015")
    with engine.connect() as c:
        before = {name: c.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                  for name in c.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars()}
    engine.dispose()
    engine = open_database(config.database_url)
    after = table_counts(engine)
    assert {name: after[name] for name in before if name != "alembic_version"} == {
        name: count for name, count in before.items() if name != "alembic_version"}
    assert (after["check_state"], after["table_change"]) == (0, 14)  # 0016's 13, campaign_record (0017)
    run(engine, config)
    assert run(engine, config).kept_rules == ALL
    engine.dispose()
