"""The manual sample (人工抽检, DA/T 31-2017: at least 5 % of the pages looked at by a person).

``draw_sample`` tops the sample up to the configured share of the linked pages in scope,
drawing at random from pages not yet sampled; the draw is reproducible (its seed is recorded
and derives from the scope and what was drawn before). Each drawn page gets a verdict later
(``review_page``): ok, or a problem in words, which becomes a finding of the ``page_review``
rule until the page is reviewed ok again or replaced by a rescan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from archive_tui.core.states import PageStatus
from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import Config
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.services.quality.checks import run_checks
from archive_tui.services.households.filters import village_filter
from archive_tui.services.intake.page_quality import find_page
from models.tables import now
from archive_tui.db.tables import DOCUMENT, FILE, HOUSEHOLD, ISSUER, REVIEW, SCAN
from archive_tui.services.intake.page_figures import (  # noqa: F401 - the 总览's figures, named here too
    PASS_RATE, linking_share, quality_summary, sample_figures,
)
from archive_tui.services.intake.scans import scan_preview

VERDICT_LABELS = {"": "未检", "ok": "合格", "problem": "不合格"}


@dataclass
class Sample:
    number: str  # 抽检批号, e.g. 抽检2026-001
    seed: int
    drawn: int  # pages drawn now
    population: int  # linked pages in scope
    sampled: int  # pages in scope sampled, this draw included
    share: float  # the share asked for (%)


def _in_scope(village: str | None):
    query = (select(SCAN.c.id).select_from(
        SCAN.join(FILE, FILE.c.id == SCAN.c.archive_file_id).join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
        .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)).where(SCAN.c.status == PageStatus.LINKED))
    return query.where(village_filter(village)) if village else query


def parse_share(text: str | float | None, default: float) -> float:
    """"5%", "5" or 0.05 … as a percentage; refused outside 0 … 100."""
    if text is None or text == "":
        return default
    value = str(text).strip().rstrip("%％").strip()
    try:
        share = float(value)
    except ValueError:
        raise ArchiveError(f"抽检比例“{text}”无效：应为百分数，如 5%", field="share") from None
    if not 0 < share <= 100:
        raise ArchiveError(f"抽检比例“{text}”无效：应大于 0% 且不超过 100%", field="share")
    return share


@use_case(Permission.WRITE, "抽检")
def draw_sample(ctx: ArchiveContext, *, share: float | None = None, village: str | None = None,
                seed: int | None = None) -> Sample:
    """Draw pages not yet sampled until ``share`` % of the linked pages in scope are sampled."""
    engine, config = ctx.engine, ctx.config
    share = share if share is not None else config.settings.quality.sample_share
    with engine.begin() as connection:
        if village and connection.execute(select(ISSUER.c.id).where(village_filter(village)).limit(1)).first() is None:
            raise ArchiveError(f"找不到村“{village}”")
        pages = sorted(connection.execute(_in_scope(village)).scalars())
        done = set(connection.execute(select(REVIEW.c.scan_page_id)).scalars())
        sampled = sum(1 for page in pages if page in done)
        wanted = max(0, math.ceil(len(pages) * share / 100) - sampled)
        candidates = [page for page in pages if page not in done]
        year = dt.date.today().year
        count = connection.execute(select(func.count(func.distinct(REVIEW.c.sample_no))).where(
            REVIEW.c.sample_no.startswith(f"抽检{year}-"))).scalar_one()
        number = f"抽检{year}-{count + 1:03d}"
        if seed is None:  # the same database, scope and history draw the same pages
            basis = f"{village or ''}|{len(pages)}|{len(done)}|{number}".encode()
            seed = int.from_bytes(hashlib.sha256(basis).digest()[:4], "big")
        chosen = sorted(random.Random(seed).sample(candidates, min(wanted, len(candidates))))
        if chosen:
            stamp = now()
            connection.execute(REVIEW.insert(), [
                {"scan_page_id": page, "sample_no": number, "seed": seed, "drawn_at": stamp,
                 "drawn_by": ctx.operator, "verdict": "", "problem": "", "reviewer": ""} for page in chosen])
            audit.record(connection, operator=ctx.operator, action="sample", entity="scans", key=number,
                         after={"village": village or "", "share": share, "seed": seed, "pages": len(chosen)})
    return Sample(number if chosen else "", seed, len(chosen), len(pages), sampled + len(chosen), share)


def sample_rows(engine: Engine, number: str | None = None, *, pending_only: bool = False,
                limit: int | None = None) -> list[dict]:
    """Sampled pages with what a reviewer needs: 档号, household, document, page, verdict."""
    query = (select(REVIEW, SCAN.c.store_path, SCAN.c.seq, SCAN.c.status.label("page_status"), FILE.c.archive_code,
                    HOUSEHOLD.c.name.label("household"), ISSUER.c.village_name, DOCUMENT.c.title.label("document"))
             .join(SCAN, SCAN.c.id == REVIEW.c.scan_page_id)
             .outerjoin(FILE, FILE.c.id == SCAN.c.archive_file_id)
             .outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
             .outerjoin(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
             .outerjoin(DOCUMENT, DOCUMENT.c.id == SCAN.c.document_id)
             .order_by(FILE.c.archive_code, SCAN.c.seq, REVIEW.c.id))
    if number:
        query = query.where(REVIEW.c.sample_no == number)
    if pending_only:
        query = query.where(REVIEW.c.verdict == "")
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [{"sample": row.sample_no, "path": row.store_path, "archive_code": row.archive_code or "",
                 "village": row.village_name or "", "household": row.household or "", "document": row.document or "",
                 "seq": row.seq, "verdict": row.verdict, "problem": row.problem, "reviewer": row.reviewer,
                 "page_status": row.page_status}
                for row in connection.execute(query)]


@use_case(Permission.WRITE, "抽检评定")
def review_page(ctx: ArchiveContext, key: str, *, ok: bool, problem: str = "") -> dict:
    """Record the reviewer's verdict on a page (a page outside any sample may be reviewed too)."""
    engine = ctx.engine
    problem = problem.strip()
    if not ok and not problem:
        raise ArchiveError("不合格须写明问题（--problem 后写文字）", field="problem")
    if ok and problem:
        raise ArchiveError("--ok 与 --problem 只能选一个", field="problem")
    verdict = "ok" if ok else "problem"
    with engine.begin() as connection:
        page = find_page(connection, key)
        existing = connection.execute(select(REVIEW).where(REVIEW.c.scan_page_id == page.id)).first()
        values = {"verdict": verdict, "problem": problem, "reviewer": ctx.operator, "reviewed_at": now()}
        if existing is None:
            connection.execute(REVIEW.insert().values(scan_page_id=page.id, sample_no="", seed=0, drawn_at=now(),
                                                      drawn_by=ctx.operator, **values))
        else:
            connection.execute(REVIEW.update().where(REVIEW.c.id == existing.id).values(**values))
        audit.record(connection, operator=ctx.operator, action="review", entity="scan", key=page.sha256,
                     before={"verdict": existing.verdict if existing else ""},
                     after={"store_path": page.store_path, "verdict": verdict, "problem": problem})
    if page.household_id is not None:
        run_checks(ctx, rules=["page_review"], households=[page.household_id])
    return {"path": page.store_path, "archive_code": page.archive_code, "verdict": verdict, "problem": problem}


def print_sample(engine: Engine, config: Config, number: str, out=None):
    """The checklist of sample ``number`` as PDF or XLSX (by ``out``'s suffix; default a PDF in
    the exports folder); returns its path."""
    from pathlib import Path

    from archive_tui.reports.fonts import font_of
    from archive_tui.reports.sample_sheet import (
        THUMB_PIXELS, heading_lines, print_checklist_pdf, print_checklist_xlsx,
    )
    rows = sample_rows(engine, number)
    if not rows:
        raise ArchiveError(f"没有抽检批次“{number}”")
    path = Path(out) if out else config.exports / f"抽检清单-{number}.pdf"
    if path.suffix.lower() not in (".pdf", ".xlsx"):
        raise ArchiveError(f"抽检清单只能输出为 .pdf 或 .xlsx：{path.name}")
    with engine.connect() as connection:
        seed = connection.execute(select(REVIEW.c.seed).where(REVIEW.c.sample_no == number).limit(1)).scalar()
    lines = heading_lines(number, config.settings.township.name, rows, seed)

    def thumbnail(store_path: str):
        return scan_preview(config, store_path, THUMB_PIXELS)

    if path.suffix.lower() == ".xlsx":
        return print_checklist_xlsx(path, lines, rows, thumbnail)
    return print_checklist_pdf(path, font_of(config), lines, rows, thumbnail)
