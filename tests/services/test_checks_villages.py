"""Findings a person can work through: what a village's source lacked (no DK table) is one 待补充
finding per village with the count, not an error per parcel; a household whose head and the member
marked 户主 disagree is named; a rule's severity set in config.toml; waivers in bulk with one reason."""

import json

import pytest
from sqlalchemy import delete, insert, select, update

from archive_tui.bootstrap import context_for
from archive_tui.core.config import parse_settings
from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.quality import checks
from models import AuditEvent, Finding, Household, Issuer, Member, Parcel
from tests.conftest import table_counts, write_tables_csv
from tests.fixtures.real_sources import TOWNSHIP, write_access_text_export

H, M, P, ISSUER = Household.__table__, Member.__table__, Parcel.__table__, Issuer.__table__
FINDING, AUDIT = Finding.__table__, AuditEvent.__table__
VALID = "110105198001010019"  # a valid resident ID number (check character 9)
OTHER = "110105198202020024"


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=8, seed=12)
    return engine


def run(engine, config, **options):
    return checks.run_checks(context_for(engine, config), **options)


def open_findings(engine, rule: str) -> list[dict]:
    return checks.list_findings(engine, rules=[rule], statuses=("open",))


# ---- what the source lacked: one finding per village ------------------------------------------------

def test_a_county_source_without_dk_gives_one_pending_finding_per_village_with_the_count(engine, config, tmp_path):
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "县导出"))
    run(engine, config)
    expected: dict[str, int] = {}
    with engine.connect() as c:
        for name in c.execute(select(ISSUER.c.village_name).join(H, H.c.issuer_id == ISSUER.c.id)
                              .join(P, P.c.household_id == H.c.id)).scalars():
            expected[name] = expected.get(name, 0) + 1
    assert len(expected) == 2 and sum(expected.values()) == len(TOWNSHIP["CBDKXX"])
    found = open_findings(engine, "parcel_source_missing")
    assert {f["message"] for f in found} == {f"{village} {count} 块地块没有名称和四至：数据源中没有地块表（DK），待补充"
                                             for village, count in expected.items()}
    assert {(f["severity"], f["cbfbm"], f["village"]) for f in found} == {
        ("pending", None, village) for village in expected}
    assert open_findings(engine, "parcel_name") == [] and open_findings(engine, "parcel_boundaries") == []
    assert checks.rule_label("parcel_source_missing") == ("待补充", checks.RULES["parcel_source_missing"].description)
    # 待补充 does not fail a village, and a second run changes nothing
    assert checks.open_by_rule(engine, village=next(iter(expected)))["parcel_source_missing"] == 1
    again = run(engine, config)
    assert (again.opened, again.resolved) == (0, 0)


def test_a_generated_source_without_its_dk_table_likewise(engine, config, tmp_path):
    folder = write_tables_csv(config, tmp_path / "无DK", households=20, edit=lambda tables: tables.pop("DK"))
    run_import(context_for(engine, config), folder)
    run(engine, config)
    with engine.connect() as c:
        villages = c.execute(select(ISSUER.c.village_name).distinct()).scalars().all()
        parcels = c.execute(select(P.c.id)).scalars().all()
    found = open_findings(engine, "parcel_source_missing")
    assert sorted(f["village"] for f in found) == sorted(villages)
    assert sum(int(f["message"].split(" ")[1].replace(",", "")) for f in found) == len(parcels)
    assert open_findings(engine, "parcel_name") == [] and open_findings(engine, "parcel_boundaries") == []


def test_once_a_village_has_its_parcels_the_village_finding_is_resolved_and_a_gap_is_a_parcels_own(
        engine, config, tmp_path):
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "县导出"))
    run(engine, config)
    [first, second] = sorted(open_findings(engine, "parcel_source_missing"), key=lambda f: f["subject"])
    code = first["subject"].removeprefix(checks.VILLAGE_SUBJECT)
    in_village = select(H.c.id).join(ISSUER, ISSUER.c.id == H.c.issuer_id).where(ISSUER.c.village_code == code)
    with engine.begin() as c:  # as a later import of the DK table does
        c.execute(update(P).where(P.c.household_id.in_(in_village))
                  .values(name="东大块", east="路", south="渠", west="张地", north="李地"))
        one = c.execute(select(P.c.code).where(P.c.household_id.in_(in_village)).order_by(P.c.code)).scalars().first()
        c.execute(update(P).where(P.c.code == one).values(name="", west=""))
    result = run(engine, config)
    assert result.resolved == 1
    assert [f["id"] for f in open_findings(engine, "parcel_source_missing")] == [second["id"]]
    assert [f["subject"] for f in open_findings(engine, "parcel_name")] == [f"地块 {one}"]
    assert [f["message"] for f in open_findings(engine, "parcel_boundaries")] == [f"地块 {one}：四至缺西"]


def blank(c, **values):
    c.execute(update(P).values(**values))


SIDES_EMPTY = {"east": "", "south": "", "west": "", "north": ""}
SIDES_FULL = {"east": "路", "south": "渠", "west": "张地", "north": "李地"}


# what the village's parcels lack → the village's finding (or none), per-parcel findings of each rule
PARCEL_CASES = {
    "all named and bounded": ({"name": "东大块", **SIDES_FULL}, None, 0, 0),
    "no names, no 四至": ({"name": "", **SIDES_EMPTY}, "没有名称和四至：数据源中没有地块表（DK）", 0, 0),
    "no names, 四至 there": ({"name": "", **SIDES_FULL}, "没有名称：数据源中没有地块名称", 0, 0),
    "names there, no 四至": ({"name": "东大块", **SIDES_EMPTY}, "没有四至：数据源中没有四至", 0, 0),
    "names there, one side everywhere missing": ({"name": "东大块", **SIDES_FULL, "east": ""}, None, 0, "all"),
}


@pytest.mark.parametrize("case", sorted(PARCEL_CASES))
def test_what_the_village_lacks_decides_between_one_village_finding_and_one_per_parcel(engine, config, township,
                                                                                       case):
    values, message, unnamed, unbounded = PARCEL_CASES[case]
    with engine.begin() as c:
        blank(c, **values)
        parcels = len(c.execute(select(P.c.id)).all())
        village = c.execute(select(ISSUER.c.village_name)).scalars().first()
    run(engine, config)
    found = open_findings(engine, "parcel_source_missing")
    if message is None:
        assert found == []
    else:
        [finding] = found
        assert finding["message"].startswith(f"{village} {parcels} 块地块{message}")
        assert finding["message"].endswith("，待补充") and finding["cbfbm"] is None
    assert len(open_findings(engine, "parcel_name")) == unnamed
    assert len(open_findings(engine, "parcel_boundaries")) == (parcels if unbounded == "all" else unbounded)


def test_a_village_finding_waived_stays_waived_and_a_village_check_sees_only_its_own(engine, config, tmp_path):
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "县导出"))
    run(engine, config)
    [first, second] = sorted(open_findings(engine, "parcel_source_missing"), key=lambda f: f["subject"])
    checks.waive(context_for(engine, config), first["id"], "县里的矢量图层另行移交")
    run(engine, config, village=second["village"])  # a village's run leaves the other village's finding alone
    run(engine, config)
    statuses = {f["id"]: f["status"] for f in checks.list_findings(engine, rules=["parcel_source_missing"])}
    assert statuses == {first["id"]: "waived", second["id"]: "open"}
    assert [f["id"] for f in checks.list_findings(engine, village=first["village"],
                                                  rules=["parcel_source_missing"])] == [first["id"]]


# ---- the household head against the member marked 户主 ----------------------------------------------

# (household's name, its ID number, members as (name, ID number, relation)) → what the finding says (None: none)
HEAD_CASES = {
    "head as listed": ("张三", VALID, [("张三", VALID, "02"), ("李四", OTHER, "10")], None),
    "本人 counts as the head": ("张三", VALID, [("张三", VALID, "01")], None),
    "ID letter case and spaces": ("张 三", VALID[:-1] + "x ", [("张三", VALID[:-1] + "X", "02")], None),
    "same ID, another name": ("张三", VALID, [("张叁", VALID, "02")], "标为户主的 张叁 证件号码与承包方相同"),
    "head with another ID": ("张三", VALID, [("张三", OTHER, "02")], "标为户主的 张三 证件号码与承包方"),
    "the ID's holder not marked 户主": ("张三", VALID, [("张三", VALID, "10"), ("李四", OTHER, "02")],
                                      "与户主关系为“配偶”，不是户主"),
    "nobody marked, nobody with the ID": ("张三", VALID, [("李四", OTHER, "10")], "也没有证件号码与承包方"),
    "two marked, one right": ("张三", VALID, [("张三", VALID, "02"), ("张小三", OTHER, "02")], None),
    "no ID, head of the name": ("张三", "", [("张三", OTHER, "02")], None),
    "no ID, head of another name": ("张三", "", [("王五", OTHER, "02")], "标为户主的是 王五，与承包方姓名不同"),
    "no ID, nobody marked": ("张三", "", [("王五", OTHER, "20")], "家庭成员中没有标为户主的人"),
}


def set_household(c, hh, name: str, number: str, members: list[tuple[str, str, str]], contractor_type="1"):
    c.execute(update(H).where(H.c.id == hh).values(name=name, id_number=number, id_type="1",
                                                   contractor_type=contractor_type))
    c.execute(delete(M).where(M.c.household_id == hh))
    for position, (member_name, member_number, relation) in enumerate(members):
        c.execute(insert(M).values(household_id=hh, position=position, name=member_name, sex="1", id_type="1",
                                   id_number=member_number, relation=relation))


@pytest.mark.parametrize("case", sorted(HEAD_CASES))
def test_the_household_head_and_the_member_marked_head(engine, config, township, case):
    name, number, members, said = HEAD_CASES[case]
    with engine.connect() as c:
        hh, other = c.execute(select(H.c.id).order_by(H.c.code)).scalars().all()[:2]
    with engine.begin() as c:
        set_household(c, hh, name, number, members)
        set_household(c, other, "赵六", OTHER, [("赵六", OTHER, "02")])  # right, whatever the case
    run(engine, config, rules=["head_mismatch"])
    found = {f["cbfbm"]: f for f in open_findings(engine, "head_mismatch")}
    with engine.connect() as c:
        code, other_code = (c.execute(select(H.c.code).where(H.c.id == h)).scalar_one() for h in (hh, other))
    assert other_code not in found
    if said is None:
        assert code not in found
    else:
        message = found[code]["message"]
        assert message.startswith(f"承包方 {name}：") and said in message, message
        assert VALID not in message  # ID numbers masked


def test_a_unit_or_a_household_without_members_is_not_asked_for_a_head(engine, config, township):
    with engine.connect() as c:
        unit, bare = c.execute(select(H.c.id).order_by(H.c.code)).scalars().all()[:2]
    with engine.begin() as c:
        set_household(c, unit, "某合作社", VALID, [("王五", OTHER, "20")], contractor_type="3")
        set_household(c, bare, "张三", VALID, [])
    run(engine, config, rules=["head_mismatch"])
    assert open_findings(engine, "head_mismatch") == []


# ---- a rule's severity set in config.toml ---------------------------------------------------------

def with_checks(config, text: str):
    path = config.path
    path.write_text(path.read_text(encoding="utf-8").replace("[checks]", f"[checks]\n{text}", 1), encoding="utf-8")
    return path


def test_a_rules_severity_as_config_sets_it_and_a_change_regrades_what_is_open(engine, config, township):
    with engine.begin() as c:
        c.execute(update(P).values(east=""))
    run(engine, config)
    assert {f["severity"] for f in open_findings(engine, "parcel_boundaries")} == {"error"}
    config.settings = parse_settings(with_checks(config, 'severity = { parcel_boundaries = "警告" }').read_text(
        encoding="utf-8"), "config.toml")
    assert config.settings.checks.severity == {"parcel_boundaries": "warning"}
    result = run(engine, config)
    assert (result.opened, result.resolved) == (0, 0)
    assert {f["severity"] for f in open_findings(engine, "parcel_boundaries")} == {"warning"}
    assert checks.rule_label("parcel_boundaries", config)[0] == "警告"


@pytest.mark.parametrize("line, named", [
    ('severity = { parcel_boundries = "警告" }', "checks.severity 中的“parcel_boundries”不是质检规则的编码"),
    ('severity = { parcel_boundaries = "提示" }', "checks.severity 中 parcel_boundaries 的级别“提示”无效"),
    ('severity = "警告"', "键 checks.severity"),
])
def test_a_wrong_severity_setting_is_refused_naming_the_key(config, line, named):
    with pytest.raises(ArchiveError) as caught:
        parse_settings(with_checks(config, line).read_text(encoding="utf-8"), "config.toml")
    assert named in " ".join([caught.value.message, *caught.value.details])


# ---- waiving in bulk -------------------------------------------------------------------------------

def audit_events(engine) -> list:
    with engine.connect() as c:
        return c.execute(select(AUDIT.c.action, AUDIT.c.entity, AUDIT.c.entity_key, AUDIT.c.after)
                         .where(AUDIT.c.action == "waive").order_by(AUDIT.c.id)).all()


def test_waive_all_of_a_rule_then_of_a_rule_in_a_village_with_one_reason(engine, config, tmp_path):
    run_import(context_for(engine, config), write_access_text_export(tmp_path / "县导出"))
    run(engine, config)
    [first, second] = sorted(open_findings(engine, "parcel_source_missing"), key=lambda f: f["subject"])
    count = checks.waive_many(context_for(engine, config), "矢量图层在县里，另行移交", rule="parcel_source_missing",
                              village=first["village"])
    assert count == 1
    assert [f["id"] for f in open_findings(engine, "parcel_source_missing")] == [second["id"]]
    documents = open_findings(engine, "documents_missing")
    assert len(documents) > 1
    assert checks.waive_many(context_for(engine, config), " 纸质档案另行补扫 ",
                             rule="documents_missing") == len(documents)
    waived = checks.list_findings(engine, rules=["documents_missing"], statuses=("waived",))
    assert {(f["waived_reason"], f["waived_by"]) for f in waived} == {("纸质档案另行补扫", config.operator)}
    events = audit_events(engine)
    assert [(e.entity, e.entity_key) for e in events] == [("findings", "parcel_source_missing"),
                                                         ("findings", "documents_missing")]
    last = json.loads(events[-1].after)
    assert last["count"] == len(documents) and sorted(last["ids"]) == sorted(f["id"] for f in documents)
    assert last["reason"] == "纸质档案另行补扫"
    again = run(engine, config)  # still found: still waived
    assert again.opened == 0 and len(checks.list_findings(engine, rules=["documents_missing"],
                                                          statuses=("waived",))) == len(documents)


def test_waive_a_selection_takes_the_open_ones_among_them(engine, config, township):
    run(engine, config)
    found = checks.list_findings(engine, statuses=("open",))[:3]
    checks.waive(context_for(engine, config), found[0]["id"], "先豁免一条")
    count = checks.waive_many(context_for(engine, config), "一起豁免", ids=[f["id"] for f in found])
    assert count == 2
    reasons = {f["id"]: f["waived_reason"] for f in checks.list_findings(engine, statuses=("waived",))}
    assert reasons == {found[0]["id"]: "先豁免一条", found[1]["id"]: "一起豁免", found[2]["id"]: "一起豁免"}


@pytest.mark.parametrize("options, message", [
    ({"rule": "parcel_boundries"}, "没有规则“parcel_boundries”"),
    ({"rule": "documents_missing", "village": "月球村"}, "找不到村“月球村”"),
    ({"rule": "contract_term"}, "没有待处理的问题可豁免"),
    ({"ids": [999999]}, "没有编号为 999999 的问题"),
    ({}, "给出一条规则"),
    ({"village": "岗张桥村", "ids": [1]}, "按村豁免须同时给出规则"),
])
def test_a_bulk_waiver_that_cannot_be_done_changes_nothing(engine, config, township, options, message):
    run(engine, config)
    before = table_counts(engine)
    open_before = checks.list_findings(engine, statuses=("open",))
    with pytest.raises(ArchiveError, match=message):
        checks.waive_many(context_for(engine, config), "理由", **options)
    with pytest.raises(ArchiveError, match="理由"):
        checks.waive_many(context_for(engine, config), "  ", rule="documents_missing")
    assert table_counts(engine) == before and checks.list_findings(engine, statuses=("open",)) == open_before
