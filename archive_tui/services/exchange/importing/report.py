"""What an import reports: rejects, flags, changes, conflicts and counts, and the report file.

Changes and conflicts name fields by their Chinese label; ID and phone numbers in them are
masked (the report file goes to other people's desks). Long lists are kept up to a limit
in memory, with the total counted, so a county-sized source cannot fill the memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from archive_tui.core.errors import ArchiveError
from archive_tui.core.privacy import mask_id, mask_phone

KEPT = 50_000  # rejects, changes and conflicts kept for the report; beyond this only counted
ID_FIELDS = frozenset({"id_number", "head_id_number", "collector_id_number", "person_id_number"})
PHONE_FIELDS = frozenset({"phone"})


def shown_value(attr: str, value: object) -> str:
    """A value as a change list shows it: ID and phone numbers masked."""
    text = "" if value is None else str(value)
    if attr in ID_FIELDS:
        return mask_id(text)
    if attr in PHONE_FIELDS:
        return mask_phone(text)
    return text


@dataclass(frozen=True)
class Reject:
    table: str
    row: int
    field: str
    reason: str

    def line(self) -> str:
        where = f"第{self.row}行" + (f" {self.field}" if self.field else "")
        return f"{self.table} {where}：{self.reason}"


@dataclass(frozen=True)
class Flag:
    household_code: str
    rule: str
    subject: str
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class Change:
    table: str  # Chinese table label
    key: str  # the row's code (and which member)
    field: str  # Chinese field label
    before: str  # as shown (masked)
    after: str

    def line(self) -> str:
        return f"{self.table} {self.key} {self.field}：“{self.before}” → “{self.after}”"


@dataclass(frozen=True)
class Conflict:
    """The source disagrees with a fact the archive owns; the archive's value was kept."""

    table: str
    key: str
    field: str
    ours: str  # as shown (masked)
    theirs: str
    why: str  # whose fact it is: 本档案中修改过 / 本档案已登记发证 …

    def line(self) -> str:
        return (f"{self.table} {self.key} {self.field}：保留本档案的“{self.ours}”（{self.why}），"
                f"数据源为“{self.theirs}”")


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
    reject_count: int = 0
    flags: list[Flag] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    change_count: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    conflict_count: int = 0
    other_township_rows: int = 0
    other_townships: set[str] = field(default_factory=set)
    ignored: list[str] = field(default_factory=list)
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)  # table → columns the standard does not name
    new_files: int = 0
    catalogued: int = 0  # 卷内目录 entries added or brought up to date from the data
    findings_opened: int = 0
    findings_resolved: int = 0
    notes: list[str] = field(default_factory=list)  # what the archivist should know of the source as a whole

    @property
    def changed(self) -> bool:
        return any(c.new or c.updated for c in self.counts.values()) or bool(
            self.findings_opened or self.findings_resolved or self.catalogued
        )

    def reject(self, reject: Reject) -> None:
        self.reject_count += 1
        if len(self.rejects) < KEPT:
            self.rejects.append(reject)

    def change(self, change: Change) -> None:
        self.change_count += 1
        if len(self.changes) < KEPT:
            self.changes.append(change)

    def conflict(self, conflict: Conflict) -> None:
        self.conflict_count += 1
        if len(self.conflicts) < KEPT:
            self.conflicts.append(conflict)

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


def _more(shown: int, total: int, what: str) -> list[str]:
    return [f"  ……另有{total - shown}{what}，见 --report 输出的报告"] if total > shown else []


class ImportRejected(ArchiveError):
    """The source has rejected rows and ``skip_rejects`` was not given: nothing was written."""

    def __init__(self, report: ImportReport):
        shown = [f"  - {r.line()}" for r in report.rejects[:50]]
        notes = [f"注意：{note}" for note in report.notes if "--campaign" in note]  # 延包 data given as 确权
        super().__init__(
            f"导入已中止：数据源 {report.source} 有{report.reject_count}处不合格，数据库未作任何改动。"
            "修正后重新导入，或加 --skip-rejects 跳过这些行：",
            details=notes + shown + _more(len(shown), report.reject_count, "条"),
        )
        self.report = report


def write_report(report: ImportReport, path: Path) -> None:
    """The reject, flag, change and conflict report as CSV (UTF-8 with BOM, opens in Excel) or XLSX."""
    header = ["类别", "表", "行号/编码", "字段", "说明"]
    lines = [["不合格", r.table, r.row, r.field, r.reason] for r in report.rejects]
    lines += [["问题标记", "", f.household_code, f.subject, f.message] for f in report.flags]
    lines += [["冲突（保留本档案）", c.table, c.key, c.field,
               f"本档案“{c.ours}”（{c.why}）；数据源“{c.theirs}”"] for c in report.conflicts]
    lines += [["变更", c.table, c.key, c.field, f"“{c.before}” → “{c.after}”"] for c in report.changes]
    for what, kept, total in (("不合格", len(report.rejects), report.reject_count),
                              ("冲突", len(report.conflicts), report.conflict_count),
                              ("变更", len(report.changes), report.change_count)):
        if total > kept:
            lines.append([what, "", "", "", f"另有{total - kept}条未列出（只列前{kept}条）"])
    from archive_tui.reports.tables import write_csv, write_xlsx

    # names and (masked) numbers of a township: the owner's only; text never a formula
    if path.suffix.lower() == ".xlsx":
        write_xlsx({"导入报告": (header, lines)}, path)
    else:
        write_csv(path, header, lines)
