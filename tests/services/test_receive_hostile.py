"""A transfer bag is untrusted: one built by another township's archive-tui and then changed
the way a careless or hostile producer would (catalogue values, identities, special files,
bytes), each refused with a message and nothing written — and a killed receive cleaned up."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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
from archive_tui.services.intake.scans import list_scans, verify_store
from archive_tui.services.transfers.transfer_bags import package, receive
from models import ScanPage
from tests.conftest import table_counts
from tests.services.test_transfers import batch, scan_whole_files

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
    scan_whole_files(engine, config, township)
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in township])
    transfers.send(context_for(engine, config), number)
    [bag] = package(context_for(engine, config), number, out, processes=1)
    return bag


@pytest.fixture(scope="module")
def made_bag(tmp_path_factory):
    """One township's sent bag, made once for the module (scanning every page takes seconds)."""
    folder = tmp_path_factory.mktemp("township")
    township_config, township_engine = archive(folder / "乡镇")
    made = sent_bag(township_config, township_engine, folder / "bags")
    township_engine.dispose()
    return made


@pytest.fixture
def bag(made_bag, tmp_path):
    """A copy of the township's bag of this test's own, to receive or to spoil."""
    return Path(shutil.copytree(made_bag, tmp_path / "bags" / made_bag.name))


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


@pytest.mark.parametrize(("key", "name", "shown"), [
    ("village_name", "../../../../tmp/出去", "../../../../tmp/出去"),
    ("village_name", "/tmp/出去/村", "/tmp/出去/村"),
    ("village_name", "C:\\Windows\\出去", "C:\\Windows\\出去"),
    ("issuer_name", "东庄村\x1b[2J", "东庄村\\x1b[2J"),
    ("household", "张三\x00", "张三\\x00"),
])
def test_a_name_like_a_path_or_with_control_characters_is_refused(bag, county, tmp_path, key, name, shown):
    """A village, issuer or household name becomes part of folder names and forms: one that is a
    path or hides control characters is refused by name, nothing taken in, nothing written outside."""
    def change(data):
        for entry in data["files"]:
            entry[key] = name

    error = refused(county, tampered(bag, change, tmp_path), "目录 catalogue.json 不合规，未接收")
    assert f"  - files[1].{key}：名称“{shown}”含有路径符号、..或控制字符" in "\n".join(error.details)
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
    assert result.new_pages == 41  # the two households' every page
    report = verify_store(engine, config)
    assert not (report.missing or report.changed or report.orphans), vars(report)
    assert not (config.store / "_receiving").exists() or not any((config.store / "_receiving").iterdir())



def with_extra_files(bag, tmp_path, names: dict[str, bytes]):
    """The bag with files added to its payload and listed in its manifests: a valid bag that a
    careless producer filled with what an archive bag must not hold."""
    copy = Path(shutil.copytree(bag, tmp_path / "多了文件的包"))
    for name, data in names.items():
        target = copy / "data" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    bagit.Bag(str(copy)).save(manifests=True)
    return copy


def catalogued_twice(data):
    data["files"].append(json.loads(json.dumps(data["files"][0])))


@pytest.mark.parametrize(("spoil", "failed"), [
    (lambda bag, tmp_path: with_extra_files(bag, tmp_path, {"scans/inner.zip": b"PK\x03\x04" + b"\0" * 60}),
     "AQ-01 没有可执行文件"),
    (lambda bag, tmp_path: with_extra_files(bag, tmp_path, {"scans/run.exe": b"MZ" + b"\0" * 60}),
     "AQ-01 没有可执行文件"),
    (lambda bag, tmp_path: with_extra_files(bag, tmp_path, {"notes/readme.txt": "说明".encode()}),
     "AQ-02 没有移交包不应有的文件"),
    (lambda bag, tmp_path: tampered(bag, catalogued_twice, tmp_path), "WZ-03"),
])
def test_receive_refuses_what_the_four_properties_check_fails(bag, county, tmp_path, spoil, failed):
    """Receive runs the same 四性检测 as transfers check: a bag that fails it is refused, listing the
    failed items, and nothing is taken in."""
    error = refused(county, spoil(bag, tmp_path), "未通过四性检测.*未接收；核实后确需接收的，可加 --override 理由")
    assert any(line.startswith(f"  - {failed}") for line in error.details), error.details


def test_receive_with_an_override_takes_a_failing_bag_in_and_audits_why(bag, county, tmp_path):
    from models import AuditEvent

    config, engine = county
    spoiled = with_extra_files(bag, tmp_path, {"notes/readme.txt": "说明".encode()})
    result = receive(context_for(engine, config), spoiled, override="乡镇来电说明：readme 为误放，已登记")
    assert result.new_pages == 41 and result.failed_checks == ["AQ-02 没有移交包不应有的文件"]
    with engine.connect() as connection:
        after = connection.execute(select(AuditEvent.after).where(AuditEvent.action == "transfer.receive")).scalar_one()
    logged = json.loads(after)
    assert logged["四性检测"] == "不通过" and logged["不通过项"] == ["AQ-02 没有移交包不应有的文件"]
    assert logged["放行理由"] == "乡镇来电说明：readme 为误放，已登记"


def test_a_clean_bag_is_received_with_its_check_in_the_audit_log(bag, county):
    from models import AuditEvent

    config, engine = county
    assert receive(context_for(engine, config), bag).failed_checks == []
    with engine.connect() as connection:
        after = connection.execute(select(AuditEvent.after).where(AuditEvent.action == "transfer.receive")).scalar_one()
    assert json.loads(after)["四性检测"] == "通过"


@pytest.mark.parametrize(("content", "message"), [
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "嵌套层数过多（不是 archive-tui 写出的目录）",
                 id="nested-100000-deep"),
    pytest.param(b'{"format": "archive-tui transfer 1",', "不是有效的 JSON（第1行第37列）", id="cut-short"),
    pytest.param("{\"to\": \"县档案馆\"}".encode("gb18030"), "不是 UTF-8 文本", id="gb18030"),
    pytest.param(b"[1, 2]", "不是一组键和值", id="a-list"),
])
def test_a_hostile_catalogue_file_is_one_chinese_line_in_receive_and_check(bag, county, tmp_path, content, message):
    from archive_tui.services.transfers.bag_checks import check_bag

    config, _engine = county
    (bag / "data" / "catalogue" / "catalogue.json").write_bytes(content)
    bagit.Bag(str(bag)).save(manifests=True)
    refused(county, bag, f"目录 catalogue.json {re.escape(message)}，未接收")
    report = check_bag(bag, config)
    assert report.failed and all("Recursion" not in " ".join(item.details) for item in report.items)
    assert any(f"catalogue.json 无法读取：{message}" in " ".join(item.details) for item in report.items)


def test_a_catalogue_larger_than_any_batch_is_refused_unread(bag, county, monkeypatch):
    from archive_tui.services.transfers import bag_catalogue

    monkeypatch.setattr(bag_catalogue, "CATALOGUE_MAX_BYTES", 1024)
    refused(county, bag, r"目录 catalogue.json 过大（\d+ MB，上限 0 MB），未接收")
