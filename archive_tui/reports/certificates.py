"""Printed certificate registers: 销毁清册 and 颁证清册 (PDF and XLSX), the issue-rate workbook."""

from __future__ import annotations

from pathlib import Path

from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.pdf import PAGE_HEIGHT, PAGE_WIDTH, Sheet, draw_grid, mm
from archive_tui.reports.tables import TitledTable, write_titled_xlsx

DESTRUCTION_COLUMNS = [("序号", 12), ("题名", 62), ("年度", 14), ("档号或编号", 40), ("应保管期限", 18),
                       ("已保管期限", 18), ("页数/件数", 14), ("备注", 22)]
ROSTER_COLUMNS = [("序号", 11), ("承包方名称", 24), ("合同编号", 42), ("确权面积（亩）", 22), ("身份证号码", 38),
                  ("领证人签字", 28), ("领取日期", 20)]


def write_destruction_pdf(path: Path, font: PrintFont, cover: list[tuple[str, str]], table: TitledTable,
                          signatures: list[str]) -> int:
    """The cover page (facts and signature lines), then the list of certificates."""
    sheet = Sheet(path, font, table.heading[0])
    sheet.text(PAGE_WIDTH / 2, PAGE_HEIGHT - 45 * mm, table.heading[0], 22, centre=True)
    y = PAGE_HEIGHT - 75 * mm
    for label, value in cover:
        sheet.text(35 * mm, y, f"{label}：", 12)
        sheet.fitted_text(75 * mm, y, value, 100 * mm, 12)
        y -= 10 * mm
    y -= 8 * mm
    for who in signatures:
        sheet.text(35 * mm, y, f"{who}（签字）：__________________    日期：______年____月____日", 11)
        y -= 12 * mm
    sheet.next_page()
    widths = [(title, width * mm) for title, width in DESTRUCTION_COLUMNS]
    pages = draw_grid(sheet, [(table.heading[0], 14), *[(line, 10) for line in table.heading[1:]]], widths,
                      table.rows)
    sheet.save()
    return pages + 1


def write_roster_pdf(path: Path, font: PrintFont, tables: list[TitledTable]) -> int:
    """颁证清册: one group per section, each starting on a new page."""
    sheet = Sheet(path, font, "农村土地承包经营权证颁证清册")
    widths = [(title, width * mm) for title, width in ROSTER_COLUMNS]
    pages = 0
    for table in tables:
        pages += draw_grid(sheet, [(table.heading[0], 14), *[(line, 10) for line in table.heading[1:]]], widths,
                           table.rows, row_height=10 * mm, footer=table.name)
    sheet.save()
    return pages


def write_issue_report_xlsx(path: Path, rows: list[dict], by_group: bool) -> Path:
    columns = (["村"] + (["组"] if by_group else [])
               + ["户数", "已发证", "发证率(%)", "新证未发", "旧证未收回", "已收回未销毁"])
    body = [[row["village"], *([row.get("group", "")] if by_group else []), row["households"], row["issued"],
             row["issue_rate"], row["new_not_issued"], row["old_not_recalled"], row["recalled_not_destroyed"]]
            for row in rows]
    return write_titled_xlsx(path, [TitledTable("发证率", ["农村土地承包经营权证发证率"], columns, body)])
