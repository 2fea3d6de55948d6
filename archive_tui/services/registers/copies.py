"""Custody of the three copies (三份案卷的保管): where each copy is, who holds it, how it got
there — boxing (装盒), moves, lending (借阅) and per-copy completeness.

Every change writes one history entry per copy (copy_event: who, when, from → to, why) and
an audit record, in one transaction; history is never rewritten. A copy that is lent, in
transit or transferred cannot be boxed, moved or lent; the refusal names the copy.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, and_, case, func, or_, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import COPY_STATUS, FILE_STATUS_LABELS, FileStatus, PageStatus, check_transition, refusal
from archive_tui import audit
from archive_tui.services.households.archive_files import COPY_LEVELS, LEVEL_LABELS, location_text
from archive_tui.services.households.filters import village_filter
from models.tables import local_time
from archive_tui.db.tables import COPY, COPY_EVENT as EVENT, FILE, HOUSEHOLD, ISSUER, LOAN, SCAN


STATUS_LABELS = FILE_STATUS_LABELS
LEVEL_SHORT = {"village": "村", "township": "乡", "county": "县"}
LOCATION_PARTS = ("building", "room", "cabinet", "shelf")
ACTION_LABELS = {"box": "装盒", "move": "移动", "lend": "借出", "return": "归还", "tick": "清点", "transfer": "移交"}


def check_level(level: str | None) -> list[str]:
    if level is None:
        return list(COPY_LEVELS)
    if level not in COPY_LEVELS:
        raise ArchiveError(f"份别“{level}”无效：应为 village（村级）、township（乡镇级）或 county（县级）",
                           field="level")
    return [level]


def held_levels(config: Config, level: str | None = None) -> list[str]:
    """The copies to act on: ``level`` when given, else those this archive holds (``[copies]
    held_levels``; a township holds its own copy, not the village's or the county's)."""
    return check_level(level) if level is not None else list(config.settings.copies.held_levels)


def parse_location(text: str) -> dict[str, str]:
    """``楼/室/柜/层`` (any leading part may be given) → the four location fields."""
    parts = [part.strip() for part in text.replace("／", "/").split("/")]
    if not text.strip() or len(parts) > 4 or any(not part for part in parts):
        raise ArchiveError(f"位置“{text}”写法不对：应为 楼/室/柜/层，如 乡政府/档案室/3/2（可只写前几级）",
                           field="to")
    return dict(zip(LOCATION_PARTS, parts + [""] * (4 - len(parts))))


def copy_query():
    return (select(COPY, FILE.c.archive_code, FILE.c.title, FILE.c.year, FILE.c.retention, FILE.c.page_count,
                   FILE.c.campaign, HOUSEHOLD.c.code.label("cbfbm"), HOUSEHOLD.c.name.label("household"),
                   ISSUER.c.village_name, ISSUER.c.village_code, ISSUER.c.name.label("issuer_name"))
            .join(FILE, FILE.c.id == COPY.c.archive_file_id)
            .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
            .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id))


def _name(row) -> str:
    return f"档号 {row.archive_code}（{row.household}）的{LEVEL_LABELS[row.level]}一份"


def _check_free(connection: Connection, rows: list, action: str) -> None:
    """Refuse, naming each copy, when any may not be worked on where it is (the copies' table:
    lent, in transit or transferred)."""
    problems = []
    for row in rows:
        if not COPY_STATUS.allowed(row.status, row.status):
            detail = ""
            if row.status == FileStatus.LENT:
                loan = connection.execute(select(LOAN).where(LOAN.c.copy_id == row.id, LOAN.c.returned_on.is_(None))
                                          .order_by(LOAN.c.id.desc())).first()
                if loan is not None:
                    detail = f"（借给 {loan.borrower}，应于 {loan.due_on} 归还）"
            problems.append(_name(row) + refusal(COPY_STATUS, row.status, row.status, action=ACTION_LABELS[action],
                                                 detail=detail))
    if problems:
        if len(problems) == 1:
            raise ArchiveError(problems[0] + "；未作改动")
        raise ArchiveError(f"{len(problems)} 份不能{ACTION_LABELS[action]}，未作改动", details=problems)


def _state(row) -> dict:
    return {"holder": row.holder, "keeper": row.keeper, "location": location_text(row), "box": row.box,
            "status": row.status}


def change_copy(connection: Connection, ctx: ArchiveContext, row, action: str, values: dict, reason: str = "") -> None:
    """Apply ``values`` to one copy with its history entry (before → after) and its audit event
    under the household's key, the copy's level in the event (every custody act: move, box,
    lend, return, tick, transfer). A new status must be one the copies' table allows."""
    if "status" in values and values["status"] != row.status:
        check_transition(COPY_STATUS, row.status, values["status"], subject=_name(row),
                         action=ACTION_LABELS.get(action, action))
    before = _state(row)
    connection.execute(COPY.update().where(COPY.c.id == row.id).values(**values))
    after = dict(before)
    for key, value in values.items():
        if key in LOCATION_PARTS:
            continue
        if key in after:
            after[key] = value
    if any(key in values for key in LOCATION_PARTS):
        after["location"] = "/".join(values.get(part, getattr(row, part)) for part in LOCATION_PARTS
                                     if values.get(part, getattr(row, part)))
    connection.execute(EVENT.insert().values(
        copy_id=row.id, action=action, before=json.dumps(before, ensure_ascii=False),
        after=json.dumps(after, ensure_ascii=False), reason=reason, operator=ctx.operator))
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    if "present_docs" in values:
        changed["present_docs"] = json.loads(values["present_docs"])
    audit.record(connection, operator=ctx.operator, action=f"copies.{action}", entity="file_copy", key=row.cbfbm,
                 before={key: before[key] for key in changed if key in before},
                 after={"level": row.level, "archive_code": row.archive_code, **changed,
                        **({"reason": reason} if reason else {})})


def _household_named(*codes: str):
    """The copies of the files these 承包方编码 name: the households' 确权 files (a later campaign's
    file, 延包 …, is named by its own 档号)."""
    return and_(HOUSEHOLD.c.code.in_(codes), FILE.c.campaign == PRIMARY_CAMPAIGN)


def _rows_for(connection: Connection, keys: list[str], levels: list[str]) -> list:
    """The copies named by CBFBM, 档号 or box number, at the given levels; unknown keys refused."""
    rows, unknown = [], []
    for key in dict.fromkeys(k.strip() for k in keys):
        found = connection.execute(copy_query().where(
            or_(_household_named(key), FILE.c.archive_code == key, COPY.c.box == key),
            COPY.c.level.in_(levels)).order_by(FILE.c.archive_code, COPY.c.level)).all()
        if not found:
            unknown.append(key)
        rows.extend(found)
    if unknown:
        raise ArchiveError(f"找不到承包方编码、档号或盒号为“{'、'.join(unknown)}”的案卷（份别：{'、'.join(levels)}）")
    return list({row.id: row for row in rows}.values())


# ---- listing -----------------------------------------------------------------------------------

def list_copies(engine: Engine, *, level: str | None = None, holder: str | None = None, status: str | None = None,
                box: str | None = None, village: str | None = None, location: str | None = None,
                limit: int | None = None) -> list[dict]:
    """Copies in 档号 order with the CLI's keys (plus title, village, box position)."""
    query = copy_query().where(COPY.c.level.in_(check_level(level))).order_by(FILE.c.archive_code, COPY.c.level)
    if status:
        if status not in STATUS_LABELS:
            raise ArchiveError(f"状态“{status}”无效：应为 {'、'.join(STATUS_LABELS)}")
        query = query.where(COPY.c.status == status)
    if holder:
        query = query.where(COPY.c.holder == holder.strip())
    if box:
        query = query.where(COPY.c.box == box.strip())
    if village:
        query = query.where(village_filter(village))
    if location:
        for part, value in parse_location(location).items():
            if value:
                query = query.where(COPY.c[part] == value)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [_copy_dict(row) for row in connection.execute(query)]


def _copy_dict(row) -> dict:
    return {"archive_code": row.archive_code, "cbfbm": row.cbfbm, "level": row.level, "holder": row.holder,
            "keeper": row.keeper, "location": location_text(row), "box": row.box, "status": row.status,
            "title": row.title, "year": row.year, "retention": row.retention, "pages": row.page_count,
            "name": row.household, "village": row.village_name,
            "present_docs": json.loads(row.present_docs) if row.present_docs else None}


def storage_summary(engine: Engine, level: str | None = None, *, levels: list[str] | None = None) -> list[dict]:
    """库房: per location and box, how many copies it holds and their 档号 range (of ``level``, or
    of ``levels`` — the app shows those this archive holds —, else of all three)."""
    location = [COPY.c.building, COPY.c.room, COPY.c.cabinet, COPY.c.shelf, COPY.c.box]
    query = (select(*location, COPY.c.level, func.count(), func.min(FILE.c.archive_code),
                    func.max(FILE.c.archive_code))
             .join(FILE, FILE.c.id == COPY.c.archive_file_id)
             .where(COPY.c.level.in_(levels if levels is not None and level is None else check_level(level)),
                    COPY.c.status.not_in((FileStatus.TRANSFERRED,)))
             .group_by(*location, COPY.c.level).order_by(*location, COPY.c.level))
    with engine.connect() as connection:
        return [{"location": "/".join(p for p in row[:4] if p) or "（未登记位置）", "box": row[4],
                 "level": row[5], "copies": row[6], "first": row[7], "last": row[8], "parts": tuple(row[:4])}
                for row in connection.execute(query)]


def place_contents(engine: Engine, *, level: str, parts: tuple[str, str, str, str], box: str,
                   limit: int | None = None) -> list[dict]:
    """The copies of one 库房 place (a ``storage_summary`` row: its level, its four location
    parts and its box, "" for none) in 档号 order, without those transferred."""
    query = (copy_query().where(COPY.c.level.in_(check_level(level)), COPY.c.box == box,
                                COPY.c.status.not_in((FileStatus.TRANSFERRED,)),
                                *(COPY.c[part] == value for part, value in zip(LOCATION_PARTS, parts)))
             .order_by(FILE.c.archive_code))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [_copy_dict(row) for row in connection.execute(query)]


def known_places(engine: Engine, config: Config) -> tuple[list[str], list[str]]:
    """The places (楼/室/柜/层) copies already lie in and the holders (保管单位) known here,
    for the move form's pickers: what was typed once is chosen afterwards."""
    places = select(COPY.c.building, COPY.c.room, COPY.c.cabinet, COPY.c.shelf).distinct()
    with engine.connect() as connection:
        locations = sorted({"/".join(p for p in row if p) for row in connection.execute(places)} - {""})
        holders = set(connection.execute(select(COPY.c.holder).distinct()).scalars()) - {""}
    settings = config.settings
    holders |= {settings.township_full_name, settings.county.archive_name, settings.county.agriculture_office}
    return locations, sorted(holders)


def history(engine: Engine, key: str, level: str) -> list[dict]:
    with engine.connect() as connection:
        [row] = _rows_for(connection, [key], check_level(level))
        events = connection.execute(select(EVENT).where(EVENT.c.copy_id == row.id).order_by(EVENT.c.id)).all()
    return [{"action": e.action, "before": json.loads(e.before), "after": json.loads(e.after), "reason": e.reason,
             "operator": e.operator, "at": local_time(e.recorded_at).isoformat(timespec="seconds")
             if e.recorded_at else None} for e in events]


# ---- moves -------------------------------------------------------------------------------------

@use_case(Permission.WRITE, "移库")
def move(ctx: ArchiveContext, keys: list[str], to: str, *, level: str | None = None,
         holder: str | None = None, keeper: str | None = None, box: str | None = None, reason: str = "") -> int:
    """Move copies (by CBFBM, 档号 or box number; all three levels unless one is given) to a new
    location and/or holder, one history entry per copy. A copy moved on its own leaves its
    box unless ``box`` is given; a whole box moves with its number."""
    engine = ctx.engine
    if not keys:
        raise ArchiveError("请给出要移动的案卷（承包方编码、档号或盒号）")
    place = parse_location(to) if to else {}
    if not place and holder is None and keeper is None:
        raise ArchiveError("请给出新位置（--to）或新的保管单位（--holder）")
    with engine.begin() as connection:
        rows = _rows_for(connection, keys, check_level(level))
        _check_free(connection, rows, "move")
        whole_boxes = {key.strip() for key in keys}
        for row in rows:
            values = dict(place)
            if holder is not None:
                values["holder"] = holder.strip()
            if keeper is not None:
                values["keeper"] = keeper.strip()
            if box is not None:
                values["box"] = box.strip()
            elif place and row.box and row.box not in whole_boxes:
                values["box"] = ""
            change_copy(connection, ctx, row, "move", values, reason.strip())
    return len(rows)


# ---- boxing ------------------------------------------------------------------------------------

@dataclass
class LevelBoxing:
    """What boxing does to one level's copies of the village: planned, or done."""

    level: str
    files: int = 0
    boxes: list[str] = field(default_factory=list)  # in order, each once
    newly: int = 0  # copies put into a box for the first time
    reboxed: int = 0  # copies whose box number changes
    filed: int = 0  # copies being assembled (整理中) that become filed (已归档)
    changed: int = 0  # copies with any change (each gets a history entry)


@dataclass
class BoxingPlan:
    """装盒 before it is done: the village as named in the data, and per level what happens."""

    village: str
    capacity: int | None
    pages: int | None
    group: str | None = None
    levels: list[LevelBoxing] = field(default_factory=list)

    @property
    def files(self) -> int:
        return sum(part.files for part in self.levels)


@dataclass
class BoxingResult:
    boxes: list[str]
    copies: int
    changed: int
    plan: BoxingPlan | None = None  # per level what was done


def box_number(config: Config, row, box: int) -> str:
    archive = config.settings.archive
    return config.settings.copies.box_template.format(
        fonds=archive.fonds_code, year=row.year or archive.year, retention=config.retention_code,
        village=row.village_name or "", village_code=(row.village_code or "")[-3:], level=LEVEL_SHORT[row.level],
        box=box)


def _boxing(connection: Connection, config: Config, *, village: str, capacity: int | None, pages: int | None,
            levels: list[str], group: str | None, keys: list[str] | None, start: int) -> tuple[BoxingPlan, list]:
    """The boxing of the village's copies at ``levels``: the plan and each copy's change (row, values).
    Refused, naming the copy, when any of them may not be boxed (lent, in transit, transferred)."""
    if (capacity is None) == (pages is None):
        raise ArchiveError("请给出每盒的卷数或每盒的页数，二者选一（命令行：--capacity 或 --pages）",
                           field="capacity")
    if (capacity or pages or 0) < 1:
        raise ArchiveError("每盒的卷数或页数应为正整数", field="capacity" if capacity is not None else "pages")
    if not village.strip():
        raise ArchiveError("请给出要装盒的村（村名或村代码）", field="village")
    scanned = (select(func.count()).where(SCAN.c.archive_file_id == FILE.c.id, SCAN.c.status == PageStatus.LINKED)
               .scalar_subquery())
    plan, changes = BoxingPlan(village.strip(), capacity, pages, group), []
    for one_level in levels:
        first = case((FILE.c.campaign == PRIMARY_CAMPAIGN, 0), else_=1)  # 确权 files, then each later campaign's
        query = (copy_query().add_columns(scanned.label("scanned")).where(
            COPY.c.level == one_level, village_filter(village)).order_by(first, FILE.c.campaign, FILE.c.archive_code))
        if group:
            query = query.where(or_(ISSUER.c.name.endswith(group.strip()), ISSUER.c.group_code == group.strip()))
        if keys:
            query = query.where(or_(_household_named(*keys), FILE.c.archive_code.in_(keys)))
        rows = connection.execute(query).all()
        if not rows:
            raise ArchiveError(f"村“{village}”{('组“' + group + '”') if group else ''}没有可装盒的案卷"
                               f"（{LEVEL_LABELS[one_level]}）", field="village")
        _check_free(connection, rows, "box")
        plan.village = rows[0].village_name or plan.village
        part = LevelBoxing(one_level)
        number, filled, campaign = start, 0, rows[0].campaign
        for row in rows:
            size = 1 if capacity else max(1, row.page_count or row.scanned or 1)
            limit = capacity or pages
            if filled and (filled + size > limit or row.campaign != campaign):  # a box holds one campaign's files
                number, filled = number + 1, 0
            campaign = row.campaign
            filled += size
            label = box_number(config, row, number)
            if not part.boxes or part.boxes[-1] != label:
                part.boxes.append(label)
            values = {"box": label}
            if row.status == FileStatus.ASSEMBLING:
                values["status"] = FileStatus.FILED
                part.filed += 1
            if label != row.box:
                if row.box:
                    part.reboxed += 1
                else:
                    part.newly += 1
            if label != row.box or row.status == FileStatus.ASSEMBLING:
                changes.append((row, values))
                part.changed += 1
            part.files += 1
        plan.levels.append(part)
    return plan, changes


def plan_boxing(engine: Engine, config: Config, *, village: str, capacity: int | None = None,
                pages: int | None = None, level: str | None = None, group: str | None = None,
                keys: list[str] | None = None, start: int = 1) -> BoxingPlan:
    """What ``box_files`` would do, changing nothing (for the app to say before it asks to go ahead);
    refused as ``box_files`` would be."""
    with engine.connect() as connection:
        plan, _changes = _boxing(connection, config, village=village, capacity=capacity, pages=pages,
                                 levels=held_levels(config, level), group=group, keys=keys, start=start)
    return plan


@use_case(Permission.WRITE, "装盒")
def box_files(ctx: ArchiveContext, *, village: str, capacity: int | None = None,
              pages: int | None = None, level: str | None = None, group: str | None = None,
              keys: list[str] | None = None, start: int = 1) -> BoxingResult:
    """装盒: the village's (or group's, or the chosen) files in 档号 order into consecutive boxes of
    ``capacity`` files or about ``pages`` pages each, per level — ``level``, else the levels this
    archive holds (``[copies] held_levels``). Re-boxing renumbers and keeps the history; copies
    being assembled become filed."""
    engine, config = ctx.engine, ctx.config
    levels = held_levels(config, level)
    with engine.begin() as connection:
        plan, changes = _boxing(connection, config, village=village, capacity=capacity, pages=pages,
                                levels=levels, group=group, keys=keys, start=start)
        for row, values in changes:
            change_copy(connection, ctx, row, "box", values)
        audit.record(connection, operator=ctx.operator, action="copies.box", entity="file_copy", key=village,
                     after={"boxes": sum(len(part.boxes) for part in plan.levels), "copies": plan.files,
                            "capacity": capacity, "pages": pages, "level": levels})
    return BoxingResult([box for part in plan.levels for box in part.boxes], plan.files, len(changes), plan)


# ---- lending -----------------------------------------------------------------------------------

@use_case(Permission.WRITE, "借出案卷")
def lend(ctx: ArchiveContext, key: str, level: str, borrower: str, until: dt.date, *,
         purpose: str = "", on: dt.date | None = None) -> None:
    """借出 one copy; it cannot be boxed, moved, lent or transferred until it is back."""
    engine = ctx.engine
    on = on or dt.date.today()
    if not borrower.strip():
        raise ArchiveError("请填写借阅人（--to）", field="to")
    if on > dt.date.today():
        raise ArchiveError(f"借出日期 {on} 还没到：只能登记已经借出的案卷", field="date")
    if until < on:
        raise ArchiveError(f"归还日期 {until} 早于借出日期 {on}", field="until")
    with engine.begin() as connection:
        [row] = _rows_for(connection, [key], check_level(level))
        _check_free(connection, [row], "lend")
        connection.execute(LOAN.insert().values(copy_id=row.id, borrower=borrower.strip(), purpose=purpose.strip(),
                                                lent_on=on, due_on=until, status_before=row.status,
                                                operator=ctx.operator))
        change_copy(connection, ctx, row, "lend", {"status": FileStatus.LENT},
                f"借给 {borrower.strip()}，{purpose.strip() or '借阅'}，应于 {until} 归还")


@use_case(Permission.WRITE, "归还案卷")
def give_back(ctx: ArchiveContext, key: str, level: str, on: dt.date | None = None) -> None:
    """归还: the lent copy is back, in the state it had before."""
    engine = ctx.engine
    on = on or dt.date.today()
    with engine.begin() as connection:
        [row] = _rows_for(connection, [key], check_level(level))
        loan = connection.execute(select(LOAN).where(LOAN.c.copy_id == row.id, LOAN.c.returned_on.is_(None))).first()
        if row.status != FileStatus.LENT or loan is None:
            raise ArchiveError(f"{_name(row)}没有借出，无需归还")
        if on > dt.date.today() or on < loan.lent_on:
            raise ArchiveError(f"归还日期 {on} 不对：应在借出日期 {loan.lent_on} 和今天之间", field="date")
        connection.execute(LOAN.update().where(LOAN.c.id == loan.id).values(returned_on=on))
        late = f"，逾期 {(on - loan.due_on).days} 天" if on > loan.due_on else ""
        change_copy(connection, ctx, row, "return", {"status": loan.status_before}, f"{loan.borrower} 归还{late}")


def loans(engine: Engine, *, overdue_on: dt.date | None = None, open_only: bool = True,
          levels: list[str] | None = None) -> list[dict]:
    """Loans (open ones by default); with ``overdue_on`` only those due before that day; with
    ``levels`` only those of these copies."""
    query = (select(LOAN, FILE.c.archive_code, COPY.c.level, HOUSEHOLD.c.name)
             .join(COPY, COPY.c.id == LOAN.c.copy_id).join(FILE, FILE.c.id == COPY.c.archive_file_id)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id).order_by(LOAN.c.due_on, FILE.c.archive_code))
    if open_only:
        query = query.where(LOAN.c.returned_on.is_(None))
    if overdue_on is not None:
        query = query.where(LOAN.c.due_on < overdue_on)
    if levels is not None:
        query = query.where(COPY.c.level.in_(levels))
    with engine.connect() as connection:
        return [{"archive_code": row.archive_code, "level": row.level, "name": row.name, "borrower": row.borrower,
                 "purpose": row.purpose, "lent_on": row.lent_on.isoformat(), "due_on": row.due_on.isoformat(),
                 "returned_on": row.returned_on.isoformat() if row.returned_on else None}
                for row in connection.execute(query)]


# ---- completeness ------------------------------------------------------------------------------

@use_case(Permission.WRITE, "清点")
def tick(ctx: ArchiveContext, key: str, level: str, present: list[str]) -> list[str]:
    """清点: record which documents are physically in this copy (of its file's campaign's list:
    确权's 01 …, 延包's Y01 …); returns the required ones missing."""
    engine, config = ctx.engine, ctx.config
    with engine.begin() as connection:
        [row] = _rows_for(connection, [key], check_level(level))
        documents = config.settings.documents_of(row.campaign)
        codes = [doc.code for doc in documents]
        wrong = [code for code in present if code not in codes]
        if wrong:
            raise ArchiveError(f"文件类型代码“{'、'.join(wrong)}”不在 config.toml 的卷内文件清单中"
                               f"（{_campaign_of(row)}可用：{'、'.join(codes)}）")
        present = [code for code in codes if code in present]  # in the file's order, once each
        change_copy(connection, ctx, row, "tick", {"present_docs": json.dumps(present)})
    return [doc.name for doc in documents if doc.required and doc.code not in present]


def _campaign_of(row) -> str:
    """The copy's file's campaign as the refusal names it ("" for 确权, whose list is the one known)."""
    return "" if row.campaign == PRIMARY_CAMPAIGN else f"{row.campaign}案卷"


def copy_differences(copies: list[dict], config: Config, campaign: str = PRIMARY_CAMPAIGN) -> dict[str, list[str]]:
    """Per level: the required documents a checked copy of a file of ``campaign`` lacks (unchecked
    copies are left out)."""
    required = [(doc.code, doc.name) for doc in config.settings.documents_of(campaign) if doc.required]
    return {copy["level"]: [name for code, name in required if code not in copy["present_docs"]]
            for copy in copies if copy["present_docs"] is not None}


def shelf_rows(engine: Engine, *, village: str | None = None, level: str = "township",
               location: str | None = None) -> list[dict]:
    """案卷目录 rows: 档号, 案卷题名, year, retention, pages, box — in 档号 order."""
    rows = list_copies(engine, level=level, village=village, location=location)
    if not rows:
        raise ArchiveError("没有符合条件的案卷")
    return rows
