"""What a printed PDF holds: every font embedded (none only named, such as reportlab's Helvetica);
a name with characters from CJK Extension B, C, E prints from the bundled faces and reads back;
and every form warns of a character no face has instead of printing □ silently."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from archive_tui.bootstrap import context_for
from archive_tui.reports.fonts import BUNDLED, BUNDLED_FALLBACKS, NO_GLYPH, font_of, load_font
from archive_tui.reports.pdf import Sheet
from archive_tui.services.registers import copies
from archive_tui.services.households import printing
from archive_tui.services.quality import file_forms
from archive_tui.services.registers import custody_forms
from archive_tui.services.registers import record_items as items
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.registers.monthly import Month, print_monthly
from archive_tui.services.registers.use_register import NewUse, add_use, make_use_register
from models import Household
from tests.reports.pdf_reading import pages_of, page_text

# 𠮷 (a surname's variant) and characters of the 通用规范汉字表 from Extension B (𠳐), C (𫇭), E (𬉼)
RARE_NAME = "𠮷𠳐𫇭𬉼"
MADE_UP = "\U000F0005"  # a character made with a 造字 program (private use): no face has it
STANDARD_FONTS = re.compile(r"""["'](Helvetica|Times-Roman|Times-Bold|Courier|Symbol|ZapfDingbats)""")


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=3, seed=4)
    return list_households(engine)


def rename(engine, household: dict, name: str) -> None:
    table = Household.__table__
    with engine.begin() as connection:
        connection.execute(update(table).where(table.c.code == household["cbfbm"]).values(name=name))


def fonts_of(path: Path) -> dict[str, bool]:
    """Every font any page of the PDF uses (its resources, and those of its forms): embedded?"""
    found: dict[str, bool] = {}

    def walk(resources) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            name = str(font.get("/BaseFont", "?")).lstrip("/")
            found[name] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in PdfReader(path).pages:
        walk(page.get("/Resources"))
    return found


def pdffonts(path: Path) -> dict[str, bool]:
    """The same as poppler's pdffonts lists it (name … emb sub uni object ID)."""
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    return {line.split()[0]: line.split()[-5] == "yes" for line in lines[2:] if line.strip()}


def assert_every_font_embedded(path: Path) -> None:
    fonts = fonts_of(path)
    assert fonts and all(fonts.values()), f"{path.name}: not embedded {[n for n, e in fonts.items() if not e]}"
    assert not any("Helvetica" in name for name in fonts)
    if shutil.which("pdffonts"):
        listed = pdffonts(path)
        assert listed and all(listed.values()), f"{path.name}: pdffonts {listed}"


def test_every_printed_form_embeds_every_font_it_uses(engine, config, township, tmp_path):
    village = township[0]["village"]
    copies.box_files(context_for(engine, config), village=village, capacity=5, level="township")
    plan = items.NewItem("01", "城关镇确权登记颁证工作实施方案", dt.date(2024, 3, 5), pages=8)
    items.add_item(context_for(engine, config), plan)
    add_use(context_for(engine, config), NewUse(township[0]["cbfbm"], "consult", "王五", dt.date(2026, 4, 2),
                                                purpose="查对"))
    made = [
        printing.print_covers(engine, config, tmp_path / "封面.pdf", keys=[township[0]["cbfbm"]]).path,  # QR codes
        file_forms.print_contents(engine, config, tmp_path / "卷内目录.pdf", keys=[township[1]["cbfbm"]]).path,
        custody_forms.print_shelf_list(engine, config, tmp_path / "案卷目录.pdf", village=village).path,
        custody_forms.print_box_labels(engine, config, tmp_path / "盒脊.pdf", village=village).path,
        items.make_catalogue(engine, config, out=tmp_path / "归档文件目录.pdf").path,
        make_use_register(engine, config, 2026, tmp_path / "利用登记表.pdf").path,
        print_monthly(engine, config, Month.parse(None), tmp_path / "月报.pdf"),
    ]
    for path in made:
        assert_every_font_embedded(path)


def test_a_draft_sheet_with_a_qr_code_names_no_unembedded_font(tmp_path):
    sheet = Sheet(tmp_path / "草稿.pdf", load_font(), "草稿", draft=True)
    sheet.qr(100, 400, "Z001-NJ·2018-Y-00001", 80)
    sheet.next_page()
    sheet.save()
    assert set(fonts_of(sheet.path)) == {"AAAAAA+UMingCN"} and all(fonts_of(sheet.path).values())


def test_no_code_sets_a_standard_font_that_would_not_be_embedded():
    sources = Path(__file__).parents[2] / "archive_tui"
    for source in sources.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert not STANDARD_FONTS.search(text), source
        assert "reportlab.lib.styles" not in text and "reportlab.platypus" not in text, source  # default styles


def test_a_name_with_extension_b_c_e_characters_prints_from_the_bundled_faces_and_reads_back(
        engine, config, township, tmp_path):
    household = township[0]
    rename(engine, household, RARE_NAME)
    font = font_of(config)
    assert {font.face_for(char).path for char in RARE_NAME} == {BUNDLED_FALLBACKS[1]}  # not a system face
    result = printing.print_covers(engine, config, tmp_path / "封面.pdf", keys=[household["cbfbm"]],
                                   separators=False)
    assert result.warnings == []
    text = PdfReader(result.path).pages[0].extract_text()
    assert RARE_NAME in text and NO_GLYPH not in text
    drawn = [char for char in pages_of(result.path)[0] if char.text in RARE_NAME]
    assert "".join(char.text for char in drawn) == RARE_NAME  # as 户主
    assert all(char.right - char.left > 5 for char in drawn)  # glyphs, not gaps
    assert {"UMingCN", "HanaMinB"} == {name.split("+")[-1] for name in fonts_of(result.path)}
    assert_every_font_embedded(result.path)
    if shutil.which("pdftotext"):
        extracted = subprocess.run(["pdftotext", str(result.path), "-"], capture_output=True, text=True,
                                   check=True).stdout
        assert RARE_NAME in extracted and NO_GLYPH not in extracted


def test_the_bundled_first_face_is_what_forms_are_set_in(config):
    assert font_of(config).path == BUNDLED


# ---- a character no face has: □ and a warning naming it, on the forms that had none ---------------

def test_items_print_warns_of_a_character_no_face_has(cli, archive_dir, tmp_path):
    title = f"关于{MADE_UP}家庄地块的说明"
    added = cli("items", "add", "--type", "01", "--title", title, "--date", "2024-03-05", cwd=archive_dir)
    assert added.code == 0
    printed = cli("items", "print", "--out", tmp_path / "目录.pdf", cwd=archive_dir)
    assert printed.code == 0 and "归档文件目录" in printed.out
    assert "注意" in printed.err and MADE_UP in printed.err and "Z001-WS·2024-Y-0001" in printed.err
    assert "U+F0005" in printed.err and NO_GLYPH in printed.err
    assert f"关于{NO_GLYPH}家庄" in "".join(page_text(chars) for chars in pages_of(tmp_path / "目录.pdf"))


def test_use_list_out_warns_of_a_character_no_face_has(cli, engine, config, township, archive_dir, tmp_path):
    person = f"王{MADE_UP}"
    added = cli("use", "add", township[0]["cbfbm"], "--kind", "consult", "--person", person, "--purpose", "查对",
                "--date", "2026-04-02", cwd=archive_dir)
    assert added.code == 0
    printed = cli("use", "list", "--year", "2026", "--out", tmp_path / "利用.pdf", cwd=archive_dir)
    assert printed.code == 0 and "档案利用登记表" in printed.out
    assert "注意" in printed.err and MADE_UP in printed.err and "利用2026-001" in printed.err
    assert f"王{NO_GLYPH}" in "".join(page_text(chars) for chars in pages_of(tmp_path / "利用.pdf"))


def test_the_forms_in_a_spreadsheet_need_no_font_and_do_not_warn(engine, config, tmp_path):
    items.add_item(context_for(engine, config), items.NewItem("01", f"关于{MADE_UP}的说明", dt.date(2024, 3, 5)))
    result = items.make_catalogue(engine, config, out=tmp_path / "目录.xlsx")
    assert result.warnings == [] and result.path.is_file()


def rename_village(engine, household: dict, name: str) -> None:
    from models import Issuer

    table = Issuer.__table__
    with engine.begin() as connection:
        connection.execute(update(table).where(table.c.village_code == household["cbfbm"][:12])
                           .values(village_name=name))


@pytest.mark.parametrize(("command", "boxed"), [
    (("print", "covers", "--no-separators"), True), (("print", "contents"), True), (("print", "notes"), True),
    (("certs", "roster", "--village", "{village}"), True), (("report", "monthly", "--month", "{month}"), True),
    (("certs", "report"), True), (("print", "shelf-list"), False),  # the 案卷题名 was made before the rename
])
def test_every_form_that_prints_a_character_as_a_box_says_so(cli, engine, township, archive_dir, tmp_path, command,
                                                             boxed):
    """No form without exception prints □ unsaid: its own warning names the household, and any
    character no warning named is named by the form's file (the text it stood in)."""
    household = township[0]
    village = f"东{MADE_UP}村"
    rename(engine, household, f"王{MADE_UP}")
    rename_village(engine, household, village)
    out = tmp_path / "表.pdf"
    args = [part.format(village=village, month=dt.date.today().strftime("%Y-%m")) for part in command]
    printed = cli(*args, "--out", out, cwd=archive_dir)
    assert printed.code == 0, printed.err
    text = "".join(page_text(chars) for chars in pages_of(out))
    assert (NO_GLYPH in text) == boxed  # the form shows the name or the village, or neither
    assert ("U+F0005" in printed.err and "注意" in printed.err) == boxed, (args, printed.err)


def test_a_share_whose_list_prints_a_box_says_so(cli, engine, township, archive_dir, tmp_path):
    rename(engine, township[0], f"王{MADE_UP}")
    made = cli("share", "new", "--to", f"正定县自然资源局{MADE_UP}", "--out", tmp_path / "共享", cwd=archive_dir)
    assert made.code == 0, made.err
    assert "资料清单.pdf" in made.err and "U+F0005" in made.err
