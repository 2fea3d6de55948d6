"""Quality checks (质检) with tracked findings (销号管理).

Each rule is a small unit — an id, a severity, a Chinese description and one set-based
query over the whole township (never one query per household) — yielding
``(household_id, subject, message)``. A run stores what it found as findings: a finding
still found stays (open, or waived if the archivist waived it), one no longer found is
resolved, a new one is opened. Findings are never deleted, so the history stays.

A run over the whole township keeps a rule's findings as they are, without working them out
again, when nothing the rule depends on has changed since its last such run: the tables its
statements read (noted as they run), the settings, today's date and the program itself
(``findings.py`` tells how a table's change is seen). Anything it cannot vouch for — a table
without change counts, a statement it cannot read the tables of, findings changed by someone
else — is worked out again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from itertools import chain, groupby
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import (
    ClauseElement, Connection, Engine, String, TableClause, TextClause, and_, case, event, func, literal, or_, select,
)
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause

from archive_tui.core.states import DisputeStage, FileStatus, PageStatus
from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
import archive_tui
import models
from archive_tui import audit
from archive_tui.core.display import page_numbers
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.households.catalogue import page_ranges
from archive_tui.db import rows_where_in, serialize_writers
from archive_tui.services.quality.findings import (
    Reconciled, findings_as_left, forget_states, reconcile, remember, stored_states, table_states,
)
from archive_tui.core.privacy import mask_id
from archive_tui.services.households.filters import primary_file, village_filter
from models.codes import HEAD_RELATIONS, ContractMethod, IdType, Relation
from models.tables import local_time, now
from models.validators import (
    ID_CHECK_CHARS, ID_WEIGHTS, IdCheck, check_issuer_code, check_method_suffix, check_sequence_range,
    invalid_id_numbers,
)
from archive_tui.db.tables import (
    CERTIFICATE, CONTRACT, COPY, DOCUMENT, FILE, FINDING, HOUSEHOLD, ISSUER, MEMBER, PARCEL, SCAN,
)
from models import Dispute


RELATION_LABELS = {member.value: member.label for member in Relation}
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "pending": "待补充"}  # 待补充: what the source lacked
STATUS_LABELS = {"open": "待处理", "resolved": "已解决", "waived": "已豁免"}
Found = Iterator[tuple[int | None, str, str]]  # household (None: a village's finding), subject, message
VILLAGE_SUBJECT = "村 "  # a village's finding (no household): its subject is this and the village's code


@dataclass
class Scope:
    """What a run looks at: the connection, the settings and (maybe) one village."""

    connection: Connection
    config: Config
    village: str | None = None
    household_ids: list[int] | None = None  # only these households (the intake's pass)
    cache: dict = field(default_factory=dict)  # work two rules share within one run, with the tables it read
    today: dt.date = field(default_factory=dt.date.today)  # one date for the whole run
    read: set[str] = field(default_factory=set)  # the tables the running rule's statements read

    @property
    def whole(self) -> bool:
        """Does the run look at the whole township?"""
        return not self.village and self.household_ids is None

    def shared(self, key: str, work: Callable[[], object]):
        """``work`` done once per run for the rules that share it; the tables it read count as
        read by each of them."""
        if key not in self.cache:
            reading, self.read = self.read, set()
            try:
                self.cache[key] = (work(), self.read)
            finally:
                self.read = reading
        value, tables = self.cache[key]
        self.read |= tables
        return value

    def households(self, query, household_id=None):
        """``query`` limited to the households or the village given: through household, which it
        selects from, or through its column ``household_id`` (then no join over the whole township)."""
        column = HOUSEHOLD.c.id if household_id is None else household_id
        if self.household_ids is not None:
            query = query.where(column.in_(self.household_ids))
        if not self.village:
            return query
        issuers = select(ISSUER.c.id).where(village_filter(self.village))
        if household_id is None:
            return query.where(HOUSEHOLD.c.issuer_id.in_(issuers))
        return query.where(household_id.in_(select(HOUSEHOLD.c.id).where(HOUSEHOLD.c.issuer_id.in_(issuers))))

    def rows(self, query, household_id=None):
        return self.connection.execute(self.households(query, household_id))


@dataclass(frozen=True)
class Rule:
    """A rule reads the archive only through ``scope.connection`` (SQLAlchemy statements, not
    text), and besides that only the settings and ``scope.today``: what a check watches to keep
    its findings."""

    id: str
    severity: str
    description: str
    find: Callable[[Scope], Found]


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: str, description: str):
    def register(find: Callable[[Scope], Found]) -> Callable[[Scope], Found]:
        RULES[rule_id] = Rule(rule_id, severity, description, find)
        return find
    return register


def severity_of(config: Config | None, rule_id: str) -> str:
    """A rule's severity: as ``[checks] severity`` sets it, else the rule's own ("" for the import's)."""
    configured = config.settings.checks.severity.get(rule_id) if config is not None else None
    unit = RULES.get(rule_id)
    return configured or (unit.severity if unit else "")


def _campaigns(config: Config) -> list[str]:
    """The campaigns (工作阶段) whose files the rules judge, each by its own document list: 确权,
    then those of ``[[campaigns]]`` (a file of a campaign no longer configured is left alone)."""
    return [PRIMARY_CAMPAIGN, *(campaign.name for campaign in config.settings.campaigns)]


def _subject(campaign: str, subject: str) -> str:
    """A file's finding subject: as it always was for the 确权 file; a later campaign's file's
    named by its campaign, so that the two files' findings of one household stay apart."""
    return subject if campaign == PRIMARY_CAMPAIGN else f"{campaign} {subject}"


def _message(campaign: str, message: str) -> str:
    return message if campaign == PRIMARY_CAMPAIGN else f"{campaign}案卷：{message}"


def _doc_code(config: Config, campaign: str, *names: str) -> str | None:
    """The code of the first document of ``campaign``'s list whose name holds one of ``names``."""
    for doc in config.settings.documents_of(campaign):
        if any(name in doc.name for name in names):
            return doc.code
    return None


def _of_campaign_docs(config: Config, chosen: Callable) -> ClauseElement:
    """Documents of the types ``chosen`` picks from their own file's campaign's list (a file is
    judged by its own campaign's documents: 确权's 01 … in a 确权 file, 延包's Y01 … in a 延包 file)."""
    return or_(*(and_(FILE.c.campaign == campaign,
                      DOCUMENT.c.doc_type.in_([doc.code for doc in config.settings.documents_of(campaign)
                                               if chosen(doc)]))
                 for campaign in _campaigns(config)))


# ---- members and ID numbers --------------------------------------------------------------------

def _member_subject(name: str) -> str:
    return f"成员 {name or '（无姓名）'}"


@rule("member_incomplete", "error", "家庭成员信息不全（姓名、性别、与户主关系）")
def member_incomplete(scope: Scope) -> Found:
    query = (select(MEMBER.c.household_id, MEMBER.c.name, MEMBER.c.sex, MEMBER.c.relation)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == MEMBER.c.household_id)
             .where(or_(MEMBER.c.name == "", MEMBER.c.sex == "", MEMBER.c.relation == "")))
    for row in scope.rows(query):
        missing = [label for label, value in (("姓名", row.name), ("性别", row.sex), ("与户主关系", row.relation))
                   if not value]
        subject = _member_subject(row.name)
        yield row.household_id, subject, f"{subject}：缺少{'、'.join(missing)}"


_CHECK_CODES = np.array([ord(char) for char in ID_CHECK_CHARS])
_WEIGHTS = np.array(ID_WEIGHTS, dtype=np.int32)
_MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])  # February of a leap year


def _plainly_valid(numbers: list[str], today: dt.date) -> np.ndarray:
    """For each number: is it 18 ASCII digits (the last may be X) with a real birth date from 1880
    to ``today`` and the right check character? The validator's own test, for all numbers at once."""
    codes = np.array(numbers, dtype="U18").view(np.uint32).reshape(len(numbers), 18).astype(np.int32)
    digits = codes[:, :17] - ord("0")
    valid = (np.fromiter(map(len, numbers), np.int64, len(numbers)) == 18) & ((digits >= 0) & (digits <= 9)).all(1)
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month, day = digits[:, 10] * 10 + digits[:, 11], digits[:, 12] * 10 + digits[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 0, 12)] - ((month == 2) & ~leap)
    valid &= (year >= 1880) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    valid &= year * 10_000 + month * 100 + day <= today.year * 10_000 + today.month * 100 + today.day
    return valid & (_CHECK_CODES[(digits @ _WEIGHTS) % 11] == codes[:, 17])


def _invalid_ids(numbers: list[str], today: dt.date) -> Iterator[tuple[int, IdCheck]]:
    """(index, result) of each number that is not a valid ID number: the plainly valid ones (nearly
    all of a county's half a million) are set aside at once, the validator says what is wrong with the rest."""
    doubtful = np.flatnonzero(~_plainly_valid(numbers, today)) if numbers else []
    for index, result in invalid_id_numbers([numbers[index] for index in doubtful], today):
        yield int(doubtful[index]), result


def _id_results(scope: Scope) -> list[tuple[int, str, IdCheck]]:
    """(household, subject, result) of each resident ID number that is not valid, of the heads of
    farming households and of the members; checked once per run (two rules read them)."""
    def check() -> list[tuple[int, str, IdCheck]]:
        resident = ("", IdType.RESIDENT_ID)
        heads = select(HOUSEHOLD.c.id, HOUSEHOLD.c.name, HOUSEHOLD.c.id_number).where(
            HOUSEHOLD.c.contractor_type.in_(("", "1")), HOUSEHOLD.c.id_type.in_(resident))
        members = select(MEMBER.c.household_id, MEMBER.c.name, MEMBER.c.id_number).where(
            MEMBER.c.id_type.in_(resident))
        results = []
        for query, household_id, subject in ((heads, None, lambda name: f"承包方 {name}"),
                                             (members, MEMBER.c.household_id, _member_subject)):
            holders = scope.rows(query, household_id).all()
            for index, result in _invalid_ids([number for _household, _name, number in holders], scope.today):
                household_id, name, _number = holders[index]
                results.append((household_id, subject(name), result))
        return results
    return scope.shared("ids", check)


@rule("id_number", "error", "身份证号码缺失或无效（位数、出生日期、校验位）")
def id_number(scope: Scope) -> Found:
    for household_id, subject, result in _id_results(scope):
        if not result.ok and result.status != "legacy":
            yield household_id, subject, f"{subject}：{result.reason}"


@rule("id_legacy", "warning", "15位旧身份证号码，须核实换为18位")
def id_legacy(scope: Scope) -> Found:
    for household_id, subject, result in _id_results(scope):
        if result.status == "legacy":
            yield household_id, subject, f"{subject}：{result.reason}"


@rule("id_duplicate", "error", "同一身份证号码出现在两户")
def id_duplicate(scope: Scope) -> Found:
    twice = (select(MEMBER.c.id_number).where(MEMBER.c.id_number != "").group_by(MEMBER.c.id_number)
             .having(func.count() > 1))  # perhaps within one household: told apart below
    query = (select(MEMBER.c.household_id, MEMBER.c.name, MEMBER.c.id_number, HOUSEHOLD.c.code)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == MEMBER.c.household_id).where(MEMBER.c.id_number.in_(twice)))
    rows = scope.connection.execute(query).all()  # the other household may lie outside the village
    households_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        households_of[row.id_number].add(row.code)
    in_scope = None if scope.whole else {row.id for row in scope.rows(select(HOUSEHOLD.c.id).where(
        HOUSEHOLD.c.id.in_({row.household_id for row in rows})))}
    for row in rows:
        others = sorted(households_of[row.id_number] - {row.code})
        if others and (in_scope is None or row.household_id in in_scope):
            subject = _member_subject(row.name)
            yield (row.household_id, subject,
                   f"{subject}：身份证号码 {mask_id(row.id_number)} 同时登记在承包方 {'、'.join(others)}")


HEADS = sorted(str(relation) for relation in HEAD_RELATIONS)  # 本人, 户主: the member who is the head


def _plain_name(column):
    return func.replace(column, " ", "")


def _plain_number(column):
    return func.upper(func.trim(column))


@rule("head_mismatch", "error", "承包方与家庭成员中标为户主的人不一致")
def head_mismatch(scope: Scope) -> Found:
    """A farming household's head as the household row has it (承包方 name and ID number) against
    its members: a member marked 户主 (本人 or 户主) must have that name and (when the household has
    one) that ID number. Households without members are left to the import's member count; the
    members are read only of the households in doubt."""
    head_as_listed = select(MEMBER.c.id).where(
        MEMBER.c.household_id == HOUSEHOLD.c.id, MEMBER.c.relation.in_(HEADS),
        _plain_name(MEMBER.c.name) == _plain_name(HOUSEHOLD.c.name),
        or_(_plain_number(HOUSEHOLD.c.id_number) == "",
            _plain_number(MEMBER.c.id_number) == _plain_number(HOUSEHOLD.c.id_number)))
    doubtful = scope.rows(select(HOUSEHOLD.c.id, HOUSEHOLD.c.name, HOUSEHOLD.c.id_number).where(
        HOUSEHOLD.c.contractor_type.in_(("", "1")), HOUSEHOLD.c.id.in_(select(MEMBER.c.household_id)),
        ~head_as_listed.exists())).all()
    members: dict[int, list] = defaultdict(list)
    for row in rows_where_in(scope.connection, [MEMBER.c.household_id, MEMBER.c.name, MEMBER.c.id_number,
                                                MEMBER.c.relation], MEMBER.c.household_id,
                             [household.id for household in doubtful], order_by=MEMBER.c.position):
        members[row.household_id].append(row)
    for household in doubtful:
        problem = _head_problem(household, members[household.id])
        if problem:
            yield household.id, "户主", f"承包方 {household.name or '（无姓名）'}：{problem}"


def _head_problem(household, members: list) -> str | None:
    """What is wrong with the household's head among its members (None: nothing), as the query says."""
    def plain(name: str) -> str:
        return name.replace(" ", "")

    heads = [m for m in members if m.relation in HEADS]
    number = household.id_number.strip(" ").upper()
    named = [m for m in heads if plain(m.name) == plain(household.name)]
    if not number:
        if named:
            return None
        if not heads:
            return "家庭成员中没有标为户主的人"
        return f"家庭成员中标为户主的是 {'、'.join(m.name for m in heads)}，与承包方姓名不同"
    holders = [m for m in members if m.id_number.strip(" ").upper() == number]
    if any(plain(m.name) == plain(household.name) and m.relation in HEADS for m in holders):
        return None
    masked = mask_id(number)
    head_holders = [m for m in holders if m.relation in HEADS]
    if head_holders:
        return f"家庭成员中标为户主的 {head_holders[0].name} 证件号码与承包方相同（{masked}），姓名不同"
    if holders:
        relation = RELATION_LABELS.get(holders[0].relation, holders[0].relation or "空")
        return f"证件号码与承包方相同（{masked}）的成员 {holders[0].name} 与户主关系为“{relation}”，不是户主"
    if heads:
        return f"家庭成员中标为户主的 {'、'.join(m.name for m in heads)} 证件号码与承包方（{masked}）不同"
    return f"家庭成员中没有标为户主的人，也没有证件号码与承包方（{masked}）相同的成员"


# ---- documents, signatures, scans --------------------------------------------------------------

def _files_without(scope: Scope, campaign: str, doc_type: str):
    has_it = select(DOCUMENT.c.id).where(DOCUMENT.c.archive_file_id == FILE.c.id, DOCUMENT.c.doc_type == doc_type)
    return scope.rows(select(FILE.c.household_id).join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
                      .where(FILE.c.campaign == campaign, ~has_it.exists()))


@rule("id_copy_missing", "error", "卷内没有身份证或户口簿复印件")
def id_copy_missing(scope: Scope) -> Found:
    for campaign in _campaigns(scope.config):
        code = _doc_code(scope.config, campaign, "身份证明", "身份证", "户口簿")
        if code is None:
            continue
        for row in _files_without(scope, campaign, code):
            yield (row.household_id, _subject(campaign, "身份证明材料"),
                   _message(campaign, "卷内没有身份证或户口簿复印件"))


@rule("documents_missing", "error", "必备的卷内文件不全")
def documents_missing(scope: Scope) -> Found:
    for campaign in _campaigns(scope.config):
        yield from _documents_missing(scope, campaign)


def _documents_missing(scope: Scope, campaign: str) -> Found:
    """The files of ``campaign`` without all of that campaign's required documents."""
    required = [doc for doc in scope.config.settings.documents_of(campaign) if doc.required]
    codes = sorted({doc.code for doc in required})
    if not codes:
        return
    held = (select(DOCUMENT.c.archive_file_id, func.count().label("held")).where(DOCUMENT.c.doc_type.in_(codes))
            .group_by(DOCUMENT.c.archive_file_id).subquery())
    files = scope.rows(select(FILE.c.id, FILE.c.household_id).outerjoin(held, held.c.archive_file_id == FILE.c.id)
                       .where(FILE.c.campaign == campaign, func.coalesce(held.c.held, 0) < len(codes)),
                       FILE.c.household_id).all()
    present: dict[int, set[str]] = defaultdict(set)
    for file_id, doc_type in rows_where_in(scope.connection, [DOCUMENT.c.archive_file_id, DOCUMENT.c.doc_type],
                                           DOCUMENT.c.archive_file_id, [file.id for file in files],
                                           where=DOCUMENT.c.doc_type.in_(codes)):
        present[file_id].add(doc_type)
    for file in files:
        names = [doc.name for doc in required if doc.code not in present[file.id]]
        yield file.household_id, _subject(campaign, "卷内文件"), _message(campaign, f"缺少必备文件：{'、'.join(names)}")


@rule("unsigned", "error", "调查表或公示结果归户表没有农户签字")
def unsigned(scope: Scope) -> Found:
    signed = _of_campaign_docs(scope.config, lambda doc: doc.signed)
    query = (select(FILE.c.household_id, FILE.c.campaign, DOCUMENT.c.title)
             .join(FILE, FILE.c.id == DOCUMENT.c.archive_file_id)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
             .where(signed, DOCUMENT.c.signed_by_household.is_(False)))
    for row in scope.rows(query):
        yield row.household_id, _subject(row.campaign, row.title), _message(row.campaign, f"{row.title}没有农户签字")


@rule("proxy_signature", "error", "涉及基本农田、高标准农田或争议，却由他人代签")
def proxy_signature(scope: Scope) -> Found:
    head_only = _of_campaign_docs(scope.config, lambda doc: doc.head_only)
    query = (select(FILE.c.household_id, FILE.c.campaign, DOCUMENT.c.title)
             .join(FILE, FILE.c.id == DOCUMENT.c.archive_file_id)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
             .where(head_only, DOCUMENT.c.signed_by_proxy.is_(True),
                    or_(HOUSEHOLD.c.has_basic_farmland, HOUSEHOLD.c.has_high_standard_farmland,
                        HOUSEHOLD.c.has_dispute)))
    for row in scope.rows(query):
        yield (row.household_id, _subject(row.campaign, row.title),
               _message(row.campaign, f"{row.title}须户主本人签字（涉及基本农田、高标准农田或争议），现为代签"))


UNSORTED = "未分类的页"


@rule("page_count", "warning", "卷内目录页数与已挂接的扫描页数不符（缺页、多页）")
def page_count(scope: Scope) -> Found:
    """Pages linked to a document are counted against its 页数 where the 卷内目录 knows it (0:
    not known, the document's pages are its scans). Pages filed by page number only (档号-页号,
    no document) are placed by the 卷内目录's page ranges: a number in a document's range with
    no page is missing; the pages outside every range wait in the file as 未分类, one finding
    for the file, until they are sorted into its documents."""
    linked = (select(SCAN.c.document_id, func.count().label("pages")).where(SCAN.c.status == PageStatus.LINKED)
              .group_by(SCAN.c.document_id).subquery())
    started = select(SCAN.c.archive_file_id).where(SCAN.c.status == PageStatus.LINKED)  # digitisation begun
    by_number = select(SCAN.c.archive_file_id).where(SCAN.c.status == PageStatus.LINKED, SCAN.c.document_id.is_(None))
    query = (select(FILE.c.household_id, FILE.c.campaign, DOCUMENT.c.title, DOCUMENT.c.page_count,
                    func.coalesce(linked.c.pages, 0).label("scanned"))
             .join(FILE, FILE.c.id == DOCUMENT.c.archive_file_id)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
             .outerjoin(linked, linked.c.document_id == DOCUMENT.c.id)
             .where(FILE.c.id.in_(started), FILE.c.id.not_in(by_number), DOCUMENT.c.page_count > 0,
                    DOCUMENT.c.page_count != func.coalesce(linked.c.pages, 0)))
    for row in scope.rows(query):
        yield (row.household_id, _subject(row.campaign, row.title),
               _message(row.campaign, _count_message(row.title, row.page_count, row.scanned)))
    yield from _pages_by_number(scope, by_number)


def _count_message(title: str, catalogued: int, scanned: int) -> str:
    gap = catalogued - scanned
    change = f"缺 {gap} 页" if gap > 0 else f"多 {-gap} 页"
    return f"{title}：目录 {catalogued} 页，已挂接扫描 {scanned} 页，{change}"


def _pages_by_number(scope: Scope, files_query) -> Found:
    pages = scope.rows(select(SCAN.c.archive_file_id, SCAN.c.seq, SCAN.c.document_id, FILE.c.household_id,
                              FILE.c.campaign)
                       .join(FILE, FILE.c.id == SCAN.c.archive_file_id)
                       .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
                       .where(SCAN.c.status == PageStatus.LINKED, FILE.c.id.in_(files_query)))
    loose: dict[int, set[int]] = defaultdict(set)
    own: dict[int, list[int]] = defaultdict(list)  # a document's pages: their numbers in the file
    households: dict[int, int] = {}
    campaigns: dict[int, str] = {}  # file → its campaign: a later campaign's findings are named by it
    for row in pages:
        households[row.archive_file_id] = row.household_id
        campaigns[row.archive_file_id] = row.campaign
        if row.document_id is None:
            loose[row.archive_file_id].add(row.seq or 0)
        else:
            own[row.document_id].append(row.seq or 0)
    documents = scope.rows(select(FILE.c.household_id, FILE.c.campaign, DOCUMENT)
                           .join(FILE, FILE.c.id == DOCUMENT.c.archive_file_id)
                           .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
                           .where(FILE.c.id.in_(files_query)).order_by(DOCUMENT.c.archive_file_id,
                                                                        DOCUMENT.c.position))
    documents = list(documents)  # in file, then catalogue order
    ranges: dict[int, tuple[int, int]] = {}
    for _file_id, of_file in groupby(documents, key=lambda doc: doc.archive_file_id):
        ranges.update(page_ranges(list(of_file)))
    covered: dict[int, set[int]] = defaultdict(set)
    for doc in documents:
        seqs = loose[doc.archive_file_id]
        numbers = set(range(ranges[doc.id][0], ranges[doc.id][1] + 1)) if doc.id in ranges else set()
        covered[doc.archive_file_id] |= numbers
        subject = _subject(doc.campaign, doc.title)
        if numbers and set(own[doc.id]) <= numbers:  # its pages, if any, were placed by their numbers
            missing = sorted(numbers - seqs - set(own[doc.id]))
            if missing:
                yield (doc.household_id, subject, _message(
                    doc.campaign,
                    f"{doc.title}：目录第 {page_numbers(sorted(numbers))} 页，缺第 {page_numbers(missing)} 页"))
        elif doc.page_count and doc.page_count != len(own[doc.id]):
            yield (doc.household_id, subject,
                   _message(doc.campaign, _count_message(doc.title, doc.page_count, len(own[doc.id]))))
    for file_id, seqs in loose.items():
        extra = sorted(seqs - covered[file_id])
        if extra:
            yield (households[file_id], _subject(campaigns[file_id], UNSORTED), _message(
                campaigns[file_id],
                f"{len(extra)} 页扫描件未分类（第 {page_numbers(extra)} 页）：不在卷内目录任何文件的页号范围内，"
                "请在户卷“卷内文件”页归入所属文件"))


@rule("scan_quality", "warning", "扫描件分辨率低于要求或格式不在允许之列（DA/T 31）")
def scan_quality(scope: Scope) -> Found:
    settings = scope.config.settings.scan
    query = (select(FILE.c.household_id, SCAN.c.store_path, SCAN.c.dpi, SCAN.c.format)
             .join(FILE, FILE.c.id == SCAN.c.archive_file_id).join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
             .where(SCAN.c.status == PageStatus.LINKED,
                    or_(and_(SCAN.c.format != "PDF", SCAN.c.dpi < settings.min_dpi),
                        SCAN.c.format.not_in(settings.formats))))
    for row in scope.rows(query):
        name = row.store_path.rsplit("/", 1)[-1]
        problems = []
        if row.format not in settings.formats:
            problems.append(f"格式 {row.format} 不在允许之列")
        if row.format != "PDF" and row.dpi < settings.min_dpi:
            problems.append(f"{row.dpi} dpi 低于 {settings.min_dpi} dpi")
        yield row.household_id, f"扫描件 {name}", f"扫描件 {name}：{'，'.join(problems)}"


# ---- parcels and contracts ---------------------------------------------------------------------
# The contract and certificate rules read the 确权 rows only: a later campaign's (延包) contract,
# with the same code and a later end, and its certificates are judged by that campaign's rules.

def _parcel_subject(row) -> str:
    return f"地块 {row.code}" + (f"（{row.name}）" if row.name else "")


_SIDES = (("东", PARCEL.c.east), ("南", PARCEL.c.south), ("西", PARCEL.c.west), ("北", PARCEL.c.north))


@dataclass(frozen=True)
class VillageParcels:
    """A village's parcels: how many, how many without a name, how many without any of the 四至."""

    code: str
    name: str
    parcels: int
    unnamed: int
    unbounded: int

    @property
    def lacks_names(self) -> bool:  # every parcel without a name: the source had none (no DK table)
        return self.parcels > 0 and self.unnamed == self.parcels

    @property
    def lacks_boundaries(self) -> bool:  # every parcel without any of its 四至: the source had none
        return self.parcels > 0 and self.unbounded == self.parcels


def _village_parcels(scope: Scope) -> list[VillageParcels]:
    """Per village of the run's scope (the whole village, whatever households the run looks at):
    its parcels counted. What a village's source lacked is one finding of the village (待补充), not
    one per parcel; once some parcels have it, those without it are findings of their own again."""
    def count() -> list[VillageParcels]:
        no_sides = and_(*(column == "" for _label, column in _SIDES))
        query = (select(ISSUER.c.village_code, func.max(ISSUER.c.village_name), func.count(PARCEL.c.id),
                        func.sum(case((PARCEL.c.name == "", 1), else_=0)), func.sum(case((no_sides, 1), else_=0)))
                 .select_from(PARCEL.join(HOUSEHOLD, HOUSEHOLD.c.id == PARCEL.c.household_id)
                              .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id))
                 .where(ISSUER.c.village_code.in_(_scope_villages(scope))).group_by(ISSUER.c.village_code)
                 .order_by(ISSUER.c.village_code))
        return [VillageParcels(code, name or code, parcels, unnamed or 0, unbounded or 0)
                for code, name, parcels, unnamed, unbounded in scope.connection.execute(query)]
    return scope.shared("village_parcels", count)


def _scope_villages(scope: Scope):
    """The village codes the run looks at (a statement): its village, its households', or all."""
    query = select(ISSUER.c.village_code)
    if scope.household_ids is not None:
        query = query.where(ISSUER.c.id.in_(select(HOUSEHOLD.c.issuer_id).where(
            HOUSEHOLD.c.id.in_(scope.household_ids))))
    if scope.village:
        query = query.where(village_filter(scope.village))
    return query


@rule("parcel_name", "error", "地块没有名称")
def parcel_name(scope: Scope) -> Found:
    lacking = [village.code for village in _village_parcels(scope) if village.lacks_names]
    query = (select(PARCEL.c.household_id, PARCEL.c.code, PARCEL.c.name)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == PARCEL.c.household_id)
             .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
             .where(PARCEL.c.name == "", ISSUER.c.village_code.not_in(lacking)))
    for row in scope.rows(query):
        yield row.household_id, _parcel_subject(row), f"地块 {row.code} 没有名称"


@rule("parcel_boundaries", "error", "地块四至不全")
def parcel_boundaries(scope: Scope) -> Found:
    lacking = [village.code for village in _village_parcels(scope) if village.lacks_boundaries]
    query = (select(PARCEL.c.household_id, PARCEL.c.code, PARCEL.c.name, *(column for _l, column in _SIDES))
             .join(HOUSEHOLD, HOUSEHOLD.c.id == PARCEL.c.household_id)
             .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
             .where(or_(*(column == "" for _l, column in _SIDES)), ISSUER.c.village_code.not_in(lacking)))
    for row in scope.rows(query):
        missing = [label for label, column in _SIDES if not row._mapping[column.name]]
        subject = _parcel_subject(row)
        yield row.household_id, subject, f"{subject}：四至缺{'、'.join(missing)}"


@rule("parcel_source_missing", "pending", "数据源没有地块名称或四至（全村都缺），待补充")
def parcel_source_missing(scope: Scope) -> Found:
    """One finding per village whose parcels all lack their names or all lack their 四至: what the
    source did not have (a county source without the DK table), to be added by a later import."""
    for village in _village_parcels(scope):
        if village.lacks_names and village.lacks_boundaries:
            what, why = "名称和四至", "数据源中没有地块表（DK）"
        elif village.lacks_names:
            what, why = "名称", "数据源中没有地块名称（DK 表的 DKMC）"
        elif village.lacks_boundaries:
            what, why = "四至", "数据源中没有四至（DK 表的 DKDZ、DKNZ、DKXZ、DKBZ）"
        else:
            continue
        yield (None, f"{VILLAGE_SUBJECT}{village.code}",
               f"{village.name} {village.parcels:,} 块地块没有{what}：{why}，待补充")


@rule("parcel_area", "error", "地块面积为空或不大于零")
def parcel_area(scope: Scope) -> Found:
    query = (select(PARCEL.c.household_id, PARCEL.c.code, PARCEL.c.name, PARCEL.c.contract_area)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == PARCEL.c.household_id)
             .where(or_(PARCEL.c.contract_area.is_(None), PARCEL.c.contract_area <= 0)))
    for row in scope.rows(query):
        subject = _parcel_subject(row)
        area = "空" if row.contract_area is None else row.contract_area
        yield row.household_id, subject, f"{subject}：合同面积为{area}"


@rule("area_total", "warning", "各地块面积之和与合同面积不符")
def area_total(scope: Scope) -> Found:
    sums = (select(PARCEL.c.household_id, func.sum(PARCEL.c.contract_area).label("parcels"))
            .group_by(PARCEL.c.household_id).subquery())
    tolerance = scope.config.settings.checks.area_tolerance_m2
    query = (select(CONTRACT.c.household_id, CONTRACT.c.code, CONTRACT.c.total_area, sums.c.parcels)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == CONTRACT.c.household_id)
             .join(sums, sums.c.household_id == CONTRACT.c.household_id)
             .where(CONTRACT.c.campaign == PRIMARY_CAMPAIGN, CONTRACT.c.total_area.is_not(None),
                    func.abs(sums.c.parcels - CONTRACT.c.total_area) > tolerance))
    for row in scope.rows(query):
        yield (row.household_id, f"合同 {row.code}",
               f"合同 {row.code} 面积 {row.total_area:.2f} 平方米，各地块合计 {row.parcels:.2f} 平方米")


@rule("contract_term", "warning", "承包期限与规定的期限不一致")
def contract_term(scope: Scope) -> Found:
    term = scope.config.settings.contract
    query = (select(CONTRACT.c.household_id, CONTRACT.c.code, CONTRACT.c.term_start, CONTRACT.c.term_end)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == CONTRACT.c.household_id)
             .where(CONTRACT.c.campaign == PRIMARY_CAMPAIGN, CONTRACT.c.method.in_(("", "110")),
                    or_(CONTRACT.c.term_start.is_(None), CONTRACT.c.term_end.is_(None),
                        CONTRACT.c.term_start != term.term_start, CONTRACT.c.term_end != term.term_end)))
    for row in scope.rows(query):
        yield (row.household_id, f"合同 {row.code}",
               f"合同 {row.code} 承包期限 {row.term_start or '空'} 至 {row.term_end or '空'}，"
               f"应为 {term.term_start} 至 {term.term_end}")


# ---- codes -------------------------------------------------------------------------------------

def _issuer_problem(code: str, township: str) -> str | None:
    problem = check_issuer_code(code)
    if problem is None and not code.startswith(township):
        problem = f"发包方编码“{code}”不属于本乡镇（{township}）"
    return problem


@rule("issuer_code", "error", "发包方编码有误（结构，或不是该户所在的组）")
def issuer_code(scope: Scope) -> Found:
    """The issuers' codes are checked one by one (a township has a few thousand); the households
    asked for are those of an issuer in doubt and those whose code does not begin with their issuer's."""
    township = scope.config.settings.township.code
    issuers = scope.connection.execute(select(ISSUER.c.id, ISSUER.c.code)).all()
    problems = {issuer.id: problem for issuer in issuers if (problem := _issuer_problem(issuer.code, township))}
    query = (select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, HOUSEHOLD.c.issuer_id, ISSUER.c.code.label("issuer"))
             .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
             .where(or_(ISSUER.c.id.in_(list(problems)), func.substr(HOUSEHOLD.c.code, 1, 14) != ISSUER.c.code)))
    for row in scope.rows(query):
        problem = problems.get(row.issuer_id)
        if problem is None and row.code[:14] != row.issuer:
            problem = f"承包方编码 {row.code} 的前14位与所属发包方编码 {row.issuer} 不一致"
        if problem:
            yield row.id, "发包方", problem


@rule("sequence_range", "error", "承包方编码顺序号与承包方类型不符")
def sequence_range(scope: Scope) -> Found:
    fine: set[tuple[str, str]] = set()  # (type, sequence number) found in range: the answer for the next alike
    for row in scope.rows(select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, HOUSEHOLD.c.contractor_type)):
        if (row.contractor_type, row.code[-4:]) in fine:
            continue
        problem = check_sequence_range(row.code, row.contractor_type)
        if problem:
            yield row.id, "承包方", problem
        else:
            fine.add((row.contractor_type, row.code[-4:]))


def _suffix_in_doubt():
    """Contracts whose last letter may not fit their method (J: 家庭承包, Q: the others)."""
    last = func.substr(CONTRACT.c.code, func.length(CONTRACT.c.code), 1)
    return and_(CONTRACT.c.method != "", last != case((CONTRACT.c.method == ContractMethod.FAMILY, "J"), else_="Q"))


@rule("code_mismatch", "error", "合同、证书编码与该户不对应")
def code_mismatch(scope: Scope) -> Found:
    contracts = (select(CONTRACT.c.household_id, CONTRACT.c.code, CONTRACT.c.method,
                        HOUSEHOLD.c.code.label("cbfbm")).join(HOUSEHOLD, HOUSEHOLD.c.id == CONTRACT.c.household_id)
                 .where(CONTRACT.c.campaign == PRIMARY_CAMPAIGN,
                        or_(func.substr(CONTRACT.c.code, 1, 18) != HOUSEHOLD.c.code, _suffix_in_doubt())))
    for row in scope.rows(contracts):
        problem = None
        if row.code[:18] != row.cbfbm:
            problem = f"合同编码 {row.code} 的前18位不是该户的承包方编码 {row.cbfbm}"
        else:
            problem = check_method_suffix(row.code, row.method)
        if problem:
            yield row.household_id, f"合同 {row.code}", problem
    certificates = (select(CERTIFICATE.c.household_id, CERTIFICATE.c.code, CERTIFICATE.c.serial,
                           HOUSEHOLD.c.code.label("cbfbm"))
                    .join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
                    .where(CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN, CERTIFICATE.c.code != "",
                           func.substr(CERTIFICATE.c.code, 1, 18) != HOUSEHOLD.c.code))
    for row in scope.rows(certificates):
        yield (row.household_id, f"证书 {row.serial}",
               f"证书 {row.serial} 的编码 {row.code} 不是该户（{row.cbfbm}）的")


# ---- certificates, copies, transfers -----------------------------------------------------------

def _certificates(scope: Scope, generation: str, statuses: tuple[str, ...]):
    query = (select(CERTIFICATE.c.household_id, CERTIFICATE.c.serial)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
             .where(CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN, CERTIFICATE.c.generation == generation,
                    CERTIFICATE.c.status.in_(statuses)))
    return scope.rows(query)


@rule("cert_not_issued", "warning", "新证尚未发放")
def cert_not_issued(scope: Scope) -> Found:
    later = set(scope.rows(select(CERTIFICATE.c.household_id).where(
        CERTIFICATE.c.campaign != PRIMARY_CAMPAIGN), CERTIFICATE.c.household_id).scalars())
    for row in _certificates(scope, "new", ("printed",)):
        if row.household_id not in later:  # a later campaign's certificate replaces it: never handed out now
            yield row.household_id, f"证书 {row.serial}", f"新证 {row.serial} 尚未发放"


@rule("old_not_recalled", "warning", "旧证尚未收回")
def old_not_recalled(scope: Scope) -> Found:
    for row in _certificates(scope, "old", ("issued",)):
        yield row.household_id, f"证书 {row.serial}", f"旧证 {row.serial} 尚未收回"


@rule("old_not_destroyed", "warning", "旧证已收回但未销毁")
def old_not_destroyed(scope: Scope) -> Found:
    for row in _certificates(scope, "old", ("recalled", "cancelled")):
        yield row.household_id, f"证书 {row.serial}", f"旧证 {row.serial} 已收回，尚未列入销毁清册销毁"


@rule("dispute_followup", "warning", "纠纷结案改变了承包经营权，尚未补充登记和重新颁证")
def dispute_followup(scope: Scope) -> Found:
    dispute = Dispute.__table__
    query = (select(dispute.c.household_id, dispute.c.number, dispute.c.outcome, dispute.c.closed_on)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == dispute.c.household_id)
             .where(dispute.c.stage == DisputeStage.CLOSED, dispute.c.right_changed,
                    dispute.c.followed_up_on.is_(None)))
    for row in scope.rows(query):
        yield (row.household_id, f"纠纷 {row.number}",
               f"纠纷 {row.number} 于 {row.closed_on.isoformat()} 结案（{row.outcome}），"
               "改变了承包经营权：须补充登记并重新颁证")


@rule("copy_location", "warning", "已归档的一份没有登记存放位置")
def copy_location(scope: Scope) -> Found:
    query = (select(FILE.c.household_id, FILE.c.campaign, COPY.c.level)
             .join(FILE, FILE.c.id == COPY.c.archive_file_id)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
             .where(COPY.c.status.in_((FileStatus.FILED, FileStatus.LENT)), COPY.c.building == "", COPY.c.room == "",
                    COPY.c.cabinet == "", COPY.c.shelf == "", COPY.c.box == ""))
    for row in scope.rows(query):
        label = LEVEL_LABELS.get(row.level, row.level)
        yield (row.household_id, _subject(row.campaign, f"{label}份"),
               _message(row.campaign, f"{label}一份已归档，但没有登记存放位置"))


@rule("not_transferred", "warning", "到期仍未移交县档案馆")
def not_transferred(scope: Scope) -> Found:
    due = scope.config.settings.checks.transfer_due
    if due is None or scope.today <= due:
        return
    query = (select(FILE.c.household_id, COPY.c.level).join(FILE, FILE.c.id == COPY.c.archive_file_id)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
             .where(FILE.c.campaign == PRIMARY_CAMPAIGN,  # transfer_due is the 确权 files' date
                    COPY.c.level.in_(("village", "township")), COPY.c.status != FileStatus.TRANSFERRED))
    for row in scope.rows(query):
        label = LEVEL_LABELS.get(row.level, row.level)
        yield row.household_id, f"{label}份", f"{label}一份应于 {due} 前移交县档案馆，尚未移交"


# ---- running and storing -----------------------------------------------------------------------

CheckResult = Reconciled  # what a run opened, resolved, left open and found waived


def _chosen_rules(rules: list[str] | None) -> list[Rule]:
    if not rules:
        return list(RULES.values())
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise ArchiveError(f"没有规则“{'、'.join(unknown)}”；可用的规则：{'、'.join(RULES)}")
    return [RULES[r] for r in rules]


@use_case(Permission.WRITE, "质检")
def run_checks(ctx: ArchiveContext, *, village: str | None = None, rules: list[str] | None = None,
               progress: Callable[[int, int], None] | None = None,
               households: list[int] | None = None) -> CheckResult:
    """Run the rules (all, or those named) over the township (or one village, or some households)
    and store the findings. Over the whole township, a rule nothing of which has changed since its
    last such run keeps its findings as they are."""
    engine, config = ctx.engine, ctx.config
    chosen = _chosen_rules(rules)
    with engine.begin() as connection:
        scope = Scope(connection, config, village, households)
        known = select(ISSUER.c.id).where(village_filter(village or "")).limit(1)
        if village and connection.execute(known).first() is None:
            raise ArchiveError(f"找不到村“{village}”")
        tables = table_states(connection) if scope.whole else {}  # before the rules read: a change while
        # they run shows at the next run
        context = run_context(config, scope.today)
        kept = _unchanged_rules(connection, chosen, tables, context) if scope.whole else set()
        found: dict[tuple[int, str, str], tuple[str, str]] = {}
        read: dict[str, set[str]] = {}
        for done, unit in enumerate(chosen, start=1):
            if unit.id not in kept:
                read[unit.id] = _find(scope, unit, found)
            if progress:
                progress(done, len(chosen))
        serialize_writers(connection, FINDING)  # from here on no one else changes a finding until we are done
        if not findings_as_left(connection):  # someone else changed them: what any rule saw before is void
            forget_states(connection)
            for unit in chosen:
                if unit.id in kept:
                    read[unit.id] = _find(scope, unit, found)
            kept = set()
        columns = (FINDING.c.id, FINDING.c.household_id, FINDING.c.rule, FINDING.c.subject, FINDING.c.status,
                   FINDING.c.message, FINDING.c.severity)
        tracked = and_(FINDING.c.rule.in_(list(read)), FINDING.c.status.in_(("open", "waived")))
        existing = scope.households(select(*columns).join(HOUSEHOLD, HOUSEHOLD.c.id == FINDING.c.household_id)
                                    .where(tracked))
        of_villages = select(*columns).where(tracked, FINDING.c.household_id.is_(None))
        if not scope.whole:
            of_villages = of_villages.where(FINDING.c.subject.in_(_village_subjects(_scope_villages(scope))))
        result = reconcile(connection, found, chain(connection.execute(existing), connection.execute(of_villages)),
                           "check")
        _count_kept(connection, kept, result)
        remember(connection, _seen(read, tables) if scope.whole else {}, context)
        if households is not None:
            return result  # an intake pass: its pages are audited as filed
        audit.record(connection, operator=ctx.operator, action="check", entity="findings", key=village or "",
                     after={"rules": [unit.id for unit in chosen], "opened": result.opened,
                            "resolved": result.resolved})
    return result


def _village_subjects(village_codes):
    """The subjects of the findings of the villages whose codes ``village_codes`` selects."""
    return select(literal(VILLAGE_SUBJECT, String) + village_codes.subquery().c.village_code)


def _find(scope: Scope, unit: Rule, found: dict) -> set[str]:
    """Run one rule, adding what it finds to ``found``; the tables its statements read ("?": some
    statement whose tables cannot be told, so what it found is never kept)."""
    def note(_connection, _cursor, _sql, _parameters, context, _many) -> None:
        scope.read.update(_tables_of(context.compiled.statement if context.compiled is not None else None))

    severity = severity_of(scope.config, unit.id)
    scope.read = set()
    event.listen(scope.connection, "before_cursor_execute", note)
    try:
        for household_id, subject, message in unit.find(scope):
            found.setdefault((household_id, unit.id, subject), (message, severity))
    finally:
        event.remove(scope.connection, "before_cursor_execute", note)
    return scope.read


UNKNOWN_TABLE = "?"


def _tables_of(statement) -> set[str]:
    """The tables a statement reads, or "?" where SQL written as text (or sent to the driver as
    it is) may read others."""
    if not isinstance(statement, ClauseElement):
        return {UNKNOWN_TABLE}
    tables = set()
    for element in visitors.iterate(statement):
        if isinstance(element, TableClause):
            tables.add(element.name)
        elif isinstance(element, TextClause) or _literal(element):
            tables.add(UNKNOWN_TABLE)
    return tables


def _literal(element) -> bool:
    """A column written as SQL text (but count(*)'s star)."""
    return isinstance(element, ColumnClause) and element.is_literal and element.name != "*"


def _unchanged_rules(connection: Connection, chosen: list[Rule], tables: dict[str, str], context: str) -> set[str]:
    """The rules whose last run over the township saw the same settings, date and program, and
    tables in the same state as now."""
    states = stored_states(connection)
    return {unit.id for unit in chosen if unit.id in states and states[unit.id][0] == context
            and all(tables.get(name) == state for name, state in states[unit.id][1].items())}


def _seen(read: dict[str, set[str]], tables: dict[str, str]) -> dict[str, dict[str, str | None]]:
    """Per rule run: the state, before the rules ran, of each table it read (None: not counted)."""
    return {rule_id: {name: tables.get(name) for name in names} for rule_id, names in read.items()}


def _count_kept(connection: Connection, kept: set[str], result: Reconciled) -> None:
    """The kept rules' findings, still open or waived, counted into the run's result."""
    result.kept_rules = len(kept)
    if kept:
        query = (select(FINDING.c.status, func.count())
                 .where(FINDING.c.rule.in_(sorted(kept)), FINDING.c.status.in_(("open", "waived")))
                 .group_by(FINDING.c.status))
        counts = dict(connection.execute(query).all())
        result.still_open += counts.get("open", 0)
        result.waived += counts.get("waived", 0)


def run_context(config: Config, today: dt.date) -> str:
    """What every rule's findings depend on besides the tables: the settings, the date, the program."""
    return hashlib.sha256("\n".join((config.settings.model_dump_json(), today.isoformat(), PROGRAM)).encode()
                          ).hexdigest()


def _program() -> str:
    """The program's source files (name, size, time written) as this process loaded them: a new
    version, or an edit, shows here."""
    digest = hashlib.sha256()
    for package in (Path(archive_tui.__file__).parent, Path(models.__file__).parent):
        for path in sorted(package.rglob("*.py")):
            stat = path.stat()
            digest.update(f"{path.relative_to(package.parent)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


PROGRAM = _program()


def _in_village(village: str):
    """Findings of a village: of its households, and the village's own."""
    return or_(FINDING.c.household_id.in_(select(HOUSEHOLD.c.id).join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
                                          .where(village_filter(village))),
               and_(FINDING.c.household_id.is_(None),
                    FINDING.c.subject.in_(_village_subjects(select(ISSUER.c.village_code)
                                                            .where(village_filter(village))))))


def _known_village(connection: Connection, village: str) -> None:
    if connection.execute(select(ISSUER.c.id).where(village_filter(village)).limit(1)).first() is None:
        raise ArchiveError(f"找不到村“{village}”", field="village")


def list_findings(engine: Engine, *, village: str | None = None, rules: list[str] | None = None,
                  statuses: tuple[str, ...] = ("open", "waived"), limit: int | None = None,
                  ids: list[int] | None = None) -> list[dict]:
    """Findings with the CLI's keys (plus id, village, name, subject), by rule then household; a
    village's own finding (what its source lacked) has no household: cbfbm and name are None."""
    villages = (select((literal(VILLAGE_SUBJECT, String) + ISSUER.c.village_code).label("subject"),
                       func.max(ISSUER.c.village_name).label("name")).group_by(ISSUER.c.village_code).subquery())
    query = (select(FINDING.c.id, FINDING.c.rule, FINDING.c.severity, FINDING.c.message, FINDING.c.status,
                    FINDING.c.subject, FINDING.c.waived_reason, HOUSEHOLD.c.code.label("cbfbm"),
                    HOUSEHOLD.c.name.label("household"), FILE.c.archive_code,
                    func.coalesce(ISSUER.c.village_name, villages.c.name), FINDING.c.waived_by, FINDING.c.waived_at)
             .select_from(FINDING)
             .outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == FINDING.c.household_id)
             .outerjoin(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
             .outerjoin(FILE, primary_file())  # the household's 确权 file: one row per finding
             .outerjoin(villages, and_(FINDING.c.household_id.is_(None), villages.c.subject == FINDING.c.subject))
             .where(FINDING.c.status.in_(statuses)).order_by(FINDING.c.rule, HOUSEHOLD.c.code, FINDING.c.id))
    if village:
        query = query.where(_in_village(village))
    if rules:
        query = query.where(FINDING.c.rule.in_(rules))
    if ids is not None:
        query = query.where(FINDING.c.id.in_(ids))
    if limit is not None:
        query = query.limit(limit)
    keys = ("id", "rule", "severity", "message", "status", "subject", "waived_reason", "cbfbm", "name",
            "archive_code", "village", "waived_by", "waived_at")  # the columns' order
    with engine.connect() as connection:
        rows = [dict(zip(keys, row)) for row in connection.execute(query).all()]
        _later_files_named(connection, rows)
    for row in rows:  # when it was waived, in local time
        waived_at = local_time(row["waived_at"])
        row["waived_at"] = waived_at.strftime("%Y-%m-%d %H:%M") if waived_at else ""
    return rows


def _later_files_named(connection: Connection, rows: list[dict]) -> None:
    """A finding about a household's file of a later campaign (延包: its rules, or a subject naming the
    campaign) names that file's 档号, not the 确权 one's."""
    households = sorted({row["cbfbm"] for row in rows if row["cbfbm"]})
    later: dict[str, dict[str, str]] = {}
    for code, campaign, archive_code in rows_where_in(
            connection, [HOUSEHOLD.c.code, FILE.c.campaign, FILE.c.archive_code], HOUSEHOLD.c.code, households,
            where=FILE.c.campaign != PRIMARY_CAMPAIGN,
            select_from=FILE.join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)):
        later.setdefault(code, {})[campaign] = archive_code
    for row in rows:
        for campaign, archive_code in later.get(row["cbfbm"], {}).items():
            if row["subject"].startswith(campaign) or (row["rule"].startswith("extension_")
                                                        and len(later[row["cbfbm"]]) == 1):
                row["archive_code"] = archive_code


def open_by_rule(engine: Engine, *, village: str | None = None, rules: list[str] | None = None) -> dict[str, int]:
    """Open findings per rule (one grouped count: a county has a hundred thousand of them)."""
    query = select(FINDING.c.rule, func.count()).where(FINDING.c.status == "open").group_by(FINDING.c.rule)
    if village:
        query = query.where(_in_village(village))
    if rules:
        query = query.where(FINDING.c.rule.in_(rules))
    with engine.connect() as connection:
        return dict(connection.execute(query).all())


def _checked_reason(reason: str) -> str:
    if not reason.strip():
        raise ArchiveError("豁免须写明理由（--reason）", field="reason")
    return reason.strip()


@use_case(Permission.WRITE, "放行问题")
def waive(ctx: ArchiveContext, finding_id: int, reason: str) -> None:
    """Waive an open finding (豁免) with a reason; recorded with who and when."""
    engine = ctx.engine
    reason = _checked_reason(reason)
    with engine.begin() as connection:
        row = connection.execute(select(FINDING).where(FINDING.c.id == finding_id)).first()
        if row is None:
            raise ArchiveError(f"没有编号为 {finding_id} 的问题")
        if row.status != "open":
            label = STATUS_LABELS.get(row.status, row.status)
            raise ArchiveError(f"问题 {finding_id} 当前为“{label}”，只能豁免待处理的问题")
        connection.execute(FINDING.update().where(FINDING.c.id == finding_id).values(
            status="waived", waived_reason=reason, waived_by=ctx.operator, waived_at=now()))
        audit.record(connection, operator=ctx.operator, action="waive", entity="finding", key=str(finding_id),
                     before={"status": "open"}, after={"status": "waived", "reason": reason})


@use_case(Permission.WRITE, "放行问题")
def waive_many(ctx: ArchiveContext, reason: str, *, rule: str | None = None, village: str | None = None,
               ids: list[int] | None = None) -> int:
    """Waive with one reason (批量豁免) the open findings of a rule (in a village), or those of
    ``ids`` (a selection: the open ones among them). One transaction and one audit event for the
    act, naming the rule, the village and every finding waived; returns how many."""
    reason = _checked_reason(reason)
    if (rule is None) == (ids is None):
        raise ArchiveError("豁免哪些问题：给出一条规则（--rule）或所选的问题")
    if village and rule is None:
        raise ArchiveError("按村豁免须同时给出规则（--rule）", field="village")
    with ctx.engine.begin() as connection:
        serialize_writers(connection, FINDING)  # what is counted here is what is waived
        query = select(FINDING.c.id).where(FINDING.c.status == "open").order_by(FINDING.c.id)
        if rule is not None:
            _known_rule(connection, rule)
            query = query.where(FINDING.c.rule == rule)
            if village:
                _known_village(connection, village)
                query = query.where(_in_village(village))
            chosen = list(connection.execute(query).scalars())
        else:
            asked = sorted(set(ids))
            present = {row.id: row.status for row in rows_where_in(
                connection, [FINDING.c.id, FINDING.c.status], FINDING.c.id, asked)}
            unknown = [str(finding) for finding in asked if finding not in present]
            if unknown:
                raise ArchiveError(f"没有编号为 {'、'.join(unknown)} 的问题")
            chosen = [finding for finding in asked if present[finding] == "open"]
        if not chosen:
            raise ArchiveError(_nothing_to_waive(rule, village, ids))
        stamp = now()
        for start in range(0, len(chosen), 900):
            connection.execute(FINDING.update().where(FINDING.c.id.in_(chosen[start:start + 900]))
                               .values(status="waived", waived_reason=reason, waived_by=ctx.operator,
                                       waived_at=stamp))
        audit.record(connection, operator=ctx.operator, action="waive", entity="findings",
                     key=rule or "selection", before={"status": "open"},
                     after={"status": "waived", "reason": reason, "rule": rule or "", "village": village or "",
                            "count": len(chosen), "ids": chosen})
    return len(chosen)


def _known_rule(connection: Connection, rule_id: str) -> None:
    """A rule of the checks, or one the import raised findings of; else a Chinese error listing them."""
    if rule_id in RULES:
        return
    if connection.execute(select(FINDING.c.id).where(FINDING.c.rule == rule_id).limit(1)).first() is None:
        raise ArchiveError(f"没有规则“{rule_id}”；可用的规则：{'、'.join(RULES)}", field="rule")


def _nothing_to_waive(rule: str | None, village: str | None, ids: list[int] | None) -> str:
    if ids is not None:
        return "所选的问题都不是待处理的，没有可豁免的"
    where = f"村“{village}”中" if village else ""
    return f"{where}规则“{rule}”（{rule_label(rule)[1]}）没有待处理的问题可豁免"


def pass_shares(engine: Engine, village: str | None = None) -> list[dict]:
    """Per village: households, households with an open error finding, and the share without one (%)."""
    village_key = [ISSUER.c.village_code, ISSUER.c.village_name]
    households = select(*village_key, func.count(HOUSEHOLD.c.id)).join(
        HOUSEHOLD, HOUSEHOLD.c.issuer_id == ISSUER.c.id).group_by(*village_key)
    failing = (select(*village_key, func.count(func.distinct(FINDING.c.household_id)))
               .select_from(FINDING.join(HOUSEHOLD, HOUSEHOLD.c.id == FINDING.c.household_id)
                            .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id))
               .where(FINDING.c.status == "open", FINDING.c.severity == "error").group_by(*village_key))
    if village:
        households, failing = households.where(village_filter(village)), failing.where(village_filter(village))
    with engine.connect() as connection:
        totals = {(code, name): count for code, name, count in connection.execute(households)}
        bad = {(code, name): count for code, name, count in connection.execute(failing)}
    rows = []
    for (code, name), count in sorted(totals.items()):
        failed = bad.get((code, name), 0)
        rows.append({"village": name or code, "households": count, "failing": failed,
                     "pass_share": round(100 * (count - failed) / count, 1) if count else 100.0})
    return rows


def export_findings(engine: Engine, path, *, village: str | None = None, rules: list[str] | None = None):
    """The open and waived findings as an XLSX sheet (and a sheet per village's figures)."""
    from archive_tui.reports.tables import TitledTable, write_titled_xlsx

    rows = list_findings(engine, village=village, rules=rules)
    columns = ["编号", "规则", "级别", "村", "承包方编码", "档号", "户主", "对象", "问题", "状态", "豁免理由"]
    body = [[r["id"], f"{r['rule']} {RULES[r['rule']].description if r['rule'] in RULES else ''}".strip(),
             SEVERITY_LABELS.get(r["severity"], r["severity"]), r["village"] or "", r["cbfbm"] or "（全村）",
             r["archive_code"] or "", r["name"] or "", r["subject"], r["message"],
             STATUS_LABELS.get(r["status"], r["status"]), r["waived_reason"]]
            for r in rows]
    shares = [[r["village"], r["households"], r["failing"], r["pass_share"]] for r in pass_shares(engine, village)]
    return write_titled_xlsx(path, [
        TitledTable("问题清单", ["质检问题清单"], columns, body),
        TitledTable("各村合格率", ["各村无待处理错误的户所占比例（%）"], ["村", "户数", "有问题户", "合格率%"], shares),
    ])


def finding_counts(engine: Engine) -> dict[str, dict[str, int]]:
    """Per rule: how many findings are open and how many waived (the 质检 section's first list)."""
    query = (select(FINDING.c.rule, FINDING.c.status, func.count()).where(FINDING.c.status.in_(("open", "waived")))
             .group_by(FINDING.c.rule, FINDING.c.status))
    counts: dict[str, dict[str, int]] = {}
    with engine.connect() as connection:
        for rule_id, status, count in connection.execute(query):
            counts.setdefault(rule_id, {"open": 0, "waived": 0})[status] = count
    return counts


def rule_label(rule_id: str, config: Config | None = None) -> tuple[str, str]:
    """(severity label, description) of a rule, its severity as ``config`` sets it when given;
    findings the importer made have no rule unit."""
    unit = RULES.get(rule_id)
    if unit is None:
        return "", "（导入时发现）"
    return SEVERITY_LABELS[severity_of(config, rule_id)], unit.description

