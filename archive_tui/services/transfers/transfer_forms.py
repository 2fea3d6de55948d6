"""The papers of a transfer batch: 移交清单 (PDF, XLSX, CSV) and its 交接文据.

The 交接文据 states what the township hands over and how the archive received it: 移交单位
(full name), 接收单位, 移交日期, counts of files, documents (件) and pages, 起止年度, the scanned
copies, the transfer package (files, bytes and its SHA-256 digest, the algorithm named), the
四性检测 result of that package (passed, or failed with which items), any 放行 (a send or an
add that went through with a reason), the audit-trail head, and — once the batch is closed —
接收意见 with the received, missing and damaged counts, the 合计 counting what was received.
A draft batch prints with a 草稿 mark, made anew each time. When the batch is sent (and when a
package is made of it afterwards) and when it is received, the papers are rendered once and
kept (``kept_forms``): printing them again gives those files byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Connection, func, select

from archive_tui.core.states import BatchStatus, PageStatus
from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.display import chinese_date, chinese_time
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.services.registers import kept_forms
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.printed import PrintResult, glyph_warnings
from archive_tui.services.transfers.bag_checks import ITEMS
from archive_tui.services.transfers.batch_records import (
    RESULT_LABELS, _items, _record_items, campaign_content, campaign_order, find_batch, pages_of,
)
from archive_tui.core.states import BATCH_STATUS_LABELS as STATUS_LABELS
from models.tables import local_time
from archive_tui.db.tables import AUDIT, COPY, FILE, SCAN, TRANSFER_ITEM as ITEM
from models.tables import now

FORMATS = (".pdf", ".xlsx", ".csv")
KEPT_STATES = (BatchStatus.SENT, BatchStatus.RECEIVED)  # a batch in these states prints the papers kept for it


def _scanned_bytes(connection: Connection, batch_id: int) -> tuple[int, int]:
    """Linked pages of the batch's files and items and their bytes (数字化副本)."""
    query = (select(func.count(SCAN.c.id), func.coalesce(func.sum(SCAN.c.size), 0))
             .join(FILE, FILE.c.id == SCAN.c.archive_file_id).join(COPY, COPY.c.archive_file_id == FILE.c.id)
             .join(ITEM, ITEM.c.copy_id == COPY.c.id)
             .where(ITEM.c.transfer_id == batch_id, SCAN.c.status == PageStatus.LINKED))
    items = (select(func.count(SCAN.c.id), func.coalesce(func.sum(SCAN.c.size), 0))
             .join(ITEM, ITEM.c.record_item_id == SCAN.c.record_item_id)
             .where(ITEM.c.transfer_id == batch_id, SCAN.c.status == PageStatus.LINKED))
    pages, size = connection.execute(query).one()
    item_pages, item_size = connection.execute(items).one()
    return int(pages) + int(item_pages), int(size) + int(item_size)


def _events(connection: Connection, number: str, action: str) -> list:
    """The batch's audit events of ``action``, oldest first (id, time, operator, after)."""
    rows = connection.execute(select(AUDIT.c.id, AUDIT.c.recorded_at, AUDIT.c.operator, AUDIT.c.after)
                              .where(AUDIT.c.entity_key == number, AUDIT.c.action == action)
                              .order_by(AUDIT.c.id)).all()
    return [(row.id, row.recorded_at, row.operator, json.loads(row.after or "{}")) for row in rows]


def _packages(connection: Connection, number: str) -> list[dict]:
    """The bags of the last package made of the batch (name, files, bytes, sha256)."""
    made = _events(connection, number, "transfer.package")
    bags = made[-1][3].get("bags", []) if made else []
    return [bag for bag in bags if isinstance(bag, dict)]  # packages made before 2026-11 recorded names only


def _package_text(bags: list[dict]) -> str:
    """The last package made of the batch, as the 交接文据 states it."""
    if not bags:
        return "未制作（用 archive-tui transfers package 制作后重新打印本清单）"
    return "；".join(f"{bag['name']}：{bag['files']} 个文件，{bag['bytes']:,} 字节，"
                    f"摘要算法 SHA-256（tagmanifest-sha256.txt）{bag['sha256']}"
                    + (f"；SM3 {bag['sm3']}" if bag.get("sm3") else "") for bag in bags)


def _item_names() -> dict[str, str]:
    return {code: name for code, name, _check in ITEMS}


PROPERTY_ORDER = ("真实性", "完整性", "可用性", "安全性")  # DA/T 70's order (the audit stores them sorted)


def check_text(connection: Connection, number: str, bags: list[dict]) -> str:
    """四性检测 of the package the 交接文据 names: the newest check of a bag with its digest;
    else the newest check of the batch, said to be of another package; else 未检测."""
    checks = _events(connection, number, "transfer.check")
    if not checks:
        return "未检测（用 archive-tui transfers check 批次号 检测后重新打印）"
    digests = {bag.get("sha256") for bag in bags}
    named = [check for check in checks if check[3].get("digest") in digests]
    _id, at, _operator, after = (named or checks)[-1]
    properties = after.get("properties", {})
    verdict = "、".join(f"{name}{properties[name]}" for name in
                       sorted(properties, key=lambda name: (PROPERTY_ORDER + (name,)).index(name))) or "结果未记录"
    failed = after.get("failed_items") or [{"code": code} for code in after.get("failed", [])]
    names = _item_names() if failed else {}
    text = f"{chinese_time(at)} 检测，{verdict}"
    if failed:
        text += "；不通过的项：" + "、".join(
            f"{entry['code']} {entry.get('name') or names.get(entry['code'], '')}"
            + (f"（{entry['count']:,} 处）" if entry.get("count") else "") for entry in failed)
    else:
        text += "；全部检测项通过" if all(value == "通过" for value in properties.values()) else ""
    if not named:
        text += (f"。注：所检为检测时临时打包的本批次（摘要 {str(after.get('digest', ''))[:16]}…），"
                 "与上列移交包的摘要不同" if bags else "。注：所检为检测时临时打包的本批次")
    return text


def override_text(connection: Connection, number: str, items: list, records: list,
                  sending: tuple | None = None) -> str:
    """放行: a send that went despite a failed 四性检测, and the files or items added despite
    their problems, each with its reason. ``sending``: (time, operator, the send's audit
    facts) of a send being recorded now."""
    parts = []
    for _id, at, operator, after in [*_events(connection, number, "transfer.send"), *([(0, *sending)]
                                                                                       if sending else [])]:
        if after.get("override"):
            parts.append(f"移交时四性检测{'、'.join(after.get('check', []))}不通过，经 {operator} 于 "
                         f"{chinese_time(at)} 放行，理由：{after['override']}")
    reasons: dict[str, list[str]] = {}
    for row in [*items, *records]:
        if row.override_reason:
            reasons.setdefault(row.override_reason, []).append(row.archive_code)
    for reason, codes in reasons.items():
        parts.append(f"加入批次时放行 {len(codes)} 卷（件）（{'、'.join(codes[:5])}{'等' if len(codes) > 5 else ''}），"
                     f"理由：{reason}")
    return "；".join(parts) or "无"


def _opinion(batch, items: list) -> str:
    """接收意见 of a received batch (files and 综合档案 items alike)."""
    if batch.status != BatchStatus.RECEIVED:
        return "" if batch.status != BatchStatus.RETURNED else f"已退回。{batch.note}"
    counts = {result: [item.archive_code for item in items if item.result == result] for result in RESULT_LABELS}
    unit = "卷（件）" if any(not hasattr(item, "cbfbm") for item in items) else "卷"
    text = (f"实收 {len(counts['received']) + len(counts['damaged'])} {unit}（其中破损 {len(counts['damaged'])} "
            f"{unit}），缺失 {len(counts['missing'])} {unit}。")
    for result in ("missing", "damaged"):
        if counts[result]:
            text += f"{RESULT_LABELS[result]}：{'、'.join(counts[result])}。"
    return text


def _years(items: list) -> str:
    years = sorted({item.year for item in items if item.year})
    return "" if not years else str(years[0]) if len(years) == 1 else f"{years[0]}—{years[-1]}"


def _remark(row, prefix: str = "") -> str:
    """备注 of a list row: the receipt result and, kept after receipt, the 放行 reason."""
    parts = [part for part in (RESULT_LABELS.get(row.result, ""),
                               f"放行：{row.override_reason}" if row.override_reason else "") if part]
    return prefix + "；".join(parts)


GROUP_NUMBERS = "一二三四五六七八九十"  # 一、确权 二、延包 …: the groups of the list


def _file_row(number: int, item) -> list[str]:
    return [str(number), item.archive_code, item.title, str(item.year or ""), item.retention, str(item.documents),
            str(pages_of(item)), _remark(item)]


def _list_rows(config: Config, campaigns: list[str], items: list, records: list, received: bool) -> list[list[str]]:
    """The rows of the list above its 合计: the files in 档号 order, then the 综合档案 items. With
    ``campaigns`` (a batch holding a later campaign's files), the files grouped by campaign, each
    group under its heading (一、确权 …) and closed by its 小计 of 卷, 件 and 页 (实收 once received);
    the 综合档案 items then under their own heading."""
    records_rows = [[str(i), row.archive_code, row.title, str(row.year), row.retention, "1",
                     str(row.pages or row.scanned or 0), _remark(row, "综合档案 ")]
                    for i, row in enumerate(records, start=len(items) + 1)]
    if not campaigns:
        return [_file_row(i, item) for i, item in enumerate(items, start=1)] + records_rows
    rows: list[list[str]] = []
    number = 0
    for index, campaign in enumerate(campaigns):
        group = [item for item in items if item.campaign == campaign]
        rows.append(["", f"{GROUP_NUMBERS[index % len(GROUP_NUMBERS)]}、{campaign}", campaign_content(config, campaign),
                     "", "", "", "", ""])
        for item in group:
            number += 1
            rows.append(_file_row(number, item))
        counted = [item for item in group if not received or item.result != "missing"]
        lost = len(group) - len(counted)
        rows.append(["小计", (f"{campaign} 实收 {len(counted)} 卷" + (f"（缺失 {lost} 卷未计入）" if lost else "")
                              if received else f"{campaign} {len(counted)} 卷"), "", "", "",
                     str(sum(item.documents for item in counted)), str(sum(pages_of(item) for item in counted)), ""])
    if records_rows:
        rows.append(["", f"{GROUP_NUMBERS[len(campaigns) % len(GROUP_NUMBERS)]}、综合档案", "综合档案（按件）",
                     "", "", "", "", ""])
    return rows + records_rows


def _render(connection: Connection, config: Config, number: str, out: Path,
            sending: tuple | None = None, packaged: list[dict] | None = None) -> PrintResult:
    """移交清单 as PDF (with the 交接文据), XLSX (the same blocks under the list) or CSV, from what
    ``connection`` sees; the same batch in the same state gives the same content."""
    from archive_tui.reports.fonts import font_of
    from archive_tui.reports.tables import TitledTable, write_csv, write_titled_xlsx
    from archive_tui.reports.transfers import MANIFEST_COLUMNS, SIDES, Handover, write_manifest_pdf

    suffix = out.suffix.lower()
    batch = find_batch(connection, number)
    items = _items(connection, batch.id)
    records = _record_items(connection, batch.id)
    if not items and not records:
        raise ArchiveError(f"移交批次 {batch.batch_no} 中还没有案卷")
    received = batch.status == BatchStatus.RECEIVED
    campaigns = campaign_order(config, [item.campaign for item in items])
    grouped = campaigns not in ([], [PRIMARY_CAMPAIGN])  # a batch of 确权 files only is listed as it always was
    rows = _list_rows(config, campaigns if grouped else [], items, records, received)
    counted_items = [item for item in items if not received or item.result != "missing"]
    counted_records = [row for row in records if not received or row.result != "missing"]
    missing = "、".join(part for part in (
        f"{len(items) - len(counted_items)} 卷" if len(items) > len(counted_items) else "",
        f"综合档案 {len(records) - len(counted_records)} 件" if len(records) > len(counted_records) else "") if part)
    documents = sum(item.documents for item in counted_items) + len(counted_records)
    pages = sum(pages_of(item) for item in counted_items) + sum(row.pages or row.scanned or 0
                                                                for row in counted_records)
    by_campaign = ("（" + "、".join(f"{campaign} {sum(item.campaign == campaign for item in counted_items)} 卷"
                                   for campaign in campaigns) + "）") if grouped else ""  # 5 卷（确权 3 卷、延包 2 卷）
    counted = "、".join(part for part in (f"{len(counted_items)} 卷{by_campaign}" if items else "",
                                          f"综合档案 {len(counted_records)} 件" if records else "") if part)
    total = f"实收 {counted}" + (f"（缺失 {missing} 未计入）" if missing else "") if received else counted
    rows.append(["合计", total, "", "", "", str(documents), str(pages), ""])
    settings = config.settings
    draft = batch.status == BatchStatus.DRAFT
    heading = [f"{settings.township.name}农村土地承包档案移交清单（{'、'.join(campaigns)}）" if grouped
               else f"{settings.township.name}农村土地承包经营权确权登记档案移交清单",
               f"批次 {batch.batch_no}（{STATUS_LABELS[batch.status]}）  {LEVEL_LABELS[batch.level]}  "
               f"接收单位 {batch.to_name}  全宗号 {settings.archive.fonds_code}"]
    columns = [column.title for column in MANIFEST_COLUMNS]
    if suffix == ".csv":
        write_csv(out, columns, rows)
        return PrintResult(out, len(items) + len(records), 1)
    scanned, size = _scanned_bytes(connection, batch.id)
    bags = packaged if packaged is not None else _packages(connection, batch.batch_no)
    listed = "、".join(part for part in (f"{len(items)} 卷" if items else "",
                                         f"综合档案 {len(records)} 件" if records else "") if part)
    facts = [("移交单位", settings.township_full_name), ("接收单位", batch.to_name),
             ("移交批次", f"{batch.batch_no}（{STATUS_LABELS[batch.status]}）"),
             ("移交日期", chinese_date(local_time(batch.sent_at)) if batch.sent_at else "（尚未移交）"),
             *([("接收日期", chinese_date(local_time(batch.closed_at)))] if received and batch.closed_at else []),
             ("移交内容", ("、".join(campaign_content(config, campaign) for campaign in campaigns)
                           + f"（{LEVEL_LABELS[batch.level]}，每户每个工作阶段一卷）" if grouped
                           else f"农村土地承包经营权确权登记档案（{LEVEL_LABELS[batch.level]}，一户一卷）")
              + ("及综合档案（按件）" if records else "")),
             ("案卷数量", f"实收 {counted}（移交清单 {listed}，缺失 {missing or '0 卷'}）" if received else counted),
             ("件数合计", f"{documents} 件"), ("页数合计", f"{pages} 页"),
             ("起止年度", _years([*counted_items, *counted_records])),
             ("数字化副本", f"扫描件 {scanned} 页，{size:,} 字节"),
             ("移交包", _package_text(bags)),
             ("四性检测", check_text(connection, batch.batch_no, bags)),
             ("放行", override_text(connection, batch.batch_no, items, records, sending)),
             ("交接文据", f"一式 {batch.document_copies} 份，移交、接收单位各执一份，监交单位存一份"),
             ("审计日志", audit.anchor_text_on(connection))]
    handover = Handover(facts, _opinion(batch, [*items, *records]),
                        [settings.township_full_name, batch.to_name, settings.county.agriculture_office],
                        [batch.handed_over_by, batch.received_by, batch.supervised_by],
                        [bag["sha256"] for bag in bags])
    if suffix == ".xlsx":
        after = [["交接文据"], *[[label, value] for label, value in facts], ["接收意见", handover.opinion], [],
                 ["", *SIDES], ["单位名称", *handover.units], ["负责人（签字）"],
                 ["经办人（签字）", *handover.people], ["日期"], ["（盖章）"]]
        if draft:
            heading[1] += "  草稿（不作正式文书）"
        write_titled_xlsx(out, [TitledTable("移交清单", heading, columns, rows, total_rows=1, after=after)])
        return PrintResult(out, len(items) + len(records), 1)
    font = font_of(config)
    page_count = write_manifest_pdf(out, font, heading, rows, handover, draft=draft)
    warnings = [warning for item in items
                for warning in glyph_warnings(font, f"{item.archive_code}（{item.household}）", [item.title])]
    return PrintResult(out, len(items) + len(records), page_count, warnings)


def keep_papers(connection: Connection, ctx: ArchiveContext, keeping: kept_forms.Keeping, number: str,
                stage: str, *, sending: dict | None = None, packaged: list[dict] | None = None) -> list[dict]:
    """Render the 移交清单 and 交接文据 (PDF, XLSX, CSV) as the batch stands on ``connection`` and
    keep them; returns the kept files for the step's audit event (then ``kept_forms.bind``).
    ``sending``: what the send being recorded says of an override; ``packaged``: the bags of the
    package being recorded (the form states both)."""
    import tempfile

    pending = (now(), ctx.operator, sending) if sending else None
    with tempfile.TemporaryDirectory(prefix="移交清单-") as folder:
        files = [Path(folder) / f"移交清单{suffix}" for suffix in FORMATS]
        for path in files:
            _render(connection, ctx.config, number, path, pending, packaged)
        return kept_forms.keep(connection, ctx, keeping, "handover", number.strip(), stage, files)


@use_case(Permission.READ, "打印移交清单")
def manifest(ctx: ArchiveContext, number: str, out: Path) -> PrintResult:
    """移交清单 as PDF (with the 交接文据), XLSX (the same blocks under the list) or CSV. A draft
    (or returned) batch is printed as it stands; a sent or received one gives the papers kept at
    that step, byte for byte (a batch sent before papers were kept has them kept at its first
    print)."""
    engine, config = ctx.engine, ctx.config
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ArchiveError(f"输出文件 {out.name} 应以 .pdf、.xlsx 或 .csv 结尾")
    with engine.connect() as connection:
        batch = find_batch(connection, number)
        if batch.status not in KEPT_STATES:
            return _render(connection, config, batch.batch_no, out)
        kept = kept_forms.latest(connection, "handover", batch.batch_no, suffix)
        count = len(_items(connection, batch.id)) + len(_record_items(connection, batch.id))
    if kept is None:
        with kept_forms.keeping() as keeping, engine.begin() as connection:
            made = keep_papers(connection, ctx, keeping, batch.batch_no, "first-print")
            audit.record(connection, operator=ctx.operator, action="transfer.kept", entity="transfer",
                         key=batch.batch_no, after={"kept": kept_forms.in_event(made)})
            kept_forms.bind(connection, made)
        with engine.connect() as connection:
            kept = kept_forms.latest(connection, "handover", batch.batch_no, suffix)
    path = kept_forms.copy_kept(config, kept, out)
    if suffix != ".pdf":
        return PrintResult(path, count, 1)
    from pypdf import PdfReader  # loaded late: pypdf takes 0.2 s

    return PrintResult(path, count, len(PdfReader(path).pages))
