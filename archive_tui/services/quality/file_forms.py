"""The forms inside each household file: 卷内目录 (the documents and their pages) and 备考表
(本卷情况说明: what 质检 finds of the file's pages and its open findings), read from the database.
They live beside the 质检 rules they state; the file's cover is printed by
:mod:`archive_tui.services.households.printing`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from archive_tui.core.config import Config
from archive_tui.core.display import chinese_date
from archive_tui.core.paths import safe_part
from archive_tui.db import rows_where_in
from archive_tui.db.tables import FINDING
from archive_tui.services.households.printing import chosen_files, file_documents
from archive_tui.services.printed import PrintResult, font_of, glyph_warnings
from archive_tui.services.quality.checks import RULES, Scope, rule_label
from models import AuditEvent
from models.tables import local_time


def _open_findings(engine: Engine, config: Config, household_ids: list[int]) -> dict[tuple[int, str], dict[str, int]]:
    """Each household file's open findings (待处理的质检问题), counted by rule: (household, campaign) → rule → count."""
    counts: dict[tuple[int, str], dict[str, int]] = {}
    with engine.connect() as connection:
        for household_id, rule, subject, count in rows_where_in(
                connection, [FINDING.c.household_id, FINDING.c.rule, FINDING.c.subject, func.count()],
                FINDING.c.household_id, household_ids, where=FINDING.c.status == "open",
                group_by=(FINDING.c.household_id, FINDING.c.rule, FINDING.c.subject)):
            rules = counts.setdefault((household_id, config.settings.campaign_of_finding(rule, subject)), {})
            rules[rule] = rules.get(rule, 0) + count
    return counts


def _scans_against_catalogue(engine: Engine, config: Config, household_ids: list[int]
                             ) -> dict[tuple[int, str], list[str]]:
    """What the 质检 rule on pages (page_count) finds now in these files: the 备考表 says the same."""
    order = {doc.name: position for position, doc in enumerate(config.settings.all_documents)}
    found: dict[tuple[int, str], list] = {}
    with engine.connect() as connection:
        for start in range(0, len(household_ids), 500):
            scope = Scope(connection, config, household_ids=household_ids[start:start + 500])
            for household_id, subject, message in RULES["page_count"].find(scope):
                key = (household_id, config.settings.campaign_of_finding("page_count", subject))
                found.setdefault(key, []).append((order.get(subject.split(" ")[-1], len(order)), message))
    return {key: [message for _order, message in sorted(messages)] for key, messages in found.items()}


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


def _page_range(start: int, count: int) -> str:
    return "" if count <= 0 else str(start) if count == 1 else f"{start}-{start + count - 1}"


def _file_sheet(config: Config, row, documents: list, findings: dict[str, int], differing: list[str],
                compiled_by: str):
    """A file's 卷内目录 rows and 备考表 points: 页号 from the pages scanned, else the catalogue;
    the 备考表 states what 质检 finds of the file's pages and its open findings."""
    from archive_tui.reports.file_forms import FileSheet

    kinds = config.settings.documents_of(row.campaign)  # the file's own campaign's document list
    names = {doc.code: doc.name for doc in kinds}
    rows, page = [], 1
    for number, doc in enumerate(documents, start=1):
        count = doc.scanned or doc.page_count or (
            doc.page_end - doc.page_start + 1 if doc.page_start and doc.page_end else 0)
        rows.append([str(number), doc.doc_number, doc.responsible, doc.title or names.get(doc.doc_type, doc.doc_type),
                     f"{doc.dated:%Y%m%d}" if doc.dated else "", _page_range(page, count), doc.remark])
        page += count
    unsorted = row.linked - sum(doc.scanned for doc in documents)
    present = {doc.doc_type for doc in documents}
    missing = [d.name for d in kinds if d.required and d.code not in present]
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
    rows = chosen_files(engine, village, keys)
    documents = file_documents(engine, [row.id for row in rows])
    households = [row.household_id for row in rows]
    findings = _open_findings(engine, config, households)
    differing = _scans_against_catalogue(engine, config, households)
    compilers = _compilers(engine)
    return [_file_sheet(config, row, documents[row.id], findings.get((row.household_id, row.campaign), {}),
                        differing.get((row.household_id, row.campaign), []), _compiled_by(compilers, row.created_at))
            for row in rows]


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
