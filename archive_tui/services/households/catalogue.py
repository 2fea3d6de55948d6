"""The 卷内目录 from the data (卷内文件著录): each document's 日期, 文号 and 责任者.

An import fills them from the national tables by the rules of ``[[documents]]`` in config.toml
(``date``, ``responsible``, ``number``): the survey form is dated by CBFDCRQ and made by the
发包方, the contract by QDSJ with its code as 文号, the register by DJSJ and the 发证机关 …
A document is catalogued at import only when the data dates it (the rest come with their
scans or by hand). The archivist corrects any entry — 日期, 文号, 责任者, 题名, 页数, 备注 —
in the household file or with ``archive-tui files doc``; a correction is the archive's own
value (本档案的修改): audited, shown in the file's history, kept when the data is imported again.

A document's page count 0 means "not known": its pages are the scans filed to it.

Each file is catalogued by its own campaign's document list (确权's ``[[documents]]``, 延包's
``[[campaigns]] documents``) from that campaign's facts: a 确权 file from the 确权 contract,
register entry and certificates; a 延包 file from the 延包 contract, register entry and
certificate, its confirmation (确认) and 公示 from the household's campaign record.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from archive_tui.core.states import PageStatus
from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config, DocumentType
from archive_tui.core.display import page_numbers
from archive_tui.db import insert_rows, rows_where_in, update_rows
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.db.tables import (
    CAMPAIGN_RECORD, CERTIFICATE, CONTRACT, DOCUMENT, FILE, HOUSEHOLD, ISSUER, LOCAL_EDIT, REGISTER, SCAN,
)
from archive_tui.services.households.filters import files_of, find_household, named_file
from archive_tui.services.households.local_edits import remember_local_edits
from archive_tui.core.values import ValueProblem, as_date


FIELDS = {"dated": "日期", "doc_number": "文号", "responsible": "责任者", "title": "题名", "page_count": "页数",
          "remark": "备注"}
"""What of a catalogue entry the archivist may correct, with its name on the form."""
FROM_SOURCE = ("dated", "doc_number", "responsible")
"""What an import fills from the data (unless corrected here)."""
ENTITY = "document"
BATCH = 2_000


@dataclass
class Facts:
    """What the national tables say of one household that its documents are dated and signed by."""

    file_id: int
    cbfbm: str
    household: str
    issuer: str
    survey: dt.date | None = None
    publicity: dt.date | None = None
    contract: str = ""
    contract_signed: dt.date | None = None
    register: str = ""
    registered: dt.date | None = None
    certificate: str = ""
    certified: dt.date | None = None
    collected: dt.date | None = None
    authority: str = ""
    campaign: str = PRIMARY_CAMPAIGN  # the file's: whose contract, register entry and certificate date it


def entry_key(cbfbm: str, doc_type: str) -> str:
    """A document's key in the local edits: its household's code and its type (130123…0001/07)."""
    return f"{cbfbm}/{doc_type}"


DATE_OF = {"survey": "survey", "publicity": "publicity", "contract": "contract_signed", "register": "registered",
           "certificate": "certified", "collected": "collected"}
"""A document's ``date`` rule → the fact that dates it."""
NUMBER_OF = {"contract": "contract", "register": "register", "certificate": "certificate"}


def responsible_of(rule: str, facts: Facts, config: Config) -> str:
    """The 责任者 a rule names for this household (a rule that is no rule is a unit's name as written)."""
    if rule == "issuer":
        return facts.issuer
    if rule == "household":
        return facts.household
    if rule == "issuer_household":
        return "、".join(part for part in (facts.issuer, facts.household) if part)
    county = f"{config.settings.county.name}人民政府"
    if rule == "authority":
        return facts.authority or county
    if rule == "township":
        return config.settings.township_full_name
    return county if rule == "county" else rule


def source_entry(doc: DocumentType, facts: Facts, config: Config) -> dict:
    """What the data says of a document of this household: 日期 (None: the data does not date
    it), 文号 and 责任者."""
    return entry_maker(doc, config)(facts)


def entry_maker(doc: DocumentType, config: Config) -> Callable[[Facts], dict]:
    """``source_entry`` for one kind of document, its rules looked up once (a county catalogues
    a million documents at once)."""
    date, number = DATE_OF.get(doc.date or ""), NUMBER_OF.get(doc.number or "")
    rule = doc.responsible or ""
    if rule in ("issuer", "household", "issuer_household", "authority"):
        def responsible(facts: Facts) -> str:
            return responsible_of(rule, facts, config)
    else:
        fixed = responsible_of(rule, Facts(0, "", "", ""), config)  # the same for every household

        def responsible(_facts: Facts) -> str:
            return fixed

    def entry(facts: Facts) -> dict:
        return {"dated": getattr(facts, date) if date else None,
                "doc_number": getattr(facts, number) if number else "", "responsible": responsible(facts)}
    return entry


def _facts(connection: Connection, file_ids: list[int]) -> dict[int, Facts]:
    """The facts of these files, each from its own campaign's rows, in a handful of queries: a 确权
    file from the household's 确权 survey, 公示, contract, register entry and certificates; a file of a
    later campaign (延包) from the household's record of that campaign (确认, 公示) and its contract,
    register entry and certificate of that campaign."""
    found: dict[int, Facts] = {}
    by_household: dict[tuple[int, str], Facts] = {}  # (household, campaign) → the facts of that file
    files = FILE.join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id).join(
        ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
    for row in rows_where_in(connection, [FILE.c.id, FILE.c.household_id, FILE.c.campaign, HOUSEHOLD.c.code,
                                          HOUSEHOLD.c.name, HOUSEHOLD.c.survey_date,
                                          HOUSEHOLD.c.publicity_review_date, ISSUER.c.name.label("issuer")],
                             FILE.c.id, file_ids, select_from=files):
        primary = row.campaign == PRIMARY_CAMPAIGN
        facts = Facts(row.id, row.code, row.name, row.issuer, row.survey_date if primary else None,
                      row.publicity_review_date if primary else None, campaign=row.campaign)
        found[row.id] = by_household[(row.household_id, row.campaign)] = facts
    households = sorted({household_id for household_id, _campaign in by_household})
    later = sorted({campaign for _household, campaign in by_household if campaign != PRIMARY_CAMPAIGN})
    if later:  # a later campaign's 确认 and 公示, as its record of the household has them
        for row in rows_where_in(connection, [CAMPAIGN_RECORD.c.household_id, CAMPAIGN_RECORD.c.campaign,
                                              CAMPAIGN_RECORD.c.confirmed_on, CAMPAIGN_RECORD.c.publicised_on],
                                 CAMPAIGN_RECORD.c.household_id, households,
                                 where=CAMPAIGN_RECORD.c.campaign.in_(later)):
            facts = by_household.get((row.household_id, row.campaign))
            if facts is not None:
                facts.survey, facts.publicity = row.confirmed_on, row.publicised_on
    for row in rows_where_in(connection, [CONTRACT.c.household_id, CONTRACT.c.campaign, CONTRACT.c.code,
                                          CONTRACT.c.signed_date],
                             CONTRACT.c.household_id, households, order_by=CONTRACT.c.code.desc()):
        facts = by_household.get((row.household_id, row.campaign))
        if facts is not None:  # the first in code order wins (…J before …Q)
            facts.contract, facts.contract_signed = row.code, row.signed_date
    for row in rows_where_in(connection, [REGISTER.c.household_id, REGISTER.c.campaign, REGISTER.c.code,
                                          REGISTER.c.registered_on],
                             REGISTER.c.household_id, households, order_by=REGISTER.c.code.desc()):
        facts = by_household.get((row.household_id, row.campaign))
        if facts is not None:
            facts.register, facts.registered = row.code, row.registered_on
    newest = func.coalesce(CERTIFICATE.c.issued_on, dt.date(1900, 1, 1))
    for row in rows_where_in(connection, [CERTIFICATE.c.household_id, CERTIFICATE.c.campaign, CERTIFICATE.c.serial,
                                          CERTIFICATE.c.issued_on, CERTIFICATE.c.collected_on,
                                          CERTIFICATE.c.authority],
                             CERTIFICATE.c.household_id, households, where=CERTIFICATE.c.generation == "new",
                             order_by=newest):
        facts = by_household.get((row.household_id, row.campaign))  # the newest certificate last, so it wins
        if facts is not None:
            facts.certificate, facts.certified, facts.collected = row.serial, row.issued_on, row.collected_on
            facts.authority = row.authority or facts.authority
    return found


def _corrected(connection: Connection) -> set[tuple[str, str]]:
    """(entry key, field) of what the archivist corrected in any file's catalogue (a few rows)."""
    return set(connection.execute(select(LOCAL_EDIT.c.entity_key, LOCAL_EDIT.c.field)
                                  .where(LOCAL_EDIT.c.entity == ENTITY)).all())


def refresh(connection: Connection, config: Config, file_ids: list[int] | None = None,
            conflict: Callable[[str, str, str, object, object], None] | None = None) -> int:
    """Catalogue what the data dates in these files (all of the township's by default) and bring
    the data's 日期/文号/责任者 of every catalogued document (however it came: with its scans, by
    hand) up to date where the archivist did not correct them (``conflict`` is told of each
    correction the data disagrees with: key, document, field, ours, theirs); returns how
    many entries were added or changed. Batched: a county's 100,000 files in bounded memory."""
    if file_ids is None:
        file_ids = list(connection.execute(select(FILE.c.id).order_by(FILE.c.id)).scalars())
    lists: dict[str, list] = {}  # campaign → its documents (position, type, entry maker), each file by its own

    def documents_of(campaign: str) -> list:
        if campaign not in lists:
            lists[campaign] = [(position, doc, entry_maker(doc, config))
                               for position, doc in enumerate(config.settings.documents_of(campaign), start=1)]
        return lists[campaign]
    corrected = _corrected(connection)
    changed = 0
    for start in range(0, len(file_ids), BATCH):
        chunk = file_ids[start:start + BATCH]
        facts = _facts(connection, chunk)
        existing = {(row.archive_file_id, row.doc_type): row for row in rows_where_in(
            connection, [DOCUMENT.c.id, DOCUMENT.c.archive_file_id, DOCUMENT.c.doc_type, *(
                DOCUMENT.c[name] for name in FROM_SOURCE)], DOCUMENT.c.archive_file_id, chunk)}
        inserts, updates = [], {}
        for file_id, fact in facts.items():
            for position, doc, make_entry in documents_of(fact.campaign):
                entry = make_entry(fact)
                key = entry_key(fact.cbfbm, doc.code)
                old = existing.get((file_id, doc.code))
                if old is None and entry["dated"] is None:
                    continue  # the data does not show the document: catalogued with its scans or by hand
                if old is None:
                    inserts.append({"archive_file_id": file_id, "doc_type": doc.code, "position": position,
                                    "title": doc.name, "page_count": 0, "remark": "", **entry})
                    continue
                new = {name: value for name, value in entry.items()  # what the data lacks it does not erase
                       if value not in (None, "") and (key, name) not in corrected and getattr(old, name) != value}
                if conflict:  # the archivist's correction kept where the data says otherwise
                    for name, value in entry.items():
                        if value not in (None, "") and (key, name) in corrected and getattr(old, name) != value:
                            conflict(key, doc.name, FIELDS[name], getattr(old, name), value)
                if new:
                    updates.setdefault(tuple(sorted(new)), []).append({"_id": old.id, **new})
        insert_rows(connection, DOCUMENT, inserts)
        for columns, rows in updates.items():
            update_rows(connection, DOCUMENT, rows, list(columns))
        changed += len(inserts) + sum(len(rows) for rows in updates.values())
    return changed


def undated_files(connection: Connection) -> list[int]:
    """The files none of whose documents has a date: not catalogued from the data yet."""
    dated = select(DOCUMENT.c.archive_file_id).where(DOCUMENT.c.dated.is_not(None))
    return list(connection.execute(select(FILE.c.id).where(FILE.c.id.not_in(dated)).order_by(FILE.c.id)).scalars())


def corrected_files(connection: Connection) -> list[int]:
    """The files with a catalogue entry the archivist corrected."""
    households = {key.split("/")[0] for key, _field in _corrected(connection)}
    return [row.id for row in rows_where_in(connection, [FILE.c.id], HOUSEHOLD.c.code, sorted(households),
                                            select_from=FILE.join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id))]


# ---- corrections by the archivist ----------------------------------------------------------------

MOST_PAGES = 9_999  # a document's page count (页数) no paper file exceeds
MOST_PAGE_NUMBER = 99_999  # a page number (页号) in one file
_INVISIBLE = ("Cc", "Cf", "Cs", "Zl", "Zp")  # control, format (RTL marks, zero-width), line breaks


def _file_of(connection: Connection, key: str, campaign: str = PRIMARY_CAMPAIGN, document: str = ""):
    """The file a document of ``campaign`` goes into: the file whose 档号 ``key`` is (which must be
    of that campaign), or the household's file of that campaign when ``key`` is its 承包方编码."""
    household = find_household(connection, key)
    files = files_of(connection, household.id)
    file = named_file(files, key) if key.strip() != household.code else None
    if file is not None and file.campaign != campaign:
        raise ArchiveError(f"“{document or '这一文件'}”是{campaign}的卷内文件，户卷 {file.archive_code} 是"
                           f"{file.campaign}的案卷：请给出承包方编码 {household.code} 或其{campaign}案卷的档号",
                           field="doc_type")
    if file is None:
        file = next((one for one in files if one.campaign == campaign), None)
    if file is None:
        raise ArchiveError(f"承包方 {household.code}（{household.name}）还没有{campaign}的案卷", field="doc_type")
    return _FileOf(file.id, file.archive_code, household.code, household.survey_date, file.campaign)


@dataclass(frozen=True)
class _FileOf:
    id: int
    archive_code: str
    code: str  # the household's 承包方编码
    survey_date: dt.date | None
    campaign: str


def _same_code(wanted: str, code: str) -> bool:
    """A document code as typed: 07, 7, Y04, y4 …"""
    if wanted.upper() == code.upper():
        return True
    split = re.fullmatch(r"([^\d]*)(\d+)", wanted), re.fullmatch(r"([^\d]*)(\d+)", code)
    if split[0] is None or split[1] is None:
        return False
    return split[0].group(1).upper() == split[1].group(1).upper() and int(split[0].group(2)) == int(split[1].group(2))


def document_type(config: Config, doc_type: str) -> tuple[int, DocumentType, str]:
    """(position, type, campaign) of a document type given by its code (07, Y04) or its name
    (承包合同), looked for in every campaign's document list (确权's first)."""
    wanted = unicodedata.normalize("NFKC", doc_type).strip()
    settings = config.settings
    campaigns = [PRIMARY_CAMPAIGN, *(campaign.name for campaign in settings.campaigns)]
    for campaign in campaigns:
        for position, doc in enumerate(settings.documents_of(campaign), start=1):
            if wanted == unicodedata.normalize("NFKC", doc.name) or _same_code(wanted, doc.code):
                return position, doc, campaign
    codes = "；".join(f"{campaign}：" + "、".join(f"{doc.code} {doc.name}" for doc in settings.documents_of(campaign))
                     for campaign in campaigns)
    raise ArchiveError(f"文件类型“{doc_type.strip()}”不在 config.toml 的卷内文件清单中（可用：{codes}）",
                       field="doc_type")


def _invisible(text: str) -> bool:
    return any(unicodedata.category(char) in _INVISIBLE for char in text)


def clean_entry(values: dict[str, str], surveyed: dt.date | None, today: dt.date | None = None) -> dict:
    """Typed values of a correction; otherwise an ArchiveError naming every bad field."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ArchiveError(f"卷内文件不能修改的项：{'、'.join(sorted(unknown))}")
    today = today or dt.date.today()
    cleaned: dict[str, object] = {}
    problems: dict[str, str] = {}
    for name, raw in values.items():
        text = (raw or "").strip()
        label = FIELDS[name]
        if _invisible(text):
            problems[name] = (f"{label}含有看不见的字符（换行、制表符、控制或格式符号，多是从别处粘贴带来的），"
                              "请重新输入")
        elif name == "dated":
            cleaned[name] = _date(text, surveyed, today, problems)
        elif name == "page_count":
            number = unicodedata.normalize("NFKC", text)
            if not number.lstrip("-").isdigit():
                problems[name] = f"页数“{text}”应为整数（0 表示按扫描页数）"
            elif int(number) < 0:
                problems[name] = f"页数不能为负数（{text}）"
            elif int(number) > MOST_PAGES:
                problems[name] = f"页数 {int(number):,} 不合常理（一个文件最多 {MOST_PAGES:,} 页）"
            else:
                cleaned[name] = int(number)
        elif name == "title" and not text:
            problems[name] = "题名不能为空"
        elif len(text) > 200:
            problems[name] = f"{label}太长（{len(text)} 字，最多 200 字）"
        else:
            cleaned[name] = text
    if problems:
        ordered = {name: problems[name] for name in FIELDS if name in problems}
        raise ArchiveError("；".join(ordered.values()), fields=ordered)
    return cleaned


def _date(text: str, surveyed: dt.date | None, today: dt.date, problems: dict[str, str]) -> dt.date | None:
    """A date as archivists write one (2017-07-15, 2017/7/15, 2017年7月15日, full-width digits)."""
    if not text:
        return None
    try:
        day = as_date(unicodedata.normalize("NFKC", text))
    except ValueProblem:
        problems["dated"] = f"日期“{text}”无法识别或不存在，应如 2017-07-15"
        return None
    if day > today:
        problems["dated"] = f"日期 {day.isoformat()} 在今天之后"
    elif surveyed and day < surveyed:
        problems["dated"] = f"日期 {day.isoformat()} 早于本户的承包方调查日期 {surveyed.isoformat()}"
    return day


@use_case(Permission.WRITE, "著录卷内文件")
def edit_document(ctx: ArchiveContext, key: str, doc_type: str, values: dict[str, str],
                  scans: str | None = None) -> dict:
    """Correct one catalogue entry of a household's file and/or file scanned pages (by their 页号)
    into it; returns what changed (field → new value; "scans" → the pages moved). Everything is
    checked before anything is written: one transaction, audited; kept at the next import.
    A document not yet in the file is catalogued only with a date, a page count or its pages:
    a remark alone does not show the paper is there."""
    engine, config = ctx.engine, ctx.config
    position, doc, campaign = document_type(config, doc_type)
    with engine.begin() as connection:
        file = _file_of(connection, key, campaign, f"{doc.code} {doc.name}")
        cleaned = clean_entry(values, file.survey_date)
        pages = _pages_to_file(connection, file, parse_pages(scans)) if scans and scans.strip() else []
        row = connection.execute(select(DOCUMENT).where(DOCUMENT.c.archive_file_id == file.id,
                                                        DOCUMENT.c.doc_type == doc.code)).first()
        before = {name: (getattr(row, name) if row is not None else None) for name in cleaned}
        changed = {name: value for name, value in cleaned.items() if before[name] != value}
        if row is None and not (cleaned.get("dated") or cleaned.get("page_count") or pages):
            raise ArchiveError(f"户卷 {file.archive_code} 中还没有“{doc.name}”：登记它须给出日期、页数或归入的扫描页"
                               "（只有备注、文号等不能说明文件已在卷中）", field="dated")
        if row is None:
            document_id = connection.execute(DOCUMENT.insert().values(
                archive_file_id=file.id, doc_type=doc.code, position=position, title=doc.name,
                **changed)).inserted_primary_key[0]
            refresh(connection, config, [file.id])  # what the data says of the rest (责任者 …)
        else:
            document_id = row.id
            if changed:
                ranges = {"page_start": None, "page_end": None} if "page_count" in changed else {}
                connection.execute(DOCUMENT.update().where(DOCUMENT.c.id == row.id).values(**changed, **ranges))
        moved = [page for page in pages if page.document_id != document_id]
        if moved:
            connection.execute(SCAN.update().where(SCAN.c.id.in_([page.id for page in moved])).values(
                document_id=document_id))
        if not changed and not moved:
            return {}
        remember_local_edits(connection, ctx, ENTITY, entry_key(file.code, doc.code),
                             {name: _stored(value) for name, value in changed.items()})
        shown = {"document": doc.name, "doc_type": doc.code}
        audit.record(connection, operator=ctx.operator, action="document.edit", entity=ENTITY,
                     key=file.archive_code, before={name: _stored(before[name]) for name in changed},
                     after={**shown, **{name: _stored(value) for name, value in changed.items()},
                            **({"seq": [page.seq for page in moved]} if moved else {})})
    return {**changed, **({"scans": [page.seq for page in moved]} if moved else {})}


def _stored(value: object) -> str | int:
    """A value as the local edits and the audit keep it ("" for a cleared date)."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else value


def parse_pages(text: str) -> list[int]:
    """3、5-7、9 (or 3,5–7,9, full-width digits): page numbers; an ArchiveError saying what is wrong."""
    numbers: set[int] = set()
    written = unicodedata.normalize("NFKC", text).strip()
    for part in re.split(r"[,，、;；\s]+", written):
        if not part:
            continue
        first, dash, last = part.replace("–", "-").replace("—", "-").replace("~", "-").partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ArchiveError(f"页号“{part}”应写成 3 或 1-3（几段用逗号分开，如 1-3,5）", field="scans")
        start, end = int(first), int(last or first)
        if start < 1:
            raise ArchiveError(f"页号“{part}”不对：页号从 1 开始", field="scans")
        if end < start:
            raise ArchiveError(f"页号范围“{part}”不对：起页 {start} 大于止页 {end}", field="scans")
        if end > MOST_PAGE_NUMBER:
            raise ArchiveError(f"页号“{part}”太大：一卷的页号最大为 {MOST_PAGE_NUMBER:,}", field="scans")
        numbers.update(range(start, end + 1))
    if not numbers:
        raise ArchiveError("请写出要归入的页号，如 1-3 或 1-3,5", field="scans")
    return sorted(numbers)


def _pages_to_file(connection: Connection, file, numbers: list[int]) -> list:
    """The file's scanned pages with these 页号; refused naming the numbers it does not have."""
    rows = connection.execute(select(SCAN.c.id, SCAN.c.seq, SCAN.c.document_id).where(
        SCAN.c.archive_file_id == file.id, SCAN.c.status == PageStatus.LINKED, SCAN.c.seq.in_(numbers))).all()
    absent = sorted(set(numbers) - {row.seq for row in rows})
    if absent:
        raise ArchiveError(f"户卷 {file.archive_code} 没有第 {page_numbers(absent)} 页扫描件", field="scans")
    return rows


@use_case(Permission.WRITE, "归入扫描页")
def sort_pages(ctx: ArchiveContext, key: str, doc_type: str, pages: str) -> int:
    """File scanned pages of a household's file (by their 页号) into one of its documents (归入);
    returns how many moved."""
    return len(edit_document(ctx, key, doc_type, {}, scans=pages).get("scans", []))


def page_ranges(documents: list) -> dict[int, tuple[int, int]]:
    """Each document's page range (页号) in its file as the 卷内目录 knows it: the range recorded,
    else counted on from the documents before it by their page counts — as far as every count
    before it is known (documents in their order)."""
    ranges: dict[int, tuple[int, int]] = {}
    page = 1
    for doc in documents:
        if doc.page_start and doc.page_end and doc.page_end >= doc.page_start:
            ranges[doc.id] = (doc.page_start, doc.page_end)
            page = doc.page_end + 1
        elif doc.page_count and page:
            ranges[doc.id] = (page, page + doc.page_count - 1)
            page += doc.page_count
        else:
            page = 0  # a count not known: the ranges after it are not known either
    return ranges


def documents_by_range(connection: Connection, file_id: int, page: int) -> int | None:
    """The document whose page range (页号) in the 卷内目录 holds ``page`` of this file, if any."""
    documents = connection.execute(select(DOCUMENT.c.id, DOCUMENT.c.page_start, DOCUMENT.c.page_end,
                                          DOCUMENT.c.page_count).where(DOCUMENT.c.archive_file_id == file_id)
                                   .order_by(DOCUMENT.c.position, DOCUMENT.c.id)).all()
    return next((doc_id for doc_id, (first, last) in page_ranges(documents).items() if first <= page <= last),
                None)
