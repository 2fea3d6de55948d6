"""案卷封面 and 分隔页 as an A4 PDF: one cover per file, one separator per document type.

A household with files of two campaigns (确权 and 延包 …) has each cover name the other file as
相关案卷 (its campaign and 档号), and each file's separators follow its own campaign's document list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.pdf import LEFT, MIDDLE, PAGE_HEIGHT, RIGHT, Sheet, mm
from archive_tui.scanning.sheets import cover_payload, separator_payload


@dataclass(frozen=True)
class CoverFile:
    """What a cover shows about one household file."""

    archive_code: str
    title: str
    fonds_code: str
    fonds_name: str
    category: str
    volume_no: int
    year: int
    retention: str
    household: str
    cbfbm: str
    village: str
    group: str
    pages: int
    documents: int = 0  # 件数
    dates: str = ""  # 起止日期
    campaign: str = ""  # 工作阶段 of the file; "" or 确权: the first registration
    related: str = ""  # 相关案卷: the household's files of the other campaigns, e.g. 延包 Z001-NJ·2026-Y-00001


def _cover(sheet: Sheet, file: CoverFile) -> None:
    sheet.text(MIDDLE, PAGE_HEIGHT - 40 * mm, "案 卷 封 面", 26, centre=True)
    sheet.qr(RIGHT - 50 * mm, PAGE_HEIGHT - 100 * mm, cover_payload(file.archive_code), 50 * mm)
    sheet.text(LEFT + 5 * mm, PAGE_HEIGHT - 60 * mm, "档号", 12)
    sheet.box(LEFT + 5 * mm, PAGE_HEIGHT - 84 * mm, 105 * mm, 18 * mm)  # the 档号 in a ruled box
    sheet.fitted_text(LEFT + 8 * mm, PAGE_HEIGHT - 77 * mm, file.archive_code, 99 * mm, 18)
    sheet.text(LEFT + 5 * mm, PAGE_HEIGHT - 94 * mm, f"承包方编码 {file.cbfbm}", 11)
    sheet.paragraph(LEFT + 10 * mm, PAGE_HEIGHT - 125 * mm, file.title, RIGHT - LEFT - 20 * mm, 20, centre=True)
    rows = [
        ("全宗名称", file.fonds_name), ("全宗号", file.fonds_code), ("门类", file.category),
        ("案卷号", str(file.volume_no)), ("年度", str(file.year or "")), ("起止日期", file.dates),
        ("保管期限", file.retention), ("村（组）", f"{file.village} {file.group}".strip()), ("户主", file.household),
        ("件数", str(file.documents) if file.documents else ""), ("页数", str(file.pages) if file.pages else ""),
        *([("相关案卷", file.related)] if file.related else []),
    ]
    top, height, left, label_width, width = PAGE_HEIGHT - 150 * mm, 9.5 * mm, LEFT + 12 * mm, 32 * mm, 145 * mm
    for index, (label, value) in enumerate(rows):
        y = top - (index + 1) * height
        sheet.box(left, y, label_width, height)
        sheet.box(left + label_width, y, width - label_width, height)
        sheet.text(left + 3 * mm, y + 3 * mm, label, 11)
        sheet.fitted_text(left + label_width + 3 * mm, y + 3 * mm, value, width - label_width - 6 * mm, 11)
    sheet.text(MIDDLE, top - len(rows) * height - 7 * mm, "扫描时放在本卷第一页之前；本页不计入卷内页数", 9,
               centre=True)


def _separator(sheet: Sheet, file: CoverFile, doc_type: str, doc_name: str) -> None:
    sheet.text(MIDDLE, PAGE_HEIGHT - 40 * mm, "分 隔 页", 22, centre=True)
    sheet.fitted_text(MIDDLE, PAGE_HEIGHT - 70 * mm, doc_name, RIGHT - LEFT, 24, centre=True)
    sheet.text(MIDDLE, PAGE_HEIGHT - 85 * mm, f"文件类型 {doc_type}", 12, centre=True)
    sheet.qr(MIDDLE - 35 * mm, PAGE_HEIGHT - 170 * mm, separator_payload(file.archive_code, doc_type), 70 * mm)
    sheet.fitted_text(MIDDLE, PAGE_HEIGHT - 185 * mm, f"{file.household}  {file.archive_code}", RIGHT - LEFT, 14,
                      centre=True)
    sheet.text(MIDDLE, PAGE_HEIGHT - 200 * mm, "扫描时放在该类文件第一页之前；本页不归档", 9, centre=True)


def write_covers(path: Path, font: PrintFont, files: list[CoverFile], documents: list[tuple[str, str]],
                 campaign_documents: dict[str, list[tuple[str, str]]] | None = None) -> int:
    """Write the PDF; ``documents`` are (code, name) pairs for the separators, ``campaign_documents``
    those of a later campaign's files by campaign (else ``documents``). Returns pages."""
    sheet = Sheet(path, font, "案卷封面与分隔页")
    for file in files:
        separators = (campaign_documents or {}).get(file.campaign, documents)
        sheet.begin_section(1 + len(separators))  # each file's cover and separators numbered alone
        _cover(sheet, file)
        sheet.next_page(file.archive_code)
        for code, name in separators:
            _separator(sheet, file, code, name)
            sheet.next_page(file.archive_code)
    sheet.save()
    return sheet.pages
