"""Printed forms for the paper files (打印): what goes on them, read from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, or_, select

from archive_tui.paths import safe_part
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
    out = out or config.exports / safe_part(f"案卷封面-{village or '全部'}.pdf")
    pages = write_covers(out, font, files, documents)
    return PrintResult(out, len(files), pages, warnings)


def _custody_out(config: Config, out: Path | None, name: str) -> Path:
    out = out or config.exports / name
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise ArchiveError(f"输出文件 {out.name} 应以 .pdf 或 .xlsx 结尾")
    return out


def print_shelf_list(engine: Engine, config: Config, out: Path | None = None, *, village: str | None = None,
                     level: str = "township", location: str | None = None) -> PrintResult:
    """案卷目录 of one level's copies (per village and/or location): 档号, 案卷题名, 年度, 保管期限,
    页数, 盒号 — in 档号 order, as PDF or XLSX."""
    from archive_tui.reports.custody import SHELF_COLUMNS, write_shelf_list
    from archive_tui.reports.tables import TitledTable, write_titled_xlsx
    from archive_tui.services.archive_files import LEVEL_LABELS
    from archive_tui.services.copies import shelf_rows

    rows = shelf_rows(engine, village=village, level=level, location=location)
    out = _custody_out(config, out, f"案卷目录-{village or location or '全部'}-{LEVEL_LABELS[level]}.pdf")
    body = [[str(i), r["archive_code"], r["title"], str(r["year"] or ""), r["retention"], str(r["pages"] or ""),
             r["box"]] for i, r in enumerate(rows, start=1)]
    where = "、".join(part for part in (village, location) if part) or "全部"
    heading = [f"{config.settings.archive.fonds_name}案卷目录",
               f"{where}  {LEVEL_LABELS[level]}  共 {len(rows)} 卷  全宗号 {config.settings.archive.fonds_code}"]
    if out.suffix.lower() == ".xlsx":
        write_titled_xlsx(out, [TitledTable("案卷目录", heading, [name for name, _w in SHELF_COLUMNS], body)])
        return PrintResult(out, len(rows), 1)
    font = load_font(config.settings.print.font)
    warnings = glyph_warnings(font, "案卷题名", [r["title"] for r in rows])
    return PrintResult(out, len(rows), write_shelf_list(out, font, heading, body), warnings)


def print_box_labels(engine: Engine, config: Config, out: Path | None = None, *, village: str | None = None,
                     level: str = "township") -> PrintResult:
    """盒脊 labels of the boxes (of one level, maybe one village) and each box's contents list."""
    from archive_tui.reports.custody import Box, write_box_labels
    from archive_tui.services.archive_files import LEVEL_LABELS
    from archive_tui.services.copies import list_copies

    rows = [r for r in list_copies(engine, level=level, village=village) if r["box"]]
    if not rows:
        raise ArchiveError("还没有装盒的案卷：请先运行 archive-tui copies box")
    boxes: dict[str, Box] = {}
    archive = config.settings.archive
    for row in sorted(rows, key=lambda r: (r["box"], r["archive_code"])):
        box = boxes.setdefault(row["box"], Box(row["box"], LEVEL_LABELS[level], archive.fonds_code,
                                               row["retention"], ""))
        box.files.append((row["archive_code"], row["title"], row["pages"] or 0))
        box.year_set.add(row["year"])
    for box in boxes.values():
        years = sorted(year for year in box.year_set if year)
        box.years = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0] if years else "")
    out = out or config.exports / safe_part(f"盒脊-{village or '全部'}-{LEVEL_LABELS[level]}.pdf")
    if out.suffix.lower() != ".pdf":
        raise ArchiveError(f"盒脊只能打印为 PDF：{out.name}")
    font = load_font(config.settings.print.font)
    pages = write_box_labels(out, font, f"{config.settings.township.name}{village or ''}", list(boxes.values()))
    return PrintResult(out, len(boxes), pages)
