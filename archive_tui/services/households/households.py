"""Reading the household files (户卷): lists page by page, one file in full, the counts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Engine, func, or_, select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, authorize, use_case
from archive_tui import audit
from archive_tui.core.privacy import mask_id, mask_phone
from archive_tui.core.states import PageStatus
from archive_tui.services.households.archive_files import group_name, location_text
from archive_tui.core.config import PRIMARY_CAMPAIGN
from archive_tui.services.households.filters import (
    files_of, find_household, primary_file, tolerant_pattern, village_filter,
)
from archive_tui.services.households.search import build_missing, looks_like_number, page_term_match
from models.tables import local_time
from models.codes import ContractorType, IdType, ParcelCategory, Relation, Sex
from archive_tui.db.tables import (
    CAMPAIGN_RECORD, CERTIFICATE, CERT_EVENT as EVENT, CONTRACT, COPY, COPY_EVENT, DOCUMENT, FILE, FINDING, HOUSEHOLD,
    ISSUER, MEMBER, PARCEL, SCAN, SEARCH,
)
from archive_tui.services.households.dashboard import township_counts  # noqa: F401 - named here too
from archive_tui.services.households.disputes import list_disputes
from archive_tui.services.households.uses import list_uses

SORT_KEY = SEARCH.alias("sort_key")  # the search entry again, joined only for its pinyin sort key


def household_query(village: str | None = None, search: str | None = None):
    member_count = select(func.count()).where(MEMBER.c.household_id == HOUSEHOLD.c.id).scalar_subquery()
    parcel_count = select(func.count()).where(PARCEL.c.household_id == HOUSEHOLD.c.id).scalar_subquery()
    query = (
        select(
            HOUSEHOLD.c.code, HOUSEHOLD.c.name, ISSUER.c.village_name, ISSUER.c.name.label("issuer_name"),
            FILE.c.archive_code, member_count.label("members"), parcel_count.label("parcels"),
            FILE.c.status,
        )
        .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
        .outerjoin(FILE, primary_file())  # the household's 确权 file: one row per household
    )
    if village:
        query = query.where(village_filter(village))
    if search:  # the app's own search: names with pinyin initials, members, codes, 档号, IDs
        query = query.where(HOUSEHOLD.c.id.in_(select(SEARCH.c.household_id).where(
            HouseholdFilter(search).matching())))
    return query


def list_households(engine: Engine, *, village: str | None = None, search: str | None = None,
                    limit: int | None = None, offset: int = 0) -> list[dict]:
    """Households in code order, one page at a time (keys as in the CLI contract)."""
    if search:
        build_missing(engine)
    query = household_query(village, search).order_by(HOUSEHOLD.c.code).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [_row_dict(row) for row in connection.execute(query)]


def _row_dict(row) -> dict:
    return {
        "cbfbm": row.code, "name": row.name, "village": row.village_name,
        "group": group_name(row.issuer_name, row.village_name), "archive_code": row.archive_code,
        "members": row.members, "parcels": row.parcels, "status": row.status,
    }


SORT_COLUMNS = {
    "archive_code": FILE.c.archive_code, "cbfbm": HOUSEHOLD.c.code, "name": HOUSEHOLD.c.name,
    "village": ISSUER.c.code, "status": FILE.c.status,
}
"""Columns the browser sorts by (members and parcels sort by their counts)."""


@dataclass(frozen=True)
class HouseholdFilter:
    """What the household browser shows: typed text, a village, a sort order."""

    text: str = ""
    village: str | None = None
    sort: str = "cbfbm"
    descending: bool = False

    def matching(self):
        """The condition on the search entry, or None without typed text."""
        text = self.text.strip()
        if not text:
            return None
        on_pages = SEARCH.c.household_id.in_(page_term_match(text))  # read on a filed page (OCR)
        if looks_like_number(text):
            return or_(SEARCH.c.numbers.like(f"%{tolerant_pattern(text)}%", escape="\\"), on_pages)
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return or_(SEARCH.c.names.like(pattern, escape="\\"), on_pages)

    def query(self, few: bool = False):
        """The rows. Many matches: joined to the search text, so walking the sort order stops at
        a page. Few matches (``few``): the matching ids first, then only those are sorted."""
        query = household_query(self.village)
        matching = self.matching()
        if matching is not None:
            if few:
                query = query.where(HOUSEHOLD.c.id.in_(select(SEARCH.c.household_id).where(matching)))
            else:
                query = query.join(SEARCH, SEARCH.c.household_id == HOUSEHOLD.c.id).where(matching)
        return query

    def count_query(self):
        """Only what the count needs: the search entries alone unless a village is chosen."""
        matching = self.matching()
        if matching is not None and not self.village:
            return select(func.count()).select_from(SEARCH).where(matching)
        query = select(func.count()).select_from(HOUSEHOLD)
        if self.village:
            query = query.join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id).where(village_filter(self.village))
        if matching is not None:
            query = query.join(SEARCH, SEARCH.c.household_id == HOUSEHOLD.c.id).where(matching)
        return query

    def ordered(self, query):
        if self.sort in ("members", "parcels"):
            key = query.selected_columns[self.sort]
        elif self.sort == "name":  # by pinyin, as a register is ordered (丁 before 万)
            query = query.outerjoin(SORT_KEY, SORT_KEY.c.household_id == HOUSEHOLD.c.id)
            key = SORT_KEY.c.sort_name
        else:
            key = SORT_COLUMNS[self.sort]
        key = key.desc() if self.descending else key.asc()
        tie = HOUSEHOLD.c.code.desc() if self.descending else HOUSEHOLD.c.code.asc()
        return query.order_by(key, tie)


def browse_count(engine: Engine, household_filter: HouseholdFilter) -> int:
    """How many households the browser's filter matches."""
    with engine.connect() as connection:
        return connection.execute(household_filter.count_query()).scalar_one()


def browse_page(engine: Engine, household_filter: HouseholdFilter, offset: int, limit: int,
                total: int | None = None) -> list[dict]:
    """One page of the browser, in the filter's order (same keys as :func:`list_households`).

    ``total`` (from :func:`browse_count`) picks the faster plan: when the page needs a large
    share of the matches, walking the sort order would read nearly every household, so the
    matches are gathered first.
    """
    if total == 0:
        return []
    few = total is not None and 2 * (offset + limit) >= total
    query = household_filter.ordered(household_filter.query(few)).offset(offset).limit(limit)
    with engine.connect() as connection:
        return [_row_dict(row) for row in connection.execute(query)]


def village_names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [name for name in connection.execute(
            select(ISSUER.c.village_name).where(ISSUER.c.village_name != "")
            .group_by(ISSUER.c.village_name).order_by(func.min(ISSUER.c.village_code))).scalars()]


def count_households(engine: Engine, *, village: str | None = None, search: str | None = None) -> int:
    if search:
        build_missing(engine)
    query = household_query(village, search).with_only_columns(func.count(HOUSEHOLD.c.id))
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def _iso(value: object) -> object:
    if isinstance(value, dt.datetime):
        return local_time(value).isoformat(timespec="seconds")
    return value.isoformat() if isinstance(value, dt.date) else value


def _entry(document) -> dict:
    """A document's 卷内目录 entry (文号, 责任者, 日期, 备注) as the file view and JSON show it."""
    if document is None:
        return {"doc_number": "", "responsible": "", "date": None, "remark": ""}
    return {"doc_number": document.doc_number, "responsible": document.responsible, "date": _iso(document.dated),
            "remark": document.remark}


@use_case(Permission.READ, "查看户档案")
def show_household(ctx: ArchiveContext, key: str, *, reveal: bool = False) -> dict:
    """One household file in full; ID and phone numbers masked unless ``reveal`` (recorded)."""
    if reveal:
        authorize(ctx, Permission.REVEAL, "查看完整身份证号", "households.show_household")
    engine, config = ctx.engine, ctx.config
    hide = (lambda number: number) if reveal else mask_id
    hide_phone = (lambda number: number) if reveal else mask_phone
    with engine.begin() as connection:
        household = find_household(connection, key)
        hid = household.id
        archive_file = connection.execute(select(FILE).where(FILE.c.household_id == hid,
                                                             FILE.c.campaign == PRIMARY_CAMPAIGN)).first()
        members = connection.execute(
            select(MEMBER).where(MEMBER.c.household_id == hid).order_by(MEMBER.c.position)).all()
        parcels = connection.execute(
            select(PARCEL).where(PARCEL.c.household_id == hid).order_by(PARCEL.c.code)).all()
        all_contracts = connection.execute(select(CONTRACT).where(CONTRACT.c.household_id == hid)
                                           .order_by(CONTRACT.c.code, CONTRACT.c.id)).all()
        contracts = [c for c in all_contracts if c.campaign == PRIMARY_CAMPAIGN]
        copies = documents = []
        scans: dict[int, int] = {}
        if archive_file is not None:
            copies = connection.execute(
                select(COPY).where(COPY.c.archive_file_id == archive_file.id).order_by(COPY.c.id)).all()
            documents = connection.execute(
                select(DOCUMENT).where(DOCUMENT.c.archive_file_id == archive_file.id)).all()
            scans = dict(connection.execute(
                select(SCAN.c.document_id, func.count()).where(SCAN.c.archive_file_id == archive_file.id,
                                                               SCAN.c.status == PageStatus.LINKED)
                .group_by(SCAN.c.document_id)).all())
        all_certificates = connection.execute(
            select(CERTIFICATE).where(CERTIFICATE.c.household_id == hid)
            .order_by(CERTIFICATE.c.generation.desc(), CERTIFICATE.c.serial)).all()
        certificates = [c for c in all_certificates if c.campaign == PRIMARY_CAMPAIGN]
        later_files = [file for file in files_of(connection, hid) if file.campaign != PRIMARY_CAMPAIGN]
        records = {row.campaign: row for row in connection.execute(
            select(CAMPAIGN_RECORD).where(CAMPAIGN_RECORD.c.household_id == hid))}
        events: dict[int, list] = {}
        for event in connection.execute(
            select(EVENT).where(EVENT.c.certificate_id.in_([c.id for c in all_certificates])).order_by(EVENT.c.id)
        ):
            events.setdefault(event.certificate_id, []).append(event)
        history: dict[int, list] = {}
        for event in connection.execute(
            select(COPY_EVENT).where(COPY_EVENT.c.copy_id.in_([c.id for c in copies])).order_by(COPY_EVENT.c.id)
        ):
            history.setdefault(event.copy_id, []).append(event)
        findings = connection.execute(
            select(FINDING).where(FINDING.c.household_id == hid).order_by(FINDING.c.id)).all()
        if reveal:
            audit.record(connection, operator=ctx.operator, action="reveal", entity="household",
                         key=household.code, after={"fields": ["id_number", "phone"]})
    by_type = {doc.doc_type: doc for doc in documents}
    return {
        "household": {
            "cbfbm": household.code, "name": household.name,
            "type": ContractorType.label_of(household.contractor_type),
            "id_type": IdType.label_of(household.id_type), "id_number": hide(household.id_number),
            "address": household.address, "phone": hide_phone(household.phone),
            "member_count": household.member_count, "village": household.village_name,
            "group": group_name(household.issuer_name, household.village_name),
            "issuer_code": household.code[:14], "issuer_name": household.issuer_name,
            "survey_date": _iso(household.survey_date), "surveyor": household.surveyor,
            "basic_farmland": household.has_basic_farmland,
        },
        "members": [
            {"name": m.name, "sex": Sex.label_of(m.sex), "relation": Relation.label_of(m.relation),
             "id_type": IdType.label_of(m.id_type), "id_number": hide(m.id_number), "remark": m.remark}
            for m in members
        ],
        "parcels": [
            {"dkbm": p.code, "name": p.name, "category": ParcelCategory.label_of(p.category),
             "area": p.contract_area, "area_mu": p.contract_area_mu,
             "east": p.east, "south": p.south, "west": p.west, "north": p.north,
             "basic_farmland": p.is_basic_farmland}
            for p in parcels
        ],
        "contracts": [
            {"code": c.code, "method": c.method, "term_start": _iso(c.term_start), "term_end": _iso(c.term_end),
             "area": c.total_area, "area_mu": c.total_area_mu, "parcel_count": c.parcel_count}
            for c in contracts
        ],
        "archive_file": None if archive_file is None else {
            "archive_code": archive_file.archive_code, "title": archive_file.title, "year": archive_file.year,
            "retention": archive_file.retention, "status": archive_file.status, "pages": archive_file.page_count,
            "unsorted": scans.get(None, 0),  # scanned pages not yet in any document (未分类)
            "copies": [
                {"level": c.level, "holder": c.holder, "keeper": c.keeper, "location": location_text(c),
                 "box": c.box, "status": c.status,
                 "present_docs": json.loads(c.present_docs) if c.present_docs else None,
                 "history": [{"at": _iso(e.recorded_at), "action": e.action, "before": e.before, "after": e.after,
                              "reason": e.reason, "operator": e.operator} for e in history.get(c.id, [])]}
                for c in copies
            ],
        },
        "documents": [
            {"doc_type": doc.code, "title": by_type[doc.code].title if doc.code in by_type else doc.name,
             "required": doc.required, "present": doc.code in by_type,
             "pages": by_type[doc.code].page_count if doc.code in by_type else 0,  # 0: not known, see scans
             "scans": scans.get(by_type[doc.code].id, 0) if doc.code in by_type else 0,
             "signed": by_type[doc.code].signed_by_household if doc.code in by_type else None,
             **_entry(by_type.get(doc.code))}
            for doc in config.settings.documents
        ],
        "certificates": [_certificate(c, events) for c in certificates],
        "findings": [
            {"rule": f.rule, "severity": f.severity, "subject": f.subject, "message": f.message,
             "status": f.status}
            for f in findings
        ],
        "disputes": _disputes_of(engine, household.code),
        "uses": _uses_of(engine, household.code),
        "campaigns": [_campaign_file(file, all_contracts, all_certificates, events, records.get(file.campaign), hide)
                      for file in later_files],
    }


def _certificate(certificate, events: dict[int, list]) -> dict:
    c = certificate
    return {"serial": c.serial, "code": c.code, "generation": c.generation, "status": c.status,
            "issued_on": _iso(c.issued_on), "collected_on": _iso(c.collected_on),
            "collector": c.collector_name,
            "events": [{"kind": e.kind, "date": _iso(e.happened_on), "reason": e.reason, "person": e.person_name,
                        "operator": e.operator} for e in events.get(c.id, [])]}


def _campaign_file(file, contracts: list, certificates: list, events: dict[int, list], record, hide) -> dict:
    """A later campaign's file of the household (延包 …), with that campaign's contract, certificates,
    steps and the members and parcels the household confirmed in it."""
    contract = next((c for c in contracts if c.campaign == file.campaign), None)
    return {
        "steps": None if record is None else {
            "confirmed": _iso(record.confirmed_on), "publicised": _iso(record.publicised_on),
            "objection": record.objection, "signed": _iso(record.signed_on)},
        "members": [{**member, "id_number": hide(member.get("id_number") or "")}
                    for member in (json.loads(record.members) if record is not None else [])],
        "parcels": json.loads(record.parcels) if record is not None else [],
        "campaign": file.campaign, "archive_code": file.archive_code, "status": file.status, "pages": file.page_count,
        "contract": None if contract is None else {
            "code": contract.code, "term_start": _iso(contract.term_start), "term_end": _iso(contract.term_end),
            "signed": _iso(contract.signed_date)},
        "certificates": [_certificate(c, events) for c in certificates if c.campaign == file.campaign],
    }


def _disputes_of(engine: Engine, code: str) -> list[dict]:
    return list_disputes(engine, key=code)


def _uses_of(engine: Engine, code: str) -> list[dict]:
    return list_uses(engine, key=code)
