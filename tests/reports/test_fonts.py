"""The font chain: forms in the bundled 宋体, rare characters from the next face that has them,
□ and a warning for what none has."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from archive_tui.config import load_config
from archive_tui.errors import ArchiveError
from archive_tui.reports.fonts import BUNDLED, BUNDLED_FALLBACKS, font_of, load_font
from archive_tui.services.demo import fill_demo
from archive_tui.services.households import list_households
from archive_tui.services.printing import print_covers
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
    fill_demo(engine, config, households=3, seed=1)
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
