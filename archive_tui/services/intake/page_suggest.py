"""Pages that file themselves (自动挂接建议): read each page waiting to be linked, and propose
its household file and its document type from what the page says.

Evidence and its weight (a confidence is 1 − Π(1 − weight) over one household's evidence):
- an ID number with a valid check digit that belongs to one person of the township: 0.95;
- the household's 承包方编码 or its file's 档号: 0.95;
- the head's name: 0.6 when no other household's head has it, shared otherwise (0.6 / n);
- a member's name: 0.3, shared the same way.
A page naming two households equally is not suggested. Only a confidence at or above the
threshold (``--min-confidence``, default 0.9: nothing but a number or a code reaches it) is
ever linked without the archivist, and each such link is audited as a suggestion accepted.

A household may have a file per campaign (工作阶段: 确权, 延包 …). A page whose text carries a later
campaign's words (延包, 再延长三十年, 第二轮土地承包到期后再延长, the campaign's name or the title of one
of its documents) or the 档号 of that campaign's file is suggested for the household's file of that
campaign, its document type from that campaign's list; any other page as before: the 确权 file.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, or_, select

from archive_tui.core.states import PageStatus
from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.scanning import evidence
from models.tables import now
from archive_tui.db.tables import FILE, HOUSEHOLD, MEMBER, SCAN
from archive_tui.services.households.catalogue import sort_pages
from archive_tui.services.intake.scans import assign_scan, campaign_documents
from models.validators import masked_id

STRONG, HEAD, MEMBER_NAME = 0.95, 0.6, 0.3
AUTO_LINK = 0.9
TITLE_SHARE = 0.3  # the top of the page where a form's title stands
KIND_LABELS = {"id_number": "身份证号", "cbfbm": "承包方编码", "archive_code": "档号", "head": "户主姓名",
               "member": "成员姓名", "title": "标题", "campaign": "工作阶段"}
EXTENSION_WORDS = ("延包", "再延长三十年", "再延长30年", "第二轮土地承包到期后再延长", "二轮承包到期后再延长")
"""Words that mark a page of the second-round extension (延包) whatever its campaign is called."""


@dataclass
class Suggestion:
    file_id: int | None
    doc_type: str
    confidence: float
    evidence: list[dict] = field(default_factory=list)
    note: str = ""  # why a household found is not suggested (it has no file of the page's campaign)


class Township:
    """What the township's data lets a page be matched against, loaded once per run."""

    def __init__(self, engine: Engine, config: Config):
        self.config = config
        self.files: dict[int, int] = {}  # household id → its 确权 file id (or its only file's)
        self.campaign_files: dict[int, dict[str, int]] = defaultdict(dict)  # household id → campaign → file id
        self.by_code: dict[str, int] = {}
        self.codes: dict[int, str] = {}  # household id → 承包方编码
        self.by_archive_code: dict[str, tuple[int, str]] = {}  # 档号 → (household id, campaign of the file)
        self.by_id_number: dict[str, set[int]] = defaultdict(set)
        self.heads: dict[str, set[int]] = defaultdict(set)
        self.members: dict[str, set[int]] = defaultdict(set)
        with engine.connect() as connection:
            for row in connection.execute(select(FILE.c.id, FILE.c.household_id, FILE.c.archive_code, FILE.c.campaign,
                                                 HOUSEHOLD.c.code, HOUSEHOLD.c.name, HOUSEHOLD.c.id_number)
                                          .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)):
                self.campaign_files[row.household_id][row.campaign] = row.id
                if row.campaign == PRIMARY_CAMPAIGN or row.household_id not in self.files:
                    self.files[row.household_id] = row.id
                self.by_code[row.code] = row.household_id
                self.codes[row.household_id] = row.code
                self.by_archive_code[evidence.normalised(row.archive_code).lower()] = (row.household_id, row.campaign)
                if row.name:
                    self.heads[row.name].add(row.household_id)
                if row.id_number:
                    self.by_id_number[row.id_number.upper()].add(row.household_id)
            for row in connection.execute(select(MEMBER.c.household_id, MEMBER.c.name, MEMBER.c.id_number)):
                if row.name:
                    self.members[row.name].add(row.household_id)
                if row.id_number:
                    self.by_id_number[row.id_number.upper()].add(row.household_id)
        self.names = set(self.heads) | set(self.members)
        lists = campaign_documents(config)
        self.titles = {campaign: [(doc.code, doc.name) for doc in docs] for campaign, docs in lists}
        self.doc_names = {doc.code: doc.name for _campaign, docs in lists for doc in docs}
        self.words = {campaign: campaign_words(config, campaign) for campaign, _docs in lists[1:]}

    def campaign_in(self, text: str) -> tuple[str, str] | None:
        """The later campaign whose words the page carries, with the word read (the longest wins)."""
        clean = _plain(text)
        found = [(len(word), campaign, word) for campaign, words in self.words.items() for word in words
                 if word in clean]
        if not found:
            return None
        _length, campaign, word = max(found)
        return campaign, word

    def suggest(self, lines: list, campaign: str | None = None) -> Suggestion:
        """The household and document a page's lines point to, with the evidence; ``campaign``: the
        campaign of the file the page is in already (only its document is asked for)."""
        text = "\n".join(line.text for line in lines)
        found: dict[int, list[dict]] = defaultdict(list)
        coded: dict[int, set[str]] = defaultdict(set)  # campaigns of the files whose 档号 the page shows

        def add(households: set[int], kind: str, value: str, weight: float) -> None:
            for household in households:
                found[household].append({"kind": kind, "text": value, "weight": round(weight, 3),
                                         "box": _box_of(lines, value)})

        settings = self.config.settings
        for number in evidence.id_numbers(text):
            holders = self.by_id_number.get(number, set())
            if len(holders) == 1:
                add(holders, "id_number", number, STRONG)
        for code in evidence.household_codes(text, settings.township.code):
            if code in self.by_code:
                add({self.by_code[code]}, "cbfbm", code, STRONG)
        for code in evidence.archive_codes(text, settings.archive.fonds_code):
            household, of = self.by_archive_code.get(code.lower(), (None, ""))
            if household is not None:
                add({household}, "archive_code", code, STRONG)
                coded[household].add(of)
        for name in evidence.names_in(text, self.names):
            heads, members = self.heads.get(name, set()), self.members.get(name, set()) - self.heads.get(name, set())
            if heads:
                add(heads, "head", name, HEAD / len(heads))
            if members:
                add(members, "member", name, MEMBER_NAME / len(members))
        worded = self.campaign_in(text) if campaign is None else None
        scored = sorted(((_confidence(items), household) for household, items in found.items()), reverse=True)
        household = None
        if scored and scored[0][0] - (scored[1][0] if len(scored) > 1 else 0.0) >= 0.05:  # two alike: nobody
            household = scored[0][1]
        if campaign is None:
            shown = coded.get(household, set()) if household is not None else set()
            held = sorted(self.campaign_files.get(household, {})) if household is not None else []
            campaign = (next(iter(shown)) if len(shown) == 1 else worded[0] if worded
                        else PRIMARY_CAMPAIGN if PRIMARY_CAMPAIGN in held or not held else held[0])  # its only file
        marks = ([{"kind": "campaign", "text": f"{campaign}（{worded[1]}）", "weight": 0.0,
                   "box": _box_of(lines, _plain(worded[1]))}] if worded and worded[0] == campaign else [])
        title = evidence.title_match([line.text for line in lines if line.box[1] < TITLE_SHARE],
                                     self.titles.get(campaign, []))
        doc_type = title[0] if title else ""
        titled = _title_evidence(lines, title, self.doc_names) + marks
        if household is None:
            return Suggestion(None, doc_type, 0.0, titled)
        file_id = self.campaign_files.get(household, {}).get(campaign)
        if file_id is None:
            return Suggestion(None, doc_type, 0.0, found[household] + titled,
                              note=f"页上有{campaign}的字样，承包方 {self.codes.get(household, '')} 还没有{campaign}卷")
        return Suggestion(file_id, doc_type, scored[0][0], found[household] + titled)


def campaign_words(config: Config, campaign: str) -> list[str]:
    """What on a page says it is of a later campaign: its name and full name, the 延包 phrases
    (for a campaign of extension), and the whole title of each of its documents that neither holds
    nor is part of a 确权 document's name (Y02 身份证明材料、户口簿复印件 is no sign)."""
    settings = config.settings.campaign(campaign)
    primary = [_plain(doc.name) for doc in config.settings.documents]
    words = [settings.name, settings.full_name]
    if "延" in settings.name + settings.full_name:
        words += EXTENSION_WORDS
    for doc in settings.documents:
        plain = _plain(doc.name)
        if len(plain) >= 4 and not any(plain in name or name in plain for name in primary):
            words.append(doc.name)
    return sorted({_plain(word) for word in words if _plain(word)}, key=len, reverse=True)


def _plain(text: str) -> str:
    """Text as the words are looked for in it: half-width (NFKC), no spaces."""
    return re.sub(r"\s", "", evidence.normalised(text))


def _confidence(items: list[dict]) -> float:
    doubt = 1.0
    for weight in {(item["kind"], item["text"]): item["weight"] for item in items}.values():
        doubt *= 1 - weight
    return round(1 - doubt, 3)


def _title_evidence(lines: list, title: tuple[str, float] | None, names: dict[str, str]) -> list[dict]:
    if not title:
        return []
    return [{"kind": "title", "text": names.get(title[0], title[0]), "weight": title[1], "box": None}]


def _box_of(lines: list, value: str) -> list[float] | None:
    """The box of the first line that shows ``value`` (compared without spaces), to highlight it."""
    for line in lines:
        if value in evidence.normalised(line.text).replace(" ", ""):
            return list(line.box)
    return None


@dataclass
class SuggestReport:
    read: int = 0
    unreadable: int = 0
    suggested: int = 0
    linked: int = 0
    sorted: int = 0  # 未分类 pages of a file filed into a document by their title (--apply)
    rows: list[dict] = field(default_factory=list)


UNSORTED = and_(SCAN.c.status == PageStatus.LINKED, SCAN.c.document_id.is_(None), SCAN.c.archive_file_id.is_not(None),
                SCAN.c.record_item_id.is_(None))
"""Pages filed to a household's file but to none of its documents yet (未分类)."""


def _waiting(engine: Engine, again: bool) -> list:
    query = (select(SCAN.c.id, SCAN.c.store_path, SCAN.c.status, FILE.c.campaign)
             .outerjoin(FILE, FILE.c.id == SCAN.c.archive_file_id)
             .where(or_(SCAN.c.status == PageStatus.UNASSIGNED, UNSORTED)).order_by(SCAN.c.id))
    if not again:
        query = query.where(SCAN.c.ocr_at.is_(None))
    with engine.connect() as connection:
        return connection.execute(query).all()


@use_case(Permission.WRITE, "识别待挂接的页")
def suggest_pages(ctx: ArchiveContext, *, apply: bool = False, min_confidence: float = AUTO_LINK,
                  again: bool = False, progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> SuggestReport:
    """Read the pages waiting to be linked (those not read yet, or all with ``again``), store the
    text and the suggestion, and with ``apply`` link those at ``min_confidence`` or above."""
    engine, config = ctx.engine, ctx.config
    from archive_tui.scanning.ocr import page_picture, read_upright

    if not 0 < min_confidence <= 1:
        raise ArchiveError(f"置信度下限 {min_confidence} 无效：应在 0 到 1 之间（如 0.9）", field="min_confidence")
    report = SuggestReport()
    pages = _waiting(engine, again)
    township = Township(engine, config) if pages else None
    if progress and pages:
        progress(0, len(pages))  # said at once: the first page waits for the reading model to load
    for done, page in enumerate(pages, start=1):
        if cancelled and cancelled():
            break
        values: dict = {"ocr_at": now(), "ocr_note": ""}
        try:
            lines, turn = read_upright(page_picture(config.root / page.store_path))
        except (OSError, ValueError, SyntaxError) as error:
            values.update(ocr_note=f"无法识别：{error}", ocr_text="", suggested_file_id=None, suggested_doc_type="",
                          suggestion_confidence=None, suggestion_evidence="", orientation=None)
            report.unreadable += 1
        else:
            linked = page.status == PageStatus.LINKED
            suggestion = township.suggest(lines, page.campaign if linked else None)
            if linked:  # its file is known: only its document is asked for (from its campaign's list)
                suggestion = Suggestion(None, suggestion.doc_type, 0.0,
                                        [item for item in suggestion.evidence if item["kind"] == "title"])
            values.update(ocr_text="\n".join(line.text for line in lines), orientation=turn, ocr_note=suggestion.note,
                          suggested_file_id=suggestion.file_id,
                          suggested_doc_type=suggestion.doc_type, suggestion_confidence=suggestion.confidence,
                          suggestion_evidence=json.dumps(suggestion.evidence, ensure_ascii=False))
            report.read += 1
            report.suggested += suggestion.file_id is not None
        with engine.begin() as connection:
            connection.execute(SCAN.update().where(SCAN.c.id == page.id).values(**values))
        if progress:
            progress(done, len(pages))
    if apply:
        report.linked = apply_suggestions(ctx, min_confidence)
        report.sorted = sort_by_titles(ctx)
    report.rows = list_suggestions(engine)
    return report


@use_case(Permission.WRITE, "按题名归入未分类的页")
def sort_by_titles(ctx: ArchiveContext) -> int:
    """File each file's 未分类 pages into documents by what OCR read: a page whose title names a
    document starts it, and the untitled pages right after it (by page number) are its later
    pages. Pages before any title stay 未分类. Returns how many pages were filed."""
    engine = ctx.engine
    with engine.connect() as connection:
        pages = connection.execute(select(SCAN.c.seq, SCAN.c.suggested_doc_type, FILE.c.archive_code)
                                   .join(FILE, FILE.c.id == SCAN.c.archive_file_id)
                                   .where(UNSORTED, SCAN.c.seq.is_not(None))
                                   .order_by(FILE.c.archive_code, SCAN.c.seq)).all()
    runs: list[tuple[str, str, list[int]]] = []  # (档号, document, its pages)
    for page in pages:
        run = runs[-1] if runs else None
        follows = run is not None and run[0] == page.archive_code and run[2][-1] + 1 == page.seq
        if page.suggested_doc_type:
            runs.append((page.archive_code, page.suggested_doc_type, [page.seq]))
        elif follows:
            run[2].append(page.seq)
    return sum(sort_pages(ctx, code, doc_type, ",".join(map(str, seqs))) for code, doc_type, seqs in runs)


def shown_evidence(items: list[dict]) -> list[dict]:
    """Evidence as it may be shown: an ID number masked like everywhere else (隐私)."""
    return [{**item, "text": masked_id(item["text"])} if item["kind"] == "id_number" else item for item in items]


def evidence_words(items: list[dict]) -> str:
    """身份证号 1301**********4324、户主姓名 李文丽 …"""
    return "、".join(f"{KIND_LABELS.get(item['kind'], item['kind'])} {item['text']}" for item in shown_evidence(items))


def list_suggestions(engine: Engine, *, limit: int | None = None) -> list[dict]:
    """Pages waiting to be linked with what was read and suggested (CLI keys; ID numbers masked)."""
    query = (select(SCAN.c.id, SCAN.c.store_path, SCAN.c.ocr_at, SCAN.c.ocr_note, SCAN.c.orientation,
                    SCAN.c.suggested_doc_type,
                    SCAN.c.suggestion_confidence, SCAN.c.suggestion_evidence, FILE.c.archive_code, FILE.c.campaign,
                    HOUSEHOLD.c.code.label("cbfbm"), HOUSEHOLD.c.name)
             .outerjoin(FILE, FILE.c.id == SCAN.c.suggested_file_id)
             .outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
             .where(SCAN.c.status == PageStatus.UNASSIGNED).order_by(SCAN.c.id))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [{"path": row.store_path, "cbfbm": row.cbfbm, "archive_code": row.archive_code, "name": row.name,
                 "doc_type": row.suggested_doc_type or None, "confidence": row.suggestion_confidence,
                 "evidence": shown_evidence(json.loads(row.suggestion_evidence or "[]")),
                 "read": row.ocr_at is not None, "note": row.ocr_note, "orientation": row.orientation,
                 "campaign": row.campaign}
                for row in connection.execute(query)]


@use_case(Permission.WRITE, "接受挂接建议")
def accept_suggestion(ctx: ArchiveContext, store_path: str, *, automatic: bool = False) -> str:
    """Link a waiting page where its suggestion points (the archivist's key, or ``--apply``)."""
    engine = ctx.engine
    with engine.connect() as connection:
        row = connection.execute(select(SCAN.c.sha256, SCAN.c.suggested_doc_type, SCAN.c.suggestion_confidence,
                                        SCAN.c.suggestion_evidence, FILE.c.archive_code)
                                 .join(FILE, FILE.c.id == SCAN.c.suggested_file_id)
                                 .where(SCAN.c.store_path == store_path,
                                        SCAN.c.status == PageStatus.UNASSIGNED)).first()
    if row is None:
        raise ArchiveError(f"“{store_path}”没有可接受的挂接建议（未识别，或识别不出是哪一户）")
    basis = evidence_words(json.loads(row.suggestion_evidence or "[]"))
    stored = assign_scan(ctx, store_path, row.archive_code, row.suggested_doc_type or None,  # that very file
                         action="suggest.accept", why={"confidence": row.suggestion_confidence,
                                                       "automatic": automatic, "evidence": basis})
    return stored


@use_case(Permission.WRITE, "采纳挂接建议")
def apply_suggestions(ctx: ArchiveContext, min_confidence: float = AUTO_LINK) -> int:
    """Link every waiting page whose suggestion reaches ``min_confidence``; how many."""
    engine = ctx.engine
    with engine.connect() as connection:
        paths = connection.execute(select(SCAN.c.store_path).where(
            SCAN.c.status == PageStatus.UNASSIGNED, SCAN.c.suggested_file_id.is_not(None),
            SCAN.c.suggestion_confidence >= min_confidence).order_by(SCAN.c.id)).scalars().all()
    for path in paths:
        accept_suggestion(ctx, path, automatic=True)
    return len(paths)
