"""Accounts (账户): who may open the archive, with which role, and the login that names the
operator of every audited action (no shared 档案员).

Roles (archive_tui/core/roles.py): 档案员 (archivist) does the archive's work; 查阅 (reader)
reads lists, files and reports and never sees full ID numbers; 管理员 (admin) manages accounts
and backups; 审计员 (auditor) reads and verifies the audit log. Passwords are
kept as argon2id hashes (argon2-cffi). Five wrong passwords in a row lock the account for
fifteen minutes (as does a sixth login while five are still being checked); every login,
failure and lock is audited. An account is never deleted: it is disabled, so the audit log's
names keep meaning someone.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, select

from archive_tui.core.roles import GRANTS, ROLE_LABELS, Permission, Role
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.db import serialize_writers
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from models.tables import now
from archive_tui.db.tables import ACCOUNT

ROLES = {role.value: label for role, label in ROLE_LABELS.items()}  # 档案员、查阅、管理员、审计员
MIN_PASSWORD = 8
MAX_FAILURES = 5
LOCK_MINUTES = 15
WRONG = "账户名或密码不对"  # an unknown name and a wrong password alike
NAME = re.compile(r"^[\w\u3400-\u9fff.-]{2,32}$")  # letters, digits, Chinese, . - _: also a file-safe operator name
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def may(self, permission: Permission) -> bool:
        return permission in GRANTS[Role(self.role)]

    @property
    def can_write(self) -> bool:
        return self.may(Permission.WRITE)

    @property
    def can_reveal(self) -> bool:
        return self.may(Permission.REVEAL)

    @property
    def can_manage(self) -> bool:
        return self.may(Permission.ACCOUNTS)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ArchiveError(f"角色“{role}”无效：应为 " + "、".join(f"{k}（{v}）" for k, v in ROLES.items()),
                           field="role")


def account_key(name: str) -> str:
    """What tells two accounts apart: the name after Unicode NFKC and case folding, so that
    alice, Alice and ａｌｉｃｅ are one account (the audit could not tell them apart)."""
    return unicodedata.normalize("NFKC", name.strip()).casefold()


def _account_row(connection, name: str):
    """The account of a typed name: the one of that name, else the one it differs from only in
    case or width (None when there is none)."""
    typed = unicodedata.normalize("NFKC", name.strip())
    row = connection.execute(select(ACCOUNT).where(ACCOUNT.c.name == typed)).first()
    if row is not None:
        return row
    alike = [found for found in connection.execute(select(ACCOUNT)) if account_key(found.name) == account_key(typed)]
    return alike[0] if len(alike) == 1 else None


def _check_password(password: str, name: str) -> None:
    if any(unicodedata.category(character) == "Cc" for character in password):
        raise ArchiveError("密码不能含控制字符（如 NUL、换行、制表符）", field="password")
    if len(password) < MIN_PASSWORD:
        raise ArchiveError(f"密码至少 {MIN_PASSWORD} 位", field="password")
    if password.strip().lower() == name.strip().lower() or len(set(password)) < 4:
        raise ArchiveError("密码太简单：不能与账户名相同，也不能只由一两个字符重复组成", field="password")


@use_case(Permission.ACCOUNTS, "添加账户")
def add_user(ctx: ArchiveContext, name: str, role: str, password: str) -> None:
    engine, operator = ctx.engine, ctx.operator
    name = unicodedata.normalize("NFKC", name.strip())  # ａｌｉｃｅ is kept as alice
    if not NAME.fullmatch(name):
        raise ArchiveError(f"账户名“{name}”不合适：2～32 个汉字、字母、数字或 . - _", field="name")
    _check_role(role)
    _check_password(password, name)
    with engine.begin() as connection:
        serialize_writers(connection, ACCOUNT)
        existing = _account_row(connection, name)
        if existing is not None and existing.name == name:
            raise ArchiveError(f"账户“{name}”已存在", field="name")
        if existing is not None:
            raise ArchiveError(f"账户名“{name}”与已有账户“{existing.name}”只差大小写或全角半角，审计日志中无法区分，"
                               "请另取一个名字", field="name")
        connection.execute(ACCOUNT.insert().values(name=name, role=role, password_hash=_hasher.hash(password),
                                                   disabled=False, failed_logins=0))
        audit.record(connection, operator=operator, action="users.add", entity="account", key=name,
                     after={"role": ROLES[role]})


def _find(connection, name: str):
    row = _account_row(connection, name)
    if row is None:
        raise ArchiveError(f"没有账户“{name.strip()}”；可用 archive-tui users list 查看")
    return row


@use_case(Permission.ACCOUNTS, "重设密码")
def change_password(ctx: ArchiveContext, name: str, password: str) -> None:
    """A new password (also unlocks the account)."""
    engine, operator = ctx.engine, ctx.operator
    with engine.begin() as connection:
        row = _find(connection, name)
        _check_password(password, row.name)
        connection.execute(ACCOUNT.update().where(ACCOUNT.c.id == row.id).values(
            password_hash=_hasher.hash(password), failed_logins=0, locked_until=None))
        audit.record(connection, operator=operator, action="users.passwd", entity="account", key=row.name)


@use_case(Permission.ACCOUNTS, "停用账户")
def disable_user(ctx: ArchiveContext, name: str, reason: str) -> None:
    engine, operator = ctx.engine, ctx.operator
    if not reason.strip():
        raise ArchiveError("停用账户须写明原因", field="reason")
    with engine.begin() as connection:
        row = _find(connection, name)
        if row.disabled:
            raise ArchiveError(f"账户“{row.name}”已停用")
        connection.execute(ACCOUNT.update().where(ACCOUNT.c.id == row.id).values(disabled=True))
        audit.record(connection, operator=operator, action="users.disable", entity="account", key=row.name,
                     after={"reason": reason.strip()})


def accounts_exist(engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(select(ACCOUNT.c.id).limit(1)).first() is not None


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(select(ACCOUNT).order_by(ACCOUNT.c.name)).all()
    return [{"name": row.name, "role": row.role, "role_name": ROLES.get(row.role, row.role),
             "disabled": row.disabled, "locked": _locked(row) is not None,
             "last_login_at": row.last_login_at.isoformat(timespec="seconds") if row.last_login_at else None}
            for row in rows]


def _locked(row) -> dt.datetime | None:
    if row.locked_until is None:
        return None
    until = row.locked_until if row.locked_until.tzinfo else row.locked_until.replace(tzinfo=dt.UTC)
    return until if until > now() else None


def authenticate(engine: Engine, name: str, password: str, *, where: str = "terminal") -> User:
    """The user, when the name and password are right and the account is usable. The same
    message for an unknown name and a wrong password (nobody learns which names exist).

    The attempt is counted before its password is checked, in a short transaction in which the
    account's writers take turns: however many logins arrive at once (browser tabs, terminals on
    other workstations), at most MAX_FAILURES passwords are checked between two successes and the
    lock is recorded once. The check itself (argon2, slow on purpose) holds no lock."""
    row, attempt = _count_attempt(engine, name, where)
    verified = _verified(row.password_hash, password)
    refusal = None  # raised after the transaction commits: the failure and its audit record stay
    with engine.begin() as connection:
        serialize_writers(connection, ACCOUNT)
        current = connection.execute(select(ACCOUNT).where(ACCOUNT.c.id == row.id)).one()
        unusable = _unusable(current)
        if verified and unusable is None:
            connection.execute(ACCOUNT.update().where(ACCOUNT.c.id == row.id).values(
                failed_logins=0, locked_until=None, last_login_at=now()))
            audit.record(connection, operator=row.name, action="login.ok", entity="account", key=row.name,
                         after={"where": where})
        elif unusable is not None:  # locked by another attempt (or disabled) meanwhile: the same answer
            refusal = unusable       # whether this password was right or not
            if not verified:
                _record_failure(connection, row.name, where, attempt)
        elif current.failed_logins >= MAX_FAILURES:
            _lock(connection, current, where, attempt)
            refusal = f"{WRONG}；已连续输错 {attempt} 次，账户锁定 {LOCK_MINUTES} 分钟"
        else:
            _record_failure(connection, row.name, where, attempt)
            refusal = WRONG
    if refusal:
        raise ArchiveError(refusal)
    return User(row.name, row.role)


def _count_attempt(engine: Engine, name: str, where: str) -> tuple:
    """Count one login attempt on its account before its password is checked: (the account's
    row, the attempt's number since the last success). Refused (ArchiveError, after the refusal's
    audit record commits) for an unknown name, a locked or disabled account, and when the
    account already has MAX_FAILURES attempts counted that did not succeed — some still being
    checked, or cut off: then the account is locked now (recorded once, like any lock)."""
    refusal = None
    with engine.begin() as connection:
        serialize_writers(connection, ACCOUNT)
        row = _account_row(connection, name)
        if row is None:
            audit.record(connection, operator=_as_typed(name) or "？", action="login.fail", entity="account",
                         key=_as_typed(name), after={"where": where, "why": "no such account"})
            refusal = WRONG
        elif (refusal := _unusable(row)) is None:
            if row.failed_logins >= MAX_FAILURES:
                _lock(connection, row, where, row.failed_logins)
                refusal = _locked_message(row.name)
            else:
                connection.execute(ACCOUNT.update().where(ACCOUNT.c.id == row.id).values(
                    failed_logins=row.failed_logins + 1))
    if refusal:
        raise ArchiveError(refusal)
    return row, row.failed_logins + 1


def _unusable(row) -> str | None:
    """Why this account cannot log in now (locked, disabled), or None."""
    if _locked(row) is not None:
        return _locked_message(row.name)
    if row.disabled:
        return f"账户“{row.name}”已停用"
    return None


def _locked_message(name: str) -> str:
    return f"账户“{name}”因多次输错密码已锁定，请 {LOCK_MINUTES} 分钟后再试或请管理员重设密码"


def _lock(connection, row, where: str, failures: int) -> None:
    """Lock the account for LOCK_MINUTES (its count starts again), audited once."""
    connection.execute(ACCOUNT.update().where(ACCOUNT.c.id == row.id).values(
        failed_logins=0, locked_until=now() + dt.timedelta(minutes=LOCK_MINUTES)))
    audit.record(connection, operator=row.name, action="login.locked", entity="account", key=row.name,
                 after={"where": where, "failures": failures})


def _record_failure(connection, name: str, where: str, attempt: int) -> None:
    audit.record(connection, operator=name, action="login.fail", entity="account", key=name,
                 after={"where": where, "failures": attempt})


def _as_typed(name: str) -> str:
    """A name someone typed at a login, fit for the audit log: no control characters, at most 32."""
    return re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[:32]


def _verified(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def session_user(engine: Engine, name: str) -> User:
    """The account a browser session runs as, read again from the database when its app
    starts: a disabled or locked account gets no app, and the role is the current one."""
    with engine.connect() as connection:
        row = _account_row(connection, name)
    if row is None or row.disabled or _locked(row) is not None:
        raise ArchiveError(f"账户“{name.strip()}”不存在、已停用或已锁定，不能打开")
    return User(row.name, row.role)


def record_throttled(engine: Engine, address: str, name: str) -> None:
    """A login refused because its address failed too often (网页登录限流), audited."""
    with engine.begin() as connection:
        audit.record(connection, operator=_as_typed(name) or "？", action="login.throttled", entity="account",
                     key=_as_typed(name), after={"where": f"browser {address}"})


def record_logout(engine: Engine, name: str, why: str) -> None:
    """A browser login ended: logged out, or expired (登录过期)."""
    with engine.begin() as connection:
        audit.record(connection, operator=name, action="logout", entity="account", key=name,
                     after={"where": "browser", "why": why})
