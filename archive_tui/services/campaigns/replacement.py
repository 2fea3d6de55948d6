"""换发 in a campaign (延包换证): a village's 确权 certificates exchanged for the campaign's new ones.

For each household of the village that has collected its certificate of the campaign, and has
confirmed, been publicised without objection and signed, with no dispute open: its 确权
certificate still in the household's hands is recalled (收回, handed back when the new one was
collected: on that day, unless a date is given) and recorded as exchanged (换发) for the new
one; one already recalled or lost is recorded as exchanged only. Each old certificate then
waits, recalled, for a 销毁清册 (certs batch …), as any recalled certificate does. Every other
household with a certificate of the campaign is listed with the reason it was passed by;
nothing of it changes. One transaction; each event audited; the same batch again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, select

from archive_tui.core.errors import ArchiveError
from archive_tui.core.roles import Permission
from archive_tui.core.states import DisputeStage
from archive_tui.db.tables import CAMPAIGN_RECORD, CERT_EVENT, CERTIFICATE, DISPUTE, HOUSEHOLD, ISSUER
from archive_tui.services.households.filters import village_filter
from archive_tui.services.quality.campaign_rules import order_problem
from archive_tui.services.registers.certificates import find_certificate, record_event
from archive_tui.services.use_cases import ArchiveContext, use_case
from models import PRIMARY_CAMPAIGN

OLD_IN_HAND = ("issued",)
OLD_BACK = ("recalled", "lost")


@dataclass
class Exchange:
    household: str  # 承包方编码 名称
    old: str  # the 确权 certificate's serial
    new: str  # the campaign's


@dataclass
class ReplaceReport:
    campaign: str
    village: str
    exchanged: list[Exchange] = field(default_factory=list)
    passed_by: list[tuple[str, str]] = field(default_factory=list)  # household, why
    already: int = 0  # exchanged before


def _candidates(connection, campaign: str, village: str):
    """The village's households holding a certificate of the campaign, with their steps."""
    return connection.execute(
        select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, HOUSEHOLD.c.name, CERTIFICATE.c.serial, CERTIFICATE.c.issued_on,
               CERTIFICATE.c.status, CERTIFICATE.c.collected_on,
               CAMPAIGN_RECORD.c.confirmed_on, CAMPAIGN_RECORD.c.publicised_on, CAMPAIGN_RECORD.c.objection,
               CAMPAIGN_RECORD.c.signed_on)
        .join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
        .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
        .outerjoin(CAMPAIGN_RECORD, and_(CAMPAIGN_RECORD.c.household_id == HOUSEHOLD.c.id,
                                         CAMPAIGN_RECORD.c.campaign == campaign))
        .where(CERTIFICATE.c.campaign == campaign, CERTIFICATE.c.status.in_(("printed", "issued")),
               village_filter(village))
        .order_by(HOUSEHOLD.c.code, CERTIFICATE.c.serial)).all()


def _disputed(connection, household_ids: list[int]) -> set[int]:
    return set(connection.execute(select(DISPUTE.c.household_id).where(
        DISPUTE.c.household_id.in_(household_ids), DISPUTE.c.stage != DisputeStage.CLOSED)).scalars())


def _exchanged(connection, certificate_id: int) -> bool:
    return connection.execute(select(CERT_EVENT.c.id).where(
        CERT_EVENT.c.certificate_id == certificate_id, CERT_EVENT.c.kind.in_(("replace", "reissue")))
    ).first() is not None


@use_case(Permission.WRITE, "换发证书")
def replace_for_campaign(ctx: ArchiveContext, campaign: str, village: str, *, on: dt.date | None = None,
                         reason: str = "") -> ReplaceReport:
    """Exchange the village's 确权 certificates for the campaign's (see the module)."""
    settings = ctx.config.settings.campaign(campaign)
    report = ReplaceReport(settings.name, village.strip())
    why = reason.strip() or f"{settings.label}换发"
    with ctx.engine.begin() as connection:
        if connection.execute(select(ISSUER.c.id).where(village_filter(village)).limit(1)).first() is None:
            raise ArchiveError(f"本乡镇没有名为或代码为“{village.strip()}”的村")
        candidates = _candidates(connection, settings.name, village)
        disputed = _disputed(connection, [row.id for row in candidates])
        for row in candidates:
            household = f"{row.code} {row.name}"
            problem = ("有未结的纠纷（纠纷调处结案后再换发）" if row.id in disputed
                       else _not_ready(row, settings.name))
            if problem:
                report.passed_by.append((household, problem))
                continue
            day = on or row.collected_on or dt.date.today()  # the old one came back as the new one went out
            olds = connection.execute(select(CERTIFICATE.c.id, CERTIFICATE.c.serial, CERTIFICATE.c.status).where(
                CERTIFICATE.c.household_id == row.id, CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN,
                CERTIFICATE.c.generation == "new", CERTIFICATE.c.status.in_((*OLD_IN_HAND, *OLD_BACK)))).all()
            if not olds:
                report.passed_by.append((household, "没有在农户手中或已收回待换发的确权证书"
                                                    "（未曾发放，或已注销、销毁）"))
            for old in olds:
                if _exchanged(connection, old.id):
                    report.already += 1
                    continue
                if old.status in OLD_IN_HAND:
                    record_event(connection, ctx, find_certificate(connection, old.serial), "recall", on=day,
                                 reason=why, details={"returned_by": row.name, "condition": "",
                                                      "campaign": settings.name})
                record_event(connection, ctx, find_certificate(connection, old.serial), "replace", on=day,
                             reason=why, details={"new": row.serial, "campaign": settings.name})
                report.exchanged.append(Exchange(household, old.serial, row.serial))
    return report


def _not_ready(row, campaign: str) -> str | None:
    """Why a household may not have its certificate exchanged yet (None: it may)."""
    if row.status != "issued":
        return f"{campaign}新证 {row.serial} 尚未领取（领取新证时收回确权证书）"
    if row.confirmed_on is None and row.signed_on is None and row.publicised_on is None:
        return f"没有{campaign}进度记录（尚未确认、公示、签约）"
    problem = order_problem(row)
    return None if problem is None or problem.startswith("早于") else problem.removeprefix("颁发时")
