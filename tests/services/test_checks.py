"""Quality checks on a real demo database: every rule with a household that breaks it and one
that does not, fixed again and resolved on the next run; waivers; figures; XLSX read back."""

import datetime as dt

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, insert, select, update

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.quality import checks
from archive_tui.services.exchange.demo import fill_demo
from models import (
    ArchiveFile, Certificate, Contract, Document, FileCopy, Finding, Household, Issuer, Member, Parcel, ScanPage,
)
from tests.conftest import table_counts

H, M, P, C = Household.__table__, Member.__table__, Parcel.__table__, Contract.__table__
CERT, FILE, DOC, COPY = Certificate.__table__, ArchiveFile.__table__, Document.__table__, FileCopy.__table__
SCAN, ISSUER, FINDING = ScanPage.__table__, Issuer.__table__, Finding.__table__


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=8, seed=12)
    return engine


def first_member(c, hh):
    return c.execute(select(M).where(M.c.household_id == hh).order_by(M.c.position)).first()


def file_of(c, hh):
    return c.execute(select(FILE.c.id).where(FILE.c.household_id == hh)).scalar_one()


def set_doc(c, hh, doc_type, **values):
    c.execute(update(DOC).where(DOC.c.archive_file_id == file_of(c, hh), DOC.c.doc_type == doc_type).values(**values))


def ensure_doc(c, hh, doc_type, **values):
    exists = c.execute(select(DOC.c.id).where(DOC.c.archive_file_id == file_of(c, hh),
                                              DOC.c.doc_type == doc_type)).first()
    if exists is None:
        c.execute(insert(DOC).values(archive_file_id=file_of(c, hh), doc_type=doc_type, title=f"文件{doc_type}",
                                     position=int(doc_type), page_count=1, signed_by_proxy=False, **values))
    elif values:
        set_doc(c, hh, doc_type, **values)


def scan(c, hh, dpi=300, doc_type=None):
    """One linked page for the household (once: making a case right again does not add another)."""
    if c.execute(select(SCAN.c.id).where(SCAN.c.archive_file_id == file_of(c, hh))).first() is not None:
        c.execute(update(SCAN).where(SCAN.c.archive_file_id == file_of(c, hh)).values(dpi=dpi))
        return
    document = c.execute(select(DOC.c.id).where(DOC.c.archive_file_id == file_of(c, hh),
                                                DOC.c.doc_type == doc_type)).scalar_one_or_none() if doc_type else None
    c.execute(insert(SCAN).values(archive_file_id=file_of(c, hh), document_id=document, store_path=f"s/{hh}-{dpi}.jpg",
                                  source_name="x.jpg", sha256=f"{hh:064d}", size=1, format="JPEG", width=1, height=1,
                                  dpi=dpi, colour_mode="colour", page_index=0, seq=1, status="linked", reason=""))


GOOD_PAGE = {"ink_share": 0.06, "ink_marks": 1500, "skew_degrees": 0.4, "dark_border": 0.0, "edge_content": 0,
             "measure_note": ""}


def page_hash(seed: int) -> str:
    import random

    return f"{random.Random(seed).getrandbits(256):064x}"


def measured(c, hh, second: bool = False, **values):
    """The household's page (and, ``second``, another page of its file) measured as ``values`` say."""
    scan(c, hh)
    pages = c.execute(select(SCAN.c.id).where(SCAN.c.archive_file_id == file_of(c, hh)).order_by(SCAN.c.id)).scalars()
    pages = list(pages)
    if second and len(pages) == 1:
        pages.append(c.execute(insert(SCAN).values(
            archive_file_id=file_of(c, hh), store_path=f"s/{hh}-2.jpg", source_name="y.jpg", sha256=f"{hh:063d}2",
            size=1, format="JPEG", width=1, height=1, dpi=300, colour_mode="grey", page_index=0, seq=2,
            status="linked", reason="")).inserted_primary_key[0])
    for number, page in enumerate(pages):
        c.execute(update(SCAN).where(SCAN.c.id == page).values(
            **{**GOOD_PAGE, "phash": page_hash(hh * 10 + number), **values}))
    return pages


def twin_pages(c, hh):
    """The second page of the file is a rescan of the first: its hash 12 bits away."""
    first, second = measured(c, hh, second=True)
    value = int(page_hash(hh * 10), 16) ^ 0b111111111111
    c.execute(update(SCAN).where(SCAN.c.id == second).values(phash=f"{value:064x}"))


def filed_elsewhere(c, hh):
    """The household's page is the same sheet as a page of another household's file."""
    other = c.execute(select(H.c.id).where(H.c.id != hh).order_by(H.c.id.desc())).scalars().first()
    measured(c, other)
    value = int(page_hash(other * 10), 16) ^ 0b111
    measured(c, hh, phash=f"{value:064x}")


def reviewed(c, hh, verdict: str):
    from models import PageReview

    review = PageReview.__table__
    [page] = measured(c, hh)
    c.execute(delete(review).where(review.c.scan_page_id == page))
    c.execute(insert(review).values(scan_page_id=page, sample_no="抽检2026-001", seed=1,
                                    drawn_at=dt.datetime.now(dt.UTC),
                                    drawn_by="甲", verdict=verdict, problem="看不清" if verdict == "problem" else "",
                                    reviewer="乙"))


def disputed(c, hh, followed_up: bool = False):
    """A dispute of the household closed with a changed right, followed up or not."""
    from models import Dispute

    dispute = Dispute.__table__
    number = f"纠纷2026-{hh:03d}"
    c.execute(delete(dispute).where(dispute.c.number == number))
    c.execute(insert(dispute).values(
        number=number, household_id=hh, parcel_code="", parties="", subject="地界", started_on=dt.date(2026, 1, 5),
        stage="closed", outcome="调解协议", right_changed=True, closed_on=dt.date(2026, 2, 1),
        followed_up_on=dt.date(2026, 3, 1) if followed_up else None, operator="甲", created_at=dt.datetime.now(dt.UTC)))


def parcel(c, hh, **values):
    code = c.execute(select(P.c.code).where(P.c.household_id == hh).order_by(P.c.code)).scalars().first()
    c.execute(update(P).where(P.c.code == code).values(**values))


def contract(c, hh, **values):
    c.execute(update(C).where(C.c.household_id == hh).values(**values))


def cert(c, hh, generation, status):
    c.execute(update(CERT).where(CERT.c.household_id == hh, CERT.c.generation == generation).values(status=status))


def member(c, hh, **values):
    c.execute(update(M).where(M.c.id == first_member(c, hh).id).values(**values))


def head_member(c, hh, **values):
    """The household's member marked 户主 (the first member made so, when none is)."""
    head = c.execute(select(M.c.id).where(M.c.household_id == hh, M.c.relation.in_(("01", "02")))
                     .order_by(M.c.position)).scalars().first() or first_member(c, hh).id
    c.execute(update(M).where(M.c.id == head).values(relation="02", **values))


def head_as_household(c, hh):
    """The member marked 户主 has the household's name and ID number."""
    household = c.execute(select(H.c.name, H.c.id_number).where(H.c.id == hh)).one()
    head_member(c, hh, name=household.name, id_number=household.id_number)


def areas_match(c, hh):
    total = sum(c.execute(select(P.c.contract_area).where(P.c.household_id == hh)).scalars())
    contract(c, hh, total_area=total)


def term(config):
    return {"term_start": config.settings.contract.term_start, "term_end": config.settings.contract.term_end}


def other_issuer(c, hh):
    mine = c.execute(select(H.c.issuer_id).where(H.c.id == hh)).scalar_one()
    return c.execute(select(ISSUER.c.id).where(ISSUER.c.id != mine)).scalars().first()


def own_issuer(c, hh):
    code = c.execute(select(H.c.code).where(H.c.id == hh)).scalar_one()
    return c.execute(select(ISSUER.c.id).where(ISSUER.c.code == code[:14])).scalar_one()


# rule → (make it right, break it); each takes (connection, household id, config)
CASES = {
    "member_incomplete": (lambda c, h, k: member(c, h, sex="1"), lambda c, h, k: member(c, h, sex="")),
    "id_number": (lambda c, h, k: _valid_ids(c, h), lambda c, h, k: member(c, h, id_number="110105194912310021")),
    "id_legacy": (lambda c, h, k: _valid_ids(c, h), lambda c, h, k: member(c, h, id_number="110105491231002")),
    "id_duplicate": (lambda c, h, k: _valid_ids(c, h), None),
    "id_copy_missing": (lambda c, h, k: ensure_doc(c, h, "02"),
                        lambda c, h, k: c.execute(delete(DOC).where(DOC.c.archive_file_id == file_of(c, h),
                                                                    DOC.c.doc_type == "02"))),
    "documents_missing": (lambda c, h, k: [ensure_doc(c, h, d.code) for d in k.settings.documents if d.required],
                          lambda c, h, k: c.execute(delete(DOC).where(DOC.c.archive_file_id == file_of(c, h),
                                                                      DOC.c.doc_type == "03"))),
    "unsigned": (lambda c, h, k: [ensure_doc(c, h, d.code, signed_by_household=True)
                                  for d in k.settings.documents if d.signed],
                 lambda c, h, k: set_doc(c, h, "03", signed_by_household=False)),
    "proxy_signature": (lambda c, h, k: c.execute(update(H).where(H.c.id == h).values(has_basic_farmland=True))
                        and ensure_doc(c, h, "06", signed_by_proxy=False),
                        lambda c, h, k: set_doc(c, h, "06", signed_by_proxy=True)),
    "page_count": (lambda c, h, k: (ensure_doc(c, h, "04", page_count=1), scan(c, h, doc_type="04"),
                                    c.execute(update(DOC).where(DOC.c.archive_file_id == file_of(c, h),
                                                                DOC.c.doc_type != "04").values(page_count=0))),
                   lambda c, h, k: set_doc(c, h, "04", page_count=3)),
    "scan_quality": (lambda c, h, k: scan(c, h, dpi=300),
                     lambda c, h, k: c.execute(update(SCAN).where(SCAN.c.archive_file_id == file_of(c, h))
                                               .values(dpi=150))),
    "parcel_name": (lambda c, h, k: c.execute(update(P).where(P.c.household_id == h).values(name="东大块")),
                    lambda c, h, k: parcel(c, h, name="")),
    "parcel_boundaries": (lambda c, h, k: c.execute(update(P).where(P.c.household_id == h).values(
                              east="路", south="渠", west="张地", north="李地")),
                          lambda c, h, k: parcel(c, h, east="")),
    "parcel_area": (lambda c, h, k: c.execute(update(P).where(P.c.household_id == h).values(contract_area=500.0)),
                    lambda c, h, k: parcel(c, h, contract_area=0)),
    "area_total": (lambda c, h, k: areas_match(c, h), lambda c, h, k: contract(c, h, total_area=1.0)),
    "contract_term": (lambda c, h, k: contract(c, h, **term(k)),
                      lambda c, h, k: contract(c, h, term_end=dt.date(2030, 12, 31))),
    "issuer_code": (lambda c, h, k: c.execute(update(H).where(H.c.id == h).values(issuer_id=own_issuer(c, h))),
                    lambda c, h, k: c.execute(update(H).where(H.c.id == h).values(issuer_id=other_issuer(c, h)))),
    "sequence_range": (lambda c, h, k: c.execute(update(H).where(H.c.id == h).values(contractor_type="1")),
                       lambda c, h, k: c.execute(update(H).where(H.c.id == h).values(contractor_type="3"))),
    "code_mismatch": (lambda c, h, k: contract(c, h, method="110"), lambda c, h, k: contract(c, h, method="120")),
    "cert_not_issued": (lambda c, h, k: cert(c, h, "new", "issued"), lambda c, h, k: cert(c, h, "new", "printed")),
    "old_not_recalled": (lambda c, h, k: cert(c, h, "old", "destroyed"), lambda c, h, k: cert(c, h, "old", "issued")),
    "old_not_destroyed": (lambda c, h, k: cert(c, h, "old", "destroyed"),
                          lambda c, h, k: cert(c, h, "old", "recalled")),
    "copy_location": (lambda c, h, k: c.execute(update(COPY).where(COPY.c.archive_file_id == file_of(c, h))
                                                .values(status="filed", room="档案室", cabinet="3")),
                      lambda c, h, k: c.execute(update(COPY).where(
                          COPY.c.archive_file_id == file_of(c, h), COPY.c.level == "county")
                          .values(room="", cabinet=""))),
    "not_transferred": (lambda c, h, k: c.execute(update(COPY).where(COPY.c.archive_file_id == file_of(c, h))
                                                  .values(status="transferred")),
                        lambda c, h, k: c.execute(update(COPY).where(COPY.c.archive_file_id == file_of(c, h),
                                                                     COPY.c.level == "village")
                                                  .values(status="filed"))),
    "page_unreadable": (lambda c, h, k: measured(c, h),
                        lambda c, h, k: measured(c, h, measure_note="图像无法完整读取")),
    "page_blank": (lambda c, h, k: measured(c, h), lambda c, h, k: measured(c, h, ink_share=0.003, ink_marks=2)),
    "page_skew": (lambda c, h, k: measured(c, h, skew_degrees=-2.9), lambda c, h, k: measured(c, h, skew_degrees=-3.2)),
    "page_border": (lambda c, h, k: measured(c, h, dark_border=0.3), lambda c, h, k: measured(c, h, dark_border=0.9)),
    "page_cropped": (lambda c, h, k: measured(c, h, edge_content=2), lambda c, h, k: measured(c, h, edge_content=9)),
    "page_duplicate": (lambda c, h, k: measured(c, h, second=True), lambda c, h, k: twin_pages(c, h)),
    "page_duplicate_other": (lambda c, h, k: measured(c, h), lambda c, h, k: filed_elsewhere(c, h)),
    "page_review": (lambda c, h, k: reviewed(c, h, "ok"), lambda c, h, k: reviewed(c, h, "problem")),
    "dispute_followup": (lambda c, h, k: disputed(c, h, followed_up=True), lambda c, h, k: disputed(c, h)),
    "page_orientation": (lambda c, h, k: measured(c, h, orientation=0),
                         lambda c, h, k: measured(c, h, orientation=180)),
    "head_mismatch": (lambda c, h, k: head_as_household(c, h), lambda c, h, k: head_member(c, h, name="别人")),
}
# rules whose findings are a village's, not a household's (tests/services/test_checks_villages.py)
VILLAGE_RULES = {"parcel_source_missing"}
# the later campaigns' rules, with their own cases on 延包 data (tests/services/test_campaign_checks.py)
CAMPAIGN_RULES = {"extension_term", "extension_members_changed", "extension_area_change", "extension_objection",
                  "extension_order", "extension_not_exchanged"}


def _valid_ids(c, hh):
    """Give every member of the household a distinct valid ID (so only what the test breaks is wrong)."""
    from models.validators import id_check_char

    for index, row in enumerate(c.execute(select(M.c.id).where(M.c.household_id == hh)).scalars()):
        first17 = f"1101051980{(hh % 12) + 1:02d}{index + 1:02d}{hh % 1000:03d}"
        c.execute(update(M).where(M.c.id == row).values(id_number=first17 + id_check_char(first17), id_type="1"))
    c.execute(update(H).where(H.c.id == hh).values(id_number="", id_type="9"))


def households(engine):
    with engine.connect() as c:
        return c.execute(select(H.c.id).order_by(H.c.code)).scalars().all()


def flagged(engine, config, rule):
    checks.run_checks(context_for(engine, config), rules=[rule])
    with engine.connect() as c:
        return set(c.execute(select(FINDING.c.household_id).where(FINDING.c.rule == rule,
                                                                  FINDING.c.status == "open")).scalars())


def test_every_rule_has_a_case():
    assert set(CASES) | VILLAGE_RULES | CAMPAIGN_RULES == set(checks.RULES)


def test_the_configuration_knows_every_rule():
    from archive_tui.core.config import CHECK_RULES

    assert CHECK_RULES == set(checks.RULES)


def three_made_right(engine, config, rule: str) -> tuple[int, int, int]:
    """Three households that pass ``rule`` (its case made right for each)."""
    make_right, _break_it = CASES[rule]
    three = households(engine)[:3]
    if rule == "not_transferred":
        config.settings.checks.transfer_due = dt.date(2020, 1, 1)
    with engine.begin() as connection:
        for household in three:
            make_right(connection, household, config)
    return three


def break_rule(engine, config, rule: str, household: int, other: int) -> None:
    """``household`` made to break ``rule`` (an ID number shared with ``other``'s for id_duplicate)."""
    with engine.begin() as connection:
        if rule == "id_duplicate":
            member(connection, household, id_number=first_member(connection, other).id_number)
        else:
            CASES[rule][1](connection, household, config)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_a_rule_flags_the_household_that_breaks_it_and_resolves_when_fixed(engine, config, township, rule):
    make_right = CASES[rule][0]
    a, b, c_ = three_made_right(engine, config, rule)
    assert not flagged(engine, config, rule) & {a, b}, "both start clean"
    break_rule(engine, config, rule, a, c_)
    found = flagged(engine, config, rule)
    assert a in found and b not in found
    with engine.begin() as connection:
        make_right(connection, a, config)
    assert a not in flagged(engine, config, rule)
    with engine.connect() as connection:
        statuses = connection.execute(select(FINDING.c.status).where(FINDING.c.rule == rule,
                                                                     FINDING.c.household_id == a)).scalars().all()
    assert "resolved" in statuses  # the history stays


def test_a_second_run_on_unchanged_data_changes_nothing(engine, config, township):
    first = checks.run_checks(context_for(engine, config))
    before = table_counts(engine)
    second = checks.run_checks(context_for(engine, config))
    after = table_counts(engine)
    assert second.opened == 0 and second.resolved == 0 and second.still_open == first.still_open
    assert {k: v for k, v in after.items() if k != "audit_event"} == {k: v for k, v in before.items()
                                                                       if k != "audit_event"}


def test_a_waiver_needs_a_reason_is_kept_on_rerun_and_recorded(engine, config, township):
    checks.run_checks(context_for(engine, config))
    finding = checks.list_findings(engine)[0]
    with pytest.raises(ArchiveError, match="理由"):
        checks.waive(context_for(engine, config), finding["id"], "  ")
    checks.waive(context_for(engine, config), finding["id"], "户主已去世，由继承人另行处理")
    result = checks.run_checks(context_for(engine, config))
    [again] = [f for f in checks.list_findings(engine) if f["id"] == finding["id"]]
    assert again["status"] == "waived" and again["waived_reason"].startswith("户主已去世") and result.waived >= 1
    with pytest.raises(ArchiveError, match="只能豁免待处理"):
        checks.waive(context_for(engine, config), finding["id"], "再豁免一次")
    with pytest.raises(ArchiveError, match="没有编号为 999999"):
        checks.waive(context_for(engine, config), 999999, "x")


def test_unknown_rule_or_village_is_refused_and_nothing_changes(engine, config, township):
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match="没有规则“no_such_rule”"):
        checks.run_checks(context_for(engine, config), rules=["no_such_rule"])
    with pytest.raises(ArchiveError, match="找不到村“月球村”"):
        checks.run_checks(context_for(engine, config), village="月球村")
    assert table_counts(engine) == before


def test_pass_share_counts_households_without_open_errors(engine, config, township):
    checks.run_checks(context_for(engine, config))
    rows = checks.pass_shares(engine)
    findings = checks.list_findings(engine, statuses=("open",))
    failing = {f["cbfbm"] for f in findings if f["severity"] == "error"}
    assert sum(r["households"] for r in rows) == 8 and sum(r["failing"] for r in rows) == len(failing)
    for row in rows:
        assert row["pass_share"] == round(100 * (row["households"] - row["failing"]) / row["households"], 1)


def test_findings_export_to_xlsx(engine, config, township, tmp_path):
    checks.run_checks(context_for(engine, config))
    path = checks.export_findings(engine, tmp_path / "质检.xlsx")
    book = load_workbook(path)
    rows = list(book["问题清单"].iter_rows(values_only=True))
    assert rows[1][:3] == ("编号", "规则", "级别") and len(rows) - 2 == len(checks.list_findings(engine))
    assert list(book["各村合格率"].iter_rows(values_only=True))[1] == ("村", "户数", "有问题户", "合格率%")
