"""Households with a second campaign (延包) beside 确权: two files, two contracts with one code, two
register entries, two kinds of certificates — and every list, search, file view, catalogue, check,
register and export still shows each household once and each file by its own campaign.

The township is imported from a county-shaped source; the 延包 rows are then added as the
campaign import adds them (a campaign record per household reached, the contract and register
entry again with the same code and a term 30 years longer, a certificate with a new serial, the
households' 延包 files made by ``archive_files.create_missing`` and catalogued)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from archive_tui.bootstrap import context_for
from archive_tui.core.config import PRIMARY_CAMPAIGN
from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.exporting import collect_tables
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.households import archive_files, catalogue, search
from archive_tui.services.households.catalogue import document_type, edit_document
from archive_tui.services.households.households import (
    HouseholdFilter, browse_count, browse_page, count_households, list_households, show_household,
)
from archive_tui.services.quality import checks
from archive_tui.services.registers import copies
from archive_tui.services.registers.certificate_forms import _roster_rows
from archive_tui.services.registers.use_register import NewUse, add_use
from models import (
    ArchiveFile, CampaignRecord, Certificate, Contract, Document, FileCopy, Finding, Household, RegisterEntry,
    ScanPage, UseRecord,
)
from tests.conftest import write_tables_csv

H, FILE, DOC, CONTRACT = Household.__table__, ArchiveFile.__table__, Document.__table__, Contract.__table__
REGISTER, CERT, RECORD = RegisterEntry.__table__, Certificate.__table__, CampaignRecord.__table__
COPY, FINDING, SCAN, USE = FileCopy.__table__, Finding.__table__, ScanPage.__table__, UseRecord.__table__

EXTENSION = "延包"
CONFIRMED, PUBLICISED, SIGNED = dt.date(2026, 3, 2), dt.date(2026, 3, 20), dt.date(2026, 4, 8)
REGISTERED, ISSUED, COLLECTED = dt.date(2026, 5, 11), dt.date(2026, 6, 1), dt.date(2026, 6, 15)
HOUSEHOLDS = 10
EXTENDED = 4  # the first four households in code order reached the 延包


def thirty_years_on(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 30)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 30, day=28)


@pytest.fixture
def township(engine, config, tmp_path):
    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "县导出", households=HOUSEHOLDS))
    return engine


def codes_of(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(H.c.code).order_by(H.c.code)).scalars())


def extend(engine, config, codes: list[str]) -> None:
    """These households reached the 延包, as the campaign import records it."""
    with engine.begin() as connection:
        households = connection.execute(select(H.c.id, H.c.code).where(H.c.code.in_(codes))).all()
        for household_id, code in households:
            connection.execute(insert(RECORD).values(
                household_id=household_id, campaign=EXTENSION, confirmed_on=CONFIRMED, publicised_on=PUBLICISED,
                objection="", signed_on=SIGNED, members="[]", parcels="[]", new_household=False, note=""))
            contract = connection.execute(select(CONTRACT).where(
                CONTRACT.c.household_id == household_id, CONTRACT.c.campaign == PRIMARY_CAMPAIGN)).first()
            connection.execute(insert(CONTRACT).values(
                {**{k: v for k, v in contract._mapping.items() if k != "id"}, "campaign": EXTENSION,
                 "term_start": contract.term_end + dt.timedelta(days=1),
                 "term_end": thirty_years_on(contract.term_end), "signed_date": SIGNED}))
            entry = connection.execute(select(REGISTER).where(
                REGISTER.c.household_id == household_id, REGISTER.c.campaign == PRIMARY_CAMPAIGN)).first()
            connection.execute(insert(REGISTER).values(
                {**{k: v for k, v in entry._mapping.items() if k != "id"}, "campaign": EXTENSION,
                 "term_end": thirty_years_on(entry.term_end), "registered_on": REGISTERED}))
            certificate = connection.execute(select(CERT).where(
                CERT.c.household_id == household_id, CERT.c.campaign == PRIMARY_CAMPAIGN)).first()
            connection.execute(insert(CERT).values(
                household_id=household_id, code=certificate.code, serial=f"YB{code[-8:]}", generation="new",
                status="issued", campaign=EXTENSION, authority="县人民政府（延包）", issued_on=ISSUED,
                collected=True, collected_on=COLLECTED, collector_name="户主"))
        made = archive_files.create_missing(connection, config, EXTENSION)
        assert made == len(codes)
        files = list(connection.execute(select(FILE.c.id).where(FILE.c.campaign == EXTENSION)).scalars())
        catalogue.refresh(connection, config, files)
        search.forget(connection, [household_id for household_id, _code in households])


@pytest.fixture
def extended(township, config):
    """(the township, the households that reached the 延包, those that did not)."""
    codes = codes_of(township)
    extend(township, config, codes[:EXTENDED])
    return township, codes[:EXTENDED], codes[EXTENDED:]


def file_of(engine, code: str, campaign: str = PRIMARY_CAMPAIGN):
    with engine.connect() as connection:
        return connection.execute(select(FILE).join(H, H.c.id == FILE.c.household_id).where(
            H.c.code == code, FILE.c.campaign == campaign)).first()


def entries(engine, file_id: int) -> dict[str, object]:
    with engine.connect() as connection:
        return {row.doc_type: row for row in connection.execute(select(DOC).where(DOC.c.archive_file_id == file_id))}


# ---- households: list, browser, search, show ---------------------------------------------------

def test_the_households_list_has_each_household_once_with_its_primary_file(extended):
    engine, reached, _others = extended
    rows = list_households(engine)
    assert [row["cbfbm"] for row in rows] == codes_of(engine)  # once each, in code order
    assert count_households(engine) == HOUSEHOLDS
    for row in rows:
        assert row["archive_code"] == file_of(engine, row["cbfbm"]).archive_code
    assert browse_count(engine, HouseholdFilter()) == HOUSEHOLDS
    for sort in ("archive_code", "status", "cbfbm"):
        page = browse_page(engine, HouseholdFilter(sort=sort), 0, 50, HOUSEHOLDS)
        assert sorted(row["cbfbm"] for row in page) == codes_of(engine)
    assert all(file_of(engine, code, EXTENSION) is not None for code in reached)  # two files each, indeed


def test_search_finds_an_extended_household_once_by_either_file_s_code(extended, config):
    engine, reached, _others = extended
    code = reached[0]
    name = show_household(context_for(engine, config), code)["household"]["name"]
    for text in (name, code, file_of(engine, code).archive_code, file_of(engine, code, EXTENSION).archive_code):
        found = [row["cbfbm"] for row in list_households(engine, search=text)]
        assert found.count(code) == 1, text
        assert count_households(engine, search=text) == len(found)
        browsed = browse_page(engine, HouseholdFilter(text=text), 0, 50)
        assert [row["cbfbm"] for row in browsed].count(code) == 1
        assert all(row["archive_code"] == file_of(engine, row["cbfbm"]).archive_code for row in browsed)


def test_show_gives_the_primary_file_and_lists_the_later_campaigns(extended, config):
    engine, reached, others = extended
    code = reached[0]
    primary, later = file_of(engine, code), file_of(engine, code, EXTENSION)
    for key in (code, primary.archive_code, later.archive_code):
        shown = show_household(context_for(engine, config), key)
        assert shown["household"]["cbfbm"] == code
        assert shown["archive_file"]["archive_code"] == primary.archive_code
        assert len(shown["contracts"]) == 1 and shown["contracts"][0]["term_end"] < "2040"  # the 确权 contract
        assert shown["certificates"] and all(not c["serial"].startswith("YB") for c in shown["certificates"])
        assert {doc["doc_type"] for doc in shown["documents"]} == {doc.code for doc in config.settings.documents}
        [campaign] = shown["campaigns"]
        assert campaign["campaign"] == EXTENSION and campaign["archive_code"] == later.archive_code
        assert campaign["status"] == later.status and campaign["pages"] == later.page_count
        contract = campaign["contract"]
        assert contract["code"] == shown["contracts"][0]["code"]  # the same code, extended
        assert contract["term_end"] > "2040" and contract["signed"] == SIGNED.isoformat()
        assert [c["serial"] for c in campaign["certificates"]] == [f"YB{code[-8:]}"]
        assert campaign["certificates"][0]["collected_on"] == COLLECTED.isoformat()
    assert show_household(context_for(engine, config), others[0])["campaigns"] == []


# ---- the catalogue of each file --------------------------------------------------------------------

def test_the_extension_file_is_catalogued_from_the_extension_rows_only(extended, config):
    engine, reached, _others = extended
    code = reached[0]
    later = entries(engine, file_of(engine, code, EXTENSION).id)
    extension_codes = {doc.code for doc in config.settings.documents_of(EXTENSION)}
    assert set(later) <= extension_codes and set(later)
    with engine.connect() as connection:
        contract_code = connection.execute(select(CONTRACT.c.code).join(H, H.c.id == CONTRACT.c.household_id)
                                           .where(H.c.code == code, CONTRACT.c.campaign == EXTENSION)).scalar_one()
    assert (later["Y04"].dated, later["Y04"].doc_number) == (SIGNED, contract_code)  # the 延包 contract
    assert later["Y01"].dated == CONFIRMED and later["Y03"].dated == PUBLICISED
    assert later["Y05"].dated == COLLECTED and later["Y05"].doc_number == f"YB{code[-8:]}"
    primary = entries(engine, file_of(engine, code).id)
    assert set(primary) <= {doc.code for doc in config.settings.documents}
    primary_dates = {entry.dated for entry in primary.values()}
    assert not primary_dates & {entry.dated for entry in later.values()}  # never a 确权 date in the 延包 file
    assert not {CONFIRMED, PUBLICISED, SIGNED, REGISTERED, ISSUED, COLLECTED} & primary_dates


def test_the_primary_catalogue_is_what_it_was_before_the_extension(township, config):
    code = codes_of(township)[0]

    def primary_entries():
        return {doc: (e.dated, e.doc_number, e.responsible, e.title)
                for doc, e in entries(township, file_of(township, code).id).items()}

    before = primary_entries()
    extend(township, config, [code])
    with township.begin() as connection:  # the whole township again, as a re-import does
        catalogue.refresh(connection, config)
    assert primary_entries() == before


def test_files_doc_with_a_household_code_and_a_Y_document_edits_the_extension_file(extended, config, cli,
                                                                                   archive_dir):
    engine, reached, others = extended
    code = reached[0]
    primary, later = file_of(engine, code), file_of(engine, code, EXTENSION)
    result = cli("files", "doc", code, "Y04", "--date", "2026-04-09", cwd=archive_dir)
    assert result.code == 0, result.err
    assert entries(engine, later.id)["Y04"].dated == dt.date(2026, 4, 9)
    assert "Y04" not in entries(engine, primary.id)
    edit_document(context_for(engine, config), later.archive_code, "y2", {"page_count": "2"})  # typed loosely
    assert entries(engine, later.id)["Y02"].page_count == 2
    edit_document(context_for(engine, config), code, "07", {"remark": "原件"})  # a 确权 document: the 确权 file
    assert entries(engine, primary.id)["07"].remark == "原件"
    with pytest.raises(ArchiveError, match="是延包的卷内文件.*是确权的案卷"):
        edit_document(context_for(engine, config), primary.archive_code, "Y04", {"remark": "x"})
    with pytest.raises(ArchiveError, match="是确权的卷内文件.*是延包的案卷"):
        edit_document(context_for(engine, config), later.archive_code, "07", {"remark": "x"})
    with pytest.raises(ArchiveError, match="还没有延包的案卷"):
        edit_document(context_for(engine, config), others[0], "Y04", {"dated": "2026-04-09"})
    refused = cli("files", "doc", primary.archive_code, "Y04", "--date", "2026-04-09", cwd=archive_dir)
    assert refused.code == 1 and "延包" in refused.out + refused.err


def test_a_document_type_is_found_in_every_campaign_s_list(config):
    assert document_type(config, "07")[1:] == (document_type(config, "承包合同")[1], PRIMARY_CAMPAIGN)
    position, doc, campaign = document_type(config, "Y04")
    assert (doc.code, campaign) == ("Y04", EXTENSION) and position == 4
    assert document_type(config, doc.name)[2] == EXTENSION
    with pytest.raises(ArchiveError, match="Y01"):
        document_type(config, "Y99")


# ---- checks -------------------------------------------------------------------------------------

def findings(engine, rule: str) -> dict[tuple[str, str], str]:
    """(承包方编码, subject) → message of the rule's open findings."""
    with engine.connect() as connection:
        return {(code, subject): message for code, subject, message in connection.execute(
            select(H.c.code, FINDING.c.subject, FINDING.c.message).join(H, H.c.id == FINDING.c.household_id)
            .where(FINDING.c.rule == rule, FINDING.c.status == "open"))}


CONTRACT_RULES = ["contract_term", "area_total", "code_mismatch", "cert_not_issued", "old_not_recalled",
                  "old_not_destroyed"]


def test_checks_judge_each_file_by_its_own_campaign(township, config):
    codes = codes_of(township)
    checks.run_checks(context_for(township, config))
    before = {rule: findings(township, rule) for rule in CONTRACT_RULES + ["documents_missing", "id_copy_missing"]}
    extend(township, config, codes[:EXTENDED])
    checks.run_checks(context_for(township, config))
    for rule in CONTRACT_RULES:  # the 延包 contracts (30 years longer) and certificates are not these rules'
        assert findings(township, rule) == before[rule], rule
    missing = findings(township, "documents_missing")
    for (code, subject), message in missing.items():
        if subject == "卷内文件":  # the 确权 file: as before, of 确权 documents only
            assert missing[(code, subject)] == before["documents_missing"].get((code, subject))
            assert "延包" not in message
        else:
            assert subject == f"{EXTENSION} 卷内文件" and code in codes[:EXTENDED]
            assert message.startswith(f"{EXTENSION}案卷：缺少必备文件：")
            assert "身份证明材料、户口簿复印件" in message  # Y02: not dated by any data
            assert not any(name in message for name in ("承包方调查表", "登记簿", "证书领取记录", "公示结果归户表"))
    assert {code for code, subject in missing if subject != "卷内文件"} == set(codes[:EXTENDED])
    id_copies = findings(township, "id_copy_missing")
    assert {code for code, subject in id_copies if subject.startswith(EXTENSION)} == set(codes[:EXTENDED])


def test_an_extension_file_with_its_documents_has_no_documents_missing(extended, config):
    engine, reached, _others = extended
    code = reached[0]
    later = file_of(engine, code, EXTENSION)
    for doc in config.settings.documents_of(EXTENSION):
        if doc.required and doc.code not in entries(engine, later.id):
            edit_document(context_for(engine, config), later.archive_code, doc.code, {"page_count": "1"})
    checks.run_checks(context_for(engine, config), rules=["documents_missing", "id_copy_missing"])
    assert not [key for key in findings(engine, "documents_missing") if key == (code, f"{EXTENSION} 卷内文件")]
    assert not [key for key in findings(engine, "id_copy_missing") if key[0] == code and key[1].startswith("延包")]


def test_the_same_paper_in_a_household_s_two_files_is_no_page_filed_to_the_wrong_household(extended, config):
    engine, reached, _others = extended
    code, other = reached[0], reached[1]
    page = {"ink_share": 0.06, "ink_marks": 1500, "skew_degrees": 0.4, "dark_border": 0.0, "edge_content": 0,
            "measure_note": "", "phash": f"{0x5A5A1234 << 200:064x}", "size": 1, "format": "JPEG", "width": 1,
            "height": 1, "dpi": 300, "colour_mode": "grey", "page_index": 0, "status": "linked", "reason": "",
            "source_name": "x.jpg"}
    with engine.begin() as connection:  # the household's ID card copy in its 确权 and its 延包 file
        for number, file in enumerate((file_of(engine, code), file_of(engine, code, EXTENSION)), start=1):
            connection.execute(insert(SCAN).values(archive_file_id=file.id, store_path=f"s/{code}-{number}.jpg",
                                                   sha256=f"{number:064d}", seq=1, **page))
    checks.run_checks(context_for(engine, config), rules=["page_duplicate_other"])
    assert findings(engine, "page_duplicate_other") == {}
    with engine.begin() as connection:  # … and the same sheet in another household's file: that one is
        connection.execute(insert(SCAN).values(archive_file_id=file_of(engine, other).id,
                                               store_path=f"s/{other}-1.jpg", sha256=f"{3:064d}", seq=1, **page))
    checks.run_checks(context_for(engine, config), rules=["page_duplicate_other"])
    assert {household for household, _subject in findings(engine, "page_duplicate_other")} == {code, other}


# ---- registers, copies, exports ------------------------------------------------------------------

def test_a_household_code_names_the_primary_file_s_copies_and_a_code_the_file_s(extended, config):
    engine, reached, _others = extended
    code = reached[0]
    later = file_of(engine, code, EXTENSION)
    assert copies.move(context_for(engine, config), [code], "乡政府/档案室", level="township") == 1
    copies.lend(context_for(engine, config), code, "county", "县农业农村局", dt.date.today(),
                on=dt.date.today())
    assert copies.move(context_for(engine, config), [later.archive_code], "乡政府/档案室/2") == 3
    missing = copies.tick(context_for(engine, config), later.archive_code, "village", ["Y01", "Y04"])
    assert "身份证明材料、户口簿复印件" in missing and "承包方调查表" not in missing
    with pytest.raises(ArchiveError, match="延包案卷可用：Y01"):
        copies.tick(context_for(engine, config), later.archive_code, "village", ["01"])
    with engine.connect() as connection:
        moved = connection.execute(select(FILE.c.campaign, func.count()).join(COPY, COPY.c.archive_file_id == FILE.c.id)
                                   .where(COPY.c.room == "档案室").group_by(FILE.c.campaign)).all()
    assert dict(moved) == {PRIMARY_CAMPAIGN: 1, EXTENSION: 3}


def test_a_use_is_of_the_file_its_key_names(extended, config):
    engine, reached, _others = extended
    code = reached[0]
    primary, later = file_of(engine, code), file_of(engine, code, EXTENSION)
    today = dt.date.today()
    for key in (code, primary.archive_code, later.archive_code):
        add_use(context_for(engine, config), NewUse(key, "consult", "张三", today, purpose="核对延包合同"))
    with engine.connect() as connection:
        used = list(connection.execute(select(USE.c.archive_file_id).order_by(USE.c.id)).scalars())
    assert used == [primary.id, primary.id, later.id]


def test_the_national_export_and_the_roster_are_of_the_primary_rows(extended, config):
    engine, reached, _others = extended
    tables = collect_tables(engine, config)
    for name, counted in (("CBHT", CONTRACT), ("CBJYQZDJB", REGISTER)):
        columns, rows = tables[name]
        codes = [row[columns.index("CBHTBM" if name == "CBHT" else "CBJYQZBM")] for row in rows]
        assert len(codes) == len(set(codes))  # each code once: the 确权 row
        with engine.connect() as connection:
            assert len(rows) == connection.execute(select(func.count()).select_from(counted).where(
                counted.c.campaign == PRIMARY_CAMPAIGN)).scalar_one()
    columns, rows = tables["CBJYQZ"]
    codes = [row[columns.index("CBJYQZBM")] for row in rows]
    assert rows and len(codes) == len(set(codes))
    assert not [row for row in rows if row[columns.index("FZRQ")] == ISSUED.isoformat()]  # not the 延包 one
    village = show_household(context_for(engine, config), reached[0])["household"]["village"]
    roster = _roster_rows(engine, village, None)
    assert len({row.code for row in roster}) == len(roster)
    assert all(row.serial is None or not row.serial.startswith("YB") for row in roster)
