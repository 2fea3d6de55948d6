"""Reading and verifying the audit log (审计日志) as use cases: the 审计员's and the 档案员's work,
refused to a 查阅 account and to the 管理员 (who manages accounts and backups, not the record of
what was done)."""

from __future__ import annotations

from archive_tui import audit
from archive_tui.core.roles import Permission
from archive_tui.services.registers import kept_forms
from archive_tui.services.use_cases import ArchiveContext, use_case


@use_case(Permission.AUDIT, "核验审计日志")
def verify_log(ctx: ArchiveContext) -> tuple[audit.ChainReport, list[dict], kept_forms.KeptReport]:
    """The chain against its anchors, and every kept form against its SHA-256: (chain, anchors, kept)."""
    anchors = audit.known_anchors(ctx.engine, ctx.config)
    return audit.verify(ctx.engine, anchors=anchors), anchors, kept_forms.verify(ctx.engine, ctx.config)


@use_case(Permission.AUDIT, "查阅审计日志")
def read_log(ctx: ArchiveContext, *, entity_key: str | None = None, limit: int = 200) -> list[dict]:
    """The newest events (of one object, when ``entity_key`` is given), ID numbers masked."""
    return audit.log(ctx.engine, entity_key=entity_key, limit=limit)
