"""Checks of a later campaign (延包质检): the extended term, what changed since 确权, and the order
of the steps (confirmed, publicised without objection, signed — then the certificate).

Each rule looks at every campaign of ``[[campaigns]]`` that has data; its findings name the
campaign, so a township working through 延包 sees them beside its 确权 findings. Disputes
block as before (``dispute_followup`` and the 换发 batch, which passes a disputed household by).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import and_, select

from archive_tui.core.config import PRIMARY_CAMPAIGN, CampaignSettings
from archive_tui.core.states import DISPUTE_STAGE_LABELS as STAGE_LABELS
from archive_tui.db.tables import CAMPAIGN_RECORD, CERTIFICATE, CONTRACT, DISPUTE, HOUSEHOLD, MEMBER, PARCEL
from archive_tui.services.quality.checks import Found, Scope, rule

FIRST = CONTRACT.alias("first_contract")


def extended_end(campaign: CampaignSettings, old_end: dt.date) -> dt.date:
    """The end the extended contract should have: the configured date, else the old end plus the years
    (29 February becomes 28 February when the year has none)."""
    if campaign.term_end is not None:
        return campaign.term_end
    year = old_end.year + campaign.extend_years
    try:
        return old_end.replace(year=year)
    except ValueError:
        return old_end.replace(year=year, day=28)


def _records(scope: Scope, campaign: str, *columns):
    query = (select(CAMPAIGN_RECORD.c.household_id, *columns)
             .where(CAMPAIGN_RECORD.c.campaign == campaign).order_by(CAMPAIGN_RECORD.c.household_id))
    return scope.rows(query, CAMPAIGN_RECORD.c.household_id).all()


@rule("extension_term", "error", "延包合同的承包期限止不是原期限止加三十年（或设定的到期日）")
def extension_term(scope: Scope) -> Found:
    for campaign in scope.config.settings.campaigns:
        query = (select(CONTRACT.c.household_id, CONTRACT.c.code, CONTRACT.c.term_end, FIRST.c.term_end.label("old"))
                 .join(FIRST, and_(FIRST.c.code == CONTRACT.c.code, FIRST.c.campaign == PRIMARY_CAMPAIGN))
                 .where(CONTRACT.c.campaign == campaign.name).order_by(CONTRACT.c.code))
        for row in scope.rows(query, CONTRACT.c.household_id):
            if row.old is None:
                continue
            wanted = extended_end(campaign, row.old)
            if row.term_end != wanted:
                how = "设定的到期日" if campaign.term_end else f"原期限止 {row.old} 加 {campaign.extend_years} 年"
                yield (row.household_id, f"{campaign.name}合同 {row.code}",
                       f"{campaign.name}合同 {row.code} 承包期限止为 {row.term_end or '空'}，应为 {wanted}（{how}）")


def _people(rows) -> dict[str, str]:
    """Members by ID number (else by name) → name."""
    return {(row["id_number"] or row["name"]).strip().upper(): row["name"] for row in rows}


@rule("extension_members_changed", "warning", "家庭成员与确权时不同（新增或减少），须在确认表上由农户确认")
def extension_members_changed(scope: Scope) -> Found:
    for campaign in scope.config.settings.campaigns:
        records = _records(scope, campaign.name, CAMPAIGN_RECORD.c.members, CAMPAIGN_RECORD.c.new_household)
        if not records:
            continue
        first: dict[int, list[dict]] = {}
        for row in scope.rows(select(MEMBER.c.household_id, MEMBER.c.name, MEMBER.c.id_number)
                              .where(MEMBER.c.household_id.in_([r.household_id for r in records])),
                              MEMBER.c.household_id):
            first.setdefault(row.household_id, []).append({"name": row.name, "id_number": row.id_number})
        for record in records:
            if record.new_household:
                continue
            now, before = _people(json.loads(record.members or "[]")), _people(first.get(record.household_id, []))
            added = [name for key, name in now.items() if key not in before]
            gone = [name for key, name in before.items() if key not in now]
            if added or gone:
                parts = ([f"新增 {'、'.join(added)}"] if added else []) + ([f"减少 {'、'.join(gone)}"] if gone else [])
                yield (record.household_id, f"{campaign.name}成员变动",
                       f"{campaign.name}确认的家庭成员与确权时相比：{'；'.join(parts)}（请在确认表上核实并由农户签字）")


@rule("extension_area_change", "warning", "地块面积比确权时变动超过设定的比例（大稳定、小调整）")
def extension_area_change(scope: Scope) -> Found:
    for campaign in scope.config.settings.campaigns:
        records = _records(scope, campaign.name, CAMPAIGN_RECORD.c.parcels)
        if not records:
            continue
        areas = {row.code: row.contract_area for row in scope.rows(
            select(PARCEL.c.household_id, PARCEL.c.code, PARCEL.c.contract_area)
            .where(PARCEL.c.household_id.in_([r.household_id for r in records])), PARCEL.c.household_id)}
        share = campaign.area_change_share
        for record in records:
            for parcel in json.loads(record.parcels or "[]"):
                old, new = areas.get(parcel["code"]), parcel.get("area")
                if not old or new is None:
                    continue
                change = (new - old) / old * 100
                if abs(change) > share:
                    yield (record.household_id, f"地块 {parcel['code']}",
                           f"{campaign.name}地块 {parcel['code']} 面积由 {old:.2f} 变为 {new:.2f} 平方米"
                           f"（{change:+.1f}%），超过 {share:g}%")


@rule("extension_objection", "error", "延包公示有异议，尚未处理")
def extension_objection(scope: Scope) -> Found:
    disputes: dict[int, str] = {}  # household → its open dispute: number and stage
    for row in scope.rows(select(DISPUTE.c.household_id, DISPUTE.c.number, DISPUTE.c.stage)
                          .where(DISPUTE.c.stage != "closed").order_by(DISPUTE.c.id), DISPUTE.c.household_id):
        disputes.setdefault(row.household_id, f"{row.number}，{STAGE_LABELS.get(row.stage, row.stage)}")
    for campaign in scope.config.settings.campaigns:
        for record in _records(scope, campaign.name, CAMPAIGN_RECORD.c.objection):
            if record.objection:
                dispute = disputes.get(record.household_id)
                todo = (f"已登记纠纷调处（{dispute}），结案后重新公示" if dispute
                        else "调处后重新公示，或登记纠纷")
                yield (record.household_id, f"{campaign.name}公示",
                       f"{campaign.name}公示有异议：{record.objection}（{todo}）")


@rule("extension_order", "error", "证书在农户确认、公示无异议并签约之前颁发")
def extension_order(scope: Scope) -> Found:
    for campaign in scope.config.settings.campaigns:
        query = (select(CERTIFICATE.c.household_id, CERTIFICATE.c.serial, CERTIFICATE.c.issued_on,
                        CAMPAIGN_RECORD.c.confirmed_on, CAMPAIGN_RECORD.c.publicised_on, CAMPAIGN_RECORD.c.objection,
                        CAMPAIGN_RECORD.c.signed_on)
                 .join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
                 .outerjoin(CAMPAIGN_RECORD, and_(CAMPAIGN_RECORD.c.household_id == CERTIFICATE.c.household_id,
                                                  CAMPAIGN_RECORD.c.campaign == campaign.name))
                 .where(CERTIFICATE.c.campaign == campaign.name).order_by(CERTIFICATE.c.serial))
        for row in scope.rows(query):
            problem = order_problem(row)
            if problem:
                yield (row.household_id, f"{campaign.name}证书 {row.serial}",
                       f"{campaign.name}证书 {row.serial}（发证 {row.issued_on or '日期空'}）{problem}")


def order_problem(row) -> str | None:
    """Why a certificate came too early: the household had not confirmed, been publicised without
    objection or signed by its issue date (None: in order)."""
    issued = row.issued_on
    steps = (("confirmed_on", "农户确认"), ("publicised_on", "公示"), ("signed_on", "签订延包合同"))
    missing = [label for name, label in steps if getattr(row, name) is None]
    if missing:
        return f"颁发时本户尚未{'、'.join(missing)}"
    early = [f"{label}（{getattr(row, name)}）" for name, label in steps
             if issued is not None and issued < getattr(row, name)]
    if early:
        return f"早于{'、'.join(early)}"
    return "颁发时公示异议尚未处理" if row.objection else None


@rule("extension_not_exchanged", "warning", "已有延包新证，确权证书尚未收回换发")
def extension_not_exchanged(scope: Scope) -> Found:
    for campaign in scope.config.settings.campaigns:
        holders = select(CERTIFICATE.c.household_id).where(CERTIFICATE.c.campaign == campaign.name)
        query = (select(CERTIFICATE.c.household_id, CERTIFICATE.c.serial)
                 .where(CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN, CERTIFICATE.c.generation == "new",
                        CERTIFICATE.c.status.in_(("issued", "lost")), CERTIFICATE.c.household_id.in_(holders))
                 .order_by(CERTIFICATE.c.serial))
        for row in scope.rows(query, CERTIFICATE.c.household_id):
            yield (row.household_id, f"证书 {row.serial}",
                   f"确权证书 {row.serial} 尚未收回换发为{campaign.name}新证"
                   f"（certs replace --campaign {campaign.name}）")
