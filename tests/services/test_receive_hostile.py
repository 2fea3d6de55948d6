"""A transfer bag is untrusted: one built by another township's archive-tui and then changed
the way a careless or hostile producer would (catalogue values, identities, special files,
bytes), each refused with a message and nothing written — and a killed receive cleaned up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import bagit
import pytest
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config
from archive_tui.db import open_database
from archive_tui.core.errors import ArchiveError
from archive_tui.services.transfers import transfers
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import ingest_once, list_scans, verify_store
from archive_tui.services.transfers.transfer_bags import package, receive
from models import ScanPage
from tests.conftest import table_counts
from tests.services.test_transfers import batch, scan_pages

WORKER = os.path.join(os.path.dirname(__file__), "..", "worker.py")


def archive(folder, township_code=None):
    folder.mkdir(parents=True)
    write_default_config(folder / "config.toml")
    if township_code:
        path = folder / "config.toml"
        path.write_text(path.read_text(encoding="utf-8").replace('code = "130123101"', f'code = "{township_code}"'),
                        encoding="utf-8")
    config = load_config(folder / "config.toml")
    return config, open_database(config.database_url)


def sent_bag(config, engine, out, households=2, seed=14):
    fill_demo(context_for(engine, config), households=households, seed=seed)
    township = list_households(engine)
    scan_pages(config, township)
    ingest_once(context_for(engine, config))
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in township])
    transfers.send(context_for(engine, config), number)
    [bag] = package(context_for(engine, config), number, out, processes=1)
    return bag


@pytest.fixture
def bag(tmp_path):
    township_config, township_engine = archive(tmp_path / "乡镇")
    made = sent_bag(township_config, township_engine, tmp_path / "bags")
    township_engine.dispose()
    return made


@pytest.fixture
def county(config, engine):
    """The county archive, on SQLite and on PostgreSQL (the township's side is a SQLite archive)."""
    return config, engine


def tampered(bag, change, tmp_path):
    """The bag with its catalogue changed and its manifests made anew: valid as a bag."""
    copy = tmp_path / "改过的包"
    shutil.copytree(bag, copy)
    path = copy / "data" / "catalogue" / "catalogue.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    bagit.Bag(str(copy)).save(manifests=True)
    return copy


def refused(county, bag, match) -> ArchiveError:
    config, engine = county
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=match) as error:
        receive(context_for(engine, config), bag)
    assert table_counts(engine) == before
    assert not any(path.is_file() for path in config.store.rglob("*"))
    return error.value


def stored_inside(config, engine):
    with engine.connect() as connection:
        paths = connection.execute(select(ScanPage.store_path)).scalars().all()
    return paths and all((config.root / path).resolve().is_relative_to(config.store.resolve()) and
                         (config.root / path).is_file() for path in paths)


@pytest.mark.parametrize("village", ["../../../../tmp/出去", "/tmp/出去/村", "C:\\Windows\\出去"])
def test_a_village_name_like_a_path_is_received_inside_the_store(bag, county, tmp_path, village):
    def change(data):
        for entry in data["files"]:
            entry["village_name"] = village

    config, engine = county
    result = receive(context_for(engine, config), tampered(bag, change, tmp_path))
    assert result.new_pages == 4 and stored_inside(config, engine)
    assert not (tmp_path / "tmp").exists()


@pytest.mark.parametrize(("key", "value", "where", "message"), [
    ("level", "galaxy", "level", "取值不在允许范围内（可选：'village' or 'township'），当前为 'galaxy'"),
    ("retention", "forever", "files[1].retention", "取值不在允许范围内"),
    ("year", "二〇一八", "files[1].year", "应为整数，当前为 '二〇一八'"),
    ("archive_code", "Z001/../../x", "files[1].archive_code", "格式不对"),
    ("archive_code", "Z001..x", "files[1]", "档号“Z001..x”含有 .."),
    ("cbfbm", "13012310100101000X", "files[1]", "承包方编码“13012310100101000X”只能由数字组成"),
    ("batch", "YJ2026-001", "batch", "格式不对"),
])
def test_catalogue_values_outside_their_rules_are_refused_by_name(bag, county, tmp_path, key, value, where, message):
    def change(data):
        if key in ("level", "batch"):
            data[key] = value
        else:
            data["files"][0][key] = value

    error = refused(county, tampered(bag, change, tmp_path), "目录 catalogue.json 不合规，未接收")
    assert any(line.startswith(f"  - {where}：") and message in line for line in error.details), error.details


def test_a_bag_of_another_township_than_it_says_is_refused(bag, county, tmp_path):
    def change(data):
        data["township"]["code"] = "130123102"
        data["batch"] = "130123102" + data["batch"][9:]

    error = refused(county, tampered(bag, change, tmp_path), "不合规")
    assert any("包中有其他乡镇（130123101）的案卷，与移交乡镇 130123102 不符" in line for line in error.details)


def test_two_townships_with_the_same_fonds_code_are_not_merged(tmp_path, county):
    """Both keep the default 全宗号 Z001: their first files share the 档号 Z001-NJ·2018-Y-00001."""
    config_a, engine_a = archive(tmp_path / "甲镇")
    config_b, engine_b = archive(tmp_path / "乙镇", "130123102")
    bag_a = sent_bag(config_a, engine_a, tmp_path / "bags-a")
    bag_b = sent_bag(config_b, engine_b, tmp_path / "bags-b")
    config, engine = county
    receive(context_for(engine, config), bag_a)
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=r"档号“Z001-NJ·2018-Y-00001”在本档案中属于承包方 130123101\d+，"
                                           r"包中却是承包方 130123102\d+"):
        receive(context_for(engine, config), bag_b)
    assert table_counts(engine) == before


def test_a_batch_number_of_a_local_draft_is_refused(bag, county):
    config, engine = county
    local = transfers.new_batch(context_for(engine, config), transfers.Batch("某单位"))
    bag_number = json.loads((bag / "data" / "catalogue" / "catalogue.json").read_text(encoding="utf-8"))["batch"]
    assert local == bag_number  # the county's own first draft has the same number as the township's
    refused(county, bag, "已有批次号为.*的移交批次（状态：draft），它不是接收来的")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_the_bag_is_refused_not_waited_for(bag, county):
    os.mkfifo(bag / "data" / "scans" / "pipe.jpg")
    error = refused(county, bag, "有不是普通文件的项目")
    assert error.details == ["  - data/scans/pipe.jpg"]


def test_a_grown_file_is_named_not_just_the_payload_count(bag, county):
    victim = sorted((bag / "data" / "scans").rglob("*.jpg"))[0]
    with victim.open("ab") as handle:
        handle.write(b"x")
    error = refused(county, bag, "校验失败")
    assert error.details == [f"文件 {victim.relative_to(bag).as_posix()} 的校验值不符（内容被改动）"]


def test_a_receive_killed_midway_is_cleaned_up_by_the_next(bag, county):
    config, engine = county
    killed = subprocess.run([sys.executable, WORKER, str(config.path), "receive-crash", str(bag)],
                            capture_output=True, text=True, timeout=240)
    assert killed.returncode != 0
    assert any(config.store.rglob("*.jpg"))  # it had moved pages into the store …
    assert list_scans(engine, "linked") == []  # … for rows that were never committed
    result = receive(context_for(engine, config), bag)
    assert result.new_pages == 4
    report = verify_store(engine, config)
    assert not (report.missing or report.changed or report.orphans), vars(report)
    assert not (config.store / "_receiving").exists() or not any((config.store / "_receiving").iterdir())


def test_a_name_with_escape_sequences_is_refused(bag, county, tmp_path):
    def change(data):
        data["files"][0]["household"] = "张\x1b[2J三"

    error = refused(county, tampered(bag, change, tmp_path), "不合规")
    assert any(line.startswith("  - files[1].household：格式不对") for line in error.details)
