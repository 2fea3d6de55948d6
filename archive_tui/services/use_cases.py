"""Use cases (业务操作) and the permission each needs, checked below the screens.

Every function that changes the archive is declared with ``@use_case(Permission.X, "发证")``:
it takes the ``ArchiveContext`` first, and before it reads or writes anything the actor's
role is checked — on every path (CLI, app, browser). A refusal is audited and raised as a
Chinese ``PermissionRefused`` naming the role it needs. A logged-in account that has been
disabled since its session opened is refused at its next action.

``USE_CASES`` lists them all: the screens ask it which keys to show, the tests run every one
as a reader.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine, select

from archive_tui import audit
from archive_tui.core.errors import ArchiveError
from archive_tui.core.config import Config
from archive_tui.core.roles import PERMISSION_LABELS, Actor, Permission
from models import Account

ACCOUNT = Account.__table__


@dataclass(frozen=True)
class ArchiveContext:
    """The archive a use case works on (档案库) and who acts in it; made by
    ``bootstrap.open_archive`` (or ``bootstrap.context_for`` on an open engine)."""

    engine: Engine
    config: Config
    actor: Actor

    @property
    def operator(self) -> str:
        """The name the audit log records for what this context does."""
        return self.actor.name


class PermissionRefused(ArchiveError):
    """The actor's role does not allow the use case (or its account is disabled)."""


@dataclass(frozen=True)
class UseCase:
    name: str  # module.function, e.g. certificates.issue
    permission: Permission
    label: str  # what it does, in Chinese: names the action in a refusal
    function: Callable


USE_CASES: dict[str, UseCase] = {}


def use_case(permission: Permission, label: str):
    """Declare a use case: ``ctx`` first, ``permission`` checked before anything runs."""

    def declare(function: Callable) -> Callable:
        name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"

        @functools.wraps(function)
        def checked(ctx, *args, **kwargs):
            authorize(ctx, permission, label, name)
            return function(ctx, *args, **kwargs)

        checked.use_case = UseCase(name, permission, label, checked)
        USE_CASES[name] = checked.use_case
        return checked

    return declare


def authorize(ctx, permission: Permission, label: str, name: str = "") -> None:
    """Refuse (audited) unless the actor may; a disabled account may nothing any more."""
    actor = ctx.actor
    refusal = None
    if not actor.may(permission):
        refusal = actor.refusal(permission, label)
    elif actor.is_account and not _account_usable(ctx.engine, actor.name):
        refusal = f"账户“{actor.name}”已停用或不存在，不能再执行“{label}”"
    if refusal is None:
        return
    with ctx.engine.begin() as connection:
        audit.record(connection, operator=actor.name, action="refused", entity="use_case", key=name or label,
                     after={"role": actor.role_label, "needs": PERMISSION_LABELS[permission], "what": label})
    raise PermissionRefused(refusal)


def _account_usable(engine, name: str) -> bool:
    with engine.connect() as connection:
        disabled = connection.execute(select(ACCOUNT.c.disabled).where(ACCOUNT.c.name == name)).scalar_one_or_none()
    return disabled is False or disabled == 0
