"""Custody forms of the copies (三套): the 案卷目录 of one level's copies and the 盒脊 labels of
their boxes, read from the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.paths import safe_part
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.printed import PrintResult, font_of, glyph_warnings
from archive_tui.services.registers.copies import list_copies, shelf_rows


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

    rows = shelf_rows(engine, village=village, level=level, location=location)
    out = _custody_out(config, out, safe_part(f"案卷目录-{village or location or '全部'}-{LEVEL_LABELS[level]}.pdf"))
    body = [[str(i), r["archive_code"], r["title"], str(r["year"] or ""), r["retention"], str(r["pages"] or ""),
             r["box"]] for i, r in enumerate(rows, start=1)]
    where = "、".join(part for part in (village, location) if part) or "全部"
    heading = [f"{config.settings.archive.fonds_name}案卷目录",
               f"{where}  {LEVEL_LABELS[level]}  共 {len(rows)} 卷  全宗号 {config.settings.archive.fonds_code}"]
    if out.suffix.lower() == ".xlsx":
        write_titled_xlsx(out, [TitledTable("案卷目录", heading, [column.title for column in SHELF_COLUMNS], body)])
        return PrintResult(out, len(rows), 1)
    font = font_of(config)
    warnings = [warning for r in rows for warning in glyph_warnings(font, f"{r['archive_code']}", [r["title"]])]
    return PrintResult(out, len(rows), write_shelf_list(out, font, heading, body), warnings)


def print_box_labels(engine: Engine, config: Config, out: Path | None = None, *, village: str | None = None,
                     level: str = "township") -> PrintResult:
    """盒脊 labels of the boxes (of one level, maybe one village) and each box's contents list."""
    from archive_tui.reports.custody import Box, write_box_labels

    rows = [r for r in list_copies(engine, level=level, village=village) if r["box"]]
    if not rows:
        raise ArchiveError(f"{village or ''}还没有装盒的{LEVEL_LABELS[level]}案卷：请先装盒"
                           "（界面“库房”按 b，或命令 archive-tui copies box）")
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
    font = font_of(config)
    pages = write_box_labels(out, font, f"{config.settings.township.name}{village or ''}", list(boxes.values()))
    warnings = [warning for row in rows for warning in glyph_warnings(font, f"{row['archive_code']}（{row['name']}）",
                                                                       [row["title"]])]
    return PrintResult(out, len(boxes), pages, warnings)


def print_held(engine: Engine, config: Config, form: str, *, village: str | None = None,
               location: str | None = None, levels: list[str] | None = None) -> list[PrintResult]:
    """The app's 打印: the ``form`` (``box-labels`` 盒脊 or ``shelf-list`` 案卷目录) of each level this
    archive holds (``[copies] held_levels``, or ``levels``), each in its own file in the exports
    folder. A level with nothing to print is refused (the files of the levels before it stay made)."""
    levels = levels if levels is not None else list(config.settings.copies.held_levels)
    village = (village or "").strip() or None
    location = (location or "").strip() or None
    if form == "box-labels":
        if location:
            raise ArchiveError("盒脊按村打印，不按位置", field="location")
        return [print_box_labels(engine, config, village=village, level=level) for level in levels]
    if form == "shelf-list":
        return [print_shelf_list(engine, config, village=village, level=level, location=location) for level in levels]
    raise ValueError(form)
