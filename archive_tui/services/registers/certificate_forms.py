"""The certificate registers on paper: 颁证清册 per group and the 销毁清册 of a batch."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, authorize, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.db import serialize_writers
from archive_tui.core.display import chinese_date
from archive_tui.core.errors import ArchiveError
from archive_tui.reports.certificates import (
    DESTRUCTION_COLUMNS, DESTRUCTION_SHEET_COLUMNS, ROSTER_COLUMNS, write_destruction_pdf, write_roster_pdf,
)
from archive_tui.reports.tables import TitledTable, write_titled_xlsx
from archive_tui.reports.fonts import font_of
from archive_tui import audit
from archive_tui.services.registers import kept_forms
from archive_tui.services.households.archive_files import group_name
from archive_tui.services.registers.certificate_records import STATUS_LABELS, batch_details
from archive_tui.core.privacy import mask_id
from archive_tui.services.households.filters import village_filter
from archive_tui.services.printed import PrintResult, glyph_warnings
from archive_tui.core.values import format_number
from archive_tui.db.tables import CERTIFICATE, CERT_EVENT as EVENT, CONTRACT, HOUSEHOLD, ISSUER

FORMATS = (".pdf", ".xlsx")


def _check_format(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ArchiveError(f"输出文件 {out.name} 应以 .pdf 或 .xlsx 结尾")
    return suffix


def _roster_rows(source: Engine | Connection, village: str, group: str | None) -> list:
    """The 确权 颁证清册's rows: each household once, with its 确权 contract and certificate (a later
    campaign's, 延包 …, with the same codes, are not this roster's)."""
    serial = (select(func.max(CERTIFICATE.c.serial)).where(
        CERTIFICATE.c.household_id == HOUSEHOLD.c.id, CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN,
        CERTIFICATE.c.generation == "new", CERTIFICATE.c.status.not_in(("cancelled", "destroyed"))).scalar_subquery())
    query = (select(HOUSEHOLD.c.code, HOUSEHOLD.c.name, HOUSEHOLD.c.id_number, ISSUER.c.code.label("issuer_code"),
                    ISSUER.c.name.label("issuer_name"), ISSUER.c.village_name, ISSUER.c.village_code,
                    CONTRACT.c.code.label("contract"),
                    CONTRACT.c.total_area_mu, serial.label("serial"))
             .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
             .outerjoin(CONTRACT, (CONTRACT.c.household_id == HOUSEHOLD.c.id)
                        & (CONTRACT.c.campaign == PRIMARY_CAMPAIGN))
             .where(village_filter(village)).order_by(HOUSEHOLD.c.code))
    if group:
        query = query.where((ISSUER.c.name.endswith(group.strip())) | (ISSUER.c.group_code == group.strip()))
    if isinstance(source, Engine):
        with source.connect() as connection:
            rows = connection.execute(query).all()
    else:
        rows = source.execute(query).all()
    if not rows:
        raise ArchiveError(f"村“{village}”{('组“' + group + '”') if group else ''}没有承包户")
    return rows


def roster_key(rows: list, group: str | None) -> str:
    """What a signed 颁证清册 is of: the village's code, and the group's (组) when one was asked."""
    key = rows[0].village_code
    return key + ("/" + "、".join(sorted({row.issuer_code for row in rows})) if group else "")


ROSTER_VARIANTS = {False: "打码", True: "全号"}


@use_case(Permission.READ, "打印颁证清册")
def print_roster(ctx: ArchiveContext, village: str, out: Path, *, group: str | None = None,
                 full_id: bool = False, sign: bool = False) -> PrintResult:
    """颁证清册: per group 序号, 承包方名称, 合同编号, 确权面积（亩）, 身份证号码 (masked unless
    ``full_id``, which is recorded), a signature column and a 合计 row. ``sign``: the roster as
    signed off (签发) is rendered once (PDF and XLSX) and kept, its SHA-256 in the sign-off's
    audit event; printing the village (or group) again then gives that roster, byte for byte,
    until it is signed off anew."""
    if full_id:
        authorize(ctx, Permission.REVEAL, "打印完整身份证号", "certificate_forms.print_roster")
    if sign:
        authorize(ctx, Permission.WRITE, "签发颁证清册", "certificate_forms.print_roster")
    engine, config = ctx.engine, ctx.config
    suffix = _check_format(out)
    out = Path(out)
    rows = _roster_rows(engine, village, group)
    key, variant = roster_key(rows, group), ROSTER_VARIANTS[full_id]
    if sign:
        with kept_forms.keeping() as keeping, engine.begin() as connection:
            serialize_writers(connection, kept_forms.KEPT)  # the roster as it is when it is kept
            rows = _roster_rows(connection, village, group)
            made = keep_roster(connection, ctx, keeping, rows, key, full_id)
            audit.record(connection, operator=ctx.operator, action="roster.sign", entity="roster", key=key,
                         after={"village": rows[0].village_name, "group": group or "", "households": len(rows),
                                "full_id_numbers": full_id, "kept": kept_forms.in_event(made)})
            kept_forms.bind(connection, made)
    with engine.connect() as connection:
        signed = kept_forms.latest(connection, "roster", key, suffix)
    if signed is not None:
        if signed.variant != variant:
            raise ArchiveError(f"颁证清册 {key} 已签发（身份证号码{signed.variant}），重印只能是签发的那一份："
                               + ("请去掉 --full-id" if not full_id else "请加 --full-id")
                               + "；要按现在的数据另出一份，用 --sign 重新签发")
        path = kept_forms.copy_kept(config, signed, out)
        if full_id and not sign:  # the full numbers on paper again
            with engine.begin() as connection:
                audit.record(connection, operator=ctx.operator, action="reveal", entity="roster", key=village,
                             after={"households": len(rows), "file": out.name, "signed": signed.path})
        return PrintResult(path, len({row.issuer_code for row in rows}), len(rows))
    return _render_roster(engine, config, rows, out, full_id)


def keep_roster(connection: Connection, ctx: ArchiveContext, keeping: kept_forms.Keeping, rows: list, key: str,
                full_id: bool) -> list[dict]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="颁证清册-") as folder:
        files = [Path(folder) / f"颁证清册{suffix}" for suffix in FORMATS]
        for path in files:
            _render_roster(None, ctx.config, rows, path, full_id)
        return kept_forms.keep(connection, ctx, keeping, "roster", key, "signed", files,
                               variant=ROSTER_VARIANTS[full_id])


def _render_roster(engine: Engine | None, config: Config, rows: list, out: Path, full_id: bool) -> PrintResult:
    """The roster of ``rows`` in ``out``'s format (a reveal of full ID numbers is audited when
    ``engine`` is given: the sign-off's own event records it otherwise)."""
    suffix = out.suffix.lower()
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.issuer_code, []).append(row)
    township = config.settings.township.name
    tables = []
    for members in groups.values():
        first = members[0]
        name = group_name(first.issuer_name, first.village_name) or first.village_name
        body = [[str(number), row.name, row.contract or "", row.serial or "", format_number(row.total_area_mu or 0),
                 row.id_number if full_id else mask_id(row.id_number), "", ""]
                for number, row in enumerate(members, start=1)]
        area = sum(row.total_area_mu or 0 for row in members)
        body.append(["合计", f"{len(members)} 户", "", "", format_number(round(area, 2)), "", "", ""])
        tables.append(TitledTable(name, [f"{township}{first.village_name}{name}农村土地承包经营权证颁证清册",
                                         "发证机关：" + f"{config.settings.county.name}人民政府"],
                                  [column.title for column in ROSTER_COLUMNS], body, total_rows=1,
                                  after=[["填表人（签字）", "", "审核人（签字）", "", "日期"]]))
    font = font_of(config)
    warnings = []
    for row in rows:
        warnings += glyph_warnings(font, f"{row.code}（{row.name}）", [row.name])
    if full_id and engine is not None:
        with engine.begin() as connection:
            audit.record(connection, operator=config.operator, action="reveal", entity="roster",
                         key=rows[0].village_name, after={"households": len(rows), "file": out.name})
    if suffix == ".pdf":
        write_roster_pdf(out, font, tables)
    else:
        write_titled_xlsx(out, tables)
    return PrintResult(out, len(tables), len(rows), warnings)


def _year_of(item: dict) -> str:
    """年度 of a certificate: its issue date, else the date it was collected; 不详 when neither."""
    known = item["issued_on"] or item["collected_on"]
    return str(known.year) if known else "不详"


def _years_kept(item: dict, until: dt.date) -> str:
    """已保管期限: whole years from issue (or collection) to destruction (or today, for a draft)."""
    since = item["issued_on"] or item["collected_on"]
    if not since:
        return "不详"
    years = until.year - since.year - ((until.month, until.day) < (since.month, since.day))
    return f"{max(0, years)}年" if years >= 1 else "不足1年"


def _why_destroyed(item: dict) -> str:
    """销毁原因 from the certificate's own events: 换发 (and the new one), 注销 (and why), 补发, or
    an old-generation certificate handed back for the new one."""
    events = item["events"]
    replaced = events.get("replace")
    if replaced:
        new = json.loads(replaced.details or "{}").get("new", "")
        return f"换发（新证 {new}）" + (f"：{replaced.reason}" if replaced.reason else "")
    cancelled = events.get("cancel")
    if cancelled:
        return f"注销：{cancelled.reason}" if cancelled.reason else "注销"
    if events.get("reissue"):
        return "挂失补发后原证收回"
    if item["generation"] == "old":
        return "换发新证，旧证收回"
    return "收回" if events.get("recall") else ""


def _recall_facts(item: dict, date_text) -> tuple[str, str, str]:
    """(收回日期, 交回人, 证书状况) from the recall event ("—" where the certificate was never
    handed back, e.g. cancelled while lost)."""
    recalled = item["events"].get("recall")
    if recalled is None:
        return "—", "—", "—"
    details = json.loads(recalled.details or "{}")
    return (date_text(recalled.happened_on), details.get("returned_by") or recalled.person_name or "",
            details.get("condition", ""))


def _destruction_data(connection: Connection, number: str) -> tuple[dict, list[dict]]:
    """The batch and its certificates, each with its last event of every kind."""
    batch, items = batch_details(connection, number)
    ids = [item["id"] for item in items]
    events: dict[int, dict] = {item_id: {} for item_id in ids}
    for start in range(0, len(ids), 900):
        for event in connection.execute(select(EVENT).where(EVENT.c.certificate_id.in_(ids[start:start + 900]))
                                        .order_by(EVENT.c.id)):
            events[event.certificate_id][event.kind] = event  # the last of each kind
    for item in items:
        item["events"] = events[item["id"]]
    return batch, items


DESTRUCTION_STAGES = {"closed": "（已销毁）", "open": "（送审稿，供审批）"}


def _render_destruction(connection: Connection, config: Config, number: str, out: Path) -> PrintResult:
    """销毁清册 of one batch as PDF (cover with signature lines, then the list) or XLSX, from what
    ``connection`` sees. An open batch prints as the 送审稿 on which the approval is signed."""
    suffix = out.suffix.lower()
    batch, items = _destruction_data(connection, number)
    if not items:
        raise ArchiveError(f"销毁清册 {batch['number']} 中还没有证书")
    names = config.settings.certificates
    generation = {"old": names.old_generation, "new": names.new_generation}
    until = batch["destroyed_on"] or dt.date.today()
    pdf = suffix == ".pdf"
    date_text = (lambda day: chinese_date(day).replace("年", "年\n", 1)) if pdf else (
        lambda day: day.isoformat() if day else "")
    rows = []
    for index, item in enumerate(items, start=1):
        returned_on, returned_by, condition = _recall_facts(item, date_text)
        cancelled = item["events"].get("cancel")
        remark = f"{generation.get(item['generation'], '')}，{STATUS_LABELS.get(item['status'], '')}"
        if cancelled and returned_on == "—":
            remark += f"，{chinese_date(cancelled.happened_on)}注销"
        title, kept_for = f"{item['household']} 农村土地承包经营权证", _years_kept(item, until)
        why = _why_destroyed(item)
        rows.append([str(index), f"{item['code']}\n{item['serial']}", title, _year_of(item), "—", kept_for, why,
                     returned_on, returned_by, condition, "1", remark] if pdf else
                    [str(index), item["serial"], title, _year_of(item), item["code"], "—", kept_for, why,
                     returned_on, returned_by, condition, "1", remark])
    rows.append(["合计", f"{len(items)} 件", *[""] * (8 if pdf else 9), str(len(items)), ""])
    archive = config.settings.archive
    stage = DESTRUCTION_STAGES["closed" if batch["status"] == "closed" else "open"]
    heading = [f"{config.settings.township.name}农村土地承包经营权证销毁清册",
               f"清册编号 {batch['number']}{stage}  全宗号 {archive.fonds_code}  共 {len(items)} 件"]
    supervisors = [name for name in batch["supervisors"].split("、") if name]
    columns = [column.title for column in DESTRUCTION_COLUMNS] if pdf else DESTRUCTION_SHEET_COLUMNS
    table = TitledTable(batch["number"], heading, columns, rows,
                        total_rows=1, after=[[f"监销人 {name}（签字）", "", "日期"] for name in supervisors])
    anchor = audit.anchor_text_on(connection)
    if suffix == ".xlsx":
        facts = [["批准文号", batch["approval_doc"]], ["批准人", batch["approver"]],
                 ["鉴定小组组长", batch["appraisal_head"]], ["监销人", batch["supervisors"]],
                 ["销毁方式", batch["method"]], ["销毁地点", batch["place"]],
                 ["销毁日期", batch["destroyed_on"].isoformat() if batch["destroyed_on"] else ""],
                 ["审计日志", anchor]]
        signatures = [["批准人（签字）", "", "日期"], ["鉴定小组组长（签字）", "", "日期"]]
        write_titled_xlsx(out, [table, TitledTable("封面", heading[:1], ["项目", "内容"], facts, after=signatures)])
        return PrintResult(out, len(items), 1)
    cover = [("清册编号", batch["number"] + stage), ("全宗号", archive.fonds_code), ("销毁数量", f"{len(items)} 件"),
             ("批准文号", batch["approval_doc"]),
             ("批准人", f"{batch['approver']}  {chinese_date(batch['approved_on'])}"),
             ("鉴定小组组长", f"{batch['appraisal_head']}  {chinese_date(batch['appraised_on'])}"),
             ("监销人", batch["supervisors"]), ("销毁方式", batch["method"]), ("销毁地点", batch["place"]),
             ("销毁日期", chinese_date(batch["destroyed_on"])),
             ("审计日志", anchor)]
    font = font_of(config)
    pages = write_destruction_pdf(out, font, cover, table, ["批准人", "鉴定小组组长"], supervisors,
                                  draft=False if batch["status"] == "closed" else "送审稿（供审批，尚未销毁）")
    warnings = [warning for item in items
                for warning in glyph_warnings(font, f"{item['serial']}（{item['household']}）", [item["household"]])]
    return PrintResult(out, len(items), pages, warnings)


def keep_destruction_register(connection: Connection, ctx: ArchiveContext, keeping: kept_forms.Keeping,
                              number: str, stage: str) -> list[dict]:
    """Render the closed 销毁清册 (PDF and XLSX) as it stands on ``connection`` and keep both;
    returns the kept files for the step's audit event (then ``kept_forms.bind``)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="销毁清册-") as folder:
        files = [Path(folder) / "销毁清册.pdf", Path(folder) / "销毁清册.xlsx"]
        for path in files:
            _render_destruction(connection, ctx.config, number, path)
        return kept_forms.keep(connection, ctx, keeping, "destruction", number.strip(), stage, files)


def _pdf_pages(path: Path) -> int:
    from pypdf import PdfReader  # loaded late: pypdf takes 0.2 s

    return len(PdfReader(path).pages)


@use_case(Permission.READ, "打印销毁清册")
def print_destruction_register(ctx: ArchiveContext, number: str, out: Path) -> PrintResult:
    """销毁清册 of one batch as PDF or XLSX. Before closing: the 送审稿, made anew each time. Once
    closed: the form kept when it was closed, byte for byte (a batch closed before forms were
    kept is rendered and kept at its first print)."""
    engine, config = ctx.engine, ctx.config
    suffix = _check_format(out)
    out = Path(out)
    with engine.connect() as connection:
        batch, _items = batch_details(connection, number)
        if batch["status"] != "closed":
            return _render_destruction(connection, config, number, out)
        count = len(_items)
        kept = kept_forms.latest(connection, "destruction", batch["number"], suffix)
    if kept is None:
        with kept_forms.keeping() as keeping, engine.begin() as connection:
            made = keep_destruction_register(connection, ctx, keeping, batch["number"], "first-print")
            audit.record(connection, operator=ctx.operator, action="destruction.kept",
                         entity="destruction_batch", key=batch["number"], after={"kept": kept_forms.in_event(made)})
            kept_forms.bind(connection, made)
        with engine.connect() as connection:
            kept = kept_forms.latest(connection, "destruction", batch["number"], suffix)
    path = kept_forms.copy_kept(config, kept, out)
    return PrintResult(path, count, _pdf_pages(path) if suffix == ".pdf" else 1)
