"""Accounts: roles, argon2 hashes, lockout after wrong passwords, every login audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.roles import Actor
from archive_tui.core.errors import ArchiveError
from archive_tui.services.admin.accounts import (LOCK_MINUTES, MAX_FAILURES, add_user, authenticate, change_password,
                                           disable_user, list_users)
from archive_tui.audit import log
from models import Account
from tests.conftest import table_counts

GOOD = "麦田2024春耕"


def test_a_user_logs_in_with_the_role_and_the_hash_is_argon2(engine):
    add_user(context_for(engine, actor=Actor.local("管理员甲")), "王档案", "archivist", GOOD)
    add_user(context_for(engine, actor=Actor.local("管理员甲")), "reader1", "reader", "look-only-1")
    user = authenticate(engine, "王档案", GOOD)
    assert (user.name, user.can_write, user.can_reveal, user.can_manage) == ("王档案", True, True, False)
    reader = authenticate(engine, "reader1", "look-only-1", where="browser")
    assert (reader.can_write, reader.can_reveal) == (False, False)
    with engine.connect() as connection:
        stored = connection.execute(select(Account.__table__.c.password_hash)).scalars().all()
    assert all(value.startswith("$argon2id$") and GOOD not in value for value in stored)
    assert [event["action"] for event in log(engine, entity_key="王档案", limit=None)] == ["users.add", "login.ok"]
    assert {row["name"]: row["role_name"] for row in list_users(engine)} == {"王档案": "档案员", "reader1": "查阅"}


@pytest.mark.parametrize(("name", "role", "password", "message"), [
    ("王档案", "boss", GOOD, "角色“boss”无效"),
    ("王", "reader", GOOD, "账户名“王”不合适"),
    ("a/../b", "reader", GOOD, "不合适"),
    ("王档案", "reader", "short", "至少 8 位"),
    ("王档案", "reader", "王档案王档案王档案", "太简单"),
    ("王档案", "reader", "aaaaaaaaab", "太简单"),
    ("已有", "reader", GOOD, "已存在"),
    ("Alice", "reader", GOOD, "与已有账户“alice”只差大小写或全角半角"),
    ("ALICE", "reader", GOOD, "与已有账户“alice”只差大小写或全角半角"),
    ("ａｌｉｃｅ", "reader", GOOD, "已存在"),  # full width: kept as alice, which exists
    ("王档案", "reader", "麦田2024\x00春耕", "不能含控制字符"),
    ("王档案", "reader", "麦田2024\n春耕春耕", "不能含控制字符"),
])
def test_a_wrong_account_is_refused_and_changes_nothing(engine, name, role, password, message):
    add_user(context_for(engine, actor=Actor.local("管理员甲")), "已有", "archivist", GOOD)
    add_user(context_for(engine, actor=Actor.local("管理员甲")), "alice", "archivist", GOOD)
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        add_user(context_for(engine, actor=Actor.local("管理员甲")), name, role, password)
    assert table_counts(engine) == before


def test_wrong_passwords_lock_the_account_and_an_unknown_name_says_the_same(engine):
    add_user(context_for(engine, actor=Actor.local("管理员甲")), "王档案", "archivist", GOOD)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(ArchiveError, match="^账户名或密码不对$"):
            authenticate(engine, "王档案", "wrong-password")
    with pytest.raises(ArchiveError, match=f"锁定 {LOCK_MINUTES} 分钟"):
        authenticate(engine, "王档案", "wrong-password")
    with pytest.raises(ArchiveError, match="已锁定"):
        authenticate(engine, "王档案", GOOD)  # even the right password, until the lock ends
    with pytest.raises(ArchiveError, match="^账户名或密码不对$"):
        authenticate(engine, "没有这人", GOOD)
    actions = [event["action"] for event in log(engine, entity_key="王档案", limit=None)]
    assert actions.count("login.fail") == MAX_FAILURES - 1 and actions.count("login.locked") == 1
    assert list_users(engine)[0]["locked"] is True
    change_password(context_for(engine, actor=Actor.local("管理员甲")), "王档案", "新的密码2025")
    assert authenticate(engine, "王档案", "新的密码2025").name == "王档案"


def test_a_disabled_account_cannot_log_in_and_is_kept(engine):
    add_user(context_for(engine, actor=Actor.local("管理员甲")), "离职的人", "archivist", GOOD)
    with pytest.raises(ArchiveError, match="须写明原因"):
        disable_user(context_for(engine, actor=Actor.local("管理员甲")), "离职的人", " ")
    disable_user(context_for(engine, actor=Actor.local("管理员甲")), "离职的人", "调离本乡镇")
    with pytest.raises(ArchiveError, match="已停用"):
        authenticate(engine, "离职的人", GOOD)
    with pytest.raises(ArchiveError, match="已停用"):
        disable_user(context_for(engine, actor=Actor.local("管理员甲")), "离职的人", "再停一次")
    assert list_users(engine)[0]["disabled"] is True


def test_an_account_is_found_by_its_name_in_any_case_or_width(engine):
    """One account per name after NFKC and case folding: the login finds alice as Alice or ａｌｉｃｅ,
    and a full-width name is kept half-width."""
    add_user(context_for(engine, actor=Actor.local("管理员甲")), "ＢＯＢ", "archivist", GOOD)
    assert [row["name"] for row in list_users(engine)] == ["BOB"]
    for typed in ("BOB", "bob", "ｂｏｂ", " Bob "):
        assert authenticate(engine, typed, GOOD).name == "BOB"
