"""The cover of each paper file (案卷封面, with separator sheets), read from the database, and the
choice of files every file form starts from. The forms inside a file (卷内目录, 备考表) are in
:mod:`archive_tui.services.quality.file_forms`, the copies' 案卷目录 and 盒脊 in
:mod:`archive_tui.services.registers.custody_forms`; what all forms share in
:mod:`archive_tui.services.printed`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, or_, select

from archive_tui.core.states import PageStatus
from archive_tui.core.display import chinese_date
from archive_tui.core.paths import safe_part
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.services.households.archive_files import group_name
from archive_tui.services.households.filters import village_filter
from archive_tui.db.tables import DOCUMENT, FILE, HOUSEHOLD, ISSUER, SCAN
from archive_tui.services.printed import PrintResult, font_of, glyph_warnings


def chosen_files(engine: Engine, village: str | None, keys: list[str]) -> list:
    """The files a form is printed for (of one village, or by 承包方编码 or 档号), in 档号 order,
    with household, group and linked pages; an ArchiveError names keys that match no file."""
    linked = (select(func.count()).where(SCAN.c.archive_file_id == FILE.c.id, SCAN.c.status == PageStatus.LINKED)
              .scalar_subquery())
    query = (select(FILE, HOUSEHOLD.c.code, HOUSEHOLD.c.name.label("household"), ISSUER.c.name.label("issuer_name"),
                    ISSUER.c.village_name, linked.label("linked"))
             .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
             .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id).order_by(FILE.c.archive_code))
    if village:
        query = query.where(village_filter(village))
    if keys:
        query = query.where(or_(HOUSEHOLD.c.code.in_(keys), FILE.c.archive_code.in_(keys)))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    if keys:
        found = {row.code for row in rows} | {row.archive_code for row in rows}
        unknown = [key for key in keys if key not in found]
        if unknown:
            raise ArchiveError(f"找不到承包方编码或档号为“{'、'.join(unknown)}”的户卷")
    if not rows:
        raise ArchiveError(f"村“{village}”没有户卷" if village else "数据库中还没有户卷；请先导入")
    return rows


def print_covers(engine: Engine, config: Config, out: Path | None = None, *, village: str | None = None,
                 keys: list[str] | None = None, separators: bool = True) -> PrintResult:
    """案卷封面 (with the 档号 as a QR code) and a separator sheet per document type."""
    rows = chosen_files(engine, village, keys or [])
    documents_of = file_documents(engine, [row.id for row in rows])
    related = related_files(engine, [row.household_id for row in rows])
    from archive_tui.reports.covers import CoverFile, write_covers

    font = font_of(config)
    archive = config.settings.archive
    files = [CoverFile(
        archive_code=row.archive_code, title=row.title, fonds_code=archive.fonds_code, fonds_name=archive.fonds_name,
        category=archive.category_code, volume_no=row.volume_no, year=row.year, retention=row.retention,
        household=row.household, cbfbm=row.code, village=row.village_name or "",
        group=group_name(row.issuer_name, row.village_name or ""), pages=row.linked or row.page_count,
        documents=len(documents_of[row.id]), dates=_date_span(documents_of[row.id]), campaign=row.campaign,
        related="；".join(f"{campaign} {code}" for campaign, code in related[row.household_id]
                         if code != row.archive_code),
    ) for row in rows]
    documents = [(doc.code, doc.name) for doc in config.settings.documents] if separators else []
    later = {campaign.name: [(doc.code, doc.name) for doc in campaign.documents] if separators else []
             for campaign in config.settings.campaigns}
    warnings = []
    for file in files:
        warnings += glyph_warnings(font, f"{file.archive_code}（{file.household}）",
                                   [file.title, file.household, file.village, file.group, file.fonds_name])
    warnings += glyph_warnings(font, "卷内文件名称", [name for _, name in documents]
                               + [name for names in later.values() for _, name in names])
    out = out or config.exports / safe_part(f"案卷封面-{village or '全部'}.pdf")
    pages = write_covers(out, font, files, documents, later)
    return PrintResult(out, len(files), pages, warnings)


def related_files(engine: Engine, household_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each household's files as (campaign, 档号), 确权 first: a cover names the others (相关案卷)."""
    found: dict[int, list[tuple[str, str]]] = {household_id: [] for household_id in household_ids}
    unique = sorted(found)
    with engine.connect() as connection:
        for start in range(0, len(unique), 500):
            query = (select(FILE.c.household_id, FILE.c.campaign, FILE.c.archive_code)
                     .where(FILE.c.household_id.in_(unique[start:start + 500]))
                     .order_by(FILE.c.household_id, FILE.c.campaign != PRIMARY_CAMPAIGN, FILE.c.id))
            for household_id, campaign, code in connection.execute(query):
                found[household_id].append((campaign, code))
    return found


def file_documents(engine: Engine, file_ids: list[int]) -> dict[int, list]:
    """Each file's documents in their order, with the pages scanned for each."""
    scanned = (select(func.count()).where(SCAN.c.document_id == DOCUMENT.c.id, SCAN.c.status == PageStatus.LINKED)
               .scalar_subquery())
    found: dict[int, list] = {file_id: [] for file_id in file_ids}
    with engine.connect() as connection:
        for start in range(0, len(file_ids), 500):
            query = (select(DOCUMENT, scanned.label("scanned"))
                     .where(DOCUMENT.c.archive_file_id.in_(file_ids[start:start + 500]))
                     .order_by(DOCUMENT.c.archive_file_id, DOCUMENT.c.position, DOCUMENT.c.id))
            for row in connection.execute(query):
                found[row.archive_file_id].append(row)
    return found


def _date_span(documents: list) -> str:
    """起止日期 of a file: its earliest and latest dated document, in Chinese form."""
    dates = sorted(doc.dated for doc in documents if doc.dated)
    if not dates:
        return ""
    first, last = chinese_date(dates[0]), chinese_date(dates[-1])
    return first if first == last else f"{first}至{last}"
