"""Archive files (案卷): one per household and campaign (确权, 延包 …), with its 档号 and its
three copies (一式三份).

A 档号 is assigned once and never changed or reused. Each campaign numbers its own volumes
(案卷号) and has its own 档号 year; a household's files of two campaigns are 相关案卷.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from archive_tui.core.states import FileStatus
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.display import LEVEL_LABELS  # noqa: F401 (read from here by the copies' screens and forms)
from archive_tui.db import insert_columns
from archive_tui.core.errors import ArchiveError
from archive_tui.db.tables import CAMPAIGN_RECORD, COPY, FILE, HOUSEHOLD, ISSUER


COPY_LEVELS = ("village", "township", "county")


VILLAGE_BODIES = ("村民委员会", "居民委员会", "村委会", "股份经济合作社", "经济联合社", "经济合作社", "集体经济组织")


def village_name_of(issuer_name: str, township_name: str, village_level: bool) -> str:
    """The village's name in an issuer's name: 东里村 from 正定县城关镇东里村村民委员会 (the
    village itself, group 00) or from 东里村第一村民小组 (one of its groups)."""
    name = issuer_name.strip()
    if township_name and township_name in name:
        name = name[name.index(township_name) + len(township_name):]  # 河北省…正定县城关镇 before it
    for body in VILLAGE_BODIES:
        if name.endswith(body) and len(name) > len(body):
            name = name[: -len(body)]
            break
    if village_level:
        return name
    return name[: name.index("村") + 1] if "村" in name else ""


def group_name(issuer_name: str, village_name: str) -> str:
    """The group part of an issuer's name (东庄村第一村民小组 → 第一村民小组)."""
    if village_name and village_name in issuer_name and not issuer_name.endswith(village_name):
        rest = issuer_name[issuer_name.index(village_name) + len(village_name):]
        return "" if rest in VILLAGE_BODIES else rest
    return "" if issuer_name.endswith(village_name) else issuer_name


def location_text(copy) -> str:
    """乡政府/档案室/3/2 — a copy's place (楼/室/柜/层) as one string, without the box."""
    return "/".join(part for part in (copy.building, copy.room, copy.cabinet, copy.shelf) if part)


def short_group(name: str) -> str:
    """第一村民小组 → 一组, for narrow tables."""
    return name.replace("村民小组", "组").removeprefix("第")


def campaign_year(config: Config, campaign: str = PRIMARY_CAMPAIGN) -> int:
    """The 档号 year (立卷年度) of a campaign's files."""
    settings = config.settings
    return settings.archive.year if campaign == PRIMARY_CAMPAIGN else settings.campaign(campaign).year


def campaign_title_template(config: Config, campaign: str = PRIMARY_CAMPAIGN) -> str:
    settings = config.settings
    if campaign == PRIMARY_CAMPAIGN:
        return settings.archive.title_template
    return settings.campaign(campaign).title_template


def template_fields(config: Config, household_code: str, volume: int,
                    campaign: str = PRIMARY_CAMPAIGN) -> dict[str, object]:
    archive = config.settings.archive
    return {
        "fonds": archive.fonds_code, "category": archive.category_code, "year": campaign_year(config, campaign),
        "retention": config.retention_code, "county": household_code[:6],
        "township": household_code[6:9], "village": household_code[9:12],
        "group": household_code[12:14], "seq": household_code[14:18], "volume": volume,
    }


def archive_code(config: Config, household_code: str, volume: int, campaign: str = PRIMARY_CAMPAIGN) -> str:
    return config.settings.archive.archive_code_template.format(
        **template_fields(config, household_code, volume, campaign))


def file_title(config: Config, household_name: str, household_code: str, village: str, group: str,
               campaign: str = PRIMARY_CAMPAIGN) -> str:
    return campaign_title_template(config, campaign).format(
        village=village, group=group, name=household_name, cbfbm=household_code
    )


BATCH = 5_000


def create_missing(connection: Connection, config: Config, campaign: str = PRIMARY_CAMPAIGN) -> int:
    """Give every household without one its 案卷 of the campaign, with three copies; returns how
    many. In a later campaign (延包) only the households that campaign has reached get one.

    Works through the households in batches (in code order), so a county-sized import
    creates its 100,000 files in bounded memory."""
    township = config.settings.township.code
    volume = connection.execute(select(func.coalesce(func.max(FILE.c.volume_no), 0))
                                .where(FILE.c.campaign == campaign)).scalar_one()
    taken: set[str] | None = None
    made = 0
    after = ""
    while True:
        query = (select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, HOUSEHOLD.c.name, ISSUER.c.name, ISSUER.c.village_name)
                 .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
                 .outerjoin(FILE, (FILE.c.household_id == HOUSEHOLD.c.id) & (FILE.c.campaign == campaign))
                 .where(FILE.c.id.is_(None), HOUSEHOLD.c.code.startswith(township), HOUSEHOLD.c.code > after))
        if campaign != PRIMARY_CAMPAIGN:
            query = query.join(CAMPAIGN_RECORD, (CAMPAIGN_RECORD.c.household_id == HOUSEHOLD.c.id)
                               & (CAMPAIGN_RECORD.c.campaign == campaign))
        else:  # a household new in a later campaign (新分户) has that campaign's file only
            query = query.where(HOUSEHOLD.c.id.not_in(
                select(CAMPAIGN_RECORD.c.household_id).where(CAMPAIGN_RECORD.c.new_household.is_(True))))
        rows = connection.execute(query.order_by(HOUSEHOLD.c.code).limit(BATCH)).all()
        if not rows:
            return made
        if taken is None:
            taken = set(connection.execute(select(FILE.c.archive_code)).scalars())
        volume = _create_files(connection, config, rows, volume, taken, campaign)
        made += len(rows)
        after = rows[-1][1]


def _create_files(connection: Connection, config: Config, rows: list, volume: int, taken: set[str],
                  campaign: str) -> int:
    """Files and copies for one batch of households; returns the last volume number used."""
    settings = config.settings
    template, title_template = settings.archive.archive_code_template, campaign_title_template(config, campaign)
    fields = template_fields(config, "", 0, campaign)
    volumes, numbers, titles = [], [], []
    for _household_id, code, name, issuer_name, village in rows:
        volume += 1
        fields["county"], fields["township"], fields["village"] = code[:6], code[6:9], code[9:12]
        fields["group"], fields["seq"], fields["volume"] = code[12:14], code[14:18], volume
        number = template.format_map(fields)
        if number in taken:
            raise ArchiveError(
                f"档号模板 archive.archive_code_template 为承包方 {code}（{campaign}）生成了已被占用的档号“{number}”；"
                "请在模板中加入 {year} 和 {volume}（或 {seq}），或给这一工作阶段另设年度"
            )
        taken.add(number)
        volumes.append(volume)
        numbers.append(number)
        titles.append(title_template.format(village=village, group=group_name(issuer_name, village), name=name,
                                            cbfbm=code))
    count = len(rows)
    insert_columns(connection, FILE, {
        "household_id": [row[0] for row in rows], "archive_code": numbers, "volume_no": volumes, "title": titles,
        "year": [campaign_year(config, campaign)] * count, "retention": [settings.archive.retention] * count,
        "campaign": [campaign] * count,
        "page_count": [0] * count, "status": [FileStatus.ASSEMBLING] * count,  # created_at: now, the column's default
    })
    file_ids = dict(connection.execute(
        select(FILE.c.household_id, FILE.c.id).where(FILE.c.volume_no >= volumes[0], FILE.c.campaign == campaign)
    ).all())
    copies: dict[str, list] = {name: [] for name in ("archive_file_id", "level", "holder", "keeper")}
    for household_id, _code, _name, _issuer, village in rows:
        for level in COPY_LEVELS:
            holder, keeper = {
                "village": (village or "村集体经济组织", settings.township.name),
                "township": (settings.township.name, ""),
                "county": (settings.county.agriculture_office, ""),
            }[level]
            for name, value in zip(copies, (file_ids[household_id], level, holder, keeper)):
                copies[name].append(value)
    blank = [""] * len(copies["level"])
    insert_columns(connection, COPY, {**copies, "building": blank, "room": blank, "cabinet": blank, "shelf": blank,
                                      "box": blank, "status": [FileStatus.ASSEMBLING] * len(blank)})
    return volume
