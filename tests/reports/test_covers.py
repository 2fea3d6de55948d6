"""案卷封面 and 分隔页 PDF: the Chinese text is really there, pages render, the QR holds the 档号."""

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.reports.fonts import BUNDLED, load_font
from archive_tui.scanning.sheets import codes_on
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.households.printing import print_covers
from models import Household
from tests.conftest import render_pdf_page


@pytest.fixture
def archive(engine, config):
    fill_demo(context_for(engine, config), households=8, seed=2)
    return list_households(engine)


def test_a_cover_and_one_separator_per_document_type(engine, config, archive, tmp_path):
    first = archive[0]
    result = print_covers(engine, config, tmp_path / "封面.pdf", keys=[first["cbfbm"]])
    documents = config.settings.documents
    reader = PdfReader(result.path)
    assert result.files == 1 and result.pages == len(reader.pages) == 1 + len(documents)
    cover = reader.pages[0].extract_text()
    for expected in ("案 卷 封 面", first["archive_code"], first["name"], config.settings.archive.fonds_name, "永久"):
        assert expected in cover
    assert documents[2].name in reader.pages[3].extract_text()
    image = render_pdf_page(result.path, 0, dpi=150)
    image.save(tmp_path / "cover.png")
    assert codes_on(image) == [first["archive_code"]]
    assert codes_on(render_pdf_page(result.path, 3, dpi=150)) == [f"{first['archive_code']}|{documents[2].code}"]


def test_the_font_is_embedded_so_any_viewer_shows_the_text(engine, config, archive, tmp_path):
    result = print_covers(engine, config, tmp_path / "c.pdf", keys=[archive[0]["cbfbm"]], separators=False)
    fonts = PdfReader(result.path).pages[0]["/Resources"]["/Font"]
    descriptors = [font.get_object()["/FontDescriptor"] for font in fonts.values()
                   if "/FontDescriptor" in font.get_object()]
    assert descriptors and all("/FontFile2" in d for d in descriptors)  # TrueType program inside the PDF
    gray = render_pdf_page(result.path, 0, dpi=50).convert("L")
    assert gray.getextrema()[0] < 100  # something dark was drawn (text, table, QR)


def test_a_village_prints_its_files_in_archive_code_order(engine, config, archive, tmp_path):
    village = archive[0]["village"]
    expected = sorted(h["archive_code"] for h in archive if h["village"] == village)
    result = print_covers(engine, config, tmp_path / "v.pdf", village=village, separators=False)
    texts = [page.extract_text() for page in PdfReader(result.path).pages]
    assert [next(code for code in expected if code in text) for text in texts] == expected


def test_printing_twice_gives_the_same_file(engine, config, archive, tmp_path):
    key = [archive[1]["cbfbm"]]
    one = print_covers(engine, config, tmp_path / "1.pdf", keys=key).path.read_bytes()
    two = print_covers(engine, config, tmp_path / "2.pdf", keys=key).path.read_bytes()
    assert one == two


def test_a_character_no_font_has_is_printed_as_a_box_and_named_in_a_warning(engine, config, archive, tmp_path):
    made_up = "\U000F0001"  # a character made with a 造字 program (private use): no font has it
    with engine.begin() as connection:
        connection.execute(update(Household.__table__).where(Household.__table__.c.code == archive[0]["cbfbm"])
                           .values(name=f"王{made_up}"))
    result = print_covers(engine, config, tmp_path / "r.pdf", keys=[archive[0]["cbfbm"]], separators=False)
    [warning] = result.warnings
    assert made_up in warning and archive[0]["archive_code"] in warning and "□" in warning
    assert "王□" in PdfReader(result.path).pages[0].extract_text()


@pytest.mark.parametrize("keys, village, message", [
    (["999999999999999999"], None, "999999999999999999"),
    ([], "没有这个村", "没有这个村"),
])
def test_unknown_files_are_refused_and_nothing_is_written(engine, config, archive, tmp_path, keys, village, message):
    with pytest.raises(ArchiveError, match=message):
        print_covers(engine, config, tmp_path / "x.pdf", keys=keys, village=village)
    assert not (tmp_path / "x.pdf").exists()


def test_a_configured_font_that_is_missing_names_the_key(tmp_path):
    with pytest.raises(ArchiveError, match="print.font"):
        load_font(str(tmp_path / "nope.ttf"))


def test_a_configured_file_that_is_not_a_font_is_refused(tmp_path):
    bad = tmp_path / "字体.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(ArchiveError, match="无法使用"):
        load_font(str(bad))


def test_the_bundled_font_has_the_common_characters():
    font = load_font(str(BUNDLED))
    assert font.missing("农村土地承包经营权确权登记颁证档案馆乡镇户主·（）：") == []
