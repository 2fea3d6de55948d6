"""A later campaign for the demo township (演示延包数据): ``demo --campaign 延包``.

Like the demo itself, it writes what the county would export — the national tables of the
demo township as they read after part of the extension was done — and loads them through
the real campaign import. Deterministic for a seed: most households confirmed, most of those
publicised, some signed and certified (some collected, their files filed), one objection at
公示 with a dispute registered, one household with a member born and one with a member gone,
one parcel re-measured beyond the share.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from pathlib import Path

from sqlalchemy import Connection, select

from archive_tui import audit
from archive_tui.core.config import PRIMARY_CAMPAIGN, CampaignSettings, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.roles import Permission
from archive_tui.core.states import FileStatus
from archive_tui.db.tables import (
    CAMPAIGN_RECORD, CERTIFICATE, CONTRACT, COPY, DISPUTE, DOCUMENT, FILE, HOUSEHOLD, ISSUER, MEMBER, PARCEL, REGISTER,
)
from archive_tui.services.campaigns.extension_import import CampaignImportReport, import_campaign
from archive_tui.services.exchange.nyt2539 import TABLES
from archive_tui.services.quality.campaign_rules import extended_end
from archive_tui.services.exchange.sources import read_csv_folder
from archive_tui.services.use_cases import ArchiveContext, use_case
from models.validators import id_check_char

SHARES = {"confirmed": 0.75, "publicised": 0.9, "signed": 0.7, "certified": 0.8, "collected": 0.7}
NEWBORN_NAMES = "子涵梓轩欣怡浩然雨桐"


class _Plan:
    """What the demo campaign has reached for each household."""

    def __init__(self, rng: random.Random, year: int):
        self.rng = rng
        self.year = year

    def day(self, month_from: int, month_to: int) -> dt.date:
        return dt.date(self.year, self.rng.randint(month_from, month_to), self.rng.randint(1, 28))

    def chance(self, step: str) -> bool:
        return self.rng.random() < SHARES[step]


def _rows(connection: Connection, table, *where) -> list[dict]:
    return [dict(row._mapping) for row in connection.execute(select(table).where(*where).order_by(table.c.id))]


def _write(folder: Path, name: str, rows: list[dict]) -> None:
    table = TABLES[name]
    with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.columns)
        for row in rows:
            writer.writerow(["" if row.get(f.attr) is None else (row[f.attr].isoformat()
                             if isinstance(row[f.attr], dt.date) else str(row[f.attr])) for f in table.fields])


def write_campaign_source(connection: Connection, config: Config, campaign: CampaignSettings, seed: int,
                          folder: Path) -> dict[str, str]:
    """The demo township's tables as the county exports them after part of ``campaign``; returns the
    households given a story of their own (code → what)."""
    township = config.settings.township.code
    plan = _Plan(random.Random(seed + 33), campaign.year)
    households = _rows(connection, HOUSEHOLD, HOUSEHOLD.c.code.startswith(township))
    codes = {h["id"]: h["code"] for h in households}
    members = _rows(connection, MEMBER, MEMBER.c.household_id.in_(list(codes)))
    parcels = _rows(connection, PARCEL, PARCEL.c.household_id.in_(list(codes)))
    contracts = _rows(connection, CONTRACT, CONTRACT.c.campaign == PRIMARY_CAMPAIGN,
                      CONTRACT.c.household_id.in_(list(codes)))
    registers = _rows(connection, REGISTER, REGISTER.c.campaign == PRIMARY_CAMPAIGN,
                      REGISTER.c.household_id.in_(list(codes)))
    certificates = _rows(connection, CERTIFICATE, CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN,
                         CERTIFICATE.c.generation == "new", CERTIFICATE.c.household_id.in_(list(codes)))
    for row in members:
        row["household_code"] = codes[row["household_id"]]
    for row in parcels:
        row["household_code"] = codes[row["household_id"]]
    for row in (*contracts, *registers):
        row["household_code"] = codes[row["household_id"]]
    stories: dict[str, str] = {}
    reached = [h for h in households if plan.chance("confirmed")]
    steps: dict[str, dict] = {}
    for household in reached:
        step = {"confirmed": plan.day(1, 3)}
        if plan.chance("publicised"):
            step["publicised"] = plan.day(4, 4)
            if plan.chance("signed"):
                step["signed"] = plan.day(5, 6)
                if plan.chance("certified"):
                    step["certified"] = plan.day(7, 8)
                    if plan.chance("collected"):
                        step["collected"] = step["certified"] + dt.timedelta(days=plan.rng.randint(3, 20))
        steps[household["code"]] = step
    publicised = [code for code, step in steps.items() if "publicised" in step and "signed" not in step]
    if publicised:
        steps[publicised[0]]["objection"] = True
        stories[publicised[0]] = "公示有异议（已登记纠纷）"
    for household in households:
        step = steps.get(household["code"])
        if step:
            household["survey_date"] = step["confirmed"]
            if "publicised" in step:
                household["publicity_review_date"] = step["publicised"]
                household["publicity_notes"] = ("公示期间邻户对地块四至提出异议，待调处" if step.get("objection")
                                                else "公示七日无异议")
    changed = [code for code, step in steps.items() if "signed" in step]
    if changed:
        code = changed[0]
        head = next(m for m in members if m["household_code"] == code)
        born = dt.date(campaign.year - 3, 5, 4)
        first17 = f"{code[:6]}{born:%Y%m%d}{plan.rng.randrange(1, 999, 2):03d}"
        members.append({**head, "id": None, "name": head["name"][0] + plan.rng.choice(NEWBORN_NAMES) * 1,
                        "sex": "1", "id_number": first17 + id_check_char(first17), "relation": "41",
                        "remark_code": "", "remark": ""})
        stories[code] = "新增家庭成员（孙子）"
    if len(changed) > 1:
        code = changed[1]
        gone = [m for m in members if m["household_code"] == code and m["relation"] not in ("01", "02")]
        if gone:
            members.remove(gone[-1])
            stories[code] = f"减少家庭成员（{gone[-1]['name']}）"
    if len(changed) > 2:
        code = changed[2]
        parcel = next((p for p in parcels if p["household_code"] == code and p["contract_area"]), None)
        if parcel:
            parcel["contract_area"] = round(parcel["contract_area"] * 0.88, 2)
            stories[code] = f"地块 {parcel['code']} 重新测量，面积减少 12%"
    serial = 0
    for contract in contracts:
        step = steps.get(contract["household_code"], {})
        if "signed" in step and contract["term_end"]:
            contract["original_code"] = contract["code"]
            contract["term_start"] = contract["term_end"] + dt.timedelta(days=1)
            contract["term_end"] = extended_end(campaign, contract["term_end"])
            contract["signed_date"] = step["signed"]
    by_code = {c["code"]: c for c in contracts}
    for register in registers:
        step = steps.get(register["household_code"], {})
        contract = by_code.get(register["code"])
        if "certified" in step and contract is not None:
            serial += 1
            register["old_certificate_serial"] = register["certificate_serial"]
            register["certificate_serial"] = f"{township[:6]}{campaign.year}{serial:06d}"
            register["term_start"], register["term_end"] = contract["term_start"], contract["term_end"]
            register["registered_on"] = step["certified"]
    heads = {m["household_code"]: m for m in members if m["relation"] in ("01", "02")}
    for certificate in certificates:
        code = certificate["code"][:18]
        step = steps.get(code, {})
        if "certified" not in step:
            continue
        certificate.update(issued_on=step["certified"], collected="2", collected_on=None, collector_name="",
                           collector_id_type="", collector_id_number="")
        if "collected" in step and code in heads:
            head = heads[code]
            certificate.update(collected="1", collected_on=step["collected"], collector_name=head["name"],
                               collector_id_type="1", collector_id_number=head["id_number"])
    _write(folder, "FBF", _rows(connection, ISSUER, ISSUER.c.code.startswith(township)))
    _write(folder, "CBF", households)
    _write(folder, "CBF_JTCY", members)
    _write(folder, "CBDKXX", parcels)
    _write(folder, "CBHT", contracts)
    _write(folder, "CBJYQZDJB", registers)
    _write(folder, "CBJYQZ", certificates)
    return stories


def _file_the_done(connection: Connection, campaign: CampaignSettings, rng: random.Random) -> int:
    """The files of households whose certificate was collected are whole (every required document
    catalogued with its pages, signed) and 已归档 (filed), with their copies."""
    done = select(CERTIFICATE.c.household_id).where(CERTIFICATE.c.campaign == campaign.name,
                                                    CERTIFICATE.c.status == "issued")
    files = list(connection.execute(select(FILE.c.id).where(FILE.c.campaign == campaign.name,
                                                            FILE.c.household_id.in_(done))).scalars())
    held = {(row.archive_file_id, row.doc_type): row.id for row in connection.execute(
        select(DOCUMENT.c.id, DOCUMENT.c.archive_file_id, DOCUMENT.c.doc_type)
        .where(DOCUMENT.c.archive_file_id.in_(files)))}
    for file_id in files:
        pages = 0
        for position, doc in enumerate(campaign.documents, start=1):
            if not doc.required:
                continue
            count = rng.randint(1, 3)
            values = {"page_start": pages + 1, "page_end": pages + count, "page_count": count,
                      "signed_by_household": True if doc.signed else None}
            pages += count
            if (file_id, doc.code) in held:
                connection.execute(DOCUMENT.update().where(DOCUMENT.c.id == held[(file_id, doc.code)]).values(**values))
            else:
                connection.execute(DOCUMENT.insert().values(archive_file_id=file_id, doc_type=doc.code,
                                                            position=position, title=doc.name, **values))
        connection.execute(FILE.update().where(FILE.c.id == file_id).values(page_count=pages,
                                                                             status=FileStatus.FILED))
    connection.execute(COPY.update().where(COPY.c.archive_file_id.in_(files)).values(status=FileStatus.FILED))
    return len(files)


def _register_dispute(connection: Connection, campaign: CampaignSettings, code: str) -> None:
    household = connection.execute(select(HOUSEHOLD.c.id, HOUSEHOLD.c.name).where(HOUSEHOLD.c.code == code)).first()
    connection.execute(DISPUTE.insert().values(
        number=f"纠纷{campaign.year}-001", household_id=household.id, parties=f"{household.name}、邻户",
        subject=f"{campaign.name}公示期间对地块四至的异议", started_on=dt.date(campaign.year, 4, 20),
        stage="mediation", operator="演示数据"))
    connection.execute(HOUSEHOLD.update().where(HOUSEHOLD.c.id == household.id).values(has_dispute=True))


@use_case(Permission.WRITE, "生成演示数据")
def fill_demo_campaign(ctx: ArchiveContext, campaign: str, seed: int = 1) -> CampaignImportReport:
    """Add ``campaign`` to the demo township (through the real campaign import)."""
    settings = ctx.config.settings.campaign(campaign)
    with tempfile.TemporaryDirectory(prefix="archive-tui-demo-") as tmp, ctx.engine.begin() as connection:
        if connection.execute(select(HOUSEHOLD.c.id).limit(1)).first() is None:
            raise ArchiveError("数据库中还没有承包方：请先生成演示乡镇（archive-tui demo）")
        if connection.execute(select(CAMPAIGN_RECORD.c.id).where(CAMPAIGN_RECORD.c.campaign == settings.name)
                              .limit(1)).first() is not None:
            raise ArchiveError(f"数据库中已有{settings.name}数据；演示的{settings.name}只能加一次")
        stories = write_campaign_source(connection, ctx.config, settings, seed, Path(tmp))
        source = read_csv_folder(Path(tmp))
        source.path, source.kind = Path(f"demo-{settings.name}-seed{seed}"), "demo"
        report = import_campaign(connection, ctx.config, settings, source)
        filed = _file_the_done(connection, settings, random.Random(seed + 34))
        objection = next((code for code, story in stories.items() if "异议" in story), None)
        if objection:
            _register_dispute(connection, settings, objection)
        report.notes += [f"演示：承包方 {code} {story}" for code, story in sorted(stories.items())]
        report.notes.append(f"演示：已领取新证的 {filed} 户，其{settings.name}案卷文件齐全、记为已归档")
        audit.record(connection, operator=ctx.operator, action="demo", entity="campaign", key=settings.name,
                     after={"seed": seed, "reached": report.reached, "filed": filed})
    return report
