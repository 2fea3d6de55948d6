"""Reading a scan's file name (文件名规则): which file, which document, which page.

Rules come from config in order; each is a pattern with named fields:

  {archive_code}  a 档号            {cbfbm}  an 18-digit 承包方编码
  {seq4}          the last 4 digits of a 承包方编码
  {name}          the household head's name
  {doc}           a document-type code (config [[documents]])
  {docname}       a document name, matched against the configured names
  {page}          a page number

The extension is not part of the pattern. A name matches a rule when the whole stem
matches; the first reading the archive recognises wins.

Whether a file is a scan at all is judged by its first bytes (:func:`scan_kind`), not by its
name: a text file named ``.jpg`` is no scan, a JPEG without an extension is one. Only a file
with no bytes at all is judged by its name (:func:`named_as_scan`): an empty ``.jpg`` is a
scan that failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

FIELDS = {
    "archive_code": r"(?P<archive_code>.+?)",
    "cbfbm": r"(?P<cbfbm>\d{18})",
    "seq4": r"(?P<seq4>\d{4})",
    "name": r"(?P<name>[^_\-\s]+?)",
    "doc": r"(?P<doc>[0-9A-Za-z]{1,4})",
    "docname": r"(?P<docname>\D.*?)",
    "page": r"(?P<page>\d{1,5})",
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class RuleError(ValueError):
    """A rule in config that cannot be used; the message is Chinese."""


@dataclass(frozen=True)
class NameMatch:
    rule: str
    archive_code: str | None = None
    cbfbm: str | None = None
    seq4: str | None = None
    name: str | None = None
    doc: str | None = None
    docname: str | None = None
    page: int | None = None


@lru_cache(maxsize=64)
def compile_rule(rule: str) -> re.Pattern[str]:
    """The regular expression of one rule; RuleError for an unknown or repeated field."""
    parts, position, seen = [], 0, set()
    for match in PLACEHOLDER.finditer(rule):
        field = match.group(1)
        if field not in FIELDS:
            raise RuleError(f"文件名规则“{rule}”中的字段 {{{field}}} 不存在；可用字段：{'、'.join(FIELDS)}")
        if field in seen:
            raise RuleError(f"文件名规则“{rule}”中的字段 {{{field}}} 重复")
        seen.add(field)
        parts.append(re.escape(rule[position:match.start()]))
        parts.append(FIELDS[field])
        position = match.end()
    parts.append(re.escape(rule[position:]))
    if not seen:
        raise RuleError(f"文件名规则“{rule}”中没有任何字段")
    return re.compile("".join(parts) + r"\Z", re.IGNORECASE)


def candidates(stem: str, rules: list[str]) -> list[NameMatch]:
    """Every reading of the file's stem (name without extension), in rule order."""
    found = []
    for rule in rules:
        match = compile_rule(rule).match(stem)
        if match:
            fields = match.groupdict()
            page = fields.pop("page", None)
            found.append(NameMatch(rule=rule, page=int(page) if page else None, **fields))
    return found


def match_name(stem: str, rules: list[str], accept: Callable[[NameMatch], bool] = lambda _m: True) -> NameMatch | None:
    """The first reading that ``accept`` takes (e.g. whose 档号 exists): ``Z001-…-00001``
    read as 档号 ``Z001-…`` plus page 1 is passed over when no such 档号 exists."""
    return next((match for match in candidates(stem, rules) if accept(match)), None)


# The formats the intake reads (scanning.probe), by the bytes they begin with (their magic numbers).
SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"II+\x00", "TIFF"), (b"MM\x00+", "TIFF"),  # + BigTIFF
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG2000"), (b"\xffO\xffQ", "JPEG2000"),  # JP2 box, codestream
    (b"%PDF-", "PDF"),
)
HEAD_BYTES = max(len(magic) for magic, _kind in SIGNATURES)  # how many first bytes tell them apart
SCAN_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".png", ".jp2", ".j2k", ".jpx", ".jpf", ".pdf"})


def scan_kind(head: bytes) -> str | None:
    """The scan format a file's first bytes (at least ``HEAD_BYTES`` of them) announce, or None."""
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)


def named_as_scan(name: str) -> bool:
    """A name with the extension of a scan format (judges only files with no bytes to read)."""
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in SCAN_SUFFIXES
