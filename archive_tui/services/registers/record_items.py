"""综合档案 (按件整理, DA/T 22-2015): the township's own records of the registration campaign —
implementation plans, notices, minutes, training material, publicity photos, summaries,
acceptance reports, the 汇交 data package — registered item by item.

Each item gets a 件号 (per year and retention) and a 档号 from ``[items] code_template``; its
retention and carrier default from its type (``[[item_types]]``). Items are boxed, moved,
lent (a use of kind 借出 in the use register) and transferred like household files; every
custody act is one history entry (item_event) plus an audit record. A wrong entry is never
deleted: it is withdrawn (作废) with a reason and keeps its number.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, case, func, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import CARRIERS, RETENTION_CODES, Config, ItemType
from archive_tui.db import serialize_writers
from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import ITEM_STATUS, ITEM_STATUS_LABELS, ItemStatus, PageStatus, refusal
from archive_tui.services.registers.copies import parse_location
from archive_tui.services.registers.item_events import ACTION_LABELS, _event, _jsonable, _name, change_item
from archive_tui.services.registers.use_register import USE, NewUse, _add_use, check_use, close_use
from models import RecordItem
from models.tables import local_time
from archive_tui.db.tables import ITEM_EVENT as EVENT, RECORD_ITEM as ITEM, SCAN
from archive_tui.services.printed import PrintResult, glyph_warnings

if TYPE_CHECKING:
    from archive_tui.services.printed import PrintResult


STATUS_LABELS = ITEM_STATUS_LABELS
RETENTION_ORDER = case({"永久": 0, "30年": 1, "10年": 2}, value=RecordItem.__table__.c.retention, else_=3)
EDITABLE = {"title": "题名", "responsible": "责任者", "doc_number": "文号", "dated": "日期", "pages": "页数",
            "remark": "备注", "carrier": "载体"}


@dataclass
class NewItem:
    """One item as the archivist registers it; empty retention/carrier: the type's defaults."""

    item_type: str
    title: str
    dated: dt.date | None = None
    year: int | None = None  # 年度; default: the date's year
    responsible: str = ""
    doc_number: str = ""
    pages: int = 0
    retention: str = ""
    carrier: str = ""
    remark: str = ""


def item_type(config: Config, code: str) -> ItemType:
    for kind in config.settings.item_types:
        if kind.code == code.strip():
            return kind
    known = "、".join(f"{kind.code} {kind.name}" for kind in config.settings.item_types)
    raise ArchiveError(f"综合档案类别“{code}”不存在；可用：{known}", field="item_type")


def _check_carrier(carrier: str) -> None:
    if carrier not in CARRIERS:
        raise ArchiveError(f"载体“{carrier}”无效：应为 " + "、".join(f"{k}（{v}）" for k, v in CARRIERS.items()),
                           field="carrier")


def _check_date(dated: dt.date | None, year: int) -> None:
    if dated is not None and dated > dt.date.today():
        raise ArchiveError(f"日期 {dated.isoformat()} 晚于今天", field="dated")
    if not 1949 <= year <= dt.date.today().year:
        raise ArchiveError(f"年度 {year} 不对：应在 1949 到今年之间", field="year")
    if dated is not None and dated.year != year:
        raise ArchiveError(f"日期 {dated.isoformat()} 不在年度 {year} 内：按件归档以文件形成的年度为准", field="dated")


def _validated(config: Config, item: NewItem) -> dict:
    kind = item_type(config, item.item_type)
    if not item.title.strip():
        raise ArchiveError("请填写题名", field="title")
    retention = item.retention.strip() or kind.retention
    if retention not in RETENTION_CODES:
        raise ArchiveError(f"保管期限“{retention}”无效：应为 永久、30年 或 10年", field="retention")
    carrier = item.carrier.strip() or kind.carrier
    _check_carrier(carrier)
    if item.pages < 0:
        raise ArchiveError("页数不能为负数", field="pages")
    year = item.year or (item.dated.year if item.dated else 0)
    if not year:
        raise ArchiveError("请填写日期或年度", field="dated")
    _check_date(item.dated, year)
    return {"item_type": kind.code, "title": item.title.strip(), "dated": item.dated, "year": year,
            "responsible": item.responsible.strip(), "doc_number": item.doc_number.strip(), "pages": item.pages,
            "retention": retention, "carrier": carrier, "remark": item.remark.strip()}


def item_code(config: Config, year: int, retention: str, piece: int) -> str:
    settings = config.settings
    return settings.items.code_template.format(
        fonds=settings.archive.fonds_code, category=settings.items.category_code, year=year,
        retention=RETENTION_CODES[retention], piece=piece)


@use_case(Permission.WRITE, "登记综合档案")
def add_item(ctx: ArchiveContext, item: NewItem) -> str:
    """Register one item; returns its 档号 (the next 件号 of its year and retention)."""
    engine, config = ctx.engine, ctx.config
    values = _validated(config, item)
    with engine.begin() as connection:
        serialize_writers(connection, ITEM)
        fonds = config.settings.archive.fonds_code
        taken = connection.execute(select(func.max(ITEM.c.piece_no)).where(
            ITEM.c.fonds_code == fonds, ITEM.c.year == values["year"], ITEM.c.retention == values["retention"])
        ).scalar()
        piece = (taken or 0) + 1
        code = item_code(config, values["year"], values["retention"], piece)
        if connection.execute(select(ITEM.c.id).where(ITEM.c.archive_code == code)).first() is not None:
            raise ArchiveError(f"档号 {code} 已被占用：请检查 [items] code_template 是否含 {{year}}、"
                               "{retention} 和 {piece}")
        item_id = connection.execute(ITEM.insert().values(
            archive_code=code, fonds_code=fonds, piece_no=piece, status=ItemStatus.FILED, box="", location="",
            operator=ctx.operator,
            **values)).inserted_primary_key[0]
        _event(connection, ctx, item_id, code, "add", {}, _jsonable(values))
    return code


def find_item(connection: Connection, code: str):
    row = connection.execute(select(ITEM).where(ITEM.c.archive_code == code.strip())).first()
    if row is None:
        raise ArchiveError(f"找不到档号为“{code.strip()}”的综合档案；可用 archive-tui items list 查看")
    return row


def is_item_code(connection: Connection, code: str) -> bool:
    return connection.execute(select(ITEM.c.id).where(ITEM.c.archive_code == code.strip())).first() is not None


def _free(row, action: str) -> None:
    """Refuse work on an item out of reach (the items' table: lent, sent, transferred, withdrawn)."""
    reason = refusal(ITEM_STATUS, row.status, row.status, action=ACTION_LABELS[action])
    if reason:
        raise ArchiveError(f"{_name(row)}{reason}；未作改动")


@use_case(Permission.WRITE, "修改综合档案")
def edit_item(ctx: ArchiveContext, code: str, changes: dict, reason: str) -> None:
    """更正: fix a mistyped field; the old value stays in the history. 档号 and 件号 never change."""
    engine, config = ctx.engine, ctx.config
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ArchiveError(f"不能更正的项：{'、'.join(unknown)}；可更正：{'、'.join(EDITABLE.values())}")
    if not reason.strip():
        raise ArchiveError("更正须写明原因", field="reason")
    with engine.begin() as connection:
        row = find_item(connection, code)
        _free(row, "edit")
        merged = NewItem(row.item_type, changes.get("title", row.title), changes.get("dated", row.dated), row.year,
                         changes.get("responsible", row.responsible), changes.get("doc_number", row.doc_number),
                         changes.get("pages", row.pages), row.retention, changes.get("carrier", row.carrier),
                         changes.get("remark", row.remark))
        values = _validated(config, merged)
        changed = {key: values[key] for key in changes if values[key] != getattr(row, key)}
        if not changed:
            raise ArchiveError("没有要更正的内容：新值与原值相同")
        change_item(connection, ctx, row, "edit", changed, reason.strip())


@use_case(Permission.WRITE, "撤销综合档案")
def withdraw_item(ctx: ArchiveContext, code: str, reason: str) -> None:
    """作废: an item registered by mistake keeps its number, marked withdrawn with the reason."""
    engine = ctx.engine
    if not reason.strip():
        raise ArchiveError("作废须写明原因", field="reason")
    with engine.begin() as connection:
        row = find_item(connection, code)
        _free(row, "withdraw")
        change_item(connection, ctx, row, "withdraw", {"status": ItemStatus.WITHDRAWN}, reason.strip())


# ---- custody ---------------------------------------------------------------------------------------

@dataclass
class ItemBoxing:
    boxes: dict[str, int] = field(default_factory=dict)  # 盒号 → items put in


@use_case(Permission.WRITE, "综合档案装盒")
def box_items(ctx: ArchiveContext, *, year: int | None = None, capacity: int | None = None) -> ItemBoxing:
    """装盒: items not yet boxed, in 件号 order per year and retention, go into boxes of
    ``capacity`` — the last box of that year and retention first, while it has room."""
    engine, config = ctx.engine, ctx.config
    capacity = capacity or config.settings.items.box_capacity
    if capacity < 1:
        raise ArchiveError("每盒件数应为正整数", field="capacity")
    result = ItemBoxing()
    template = config.settings.items.box_template
    with engine.begin() as connection:
        fonds = config.settings.archive.fonds_code  # received items came boxed by their township
        query = select(ITEM).where(ITEM.c.box == "", ITEM.c.status == ItemStatus.FILED, ITEM.c.fonds_code == fonds)
        if year:
            query = query.where(ITEM.c.year == year)
        rows = connection.execute(query.order_by(ITEM.c.year, RETENTION_ORDER, ITEM.c.piece_no)).all()
        if not rows:
            raise ArchiveError("没有待装盒的综合档案" + (f"（{year} 年度）" if year else ""))
        groups: dict[tuple[int, str], list] = {}
        for row in rows:
            groups.setdefault((row.year, row.retention), []).append(row)
        for (group_year, retention), members in groups.items():
            boxed = dict(connection.execute(
                select(ITEM.c.box, func.count()).where(ITEM.c.fonds_code == fonds, ITEM.c.year == group_year,
                                                       ITEM.c.retention == retention, ITEM.c.box != "")
                .group_by(ITEM.c.box)).all())
            number = len(boxed)
            last = template.format(year=group_year, retention=RETENTION_CODES[retention], box=number) if number else ""
            room = capacity - boxed.get(last, capacity)
            for row in members:
                if room <= 0:
                    number += 1
                    last, room = template.format(year=group_year, retention=RETENTION_CODES[retention],
                                                 box=number), capacity
                change_item(connection, ctx, row, "box", {"box": last})
                result.boxes[last] = result.boxes.get(last, 0) + 1
                room -= 1
    return result


@use_case(Permission.WRITE, "综合档案移库")
def move_items(ctx: ArchiveContext, codes: list[str], to: str, reason: str = "") -> int:
    """移动: items (by 档号 or 盒号) to a place 楼/室/柜/层."""
    engine = ctx.engine
    place = "/".join(part for part in parse_location(to).values() if part)
    with engine.begin() as connection:
        rows = _rows_for(connection, codes)
        for row in rows:
            _free(row, "move")
        for row in rows:
            change_item(connection, ctx, row, "move", {"location": place}, reason.strip())
    return len(rows)


def _rows_for(connection: Connection, codes: list[str]) -> list:
    rows, unknown = {}, []
    for code in dict.fromkeys(code.strip() for code in codes):
        found = connection.execute(select(ITEM).where((ITEM.c.archive_code == code) | (ITEM.c.box == code))
                                   .order_by(ITEM.c.archive_code)).all()
        if not found:
            unknown.append(code)
        rows.update({row.id: row for row in found})
    if unknown or not rows:
        raise ArchiveError(f"找不到档号或盒号为“{'、'.join(unknown)}”的综合档案")
    return list(rows.values())


@use_case(Permission.WRITE, "借出综合档案")
def lend_item(ctx: ArchiveContext, code: str, *, person: str, purpose: str, on: dt.date,
              unit: str = "", approved_by: str = "") -> str:
    """借出: the item leaves the archive room; registered as a use (kind 借出). Returns its number."""
    engine = ctx.engine
    use = NewUse(code, "lend", person, on, unit, purpose, approved_by)
    check_use(use)
    with engine.begin() as connection:
        row = find_item(connection, code)
        _free(row, "lend")
        number = _add_use(connection, ctx, use)
        change_item(connection, ctx, row, "lend", {"status": ItemStatus.LENT}, f"{number}：{person.strip()}")
    return number


@use_case(Permission.WRITE, "归还综合档案")
def return_item(ctx: ArchiveContext, code: str, on: dt.date) -> str:
    """归还: the lent item is back; closes its use entry. Returns the use's number."""
    engine = ctx.engine
    with engine.begin() as connection:
        row = find_item(connection, code)
        if row.status != ItemStatus.LENT:
            raise ArchiveError(f"{row.archive_code} 未借出（{STATUS_LABELS.get(row.status, row.status)}），无须归还")
        use = connection.execute(select(USE).where(USE.c.record_item_id == row.id, USE.c.kind == "lend",
                                                   USE.c.returned_on.is_(None)).order_by(USE.c.id.desc())).first()
        if use is not None:
            close_use(connection, ctx, use, on)
        change_item(connection, ctx, row, "return", {"status": ItemStatus.FILED}, use.number if use is not None else "")
    return use.number if use is not None else ""


# ---- listing -----------------------------------------------------------------------------------

def _pages(connection: Connection, ids: list[int]) -> dict[int, int]:
    return dict(connection.execute(select(SCAN.c.record_item_id, func.count()).where(
        SCAN.c.record_item_id.in_(ids), SCAN.c.status == PageStatus.LINKED).group_by(SCAN.c.record_item_id)).all())


def item_dict(row, config: Config, scanned: int = 0) -> dict:
    names = {kind.code: kind.name for kind in config.settings.item_types}
    return {"archive_code": row.archive_code, "fonds": row.fonds_code, "piece": row.piece_no, "year": row.year,
            "retention": row.retention,
            "type": row.item_type, "type_name": names.get(row.item_type, row.item_type), "title": row.title,
            "responsible": row.responsible, "doc_number": row.doc_number,
            "dated": row.dated.isoformat() if row.dated else None, "pages": row.pages, "scanned": scanned,
            "carrier": row.carrier, "carrier_name": CARRIERS.get(row.carrier, row.carrier), "box": row.box,
            "location": row.location, "status": row.status, "status_name": STATUS_LABELS.get(row.status, row.status),
            "remark": row.remark}


def list_items(engine: Engine, config: Config, *, year: int | None = None, status: str | None = None,
               search: str = "") -> list[dict]:
    """Items in 档号 order (of one year / status; ``search`` in title, 文号 or 责任者)."""
    query = select(ITEM)
    if year:
        query = query.where(ITEM.c.year == year)
    if status:
        if status not in STATUS_LABELS:
            raise ArchiveError(f"状态“{status}”无效：应为 "
                               + "、".join(f"{k}（{v}）" for k, v in STATUS_LABELS.items()))
        query = query.where(ITEM.c.status == status)
    if search.strip():
        like = f"%{search.strip()}%"
        query = query.where(ITEM.c.title.like(like) | ITEM.c.doc_number.like(like) | ITEM.c.responsible.like(like)
                            | ITEM.c.archive_code.like(like))
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(ITEM.c.year, RETENTION_ORDER, ITEM.c.piece_no)).all()
        scanned = _pages(connection, [row.id for row in rows])
    return [item_dict(row, config, scanned.get(row.id, 0)) for row in rows]


def show_item(engine: Engine, config: Config, code: str) -> dict:
    """One item with its scanned pages and its history."""
    with engine.connect() as connection:
        row = find_item(connection, code)
        pages = connection.execute(select(SCAN.c.store_path, SCAN.c.seq).where(
            SCAN.c.record_item_id == row.id, SCAN.c.status == PageStatus.LINKED).order_by(SCAN.c.seq, SCAN.c.id)).all()
        events = connection.execute(select(EVENT).where(EVENT.c.record_item_id == row.id)
                                    .order_by(EVENT.c.id)).all()
    data = item_dict(row, config, len(pages))
    data["page_files"] = [page.store_path for page in pages]
    data["history"] = [{"action": ACTION_LABELS.get(event.action, event.action), "after": json.loads(event.after),
                        "reason": event.reason, "operator": event.operator,
                        "at": local_time(event.recorded_at).isoformat(timespec="seconds")} for event in events]
    return data


# ---- 归档文件目录 -----------------------------------------------------------------------------------

CATALOGUE_COLUMNS = ["件号", "档号", "文号", "责任者", "题名", "日期", "页数", "备注"]


def print_catalogue(engine: Engine, config: Config, *, year: int | None = None, out: Path | None = None) -> Path:
    """归档文件目录 (DA/T 22) as ``make_catalogue`` prints it; only its path (the warnings of
    characters no font has are in ``make_catalogue``'s result)."""
    return make_catalogue(engine, config, year=year, out=out).path


def make_catalogue(engine: Engine, config: Config, *, year: int | None = None,
                   out: Path | None = None) -> PrintResult:
    """归档文件目录 (DA/T 22): one table per year and retention, A4 PDF or XLSX (a sheet each);
    a PDF's result warns of each item with characters no font has (printed as □)."""
    from archive_tui.reports.fonts import font_of
    from archive_tui.reports.grid import Column, Table, print_table
    from archive_tui.reports.pdf import Sheet
    from archive_tui.reports.tables import TitledTable, write_titled_xlsx

    rows = [row for row in list_items(engine, config, year=year) if row["status"] != ItemStatus.WITHDRAWN]
    if not rows:
        raise ArchiveError("没有可列入归档文件目录的综合档案" + (f"（{year} 年度）" if year else ""))
    out = Path(out) if out else config.exports / f"归档文件目录-{year or '全部'}.pdf"
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise ArchiveError(f"归档文件目录只能输出为 .pdf 或 .xlsx：{out.name}")
    groups: dict[tuple[str, int, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["fonds"], row["year"], row["retention"]), []).append(row)
    settings = config.settings
    tables = []
    for (fonds, group_year, retention), members in groups.items():
        body = [[str(row["piece"]), row["archive_code"], row["doc_number"], row["responsible"], row["title"],
                 (row["dated"] or "").replace("-", ""), str(row["pages"] or ""),
                 "；".join(part for part in (row["carrier_name"] if row["carrier"] != "paper" else "", row["remark"])
                          if part)]
                for row in members]
        heading = [f"{settings.township.name}归档文件目录",
                   f"全宗号 {fonds}　{settings.archive.fonds_name if fonds == settings.archive.fonds_code else ''}　"
                   f"年度 {group_year}　"
                   f"保管期限 {retention}　共 {len(members)} 件"]
        tables.append(TitledTable(f"{fonds}-{group_year}-{retention}", heading, CATALOGUE_COLUMNS, body))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".xlsx":
        write_titled_xlsx(out, tables)
        return PrintResult(out, len(rows), len(tables))
    widths = [10, 40, 24, 22, 50, 16, 9, 15]
    columns = [Column(title, width, "right" if title in ("件号", "页数") else "left")
               for title, width in zip(CATALOGUE_COLUMNS, widths)]
    font = font_of(config)
    warnings = glyph_warnings(font, "表头", [line for table in tables for line in table.heading])
    for table in tables:
        for cells in table.rows:
            warnings += glyph_warnings(font, f"{cells[1]}（{cells[4]}）", cells)
    sheet = Sheet(out, font, tables[0].heading[0])
    for table in tables:
        print_table(sheet, Table([(table.heading[0], 14), (table.heading[1], 10)], columns, table.rows, size=8))
    sheet.save()
    return PrintResult(out, len(rows), sheet.pages, warnings)
