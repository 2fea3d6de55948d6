"""The anchor (锚点): the chain's head kept outside the table, so that the newest events cut off,
the whole log emptied, or the chain computed anew after an edit, are found.

It lives beside a SQLite file (``archive.db.审计锚点.json``) or, for a server's database, beside
each computer's config.toml (``core.paths``). Each commit that appended to the chain moves it on
— but only from an anchor that still holds (its event there with its hash, its signature right).
An anchor that went missing or was damaged stays so: it never silently comes back with a
shortened chain under it. ``audit verify`` fails on it until someone re-anchors deliberately
(``audit anchor --reason``, itself an audit event). A new, empty archive gets its first anchor
("nothing yet") when it is first opened.

With a key (审计密钥, kept outside the archive folder: ``[audit] key_file``, else the user config
folder), the anchor carries an HMAC-SHA256 of its event's id and hash: a chain recomputed after
an edit, its anchor rewritten to match, fails for want of the key. A commit made while the key
cannot be read (the 管理员's USB stick taken out) leaves the anchor where it was: it still holds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, event, func, literal, select
from sqlalchemy.exc import SQLAlchemyError

from archive_tui.core import config as config_module
from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.paths import ANCHOR_SUFFIX, KEY_NAME, anchor_file_for, server_anchor_file
from archive_tui.core.privacy import private_dir, write_private_text
from archive_tui.db.tables import ACCOUNT, AUDIT, CERTIFICATE, FILE, HOUSEHOLD, RECORD_ITEM, SCAN, TRANSFER
from models.tables import now

__all__ = ["ANCHOR_SUFFIX", "anchor_file_for", "server_anchor_file"]

MISSING = "missing"  # load_anchor's reason when there is no anchor file at all
ANCHOR_LIMIT = 64 * 1024  # an anchor file is a line of JSON; more is not one of ours
KEY_LIMIT = 4096
_HASH = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(r"[0-9a-f]{64}")
_STATE = "audit_anchor_state"  # connection.info: how this transaction's commit moves the anchor (None: not at all)
_FORCED = "audit_anchor_forced"  # connection.info: a deliberate re-anchor, with the key it signs with
REANCHOR = ("查明原因、确认审计日志无误后，管理员可运行 archive-tui audit anchor --reason 理由 "
            "重新设定锚点（此操作记入审计日志）")
RECORD_TABLES = (HOUSEHOLD, FILE, SCAN, RECORD_ITEM, CERTIFICATE, TRANSFER, ACCOUNT)  # each change to them is audited


# ---- the key (审计密钥) ------------------------------------------------------------------------------

def default_key_file() -> Path:
    """The key's place when config.toml names none: the user config folder (outside any archive)."""
    return config_module.user_config_path().parent / KEY_NAME


def key_configured(config: Config) -> bool:
    return bool(config.settings.audit.key_file.strip())


def key_file_of(config: Config) -> Path:
    """``[audit] key_file`` (relative: beside config.toml), else the user config folder's. A key
    inside the archive folder is refused: whoever can rewrite the archive could rewrite it too."""
    setting = config.settings.audit.key_file.strip()
    path = config.resolve(setting) if setting else default_key_file()
    if path.resolve().is_relative_to(config.root.resolve()):
        raise ArchiveError(f"审计密钥文件 {path} 在档案文件夹 {config.root} 之内：能改动档案文件夹的人也就能改写它，"
                           "密钥锚点起不到作用。请在 config.toml 的 [audit] key_file 中指定档案文件夹之外的位置"
                           "（如管理员的 U 盘），或留空使用用户配置文件夹", field="audit.key_file")
    return path


def read_key(path: Path) -> bytes | None:
    """The key in ``path``; None when there is no such file. One that cannot be read or is not
    one of ours: a Chinese ArchiveError naming the file."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(KEY_LIMIT + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ArchiveError(f"无法读取审计密钥文件 {path}：{error.strerror or error}") from None
    text = raw.decode("ascii", "replace").strip()
    if len(raw) > KEY_LIMIT or not _KEY.fullmatch(text):
        raise ArchiveError(f"审计密钥文件 {path} 的内容不是本程序生成的密钥（应为一行 64 位十六进制数字）")
    return bytes.fromhex(text)


def make_key(path: Path) -> bytes:
    """A new random key written owner-only to ``path``; an existing file is never replaced."""
    if path.exists() or path.is_symlink():
        raise ArchiveError(f"审计密钥文件 {path} 已存在，未覆盖：换用新密钥前请先把旧密钥移走并妥善保管"
                           "（用旧密钥签名的锚点和备份只能用它核对）")
    if not path.parent.is_dir():
        private_dir(path.parent)
    key = secrets.token_bytes(32)
    try:
        write_private_text(path, key.hex() + "\n")
    except OSError as error:
        raise ArchiveError(f"无法写入审计密钥文件 {path}：{error.strerror or error}") from None
    return key


def key_id(key: bytes) -> str:
    """A short name of a key that gives nothing of it away (shown and stored with what it signed)."""
    return hashlib.sha256(b"archive-tui audit key id\n" + key).hexdigest()[:16]


def signature(key: bytes, anchor_id: int, anchor_hash: str) -> str:
    """HMAC-SHA256 of an anchor (the id and hash of the chain's last event)."""
    message = f"archive-tui 审计锚点 1\n{anchor_id}\n{anchor_hash}".encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed(anchor: dict, key: bytes) -> bool:
    """Does ``anchor`` carry this key's signature of its id and hash?"""
    return (anchor.get("key_id") == key_id(key)
            and hmac.compare_digest(str(anchor.get("hmac") or ""), signature(key, anchor["id"], anchor["hash"])))


def with_signature(head: dict, key: bytes | None, key_file: Path | str | None = None) -> dict:
    """``head`` (id, hash, …) with this key's signature (and where the key is), when there is a key."""
    if key is None:
        return dict(head)
    return {**head, "hmac": signature(key, head["id"], head["hash"]), "key_id": key_id(key),
            **({"key_file": str(key_file)} if key_file else {})}


# ---- the anchor file -------------------------------------------------------------------------------

def load_anchor(path: Path) -> tuple[dict | None, str]:
    """(the anchor, "") or (None, why not): ``MISSING`` when there is no file, else the reason in Chinese."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(ANCHOR_LIMIT + 1)
    except FileNotFoundError:
        return None, MISSING
    except OSError as error:
        return None, f"无法读取：{error.strerror or error}"
    if len(raw) > ANCHOR_LIMIT:
        return None, "文件过大，不是本程序写的锚点"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "不是有效的 JSON"
    if not isinstance(data, dict):
        return None, "内容不是锚点"
    anchor_id, anchor_hash = data.get("id"), data.get("hash")
    if type(anchor_id) is not int or anchor_id < 0 or not isinstance(anchor_hash, str) or not (
            _HASH.fullmatch(anchor_hash) or (anchor_id == 0 and anchor_hash == "")):
        return None, "缺少末条记录的编号或哈希，或其格式不对"
    anchor = {"id": anchor_id, "hash": anchor_hash, "at": str(data.get("at", ""))}
    for name in ("hmac", "key_id", "key_file"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            return None, f"“{name}”的格式不对"
        if value:
            anchor[name] = value
    return anchor, ""


def read_anchor(path: Path) -> dict | None:
    """The anchor in ``path`` (with ``where``), or None when there is none or it cannot be read."""
    anchor, _why = load_anchor(path)
    return None if anchor is None else {**anchor, "where": str(path)}


def write_anchor(path: Path, head: dict) -> bool:
    """The head (id and hash of the last event, a signature when keyed) as JSON, owner-only,
    replaced whole (never half written). False when it could not be written (a read-only folder:
    the anchors in backups and on printed forms still hold)."""
    partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.part")  # one per writer
    fields = {name: head[name] for name in ("id", "hash", "hmac", "key_id", "key_file") if head.get(name) is not None}
    try:
        write_private_text(partial, json.dumps({**fields, "at": now().isoformat()}, ensure_ascii=False))
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
        return False
    return True


def has_records(connection: Connection) -> bool:
    """Does the archive hold anything whose change is audited (households, files, scans, …)?"""
    return any(connection.execute(select(literal(1)).select_from(table).limit(1)).first() is not None
               for table in RECORD_TABLES)


def _holds(connection: Connection, anchor: dict) -> bool:
    """Is the anchor's event still there with its hash (the empty anchor: always)?"""
    if anchor["id"] == 0:
        return anchor["hash"] == ""
    found = connection.execute(select(AUDIT.c.hash).where(AUDIT.c.id == anchor["id"])).scalar()
    return found == anchor["hash"]


def holds(engine: Engine, anchor: dict) -> bool:
    """Is the anchor's event still in the chain with its hash?"""
    with engine.connect() as connection:
        return _holds(connection, anchor)


def is_empty(engine: Engine) -> bool:
    """A new archive: no audit event and no record yet."""
    with engine.connect() as connection:
        return connection.execute(select(AUDIT.c.id).limit(1)).first() is None and not has_records(connection)


def _signing_key(anchor: dict | None) -> tuple[Path | None, bytes | None] | None:
    """(key file, key) a commit signs with: the key the anchor was signed with (its file), else the
    user config folder's if there is one; (None, None): no key. None: the anchor is signed and
    its key cannot be read now — the anchor stays where it is."""
    path = Path(anchor["key_file"]) if anchor and anchor.get("key_file") else default_key_file()
    try:
        key = read_key(path)
    except ArchiveError:
        key = None
    if key is None:
        return None if anchor and anchor.get("hmac") else (None, None)
    return path, key


def before_append(connection: Connection) -> None:
    """Called by ``audit.record`` before the first event of a transaction (the chain locked):
    settle whether its commit moves the anchor on — only from an anchor that holds, or by a
    deliberate re-anchor."""
    path = getattr(connection.engine, "audit_anchor", None)
    if path is None or _STATE in connection.info:
        return
    forced = connection.info.pop(_FORCED, None)
    if forced is not None:
        connection.info[_STATE] = forced
        return
    current, _why = load_anchor(path)
    signing = _signing_key(current) if current is not None else None
    holds = False
    if signing is not None and _holds(connection, current):
        key = signing[1]
        holds = signed(current, key) if key is not None else not current.get("hmac")
    connection.info[_STATE] = {"key_file": signing[0], "key": signing[1]} if holds else None


def anchor_deliberately(connection: Connection, key: bytes | None, key_file: Path | None) -> None:
    """The next event recorded on ``connection`` (as its transaction's first) becomes the anchor,
    whatever the anchor file holds now: ``audit anchor --reason`` and ``audit key new``."""
    if _STATE in connection.info:
        raise RuntimeError("anchor_deliberately() comes before the transaction's first audit.record()")
    connection.info[_FORCED] = {"key_file": key_file if key is not None else None, "key": key}


def keep_anchor(engine: Engine, path: Path) -> None:
    """From now on, every commit that appended to the chain writes its head to ``path`` — after
    the database has committed it, and only from an anchor that holds. A new, empty archive gets
    its first anchor now."""
    already = getattr(engine, "audit_anchor", None) is not None
    engine.audit_anchor = path
    if not already:
        _listen(engine)
    _start(engine, path)


def _listen(engine: Engine) -> None:
    pending: dict[int, dict] = {}  # the head to write once the database's own commit has succeeded
    dialect = engine.dialect
    database_commit = dialect.do_commit

    @event.listens_for(engine, "commit")
    def _stage(conn) -> None:
        top, state = conn.info.pop("audit_head", None), conn.info.pop(_STATE, None)
        conn.info.pop(_FORCED, None)
        if top is not None and state is not None:
            pending[id(conn.connection)] = with_signature(top, state["key"], state["key_file"])

    def do_commit(dbapi_connection) -> None:
        top = pending.pop(id(dbapi_connection), None)
        database_commit(dbapi_connection)
        if top is not None:
            write_anchor(engine.audit_anchor, top)

    dialect.do_commit = do_commit  # this engine's own dialect: the anchor follows a commit that happened

    @event.listens_for(engine, "rollback")
    def _forget(conn) -> None:
        for name in ("audit_head", _STATE, _FORCED):
            conn.info.pop(name, None)

    @event.listens_for(engine, "rollback_savepoint")
    def _unsure(conn, _name, _context) -> None:
        if "audit_head" in conn.info:  # an event may have gone with the savepoint: this commit leaves the anchor
            conn.info[_STATE] = None


def _start(engine: Engine, path: Path) -> None:
    """The first anchor of a new archive (no audit event, no record yet): the empty chain."""
    if path.exists() or path.is_symlink():
        return
    try:
        if not is_empty(engine):
            return
    except SQLAlchemyError:
        return  # a database without its tables yet: anchored when it has them
    signing = _signing_key(None)
    write_anchor(path, with_signature({"id": 0, "hash": ""}, signing[1], signing[0]))


# ---- checking it ---------------------------------------------------------------------------------

def known_anchors(engine: Engine, config) -> list[dict]:
    """The anchors this archive has: beside the database, and in each backup's manifest."""
    anchors = []
    path = getattr(engine, "audit_anchor", None)
    if path is not None:
        found = read_anchor(path)
        if found:
            anchors.append({**found, "where": "数据库旁的锚点文件"})
    folder = config.resolve(config.settings.backup.folder)
    for manifest in sorted(folder.glob("*/manifest.json")) if folder.is_dir() else []:
        try:
            kept = json.loads(manifest.read_text(encoding="utf-8")).get("audit")
        except (OSError, ValueError, AttributeError, RecursionError):
            continue
        if isinstance(kept, dict) and type(kept.get("id")) is int and isinstance(kept.get("hash"), str):
            anchors.append({**kept, "where": f"备份 {manifest.parent.name}"})
    return anchors


def against_anchors(connection: Connection, anchors: list[dict]) -> tuple[int, str] | None:
    """Each anchor's event must still be there with the same hash: a chain cut short, emptied or
    computed anew after an edit passes the walk, not this. (anchor id, problem) of the newest
    anchor that fails; older ones would repeat it."""
    last = connection.execute(select(func.max(AUDIT.c.id))).scalar()
    for anchor in sorted(anchors, key=lambda a: a["id"], reverse=True):
        if anchor["id"] == 0:
            continue  # anchored when the chain was empty: any chain extends it
        found = connection.execute(select(AUDIT.c.hash).where(AUDIT.c.id == anchor["id"])).scalar()
        where = anchor.get("where", "")
        if last is None:
            problem = f"审计日志已被全部删除（{where} 记录到第 {anchor['id']} 条）"
        elif found is None and last < anchor["id"]:
            problem = f"审计日志在第 {last} 条之后被截断（{where} 记录到第 {anchor['id']} 条）"
        elif found is None:
            problem = f"第 {anchor['id']} 条记录已不存在（{where} 记录了它）"
        elif found != anchor["hash"]:
            problem = f"审计日志被重新计算过：第 {anchor['id']} 条的哈希与 {where} 记录的不符"
        else:
            continue
        return anchor["id"], problem
    return None


@dataclass
class AnchorReport:
    """锚点核验: the anchor beside the database in itself — there, readable, signed when there is a
    key. (``verify`` holds the chain against it.)"""

    path: str | None = None
    anchor: dict | None = None
    head_id: int | None = None
    keyed: bool = False
    key_file: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def behind(self) -> int:
        """How many events the anchor is behind the chain's end (another computer wrote them, or
        the key could not be read when they were written)."""
        if self.anchor is None or self.head_id is None:
            return 0
        return max(0, self.head_id - self.anchor["id"])

    def as_dict(self) -> dict:
        return {"ok": self.ok, "path": self.path, "id": self.anchor["id"] if self.anchor else None,
                "keyed": self.keyed, "key_file": self.key_file, "problems": self.problems}


def check_anchor(engine: Engine, key_file: Path, configured: bool = False) -> AnchorReport:
    """The anchor beside the database: missing or unreadable in an archive that has audit events
    (or records) is a failure; with a key (at ``key_file``; ``configured``: config.toml names it,
    so it must be there) its signature must be right."""
    path = getattr(engine, "audit_anchor", None)
    report = AnchorReport(str(path) if path is not None else None, key_file=str(key_file))
    if path is None:
        return report
    key, key_broken = None, False
    try:
        key = read_key(key_file)
    except ArchiveError as error:
        report.problems.append(f"{error.message}，无法核对锚点的签名")
        key_broken = True
    if key is None and configured and not key_broken:
        report.problems.append(f"config.toml 的 [audit] key_file 指定的审计密钥文件 {key_file} 不存在，"
                               "无法核对锚点的签名：请接上保存密钥的设备，或改正 key_file"
                               "（新建密钥用 archive-tui audit key new）")
    anchor, why = load_anchor(path)
    with engine.connect() as connection:
        events = connection.execute(select(func.count()).select_from(AUDIT)).scalar_one()
        report.head_id = connection.execute(select(func.max(AUDIT.c.id))).scalar()
        records = not events and has_records(connection)
    if anchor is None:
        if why != MISSING:
            report.problems.append(f"锚点文件 {path} 无法读取或内容不对（{why}），无法确认审计日志是否完整。{REANCHOR}")
        elif events:
            report.problems.append(f"锚点文件 {path} 不见了，而审计日志有 {events:,} 条记录：最新的记录可能连同锚点"
                                   f"一起被删除了，无法确认审计日志是否完整。{REANCHOR}")
        elif records:
            report.problems.append(f"审计日志是空的，档案中却已有记录，锚点文件 {path} 也不在："
                                   f"审计日志可能被整个删除了。{REANCHOR}")
        return report
    report.anchor = anchor
    if key is not None:
        report.keyed = True
        if not anchor.get("hmac"):
            report.problems.append(f"已有审计密钥 {key_file}，锚点文件 {path} 却没有密钥签名："
                                   f"锚点可能被换成了未签名的，审计日志可能被改动后重新计算。{REANCHOR}")
        elif anchor.get("key_id") != key_id(key):
            report.problems.append(f"锚点文件 {path} 的签名不是用审计密钥 {key_file} 做的（密钥编号 "
                                   f"{anchor.get('key_id') or '无'}，本密钥为 {key_id(key)}）。{REANCHOR}")
        elif not signed(anchor, key):
            report.problems.append(f"锚点文件 {path} 的密钥签名与其内容不符：锚点被改写过，"
                                   f"审计日志可能被改动后重新计算。{REANCHOR}")
    elif anchor.get("hmac") and not key_broken:
        where = anchor.get("key_file") or str(key_file)
        report.problems.append(f"锚点文件 {path} 带有密钥签名（密钥编号 {anchor.get('key_id')}），"
                               f"但找不到审计密钥 {where}，无法核对：请接上保存密钥的设备，"
                               "或在 config.toml 的 [audit] key_file 中指明密钥的位置")
    return report


# ---- the head ------------------------------------------------------------------------------------

def head(engine: Engine) -> dict | None:
    """The chain's head now: id, hash and the number of events."""
    with engine.connect() as connection:
        return head_on(connection)


def head_on(connection: Connection) -> dict | None:
    row = connection.execute(select(AUDIT.c.id, AUDIT.c.hash).order_by(AUDIT.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    total = connection.execute(select(func.count()).select_from(AUDIT)).scalar_one()
    return {"id": row.id, "hash": row.hash, "count": total}


def anchor_text(engine: Engine) -> str:
    """The head as printed on the forms that close a batch (交接文据, 销毁清册): an anchor on paper."""
    with engine.connect() as connection:
        return anchor_text_on(connection)


def anchor_text_on(connection: Connection) -> str:
    """The head as ``connection`` sees it (inside a step that is rendering the form it keeps)."""
    found = head_on(connection)
    if found is None:
        return "（空）"
    return f"共 {found['count']} 条，第 {found['id']} 条哈希 {found['hash'][:16]}"
