"""Reading household files: paging, filters, one file in full, masking."""

import json

import pytest
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.core.privacy import mask_id, mask_phone
from archive_tui.services.households.households import (
    count_households, list_households, show_household, township_counts,
)
from models import AuditEvent


@pytest.mark.parametrize(
    ("number", "masked"),
    [("11010519491231002X", "110105********002X"), ("130123800101001", "130123*****1001"), ("", ""),
     ("12345", "*****")],
)
def test_id_masking(number, masked):
    assert mask_id(number) == masked


def test_phone_masking():
    assert mask_phone("13912345678") == "139****5678"


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=400, seed=4)
    return engine


def test_pages_follow_code_order_without_gaps(township):
    first = list_households(township, limit=50)
    second = list_households(township, limit=50, offset=50)
    everything = list_households(township)
    assert [r["cbfbm"] for r in first + second] == [r["cbfbm"] for r in everything[:100]]
    assert len(everything) == 400 == count_households(township)


def test_search_finds_members_and_id_numbers(township, config):
    some = list_households(township, limit=1, offset=30)[0]
    data = show_household(context_for(township, config), some["cbfbm"], reveal=True)
    member = data["members"][-1]
    assert some["cbfbm"] in [r["cbfbm"] for r in list_households(township, search=member["name"])]
    if member["id_number"]:
        assert [r["cbfbm"] for r in list_households(township, search=member["id_number"])] == [some["cbfbm"]]
    assert list_households(township, search="不存在的名字") == []


def test_village_filter_by_name_and_code(township):
    rows = list_households(township)
    village = rows[0]["village"]
    by_name = list_households(township, village=village)
    by_code = list_households(township, village=rows[0]["cbfbm"][9:12])
    assert by_name == by_code and 0 < len(by_name) < len(rows)


def test_show_lists_documents_in_configured_order(township, config):
    data = show_household(context_for(township, config), list_households(township, limit=1)[0]["archive_code"])
    assert [d["doc_type"] for d in data["documents"]] == [d.code for d in config.settings.documents]
    assert data["archive_file"]["pages"] == sum(d["pages"] for d in data["documents"])
    json.dumps(data, ensure_ascii=False)  # serialisable as it stands


def test_revealing_numbers_is_recorded(township, config):
    key = list_households(township, limit=1)[0]["cbfbm"]
    masked = show_household(context_for(township, config), key)
    revealed = show_household(context_for(township, config), key, reveal=True)
    assert "*" in masked["household"]["id_number"] and "*" not in revealed["household"]["id_number"]
    with township.connect() as connection:
        actions = connection.execute(select(AuditEvent.action, AuditEvent.entity_key)).all()
    assert ("reveal", key) in actions


def test_unknown_key(township, config):
    with pytest.raises(ArchiveError, match="找不到"):
        show_household(context_for(township, config), "130123101001019999")


def test_counts(township):
    counts = township_counts(township)
    assert counts["households"] == 400 and counts["files"] == 400 and counts["members"] > 240
    assert counts["villages"] >= 1 and counts["pages"] > 0


@pytest.mark.parametrize("kind", ["name", "initials", "archive_code", "code_tail", "member_id"])
def test_browser_search_finds_by_each_kind_of_text(township, config, kind):
    from archive_tui.services.households.households import HouseholdFilter, browse_count, browse_page
    from archive_tui.services.households.search import build_missing, initials

    build_missing(township)
    target = list_households(township, limit=1, offset=77)[0]
    member_id = show_household(context_for(township, config), target["cbfbm"], reveal=True)["members"][0]["id_number"]
    typed = {"name": target["name"], "initials": initials(target["name"]),
             "archive_code": target["archive_code"].lower(), "code_tail": target["cbfbm"][-8:],
             "member_id": member_id or target["cbfbm"]}[kind]
    household_filter = HouseholdFilter(text=typed.upper() if kind == "archive_code" else typed)
    total = browse_count(township, household_filter)
    found = [r["cbfbm"] for r in browse_page(township, household_filter, 0, 500, total)]
    assert target["cbfbm"] in found and len(found) == total


def test_browser_search_escapes_like_wildcards(township):
    from archive_tui.services.households.households import HouseholdFilter, browse_count
    from archive_tui.services.households.search import build_missing

    build_missing(township)
    assert browse_count(township, HouseholdFilter(text="%")) == 0
    assert browse_count(township, HouseholdFilter(text="_")) == 0


def _rename(engine, names: dict[str, str]) -> None:
    from sqlalchemy import update

    from archive_tui.services.households import search
    from models import Household

    table = Household.__table__
    with engine.begin() as connection:
        for code, name in names.items():
            connection.execute(update(table).where(table.c.code == code).values(name=name))
        ids = connection.execute(select(table.c.id).where(table.c.code.in_(list(names)))).scalars().all()
        search.forget(connection, ids)


@pytest.mark.parametrize("descending", [False, True])
def test_names_sort_by_pinyin_then_code(township, descending):
    from archive_tui.services.households.households import HouseholdFilter, browse_count, browse_page
    from archive_tui.services.households.search import build_missing

    codes = [row["cbfbm"] for row in list_households(township, limit=5)]
    _rename(township, dict(zip(codes, ["万一", "丁二", "张三", "阿四", "丁二"])))
    build_missing(township)
    household_filter = HouseholdFilter(text="二", sort="name", descending=descending)
    names = [(r["name"], r["cbfbm"]) for r in browse_page(township, household_filter, 0, 10,
                                                           browse_count(township, household_filter))]
    assert names == sorted([("丁二", codes[1]), ("丁二", codes[4])], reverse=descending)
    everything = browse_page(township, HouseholdFilter(sort="name", descending=descending), 0, 1000, 400)
    chosen = [r["name"] for r in everything if r["cbfbm"] in codes]
    expected = ["阿四", "丁二", "丁二", "万一", "张三"]  # a, ding, ding, wan, zhang — not 丁(4E01) 万(4E07) 张 阿(963F)
    assert chosen == (expected[::-1] if descending else expected)


@pytest.mark.parametrize("typed", ["Z001-NJ-2018-Y-00002", "z001-nj.2018-y-00002",
                                   "Ｚ００１－ＮＪ·２０１８－Ｙ－００００２", "Z001-NJ・2018-Y-00002"])
def test_a_code_typed_with_other_separators_or_full_width_is_found(township, config, typed):
    archive_code = list_households(township, limit=2)[1]["archive_code"]
    assert archive_code == "Z001-NJ·2018-Y-00002"
    assert show_household(context_for(township, config), typed)["archive_file"]["archive_code"] == archive_code
    assert [r["archive_code"] for r in list_households(township, search=typed)] == [archive_code]


@pytest.mark.sqlite_only  # the CLI opens the archive folder's own SQLite file
def test_the_cli_search_is_the_apps_search(township, cli, archive_dir):
    code = list_households(township, limit=1, offset=9)[0]["cbfbm"]
    _rename(township, {code: "郑淑芬"})
    township.dispose()
    result = cli("households", "--search", "zsf", "--json", cwd=archive_dir)
    assert result.code == 0 and code in [row["cbfbm"] for row in json.loads(result.out)]
    shown = cli("show", code, cwd=archive_dir)
    assert shown.code == 0 and "四至：" in shown.out and "亩" in shown.out
    assert "issued" not in shown.out and "printed" not in shown.out
