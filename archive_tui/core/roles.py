"""Roles (角色) and what each may do (权限): one table, asked by the use cases below the
screens and by the screens for which keys to show.

- 档案员 (archivist) does the archive's work: changes records, reads the audit log.
- 查阅 (reader) reads lists, files and reports, never sees a full ID number, changes nothing.
- 管理员 (admin) manages accounts and backups; cannot change archive records or the audit.
- 审计员 (auditor) reads and verifies the audit log; changes nothing.

The admin / auditor split is the separation of duties archive systems are asked for (GB/T
39784, 等保). Without accounts the person at this computer is an archivist who may also do
the admin's work (as before accounts existed): ``Actor.local``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ARCHIVIST = "archivist"
    READER = "reader"
    ADMIN = "admin"
    AUDITOR = "auditor"


ROLE_LABELS = {Role.ARCHIVIST: "档案员", Role.READER: "查阅", Role.ADMIN: "管理员", Role.AUDITOR: "审计员"}


class Permission(StrEnum):
    READ = "read"          # lists, files, reports (ID numbers masked)
    REVEAL = "reveal"      # full ID numbers and phones
    WRITE = "write"        # change the archive's records and its store
    ACCOUNTS = "accounts"  # add, disable accounts; set passwords
    BACKUP = "backup"      # make and restore backups
    AUDIT = "audit"        # read and verify the audit log


PERMISSION_LABELS = {
    Permission.READ: "查阅档案", Permission.REVEAL: "查看完整身份证号", Permission.WRITE: "修改档案",
    Permission.ACCOUNTS: "管理账户", Permission.BACKUP: "备份", Permission.AUDIT: "查阅审计日志",
}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ARCHIVIST: frozenset({Permission.READ, Permission.REVEAL, Permission.WRITE, Permission.AUDIT}),
    Role.READER: frozenset({Permission.READ}),
    Role.ADMIN: frozenset({Permission.READ, Permission.REVEAL, Permission.ACCOUNTS, Permission.BACKUP}),
    Role.AUDITOR: frozenset({Permission.READ, Permission.AUDIT}),
}
LOCAL_GRANTS = GRANTS[Role.ARCHIVIST] | GRANTS[Role.ADMIN]  # no accounts in use: one person does all


def roles_with(permission: Permission) -> list[Role]:
    return [role for role, granted in GRANTS.items() if permission in granted]


@dataclass(frozen=True)
class Actor:
    """Who acts (操作员): an account with its role, or — with no accounts — the configured operator."""

    name: str
    role: Role | None = None  # None: no account (accounts not in use, or a batch job of the archivist)
    anonymous: bool = False  # login required ([accounts] require_login) and none given: reads only

    @classmethod
    def local(cls, name: str) -> "Actor":
        return cls(name, None)

    @classmethod
    def not_logged_in(cls, name: str) -> "Actor":
        return cls(name, None, anonymous=True)

    @property
    def is_account(self) -> bool:
        return self.role is not None

    @property
    def role_label(self) -> str:
        if self.anonymous:
            return "未登录"
        return ROLE_LABELS[self.role] if self.role else "本机操作员"

    def may(self, permission: Permission) -> bool:
        if self.anonymous:
            return permission == Permission.READ
        return permission in (GRANTS[self.role] if self.role else LOCAL_GRANTS)

    def refusal(self, permission: Permission, what: str) -> str:
        """Why this actor may not do ``what``, in Chinese, naming the roles that may."""
        if self.anonymous:
            return f"“{what}”须先登录：本档案要求登录（[accounts] require_login = true），请加 --user 账户名"
        needed = "或".join(ROLE_LABELS[role] for role in roles_with(permission))
        return f"“{what}”需要{needed}权限：{self.name}（{self.role_label}）不能执行"
