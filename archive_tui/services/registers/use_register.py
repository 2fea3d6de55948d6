"""The use register (档案利用登记): every consultation (查阅), copy (复制) or certified extract
(摘录证明) of a household file — who, from which unit, for what, approved by whom, how many pages
— numbered 利用YYYY-NNN, with the printed 档案利用登记表 and yearly figures. Lending a copy
(copies lend) is one more kind of use and is counted with them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select

from archive_tui.core.states import ItemStatus
from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.services.households.filters import file_for_key, find_household
from archive_tui.services.registers.item_events import change_item
from archive_tui.services.households.uses import KINDS, LOAN_KIND, list_uses
from archive_tui.db.tables import RECORD_ITEM as ITEM, USE
from archive_tui.services.printed import PrintResult, glyph_warnings

if TYPE_CHECKING:
    from archive_tui.services.printed import PrintResult


@dataclass(frozen=True)
class NewUse:
    key: str  # 承包方编码 or 档号 (of a household file or of a 综合档案 item)
    kind: str
    person: str
    used_on: dt.date
    unit: str = ""
    purpose: str = ""
    approved_by: str = ""
    pages: int = 0
    id_number: str = ""


@use_case(Permission.WRITE, "登记利用")
def add_use(ctx: ArchiveContext, use: NewUse) -> str:
    """Register one use of a household file or a 综合档案 item; returns its number (利用2026-001).
    Lending (借出) is for items; a household file's copy is lent with ``copies lend``."""
    engine = ctx.engine
    check_use(use)
    with engine.begin() as connection:
        number = _add_use(connection, ctx, use)
    return number


def check_use(use: NewUse) -> None:
    """Refuse a use with a wrong kind, no person or purpose, no pages copied, a future date."""
    if use.kind not in KINDS:
        raise ArchiveError(f"利用方式“{use.kind}”无效：应为 {'、'.join(f'{k}（{v}）' for k, v in KINDS.items())}",
                           field="kind")
    if not use.person.strip():
        raise ArchiveError("请写明利用人", field="person")
    if not use.purpose.strip():
        raise ArchiveError("请写明利用目的", field="purpose")
    if use.pages < 0 or (use.kind in ("copy", "extract") and use.pages == 0):
        raise ArchiveError("复制或摘录须写明页数（正整数）", field="pages")
    if use.used_on > dt.date.today():
        raise ArchiveError(f"日期 {use.used_on.isoformat()} 晚于今天", field="date")


def _add_use(connection, ctx: ArchiveContext, use: NewUse, *, returned_on: dt.date | None = None) -> str:
    item = connection.execute(select(ITEM).where(ITEM.c.archive_code == use.key.strip())).first()
    file_id = None
    if item is not None:
        if item.status == ItemStatus.WITHDRAWN:
            raise ArchiveError(f"{item.archive_code} 已作废，不能登记利用")
        subject = {"archive_code": item.archive_code}
    else:
        if use.kind == "lend":
            raise ArchiveError("户卷的借出请用 archive-tui copies lend（按份借出）", field="kind")
        household = find_household(connection, use.key)
        file = file_for_key(connection, household.id, use.key)  # the file of that 档号, else the 确权 file
        if file is None:
            raise ArchiveError(f"承包方 {household.code} 尚未建立案卷，无可利用的档案")
        file_id = file.id
        subject = {"cbfbm": household.code, **({"archive_code": file.archive_code}
                                                if file.campaign != PRIMARY_CAMPAIGN else {})}
    year = use.used_on.year
    count = connection.execute(select(func.count()).where(USE.c.number.startswith(f"利用{year}-"))).scalar_one()
    number = f"利用{year}-{count + 1:03d}"
    connection.execute(USE.insert().values(
        number=number, archive_file_id=file_id, record_item_id=item.id if item is not None else None,
        kind=use.kind, person=use.person.strip(), id_number=use.id_number.strip().upper(), unit=use.unit.strip(),
        purpose=use.purpose.strip(), approved_by=use.approved_by.strip(), pages=use.pages, used_on=use.used_on,
        returned_on=returned_on, operator=ctx.operator))
    audit.record(connection, operator=ctx.operator, action="use.add", entity="use", key=number,
                 after={**subject, "kind": KINDS[use.kind], "person": use.person.strip(),
                        "purpose": use.purpose.strip(), "pages": use.pages})
    return number


@use_case(Permission.WRITE, "登记归还")
def return_use(ctx: ArchiveContext, number: str, returned_on: dt.date) -> None:
    """The file consulted is back (归还)."""
    engine = ctx.engine
    with engine.begin() as connection:
        row = connection.execute(select(USE).where(USE.c.number == number.strip())).first()
        if row is None:
            raise ArchiveError(f"没有编号为“{number}”的利用登记")
        close_use(connection, ctx, row, returned_on)
        if row.kind == "lend" and row.record_item_id is not None:
            item = connection.execute(select(ITEM).where(ITEM.c.id == row.record_item_id)).first()
            if item.status == ItemStatus.LENT:
                change_item(connection, ctx, item, "return", {"status": ItemStatus.FILED}, row.number)


def close_use(connection, ctx: ArchiveContext, row, returned_on: dt.date) -> None:
    """The file or item used is back (归还): refused twice, before the use, or in the future."""
    if row.returned_on is not None:
        raise ArchiveError(f"利用 {row.number} 已于 {row.returned_on.isoformat()} 归还")
    if returned_on < row.used_on:
        raise ArchiveError(f"归还日期 {returned_on.isoformat()} 早于利用日期 {row.used_on.isoformat()}",
                           field="date")
    if returned_on > dt.date.today():
        raise ArchiveError(f"日期 {returned_on.isoformat()} 晚于今天", field="date")
    connection.execute(USE.update().where(USE.c.id == row.id).values(returned_on=returned_on))
    audit.record(connection, operator=ctx.operator, action="use.return", entity="use", key=row.number,
                 after={"returned_on": returned_on.isoformat()})


def yearly_figures(engine: Engine, year: int) -> dict:
    """利用统计: uses per kind, persons, files and pages in one year."""
    rows = list_uses(engine, year=year)
    by_kind = {label: sum(1 for row in rows if row["kind"] == label) for label in [*KINDS.values(), LOAN_KIND]}
    return {"year": year, "uses": len(rows), "by_kind": by_kind, "persons": len({row["person"] for row in rows}),
            "files": len({row["archive_code"] for row in rows}), "pages": sum(row["pages"] or 0 for row in rows)}


COLUMNS = ["编号", "日期", "利用人", "单位", "利用目的", "档号", "方式", "页数", "批准人", "归还"]


def print_use_register(engine: Engine, config: Config, year: int, out: Path | None = None) -> Path:
    """档案利用登记表 as ``make_use_register`` prints it; only its path (the warnings of
    characters no font has are in ``make_use_register``'s result)."""
    return make_use_register(engine, config, year, out).path


def make_use_register(engine: Engine, config: Config, year: int, out: Path | None = None) -> PrintResult:
    """档案利用登记表 of one year, as A4 PDF or XLSX (with the year's figures under it); a PDF's
    result warns of each use with characters no font has (printed as □)."""
    from archive_tui.reports.fonts import font_of
    from archive_tui.reports.grid import Column, Table, print_table
    from archive_tui.reports.pdf import Sheet
    from archive_tui.reports.tables import TitledTable, write_titled_xlsx

    rows = list_uses(engine, year=year)
    if not rows:
        raise ArchiveError(f"{year} 年没有利用登记，无表可打印")
    out = Path(out) if out else config.exports / f"档案利用登记表-{year}.pdf"
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise ArchiveError(f"档案利用登记表只能输出为 .pdf 或 .xlsx：{out.name}")
    body = [[row["number"], row["date"], row["person"], row["unit"], row["purpose"], row["archive_code"], row["kind"],
             str(row["pages"] or ""), row["approved_by"], row["returned_on"] or ""] for row in rows]
    figures = yearly_figures(engine, year)
    summary = (f"全年利用 {figures['uses']} 次（" + "、".join(f"{k} {v}" for k, v in figures["by_kind"].items())
               + f"），利用人 {figures['persons']} 人，案卷 {figures['files']} 卷，复制摘录 {figures['pages']} 页")
    heading = [f"{config.settings.township.name}档案利用登记表",
               f"{year} 年　全宗号 {config.settings.archive.fonds_code}"]
    if out.suffix.lower() == ".xlsx":
        write_titled_xlsx(out, [TitledTable("利用登记", heading, COLUMNS, body, after=[[summary]])])
        return PrintResult(out, len(rows), 1)
    widths = [25, 20, 12, 16, 20, 37, 10, 8, 11, 20]
    columns = [Column(title, width, "right" if title == "页数" else "left") for title, width in zip(COLUMNS, widths)]
    font = font_of(config)
    warnings = glyph_warnings(font, "表头", heading)
    for cells in body:
        warnings += glyph_warnings(font, f"{cells[0]}（{cells[2]}）", cells)
    sheet = Sheet(out, font, heading[0])
    print_table(sheet, Table([(heading[0], 14), (heading[1], 10), (summary, 9)], columns, body, size=8))
    sheet.save()
    return PrintResult(out, len(rows), sheet.pages, warnings)
