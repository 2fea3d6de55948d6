"""Transfers to the county archive (向县档案馆移交): batches, hand-over lists, receipt.

A batch goes draft → sent (its copies in transit, the list frozen) → received (per-file
result: received, missing, damaged) or returned. Only complete files whose quality check
passed may be added, unless the archivist overrides with a recorded reason; a copy is in at
most one open batch and is never transferred twice. Every step is audited.

A batch may hold files of either campaign (工作阶段: 确权, 延包 …) or of both: a village or a
household (承包方编码) stands for its files of every campaign unless ``campaign`` names one, a 档号
for that one file; a file is complete when it holds the required documents of its own campaign.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, func, or_, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.db import serialize_writers
from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import (BATCH_STATUS, BATCH_STATUS_LABELS, COPY_STATUS, ITEM_STATUS, BatchStatus,
                                     FileStatus, ItemStatus, PageStatus, check_transition, refusal)
from archive_tui import audit
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.registers import kept_forms
from archive_tui.services.registers.copies import change_copy, check_level, copy_query
from archive_tui.services.households.filters import village_filter
from archive_tui.services.registers.item_events import change_item
from archive_tui.services.transfers.batch_records import (  # noqa: F401 (RESULT_LABELS: read from here too)
    RESULT_LABELS, _items, _record_items, find_batch, pages_of,
)
from archive_tui.services.transfers.transfer_forms import keep_papers
from archive_tui.services.intake.scans import campaign_documents
from models.tables import local_time, now
from archive_tui.db.tables import (
    AUDIT, COPY, DOCUMENT, FILE, FINDING, HOUSEHOLD, ISSUER, RECORD_ITEM as RECORD, SCAN, TRANSFER,
    TRANSFER_ITEM as ITEM,
)


STATUS_LABELS = BATCH_STATUS_LABELS
OPEN = (BatchStatus.DRAFT, BatchStatus.SENT)


@dataclass
class Batch:
    """The people and facts of a new batch (交接文据)."""

    to: str
    note: str = ""
    level: str = "township"
    handed_over_by: str = ""
    received_by: str = ""
    supervised_by: str = ""
    document_copies: int = 3


@use_case(Permission.WRITE, "新建移交批次")
def new_batch(ctx: ArchiveContext, batch: Batch) -> str:
    """Open a draft batch; returns its number (<乡镇代码>-YJ<year>-<nnn>)."""
    engine, config = ctx.engine, ctx.config
    if not batch.to.strip():
        raise ArchiveError("请填写接收单位（--to）", field="to")
    check_level(batch.level)
    if batch.level == "county":
        raise ArchiveError("县级一份已在县里，不从乡镇移交；请选 township（乡镇级）或 village（村级，乡镇代管）",
                           field="level")
    prefix = f"{config.settings.township.code}-YJ{dt.date.today().year}-"
    with engine.begin() as connection:
        serialize_writers(connection, TRANSFER)
        taken = connection.execute(select(func.count()).where(TRANSFER.c.batch_no.startswith(prefix))).scalar_one()
        number = f"{prefix}{taken + 1:03d}"
        connection.execute(TRANSFER.insert().values(
            batch_no=number, to_name=batch.to.strip(), note=batch.note.strip(), status=BatchStatus.DRAFT,
            level=batch.level, handed_over_by=batch.handed_over_by.strip(), received_by=batch.received_by.strip(),
            supervised_by=batch.supervised_by.strip(), document_copies=max(1, batch.document_copies),
            operator=ctx.operator))
        audit.record(connection, operator=ctx.operator, action="transfer.new", entity="transfer", key=number,
                     after={"to": batch.to.strip(), "level": batch.level})
    return number


@dataclass
class AddResult:
    added: int = 0
    overridden: int = 0
    refused: list[str] = field(default_factory=list)


@dataclass
class Refusal:
    """One reason a file may not go (不能移交的原因)."""

    text: str  # short: 必备文件不全, 质检未通过：2 个待处理问题, 已在移交批次 … 中
    may_override: bool  # may a reason written by the archivist let it through?
    details: list[str] = field(default_factory=list)  # what it concerns: each missing document, each open finding


def _refusals(connection: Connection, config: Config, rows: list) -> dict[int, list[Refusal]]:
    """Per copy id: every reason it cannot go, those no override lets through first (the rules of
    ``add``; ``_problems`` and ``refused_files`` both read them here)."""
    ids = [row.id for row in rows]
    in_batches = dict(connection.execute(
        select(ITEM.c.copy_id, TRANSFER.c.batch_no).join(TRANSFER, TRANSFER.c.id == ITEM.c.transfer_id)
        .where(ITEM.c.copy_id.in_(ids), TRANSFER.c.status.in_(OPEN))).all())
    open_errors: dict[tuple[int, str], list[str]] = {}  # (household, campaign): each file its own findings
    for household_id, rule, subject, message in connection.execute(
            select(FINDING.c.household_id, FINDING.c.rule, FINDING.c.subject, FINDING.c.message).where(
                FINDING.c.household_id.in_([row.household_id for row in rows]), FINDING.c.status == "open",
                FINDING.c.severity == "error").order_by(FINDING.c.id)):
        key = (household_id, config.settings.campaign_of_finding(rule, subject))
        open_errors.setdefault(key, []).append(message)
    required = {campaign: [doc for doc in docs if doc.required] for campaign, docs in campaign_documents(config)}
    present = set(connection.execute(select(DOCUMENT.c.archive_file_id, DOCUMENT.c.doc_type).where(
        DOCUMENT.c.archive_file_id.in_([row.archive_file_id for row in rows]),
        DOCUMENT.c.doc_type.in_([doc.code for docs in required.values() for doc in docs]))).all())
    reasons: dict[int, list[Refusal]] = {}
    for row in rows:
        found = []
        if row.id in in_batches:
            found.append(Refusal(f"已在移交批次 {in_batches[row.id]} 中", False))
        refused = refusal(COPY_STATUS, row.status, FileStatus.IN_TRANSIT, action="移交")  # transferred, lent …
        if refused and not (found and row.status == FileStatus.IN_TRANSIT):  # in transit: said by its batch
            found.append(Refusal(refused, False))
        missing = [doc.name for doc in required.get(row.campaign, [])  # the list of the file's own campaign
                   if (row.archive_file_id, doc.code) not in present]
        if missing:
            found.append(Refusal("必备文件不全", True, [f"缺少{name}" for name in missing]))
        if open_errors.get((row.household_id, row.campaign)):
            errors = open_errors[(row.household_id, row.campaign)]
            found.append(Refusal(f"质检未通过：{len(errors)} 个待处理问题", True, errors))
        if found:
            reasons[row.id] = found
    return reasons


def _problems(connection: Connection, config: Config, rows: list) -> dict[int, tuple[str, bool]]:
    """Per copy id: why it cannot go (message, may an override let it through?) — its first reason."""
    names = {row.id: f"{row.archive_code}（{row.household}"
             + ("" if row.campaign == PRIMARY_CAMPAIGN else f"，{row.campaign}卷") + "）" for row in rows}
    return {copy_id: (names[copy_id] + found[0].text, found[0].may_override)
            for copy_id, found in _refusals(connection, config, rows).items()}


@use_case(Permission.WRITE, "加入移交批次")
def add(ctx: ArchiveContext, number: str, keys: list[str] | None = None, *, village: str | None = None,
        group: str | None = None, status: str | None = None, override: str = "",
        skip_refused: bool = False, item_year: int | None = None, campaign: str | None = None) -> AddResult:
    """Add files (by CBFBM or 档号, or a village/group/status) and 综合档案 items (by 档号, or all
    filed items of ``item_year``) to a draft batch. A CBFBM or a village stands for the household's
    files of every campaign (确权, 延包 …), or of ``campaign`` only. With problems, nothing is added
    unless ``override`` (a reason, recorded; only for incomplete files, a failed check, or an item
    not yet scanned or boxed) or ``skip_refused`` (add the rest) is given."""
    engine, config = ctx.engine, ctx.config
    if not keys and not village and not item_year:
        raise ArchiveError("请给出要移交的案卷（承包方编码或档号），"
                           "或用 --village 选一个村、--items-year 选一年度的综合档案")
    check_campaign(config, campaign)
    result = AddResult()
    with engine.begin() as connection:
        batch = find_batch(connection, number)
        check_transition(BATCH_STATUS, batch.status, BatchStatus.DRAFT, subject=f"移交批次 {batch.batch_no} ",
                         action="再加入", detail="，清单已冻结")
        item_keys = set(connection.execute(select(RECORD.c.archive_code).where(
            RECORD.c.archive_code.in_(keys or []))).scalars())
        keys = [key for key in keys or [] if key not in item_keys]
        if item_keys or item_year:
            _add_record_items(connection, config, batch, sorted(item_keys), item_year, override, skip_refused, result)
        if keys or village:
            _add_copies(connection, config, batch, keys, village, group, status, override, skip_refused, result,
                        campaign)
        audit.record(connection, operator=ctx.operator, action="transfer.add", entity="transfer",
                     key=batch.batch_no, after={"added": result.added, "override": override.strip(),
                                                "refused": len(result.refused)})
    return result


def _admit(problems: dict, rows: list, override: str, skip_refused: bool, what: str, result: AddResult,
           hint: str = "") -> list:
    """The rows that may go in; refused all together (nothing added) unless skipping or overridden."""
    hard = [message for message, may_override in problems.values() if not may_override]
    soft = [message for message, may_override in problems.values() if may_override]
    blocking = hard + ([] if override.strip() else soft)
    if blocking and not skip_refused:
        raise ArchiveError(f"{len(blocking)} {what}不能移交，未作改动（可用 --override 理由 放行不全或质检未通过的，"
                           f"或 --skip-refused 只加入合格的{hint}）", details=blocking)
    admitted = []
    for row in rows:
        problem = problems.get(row.id)
        if problem and (not problem[1] or not override.strip()):
            result.refused.append(problem[0])
            continue
        admitted.append((row, override.strip() if problem else ""))
        result.overridden += bool(problem)
    return admitted


def _add_record_items(connection: Connection, config: Config, batch, codes: list[str], year: int | None,
                      override: str, skip_refused: bool, result: AddResult) -> None:
    if batch.level != "township":
        raise ArchiveError("综合档案由乡镇移交：只能加入乡镇级（township）批次", field="level")
    query = select(RECORD).order_by(RECORD.c.year, RECORD.c.archive_code)
    if year:
        rows = connection.execute(query.where(RECORD.c.year == year, RECORD.c.status == ItemStatus.FILED)).all()
        if not rows:
            raise ArchiveError(f"{year} 年度没有在库的综合档案可移交")
    else:
        rows = []
    rows += connection.execute(query.where(RECORD.c.archive_code.in_(codes))).all()
    rows = list({row.id: row for row in rows}.values())
    already = set(connection.execute(select(ITEM.c.record_item_id).where(ITEM.c.transfer_id == batch.id)).scalars())
    rows = [row for row in rows if row.id not in already]
    admitted = _admit(_item_problems(connection, rows), rows, override, skip_refused, "件", result)
    if admitted:
        connection.execute(ITEM.insert(), [{"transfer_id": batch.id, "copy_id": None, "record_item_id": row.id,
                                             "result": "", "override_reason": reason, "note": ""}
                                            for row, reason in admitted])
    result.added += len(admitted)


def _item_problems(connection: Connection, rows: list) -> dict[int, tuple[str, bool]]:
    """Per item id: why it cannot go (message, may an override let it through?)."""
    in_batches = dict(connection.execute(
        select(ITEM.c.record_item_id, TRANSFER.c.batch_no).join(TRANSFER, TRANSFER.c.id == ITEM.c.transfer_id)
        .where(ITEM.c.record_item_id.in_([row.id for row in rows]), TRANSFER.c.status.in_(OPEN))).all())
    scanned = set(connection.execute(select(SCAN.c.record_item_id).where(
        SCAN.c.record_item_id.in_([row.id for row in rows]), SCAN.c.status == PageStatus.LINKED)).scalars())
    problems: dict[int, tuple[str, bool]] = {}
    for row in rows:
        name = f"{row.archive_code}《{row.title}》"
        refused = refusal(ITEM_STATUS, row.status, ItemStatus.SENT, action="移交")  # withdrawn, transferred, lent …
        if row.id in in_batches:
            problems[row.id] = (f"{name}已在移交批次 {in_batches[row.id]} 中", False)
        elif refused:
            problems[row.id] = (name + refused, False)
        elif not row.box:
            problems[row.id] = (f"{name}尚未装盒", True)
        elif row.id not in scanned and row.carrier != "electronic":
            problems[row.id] = (f"{name}没有扫描件", True)
    return problems


def check_campaign(config: Config, campaign: str | None) -> None:
    """A campaign given by name is 确权 or one of config.toml's [[campaigns]] (refused in Chinese otherwise)."""
    if campaign is not None and campaign != PRIMARY_CAMPAIGN:
        config.settings.campaign(campaign)


def _copies_to_add(connection: Connection, batch, keys: list[str], village: str | None, group: str | None,
                   status: str | None, campaign: str | None = None) -> list:
    """The copies these keys, village, group and status name at the batch's level, less those already in it:
    of the files of every campaign (确权, 延包 …), or of ``campaign`` only; a 档号 names its one file."""
    query = (copy_query().add_columns(FILE.c.household_id, FILE.c.campaign).where(COPY.c.level == batch.level)
             .order_by(FILE.c.archive_code))
    if campaign is not None:
        query = query.where(FILE.c.campaign == campaign)
    if keys:
        query = query.where(or_(HOUSEHOLD.c.code.in_(keys), FILE.c.archive_code.in_(keys)))
    if village:
        query = query.where(village_filter(village))
    if group:
        query = query.where(or_(ISSUER.c.name.endswith(group.strip()), ISSUER.c.group_code == group.strip()))
    if status:
        query = query.where(COPY.c.status == status)
    rows = connection.execute(query).all()
    found = {row.cbfbm for row in rows} | {row.archive_code for row in rows}
    unknown = [key for key in keys or [] if key not in found]
    if unknown or not rows:
        what = "、".join(unknown) or village or ""
        raise ArchiveError(f"找不到要移交的案卷：{what}（{LEVEL_LABELS[batch.level]}"
                           + (f"，{campaign}卷" if campaign else "") + "）")
    already = set(connection.execute(select(ITEM.c.copy_id).where(ITEM.c.transfer_id == batch.id)).scalars())
    return [row for row in rows if row.id not in already]


def _add_copies(connection: Connection, config: Config, batch, keys: list[str], village: str | None,
                group: str | None, status: str | None, override: str, skip_refused: bool, result: AddResult,
                campaign: str | None = None) -> None:
    rows = _copies_to_add(connection, batch, keys, village, group, status, campaign)
    several = len({row.campaign for row in rows}) > 1
    admitted = _admit(_problems(connection, config, rows), rows, override, skip_refused, "卷", result,
                      "，或 --campaign 只选一个工作阶段（确权、延包…）的案卷" if several else "")
    if admitted:
        connection.execute(ITEM.insert(), [{"transfer_id": batch.id, "copy_id": row.id, "record_item_id": None,
                                             "result": "", "override_reason": reason, "note": ""}
                                            for row, reason in admitted])
    result.added += len(admitted)


@dataclass
class RefusedFile:
    """A file ``add`` would not take (不合格未加入), with every reason."""

    archive_code: str
    cbfbm: str
    household: str
    reasons: list[Refusal]
    may_override: bool  # all its reasons may be overridden (``add`` with ``override``)


def refused_files(engine: Engine, config: Config, number: str, keys: list[str] | None = None, *,
                  village: str | None = None, group: str | None = None,
                  status: str | None = None, campaign: str | None = None) -> list[RefusedFile]:
    """The files ``add`` with these arguments would refuse, by 档号, each with all its reasons — the same
    rules, read only (after ``add`` with ``skip_refused``: the files it left out and why)."""
    check_campaign(config, campaign)
    with engine.connect() as connection:
        batch = find_batch(connection, number)
        rows = _copies_to_add(connection, batch, keys or [], village, group, status, campaign)
        reasons = _refusals(connection, config, rows)
    return [RefusedFile(row.archive_code, row.cbfbm, row.household, reasons[row.id],
                        all(reason.may_override for reason in reasons[row.id]))
            for row in rows if row.id in reasons]


def list_batches(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        batches = connection.execute(select(TRANSFER).order_by(TRANSFER.c.id)).all()
        return [_summary(batch, _items(connection, batch.id), _record_items(connection, batch.id))
                for batch in batches]


def _summary(batch, items: list, records: list) -> dict:
    return {"batch": batch.batch_no, "status": batch.status, "to": batch.to_name, "files": len(items),
            "record_items": len(records),
            "pages": sum(pages_of(item) for item in items) + sum(row.pages or row.scanned or 0 for row in records),
            "level": batch.level,
            "created_at": local_time(batch.created_at).isoformat(timespec="seconds") if batch.created_at else None}


def show(engine: Engine, number: str) -> dict:
    """One batch with its items (the CLI's keys, plus title and override reason)."""
    with engine.connect() as connection:
        batch = find_batch(connection, number)
        items = _items(connection, batch.id)
        records = _record_items(connection, batch.id)
    data = _summary(batch, items, records)
    data.update({
        "note": batch.note, "handed_over_by": batch.handed_over_by, "received_by": batch.received_by,
        "supervised_by": batch.supervised_by, "document_copies": batch.document_copies,
        "sent_by": batch.sent_by, "closed_by": batch.closed_by,
        "sent_at": local_time(batch.sent_at).isoformat(timespec="seconds") if batch.sent_at else None,
        "closed_at": local_time(batch.closed_at).isoformat(timespec="seconds") if batch.closed_at else None,
        "items": [{"archive_code": item.archive_code, "cbfbm": item.cbfbm, "household": item.household,
                   "status": item.result or item.status, "campaign": item.campaign,
                   "title": item.title, "pages": pages_of(item), "override": item.override_reason}
                  for item in items],
        "record_item_list": [{"archive_code": row.archive_code, "title": row.title, "year": row.year,
                              "retention": row.retention, "box": row.box, "pages": row.pages or row.scanned or 0,
                              "status": row.result or row.status, "override": row.override_reason}
                             for row in records]})
    return data


BLOCKING_PROPERTIES = ("真实性", "完整性")  # a batch failing these in its last 四性检测 goes only with a reason


def _last_check(connection: Connection, number: str):
    """The audit event of the batch's last 四性检测 (its id and ``after``), or None."""
    return connection.execute(select(AUDIT.c.id, AUDIT.c.after).where(
        AUDIT.c.entity_key == number, AUDIT.c.action == "transfer.check").order_by(AUDIT.c.id.desc())).first()


def check_blocks_sending(connection: Connection, number: str) -> tuple[list[str], list[str]]:
    """(properties, item codes) of the batch's last 四性检测 that stop it being sent; ([], []) when
    it passed them or was never checked."""
    row = _last_check(connection, number)
    checked = json.loads(row.after) if row is not None else {}
    failed = [name for name in BLOCKING_PROPERTIES if checked.get("properties", {}).get(name) == "不通过"]
    return failed, (checked.get("failed", []) if failed else [])


def send_summary(engine: Engine, number: str) -> dict:
    """What sending the batch hands over and how its last 四性检测 went (read only), for the
    confirmation before ``send``: the batch's figures (as ``list_batches``), how many went in with a
    reason (``overridden``), and ``check``:
    ``result`` passed / failed / unchecked, ``checked_at``, the ``properties`` that failed, the
    failed ``items`` (code, name, count), ``changed_since`` (files added after it), and
    ``blocking``: the failed properties that make ``send`` ask for a reason."""
    with engine.connect() as connection:
        batch = find_batch(connection, number)
        items, records = _items(connection, batch.id), _record_items(connection, batch.id)
        data = _summary(batch, items, records)
        data["overridden"] = sum(1 for row in [*items, *records] if row.override_reason)
        row = _last_check(connection, batch.batch_no)
        blocking, _codes = check_blocks_sending(connection, batch.batch_no)
        changed = row is not None and connection.execute(select(func.count()).where(
            AUDIT.c.entity_key == batch.batch_no, AUDIT.c.action == "transfer.add", AUDIT.c.id > row.id)).scalar_one()
    checked = json.loads(row.after) if row is not None else {}
    failed = [name for name, result in checked.get("properties", {}).items() if result == "不通过"]
    items = checked.get("failed_items") or [{"code": code, "name": "", "count": 0}
                                            for code in checked.get("failed", [])]
    data["check"] = {"result": "unchecked" if row is None else "failed" if failed else "passed",
                     "checked_at": checked.get("checked_at"), "properties": failed, "items": items,
                     "changed_since": bool(changed), "blocking": blocking}
    return data


@use_case(Permission.WRITE, "移交")
def send(ctx: ArchiveContext, number: str, *, override: str = "") -> int:
    """移交: the list is frozen and every copy on it is in transit. Refused while the batch's last
    四性检测 failed authenticity or integrity, unless ``override`` gives the reason (recorded).
    The 移交清单 and 交接文据 are rendered as sent and kept (their SHA-256 in this event)."""
    engine = ctx.engine
    with kept_forms.keeping() as keeping, engine.begin() as connection:
        batch = find_batch(connection, number)
        failed, codes = check_blocks_sending(connection, batch.batch_no)
        if failed and not override.strip():
            raise ArchiveError(f"移交批次 {batch.batch_no} 最近一次四性检测{'、'.join(failed)}不通过"
                               f"（{'、'.join(codes)}）："
                               "请改正后重新检测，或用 --override 写明理由")
        check_transition(BATCH_STATUS, batch.status, BatchStatus.SENT, subject=f"移交批次 {batch.batch_no} ",
                         action="再次移交")
        items, records = _items(connection, batch.id), _record_items(connection, batch.id)
        if not items and not records:
            raise ArchiveError(f"移交批次 {batch.batch_no} 中还没有案卷")
        refused = [(f"{item.archive_code}（{item.household}）",  # lent since it was added
                    refusal(COPY_STATUS, item.status, FileStatus.IN_TRANSIT, action="移交")) for item in items]
        refused += [(f"{row.archive_code}《{row.title}》",
                     refusal(ITEM_STATUS, row.status, ItemStatus.SENT, action="移交")) for row in records]
        refused = [(name, why) for name, why in refused if why]
        reasons = {why for _name, why in refused}
        if len(reasons) == 1:  # all for one reason (lent): the reason once, then the names
            raise ArchiveError(f"{len(refused)} 卷（件）{reasons.pop()}，未作改动",
                               details=[name for name, _why in refused])
        if refused:
            raise ArchiveError(f"{len(refused)} 卷（件）不能移交，未作改动",
                               details=[name + why for name, why in refused])
        for item in items:
            change_copy(connection, ctx, item, "transfer", {"status": FileStatus.IN_TRANSIT},
                        f"随批次 {batch.batch_no} 移交")
        for row in records:
            change_item(connection, ctx, row, "transfer", {"status": ItemStatus.SENT}, f"随批次 {batch.batch_no} 移交")
        connection.execute(TRANSFER.update().where(TRANSFER.c.id == batch.id).values(
            status=BatchStatus.SENT, sent_by=ctx.operator, sent_at=now()))
        overridden = {"override": override.strip(), "check": failed} if failed else {}
        kept = keep_papers(connection, ctx, keeping, batch.batch_no, "sent", sending=overridden)
        audit.record(connection, operator=ctx.operator, action="transfer.send", entity="transfer",
                     key=batch.batch_no, after={"files": len(items), "record_items": len(records),
                                                **overridden, "kept": kept_forms.in_event(kept)})
        kept_forms.bind(connection, kept)
    return len(items) + len(records)


def _sent_batch(connection: Connection, number: str, what: str, target: BatchStatus) -> tuple:
    """A batch that may go to ``target`` (one sent and not yet closed), with its items; refused otherwise."""
    batch = find_batch(connection, number)
    if refusal(BATCH_STATUS, batch.status, target):
        raise ArchiveError(f"移交批次 {batch.batch_no} {BATCH_STATUS.label(batch.status)}，"
                           f"只有已移交待接收的批次才能{what}")
    return batch, _items(connection, batch.id), _record_items(connection, batch.id)


@use_case(Permission.WRITE, "接收确认")
def close(ctx: ArchiveContext, number: str, *, missing: list[str] | None = None,
          damaged: list[str] | None = None) -> dict[str, list[str]]:
    """接收: per file received, missing or damaged. Received and damaged copies are transferred
    (now held by the archive); missing ones go back to the township. Returns the discrepancies."""
    engine = ctx.engine
    missing, damaged = set(missing or []), set(damaged or [])
    with kept_forms.keeping() as keeping, engine.begin() as connection:
        batch, items, records = _sent_batch(connection, number, "接收", BatchStatus.RECEIVED)
        keys = {item.cbfbm for item in items} | {item.archive_code for item in items}
        keys |= {row.archive_code for row in records}
        unknown = sorted((missing | damaged) - keys)
        if unknown:
            raise ArchiveError(f"这些案卷不在批次 {batch.batch_no} 中：{'、'.join(unknown)}")
        discrepancies: dict[str, list[str]] = {"missing": [], "damaged": []}
        for item in items:
            result = ("missing" if {item.cbfbm, item.archive_code} & missing
                      else "damaged" if {item.cbfbm, item.archive_code} & damaged else "received")
            connection.execute(ITEM.update().where(ITEM.c.transfer_id == batch.id, ITEM.c.copy_id == item.id)
                               .values(result=result))
            if result == "missing":
                discrepancies["missing"].append(item.archive_code)
                change_copy(connection, ctx, item, "transfer", {"status": FileStatus.FILED},
                            f"批次 {batch.batch_no} 接收时缺失，仍由本乡镇保管")
            else:
                if result == "damaged":
                    discrepancies["damaged"].append(item.archive_code)
                change_copy(connection, ctx, item, "transfer",
                            {"status": FileStatus.TRANSFERRED, "holder": batch.to_name, "keeper": ""},
                            f"批次 {batch.batch_no} {RESULT_LABELS[result]}")
        for row in records:
            result = ("missing" if row.archive_code in missing
                      else "damaged" if row.archive_code in damaged else "received")
            connection.execute(ITEM.update().where(ITEM.c.transfer_id == batch.id, ITEM.c.record_item_id == row.id)
                               .values(result=result))
            if result != "received":
                discrepancies[result].append(row.archive_code)
            change_item(connection, ctx, row, "transfer",
                        {"status": ItemStatus.FILED if result == "missing" else ItemStatus.TRANSFERRED},
                        f"批次 {batch.batch_no} {RESULT_LABELS[result]}")
        connection.execute(TRANSFER.update().where(TRANSFER.c.id == batch.id).values(
            status=BatchStatus.RECEIVED, closed_by=ctx.operator, closed_at=now()))
        kept = keep_papers(connection, ctx, keeping, batch.batch_no, "received")
        audit.record(connection, operator=ctx.operator, action="transfer.close", entity="transfer",
                     key=batch.batch_no, after={**discrepancies, "kept": kept_forms.in_event(kept)})
        kept_forms.bind(connection, kept)
    return discrepancies


@use_case(Permission.WRITE, "退回移交批次")
def return_batch(ctx: ArchiveContext, number: str, reason: str) -> int:
    """退回: the archive sends the whole batch back; its copies are the township's again."""
    engine = ctx.engine
    if not reason.strip():
        raise ArchiveError("退回须写明原因（--reason）", field="reason")
    with engine.begin() as connection:
        batch, items, records = _sent_batch(connection, number, "退回", BatchStatus.RETURNED)
        for item in items:
            change_copy(connection, ctx, item, "transfer", {"status": FileStatus.FILED},
                        f"批次 {batch.batch_no} 退回：{reason.strip()}")
        for row in records:
            change_item(connection, ctx, row, "transfer", {"status": ItemStatus.FILED},
                        f"批次 {batch.batch_no} 退回：{reason.strip()}")
        connection.execute(TRANSFER.update().where(TRANSFER.c.id == batch.id).values(
            status=BatchStatus.RETURNED, note=(batch.note + f"\n退回：{reason.strip()}").strip(),
            closed_by=ctx.operator, closed_at=now()))
        audit.record(connection, operator=ctx.operator, action="transfer.return", entity="transfer",
                     key=batch.batch_no, after={"reason": reason.strip()})
    return len(items) + len(records)
