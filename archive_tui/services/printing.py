"""Printed forms for the paper files (打印): what goes on them, read from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, or_, select

from archive_tui.config import Config
from archive_tui.errors import ArchiveError
from archive_tui.reports.covers import CoverFile, write_covers
from archive_tui.reports.fonts import PrintFont, load_font
from archive_tui.services.archive_files import group_name
from archive_tui.services.households import village_filter
from models import ArchiveFile, Household, Issuer, ScanPage

FILE, HOUSEHOLD, ISSUER, SCAN = ArchiveFile.__table__, Household.__table__, Issuer.__table__, ScanPage.__table__


@dataclass
class PrintResult:
    path: Path
    files: int
    pages: int
    warnings: list[str] = field(default_factory=list)


def _chosen_files(engine: Engine, village: str | None, keys: list[str]) -> list:
    linked = (select(func.count()).where(SCAN.c.archive_file_id == FILE.c.id, SCAN.c.status == "linked")
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


def glyph_warnings(font: PrintFont, label: str, texts: list[str]) -> list[str]:
    """A warning per text whose characters the font cannot print (生僻字), naming them."""
    missing = [char for text in texts for char in font.missing(text)]
    if not missing:
        return []
    unique = "".join(dict.fromkeys(missing))
    return [f"{label}：字体 {font.path.name} 中没有“{unique}”，打印出来会是空白；"
            "请在 config.toml 的 [print] font 指定含这些字的字体，或打印后手写"]


def print_covers(engine: Engine, config: Config, out: Path | None = None, *, village: str | None = None,
                 keys: list[str] | None = None, separators: bool = True) -> PrintResult:
    """案卷封面 (with the 档号 as a QR code) and a separator sheet per document type."""
    rows = _chosen_files(engine, village, keys or [])
    font = load_font(config.settings.print.font)
    archive = config.settings.archive
    files = [CoverFile(
        archive_code=row.archive_code, title=row.title, fonds_code=archive.fonds_code, fonds_name=archive.fonds_name,
        category=archive.category_code, volume_no=row.volume_no, year=row.year, retention=row.retention,
        household=row.household, cbfbm=row.code, village=row.village_name or "",
        group=group_name(row.issuer_name, row.village_name or ""), pages=row.page_count or row.linked,
    ) for row in rows]
    documents = [(doc.code, doc.name) for doc in config.settings.documents] if separators else []
    warnings = []
    for file in files:
        warnings += glyph_warnings(font, f"{file.archive_code}（{file.household}）",
                                   [file.title, file.household, file.village, file.group, file.fonds_name])
    warnings += glyph_warnings(font, "卷内文件名称", [name for _, name in documents])
    out = out or config.exports / f"案卷封面-{village or '全部'}.pdf"
    pages = write_covers(out, font, files, documents)
    return PrintResult(out, len(files), pages, warnings)
