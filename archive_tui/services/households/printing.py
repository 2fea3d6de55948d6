"""Printed forms for the paper files (打印): what goes on them, read from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, or_, select

from archive_tui.core.states import PageStatus
from archive_tui.db import rows_where_in
from archive_tui.core.display import chinese_date
from archive_tui.core.paths import safe_part
from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui.services.households.archive_files import group_name
from archive_tui.services.households.filters import village_filter
from models import AuditEvent
from models.tables import local_time
from archive_tui.db.tables import DOCUMENT, FILE, FINDING, HOUSEHOLD, ISSUER, SCAN
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.quality.checks import RULES, Scope, rule_label
from archive_tui.services.registers.copies import list_copies, shelf_rows

if TYPE_CHECKING:
    from archive_tui.reports.fonts import PrintFont


def font_of(config: Config) -> "PrintFont":
    """The print font ([print] in config), loaded with reportlab only when something is printed
    (reportlab is a tenth of a second of every start otherwise)."""
    from archive_tui.reports.fonts import font_of as load_font

    return load_font(config)


@dataclass
class PrintResult:
    path: Path
    files: int
    pages: int
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Every character the PDF printed as □ is warned of: by the form's own warnings (which name
        the household), else here, with a text it stood in — no form prints □ unsaid."""
        self.warnings += unprinted_warnings(self.path, "".join(self.warnings))

    def warning_note(self) -> str:
        """The warnings in one line for a screen's message ("" when there are none)."""
        if not self.warnings:
            return ""
        more = f"（另有 {len(self.warnings) - 1} 条，命令行打印时逐条列出）" if len(self.warnings) > 1 else ""
        return f"；注意：{self.warnings[0]}{more}"


def unprinted_warnings(path: Path, named: str = "") -> list[str]:
    """A warning per character the PDF just made at ``path`` printed as □, unless ``named`` (the
    form's own warnings) already names it; [] for any other file."""
    if Path(path).suffix.lower() != ".pdf":
        return []
    from archive_tui.reports.pdf import unprinted_in

    return [f"{Path(path).name}：“{text}”中的“{char}”（U+{ord(char):04X}）所有字体都没有，印为 □；"
            "请在 config.toml 的 [print] fallback_fonts 加入含这个字的字体，或打印后手写"
            for char, text in unprinted_in(Path(path)).items() if f"U+{ord(char):04X}" not in named]


def _chosen_files(engine: Engine, village: str | None, keys: list[str]) -> list:
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


def glyph_warnings(font: PrintFont, label: str, texts: list[str]) -> list[str]:
    """A warning per text whose characters the font cannot print (生僻字), naming them."""
    missing = [char for text in texts for char in font.missing(text)]
    if not missing:
        return []
    unique = "、".join(f"“{char}”（U+{ord(char):04X}）" for char in dict.fromkeys(missing))
    return [f"{label}：所有字体都没有{unique}，印为 □；请在 config.toml 的 [print] fallback_fonts "
            "加入含这些字的字体（如 Windows 的 simsunb.ttf，Debian 的 fonts-hanazono），或打印后手写"]


def print_covers(engine: Engine, config: Config, out: Path | None = None, *, village: str | None = None,
                 keys: list[str] | None = None, separators: bool = True) -> PrintResult:
    """案卷封面 (with the 档号 as a QR code) and a separator sheet per document type."""
    rows = _chosen_files(engine, village, keys or [])
    documents_of = _documents_of(engine, [row.id for row in rows])
    from archive_tui.reports.covers import CoverFile, write_covers

    font = font_of(config)
    archive = config.settings.archive
    files = [CoverFile(
        archive_code=row.archive_code, title=row.title, fonds_code=archive.fonds_code, fonds_name=archive.fonds_name,
        category=archive.category_code, volume_no=row.volume_no, year=row.year, retention=row.retention,
        household=row.household, cbfbm=row.code, village=row.village_name or "",
        group=group_name(row.issuer_name, row.village_name or ""), pages=row.linked or row.page_count,
        documents=len(documents_of[row.id]), dates=_date_span(documents_of[row.id]),
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


def _documents_of(engine: Engine, file_ids: list[int]) -> dict[int, list]:
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


def _open_findings(engine: Engine, household_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each household's open findings (待处理的质检问题), counted by rule."""
    counts: dict[int, dict[str, int]] = {}
    with engine.connect() as connection:
        for row in rows_where_in(connection, [FINDING.c.household_id, FINDING.c.rule, func.count()],
                                 FINDING.c.household_id, household_ids, where=FINDING.c.status == "open",
                                 group_by=(FINDING.c.household_id, FINDING.c.rule)):
            counts.setdefault(row[0], {})[row[1]] = row[2]
    return counts


def _scans_against_catalogue(engine: Engine, config: Config, household_ids: list[int]) -> dict[int, list[str]]:
    """What the 质检 rule on pages (page_count) finds now in these files: the 备考表 says the same."""
    order = {doc.name: position for position, doc in enumerate(config.settings.documents)}
    found: dict[int, list] = {}
    with engine.connect() as connection:
        for start in range(0, len(household_ids), 500):
            scope = Scope(connection, config, household_ids=household_ids[start:start + 500])
            for household_id, subject, message in RULES["page_count"].find(scope):
                found.setdefault(household_id, []).append((order.get(subject, len(order)), message))
    return {household_id: [message for _order, message in sorted(messages)] for household_id, messages in found.items()}


def _compilers(engine: Engine) -> list[tuple]:
    """(time, operator) of each import or demo run, oldest first: who built the files it made (立卷人)."""
    audit_table = AuditEvent.__table__
    with engine.connect() as connection:
        return connection.execute(select(audit_table.c.recorded_at, audit_table.c.operator)
                                  .where(audit_table.c.action.in_(("import", "demo")))
                                  .order_by(audit_table.c.id)).all()


def _compiled_by(compilers: list[tuple], created) -> str:
    """The operator of the first import that ended at or after the file was made."""
    if created is not None:
        created = created.replace(tzinfo=None)
        for at, operator in compilers:
            if at is not None and at.replace(tzinfo=None) >= created:
                return operator
    return ""


def _date_span(documents: list) -> str:
    """起止日期 of a file: its earliest and latest dated document, in Chinese form."""
    dates = sorted(doc.dated for doc in documents if doc.dated)
    if not dates:
        return ""
    first, last = chinese_date(dates[0]), chinese_date(dates[-1])
    return first if first == last else f"{first}至{last}"


def _page_range(start: int, count: int) -> str:
    return "" if count <= 0 else str(start) if count == 1 else f"{start}-{start + count - 1}"


def _file_sheet(config: Config, row, documents: list, findings: dict[str, int], differing: list[str],
                compiled_by: str):
    """A file's 卷内目录 rows and 备考表 points: 页号 from the pages scanned, else the catalogue;
    the 备考表 states what 质检 finds of the file's pages and its open findings."""
    from archive_tui.reports.file_forms import FileSheet

    names = {doc.code: doc.name for doc in config.settings.documents}
    rows, page = [], 1
    for number, doc in enumerate(documents, start=1):
        count = doc.scanned or doc.page_count or (
            doc.page_end - doc.page_start + 1 if doc.page_start and doc.page_end else 0)
        rows.append([str(number), doc.doc_number, doc.responsible, doc.title or names.get(doc.doc_type, doc.doc_type),
                     f"{doc.dated:%Y%m%d}" if doc.dated else "", _page_range(page, count), doc.remark])
        page += count
    unsorted = row.linked - sum(doc.scanned for doc in documents)
    present = {doc.doc_type for doc in documents}
    missing = [d.name for d in config.settings.documents if d.required and d.code not in present]
    pages = max(page - 1 + max(unsorted, 0), row.linked)
    scanned = sum(1 for doc in documents if doc.scanned)
    counted = ("未扫描，按目录页数" if not row.linked else "以扫描件计" if scanned == len(documents)
               else "已扫描的以扫描件计，其余按目录页数")
    notes = [f"一、本卷共有文件 {len(documents)} 件，共 {pages} 页（{counted}）"
             + (f"，其中 {unsorted} 页扫描件尚未归入卷内文件（未分类）" if unsorted > 0 else "") + "。"]
    notes.append("二、缺少的必备文件：" + ("、".join(missing) if missing else "无") + "。")
    notes.append(_differences_note(differing))
    total = sum(findings.values())
    listed = "、".join(f"{rule_label(rule)[1]} {count} 条" for rule, count in sorted(findings.items()))
    notes.append(f"四、待处理的质检问题 {total} 条：{listed}。" if total else "四、待处理的质检问题：无。")
    return FileSheet(row.archive_code, row.title, row.household, rows, pages, len(documents), notes,
                     compiled_by=compiled_by or config.operator,
                     compiled_on=chinese_date(local_time(row.created_at)) if row.created_at else "")


def _differences_note(differing: list[str], shown: int = 4) -> str:
    """三、扫描件与目录不符: how many, and the first few as 质检 words them."""
    if not differing:
        return "三、扫描件与目录不符：无。"
    more = f"；等，共 {len(differing)} 处（见质检）" if len(differing) > shown else ""
    return f"三、扫描件与目录不符 {len(differing)} 处：" + "；".join(differing[:shown]) + more + "。"


def file_sheets(engine: Engine, config: Config, village: str | None, keys: list[str]) -> list:
    rows = _chosen_files(engine, village, keys)
    documents = _documents_of(engine, [row.id for row in rows])
    households = [row.household_id for row in rows]
    findings = _open_findings(engine, households)
    differing = _scans_against_catalogue(engine, config, households)
    compilers = _compilers(engine)
    return [_file_sheet(config, row, documents[row.id], findings.get(row.household_id, {}),
                        differing.get(row.household_id, []), _compiled_by(compilers, row.created_at)) for row in rows]


def _print_file_forms(engine: Engine, config: Config, out: Path | None, village: str | None, keys: list[str] | None,
                      form: str) -> PrintResult:
    """One of the forms inside each file (``contents`` or ``notes``) for the chosen files."""
    from archive_tui.reports.file_forms import write_contents, write_notes

    write, name = {"contents": (write_contents, "卷内目录"), "notes": (write_notes, "备考表")}[form]
    sheets = file_sheets(engine, config, village, keys or [])
    font = font_of(config)
    out = out or config.exports / safe_part(f"{name}-{village or '全部'}.pdf")
    warnings = [warning for sheet in sheets for warning in glyph_warnings(
        font, f"{sheet.archive_code}（{sheet.household}）", [sheet.household, *[c for row in sheet.rows for c in row]])]
    return PrintResult(out, len(sheets), write(out, font, sheets), warnings)


def print_contents(engine: Engine, config: Config, out: Path | None = None, *, village: str | None = None,
                   keys: list[str] | None = None) -> PrintResult:
    """卷内目录 of the chosen files: 序号, 文号, 责任者, 题名, 日期, 页号, 备注 (A4 PDF)."""
    return _print_file_forms(engine, config, out, village, keys, "contents")


def print_notes(engine: Engine, config: Config, out: Path | None = None, *, village: str | None = None,
                keys: list[str] | None = None) -> PrintResult:
    """备考表 of the chosen files: 本卷情况说明 from the archive, 立卷人/检查人/立卷时间 (A4 PDF)."""
    return _print_file_forms(engine, config, out, village, keys, "notes")


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
    out = _custody_out(config, out, f"案卷目录-{village or location or '全部'}-{LEVEL_LABELS[level]}.pdf")
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
    font = font_of(config)
    pages = write_box_labels(out, font, f"{config.settings.township.name}{village or ''}", list(boxes.values()))
    warnings = [warning for row in rows for warning in glyph_warnings(font, f"{row['archive_code']}（{row['name']}）",
                                                                       [row["title"]])]
    return PrintResult(out, len(boxes), pages, warnings)
