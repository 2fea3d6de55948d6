"""Archive files (案卷): one per household, with its 档号 and its three copies (一式三份).

A 档号 is assigned once and never changed or reused.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from archive_tui.config import Config
from archive_tui.db import insert_rows
from archive_tui.errors import ArchiveError
from models import ArchiveFile, FileCopy, Household, Issuer
from models.tables import now

FILE, COPY, HOUSEHOLD, ISSUER = ArchiveFile.__table__, FileCopy.__table__, Household.__table__, Issuer.__table__

COPY_LEVELS = ("village", "township", "county")
LEVEL_LABELS = {"village": "村级", "township": "乡镇级", "county": "县级"}


def group_name(issuer_name: str, village_name: str) -> str:
    """The group part of an issuer's name (东庄村第一村民小组 → 第一村民小组)."""
    if village_name and issuer_name.startswith(village_name) and issuer_name != village_name:
        return issuer_name[len(village_name):]
    return "" if issuer_name == village_name else issuer_name


def location_text(copy) -> str:
    """乡政府/档案室/3/2 — a copy's place (楼/室/柜/层) as one string, without the box."""
    return "/".join(part for part in (copy.building, copy.room, copy.cabinet, copy.shelf) if part)


def short_group(name: str) -> str:
    """第一村民小组 → 一组, for narrow tables."""
    return name.replace("村民小组", "组").removeprefix("第")


def template_fields(config: Config, household_code: str, volume: int) -> dict[str, object]:
    archive = config.settings.archive
    return {
        "fonds": archive.fonds_code, "category": archive.category_code, "year": archive.year,
        "retention": config.retention_code, "county": household_code[:6],
        "township": household_code[6:9], "village": household_code[9:12],
        "group": household_code[12:14], "seq": household_code[14:18], "volume": volume,
    }


def archive_code(config: Config, household_code: str, volume: int) -> str:
    return config.settings.archive.archive_code_template.format(**template_fields(config, household_code, volume))


def file_title(config: Config, household_name: str, household_code: str, village: str, group: str) -> str:
    return config.settings.archive.title_template.format(
        village=village, group=group, name=household_name, cbfbm=household_code
    )


def create_missing(connection: Connection, config: Config) -> int:
    """Give every household without one its 案卷 and three copies; returns how many."""
    township = config.settings.township.code
    rows = connection.execute(
        select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, HOUSEHOLD.c.name, ISSUER.c.name, ISSUER.c.village_name)
        .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
        .outerjoin(FILE, FILE.c.household_id == HOUSEHOLD.c.id)
        .where(FILE.c.id.is_(None), HOUSEHOLD.c.code.startswith(township))
        .order_by(HOUSEHOLD.c.code)
    ).all()
    if not rows:
        return 0
    volume = connection.execute(select(func.coalesce(func.max(FILE.c.volume_no), 0))).scalar_one()
    taken = set(connection.execute(select(FILE.c.archive_code)).scalars())
    settings = config.settings
    stamp = now()
    files = []
    for household_id, code, name, issuer_name, village in rows:
        volume += 1
        number = archive_code(config, code, volume)
        if number in taken:
            raise ArchiveError(
                f"档号模板 archive.archive_code_template 为承包方 {code} 生成了已被占用的档号“{number}”；"
                "请在模板中加入 {volume} 或 {seq}"
            )
        taken.add(number)
        files.append({
            "household_id": household_id, "archive_code": number, "volume_no": volume,
            "title": file_title(config, name, code, village, group_name(issuer_name, village)),
            "year": settings.archive.year, "retention": settings.archive.retention,
            "page_count": 0, "status": "assembling", "created_at": stamp,
        })
    insert_rows(connection, FILE, files)
    file_ids = dict(connection.execute(
        select(FILE.c.household_id, FILE.c.id).where(FILE.c.volume_no > files[0]["volume_no"] - 1)
    ).all())
    villages = {household_id: village for household_id, _code, _name, _issuer, village in rows}
    holders = {
        "township": (settings.township.name, ""),
        "county": (settings.county.agriculture_office, ""),
    }
    copies = []
    for household_id, file_id in file_ids.items():
        for level in COPY_LEVELS:
            holder, keeper = holders.get(level) or (villages[household_id] or "村集体经济组织", settings.township.name)
            copies.append({"archive_file_id": file_id, "level": level, "holder": holder, "keeper": keeper,
                           "building": "", "room": "", "cabinet": "", "shelf": "", "box": "",
                           "status": "assembling"})
    insert_rows(connection, COPY, copies)
    return len(files)
