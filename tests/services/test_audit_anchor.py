"""The audit anchor as a service (issue 31, part 3), on SQLite and PostgreSQL: a new archive is
anchored from its first open; the anchor moves on only after the database committed and only from
an anchor that holds; a missing one fails ``verify_log`` until a deliberate, audited re-anchor; the
key in the user config folder signs it; every backup carries it; the forms that close a batch print
the one of the moment they were made, and print it again unchanged."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from archive_tui import audit
from archive_tui.audit import AUDIT
from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.core.roles import Actor, Role
from archive_tui.services.admin.audit_log import new_key, reanchor, verify_log
from archive_tui.services.admin.backup import backup, daily_backup, verify_backup
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.editing import update_household
from archive_tui.services.registers import certificates as certs
from archive_tui.services.registers.certificate_forms import print_destruction_register
from archive_tui.services.use_cases import PermissionRefused
from tests.conftest import table_counts
from tests.services.test_kept_forms import old_certificates

HOUSEHOLD = "130123101001010001"


@pytest.fixture
def anchored(engine, config):
    """The engine as the CLI and the app open it: its anchor kept (a server's beside config.toml)."""
    if engine.dialect.name != "sqlite":
        audit.keep_anchor(engine, audit.server_anchor_file(config.root))
    return engine


@pytest.fixture
def user_config(monkeypatch, tmp_path):
    """One user config folder for the whole test (the key's default place)."""
    folder = tmp_path / "用户配置"
    folder.mkdir()
    monkeypatch.setattr("archive_tui.core.config.user_config_path", lambda: folder / "config.toml")
    return folder


def anchor_path(engine):
    return engine.audit_anchor


def head(engine) -> dict:
    found = audit.head(engine)
    return {"id": found["id"], "hash": found["hash"]}


def test_a_new_archive_is_anchored_from_its_first_open_and_the_anchor_follows_each_commit(anchored, config):
    first, _why = audit.load_anchor(anchor_path(anchored))
    assert (first["id"], first["hash"]) == (0, "")  # nothing yet: the chain starts from here
    assert verify_log(context_for(anchored, config)).ok  # empty, and anchored so
    fill_demo(context_for(anchored, config), households=3, seed=2)
    update_household(context_for(anchored, config), HOUSEHOLD, {"address": "东庄村1号"})
    written = audit.load_anchor(anchor_path(anchored))[0]
    assert {"id": written["id"], "hash": written["hash"]} == head(anchored)
    assert verify_log(context_for(anchored, config)).ok


def test_a_transaction_rolled_back_leaves_the_anchor_as_it_was(anchored, config):
    fill_demo(context_for(anchored, config), households=3, seed=2)
    before = anchor_path(anchored).read_bytes()
    with pytest.raises(RuntimeError):
        with anchored.begin() as connection:
            audit.record(connection, operator="某人", action="edit", entity="household", key=HOUSEHOLD)
            raise RuntimeError("rolled back")
    assert anchor_path(anchored).read_bytes() == before and verify_log(context_for(anchored, config)).ok


def test_a_missing_anchor_fails_until_an_admin_re_anchors_deliberately(anchored, config):
    fill_demo(context_for(anchored, config), households=3, seed=2)
    for number in range(3):
        update_household(context_for(anchored, config), HOUSEHOLD, {"address": f"第{number}次"})
    with anchored.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)"))
    anchor_path(anchored).unlink()
    before = table_counts(anchored)
    check = verify_log(context_for(anchored, config))
    assert not check.ok and check.chain.ok and "不见了" in check.anchor.problems[0]
    assert audit.REANCHOR in check.anchor.problems[0] and table_counts(anchored) == before
    update_household(context_for(anchored, config), HOUSEHOLD, {"address": "又一次"})
    assert not anchor_path(anchored).exists()  # an ordinary change does not make it anew
    archivist = context_for(anchored, config, Actor("王档案", Role.ARCHIVIST))
    with pytest.raises(PermissionRefused, match="需要管理员权限"):
        reanchor(archivist, "试试")
    with pytest.raises(ArchiveError, match="须写明理由"):
        reanchor(context_for(anchored, config), "")
    with pytest.raises(ArchiveError, match="控制字符"):
        reanchor(context_for(anchored, config), "理由\x00")
    made = reanchor(context_for(anchored, config), "锚点文件被误删，已与备份核对")
    check = verify_log(context_for(anchored, config))
    assert made["id"] == head(anchored)["id"] and check.anchor.ok
    if anchored.dialect.name == "sqlite":
        assert check.ok  # the deleted event's number was taken again: the chain itself cannot tell
    else:  # PostgreSQL never gives a number twice: the gap stays in the chain, re-anchoring does not hide it
        assert not made["chain_ok"] and "缺失" in check.chain.problems[0]
    [event] = [e for e in audit.log(anchored) if e["action"] == "audit.anchor"]
    assert event["after"]["reason"] == "锚点文件被误删，已与备份核对" and event["operator"] == config.operator


def test_the_key_in_the_user_config_folder_signs_the_anchor_and_a_rewritten_one_fails(anchored, config, user_config):
    fill_demo(context_for(anchored, config), households=3, seed=2)
    made = new_key(context_for(anchored, config))
    key_file = user_config / "审计密钥.key"
    assert made["key_file"] == str(key_file) and key_file.is_file()
    update_household(context_for(anchored, config), HOUSEHOLD, {"address": "东庄村2号"})
    written = audit.load_anchor(anchor_path(anchored))[0]
    assert written["id"] == head(anchored)["id"] and audit.signed(written, audit.read_key(key_file))
    check = verify_log(context_for(anchored, config))
    assert check.ok and check.anchor.keyed
    with anchored.begin() as connection:  # an edit, the chain computed anew, the anchor rewritten without the key
        connection.execute(text("UPDATE audit_event SET operator = '别人' WHERE id = 1"))
        previous = ""
        for row in connection.execute(select(AUDIT).order_by(AUDIT.c.id)).all():
            digest = audit.event_hash(previous, audit._hashed_fields(row._mapping))
            connection.execute(AUDIT.update().where(AUDIT.c.id == row.id).values(prev_hash=previous, hash=digest))
            previous = digest
    anchor_path(anchored).write_text(json.dumps({**written, "hash": previous}), encoding="utf-8")
    check = verify_log(context_for(anchored, config))
    assert check.chain.ok and not check.ok and "密钥签名与其内容不符" in check.anchor.problems[0]


def test_every_backup_carries_the_anchor_of_what_it_holds(anchored, config, tmp_path):
    fill_demo(context_for(anchored, config), households=3, seed=2)
    at_backup = head(anchored)
    backup(context_for(anchored, config), tmp_path / "备份")
    manifest = json.loads((tmp_path / "备份" / "manifest.json").read_text(encoding="utf-8"))
    assert {"id": manifest["audit"]["id"], "hash": manifest["audit"]["hash"]} == at_backup
    assert verify_backup(tmp_path / "备份").ok


@pytest.mark.sqlite_only
def test_the_daily_compressed_backup_carries_the_signed_anchor_and_its_verify_reads_it(anchored, config,
                                                                                      user_config):
    fill_demo(context_for(anchored, config), households=3, seed=2)
    new_key(context_for(anchored, config))
    at_backup = head(anchored)
    made = daily_backup(context_for(anchored, config), now=dt.datetime(2026, 11, 20, 9, 0))
    manifest = json.loads((made / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"]["compression"] == "gzip"
    kept = manifest["audit"]
    assert {"id": kept["id"], "hash": kept["hash"]} == at_backup
    key = audit.read_key(user_config / "审计密钥.key")
    assert audit.signed(kept, key) and verify_backup(made, key).ok
    manifest["audit"]["hmac"] = "0" * 64
    (made / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = verify_backup(made, key)
    assert not report.ok and "密钥签名不符" in report.problems[0]
    # the live chain is held against it as well: the newest events cut off are found
    anchor_path(anchored).unlink()
    with anchored.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id > 1"))
    check = verify_log(context_for(anchored, config))
    assert not check.chain.ok and f"备份 {made.name}" in check.chain.problems[0]


@pytest.fixture
def closed_register(anchored, config):
    """A 销毁清册 of two recalled old certificates, closed: its form kept as it was made."""
    fill_demo(context_for(anchored, config), households=12, seed=5)
    old = old_certificates(anchored, 2)
    for serial, _code, _name in old:
        certs.recall(context_for(anchored, config), serial, by="本人", condition="完好", on=dt.date(2026, 10, 8))
    number = certs.new_batch(context_for(anchored, config), certs.BatchForm(
        "城政发〔2026〕5号", "李四", ["赵六", "钱七"], "粉碎", "城关镇政府", dt.date(2026, 11, 20),
        appraisal_head="孙八", approved_on=dt.date(2026, 11, 10)))
    certs.add_to_batch(context_for(anchored, config), number, [serial for serial, _code, _name in old])
    certs.close_batch(context_for(anchored, config), number)
    return number


def _printed_anchor(path) -> str:
    book = load_workbook(path)
    [value] = [row[1] for row in book["封面"].iter_rows(values_only=True) if row and row[0] == "审计日志"]
    return value


def test_the_closing_form_prints_the_anchor_of_its_making_and_again_the_same(anchored, config, closed_register,
                                                                           tmp_path):
    [close] = [e for e in audit.log(anchored) if e["action"] == "destruction.close"]
    with anchored.connect() as connection:
        rendered = connection.execute(select(AUDIT.c.hash).where(AUDIT.c.id == close["id"] - 1)).scalar_one()
    first = print_destruction_register(context_for(anchored, config), closed_register, tmp_path / "清册.xlsx").path
    printed = _printed_anchor(first)
    assert printed.endswith(f"第 {close['id'] - 1} 条哈希 {rendered[:16]}")  # the head the form was made at
    update_household(context_for(anchored, config), HOUSEHOLD, {"address": "之后的改动"})
    assert audit.anchor_text(anchored) != printed  # the chain has moved on …
    again = print_destruction_register(context_for(anchored, config), closed_register, tmp_path / "重印.xlsx").path
    assert again.read_bytes() == first.read_bytes() and _printed_anchor(again) == printed  # … the kept form has not
