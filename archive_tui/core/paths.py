"""Paths made from data: one rule (由数据生成的路径).

Village names, 档号, document names, a bag's contents and the templates in config.toml all
end up in file and folder names. None of them is trusted: each piece taken from data is
made safe (no separators, no ``..``, no control characters, no Windows device names, a
bounded length), and every path made is checked to lie inside its root before anything is
written there.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePath

from archive_tui.core.errors import ArchiveError

PART_BYTES = 120  # one piece taken from data, in UTF-8 bytes (40 Chinese characters)
NAME_BYTES = 240  # one component of a path: most file systems take 255 bytes
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
_DOTS = re.compile(r"\.{2,}")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}")
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}


_ESCAPED = re.compile(r"[\udc80-\udcff]")


def readable_name(name: str) -> str:
    """A file name as the archivist wrote it. A name whose bytes were not UTF-8 (a Windows GBK
    name unzipped or copied from a share as it was) arrives with escaped bytes: it is read as
    GB18030, and what still cannot be read becomes _."""
    if not _ESCAPED.search(name):
        return name
    raw = name.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return _ESCAPED.sub("_", name)


def _truncated(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def safe_part(value: object) -> str:
    """A piece of a file or folder name made from data: 东里村, Z001-NJ·2018-Y-00001 stay as
    they are; ``../../tmp``, ``/tmp/x``, ``C:\\x``, ``a\\nb`` and ``CON`` do not."""
    text = _UNSAFE.sub("_", unicodedata.normalize("NFC", readable_name(str(value))))
    text = _DOTS.sub("_", text).strip(" .")
    if not text:
        return "_"
    if text.split(".")[0].upper() in _DEVICES:
        text = "_" + text
    return _truncated(text, PART_BYTES)


def safe_file_name(name: str) -> str:
    """A file's own name made safe, its extension kept (a long name is shortened before it)."""
    suffix = safe_extension(PurePath(name).suffix)
    stem = name[: -len(suffix)] if suffix and name.lower().endswith(suffix) else name
    return safe_part(stem) + suffix


def safe_extension(value: str) -> str:
    """``.jpg`` and the like; anything else (``.j/../x``, a 20-character suffix) is dropped."""
    return value.lower() if _EXTENSION.fullmatch(value or "") else ""


def inside(root: Path, path: Path) -> Path:
    """``path`` if, resolved, it lies inside ``root``; a refusal otherwise."""
    base = root.resolve()
    resolved = path.resolve()
    if resolved != base and not resolved.is_relative_to(base):
        raise ArchiveError(f"路径 {path} 不在 {root} 之内，已拒绝写入")
    return path


def from_template(root: Path, template: str, fields: dict[str, object], key: str) -> Path:
    """``root / template`` with every text field made safe, checked to stay inside ``root``.

    ``key`` names the template in config.toml for the messages. The field ``ext`` is a file
    extension; numbers keep their format (``{seq:04d}``)."""
    safe = {name: safe_extension(value) if name == "ext" else safe_part(value) if isinstance(value, str) else value
            for name, value in fields.items()}
    relative = PurePath(template.format(**safe))
    if relative.is_absolute() or relative.anchor or ".." in relative.parts:
        raise ArchiveError(f"config.toml 的 {key} 生成了存储库之外的路径“{relative}”；模板应是相对路径，且不含 ..")
    long = [part for part in relative.parts if len(part.encode("utf-8")) > NAME_BYTES]
    if long:
        raise ArchiveError(f"由 {key} 生成的文件名“{long[0][:40]}…”过长（超过 {NAME_BYTES} 字节）；"
                           "请缩短模板或其中的字段")
    return inside(root, root / relative)


def check_template(key: str, template: str) -> None:
    """A template in config.toml that makes paths: relative, and no ``..`` of its own."""
    path = PurePath(template)
    if path.is_absolute() or path.anchor or ".." in path.parts or template.startswith(("/", "\\")):
        raise ValueError(f"{key} 应是存储库之内的相对路径，不能以 / 开头或含有 ..（当前为“{template}”）")


# ---- where the audit anchor (审计锚点) lives -------------------------------------------------------

ANCHOR_SUFFIX = ".审计锚点.json"
SERVER_ANCHOR = f"数据库{ANCHOR_SUFFIX}"  # a server's database (PostgreSQL): beside config.toml, on each computer
KEY_NAME = "审计密钥.key"  # the key of the keyed anchor, in the user config folder unless [audit] key_file says


def anchor_file_for(database: Path) -> Path:
    """The anchor beside a SQLite database file (``archive.db`` → ``archive.db.审计锚点.json``)."""
    return database.with_name(database.name + ANCHOR_SUFFIX)


def server_anchor_file(archive_root: Path) -> Path:
    """The anchor of a server's database, kept beside this computer's config.toml."""
    return archive_root / SERVER_ANCHOR
