"""The font chain: forms in the bundled 宋体, rare characters from the next face that has them,
□ and a warning for what none has."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config
from archive_tui.core.errors import ArchiveError
from archive_tui.reports.fonts import BUNDLED, BUNDLED_FALLBACKS, font_of, load_font
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.households.printing import print_covers
from models import Household
from tests.reports.pdf_reading import pages_of

EXT_B_SAMPLE = Path(__file__).parents[1] / "fixtures" / "fonts" / "hanamin-b-sample.ttf"


def renamed(engine, household, name):
    with engine.begin() as connection:
        connection.execute(update(Household.__table__).where(Household.__table__.c.code == household["cbfbm"])
                           .values(name=name))


def with_fallback(archive_dir, path) -> object:
    config_file = archive_dir / "config.toml"
    text = config_file.read_text(encoding="utf-8").replace("fallback_fonts = []", f"fallback_fonts = ['{path}']")
    config_file.write_text(text, encoding="utf-8")
    return load_config(config_file)


def fonts_embedded(path) -> set[str]:
    page = PdfReader(path).pages[0]
    return {font["/BaseFont"].split("+")[-1] for font in page["/Resources"]["/Font"].values()}


def test_the_forms_face_is_a_song_face_with_the_common_characters():
    font = load_font()
    assert font.path == BUNDLED and "UMing" in fonts_embedded_name(font)
    assert font.missing("农村土地承包经营权确权登记颁证档案馆乡镇户主·（）：□") == []


def fonts_embedded_name(font) -> str:
    from reportlab.pdfbase.pdfmetrics import getFont

    return getFont(font.name).face.name.decode("latin-1")


def test_an_extension_a_character_comes_from_the_bundled_second_face():
    font = load_font()
    lacking = next(chr(code) for code in range(0x3400, 0x4DC0) if code not in font.first.characters
                   and font.face_for(chr(code)) is not None)
    assert font.face_for(lacking).path == BUNDLED_FALLBACKS[0]
    assert font.runs(f"王{lacking}") == [(font.name, "王"), (font.face_for(lacking).name, lacking)]


def test_an_extension_b_name_prints_from_the_configured_fallback(engine, archive_dir, tmp_path):
    config = with_fallback(archive_dir, EXT_B_SAMPLE.as_posix())
    fill_demo(context_for(engine, config), households=3, seed=1)
    household = list_households(engine)[0]
    renamed(engine, household, "吉𠮷")
    assert font_of(config).face_for("𠮷").path == EXT_B_SAMPLE  # before any system face
    result = print_covers(engine, config, tmp_path / "封面.pdf", keys=[household["cbfbm"]], separators=False)
    assert result.warnings == []
    [drawn] = [char for char in pages_of(result.path)[0] if char.text == "𠮷"]
    assert drawn.right - drawn.left > 5  # a glyph, not a gap
    assert {"UMingCN", "HanaMinB"} <= fonts_embedded(result.path)  # both faces embedded


def test_a_fallback_font_that_is_missing_names_its_key(archive_dir, tmp_path):
    config = with_fallback(archive_dir, (tmp_path / "没有.ttf").as_posix())
    with pytest.raises(ArchiveError, match="print.fallback_fonts"):
        font_of(config)


def test_a_character_no_face_has_becomes_a_box_of_the_first_face():
    font = load_font()
    made_up = "\U000F0002"
    assert font.missing(f"李{made_up}明") == [made_up]
    assert font.runs(f"李{made_up}明") == [(font.name, "李□明")]


# ---- 通用规范汉字表: every character prints from the bundled faces alone ------------------------

TABLE_FILE = Path(__file__).parents[1] / "fixtures" / "tongyong-guifan-8105.txt"


def general_standard_table() -> list[str]:
    """The 8,105 characters of the 通用规范汉字表, in the table's order."""
    lines = TABLE_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def test_the_committed_table_is_the_whole_table():
    table = general_standard_table()
    assert len(table) == len(set(table)) == 8105 and all(len(char) == 1 for char in table)
    assert table[:4] == ["一", "乙", "二", "十"] and table[3499] == "矗" and table[6499] == "齉"
    assert sum(ord(char) > 0xFFFF for char in table) == 196  # Extension B, C, D, E


@pytest.mark.parametrize("level, first, last", [("一级字表", 1, 3500), ("二级字表", 3501, 6500),
                                                ("三级字表", 6501, 8105)])
def test_every_character_of_the_general_standard_table_prints_from_the_bundled_faces(level, first, last):
    font = load_font(system=False)  # the package's own faces only: what a fresh machine prints
    chars = general_standard_table()[first - 1:last]
    missing = [f"{char} U+{ord(char):04X}" for char in chars if font.face_for(char) is None]
    assert missing == [], f"{level}: no bundled face has {missing}"
    assert {face.path for char in chars for face in [font.face_for(char)]} <= {BUNDLED, *BUNDLED_FALLBACKS}


SUPPLEMENTARY = {"B": "𠳐𥻗", "C": "𫇭𪨰", "D": "𫟼𫠊", "E": "𬉼𫭟"}  # from the table, above U+FFFF


def test_the_table_s_supplementary_characters_and_the_surname_come_from_the_bundled_hanamin_b():
    font = load_font(system=False)
    assert {*font.later, *(face.path for face in font._opened)} <= set(BUNDLED_FALLBACKS)  # no system face
    for char in "𠮷" + "".join(SUPPLEMENTARY.values()):
        assert char == "𠮷" or char in general_standard_table()
        assert font.face_for(char).path == BUNDLED_FALLBACKS[1], char
