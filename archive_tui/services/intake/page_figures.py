"""The scan quality figures of the 总览 (DA/T 31-2017): per village, the pages checked
automatically, the manual sample and its pass rate; and the 挂接率. Kept apart from the
sampling itself (page_sample.py, which loads the image code) so that the first screen of
the app loads only what it counts with."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, Engine, select

from archive_tui.core.config import Config
from archive_tui.core.states import PageStatus
from archive_tui.db.tables import FILE, HOUSEHOLD, REVIEW, SCAN
from archive_tui.services.households.dashboard import (
    ISSUER_ID, PageCounts, count_if, issuer_villages, page_counts_on, village_names_on,
)

PASS_RATE = 95.0  # DA/T 31-2017: items checked by hand pass at 95 % or more
SAMPLE_FIGURES = ("pages", "measured", "sampled", "reviewed", "review_ok")


def sample_figures(engine: Engine) -> dict[str, dict[str, int]]:
    """Per village code: linked pages, measured by the pixel checks, sampled, reviewed, reviewed ok."""
    with engine.connect() as connection:
        return sample_figures_on(connection)


def sample_figures_on(connection: Connection, pages: PageCounts | None = None) -> dict[str, dict[str, int]]:
    """``pages``: the pages as counted for the rest of the 总览 (else counted here); the reviews
    (a sample: a few in a hundred pages) are counted from their own table."""
    pages = pages or page_counts_on(connection)
    counted = {"pages": pages.linked, "measured": pages.measured, **_reviews(connection)}
    codes = set().union(*counted.values())
    return {code: {key: counted[key][code] for key in SAMPLE_FIGURES} for code in codes}


def _reviews(connection: Connection) -> dict[str, Counter]:
    """Per village code: the linked pages sampled, reviewed, reviewed ok — one reading of the reviews."""
    query = (select(ISSUER_ID, count_if(REVIEW.c.sample_no != ""), count_if(REVIEW.c.verdict != ""),
                    count_if(REVIEW.c.verdict == "ok"))
             .select_from(SCAN.join(REVIEW, REVIEW.c.scan_page_id == SCAN.c.id)
                          .join(FILE, FILE.c.id == SCAN.c.archive_file_id)
                          .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id))
             # read from the reviews, not from every page (SQLite would otherwise scan all the pages)
             .where(SCAN.c.status == PageStatus.LINKED, SCAN.c.id.in_(select(REVIEW.c.scan_page_id)))
             .group_by(ISSUER_ID))
    villages = issuer_villages(connection)
    counted = {"sampled": Counter(), "reviewed": Counter(), "review_ok": Counter()}
    for issuer_id, *counts in connection.execute(query):
        for key, count in zip(counted, counts):
            counted[key][villages[issuer_id]] += count
    return counted


def linking_share(engine: Engine) -> float:
    """挂接率: linked pages as a share (%) of the pages taken in (linked or waiting to be linked)."""
    with engine.connect() as connection:
        return linking_share_on(connection)


def linking_share_on(connection: Connection, pages: PageCounts | None = None) -> float:
    pages = pages or page_counts_on(connection)
    total = pages.linked_total + pages.unassigned_total
    return round(100 * pages.linked_total / total, 1) if total else 100.0


def quality_summary(engine: Engine, config: Config) -> list[dict]:
    """扫描质量 per village against DA/T 31: every page checked automatically (100 %), the manual
    sample (the configured share, at least 5 %) and its pass rate (≥ 95 %), then a 合计 row."""
    with engine.connect() as connection:
        return quality_summary_on(connection, config)


def quality_summary_on(connection: Connection, config: Config, pages: PageCounts | None = None) -> list[dict]:
    figures = sample_figures_on(connection, pages)
    names = village_names_on(connection)
    rows = [_quality_row(names.get(code) or code, values, config) for code, values in sorted(figures.items())]
    if rows:
        total = {key: sum(values[key] for values in figures.values()) for key in SAMPLE_FIGURES}
        rows.append(_quality_row("合计", total, config))
    return rows


def _share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _quality_row(village: str, values: dict[str, int], config: Config) -> dict:
    measured, sampled = _share(values["measured"], values["pages"]), _share(values["sampled"], values["pages"])
    passed = _share(values["review_ok"], values["reviewed"]) if values["reviewed"] else None
    short = []
    if measured < 100:
        short.append("自动检查")
    if sampled < config.settings.quality.sample_share:
        short.append("抽检")
    if passed is not None and passed < PASS_RATE:
        short.append("合格率")
    return {"village": village, "pages": values["pages"], "measured_share": measured, "sampled_share": sampled,
            "reviewed": values["reviewed"], "pass_rate": passed, "short": short}
