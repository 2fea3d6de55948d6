"""Printed certificate registers: 销毁清册 and 颁证清册 (PDF and XLSX), the issue-rate workbook."""

from __future__ import annotations

from pathlib import Path

from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.grid import Column, Table, draw, lay_out
from archive_tui.reports.pdf import LEFT, MIDDLE, RIGHT, TOP, Sheet, mm
from archive_tui.reports.tables import TitledTable, write_titled_xlsx

DESTRUCTION_COLUMNS = [Column("序号", 9, "centre"), Column("档号或编号（证书编码、证书编号）", 31.5),
                       Column("题名", 18), Column("年度", 9, "centre"), Column("应保管期限", 9, "centre"),
                       Column("已保管期限", 9, "centre"), Column("销毁原因", 21), Column("收回日期", 14, "centre"),
                       Column("交回人", 13), Column("证书状况", 13), Column("件数", 6, "right"), Column("备注", 22.5)]
"""The 销毁清册 on A4: a certificate's code and its number share one column, one above the other."""
DESTRUCTION_SHEET_COLUMNS = ["序号", "证书编号", "题名", "年度", "档号或编号", "应保管期限", "已保管期限", "销毁原因",
                             "收回日期", "交回人", "证书状况", "件数", "备注"]
"""… and in a workbook, every field in a column of its own."""
ROSTER_COLUMNS = [Column("序号", 9, "centre"), Column("承包方名称", 17), Column("合同编号", 35), Column("证书编号", 30),
                  Column("确权面积（亩）", 15, "right"), Column("身份证号码", 33), Column("领证人签字", 20),
                  Column("领取日期", 16)]
WIDE = 8.5  # points: these lists carry 16- to 19-digit codes, each on one line
SIGN_LINE = 11 * mm


def sign_lines(sheet: Sheet, y: float, lines: list[str]) -> float:
    for line in lines:
        y = sheet.paragraph(LEFT + 4 * mm, y - SIGN_LINE, line, RIGHT - LEFT - 4 * mm, 11) + 11 * 1.3
    return y


def _facts_page(sheet: Sheet, title: str, facts: list[tuple[str, str]], signatures: list[str]) -> None:
    sheet.text(MIDDLE, TOP - 25 * mm, title, 20, centre=True)
    y = draw(sheet, lay_out(sheet, Table([], [Column("项目", 34), Column("内容", 141)], [list(f) for f in facts],
                                         size=10, min_row_height=7 * mm), top=TOP - 40 * mm), top=TOP - 40 * mm)
    sign_lines(sheet, y - 4 * mm, [f"{who}（签字）：____________________    日期：______年____月____日"
                                    for who in signatures])


def write_destruction_pdf(path: Path, font: PrintFont, cover: list[tuple[str, str]], table: TitledTable,
                          approvals: list[str], supervisors: list[str], *, draft: bool) -> int:
    """The cover (facts, approvals' signature lines), the list with its 合计, and under it the
    监销人's signatures (on a page of their own only when the last page has no room)."""
    sheet = Sheet(path, font, table.heading[0], draft=draft)
    signatures = [f"监销人 {name}（签字）：____________________    日期：______年____月____日" for name in supervisors]
    grid = Table([(table.heading[0], 15), *[(line, 10) for line in table.heading[1:]]], DESTRUCTION_COLUMNS,
                 table.rows, total_rows=table.total_rows, size=WIDE, after=(len(signatures) + 1) * SIGN_LINE)
    layout = lay_out(sheet, grid)
    sheet.begin_section(layout.page_count + 1)
    _facts_page(sheet, table.heading[0], cover, approvals)
    sheet.next_page()
    y = draw(sheet, layout)
    sign_lines(sheet, y - 2 * mm, signatures)
    sheet.next_page()
    sheet.save()
    return sheet.pages


def write_roster_pdf(path: Path, font: PrintFont, tables: list[TitledTable]) -> int:
    """颁证清册: one numbered section per group, each with its 填表人/审核人 block under the list."""
    sheet = Sheet(path, font, "农村土地承包经营权证颁证清册")
    for table in tables:
        grid = Table([(table.heading[0], 14), *[(line, 10) for line in table.heading[1:]]], ROSTER_COLUMNS,
                     table.rows, total_rows=table.total_rows, size=WIDE, min_row_height=9 * mm,
                     after=2 * SIGN_LINE)
        layout = lay_out(sheet, grid)
        sheet.begin_section(layout.page_count)
        y = draw(sheet, layout, footer=table.name)
        sign_lines(sheet, y - 2 * mm, ["填表人（签字）：____________    审核人（签字）：____________    "
                                        "日期：_____年___月___日"])
        sheet.next_page(table.name)
    sheet.save()
    return sheet.pages


def write_issue_report_xlsx(path: Path, rows: list[dict], by_group: bool) -> Path:
    columns = (["村"] + (["组"] if by_group else [])
               + ["户数", "已发证", "发证率(%)", "新证未发", "旧证未收回", "已收回未销毁"])
    body = [[row["village"], *([row.get("group", "")] if by_group else []), row["households"], row["issued"],
             row["issue_rate"], row["new_not_issued"], row["old_not_recalled"], row["recalled_not_destroyed"]]
            for row in rows]
    return write_titled_xlsx(path, [TitledTable("发证率", ["农村土地承包经营权证发证率"], columns, body)])
