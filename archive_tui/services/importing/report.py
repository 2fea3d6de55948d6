"""What an import reports: rejects, flags, changes and counts, and the report file."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from archive_tui.errors import ArchiveError


@dataclass(frozen=True)
class Reject:
    table: str
    row: int
    field: str
    reason: str

    def line(self) -> str:
        return f"{self.table} 第{self.row}行 {self.field}：{self.reason}"


@dataclass(frozen=True)
class Flag:
    household_code: str
    rule: str
    subject: str
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class Change:
    table: str
    key: str
    field: str
    before: str
    after: str

    def line(self) -> str:
        return f"{self.table} {self.key} {self.field}：“{self.before}” → “{self.after}”"


@dataclass
class TableCount:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    source: str
    kind: str
    counts: dict[str, TableCount] = field(default_factory=lambda: defaultdict(TableCount))
    rejects: list[Reject] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    other_township_rows: int = 0
    other_townships: set[str] = field(default_factory=set)
    ignored: list[str] = field(default_factory=list)
    new_files: int = 0
    findings_opened: int = 0
    findings_resolved: int = 0

    @property
    def changed(self) -> bool:
        return any(c.new or c.updated for c in self.counts.values()) or bool(
            self.findings_opened or self.findings_resolved
        )

    def flag_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for flag in self.flags:
            counts[FLAG_RULES.get(flag.rule, flag.rule)] += 1
        return dict(counts)


FLAG_RULES = {
    "id_number": "身份证号码缺失或无效",
    "id_legacy": "15位旧身份证号码待核对",
    "sequence_range": "承包方编码顺序号与承包方类型不符",
    "member_count": "成员数量与家庭成员表不符",
    "code_list": "代码不在国家代码表中",
    "member_incomplete": "成员信息不完整",
    "contract_suffix": "合同编码尾字母与承包方式不符",
}
"""Rules of the flags the import raises (the quality checks use the same rule ids)."""


class ImportRejected(ArchiveError):
    """The source has rejected rows and ``skip_rejects`` was not given: nothing was written."""

    def __init__(self, report: ImportReport):
        shown = [f"  - {r.line()}" for r in report.rejects[:50]]
        if len(report.rejects) > 50:
            shown.append(f"  ……另有{len(report.rejects) - 50}条，见 --report 输出的报告")
        super().__init__(
            f"导入已中止：数据源 {report.source} 有{len(report.rejects)}行不合格，数据库未作任何改动。"
            "修正后重新导入，或加 --skip-rejects 跳过这些行：",
            details=shown,
        )
        self.report = report


def write_report(report: ImportReport, path: Path) -> None:
    """The reject and change report as CSV (UTF-8 with BOM, opens in Excel) or XLSX."""
    header = ["类别", "表", "行号/编码", "字段", "说明"]
    lines = [["不合格", r.table, r.row, r.field, r.reason] for r in report.rejects]
    lines += [["问题标记", "", f.household_code, f.subject, f.message] for f in report.flags]
    lines += [["变更", c.table, c.key, c.field, f"“{c.before}” → “{c.after}”"] for c in report.changes]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "导入报告"
        sheet.append(header)
        for line in lines:
            sheet.append(line)
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(lines)

