"""Permissions below the screens: every use case that changes the archive refuses an actor whose
role lacks its permission — before anything is read or written — and the refusal is audited.

The list is the registry itself (``USE_CASES``): a new use case is in it the moment it is
declared, and a function that opens a write transaction without being declared fails
``test_every_writing_function_is_a_declared_use_case``."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import pkgutil
from pathlib import Path

import pytest
from sqlalchemy import select

import archive_tui.services as services_package
from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.core.roles import GRANTS, Actor, Permission, Role
from archive_tui.services.admin.accounts import add_user, disable_user
from archive_tui.services.use_cases import USE_CASES, PermissionRefused
from models import AuditEvent
from tests.conftest import table_counts

for module in pkgutil.walk_packages(services_package.__path__, "archive_tui.services."):
    importlib.import_module(module.name)  # every use case registers itself on import

WRITING = sorted(name for name, case in USE_CASES.items() if case.permission != Permission.READ)
SERVICES = Path(services_package.__file__).parent

# functions that write without being a use case anyone may refuse, each with its reason
NOT_USE_CASES = {
    "accounts.authenticate": "the login itself: anyone may try, every try is audited",
    "accounts.record_throttled": "a refused login is audited, by whoever tried",
    "accounts.record_logout": "the end of a login, audited for the account that ends it",
    "search.build_missing": "the search index, derived from the records: no archive fact changes",
    "use_cases.use_case": "the declaration itself",
    "use_cases.authorize": "the check itself: it audits the refusals",
}


@pytest.fixture
def township(engine, config) -> list[str]:
    """A demo township's household codes."""
    from archive_tui.services.exchange.demo import fill_demo
    from models import Household

    fill_demo(context_for(engine, config), households=3, seed=4)
    with engine.connect() as connection:
        code = Household.__table__.c.code
        return connection.execute(select(code).order_by(code)).scalars().all()


def _refused_events(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(select(AuditEvent.__table__).where(
            AuditEvent.__table__.c.action == "refused")).all()


def test_the_registry_holds_the_archive_s_writes():
    assert len(WRITING) >= 60
    assert {"certificates.issue", "transfers.send", "copies.lend", "scans.ingest_once", "importing.run_import",
            "accounts.add_user", "backup.backup_now", "checks.waive"} <= set(WRITING)


@pytest.mark.sqlite_only  # the check runs before any database work: once is enough
@pytest.mark.parametrize("name", WRITING)
def test_a_reader_is_refused_every_write_before_anything_is_read(name, engine, config):
    """Called with nothing but the context: the refusal comes before any argument is looked at."""
    case = USE_CASES[name]
    reader = context_for(engine, config, Actor("查阅甲", Role.READER))
    before = table_counts(engine)
    with pytest.raises(PermissionRefused) as refused:
        case.function(reader)
    assert "查阅甲（查阅）不能执行" in refused.value.message and case.label in refused.value.message
    after = table_counts(engine)
    assert after.pop("audit_event") == before.pop("audit_event") + 1 and after == before
    [event] = _refused_events(engine)
    assert event.operator == "查阅甲" and event.entity_key == name


@pytest.mark.parametrize(("role", "name", "allowed"), [
    (Role.ARCHIVIST, "certificates.issue", True),
    (Role.ARCHIVIST, "accounts.add_user", False),
    (Role.ADMIN, "accounts.add_user", True),
    (Role.ADMIN, "backup.backup_now", True),
    (Role.ADMIN, "certificates.issue", False),
    (Role.ADMIN, "editing.update_household", False),
    (Role.AUDITOR, "certificates.issue", False),
    (Role.AUDITOR, "accounts.disable_user", False),
    (Role.AUDITOR, "backup.backup_now", False),
    (Role.READER, "households.show_household", True),
])
def test_each_role_may_what_its_duties_need(role, name, allowed):
    assert Actor("某人", role).may(USE_CASES[name].permission) is allowed


def test_the_admin_and_the_auditor_are_separate_duties():
    assert Permission.WRITE not in GRANTS[Role.ADMIN] and Permission.AUDIT not in GRANTS[Role.ADMIN]
    assert GRANTS[Role.AUDITOR] == {Permission.READ, Permission.AUDIT}
    assert Actor.local("本机").may(Permission.WRITE) and Actor.local("本机").may(Permission.ACCOUNTS)


def test_without_login_where_it_is_required_only_reading_is_left():
    nobody = Actor.not_logged_in("档案员")
    assert nobody.may(Permission.READ) and not nobody.may(Permission.WRITE)
    assert "--user" in nobody.refusal(Permission.WRITE, "发证")


def test_a_reader_may_read_a_file_but_not_reveal_its_id_numbers(engine, config, township):
    from archive_tui.services.households.households import show_household

    add_user(context_for(engine, actor=Actor.local("安装")), "查阅甲", "reader", "很长的密码123")
    reader = context_for(engine, config, Actor("查阅甲", Role.READER))
    shown = show_household(reader, township[0])
    assert "*" in shown["household"]["id_number"]
    with pytest.raises(PermissionRefused, match="查看完整身份证号"):
        show_household(reader, township[0], reveal=True)


def test_an_account_disabled_during_its_session_is_refused_at_its_next_action(engine, config, township):
    from archive_tui.services.households.disputes import NewDispute, add_dispute

    admin = context_for(engine, actor=Actor.local("安装"))
    add_user(admin, "档案员乙", "archivist", "很长的密码123")
    session = context_for(engine, config, Actor("档案员乙", Role.ARCHIVIST))
    new = NewDispute(township[0], "地界争议", dt.date(2024, 3, 1), "甲、乙", "")
    add_dispute(session, new)
    disable_user(admin, "档案员乙", "调离")
    before = table_counts(engine)
    with pytest.raises(PermissionRefused, match="已停用"):
        add_dispute(session, new)
    assert table_counts(engine)["dispute"] == before["dispute"]


def test_a_refusal_is_an_archive_error_the_cli_and_the_app_already_show():
    assert issubclass(PermissionRefused, ArchiveError)


def _writes(function: ast.FunctionDef, local: dict[str, ast.FunctionDef], seen: set[str]) -> bool:
    source = ast.unparse(function)
    if ".begin()" in source or "audit.record(" in source:
        return True
    called = {node.func.id for node in ast.walk(function)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in local}
    return any(_writes(local[name], local, seen | {name}) for name in called - seen)


def _declared(function: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "use_case" for d in function.decorator_list)


def test_every_writing_function_is_a_declared_use_case():
    """A public service function that opens a transaction on its own (it is given no connection)
    and writes, directly or through the module's helpers, must be declared with @use_case."""
    undeclared = []
    for path in sorted(SERVICES.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        local = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        for name, function in local.items():
            arguments = [a.arg for a in function.args.args]
            if name.startswith("_") or not arguments or arguments[0] in ("connection", "self"):
                continue
            qualified = f"{path.stem if path.stem != '__init__' else path.parent.name}.{name}"
            if qualified in NOT_USE_CASES or _declared(function):
                continue
            if _writes(function, local, {name}):
                undeclared.append(qualified)
    assert undeclared == []
