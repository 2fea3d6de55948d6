"""Search texts per household (检索): names with pinyin initials; codes, 档号, ID numbers.

Typing ``zs`` finds 张三: each name is stored with the first letters of its pinyin. The
entries are built for every household that has none (after an import or an upgrade) and
dropped whenever the household or its members change, so they are rebuilt then.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import Connection, Engine, delete, func, select

from archive_tui.db import insert_rows
from archive_tui.core.config import PRIMARY_CAMPAIGN
from archive_tui.db.tables import FILE, HOUSEHOLD, MEMBER, PAGE_TERM, SEARCH
from archive_tui.scanning.evidence import search_terms
from archive_tui.services.households.filters import primary_file
from archive_tui.services.households.page_cache import small_page_cache

BATCH = 1_000  # households a transaction: small enough that closing the app waits little


def _pypinyin():
    """pypinyin without its phrase dictionary: names are read one character at a time, where it
    gives the same readings (all 41,931 characters compared), in 40 MB less and sooner."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    import pypinyin  # loaded late: pypinyin's dictionaries take 0.3 s

    return pypinyin


@lru_cache(maxsize=20_000)
def _initial(character: str) -> str:
    pypinyin = _pypinyin()
    letters = pypinyin.lazy_pinyin(character, style=pypinyin.Style.FIRST_LETTER, errors="default")
    return (letters[0] if letters else character)[:1].lower()


def initials(name: str) -> str:
    """张三 → zs; characters without pinyin are kept as they are."""
    return "".join(_initial(character) for character in name)


@lru_cache(maxsize=20_000)
def _syllable(character: str) -> str:
    pypinyin = _pypinyin()
    return (pypinyin.lazy_pinyin(character, style=pypinyin.Style.TONE3, errors="default") or [character])[0].lower()


def sort_name(name: str) -> str:
    """A name's pinyin with tone numbers (丁 ding1, 万 wan4): sorting by it orders names as a
    register does; characters without pinyin keep their place after the letters."""
    return " ".join(_syllable(character) if ord(character) > 0x2E7F else "~" + character for character in name)


def search_entry(code: str, archive_code: str | None, name: str, members: list[tuple[str, str]],
                 other_codes: list[str] | tuple[str, ...] = ()) -> dict:
    """The two search texts: names (with pinyin initials) and numbers (codes, 档号 — the 确权
    file's, then ``other_codes``, the 档号 of the household's files of later campaigns — IDs),
    and the head's name as pinyin for sorting.

    Kept apart so that typing a name scans only the short names text.
    """
    names = [name, initials(name)]
    numbers = [code, archive_code or "", *other_codes]
    for member_name, id_number in members:
        names += [member_name, initials(member_name)]
        numbers.append(id_number)
    return {"names": " ".join(p for p in names if p).lower(), "numbers": " ".join(p for p in numbers if p).lower(),
            "sort_name": sort_name(name)}


def looks_like_number(text: str) -> bool:
    """Typed text with a digit searches codes, 档号 and ID numbers; other text searches names."""
    return any(character.isdigit() for character in text)


def missing_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(HOUSEHOLD)
            .where(~HOUSEHOLD.c.id.in_(select(SEARCH.c.household_id)))
        ).scalar_one()


def forget(connection: Connection, household_ids: list[int]) -> None:
    """Drop the entries of changed households; they are rebuilt by :func:`build_missing`."""
    for start in range(0, len(household_ids), 900):
        connection.execute(delete(SEARCH).where(SEARCH.c.household_id.in_(household_ids[start:start + 900])))


def build_missing(engine: Engine, progress: Callable[[int, int], None] | None = None,
                  stop: Callable[[], bool] | None = None) -> int:
    """Build the entries of every household without one, in batches; returns how many.
    ``stop`` is asked between batches (the app is closing: the rest is built next time)."""
    total = missing_count(engine)
    done, after = 0, 0
    with engine.connect() as connection, small_page_cache(connection):
        while done < total and not (stop is not None and stop()):
            with connection.begin():
                built = _build_batch(connection, after)
            if not built:
                break
            done, after = done + built[0], built[1]
            if progress:
                progress(done, total)
    return done


def _build_batch(connection: Connection, after: int) -> tuple[int, int] | None:
    """The entries of the next BATCH households without one, from household id ``after`` on:
    (how many, the last id), or None when there are none left."""
    households = connection.execute(
        select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, HOUSEHOLD.c.name, FILE.c.archive_code)
        .outerjoin(FILE, primary_file())  # one row per household: its 确权 file
        .where(HOUSEHOLD.c.id > after, ~HOUSEHOLD.c.id.in_(select(SEARCH.c.household_id)))
        .order_by(HOUSEHOLD.c.id).limit(BATCH)
    ).all()
    if not households:
        return None
    first, last = households[0].id, households[-1].id
    later: dict[int, list[str]] = defaultdict(list)  # the 档号 of their files of later campaigns (延包 …)
    for household_id, archive_code in connection.execute(
        select(FILE.c.household_id, FILE.c.archive_code)
        .where(FILE.c.household_id.between(first, last), FILE.c.campaign != PRIMARY_CAMPAIGN)
        .order_by(FILE.c.household_id, FILE.c.id)
    ):
        later[household_id].append(archive_code)
    members: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for household_id, name, id_number in connection.execute(
        select(MEMBER.c.household_id, MEMBER.c.name, MEMBER.c.id_number)
        .where(MEMBER.c.household_id.between(first, last)).order_by(MEMBER.c.household_id, MEMBER.c.position)
    ):
        members[household_id].append((name, id_number))
    insert_rows(connection, SEARCH, [
        {"household_id": row.id, **search_entry(row.code, row.archive_code, row.name, members.get(row.id, []),
                                                 later.get(row.id, []))}
        for row in households
    ])
    return len(households), last


def index_page_text(connection: Connection, household_id: int, text: str) -> int:
    """Keep the names and numbers read on a page filed to the household (页面检索词), so that a
    search finds the household by them; returns how many were new."""
    terms = search_terms(text)
    if not terms:
        return 0
    known = set(connection.execute(select(PAGE_TERM.c.term).where(
        PAGE_TERM.c.household_id == household_id, PAGE_TERM.c.term.in_(sorted(terms)))).scalars())
    insert_rows(connection, PAGE_TERM, [{"term": term, "household_id": household_id}
                                        for term in sorted(terms - known)])
    return len(terms - known)


def page_term_match(text: str):
    """Households with the typed name or number read on one of their pages (a whole word)."""
    import unicodedata

    term = unicodedata.normalize("NFKC", text.strip()).upper()
    return select(PAGE_TERM.c.household_id).where(PAGE_TERM.c.term == term)


def members_matching(engine: Engine, household_code: str, text: str) -> list[str]:
    """Why a search by name found this household when its head's name does not hold the text: the
    members whose name or pinyin initials do (``zx`` finds 刘怡庆's household through 赵晓)."""
    text = text.strip().lower()
    if not text or looks_like_number(text):
        return []
    with engine.connect() as connection:
        head = connection.execute(select(HOUSEHOLD.c.id, HOUSEHOLD.c.name)
                                  .where(HOUSEHOLD.c.code == household_code)).first()
        if head is None or _holds(head.name, text):
            return []
        names = connection.execute(select(MEMBER.c.name).where(MEMBER.c.household_id == head.id)
                                   .order_by(MEMBER.c.id)).scalars().all()
    return [name for name in names if name != head.name and _holds(name, text)]


def _holds(name: str, text: str) -> bool:
    return text in name.lower() or text in initials(name).lower()
