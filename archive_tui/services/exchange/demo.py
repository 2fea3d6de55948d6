"""A realistic synthetic township (演示数据), deterministic for a seed.

The demo writes the national NY/T 2539 tables and loads them through the real importer,
so demo data is exactly what an import would give. It then files each household's
documents, with a small share of the defects inspections found (missing ID numbers,
unsigned survey forms, parcels without a name, incomplete 四至).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, func, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import Config
from archive_tui.db import insert_rows, update_rows
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.services.households.catalogue import refresh
from archive_tui.services.exchange.importing import ImportReport, Progress, cyclic_gc_paused, import_tables
from archive_tui.services.exchange.nyt2539 import TABLES
from archive_tui.services.exchange.sources import read_csv_folder
from models import ArchiveFile, Document, Household
from models.validators import id_check_char

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "建国华明军伟芳秀英兰玉桂珍凤春海平红梅丽强磊洋勇杰涛超刚辉鹏飞志永福贵生庆德文学宝金山水林树清晓雪燕霞云婷静敏娟宇浩然子轩梓涵欣怡佳琪"
RARE = "堃喆䶮犇淼垚鑫昇旻玥"  # 生僻字 that printed forms must warn about when the font lacks them
VILLAGE_PARTS = ("东", "西", "南", "北", "前", "后", "上", "下", "大", "小", "新", "老", "中", "高", "马", "李", "王", "张",
                 "刘", "赵", "杨", "柳", "河", "沙", "石", "桥", "庙", "营", "屯", "堡", "岗", "湾", "店", "寨", "庄")
VILLAGE_ENDS = ("庄村", "营村", "屯村", "堡村", "店村", "寨村", "湾村", "岗村", "家村", "河村", "桥村", "集村")
GROUP_NAMES = ("第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九", "第十",
               "第十一", "第十二", "第十三", "第十四", "第十五", "第十六", "第十七", "第十八", "第十九", "第二十")
PARCEL_NAMES = ("东大块", "西大块", "南洼", "北岗", "河滩地", "坟前地", "井台地", "长条地", "三角地", "大渠边",
                "小渠边", "村东头", "村西头", "老场院", "窑坑地", "沙岗地", "柳树行", "枣树地", "庙后", "东坡")
BOUNDARIES = ("道路", "水渠", "生产路", "沟", "林带", "河堤", "村庄", "机耕路")
M2_PER_MU = 666.6667

HOUSEHOLDS_PER_GROUP = 45
GROUPS_PER_VILLAGE = 8


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def given(self, length: int | None = None) -> str:
        length = length or self.rng.choice((1, 2, 2, 2))
        pool = GIVEN if self.rng.random() > 0.01 else GIVEN + RARE * 3
        return "".join(self.rng.choice(pool) for _ in range(length))

    def person(self, surname: str | None = None) -> str:
        return (surname or self.rng.choice(SURNAMES)) + self.given()


def _id_number(rng: random.Random, county: str, born: dt.date, male: bool) -> str:
    sequence = rng.randrange(0, 999)
    if (sequence % 2 == 1) != male:
        sequence = (sequence + 1) % 1000
    first17 = f"{county}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def _birth(rng: random.Random, age: int) -> dt.date:
    return dt.date(2018 - age, rng.randint(1, 12), rng.randint(1, 28))


def village_names(count: int, rng: random.Random) -> list[str]:
    names, seen = [], set()
    while len(names) < count:
        name = "".join(rng.sample(VILLAGE_PARTS, 2 if len(seen) < 400 else 3)) + rng.choice(VILLAGE_ENDS)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


@dataclass
class DemoTable:
    columns: list[str]
    rows: list  # anything with append/extend: a list, or a CSV file being written


def generate_tables(config: Config, households: int, seed: int = 1) -> dict[str, DemoTable]:
    """The national tables for a synthetic township of ``households`` households, in memory."""
    tables = {name: DemoTable(TABLES[name].columns, []) for name in TABLES}
    _generate(config, households, seed, {name: table.rows for name, table in tables.items()})
    return tables


class _CsvRows:
    """A table's rows written to its CSV file as they are made (a county's demo never sits in memory)."""

    def __init__(self, handle):
        self.writer = csv.writer(handle)

    def append(self, row: list) -> None:
        self.writer.writerow([_text(value) for value in row])

    def extend(self, rows: list) -> None:
        for row in rows:
            self.append(row)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_demo_folder(config: Config, households: int, seed: int, folder: Path) -> Path:
    """The demo township's national tables as a folder of CSV files, written row by row."""
    with ExitStack() as files:
        sinks = {}
        for name in TABLES:
            handle = files.enter_context((folder / f"{name}.csv").open("w", encoding="utf-8", newline=""))
            sinks[name] = _CsvRows(handle)
            sinks[name].writer.writerow(TABLES[name].columns)
        _generate(config, households, seed, sinks)
    return folder


def _generate(config: Config, households: int, seed: int, rows: dict) -> None:
    rng = random.Random(seed)
    names = _Names(rng)
    settings = config.settings
    county, township = settings.county.code, settings.township.code
    term_start, term_end = settings.contract.term_start, settings.contract.term_end
    village_count = max(1, -(-households // (HOUSEHOLDS_PER_GROUP * GROUPS_PER_VILLAGE)))
    if village_count > 999:
        raise ArchiveError("演示户数过多：一个乡镇最多 999 个村")
    villages = village_names(village_count, rng)
    made = 0
    serial = 0
    for v_index, village in enumerate(villages, start=1):
        village_code = f"{township}{v_index:03d}"
        rows["FBF"].append([f"{village_code}00", village, names.person(), "1", "", "", f"{settings.township.name}{village}",
                            "", "", None, ""])
        for g_index in range(1, GROUPS_PER_VILLAGE + 1):
            if made >= households:
                break
            issuer = f"{village_code}{g_index:02d}"
            head_name = names.person()
            head_id = _id_number(rng, county, _birth(rng, rng.randint(35, 65)), True)
            rows["FBF"].append([issuer, f"{village}{GROUP_NAMES[g_index - 1]}村民小组", head_name, "1", head_id,
                                f"13{rng.randrange(10**8, 10**9)}", f"{settings.township.name}{village}",
                                "050800", names.person(), dt.date(2016, rng.randint(3, 11), rng.randint(1, 28)), ""])
            parcel_no = 0
            group_size = min(HOUSEHOLDS_PER_GROUP, households - made)
            for h_index in range(1, group_size + 1):
                made += 1
                serial += 1
                parcel_no = _household(rows, rng, names, config, issuer, h_index, serial, parcel_no,
                                       term_start, term_end)


def _household(rows, rng, names: _Names, config: Config, issuer: str, index: int, serial: int,
               parcel_no: int, term_start: dt.date, term_end: dt.date) -> int:
    settings = config.settings
    county = settings.county.code
    code = f"{issuer}{index:04d}"
    surname = rng.choice(SURNAMES)
    head_male = rng.random() < 0.85
    head_age = rng.randint(28, 80)
    head_name = names.person(surname) if head_male else names.person()
    head_id = _id_number(rng, county, _birth(rng, head_age), head_male)
    size = rng.choice((2, 3, 3, 4, 4, 4, 5, 5, 6))
    members = [[code, head_name, "1" if head_male else "2", "1", head_id, "02", "", "1", ""]]
    if size >= 2:
        spouse_male = not head_male
        members.append([code, names.person(), "1" if spouse_male else "2", "1",
                        _id_number(rng, county, _birth(rng, max(20, head_age + rng.randint(-5, 5))), spouse_male),
                        "10", "", "1", ""])
    for _ in range(size - len(members)):
        child_male = rng.random() < 0.5
        age = max(1, head_age - rng.randint(22, 32))
        remark = rng.choice(("", "", "", "7", "3")) if age >= 18 else ""
        members.append([code, names.person(surname), "1" if child_male else "2", "1",
                        _id_number(rng, county, _birth(rng, age), child_male),
                        "20" if child_male else "30", remark, "1", ""])
    _member_defects(rng, members)
    rows["CBF_JTCY"].extend(members)
    declared = len(members) + (1 if rng.random() < 0.003 else 0)  # a member count that does not match
    survey_date = dt.date(2016, rng.randint(4, 12), rng.randint(1, 28))
    address = f"{settings.township.name}{code[9:12]}村"
    rows["CBF"].append([code, "1", head_name, "1", members[0][4], address, "050800",
                        f"13{rng.randrange(10**8, 10**9)}", declared, survey_date, names.person(), "",
                        "公示无异议", names.person(), survey_date + dt.timedelta(days=20), names.person()])
    contract_code = f"{code}J"
    total_area = 0.0
    parcels = rng.randint(2, 8)
    for _ in range(parcels):
        parcel_no += 1
        parcel_code = f"{issuer}{parcel_no:05d}"
        area = round(rng.uniform(300, 4000), 2)
        total_area += area
        rows["CBDKXX"].append([parcel_code, issuer, code, "110", area, contract_code, "", contract_code,
                               area, round(area / M2_PER_MU, 2), round(area / M2_PER_MU, 2), "2"])
        sides = [f"{names.person()}地" if rng.random() < 0.6 else rng.choice(BOUNDARIES) for _ in range(4)]
        if rng.random() < 0.005:
            sides[rng.randrange(4)] = ""  # incomplete 四至
        name = rng.choice(PARCEL_NAMES) if rng.random() > 0.01 else ""  # parcel without a name
        rows["DK"].append([parcel_code, name, "10", *sides, "1" if rng.random() < 0.3 else "2"])
    total_area = round(total_area, 2)
    signed = dt.date(2017, rng.randint(1, 12), rng.randint(1, 28))
    rows["CBHT"].append([contract_code, "", issuer, code, "110", term_start, term_end, total_area, parcels,
                         signed, round(total_area / M2_PER_MU, 2), total_area, round(total_area / M2_PER_MU, 2)])
    new_serial = f"{county}{2018}{serial:06d}"
    old_serial = f"{county}2010{serial:06d}" if rng.random() < 0.9 else ""
    rows["CBJYQZDJB"].append([contract_code, issuer, code, "110", f"{term_start:%Y年%m月%d日}至{term_end:%Y年%m月%d日}",
                              term_start, term_end, f"地块示意图/{code}.jpg", old_serial, new_serial, "",
                              names.person(), signed + dt.timedelta(days=60)])
    collected = rng.random() < 0.92
    collected_on = signed + dt.timedelta(days=rng.randint(90, 300)) if collected else None
    rows["CBJYQZ"].append([contract_code, f"{settings.county.name}人民政府", signed + dt.timedelta(days=75),
                           "1" if collected else "2", collected_on, head_name if collected else "",
                           "1" if collected else "", members[0][4] if collected else ""])
    return parcel_no


def _member_defects(rng: random.Random, members: list[list[object]]) -> None:
    """A small share of the defects inspections found in member data."""
    roll = rng.random()
    victim = members[rng.randrange(len(members))]
    if roll < 0.012:
        victim[4] = ""  # missing ID number
    elif roll < 0.016:
        number = str(victim[4])
        victim[4] = number[:17] + ("0" if number[17] != "0" else "1")  # wrong check digit
    elif roll < 0.019:
        number = str(victim[4])
        victim[4] = number[:6] + number[8:14] + number[14:17]  # a 15-digit legacy number


def _documents(connection, config: Config, rng: random.Random) -> int:
    """Give each household's file the rest of its documents in the configured order (the import
    catalogued those the data dates) and the page ranges of a paper file (in batches); then
    date them and name who made them from the data, as an import does."""
    documents = config.settings.documents
    files_table, table = ArchiveFile.__table__, Document.__table__
    files = connection.execute(select(files_table.c.id).order_by(files_table.c.id)).scalars().all()
    made = 0
    for start in range(0, len(files), 5000):
        chunk = files[start:start + 5000]
        have = {(row.archive_file_id, row.doc_type): row.id for row in connection.execute(
            select(table.c.id, table.c.archive_file_id, table.c.doc_type)
            .where(table.c.archive_file_id.in_(chunk)))}
        rows, ranges, pages_by_file = [], [], []
        for file_id in chunk:
            page = 1
            for position, doc in enumerate(documents, start=1):
                if doc.code == "02" and rng.random() < 0.01:
                    continue  # ID copies missing from the file
                count = rng.choice((1, 1, 2, 2, 3, 4))
                signed = None
                if doc.signed:
                    signed = rng.random() > 0.01  # a survey or result form not signed by the household
                pages = {"page_start": page, "page_end": page + count - 1, "page_count": count,
                         "signed_by_household": signed}
                page += count
                if (file_id, doc.code) in have:
                    ranges.append({"_id": have[(file_id, doc.code)], **pages})
                    continue
                rows.append({"archive_file_id": file_id, "doc_type": doc.code, "position": position,
                             "title": doc.name, "doc_number": "", "responsible": "", "dated": None,
                             "signed_by_proxy": False, "remark": "", **pages})
            pages_by_file.append({"_id": file_id, "_pages": page - 1})
        insert_rows(connection, table, rows)
        update_rows(connection, table, ranges, ["page_start", "page_end", "page_count", "signed_by_household"])
        connection.execute(
            files_table.update().where(files_table.c.id == bindparam("_id")).values(page_count=bindparam("_pages")),
            pages_by_file,
        )
        made += len(rows) + len(ranges)
    refresh(connection, config)  # 日期, 文号, 责任者 from the data, as an import does
    return made


@use_case(Permission.WRITE, "生成演示数据")
def fill_demo(
    ctx: ArchiveContext,
    households: int = 300,
    seed: int = 1,
    progress: Progress | None = None,
) -> ImportReport:
    """Fill an empty database with a synthetic township (through the real importer)."""
    engine, config = ctx.engine, ctx.config
    if households < 1:
        raise ArchiveError("演示户数 --households 至少为 1")
    with tempfile.TemporaryDirectory(prefix="archive-tui-demo-") as tmp, cyclic_gc_paused(), \
            engine.begin() as connection:
        existing = connection.execute(select(func.count()).select_from(Household.__table__)).scalar_one()
        if existing:
            raise ArchiveError(f"数据库中已有{existing}户数据；演示数据只能填入空数据库（可另建文件夹运行 archive-tui init）")
        if progress:
            progress("生成演示数据", 0, 1)
        folder = write_demo_folder(config, households, seed, Path(tmp))
        source = read_csv_folder(folder)
        source.path, source.kind = Path(f"demo-{households}-seed{seed}"), "demo"
        report = import_tables(connection, config, source, skip_rejects=False, progress=progress)
        documents = _documents(connection, config, random.Random(seed + 1))
        audit.record(connection, operator=ctx.operator, action="demo", entity="township",
                     key=config.settings.township.code,
                     after={"households": households, "seed": seed, "documents": documents})
    return report
