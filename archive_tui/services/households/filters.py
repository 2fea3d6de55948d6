"""The small pieces the household services share (and the registers, checks and screens
that look households up): the file states' labels, a village filter, a household found by
承包方编码 or 档号, the household's file a key names. Below ``households.py``, which imports
them, so that no module needing only these imports the whole household reader.

A household has one file (案卷) per campaign (工作阶段: 确权, then 延包 …). Whatever looks at
households — a list row, a search, a filter — joins its 确权 file (:func:`primary_file`); a
file's own household is joined by ``FILE.c.household_id`` alone, whichever its campaign."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select

from archive_tui.core.config import PRIMARY_CAMPAIGN
from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import FILE_STATUS_LABELS as FILE_STATUS_LABELS  # the screens import them from here
from archive_tui.db.tables import FILE, HOUSEHOLD, ISSUER

_SEPARATORS = re.compile(r"[-.·・•‧∙⋅]")


def village_filter(village: str):
    """A village by name, by its 3-digit code within the township, or by its 12-digit code."""
    village = village.strip()
    if village.isdigit() and len(village) == 12:
        return ISSUER.c.village_code == village
    if village.isdigit() and len(village) == 3:
        return ISSUER.c.village_code.endswith(village)
    return ISSUER.c.village_name == village


def tolerant_pattern(text: str) -> str:
    """Typed text as a LIKE pattern (backslash escapes): full-width characters read as plain ones, and
    any 档号 separator typed (``-``, ``.``, ``·``, full-width ones) matching any other, so
    Z001-NJ-2018-Y-00002 finds Z001-NJ·2018-Y-00002."""
    text = unicodedata.normalize("NFKC", text.strip()).lower()
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return _SEPARATORS.sub("_", escaped)


def primary_file():
    """The join condition household → its 确权 file (one row per household, however many
    campaigns its files are of)."""
    return (FILE.c.household_id == HOUSEHOLD.c.id) & (FILE.c.campaign == PRIMARY_CAMPAIGN)


def find_household(connection, key: str):
    """A household by 承包方编码 or 档号 (of any of its files; a 档号 typed with other separators
    too); ArchiveError when none."""
    key = key.strip()
    household = (select(HOUSEHOLD, ISSUER.c.name.label("issuer_name"), ISSUER.c.village_name)
                 .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id))
    row = connection.execute(household.where(HOUSEHOLD.c.code == key)).first()
    if row is None:
        row = connection.execute(household.join(FILE, FILE.c.household_id == HOUSEHOLD.c.id)
                                 .where(FILE.c.archive_code == key)).first()
    if row is None:  # a 档号 typed with - . or full-width characters for its ·
        found = connection.execute(
            household.join(FILE, FILE.c.household_id == HOUSEHOLD.c.id)
            .where(func.lower(FILE.c.archive_code).like(tolerant_pattern(key), escape="\\")).limit(2)).all()
        row = found[0] if len({one.id for one in found}) == 1 else None
    if row is None:
        raise ArchiveError(f"找不到承包方编码或档号为“{key}”的户卷")
    return row


def _plain_code(text: str) -> str:
    """A 档号 as typed or stored, compared without its separators' kind or full-width forms."""
    return _SEPARATORS.sub("-", unicodedata.normalize("NFKC", text.strip()).lower())


def files_of(connection, household_id: int) -> list:
    """The household's files (id, archive_code, campaign, status, page_count), 确权 first, then
    in the order they were made."""
    return connection.execute(
        select(FILE.c.id, FILE.c.archive_code, FILE.c.campaign, FILE.c.status, FILE.c.page_count)
        .where(FILE.c.household_id == household_id)
        .order_by((FILE.c.campaign != PRIMARY_CAMPAIGN), FILE.c.id)).all()


def named_file(files: list, key: str):
    """Of a household's ``files``, the one whose 档号 ``key`` is (typed with any separators), or None."""
    wanted = _plain_code(key)
    return next((file for file in files if _plain_code(file.archive_code) == wanted), None)


def file_for_key(connection, household_id: int, key: str, campaign: str = PRIMARY_CAMPAIGN):
    """The household's file a key names: the file whose 档号 the key is, else (a 承包方编码) the
    household's file of ``campaign``; None when it has none."""
    files = files_of(connection, household_id)
    return named_file(files, key) or next((file for file in files if file.campaign == campaign), None)
