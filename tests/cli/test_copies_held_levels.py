"""[copies] held_levels: the copies this archive holds are what `copies box` boxes without
--level (--level still chooses), what the 总览 counts; a level that is not one is refused when
the config is loaded, naming the key."""

import json

import pytest
from sqlalchemy import update

from archive_tui.bootstrap import context_for
from archive_tui.core.config import default_config_text, load_config, parse_settings
from archive_tui.core.errors import ArchiveError
from archive_tui.db.tables import COPY
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.dashboard import village_summary

HELD = 'held_levels = ["township"]'


def boxes_by_level(cli, archive_dir) -> dict[str, set[str]]:
    return {level: {row["box"] for row in json.loads(cli("copies", "list", "--level", level, "--json",
                                                         cwd=archive_dir).out)}
            for level in ("village", "township", "county")}


def test_copies_box_without_level_boxes_the_held_copies_only(cli, archive_dir):
    assert HELD in (archive_dir / "config.toml").read_text(encoding="utf-8")  # the default: the township's own
    cli("demo", "--households", "6", cwd=archive_dir)
    village = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]["village"]
    boxed = cli("copies", "box", "--village", village, "--capacity", "4", cwd=archive_dir)
    assert boxed.code == 0 and "乡镇级：已装盒 6 份，共 2 盒" in boxed.out and "村级" not in boxed.out
    boxes = boxes_by_level(cli, archive_dir)
    assert boxes["village"] == boxes["county"] == {""} and "" not in boxes["township"]
    assert cli("copies", "box", "--village", village, "--capacity", "4", "--level", "county",
               cwd=archive_dir).code == 0  # --level still chooses
    assert "" not in boxes_by_level(cli, archive_dir)["county"]


def test_held_levels_may_name_several_copies_in_chinese(cli, archive_dir):
    path = archive_dir / "config.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(HELD, 'held_levels = ["县", "乡镇"]'), encoding="utf-8")
    assert load_config(path).settings.copies.held_levels == ["township", "county"]
    cli("demo", "--households", "5", cwd=archive_dir)
    village = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]["village"]
    boxed = cli("copies", "box", "--village", village, "--capacity", "10", cwd=archive_dir)
    assert boxed.code == 0 and "乡镇级：已装盒 5 份" in boxed.out and "县级：已装盒 5 份" in boxed.out
    boxes = boxes_by_level(cli, archive_dir)
    assert boxes["village"] == {""} and len(boxes["township"]) == len(boxes["county"]) == 1
    assert next(iter(boxes["township"])).startswith("乡") and next(iter(boxes["county"])).startswith("县")


@pytest.mark.parametrize("value, message", [
    ('["city"]', "copies.held_levels 中的“city”不是份别"),
    ('["township", "乡政府"]', "copies.held_levels 中的“乡政府”不是份别"),
    ("[]", "copies.held_levels 不能为空"),
    ('"township"', "copies.held_levels 应为列表"),
])
def test_a_level_that_is_not_one_is_refused_on_load(value, message):
    with pytest.raises(ArchiveError) as error:
        parse_settings(default_config_text().replace(HELD, f"held_levels = {value}"), "config.toml")
    assert message in str(error.value)


def test_a_bad_held_level_stops_the_cli_with_the_key_named(cli, archive_dir):
    path = archive_dir / "config.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(HELD, 'held_levels = ["city"]'), encoding="utf-8")
    result = cli("copies", "list", cwd=archive_dir)
    assert result.code == 1 and "copies.held_levels" in result.err and "city" in result.err


def test_the_dashboard_counts_transferred_copies_of_the_held_levels(config, engine):
    fill_demo(context_for(engine, config), households=4, seed=2)
    with engine.begin() as connection:  # the county's copies handed on (as the county's own archive would)
        connection.execute(update(COPY).where(COPY.c.level == "county").values(status="transferred"))
    assert village_summary(engine, config)[-1]["transferred"] == 0  # a township holds its own copy only
    with engine.begin() as connection:
        connection.execute(update(COPY).where(COPY.c.level == "township").values(status="transferred"))
    assert village_summary(engine, config)[-1]["transferred"] == 4
