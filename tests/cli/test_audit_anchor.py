"""The audit anchor cannot silently go (issue 31, part 3), tried from the command line as an attacker
would: the newest events deleted with the anchor, a damaged anchor, a chain computed anew with its
anchor rewritten while a key is configured. Each: exit 1, a Chinese message saying what is wrong and
how to re-anchor deliberately, and the database as it was (verify only reads). Then the deliberate
re-anchor (a 管理员's audited act) and the anchor in every backup."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from archive_tui import audit
from archive_tui.audit import AUDIT, ANCHOR_SUFFIX, _hashed_fields, event_hash
from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config
from archive_tui.db import open_database
from archive_tui.scanning.probe import sha256_of
from archive_tui.services.households.editing import update_household
from tests.conftest import table_counts

HOUSEHOLD = "130123101001010001"
REANCHOR = "archive-tui audit anchor --reason"


def anchor_file(archive_dir: Path) -> Path:
    return archive_dir / f"archive.db{ANCHOR_SUFFIX}"


def snapshot(archive_dir: Path) -> tuple[dict, list]:
    """The database as it stands: rows per table and every audit event's id and hash."""
    engine = open_database(load_config(archive_dir / "config.toml").database_url)
    try:
        with engine.connect() as connection:
            events = [tuple(row) for row in connection.execute(select(AUDIT.c.id, AUDIT.c.hash).order_by(AUDIT.c.id))]
        return table_counts(engine), events
    finally:
        engine.dispose()


def edit(archive_dir: Path, times: int) -> None:
    """``times`` audited changes, through the archive opened as the app opens it."""
    config = load_config(archive_dir / "config.toml")
    engine = open_database(config.database_url)
    audit.keep_anchor(engine, audit.anchor_file_for(Path(engine.url.database)))
    try:
        for number in range(times):
            update_household(context_for(engine, config), HOUSEHOLD, {"address": f"东庄村{number}号"})
    finally:
        engine.dispose()


def sql(archive_dir: Path, statement: str) -> None:
    with sqlite3.connect(archive_dir / "archive.db") as connection:
        connection.execute(statement)


def recompute_chain(archive_dir: Path) -> dict:
    """Every hash computed anew (after an edit): the walk alone passes. The new head."""
    engine = open_database(load_config(archive_dir / "config.toml").database_url)
    try:
        with engine.begin() as connection:
            previous = ""
            for row in connection.execute(select(AUDIT).order_by(AUDIT.c.id)).all():
                digest = event_hash(previous, _hashed_fields(row._mapping))
                connection.execute(AUDIT.update().where(AUDIT.c.id == row.id).values(prev_hash=previous, hash=digest))
                previous = digest
            last = connection.execute(select(AUDIT.c.id, AUDIT.c.hash).order_by(AUDIT.c.id.desc()).limit(1)).first()
        return {"id": last.id, "hash": last.hash}
    finally:
        engine.dispose()


@pytest.fixture
def archive(cli, archive_dir):
    """A township's archive with a few edits after the demo: events 1…n, anchored at n."""
    assert cli("demo", "--households", "3", cwd=archive_dir).code == 0
    edit(archive_dir, 4)
    assert cli("audit", "verify", cwd=archive_dir).code == 0
    return archive_dir


@pytest.fixture
def keyed(cli, archive, tmp_path):
    """The same archive with a 审计密钥 on the 管理员's USB stick (config.toml names it)."""
    key = tmp_path / "U盘" / "审计密钥.key"
    config = archive / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('key_file = ""', f'key_file = "{key.as_posix()}"', 1),
                      encoding="utf-8")
    made = cli("audit", "key", "new", cwd=archive)
    assert made.code == 0 and "已生成审计密钥" in made.out, made.err
    return archive, key


DATABASE_FILES = {"archive.db", "archive.db-wal", "archive.db-shm"}  # a reader may checkpoint them: compared by content


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``root`` (the archive folder and what lies beside it) with its bytes."""
    return {path.relative_to(root).as_posix(): path.read_bytes() if path.is_file() else None
            for path in sorted(root.rglob("*")) if path.name not in DATABASE_FILES}


def verify_changes_nothing(cli, archive_dir: Path):
    """``audit verify`` run on the archive: its result, the database, the anchor and every other file
    in and beside the archive folder as they were."""
    before, files = snapshot(archive_dir), tree(archive_dir.parent)
    result = cli("audit", "verify", cwd=archive_dir)
    assert snapshot(archive_dir) == before  # verify only reads
    assert tree(archive_dir.parent) == files
    assert "Traceback" not in result.err
    return result


def test_the_newest_events_deleted_with_the_anchor_fail_verify_and_the_anchor_does_not_come_back(cli, archive):
    sql(archive, "DELETE FROM audit_event WHERE id > (SELECT max(id) - 2 FROM audit_event)")
    anchor_file(archive).unlink()
    result = verify_changes_nothing(cli, archive)
    assert result.code == 1
    assert "完好：" not in result.out.splitlines()[0] and "无法确认完整" in result.out
    assert f"锚点文件 {anchor_file(archive)} 不见了" in result.out
    assert "最新的记录可能连同锚点一起被删除了" in result.out
    assert REANCHOR in result.out
    edit(archive, 1)  # the archivist goes on working: the anchor is not silently made anew
    assert not anchor_file(archive).exists()
    assert cli("audit", "verify", cwd=archive).code == 1


def test_all_events_deleted_with_the_anchor_fail_verify(cli, archive):
    sql(archive, "DELETE FROM audit_event")
    anchor_file(archive).unlink()
    result = verify_changes_nothing(cli, archive)
    assert result.code == 1 and "审计日志是空的，档案中却已有记录" in result.out and REANCHOR in result.out


@pytest.mark.parametrize("content", [
    b"{\"id\": 7, \"hash\": ",  # cut off
    b"not json at all",
    b"{}",
    b"[]",
    b"{\"id\": \"7\", \"hash\": \"" + b"a" * 64 + b"\"}",  # the id as text
    b"{\"id\": 7, \"hash\": \"xyz\"}",
    b"\xff\xfe\x00garbage",
    b"[" * 200_000,  # nested past any recursion limit
], ids=["cut-off", "text", "empty-object", "list", "id-as-text", "bad-hash", "binary", "deep"])
def test_a_malformed_anchor_fails_verify_and_stays_as_found(cli, archive, content):
    anchor_file(archive).write_bytes(content)
    result = verify_changes_nothing(cli, archive)
    assert result.code == 1
    assert f"锚点文件 {anchor_file(archive)} 无法读取或内容不对" in result.out and REANCHOR in result.out
    edit(archive, 1)
    assert anchor_file(archive).read_bytes() == content  # not overwritten by the next change
    assert cli("audit", "verify", cwd=archive).code == 1


def test_an_anchor_that_cannot_be_read_fails_verify(cli, archive):
    anchor_file(archive).unlink()
    anchor_file(archive).mkdir()  # a folder where the file was: unreadable as a file
    result = verify_changes_nothing(cli, archive)
    assert result.code == 1 and "无法读取或内容不对" in result.out


def _forged(anchor: dict, head: dict, how: str) -> dict:
    if how == "unsigned":
        return {"id": head["id"], "hash": head["hash"]}
    if how == "old-signature":
        return {**anchor, **head}
    fake = os.urandom(32)  # another key, with the right key's name written beside it
    return {**head, "hmac": audit.signature(fake, head["id"], head["hash"]), "key_id": anchor["key_id"]}


@pytest.mark.parametrize(("how", "words"), [
    ("unsigned", "没有密钥签名"), ("old-signature", "密钥签名与其内容不符"), ("other-key", "密钥签名与其内容不符"),
])
def test_an_edit_with_the_chain_recomputed_and_the_anchor_rewritten_fails_when_keyed(cli, keyed, how, words):
    archive, _key = keyed
    anchor = json.loads(anchor_file(archive).read_text(encoding="utf-8"))
    sql(archive, "UPDATE audit_event SET operator = '别人' WHERE id = 2")
    head = recompute_chain(archive)
    assert audit.verify(open_database(load_config(archive / "config.toml").database_url)).ok  # the walk passes
    anchor_file(archive).write_text(json.dumps(_forged(anchor, head, how)), encoding="utf-8")
    result = verify_changes_nothing(cli, archive)
    assert result.code == 1 and words in result.out and REANCHOR in result.out, result.out
    edit(archive, 1)  # the next change does not make the forged anchor good
    again = cli("audit", "verify", cwd=archive)
    assert again.code == 1 and "签名" in again.out


def test_the_key_is_made_owner_only_outside_the_archive_and_never_replaced(cli, keyed):
    archive, key = keyed
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 or os.name != "posix"
    signed = cli("audit", "verify", cwd=archive)
    assert signed.code == 0 and "锚点的密钥签名无误" in signed.out
    before = key.read_bytes()
    again = cli("audit", "key", "new", cwd=archive)
    assert again.code == 1 and "已存在，未覆盖" in again.err and key.read_bytes() == before
    logged = json.loads(cli("audit", "log", "--json", cwd=archive).out)
    assert [event["action"] for event in logged].count("audit.key") == 1


def test_a_key_inside_the_archive_folder_is_refused(cli, archive):
    config = archive / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('key_file = ""', 'key_file = "密钥/审计密钥.key"', 1),
                      encoding="utf-8")
    before = snapshot(archive)
    result = cli("audit", "key", "new", cwd=archive)
    assert result.code == 1 and "在档案文件夹" in result.err and "之内" in result.err
    assert not (archive / "密钥").exists() and snapshot(archive) == before


def test_a_configured_key_that_is_gone_fails_verify(cli, keyed):
    archive, key = keyed
    key.rename(key.with_name("别处.key"))  # the USB stick taken out
    result = verify_changes_nothing(cli, archive)
    assert result.code == 1 and f"审计密钥文件 {key} 不存在" in result.out


def test_a_deliberate_re_anchor_passes_verify_and_is_in_the_audit_log(cli, archive):
    sql(archive, "DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)")
    anchor_file(archive).unlink()
    assert cli("audit", "verify", cwd=archive).code == 1
    assert cli("audit", "anchor", cwd=archive).code == 2  # the reason is required
    empty = cli("audit", "anchor", "--reason", "  ", cwd=archive)
    assert empty.code == 1 and "须写明理由" in empty.err
    made = cli("audit", "anchor", "--reason", "迁移时未带上锚点文件，已与纸质清单核对", cwd=archive)
    assert made.code == 0 and "已重新设定锚点" in made.out and "已记入审计日志" in made.out, made.err
    checked = cli("audit", "verify", cwd=archive)
    assert checked.code == 0 and "审计日志完好" in checked.out
    [event] = [e for e in json.loads(cli("audit", "log", "--json", cwd=archive).out) if e["action"] == "audit.anchor"]
    assert event["after"]["reason"] == "迁移时未带上锚点文件，已与纸质清单核对"
    assert event["after"]["previous"] == {"problem": "锚点文件不存在"} and event["after"]["chain_ok"] is True
    assert json.loads(anchor_file(archive).read_text(encoding="utf-8"))["id"] == event["id"]
    shown = cli("audit", "log", cwd=archive)
    assert "重新设定审计锚点" in shown.out


def _with_password(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("很长的密码123\n".encode("utf-8"))))


def test_only_the_admin_re_anchors_where_accounts_are_used(cli, archive, monkeypatch):
    for name, role in (("赵审计", "auditor"), ("王档案", "archivist"), ("钱管理", "admin")):
        _with_password(monkeypatch)
        assert cli("users", "add", name, "--role", role, "--password-stdin", cwd=archive).code == 0
    anchor_file(archive).unlink()
    for name, label in (("赵审计", "审计员"), ("王档案", "档案员")):
        _with_password(monkeypatch)
        refused = cli("--user", name, "--password-stdin", "audit", "anchor", "--reason", "试试", cwd=archive)
        assert refused.code == 1 and f"需要管理员权限：{name}（{label}）不能执行" in refused.err
        assert not anchor_file(archive).exists()
    _with_password(monkeypatch)
    done = cli("--user", "钱管理", "--password-stdin", "audit", "anchor", "--reason", "锚点文件被误删", cwd=archive)
    assert done.code == 0, done.err
    [event] = [e for e in json.loads(cli("audit", "log", "--json", cwd=archive).out) if e["action"] == "audit.anchor"]
    assert event["operator"] == "钱管理"
    _with_password(monkeypatch)
    assert cli("--user", "赵审计", "--password-stdin", "audit", "verify", cwd=archive).code == 0


def test_a_backup_holds_the_signed_anchor_and_restores_it(cli, keyed, tmp_path):
    archive, key = keyed
    _counts, events = snapshot(archive)
    made = cli("backup", str(tmp_path / "备份"), "--verify", cwd=archive)
    assert made.code == 0 and "备份校验通过" in made.out, made.err
    kept = json.loads((tmp_path / "备份" / "manifest.json").read_text(encoding="utf-8"))["audit"]
    assert (kept["id"], kept["hash"]) == events[-1]  # the head the copy holds (the backup's own event comes after)
    assert audit.signed(kept, audit.read_key(key))
    restored = tmp_path / "新电脑"
    restored.mkdir()
    assert cli("restore", str(tmp_path / "备份"), cwd=restored).code == 0
    assert audit.read_anchor(anchor_file(restored))["hash"] == kept["hash"]
    checked = cli("audit", "verify", cwd=restored)
    assert checked.code == 0 and "锚点的密钥签名无误" in checked.out, checked.out


@pytest.mark.parametrize(("tamper", "words"), [
    (lambda audit_: {**audit_, "hash": "0" * 64}, "审计日志被重新计算过"),
    (lambda audit_: {**audit_, "id": audit_["id"] - 1, "hash": "0" * 64}, "审计日志被重新计算过"),
    (lambda audit_: {**audit_, "id": audit_["id"] + 5}, "之后被截断"),
    (lambda audit_: None, "不符"),
    (lambda audit_: "第 3 条", "格式不对"),
], ids=["hash", "older", "ahead", "removed", "text"])
def test_a_backup_whose_anchor_was_altered_fails_its_verify(cli, archive, tmp_path, tamper, words):
    assert cli("backup", str(tmp_path / "备份"), cwd=archive).code == 0
    manifest_file = tmp_path / "备份" / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["audit"] = tamper(manifest["audit"])
    manifest_file.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    checked = cli("backup", str(tmp_path / "备份"), "--verify", cwd=archive)
    assert checked.code == 1 and words in checked.err and "备份校验未通过" in checked.out, checked.err
    empty = tmp_path / "新电脑"
    empty.mkdir()
    refused = cli("restore", str(tmp_path / "备份"), cwd=empty)
    assert refused.code == 1 and not any(empty.iterdir())


def test_a_backup_whose_audit_rows_were_cut_fails_its_verify(cli, archive, tmp_path):
    assert cli("backup", str(tmp_path / "备份"), cwd=archive).code == 0
    connection = sqlite3.connect(tmp_path / "备份" / "archive.db")
    connection.execute("DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)")
    connection.commit()
    connection.close()  # written into the file itself (no -wal left beside it)
    manifest_file = tmp_path / "备份" / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["database"]["sha256"] = sha256_of(tmp_path / "备份" / "archive.db")[0]  # the digest rewritten too
    manifest_file.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    checked = cli("backup", str(tmp_path / "备份"), "--verify", cwd=archive)
    assert checked.code == 1 and "之后被截断" in checked.err


def _printed_anchor(path: Path) -> str:
    [value] = [row[1] for sheet in load_workbook(path) for row in sheet.iter_rows(values_only=True)
               if row and row[0] == "审计日志"]
    return value


def test_the_transfer_list_prints_the_anchor_of_its_sending_and_again_the_same(cli, archive, tmp_path):
    number = cli("transfers", "new", "--to", "正定县档案馆", cwd=archive).out.strip()
    assert cli("transfers", "add", number, "--village", "001", "--override", "测试", cwd=archive).code == 0
    assert cli("transfers", "send", number, cwd=archive).code == 0
    [sent] = [e for e in json.loads(cli("audit", "log", "--json", cwd=archive).out) if e["action"] == "transfer.send"]
    _counts, events = snapshot(archive)
    made_at = dict(events)[sent["id"] - 1]  # the form is made in the sending step, before its own event
    assert cli("transfers", "manifest", number, "--out", str(tmp_path / "清单.xlsx"), cwd=archive).code == 0
    printed = _printed_anchor(tmp_path / "清单.xlsx")
    assert printed.endswith(f"第 {sent['id'] - 1} 条哈希 {made_at[:16]}"), printed
    edit(archive, 2)
    assert cli("transfers", "manifest", number, "--out", str(tmp_path / "重印.xlsx"), cwd=archive).code == 0
    assert (tmp_path / "重印.xlsx").read_bytes() == (tmp_path / "清单.xlsx").read_bytes()
    assert _printed_anchor(tmp_path / "重印.xlsx") == printed  # the anchor kept with the form, not read again
