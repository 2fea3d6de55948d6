"""The dispute register (纠纷调处登记): a household's disputes, maybe about one parcel, through
their stages 登记 → 调解 → 仲裁 or 诉讼 → 结案, each step an append-only event.

An open dispute keeps the household's 争议 flag set, which bars collecting a certificate by
proxy (certificates.py); closing the last one clears it. Nothing is deleted: a dispute closed
by mistake is reopened by a new event (stage back to 调解), never edited away.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import DISPUTE_STAGE, DISPUTE_STAGE_LABELS, DisputeStage, check_transition
from archive_tui import audit
from archive_tui.services.households.filters import find_household
from archive_tui.db.tables import DISPUTE, DISPUTE_EVENT as EVENT, HOUSEHOLD, PARCEL

STAGES = DISPUTE_STAGE_LABELS
NEXT = DISPUTE_STAGE.moves  # where a dispute may go from each stage (core/states.py)
OPEN = tuple(stage for stage in DisputeStage if stage != DisputeStage.CLOSED)
EVENT_LABELS = {**STAGES, "followup": "补充登记颁证"}


@dataclass(frozen=True)
class NewDispute:
    key: str  # 承包方编码 or 档号
    subject: str
    started_on: dt.date
    parties: str = ""
    parcel_code: str = ""


def _checked_day(day: dt.date, field: str) -> dt.date:
    if day > dt.date.today():
        raise ArchiveError(f"日期 {day.isoformat()} 晚于今天", field=field)
    return day


def _number(connection: Connection, year: int) -> str:
    count = connection.execute(select(func.count()).where(DISPUTE.c.number.startswith(f"纠纷{year}-"))).scalar_one()
    return f"纠纷{year}-{count + 1:03d}"


def _sync_flag(connection: Connection, household_id: int) -> None:
    """争议 flag = an open dispute in the register."""
    still_open = connection.execute(select(DISPUTE.c.id).where(
        DISPUTE.c.household_id == household_id, DISPUTE.c.stage.in_(OPEN)).limit(1)).first() is not None
    connection.execute(HOUSEHOLD.update().where(HOUSEHOLD.c.id == household_id).values(has_dispute=still_open))


@use_case(Permission.WRITE, "登记纠纷")
def add_dispute(ctx: ArchiveContext, new: NewDispute) -> str:
    """Register a dispute; returns its number (纠纷2026-001)."""
    engine = ctx.engine
    if not new.subject.strip():
        raise ArchiveError("请写明争议事项", field="subject")
    started = _checked_day(new.started_on, "started_on")
    with engine.begin() as connection:
        household = find_household(connection, new.key)
        if new.parcel_code:
            owner = connection.execute(select(PARCEL.c.household_id).where(PARCEL.c.code == new.parcel_code)).first()
            if owner is None or owner.household_id != household.id:
                raise ArchiveError(f"地块“{new.parcel_code}”不是承包方 {household.code} 的地块", field="parcel_code")
        number = _number(connection, started.year)
        dispute_id = connection.execute(DISPUTE.insert().values(
            number=number, household_id=household.id, parcel_code=new.parcel_code, parties=new.parties.strip(),
            subject=new.subject.strip(), started_on=started, stage=DisputeStage.REGISTERED, outcome="",
            right_changed=False, operator=ctx.operator)).inserted_primary_key[0]
        connection.execute(EVENT.insert().values(dispute_id=dispute_id, stage=DisputeStage.REGISTERED,
                                                 happened_on=started, note=new.subject.strip(), operator=ctx.operator))
        _sync_flag(connection, household.id)
        audit.record(connection, operator=ctx.operator, action="dispute.add", entity="dispute", key=number,
                     after={"cbfbm": household.code, "subject": new.subject.strip(), "parcel": new.parcel_code})
    return number


@use_case(Permission.WRITE, "纠纷进入下一阶段")
def move_dispute(ctx: ArchiveContext, number: str, stage: str, day: dt.date, note: str = "", *,
                 right_changed: bool = False) -> None:
    """Take a dispute to its next stage (``closed`` with the outcome in ``note``)."""
    engine = ctx.engine
    if stage not in STAGES:
        raise ArchiveError(f"阶段“{stage}”无效：应为 {'、'.join(f'{k}（{v}）' for k, v in STAGES.items())}",
                           field="stage")
    day = _checked_day(day, "date")
    with engine.begin() as connection:
        row = connection.execute(select(DISPUTE).where(DISPUTE.c.number == number.strip())).first()
        if row is None:
            raise ArchiveError(f"没有编号为“{number}”的纠纷")
        check_transition(DISPUTE_STAGE, row.stage, stage, subject=f"纠纷 {row.number} ", field="stage")
        last = connection.execute(select(func.max(EVENT.c.happened_on)).where(EVENT.c.dispute_id == row.id)).scalar()
        if last is not None and day < last:
            raise ArchiveError(f"日期 {day.isoformat()} 早于上一步的 {last.isoformat()}", field="date")
        if stage == DisputeStage.CLOSED and not note.strip():
            raise ArchiveError("结案须写明结果（调解协议、裁决或判决）", field="note")
        values = {"stage": stage}
        if stage == DisputeStage.CLOSED:
            values.update(outcome=note.strip(), closed_on=day, right_changed=right_changed, followed_up_on=None)
        else:
            values.update(closed_on=None)
        connection.execute(DISPUTE.update().where(DISPUTE.c.id == row.id).values(**values))
        connection.execute(EVENT.insert().values(dispute_id=row.id, stage=stage, happened_on=day, note=note.strip(),
                                                 operator=ctx.operator))
        _sync_flag(connection, row.household_id)
        audit.record(connection, operator=ctx.operator, action="dispute.stage", entity="dispute", key=row.number,
                     before={"stage": row.stage}, after={"stage": stage, "note": note.strip(),
                                                         "right_changed": right_changed})


@use_case(Permission.WRITE, "记录纠纷回访")
def followed_up(ctx: ArchiveContext, number: str, day: dt.date, note: str = "") -> None:
    """补充登记和颁证 done after a closing that changed a right: the follow-up leaves the lists."""
    engine = ctx.engine
    day = _checked_day(day, "date")
    with engine.begin() as connection:
        row = connection.execute(select(DISPUTE).where(DISPUTE.c.number == number.strip())).first()
        if row is None:
            raise ArchiveError(f"没有编号为“{number}”的纠纷")
        if row.stage != DisputeStage.CLOSED or not row.right_changed:
            raise ArchiveError(f"纠纷 {row.number} 没有改变承包经营权的结案，无须补充登记颁证")
        if row.followed_up_on is not None:
            raise ArchiveError(f"纠纷 {row.number} 已于 {row.followed_up_on.isoformat()} 完成补充登记颁证")
        if day < row.closed_on:
            raise ArchiveError(f"日期 {day.isoformat()} 早于结案的 {row.closed_on.isoformat()}", field="date")
        connection.execute(DISPUTE.update().where(DISPUTE.c.id == row.id).values(followed_up_on=day))
        connection.execute(EVENT.insert().values(dispute_id=row.id, stage="followup", happened_on=day,
                                                 note=note.strip(), operator=ctx.operator))
        audit.record(connection, operator=ctx.operator, action="dispute.followup", entity="dispute",
                     key=row.number, after={"date": day.isoformat(), "note": note.strip()})


def list_disputes(engine: Engine, *, open_only: bool = False, key: str | None = None) -> list[dict]:
    query = (select(DISPUTE, HOUSEHOLD.c.code.label("cbfbm"), HOUSEHOLD.c.name)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == DISPUTE.c.household_id).order_by(DISPUTE.c.number))
    if open_only:
        query = query.where(DISPUTE.c.stage.in_(OPEN))
    with engine.connect() as connection:
        if key:
            query = query.where(DISPUTE.c.household_id == find_household(connection, key).id)
        return [{"number": row.number, "cbfbm": row.cbfbm, "name": row.name, "parcel": row.parcel_code,
                 "parties": row.parties, "subject": row.subject, "started_on": row.started_on.isoformat(),
                 "stage": row.stage, "outcome": row.outcome, "right_changed": row.right_changed,
                 "closed_on": row.closed_on.isoformat() if row.closed_on else None,
                 "followed_up_on": row.followed_up_on.isoformat() if row.followed_up_on else None}
                for row in connection.execute(query)]


def show_dispute(engine: Engine, number: str) -> dict:
    with engine.connect() as connection:
        row = connection.execute(select(DISPUTE.c.id, DISPUTE.c.number)
                                 .where(DISPUTE.c.number == number.strip())).first()
        if row is None:
            raise ArchiveError(f"没有编号为“{number}”的纠纷")
        events = connection.execute(select(EVENT).where(EVENT.c.dispute_id == row.id).order_by(EVENT.c.id)).all()
    [dispute] = [d for d in list_disputes(engine) if d["number"] == row.number]
    dispute["events"] = [{"stage": event.stage, "date": event.happened_on.isoformat(), "note": event.note,
                          "operator": event.operator} for event in events]
    return dispute
