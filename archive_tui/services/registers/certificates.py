"""Certificate registers (证书登记): issue, recall, loss, re-issue, replacement, cancellation
and destruction of land-contract certificates (承包经营权证), with the issue-rate report.

Every action is one transaction: the certificate's new status, an append-only event (who,
when, details) and an audit record. Illegal steps raise ArchiveError with a Chinese message
and change nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, case, distinct, func, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.db import serialize_writers
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.services.households.archive_files import group_name
from archive_tui.services.households.filters import village_filter
from archive_tui.services.registers import kept_forms
from archive_tui.services.registers.certificate_forms import keep_destruction_register
from archive_tui.services.registers.certificate_records import STATUS_LABELS, batch_details  # noqa: F401 (read from here too)
from models import PRIMARY_CAMPAIGN
from models.codes import HEAD_RELATIONS, IdType, Relation, relation_code
from models.validators import check_id_number
from archive_tui.db.tables import (
    CAMPAIGN_RECORD, CERTIFICATE, CERT_EVENT as EVENT, DESTRUCTION_BATCH as BATCH, DESTRUCTION_ITEM as ITEM, HOUSEHOLD,
    ISSUER,
)
from archive_tui.services.intake.page_quality import check_intake_pages
from archive_tui.services.intake.scans import IngestReport, file_page_within


ACTION_LABELS = {"issue": "发放", "recall": "收回", "lost": "挂失", "reissue": "补发", "replace": "换发",
                 "cancel": "注销", "destroy": "销毁"}

# The state machine: an action is allowed from these states and leads to that state
# (None: the certificate keeps its state; 补发/换发 produce a new certificate instead).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "issue": (frozenset({"printed"}), "issued"),
    "recall": (frozenset({"issued", "lost"}), "recalled"),  # a lost one may turn up and be handed back
    "lost": (frozenset({"issued"}), "lost"),
    "reissue": (frozenset({"lost"}), None),
    "replace": (frozenset({"recalled", "lost"}), None),
    "cancel": (frozenset({"printed", "issued", "lost", "recalled"}), "cancelled"),
    "destroy": (frozenset({"recalled", "cancelled"}), "destroyed"),
}
_WHY_NOT = {
    ("issue", "issued"): "已经发放，不能重复发放",
    ("recall", "printed"): "从未发放，无需收回",
    ("recall", "recalled"): "已经收回",
    ("lost", "printed"): "尚未发放，不能挂失",
    ("lost", "lost"): "已经挂失",
    ("reissue", "issued"): "未挂失：补发只适用于已挂失的证书",
    ("reissue", "printed"): "尚未发放：补发只适用于已挂失的证书",
    ("reissue", "recalled"): "已收回：已收回的证书应换发，不是补发",
    ("replace", "issued"): "仍在农户手中：须先收回旧证（或挂失）才能换发",
    ("replace", "printed"): "尚未发放，无需换发",
    ("cancel", "cancelled"): "已经注销",
    ("destroy", "printed"): "尚未发放也未注销：只有已收回或已注销的证书才能销毁",
    ("destroy", "issued"): "仍在农户手中：须先收回才能销毁",
    ("destroy", "lost"): "已挂失，无实物可销毁：请先注销",
}
OUTSTANDING = {
    "new_not_issued": "新证未发放",
    "old_not_recalled": "旧证未收回",
    "recalled_not_destroyed": "已收回（或注销）未销毁",
}
HEAD_ONLY_REASONS = (("has_basic_farmland", "基本农田"), ("has_high_standard_farmland", "高标准农田"),
                     ("has_dispute", "争议"))


def refusal(action: str, status: str) -> str | None:
    """Why ``action`` may not be taken on a certificate in ``status`` (None: it may)."""
    allowed, _to = TRANSITIONS[action]
    if status in allowed:
        return None
    return _WHY_NOT.get((action, status)) or f"当前为“{STATUS_LABELS.get(status, status)}”，不能{ACTION_LABELS[action]}"


@dataclass(frozen=True)
class Collector:
    """Who collects a certificate (领证人)."""

    name: str
    id_number: str
    relation: str = ""  # 与户主关系 code or label; empty: worked out from the household
    id_type: str = IdType.RESIDENT_ID
    proxy_letter: str = ""  # a scanned 委托书 (path) or its reference number


def _today(value: dt.date | None) -> dt.date:
    return value or dt.date.today()


def _find(connection: Connection, serial: str):
    row = connection.execute(
        select(CERTIFICATE, HOUSEHOLD.c.code.label("cbfbm"), HOUSEHOLD.c.name.label("household_name"),
               HOUSEHOLD.c.id_number.label("head_id"), *(HOUSEHOLD.c[name] for name, _ in HEAD_ONLY_REASONS))
        .join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
        .where(CERTIFICATE.c.serial == serial.strip())
    ).first()
    if row is None:
        raise ArchiveError(f"找不到证书编号为“{serial}”的证书；可用 archive-tui certs list 查看")
    return row


def _check(row, action: str) -> None:
    reason = refusal(action, row.status)
    if reason:
        raise ArchiveError(f"证书 {row.serial}（{row.household_name}）{reason}")


def check_event_date(connection: Connection, row, action: str, on: dt.date) -> None:
    """An event cannot happen in the future, nor before the certificate's last recorded event."""
    if on > dt.date.today():
        raise ArchiveError(f"日期 {on} 还没到：{ACTION_LABELS.get(action, action)}只能记已经发生的事", field="date")
    last = connection.execute(select(func.max(EVENT.c.happened_on)).where(EVENT.c.certificate_id == row.id)
                              ).scalar_one_or_none()
    if last is not None and on < last:
        raise ArchiveError(f"日期 {on} 早于证书 {row.serial} 上一次记录的日期 {last}", field="date")


def _record(connection: Connection, ctx: ArchiveContext, row, action: str, *, on: dt.date, details: dict,
            person: tuple[str, str, str] = ("", "", ""), reason: str = "", collected_on: dt.date | None = None,
            certificate: dict | None = None) -> None:
    """The event, the new status (and other certificate fields), and the audit record."""
    check_event_date(connection, row, action, on)
    _allowed, to = TRANSITIONS[action]
    changes = dict(certificate or {})
    if to:
        changes["status"] = to
    if changes:
        connection.execute(CERTIFICATE.update().where(CERTIFICATE.c.id == row.id).values(**changes))
    connection.execute(EVENT.insert().values(
        certificate_id=row.id, kind=action, happened_on=on, collected_on=collected_on, reason=reason,
        person_name=person[0], person_id_type=person[1], person_id_number=person[2],
        details=json.dumps(details, ensure_ascii=False, default=str), operator=ctx.operator,
    ))
    audit.record(connection, operator=ctx.operator, action=f"certificate.{action}", entity="certificate",
                 key=row.serial, before={"status": row.status},
                 after={"status": to or row.status, **{k: v for k, v in details.items() if k != "id_number"}})


find_certificate = _find  # for the campaigns' 换发 batch (services/campaigns/replacement.py)
record_event = _record


def _relation(collector: Collector, row) -> str:
    """The collector's relation code; the head when name and ID are the head's."""
    text = collector.relation.strip()
    if text:
        found = (Relation.parse(text) or next((r for r in Relation if r.label == text), None)
                 or Relation.parse(relation_code(text) or ""))  # 儿子, 老婆: words a clerk writes
        if found is None:
            raise ArchiveError(f"与户主关系“{text}”不是 GB/T 4761 的代码或名称（如 02 户主、10 配偶、20 子）",
                               field="relation")
        return found
    same_id = bool(row.head_id) and collector.id_number.upper() == row.head_id.upper()
    return Relation.HEAD if same_id or (not row.head_id and collector.name == row.household_name) else ""


def _validate_collector(collector: Collector) -> None:
    if not collector.name.strip():
        raise ArchiveError("请填写领证人姓名", field="collector")
    if collector.id_type in ("", IdType.RESIDENT_ID):
        result = check_id_number(collector.id_number)
        if not result.ok:
            reason = result.reason if result.status != "legacy" else "15位旧号码不能再录入，请填写18位身份证号码"
            raise ArchiveError(f"领证人身份证号码：{reason}", field="collector_id")
    elif not collector.id_number.strip():
        raise ArchiveError("请填写领证人证件号码", field="collector_id")


@use_case(Permission.WRITE, "发证")
def issue(ctx: ArchiveContext, serial: str, collector: Collector, on: dt.date | None = None) -> dict:
    """发放: hand a printed certificate to the head, or to a proxy with the head's 委托书.

    Where the household has basic farmland, high-standard farmland or a dispute, only the
    head may collect. Returns the event's details."""
    engine = ctx.engine
    _validate_collector(collector)
    with engine.connect() as connection:
        row = _find(connection, serial)
        _check(row, "issue")
        _campaign_steps_done(connection, row)
    relation = _relation(collector, row)
    is_head = relation in HEAD_RELATIONS
    details = {"relation": relation, "relation_label": Relation(relation).label if relation else ""}
    if not is_head:
        reasons = [label for name, label in HEAD_ONLY_REASONS if getattr(row, name)]
        if reasons:
            raise ArchiveError(f"该户涉及{'、'.join(reasons)}，证书只能由户主{row.household_name}本人领取",
                               field="collector")
        if not collector.proxy_letter.strip():
            raise ArchiveError(f"{collector.name} 不是户主：他人代领须有户主委托书，请用 --proxy-letter 给出"
                               "委托书扫描件或编号", field="proxy_letter")
        if not relation:
            raise ArchiveError("代领时请填写领证人与户主的关系（--relation）", field="relation")
    on = _today(on)
    id_number = collector.id_number.strip().upper()
    letter, made = IngestReport(), []  # the 委托书's page, filed in the issue's own transaction
    with _undoing_copies(ctx.config, made), engine.begin() as connection:
        current = _find(connection, serial)  # another workstation may have acted meanwhile
        _check(current, "issue")
        if not is_head:
            details["proxy_letter"] = _file_proxy_letter(ctx, connection, row, collector.proxy_letter.strip(),
                                                         letter, made)
        _record(connection, ctx, current, "issue", on=on, collected_on=on, details=details,
                person=(collector.name.strip(), collector.id_type, id_number),
                certificate={"collected": "1", "collected_on": on, "collector_name": collector.name.strip(),
                             "collector_id_type": collector.id_type, "collector_id_number": id_number})
    check_intake_pages(ctx, letter.files)
    return details


def _campaign_steps_done(connection: Connection, row) -> None:
    """A later campaign's (延包) certificate goes out only once the household has confirmed, been
    publicised without objection and signed (the 确权 ones as always)."""
    if row.campaign == PRIMARY_CAMPAIGN:
        later = connection.execute(select(CERTIFICATE.c.serial, CERTIFICATE.c.campaign).where(
            CERTIFICATE.c.household_id == row.household_id, CERTIFICATE.c.campaign != PRIMARY_CAMPAIGN,
            CERTIFICATE.c.status.in_(("printed", "issued")))).first()
        if later is not None:
            raise ArchiveError(f"{row.household_name}（{row.cbfbm}）已有{later.campaign}证书 {later.serial}：确权证书 "
                               f"{row.serial} 不再发放（领取{later.campaign}新证时收回换发）")
        return
    record = connection.execute(select(CAMPAIGN_RECORD).where(CAMPAIGN_RECORD.c.household_id == row.household_id,
                                                              CAMPAIGN_RECORD.c.campaign == row.campaign)).first()
    steps = (("confirmed_on", "确认家庭成员和地块"), ("publicised_on", "公示"), ("signed_on", "签订延包合同"))
    missing = [label for name, label in steps if record is None or getattr(record, name) is None]
    if missing:
        raise ArchiveError(f"{row.household_name}（{row.cbfbm}）尚未{'、'.join(missing)}，{row.campaign}证书 "
                           f"{row.serial} 还不能发放")
    if record.objection:
        raise ArchiveError(f"{row.household_name}（{row.cbfbm}）的{row.campaign}公示有异议尚未处理"
                           f"（{record.objection}），证书 {row.serial} 还不能发放")


def _file_proxy_letter(ctx: ArchiveContext, connection, row, letter: str, report: IngestReport,
                       made: list[str]) -> str:
    """A scanned 委托书 is filed into the household's file of the certificate's campaign (a 延包
    certificate's into the 延包 file); a reference is kept as written."""
    path = Path(letter).expanduser()
    if not path.is_file():
        return f"{letter}（待扫描）"
    documents = ctx.config.settings.documents_of(row.campaign)
    doc_type = next((d.code for d in documents if "委托书" in d.name), documents[0].code)
    filed_before = report.linked
    stored = file_page_within(ctx, connection, path, row.cbfbm, doc_type, report)
    if report.linked > filed_before:  # a new copy in the store (not a page filed before)
        made.append(stored)
    return stored


@contextmanager
def _undoing_copies(config, made: list[str]):
    """A refused action leaves no page behind: the copies it made in the store are removed
    (their rows were never committed)."""
    try:
        yield
    except BaseException:
        for stored in made:
            (config.root / stored).unlink(missing_ok=True)
        raise


@use_case(Permission.WRITE, "收回旧证")
def recall(ctx: ArchiveContext, serial: str, *, by: str = "", condition: str = "",
           on: dt.date | None = None) -> None:
    """收回: the household hands an issued (usually old) certificate back."""
    _simple(ctx, serial, "recall", on, {"returned_by": by.strip(), "condition": condition.strip()},
            person=(by.strip(), "", ""))


@use_case(Permission.WRITE, "登记遗失")
def lost(ctx: ArchiveContext, serial: str, *, reason: str = "", on: dt.date | None = None) -> None:
    """挂失: an issued certificate is declared lost."""
    _simple(ctx, serial, "lost", on, {}, reason=reason.strip())


@use_case(Permission.WRITE, "注销证书")
def cancel(ctx: ArchiveContext, serial: str, *, reason: str, on: dt.date | None = None) -> None:
    """注销: the certificate is void (contract ended, error, replaced)."""
    if not reason.strip():
        raise ArchiveError("注销须写明原因（--reason）", field="reason")
    _simple(ctx, serial, "cancel", on, {}, reason=reason.strip())


def _simple(ctx: ArchiveContext, serial: str, action: str, on: dt.date | None, details: dict,
            person: tuple[str, str, str] = ("", "", ""), reason: str = "") -> None:
    engine = ctx.engine
    with engine.begin() as connection:
        row = _find(connection, serial)
        _check(row, action)
        _record(connection, ctx, row, action, on=_today(on), details=details, person=person, reason=reason)


@use_case(Permission.WRITE, "补发证书")
def reissue(ctx: ArchiveContext, serial: str, new_serial: str, *, reason: str = "",
            on: dt.date | None = None) -> None:
    """补发: a new certificate for a lost one. The new one starts as printed; hand it over with issue."""
    _successor(ctx, serial, new_serial, "reissue", reason, on)


@use_case(Permission.WRITE, "换发证书")
def replace(ctx: ArchiveContext, serial: str, new_serial: str, *, reason: str = "",
            on: dt.date | None = None) -> None:
    """换发: a new certificate for one recalled (or lost); the new one starts as printed."""
    _successor(ctx, serial, new_serial, "replace", reason, on)


def _successor(ctx: ArchiveContext, serial: str, new_serial: str, action: str, reason: str,
               on: dt.date | None) -> None:
    engine, config = ctx.engine, ctx.config
    new_serial = new_serial.strip()
    if not new_serial:
        raise ArchiveError("请给出新证书编号（--new）", field="new")
    on = _today(on)
    with engine.begin() as connection:
        row = _find(connection, serial)
        _check(row, action)
        earlier = connection.execute(select(EVENT.c.kind, EVENT.c.details).where(
            EVENT.c.certificate_id == row.id, EVENT.c.kind.in_(("reissue", "replace")))).first()
        if earlier is not None:
            done_for = json.loads(earlier.details or "{}").get("new", "")
            raise ArchiveError(f"证书 {row.serial} 已{ACTION_LABELS[earlier.kind]}为 {done_for}，不能再次"
                               f"{ACTION_LABELS[action]}")
        existing = connection.execute(select(CERTIFICATE).where(CERTIFICATE.c.serial == new_serial)).first()
        if existing is not None:
            if existing.household_id != row.household_id or existing.status != "printed":
                raise ArchiveError(f"新证书编号 {new_serial} 已被使用（{STATUS_LABELS.get(existing.status)}），"
                                   "请核对编号")
        else:
            connection.execute(CERTIFICATE.insert().values(
                serial=new_serial, code=row.code, household_id=row.household_id, generation="new",
                authority=row.authority or f"{config.settings.county.name}人民政府", issued_on=on,
                collected="2", status="printed"))
        _record(connection, ctx, row, action, on=on, reason=reason.strip(), details={"new": new_serial})


# ---- 销毁清册 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchForm:
    """What a destruction batch records before anything is destroyed."""

    approval_doc: str  # 批准文号
    approver: str
    supervisors: list[str]  # 监销人, at least two
    method: str
    place: str
    destroyed_on: dt.date
    appraisal_head: str = ""
    approved_on: dt.date | None = None


@use_case(Permission.WRITE, "新建销毁批次")
def new_batch(ctx: ArchiveContext, form: BatchForm) -> str:
    """Open a destruction batch; returns its number (XH<year>-<nnn>)."""
    engine = ctx.engine
    supervisors = [name.strip() for name in form.supervisors if name.strip()]
    for value, field, label in ((form.approval_doc, "approval", "批准文号"), (form.approver, "approver", "批准人"),
                                (form.method, "method", "销毁方式"), (form.place, "place", "销毁地点")):
        if not value.strip():
            raise ArchiveError(f"请填写{label}", field=field)
    if len(set(supervisors)) < 2:
        raise ArchiveError("监销人须有两人（--supervisors 甲,乙）", field="supervisors")
    if form.approved_on and form.approved_on > form.destroyed_on:
        raise ArchiveError(f"批准日期 {form.approved_on} 晚于销毁日期 {form.destroyed_on}", field="date")
    year = form.destroyed_on.year
    with engine.begin() as connection:
        serialize_writers(connection, BATCH)
        taken = connection.execute(select(func.count()).where(BATCH.c.number.startswith(f"XH{year}-"))).scalar_one()
        number = f"XH{year}-{taken + 1:03d}"
        connection.execute(BATCH.insert().values(
            number=number, approval_doc=form.approval_doc.strip(), approver=form.approver.strip(),
            approved_on=form.approved_on, appraisal_head=form.appraisal_head.strip(), appraised_on=form.approved_on,
            supervisors="、".join(supervisors), method=form.method.strip(), place=form.place.strip(),
            destroyed_on=form.destroyed_on, status="open", operator=ctx.operator))
        audit.record(connection, operator=ctx.operator, action="destruction.new", entity="destruction_batch",
                     key=number, after={"approval_doc": form.approval_doc, "supervisors": supervisors})
    return number


def _open_batch(connection: Connection, number: str):
    batch = connection.execute(select(BATCH).where(BATCH.c.number == number.strip())).first()
    if batch is None:
        raise ArchiveError(f"找不到销毁清册“{number}”")
    if batch.status != "open":
        raise ArchiveError(f"销毁清册 {batch.number} 已于 {batch.closed_at:%Y-%m-%d} 关闭，不能再改动")
    return batch


@use_case(Permission.WRITE, "加入销毁批次")
def add_to_batch(ctx: ArchiveContext, number: str, serials: list[str]) -> int:
    """Put recalled or cancelled certificates on an open batch; all or nothing."""
    engine = ctx.engine
    if not serials:
        raise ArchiveError("请给出要销毁的证书编号")
    with engine.begin() as connection:
        batch = _open_batch(connection, number)
        problems, ids = [], []
        for serial in dict.fromkeys(s.strip() for s in serials):
            try:
                row = _find(connection, serial)
                _check(row, "destroy")
            except ArchiveError as error:
                problems.append(error.message)
                continue
            listed = connection.execute(select(BATCH.c.number).join(ITEM, ITEM.c.batch_id == BATCH.c.id).where(
                ITEM.c.certificate_id == row.id)).scalar_one_or_none()
            if listed is not None:
                problems.append(f"证书 {serial} 已在销毁清册 {listed} 中")
                continue
            ids.append((serial, row.id))
        if problems:
            raise ArchiveError(f"{len(problems)} 个证书不能列入销毁清册，未作改动", details=problems)
        connection.execute(ITEM.insert(), [{"batch_id": batch.id, "certificate_id": cid} for _s, cid in ids])
        audit.record(connection, operator=ctx.operator, action="destruction.add", entity="destruction_batch",
                     key=batch.number, after={"serials": [s for s, _ in ids]})
    return len(ids)


@use_case(Permission.WRITE, "关闭销毁清册")
def close_batch(ctx: ArchiveContext, number: str) -> int:
    """销毁: every certificate on the batch becomes destroyed; the batch is read-only afterwards.
    The 销毁清册 is rendered as it stands now and kept (its SHA-256 in the close's audit event):
    printing it again gives that form, whatever is corrected later."""
    engine = ctx.engine
    with kept_forms.keeping() as keeping, engine.begin() as connection:
        batch = _open_batch(connection, number)
        rows = connection.execute(select(ITEM.c.certificate_id).where(ITEM.c.batch_id == batch.id)).scalars().all()
        if not rows:
            raise ArchiveError(f"销毁清册 {batch.number} 中还没有证书")
        if batch.destroyed_on > dt.date.today():
            raise ArchiveError(f"销毁清册 {batch.number} 的销毁日期 {batch.destroyed_on} 还没到，到那天销毁后再关闭",
                               field="date")
        serials = connection.execute(select(CERTIFICATE.c.serial).where(CERTIFICATE.c.id.in_(rows))).scalars()
        for serial in serials:
            row = _find(connection, serial)
            _check(row, "destroy")
            _record(connection, ctx, row, "destroy", on=batch.destroyed_on,
                    details={"batch": batch.number, "method": batch.method, "place": batch.place},
                    person=(batch.supervisors, "", ""))
        connection.execute(BATCH.update().where(BATCH.c.id == batch.id).values(
            status="closed", closed_at=dt.datetime.now(dt.timezone.utc)))
        kept = keep_destruction_register(connection, ctx, keeping, batch.number, "closed")
        audit.record(connection, operator=ctx.operator, action="destruction.close", entity="destruction_batch",
                     key=batch.number, after={"destroyed": len(rows), "kept": kept_forms.in_event(kept)})
        kept_forms.bind(connection, kept)
    return len(rows)


def list_batches(engine: Engine) -> list[dict]:
    count = select(func.count()).where(ITEM.c.batch_id == BATCH.c.id).scalar_subquery()
    with engine.connect() as connection:
        return [{"batch": row.number, "status": row.status, "certificates": row.items,
                 "destroyed_on": row.destroyed_on.isoformat() if row.destroyed_on else None,
                 "approval_doc": row.approval_doc}
                for row in connection.execute(select(BATCH, count.label("items")).order_by(BATCH.c.id))]


# ---- lists and reports ------------------------------------------------------------------------


def _outstanding_filter(kind: str):
    if kind == "new_not_issued":
        return (CERTIFICATE.c.generation == "new") & (CERTIFICATE.c.status == "printed")
    if kind == "old_not_recalled":
        return (CERTIFICATE.c.generation == "old") & (CERTIFICATE.c.status == "issued")
    if kind == "recalled_not_destroyed":
        return CERTIFICATE.c.status.in_(("recalled", "cancelled"))
    raise ArchiveError(f"清单“{kind}”无效：应为 {'、'.join(OUTSTANDING)}")


def list_certificates(engine: Engine, *, household: str | None = None, status: str | None = None,
                      village: str | None = None, outstanding: str | None = None, limit: int | None = None,
                      offset: int = 0) -> list[dict]:
    """Certificates in serial order with the CLI's keys (plus household name, village, group)."""
    query = (select(CERTIFICATE.c.serial, CERTIFICATE.c.code, CERTIFICATE.c.generation, CERTIFICATE.c.status,
                    CERTIFICATE.c.campaign, CERTIFICATE.c.collected_on, CERTIFICATE.c.collector_name,
                    HOUSEHOLD.c.code.label("cbfbm"),
                    HOUSEHOLD.c.name, ISSUER.c.village_name, ISSUER.c.name.label("issuer_name"))
             .join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
             .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
             .order_by(HOUSEHOLD.c.code, CERTIFICATE.c.generation.desc(), CERTIFICATE.c.serial))
    if status:
        if status not in STATUS_LABELS:
            raise ArchiveError(f"证书状态“{status}”无效：应为 {'、'.join(STATUS_LABELS)}")
        query = query.where(CERTIFICATE.c.status == status)
    if household:
        query = query.where((HOUSEHOLD.c.code == household.strip()) | (HOUSEHOLD.c.name == household.strip()))
    if village:
        query = query.where(village_filter(village))
    if outstanding:
        query = query.where(_outstanding_filter(outstanding))
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [{"serial": row.serial, "code": row.code, "cbfbm": row.cbfbm, "generation": row.generation,
                 "campaign": row.campaign, "status": row.status, "name": row.name, "village": row.village_name,
                 "group": group_name(row.issuer_name, row.village_name),
                 "collected_on": row.collected_on.isoformat() if row.collected_on else None,
                 "collector": row.collector_name}
                for row in connection.execute(query)]


def issue_report(engine: Engine, *, by_group: bool = False) -> list[dict]:
    """Issue rate and outstanding counts per village (or per group), in code order.

    A household counts as issued when it holds a new-generation certificate that has been
    handed over (status issued). ``recalled_not_destroyed`` also counts cancelled ones."""
    key = [ISSUER.c.village_code, ISSUER.c.village_name] + ([ISSUER.c.code, ISSUER.c.name] if by_group else [])
    households = dict(((*row[:-1],), row[-1]) for row in _run(engine, select(*key, func.count(HOUSEHOLD.c.id))
                      .join(HOUSEHOLD, HOUSEHOLD.c.issuer_id == ISSUER.c.id).group_by(*key)))
    certificates = (CERTIFICATE.join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
                    .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id))
    new, old = CERTIFICATE.c.generation == "new", CERTIFICATE.c.generation == "old"
    status = CERTIFICATE.c.status
    figures = select(
        *key,
        func.count(distinct(case((new & (status == "issued"), CERTIFICATE.c.household_id)))),
        func.sum(case((new & (status == "printed"), 1), else_=0)),
        func.sum(case((old & (status == "issued"), 1), else_=0)),
        func.sum(case((status.in_(("recalled", "cancelled")), 1), else_=0)),
    ).select_from(certificates).group_by(*key)
    counted = {tuple(row[:len(key)]): row[len(key):] for row in _run(engine, figures)}
    report = []
    for group_key in sorted(households):
        total = households[group_key]
        issued, new_waiting, old_out, to_destroy = counted.get(group_key, (0, 0, 0, 0))
        row = {"village": group_key[1] or group_key[0], "households": total, "issued": issued,
               "issue_rate": round(100 * issued / total, 1) if total else 0.0,
               "new_not_issued": int(new_waiting or 0), "old_not_recalled": int(old_out or 0),
               "recalled_not_destroyed": int(to_destroy or 0)}
        if by_group:
            row["group"] = group_name(group_key[3], group_key[1]) or group_key[3]
        report.append(row)
    return report


def report_total(rows: list[dict]) -> dict:
    """The 合计 row of an issue report."""
    households = sum(r["households"] for r in rows)
    issued = sum(r["issued"] for r in rows)
    total = {"village": "合计", "households": households, "issued": issued,
             "issue_rate": round(100 * issued / households, 1) if households else 0.0}
    for name in ("new_not_issued", "old_not_recalled", "recalled_not_destroyed"):
        total[name] = sum(r[name] for r in rows)
    return total


def _run(engine: Engine, query) -> list:
    with engine.connect() as connection:
        return connection.execute(query).all()


DETAIL_LABELS = {"relation_label": "与户主关系", "proxy_letter": "委托书", "returned_by": "交回人",
                 "condition": "证书状况", "new": "新证书", "campaign": "工作阶段", "batch": "销毁清册",
                 "method": "销毁方式", "place": "销毁地点"}
"""The words an event's details are shown with (the relation's code aside: its label is shown)."""


def details_text(details: str) -> str:
    """An event's details as the archivist reads them: 交回人：张三；证书状况：完好；工作阶段：延包."""
    values = json.loads(details or "{}")
    return "；".join(f"{DETAIL_LABELS[key]}：{value}" for key, value in values.items()
                    if key in DETAIL_LABELS and value not in ("", None))


def certificate_history(engine: Engine, serial: str) -> tuple[dict, list[dict]]:
    """One certificate and its events, oldest first."""
    with engine.connect() as connection:
        row = _find(connection, serial)
        events = connection.execute(select(EVENT).where(EVENT.c.certificate_id == row.id)
                                    .order_by(EVENT.c.id)).all()
    return dict(row._mapping), [dict(event._mapping) for event in events]


# ---- one entry point for forms ------------------------------------------------------------------

ACTION_FIELDS: dict[str, list[tuple[str, str]]] = {
    "issue": [("collector", "领证人"), ("collector_id", "身份证号码"), ("relation", "与户主关系"),
              ("proxy_letter", "委托书"), ("date", "日期")],
    "recall": [("by", "交回人"), ("condition", "证书状况"), ("date", "日期")],
    "lost": [("reason", "说明"), ("date", "日期")],
    "cancel": [("reason", "注销原因"), ("date", "日期")],
    "reissue": [("new", "新证书编号"), ("reason", "说明"), ("date", "日期")],
    "replace": [("new", "新证书编号"), ("reason", "说明"), ("date", "日期")],
}
"""The fields a form asks for, per action (destruction goes through a batch)."""
CONDITIONS = ("完好", "破损", "污损", "残缺", "字迹不清", "涂改")  # 证书状况 of a returned certificate


def form_defaults(engine: Engine, serial: str, action: str, today: dt.date | None = None) -> dict[str, str]:
    """What a form starts with: today's date, and the household's head as the one who collects or
    hands back the certificate (most often so); the archivist changes what differs."""
    with engine.connect() as connection:
        row = _find(connection, serial)
    values = {"date": (today or dt.date.today()).isoformat()}
    if action == "issue":
        values["collector"] = row.household_name
    elif action == "recall":
        values.update(by=row.household_name, condition=CONDITIONS[0])
    return values


def parse_day(text: str, field: str = "date") -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArchiveError(f"日期“{text}”格式不对，应为 YYYY-MM-DD，如 2026-11-23", field=field) from None


def allowed_actions(status: str) -> list[str]:
    """The form actions a certificate in ``status`` allows, in the usual order."""
    return [action for action in ACTION_FIELDS if status in TRANSITIONS[action][0]]


@use_case(Permission.WRITE, "登记证书事项")
def apply_action(ctx: ArchiveContext, serial: str, action: str, values: dict[str, str]) -> None:
    """Carry out a form's action with its text values (as typed)."""
    on = parse_day(values.get("date", ""))
    if action == "issue":
        issue(ctx, serial, Collector(values.get("collector", ""), values.get("collector_id", ""),
                                                values.get("relation", ""),
                                                proxy_letter=values.get("proxy_letter", "")), on)
    elif action == "recall":
        recall(ctx, serial, by=values.get("by", ""), condition=values.get("condition", ""), on=on)
    elif action == "lost":
        lost(ctx, serial, reason=values.get("reason", ""), on=on)
    elif action == "cancel":
        cancel(ctx, serial, reason=values.get("reason", ""), on=on)
    elif action in ("reissue", "replace"):
        _successor(ctx, serial, values.get("new", ""), action, values.get("reason", ""), on)
    else:
        raise ArchiveError(f"未知的操作“{action}”")


def latest_open_batch(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(select(BATCH.c.number).where(BATCH.c.status == "open")
                                  .order_by(BATCH.c.id.desc()).limit(1)).scalar_one_or_none()
