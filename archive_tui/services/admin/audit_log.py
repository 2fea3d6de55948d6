"""Reading and verifying the audit log (审计日志) as use cases: the 审计员's and the 档案员's work,
refused to a 查阅 account and to the 管理员 (who manages accounts and backups, not the record of
what was done).

Its anchor (锚点, ``audit.anchor``) is the 管理员's: re-anchoring deliberately when the anchor
went missing or was damaged and the cause is known (``audit anchor --reason``), and making the
key that signs it (``audit key new``). Both are audit events themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archive_tui import audit
from archive_tui.core.errors import ArchiveError
from archive_tui.core.roles import Permission
from archive_tui.core.values import ValueProblem, refuse_control
from archive_tui.services.registers import kept_forms
from archive_tui.services.use_cases import ArchiveContext, use_case

REASON_MAX = 500


@dataclass
class LogCheck:
    """``audit verify``: the chain (held against every anchor), the anchor beside the database in
    itself, and the kept forms."""

    chain: audit.ChainReport
    anchors: list[dict]
    anchor: audit.AnchorReport
    kept: kept_forms.KeptReport

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.anchor.ok and self.kept.ok


@use_case(Permission.AUDIT, "核验审计日志")
def verify_log(ctx: ArchiveContext) -> LogCheck:
    """The chain against its anchors, the anchor itself (there, readable, signed when there is a
    key), and every kept form against its SHA-256. Reads only."""
    key_file = audit.key_file_of(ctx.config)
    anchor = audit.check_anchor(ctx.engine, key_file, audit.key_configured(ctx.config))
    anchors = audit.known_anchors(ctx.engine, ctx.config)
    chain = audit.verify(ctx.engine, anchors=anchors)
    return LogCheck(chain, anchors, anchor, kept_forms.verify(ctx.engine, ctx.config))


@use_case(Permission.AUDIT, "查阅审计日志")
def read_log(ctx: ArchiveContext, *, entity_key: str | None = None, limit: int = 200) -> list[dict]:
    """The newest events (of one object, when ``entity_key`` is given), ID numbers masked."""
    return audit.log(ctx.engine, entity_key=entity_key, limit=limit)


def _anchor_path(ctx: ArchiveContext) -> Path:
    path = getattr(ctx.engine, "audit_anchor", None)
    if path is None:
        raise ArchiveError("这个数据库打开时没有指定锚点文件的位置（请通过 archive-tui 命令或界面打开档案）")
    return path


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ArchiveError("重新设定锚点须写明理由（--reason），如“迁移到新电脑时未带上锚点文件，已与备份核对”",
                           field="reason")
    try:
        refuse_control(text)
    except ValueProblem as problem:
        raise ArchiveError(f"理由{problem.reason.split('；')[0]}", field="reason") from None
    if len(text) > REASON_MAX:
        raise ArchiveError(f"理由过长（{len(text)} 个字，最多 {REASON_MAX} 个）", field="reason")
    return text


def _key(ctx: ArchiveContext) -> tuple[Path, bytes | None]:
    """(the key file, the key or None); a key config.toml names that is not there is refused."""
    key_file = audit.key_file_of(ctx.config)
    key = audit.read_key(key_file)
    if key is None and audit.key_configured(ctx.config):
        raise ArchiveError(f"config.toml 的 [audit] key_file 指定的审计密钥文件 {key_file} 不存在："
                           "请接上保存密钥的设备，或改正 key_file（新建密钥用 archive-tui audit key new）",
                           field="audit.key_file")
    return key_file, key


def _previous(path: Path) -> dict:
    """What the anchor file held before, for the event (the anchor, or why there was none)."""
    anchor, why = audit.load_anchor(path)
    if anchor is None:
        return {"problem": "锚点文件不存在" if why == audit.MISSING else f"锚点文件{why}"}
    return {"id": anchor["id"], "hash": anchor["hash"], **({"key_id": anchor["key_id"]} if "key_id" in anchor else {})}


def _anchored(path: Path, event_head: dict) -> None:
    written, _why = audit.load_anchor(path)
    if written is None or written["id"] != event_head["id"] or written["hash"] != event_head["hash"]:
        raise ArchiveError(f"无法写入锚点文件 {path}（文件夹只读或没有写入权限？）：此操作已记入审计日志，"
                           "但锚点未能保存；请改正后再运行一次")


@use_case(Permission.BACKUP, "重新设定审计锚点")
def reanchor(ctx: ArchiveContext, reason: str) -> dict:
    """Anchor the chain as it stands now, whatever the anchor file holds (missing, damaged, signed
    with a lost key): an audit event with the reason, what the anchor held before and whether the
    chain's own walk is intact; the anchor it writes is that event (signed when there is a key)."""
    reason = _reason(reason)
    path = _anchor_path(ctx)
    key_file, key = _key(ctx)
    chain = audit.verify(ctx.engine)
    with ctx.engine.begin() as connection:
        audit.anchor_deliberately(connection, key, key_file)
        audit.record(connection, operator=ctx.operator, action="audit.anchor", entity="audit", key=path.name,
                     after={"reason": reason, "previous": _previous(path), "keyed": key is not None,
                            **({"key_id": audit.key_id(key)} if key is not None else {}),
                            "chain_ok": chain.ok, "checked": chain.checked})
        event_head = dict(connection.info["audit_head"])
    _anchored(path, event_head)
    return {"path": str(path), "id": event_head["id"], "hash": event_head["hash"], "keyed": key is not None,
            "key_file": str(key_file) if key is not None else None, "chain_ok": chain.ok,
            "first_bad": chain.first_bad}


@use_case(Permission.BACKUP, "生成审计密钥")
def new_key(ctx: ArchiveContext) -> dict:
    """A new key (审计密钥) where config.toml says (else the user config folder), owner-only, never
    over an existing one; the anchor is signed with it at once (an audit event). The anchor must
    hold first: a key does not paper over an anchor that went missing."""
    path = _anchor_path(ctx)
    key_file = audit.key_file_of(ctx.config)
    if key_file.exists() or key_file.is_symlink():
        audit.make_key(key_file)  # refuses, naming the key that is there
    current, why = audit.load_anchor(path)
    if current is None:
        trouble = None if why == audit.MISSING and audit.is_empty(ctx.engine) else (
            "锚点文件不存在" if why == audit.MISSING else f"锚点文件{why}")
    elif current.get("hmac"):
        trouble = f"锚点已用另一把密钥（编号 {current.get('key_id')}）签名，而 {key_file} 没有密钥"
    else:
        trouble = None if audit.holds(ctx.engine, current) else "锚点与审计日志不符"
    if trouble:
        raise ArchiveError(f"现在的锚点不可靠（{trouble}），不能直接用新密钥签名：请先查明原因，"
                           "用 archive-tui audit anchor --reason 理由 重新设定锚点，再生成密钥")
    key = audit.make_key(key_file)
    try:
        with ctx.engine.begin() as connection:
            audit.anchor_deliberately(connection, key, key_file)
            audit.record(connection, operator=ctx.operator, action="audit.key", entity="audit", key=path.name,
                         after={"key_id": audit.key_id(key), "key_file": str(key_file)})
            event_head = dict(connection.info["audit_head"])
    except BaseException:
        key_file.unlink(missing_ok=True)  # nothing signed with it: not kept
        raise
    _anchored(path, event_head)
    return {"key_file": str(key_file), "key_id": audit.key_id(key), "id": event_head["id"]}
