"""Every printed form fits its paper: read back character by character (pdfium), on a township
whose data is as long as real data gets — a 24-character minority name, a long file title,
a remark of a few hundred characters, a long override reason in a transfer list."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, update

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config
from archive_tui.db import open_database
from archive_tui.services.registers import certificates as certs
from archive_tui.services.registers import copies
from archive_tui.services.transfers import transfers
from archive_tui.services.registers.certificate_forms import print_destruction_register, print_roster
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.households.printing import print_covers
from archive_tui.services.quality.file_forms import print_contents, print_notes
from archive_tui.services.registers.custody_forms import print_box_labels, print_shelf_list
from archive_tui.services.transfers.transfer_forms import manifest
from models import ArchiveFile, Certificate, Document, Household
from tests.conftest import render_pdf_page
from tests.reports.pdf_reading import MM, PAGE_NUMBER, overlapping, page_text, pages_of

LONG_NAME = "阿依古丽·买买提艾力·吐尔逊巴克·阿不都热合曼江"
LONG_REMARK = ("原件系二〇一〇年版承包合同，经本人申请于二〇一九年补充登记，地块四至以实地测量为准；"
               "其中第三块地因修路征收零点三亩，已另行签订补偿协议，") * 3
LONG_REASON = "该户承包方调查表缺户主签字，户主长期在外务工，经村委会证明并报镇政府同意后先行移交，签字另补"
MADE_UP = "\U000F0003"  # a character made with a 造字 program (private use): no font has it
FORMS = ["covers", "contents", "notes", "shelf-list", "box-labels", "manifest", "destruction", "roster"]


def _made_up_character(engine, household) -> None:
    house, file = Household.__table__, ArchiveFile.__table__
    with engine.begin() as connection:
        connection.execute(update(house).where(house.c.code == household["cbfbm"]).values(name=f"李{MADE_UP}明"))
        connection.execute(update(file).where(file.c.archive_code == household["archive_code"])
                           .values(title=f"李{MADE_UP}明户农村土地承包经营权确权登记档案"))


def _long_data(engine, household) -> None:
    house, file, document = Household.__table__, ArchiveFile.__table__, Document.__table__
    with engine.begin() as connection:
        connection.execute(update(house).where(house.c.code == household["cbfbm"]).values(name=LONG_NAME))
        file_id = connection.execute(select(file.c.id).where(file.c.archive_code == household["archive_code"])
                                     ).scalar_one()
        connection.execute(update(file).where(file.c.id == file_id).values(
            title=f"城关镇大前店村第一村民小组{LONG_NAME}户农村土地承包经营权确权登记档案"))
        connection.execute(update(document).where(document.c.archive_file_id == file_id).values(remark=LONG_REMARK))
        connection.execute(delete(document).where(document.c.archive_file_id == file_id, document.c.doc_type == "03"))


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """One archive with long data, every PDF form printed once."""
    folder = tmp_path_factory.mktemp("forms") / "档案 文件夹"
    folder.mkdir()
    write_default_config(folder / "config.toml")
    config = load_config(folder / "config.toml")
    engine = open_database(config.database_url)
    fill_demo(context_for(engine, config), households=30, seed=3)
    households = list_households(engine)
    first, village = households[0], households[0]["village"]
    _long_data(engine, first)
    _made_up_character(engine, households[1])
    copies.box_files(context_for(engine, config), village=village, capacity=5, level="township")
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆", handed_over_by="王档案"))
    transfers.add(context_for(engine, config), number, village=village, override=LONG_REASON)
    old = engine.connect().execute(select(Certificate.__table__.c.serial).where(
        Certificate.__table__.c.generation == "old").order_by(Certificate.__table__.c.serial)).scalars().all()[:4]
    for serial in old:
        certs.recall(context_for(engine, config), serial, by="本人", on=dt.date(2026, 10, 8))
    batch = certs.new_batch(context_for(engine, config), certs.BatchForm(
        "城政发〔2026〕5号", "李四", ["赵六", "钱七"], "粉碎", "城关镇政府", dt.date(2026, 11, 20)))
    certs.add_to_batch(context_for(engine, config), batch, old)
    out = folder / "exports"
    results = {
        "covers": print_covers(engine, config, out / "covers.pdf", keys=[first["cbfbm"], households[1]["cbfbm"]]),
        "contents": print_contents(engine, config, out / "contents.pdf", village=village),
        "notes": print_notes(engine, config, out / "notes.pdf", village=village),
        "shelf-list": print_shelf_list(engine, config, out / "shelf.pdf", village=village),
        "box-labels": print_box_labels(engine, config, out / "boxes.pdf", village=village),
        "manifest": manifest(context_for(engine, config), number, out / "manifest.pdf"),
        "destruction": print_destruction_register(context_for(engine, config), batch, out / "destruction.pdf"),
        "roster": print_roster(context_for(engine, config), village, out / "roster.pdf"),
    }
    engine.dispose()
    return {form: (result, pages_of(result.path)) for form, result in results.items()} | {"who": households[1]}


@pytest.mark.parametrize("form", FORMS)
def test_no_character_leaves_the_printable_area(printed, form):
    _result, pages = printed[form]
    for number, chars in enumerate(pages, start=1):
        outside = [c.text for c in chars if c.size < 50 and not (
            15 * MM - 0.5 <= c.left and c.right <= 195 * MM + 0.5
            and 15 * MM - 0.5 <= c.bottom and c.top <= 282 * MM + 0.5)]
        assert not outside, f"{form} page {number}: {''.join(outside)[:40]}"


@pytest.mark.parametrize("form", FORMS)
def test_no_two_characters_are_drawn_over_each_other_and_none_is_smaller_than_8_pt(printed, form):
    _result, pages = printed[form]
    for number, chars in enumerate(pages, start=1):
        body = [c for c in chars if c.size < 50]  # the 草稿 mark lies over the page on purpose
        assert not overlapping(body), f"{form} page {number}: {overlapping(body)[:5]}"
        assert min(c.size for c in body) >= 8, f"{form} page {number}"


@pytest.mark.parametrize("form", FORMS)
def test_every_page_says_which_page_of_how_many(printed, form):
    _result, pages = printed[form]
    numbers = [PAGE_NUMBER.search(page_text(chars)) for chars in pages]
    assert all(numbers), f"{form}: a page without its number"
    counted = [(int(m.group(1)), int(m.group(2))) for m in numbers]
    section_start = 0
    for index, (page, total) in enumerate(counted):  # each section runs 1 … total, total pages long
        if page == 1:
            section_start = index
        assert page == index - section_start + 1 and page <= total
        if page == total:
            assert index - section_start + 1 == total


@pytest.mark.parametrize("form", ["covers", "contents", "notes", "shelf-list", "manifest", "box-labels"])
def test_the_long_name_and_remark_are_printed_whole(printed, form):
    _result, pages = printed[form]
    text = "".join(page_text(chars) for chars in pages)
    assert LONG_NAME in text
    if form == "contents":
        assert LONG_REMARK.replace("，", "，").rstrip("，") in text  # wrapped over lines, nothing cut
    if form == "manifest":
        assert LONG_REASON in text


def test_the_list_header_repeats_and_the_total_never_stands_alone(printed):
    _result, pages = printed["manifest"]
    listing = [page_text(chars) for chars in pages[:-1]]
    assert len(listing) >= 2 and all("序号档号案卷题名" in text for text in listing)
    last = listing[-1]
    assert "合计" in last and last.index("合计") > last.index("Z001")  # a file row precedes the total
    assert "交接文据" in page_text(pages[-1]).replace(" ", "")


def test_a_draft_list_is_marked_and_a_look_at_each_form(printed, tmp_path):
    assert "草稿" in page_text(printed["manifest"][1][0]) and "送审稿" in page_text(printed["destruction"][1][0])
    assert "草稿" not in page_text(printed["roster"][1][0])
    for form in FORMS:  # rendered, as a person would look at them
        image = render_pdf_page(printed[form][0].path, 0, dpi=40)
        assert image.convert("L").getextrema()[0] < 100  # ink on the page
        image.save(tmp_path / f"{form}.png")


@pytest.mark.parametrize("form", FORMS)
def test_a_character_no_font_has_is_a_box_and_a_warning_naming_the_household(printed, form):
    result, pages = printed[form]
    who = printed["who"]
    assert any(MADE_UP in warning and (who["archive_code"] in warning or "李" in warning)
               for warning in result.warnings), result.warnings
    assert "李□明" in "".join(page_text(chars) for chars in pages)
