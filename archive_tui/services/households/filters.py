"""The small pieces the household services share (and the registers, checks and screens
that look households up): the file states' labels, a village filter, a household found by
承包方编码 or 档号. Below ``households.py``, which imports them, so that no module needing only
these imports the whole household reader."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, or_, select

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


def find_household(connection, key: str):
    """A household by 承包方编码 or 档号 (a 档号 typed with other separators too); ArchiveError when none."""
    key = key.strip()
    row = connection.execute(
        select(HOUSEHOLD, ISSUER.c.name.label("issuer_name"), ISSUER.c.village_name)
        .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
        .outerjoin(FILE, FILE.c.household_id == HOUSEHOLD.c.id)
        .where(or_(HOUSEHOLD.c.code == key, FILE.c.archive_code == key))
    ).first()
    if row is None:  # a 档号 typed with - . or full-width characters for its ·
        found = connection.execute(
            select(HOUSEHOLD, ISSUER.c.name.label("issuer_name"), ISSUER.c.village_name)
            .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id).join(FILE, FILE.c.household_id == HOUSEHOLD.c.id)
            .where(func.lower(FILE.c.archive_code).like(tolerant_pattern(key), escape="\\")).limit(2)).all()
        row = found[0] if len(found) == 1 else None
    if row is None:
        raise ArchiveError(f"找不到承包方编码或档号为“{key}”的户卷")
    return row
