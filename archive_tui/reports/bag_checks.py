"""四性检测报告 and the 电子档案移交与接收登记表 (DA/T 93-2022) on A4, or as one workbook."""

from __future__ import annotations

from pathlib import Path

from archive_tui.reports.certificates import SIGN_LINE, sign_lines
from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.grid import Column, Table, draw, lay_out
from archive_tui.reports.pdf import MIDDLE, TOP, Sheet, mm
from archive_tui.reports.transfers import draw_block

REPORT_COLUMNS = ["编号", "性质", "检测项", "结果", "说明"]


def report_rows(items: list[dict]) -> list[list[str]]:
    return [[item["code"], item["property"], item["name"], item["result"],
             "；".join(item["details"][:5]) + (f"……共 {len(item['details'])} 处" if len(item["details"]) > 5 else "")]
            for item in items]


def write_check_pdf(path: Path, font: PrintFont, title: str, facts: list[tuple[str, str]], items: list[dict],
                    register: list[tuple[str, str]], sides: list[str]) -> int:
    """The report (facts, then one row per item), then the 登记表 with its signature lines."""
    sheet = Sheet(path, font, title)
    columns = [Column("编号", 14), Column("性质", 13), Column("检测项", 52), Column("结果", 13, "centre"),
               Column("说明", 83)]
    heading = [(title, 14), *[(f"{label}：{value}", 8) for label, value in facts]]
    layout = lay_out(sheet, Table(heading, columns, report_rows(items), size=8))
    sheet.begin_section(layout.page_count + 1)
    draw(sheet, layout)
    sheet.next_page()
    sheet.text(MIDDLE, TOP - 12 * mm, "电子档案移交与接收登记表", 18, centre=True)
    y = draw_block(sheet, Table([], [Column("项目", 40), Column("内容", 135)], [list(row) for row in register],
                                min_row_height=7 * mm, size=10), TOP - 22 * mm)
    sign_lines(sheet, y - SIGN_LINE / 2, [f"{side}（盖章）  经办人：__________  审核人：__________  "
                                          "日期：______年____月____日" for side in sides])
    sheet.next_page()
    sheet.save()
    return sheet.pages
