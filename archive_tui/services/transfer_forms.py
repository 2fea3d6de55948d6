"""The papers of a transfer batch: 移交清单 (PDF, XLSX, CSV) and its 交接文据.

The 交接文据 states what the township hands over and how the archive received it: 移交单位
(full name), 接收单位, 移交日期, counts of files, documents (件) and pages, 起止年度, the scanned
copies, the transfer package (files, bytes and its SHA-256 digest, the algorithm named), the
audit-trail head, and — once the batch is closed — 接收意见 with the received, missing and
damaged counts. A draft batch prints with a 草稿 mark.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from archive_tui.config import Config
from archive_tui.errors import ArchiveError
from archive_tui.services import audit
from archive_tui.services.archive_files import LEVEL_LABELS
from archive_tui.services.printing import PrintResult, glyph_warnings
from archive_tui.services.transfers import (
    FILE, ITEM, RESULT_LABELS, SCAN, STATUS_LABELS, _items, _record_items, find_batch, pages_of,
)
from models import FileCopy

COPY = FileCopy.__table__
FORMATS = (".pdf", ".xlsx", ".csv")


def _scanned_bytes(engine: Engine, batch_id: int) -> tuple[int, int]:
    """Linked pages of the batch's files and items and their bytes (数字化副本)."""
    query = (select(func.count(SCAN.c.id), func.coalesce(func.sum(SCAN.c.size), 0))
             .join(FILE, FILE.c.id == SCAN.c.archive_file_id).join(COPY, COPY.c.archive_file_id == FILE.c.id)
             .join(ITEM, ITEM.c.copy_id == COPY.c.id)
             .where(ITEM.c.transfer_id == batch_id, SCAN.c.status == "linked"))
    items = (select(func.count(SCAN.c.id), func.coalesce(func.sum(SCAN.c.size), 0))
             .join(ITEM, ITEM.c.record_item_id == SCAN.c.record_item_id)
             .where(ITEM.c.transfer_id == batch_id, SCAN.c.status == "linked"))
    with engine.connect() as connection:
        pages, size = connection.execute(query).one()
        item_pages, item_size = connection.execute(items).one()
    return int(pages) + int(item_pages), int(size) + int(item_size)


def _packages(engine: Engine, number: str) -> list[dict]:
    """The bags of the last package made of the batch (name, files, bytes, sha256)."""
    made = [event for event in audit.log(engine, entity_key=number, limit=None)
            if event["action"] == "transfer.package"]
    bags = made[-1]["after"].get("bags", []) if made else []
    return [bag for bag in bags if isinstance(bag, dict)]  # packages made before 2026-11 recorded names only


def _package_text(engine: Engine, number: str) -> str:
    """The last package made of the batch, as the 交接文据 states it."""
    bags = _packages(engine, number)
    if not bags:
        return "未制作（用 archive-tui transfers package 制作后重新打印本清单）"
    return "；".join(f"{bag['name']}：{bag['files']} 个文件，{bag['bytes']:,} 字节，"
                    f"摘要算法 SHA-256（tagmanifest-sha256.txt）{bag['sha256']}"
                    + (f"；SM3 {bag['sm3']}" if bag.get("sm3") else "") for bag in bags)


def _opinion(batch, items: list) -> str:
    if batch.status != "received":
        return "" if batch.status != "returned" else f"已退回。{batch.note}"
    counts = {result: [item.archive_code for item in items if item.result == result] for result in RESULT_LABELS}
    text = (f"实收 {len(counts['received']) + len(counts['damaged'])} 卷（其中破损 {len(counts['damaged'])} 卷），"
            f"缺失 {len(counts['missing'])} 卷。")
    for result in ("missing", "damaged"):
        if counts[result]:
            text += f"{RESULT_LABELS[result]}：{'、'.join(counts[result])}。"
    return text


def _years(items: list) -> str:
    years = sorted({item.year for item in items if item.year})
    return "" if not years else str(years[0]) if len(years) == 1 else f"{years[0]}—{years[-1]}"


def manifest(engine: Engine, config: Config, number: str, out: Path) -> PrintResult:
    """移交清单 as PDF (with the 交接文据), XLSX (the same blocks under the list) or CSV; printing
    the same batch twice gives the same content."""
    from archive_tui.reports.fonts import font_of
    from archive_tui.reports.tables import TitledTable, write_csv, write_titled_xlsx
    from archive_tui.reports.transfers import MANIFEST_COLUMNS, SIDES, Handover, write_manifest_pdf

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ArchiveError(f"输出文件 {out.name} 应以 .pdf、.xlsx 或 .csv 结尾")
    with engine.connect() as connection:
        batch = find_batch(connection, number)
        items = _items(connection, batch.id)
        records = _record_items(connection, batch.id)
    if not items and not records:
        raise ArchiveError(f"移交批次 {batch.batch_no} 中还没有案卷")
    rows = [[str(i), item.archive_code, item.title, str(item.year or ""), item.retention, str(item.documents),
             str(pages_of(item)), RESULT_LABELS.get(item.result, "") or ("放行：" + item.override_reason
                                                                         if item.override_reason else "")]
            for i, item in enumerate(items, start=1)]
    rows += [[str(i), row.archive_code, row.title, str(row.year), row.retention, "1",
              str(row.pages or row.scanned or 0), "综合档案 " + (RESULT_LABELS.get(row.result, "") or (
                  "放行：" + row.override_reason if row.override_reason else ""))]
             for i, row in enumerate(records, start=len(items) + 1)]
    documents = sum(item.documents for item in items) + len(records)
    pages = sum(pages_of(item) for item in items) + sum(row.pages or row.scanned or 0 for row in records)
    counted = "、".join(part for part in (f"{len(items)} 卷" if items else "",
                                          f"综合档案 {len(records)} 件" if records else "") if part)
    rows.append(["合计", counted, "", "", "", str(documents), str(pages), ""])
    settings = config.settings
    draft = batch.status == "draft"
    heading = [f"{settings.township.name}农村土地承包经营权确权登记档案移交清单",
               f"批次 {batch.batch_no}（{STATUS_LABELS[batch.status]}）  {LEVEL_LABELS[batch.level]}  "
               f"接收单位 {batch.to_name}  全宗号 {settings.archive.fonds_code}"]
    columns = [column.title for column in MANIFEST_COLUMNS]
    if suffix == ".csv":
        write_csv(out, columns, rows)
        return PrintResult(out, len(items) + len(records), 1)
    scanned, size = _scanned_bytes(engine, batch.id)
    facts = [("移交单位", settings.township_full_name), ("接收单位", batch.to_name),
             ("移交批次", f"{batch.batch_no}（{STATUS_LABELS[batch.status]}）"),
             ("移交日期", batch.sent_at.date().isoformat() if batch.sent_at else "（尚未移交）"),
             ("移交内容", f"农村土地承包经营权确权登记档案（{LEVEL_LABELS[batch.level]}，一户一卷）"
              + ("及综合档案（按件）" if records else "")),
             ("案卷数量", counted), ("件数合计", f"{documents} 件"), ("页数合计", f"{pages} 页"),
             ("起止年度", _years([*items, *records])), ("数字化副本", f"扫描件 {scanned} 页，{size:,} 字节"),
             ("移交包", _package_text(engine, batch.batch_no)),
             ("交接文据", f"一式 {batch.document_copies} 份，移交、接收单位各执一份，监交单位存一份"),
             ("审计日志", audit.anchor_text(engine))]
    handover = Handover(facts, _opinion(batch, items),
                        [settings.township_full_name, batch.to_name, settings.county.agriculture_office],
                        [batch.handed_over_by, batch.received_by, batch.supervised_by],
                        [bag["sha256"] for bag in _packages(engine, batch.batch_no)])
    if suffix == ".xlsx":
        after = [["交接文据"], *[[label, value] for label, value in facts], ["接收意见", handover.opinion], [],
                 ["", *SIDES], ["单位名称", *handover.units], ["负责人（签字）"],
                 ["经办人（签字）", *handover.people], ["日期"], ["（盖章）"]]
        if draft:
            heading[1] += "  草稿（不作正式文书）"
        write_titled_xlsx(out, [TitledTable("移交清单", heading, columns, rows, total_rows=1, after=after)])
        return PrintResult(out, len(items) + len(records), 1)
    font = font_of(config)
    pages = write_manifest_pdf(out, font, heading, rows, handover, draft=draft)
    warnings = [warning for item in items
                for warning in glyph_warnings(font, f"{item.archive_code}（{item.household}）", [item.title])]
    return PrintResult(out, len(items) + len(records), pages, warnings)
