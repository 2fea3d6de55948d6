"""发证率表: the issue-rate report (``certs report --out``) as XLSX or as an A4 PDF table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui.services.households.archive_files import short_group
from archive_tui.services.printed import PrintResult, font_of, glyph_warnings
from archive_tui.services.registers.certificates import issue_report, report_total

FORMATS = (".pdf", ".xlsx")


def write_issue_report(engine: Engine, config: Config, out: Path, *, by_group: bool = False,
                       rows: list[dict] | None = None):
    """The issue-rate table of every village (or group) with its 合计 row, in the format
    ``out``'s suffix names; returns a PrintResult."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ArchiveError(f"输出文件 {out.name} 应以 .pdf 或 .xlsx 结尾")
    rows = issue_report(engine, by_group=by_group) if rows is None else rows
    every = rows + [report_total(rows)]
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        from archive_tui.reports.certificates import write_issue_report_xlsx

        write_issue_report_xlsx(out, every, by_group)
        return PrintResult(out, len(rows), 1)
    from archive_tui.reports.grid import Column, Table, print_table
    from archive_tui.reports.pdf import Sheet

    settings = config.settings
    title = f"{settings.township.name}农村土地承包经营权证发证情况"
    today = dt.date.today()
    heading = [(title, 14), (f"按{'村民小组' if by_group else '村'}统计  "
                             f"截至 {today.year}年{today.month}月{today.day}日  发证率目标 100%", 10)]
    columns = ([Column("村", 28)] + ([Column("组", 16)] if by_group else [])
               + [Column(name, 16, "right") for name in ("户数", "已发证", "发证率")]
               + [Column(name, 18, "right") for name in ("新证未发", "旧证未收回", "已收回未销毁")])
    body = [[row["village"], *([short_group(row.get("group", ""))] if by_group else []), f"{row['households']:,}",
             f"{row['issued']:,}", f"{row['issue_rate']:.1f}%", f"{row['new_not_issued']:,}",
             f"{row['old_not_recalled']:,}", f"{row['recalled_not_destroyed']:,}"] for row in every]
    if by_group:
        body[-1][1] = ""
    font = font_of(config)
    warnings = [warning for row in rows
                for warning in glyph_warnings(font, row["village"], [row["village"], row.get("group", "")])]
    sheet = Sheet(out, font, title)
    print_table(sheet, Table(heading, columns, body, total_rows=1, size=9))
    sheet.save()
    return PrintResult(out, len(rows), sheet.pages, warnings)
