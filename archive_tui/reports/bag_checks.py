"""四性检测报告 and the 电子档案移交与接收登记表 (DA/T 93-2022) on A4, or as one workbook."""

from __future__ import annotations

from pathlib import Path

from archive_tui.reports.certificates import SIGN_LINE, sign_lines
from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.grid import Column, Table, draw, lay_out
from archive_tui.reports.pdf import MIDDLE, TOP, Sheet, mm
from archive_tui.reports.transfers import draw_block

REPORT_COLUMNS = ["编号", "性质", "检测项", "结果", "说明"]
DETAIL_COLUMNS = ["编号", "检测项", "序号", "说明"]
SHOWN = 3  # problems quoted in an item's own row
LISTED = 50  # problems of each item listed in the PDF's 问题明细 (the workbook and JSON have all)


def _count(item: dict) -> int:
    return item.get("count", len(item["details"]))


def report_rows(items: list[dict], listed: int | None = LISTED) -> list[list[str]]:
    """One row per item; its 说明 states the true number of problems, quotes the first few and
    says where the rest are: the first ``listed`` in the PDF's 问题明细, all in the workbook's."""
    rows = []
    for item in items:
        count, details = _count(item), item["details"]
        text = "；".join(details[:SHOWN])
        if count > SHOWN:
            where = ("“问题明细”工作表列出全部" if listed is None
                     else f"问题明细列出前 {min(count, listed):,} 处" if count > listed else "问题明细列出全部")
            text = f"共 {count:,} 处（{where}）：{text}……"
        rows.append([item["code"], item["property"], item["name"], item["result"], text])
    return rows


def detail_rows(items: list[dict], limit: int | None = LISTED) -> list[list[str]]:
    """The problems of every item that has more than its own row quotes: all of them, or the
    first ``limit`` under a line stating the true total (共 1,234 处，以下列出前 50 处)."""
    rows = []
    for item in items:
        count, details = _count(item), item["details"]
        if count <= (SHOWN if limit is not None else 0):
            continue
        if limit is not None:
            shown = details[:limit]
            rows.append([item["code"], item["name"], "", f"共 {count:,} 处" + (
                f"，以下列出前 {len(shown):,} 处" if count > len(shown) else "，全部列出如下")])
        else:
            shown = details
        rows += [[item["code"], item["name"], str(number), detail] for number, detail in enumerate(shown, start=1)]
    return rows


def write_check_pdf(path: Path, font: PrintFont, title: str, facts: list[tuple[str, str]], items: list[dict],
                    register: list[tuple[str, str]], sides: list[str]) -> int:
    """The report (facts, then one row per item with its true count), the 问题明细 (the first
    problems of each item under its total), then the 登记表 with its signature lines."""
    sheet = Sheet(path, font, title)
    columns = [Column("编号", 14), Column("性质", 13), Column("检测项", 52), Column("结果", 13, "centre"),
               Column("说明", 83)]
    heading = [(title, 14), *[(f"{label}：{value}", 8) for label, value in facts]]
    layout = lay_out(sheet, Table(heading, columns, report_rows(items), size=8))
    details = detail_rows(items)
    detail_layout = None
    if details:
        detail_layout = lay_out(sheet, Table([("问题明细", 12)], [Column("编号", 14), Column("检测项", 40),
                                                                  Column("序号", 12, "right"), Column("说明", 109)],
                                             details, size=8, min_row_height=5 * mm))
    sheet.begin_section(layout.page_count + (detail_layout.page_count if detail_layout else 0) + 1)
    draw(sheet, layout)
    sheet.next_page()
    if detail_layout:
        draw(sheet, detail_layout)
        sheet.next_page()
    sheet.text(MIDDLE, TOP - 12 * mm, "电子档案移交与接收登记表", 18, centre=True)
    y = draw_block(sheet, Table([], [Column("项目", 40), Column("内容", 135)], [list(row) for row in register],
                                min_row_height=7 * mm, size=10), TOP - 22 * mm)
    sign_lines(sheet, y - SIGN_LINE / 2, [f"{side}（盖章）  经办人：__________  审核人：__________  "
                                          "日期：______年____月____日" for side in sides])
    sheet.next_page()
    sheet.save()
    return sheet.pages
