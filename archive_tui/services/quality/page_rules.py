"""The pixel rules (图像质量规则, DA/T 31-2017): the measures recorded on each linked page held
to the limits of ``[quality]`` in config.toml, as findings of the quality check.

A finding's subject is the page's place in the store, so the 扫描 section can show the page.
Blank pages are left out of the skew and twin rules (an empty sheet has neither).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from sqlalchemy import and_, func, or_, select

from archive_tui.core.states import PageStatus
from archive_tui.scanning.twins import as_words, pairs_between, pairs_within
from archive_tui.db.tables import FILE, HOUSEHOLD, ISSUER, SCAN
from archive_tui.services.quality.checks import Found, Scope, rule
from models import PageReview

PAGE_RULES = ("page_unreadable", "page_blank", "page_skew", "page_orientation", "page_border", "page_cropped",
              "page_duplicate", "page_duplicate_other", "page_review")
AT_INTAKE = tuple(r for r in PAGE_RULES if r != "page_duplicate_other")  # that one compares the whole county
KIND_LABELS = {"page_unreadable": "无法读取", "page_blank": "空白页", "page_skew": "歪斜", "page_border": "黑边",
               "page_cropped": "裁切不全", "page_duplicate": "重复页", "page_duplicate_other": "与同村他户重复",
               "page_review": "抽检不合格", "page_count": "缺页或多页", "page_orientation": "倒置或横置"}
TURNS = {90: "横置（须转 90°）", 180: "上下颠倒", 270: "横置（须转 90°）"}


def page_label(seq: int | None, store_path: str) -> str:
    name = store_path.rsplit("/", 1)[-1]
    return f"第 {seq} 页（{name}）" if seq else name


def _linked_pages(*columns):
    return (select(FILE.c.household_id, SCAN.c.store_path, SCAN.c.seq, *columns)
            .select_from(SCAN.join(FILE, FILE.c.id == SCAN.c.archive_file_id)
                         .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id))
            .where(SCAN.c.status == PageStatus.LINKED))


def _not_blank(scope: Scope):
    limits = scope.config.settings.quality
    return and_(SCAN.c.ink_share >= limits.blank_ink, SCAN.c.ink_marks >= limits.blank_marks)


@rule("page_unreadable", "error", "扫描页的图像无法完整读取（像素检查未能进行）")
def page_unreadable(scope: Scope) -> Found:
    query = _linked_pages(SCAN.c.measure_note).where(SCAN.c.measure_note != "")
    for row in scope.rows(query):
        yield row.household_id, row.store_path, f"{page_label(row.seq, row.store_path)}：{row.measure_note}"


@rule("page_blank", "warning", "空白页或几乎空白（有意留白的背面可豁免）")
def page_blank(scope: Scope) -> Found:
    limits = scope.config.settings.quality
    query = _linked_pages(SCAN.c.ink_share, SCAN.c.ink_marks).where(
        or_(SCAN.c.ink_share < limits.blank_ink, SCAN.c.ink_marks < limits.blank_marks))
    for row in scope.rows(query):
        state = "几乎全黑（可能扫描失败）" if row.ink_share >= 0.5 else "几乎空白"
        yield (row.household_id, row.store_path,
               f"{page_label(row.seq, row.store_path)}{state}：墨迹占 {row.ink_share:.2%}，{row.ink_marks} 处笔迹")


@rule("page_skew", "error", "扫描页歪斜超过限度")
def page_skew(scope: Scope) -> Found:
    limit = scope.config.settings.quality.skew_limit
    query = _linked_pages(SCAN.c.skew_degrees).where(
        _not_blank(scope), or_(SCAN.c.skew_degrees > limit, SCAN.c.skew_degrees < -limit))
    for row in scope.rows(query):
        way = "逆时针" if row.skew_degrees > 0 else "顺时针"
        yield (row.household_id, row.store_path,
               f"{page_label(row.seq, row.store_path)}歪斜 {abs(row.skew_degrees):.1f}°（{way}），超过 {limit:g}°")


@rule("page_orientation", "error", "扫描页倒置或横置（识别时发现）")
def page_orientation(scope: Scope) -> Found:
    query = _linked_pages(SCAN.c.orientation).where(SCAN.c.orientation.in_(tuple(TURNS)))
    for row in scope.rows(query):
        yield (row.household_id, row.store_path,
               f"{page_label(row.seq, row.store_path)}{TURNS[row.orientation]}，请重扫或在扫描软件中转正后重新收取")


@rule("page_border", "warning", "扫描页有黑边（未裁边）")
def page_border(scope: Scope) -> Found:
    limit = scope.config.settings.quality.border_share
    query = _linked_pages(SCAN.c.dark_border).where(SCAN.c.dark_border > limit)
    for row in scope.rows(query):
        yield (row.household_id, row.store_path,
               f"{page_label(row.seq, row.store_path)}有黑边：一侧页边 {row.dark_border:.0%} 为深色")


@rule("page_cropped", "error", "扫描页内容被页边切断（图像不完整）")
def page_cropped(scope: Scope) -> Found:
    limit = scope.config.settings.quality.cut_pieces
    query = _linked_pages(SCAN.c.edge_content).where(SCAN.c.edge_content >= limit)
    for row in scope.rows(query):
        yield (row.household_id, row.store_path,
               f"{page_label(row.seq, row.store_path)}内容被页边切断：一条页边切断 {row.edge_content} 处文字或线条")


def _hashed_pages(scope: Scope, village: str, *, whole_village: bool = False, dense_only: bool = False) -> list:
    """The measured, not blank pages of one village (in the run's scope, or all of the village)."""
    query = (_linked_pages(SCAN.c.id, SCAN.c.archive_file_id, SCAN.c.phash, SCAN.c.ink_share, FILE.c.archive_code)
             .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
             .where(_not_blank(scope), func.length(SCAN.c.phash) == 64, ISSUER.c.village_code == village)
             .order_by(SCAN.c.archive_file_id, SCAN.c.seq, SCAN.c.id))
    if dense_only:
        query = query.where(SCAN.c.ink_share >= scope.config.settings.quality.sparse_ink)
    return (scope.connection.execute(query) if whole_village else scope.rows(query)).all()


def _villages(scope: Scope) -> list[str]:
    """The villages with pages in the run's scope: the twin rules go one village at a time, so a
    county's millions of hashes are never in memory together."""
    query = (select(ISSUER.c.village_code).distinct().select_from(
        SCAN.join(FILE, FILE.c.id == SCAN.c.archive_file_id).join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
        .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)).where(SCAN.c.status == PageStatus.LINKED))
    return sorted(scope.rows(query).scalars())


def _twins(scope: Scope, first, second, apart: int) -> bool:
    """Pages with little ink (a short statement) hash alike even when different: only a very close pair counts."""
    limits = scope.config.settings.quality
    return min(first.ink_share, second.ink_share) >= limits.sparse_ink or apart <= limits.sparse_distance


@rule("page_duplicate", "error", "同一卷内有重复或几乎相同的扫描页")
def page_duplicate(scope: Scope) -> Found:
    limit = scope.config.settings.quality.duplicate_distance
    for village in _villages(scope):
        files: dict[int, list] = defaultdict(list)
        for row in _hashed_pages(scope, village):
            files[row.archive_file_id].append(row)
        for pages in files.values():
            for first, second, apart in pairs_within(as_words([page.phash for page in pages]), limit):
                earlier, later = pages[first], pages[second]
                if _twins(scope, earlier, later, apart):
                    yield (later.household_id, later.store_path,
                           f"{page_label(later.seq, later.store_path)}与{page_label(earlier.seq, earlier.store_path)}"
                           f"几乎相同（感知哈希相差 {apart} 位），疑为重复扫描")


@rule("page_duplicate_other", "warning", "扫描页与同村另一户卷中的页几乎相同（可能挂错户）")
def page_duplicate_other(scope: Scope) -> Found:
    """Compared within each village (a sheet filed to the wrong household is filed in its own
    batch), which also keeps a county quick. Short statements are left out: the same form of
    every household hashes alike when it holds only a few lines. A household's own files (one per
    campaign) are not compared with each other."""
    limit = scope.config.settings.quality.cross_file_distance
    for village in _villages(scope):
        pages = _hashed_pages(scope, village, whole_village=True, dense_only=True)
        if len(pages) < 2:
            continue
        in_scope = ({row.id for row in _hashed_pages(scope, village, dense_only=True)}
                    if scope.village or scope.household_ids else None)
        # by household, not by file: its files of two campaigns (确权, 延包) rightly hold copies of the same
        # papers (ID cards, 户口簿), which are no sheet filed to the wrong household
        owners = np.array([page.household_id for page in pages], dtype=np.int64)
        twins = pairs_between(as_words([page.phash for page in pages]), owners, limit)
        for (first, second), apart in sorted(twins.items()):
            for page, other in ((pages[first], pages[second]), (pages[second], pages[first])):
                if in_scope is None or page.id in in_scope:
                    yield (page.household_id, page.store_path,
                           f"{page_label(page.seq, page.store_path)}与另一户卷 {other.archive_code} 的"
                           f"{page_label(other.seq, other.store_path)}几乎相同（相差 {apart} 位），请核实是否挂错")


@rule("page_review", "error", "人工抽检判为不合格的扫描页")
def page_review(scope: Scope) -> Found:
    review = PageReview.__table__
    query = _linked_pages(review.c.problem, review.c.reviewer).join(
        review, review.c.scan_page_id == SCAN.c.id).where(review.c.verdict == "problem")
    for row in scope.rows(query):
        yield (row.household_id, row.store_path,
               f"{page_label(row.seq, row.store_path)}抽检不合格（{row.reviewer}）：{row.problem}")
