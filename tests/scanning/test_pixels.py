"""The pixel measures on seeded defects: form pages rendered with Chinese text (the bundled
宋体), then turned, blanked, bordered, cropped, rescanned with noise and JPEG loss."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from archive_tui.scanning.pixels import measure, phash_distance
from tests.fixtures.seeded_pages import A4, cropped, form_page, saved, scanned, sparse_page


@pytest.mark.parametrize("angle", [-8.0, -3.0, -1.2, -0.5, 0.0, 0.6, 2.0, 4.5])
def test_the_skew_of_a_text_page_is_measured_to_a_few_tenths_of_a_degree(tmp_path, angle):
    page = form_page(1).rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=250)
    measured = measure(saved(page, tmp_path / "p.jpg")).skew_degrees
    assert abs(measured - angle) <= 0.3, measured


@pytest.mark.parametrize(("make", "blank"), [
    (lambda: Image.new("L", A4, 248), True),
    (lambda: Image.new("L", A4, 215).point(lambda v: v), True),  # grey, yellowed paper: still blank
    (lambda: form_page(2), False),
])
def test_a_blank_page_has_almost_no_ink(tmp_path, make, blank):
    share = measure(saved(make(), tmp_path / "p.jpg")).ink_share
    assert (share < 0.002) == blank, share


def test_a_stamp_alone_is_a_mark_or_two_and_a_short_statement_is_many(tmp_path):
    page = Image.new("L", A4, 250)
    ImageDraw.Draw(page).ellipse((500, 700, 740, 940), outline=40, width=8)
    stamp = measure(saved(page, tmp_path / "stamp.jpg"))
    statement = measure(saved(scanned(sparse_page(3), 3), tmp_path / "statement.jpg"))
    assert 0.002 < stamp.ink_share < 0.01 and stamp.ink_marks <= 2
    assert statement.ink_share < 0.01 and statement.ink_marks > 50


def test_a_dark_border_and_a_cropped_page_are_told_apart_from_a_good_one(tmp_path):
    good = measure(saved(form_page(3), tmp_path / "good.jpg"))
    bordered = form_page(3)
    ImageDraw.Draw(bordered).rectangle((0, 0, 60, A4[1]), fill=10)  # the scanner lid along the left edge
    cut = cropped(form_page(3), 1)  # the text cut off at one side
    assert good.dark_border < 0.1 and good.edge_content == 0
    border = measure(saved(bordered, tmp_path / "border.jpg"))
    assert border.dark_border > 0.8 and border.edge_content < 3  # the border's corners touch the other edges
    assert measure(saved(cut, tmp_path / "crop.jpg")).edge_content >= 10


def test_a_rescan_at_another_angle_is_a_near_twin_and_another_page_of_the_form_is_not(tmp_path):
    original = form_page(4)
    first = measure(saved(scanned(original, 1, angle=-1.5), tmp_path / "a.jpg")).phash
    again = measure(saved(scanned(original, 9, angle=1.2), tmp_path / "b.jpg", quality=60)).phash
    other = measure(saved(scanned(form_page(5), 2, angle=-1.5), tmp_path / "c.jpg")).phash
    assert len(first) == 64  # 256 bits
    assert phash_distance(first, again) <= 20 < 50 <= phash_distance(first, other)


@pytest.mark.parametrize(("name", "make"), [
    ("one.png", lambda: Image.new("L", (1, 1), 0)),
    ("strip.jpg", lambda: Image.new("RGB", (5000, 10), "white")),
    ("cmyk.jpg", lambda: Image.new("CMYK", (800, 1100), (0, 0, 0, 10))),
    ("sixteen.tif", lambda: Image.new("I;16", (800, 1100), 40000)),
    ("palette.png", lambda: Image.new("P", (800, 1100), 3)),
    ("clear.png", lambda: Image.new("RGBA", (800, 1100), (255, 255, 255, 0))),
    ("bilevel.tif", lambda: Image.new("1", (2480, 3508), 1)),
])
def test_odd_images_are_measured_without_failing_and_a_uniform_page_has_no_angle(tmp_path, name, make):
    path = tmp_path / name
    make().save(path)
    found = measure(path)
    assert 0 <= found.ink_share <= 1 and found.ink_marks <= 1 and len(found.phash) == 64
    assert found.skew_degrees == 0.0 or found.ink_share == 1.0  # an empty sheet is not at 12° or 14°


def test_a_pdf_without_a_scanned_picture_says_so(tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    from archive_tui.services.intake.page_quality import measured_values

    canvas = Canvas(str(tmp_path / "typed.pdf"))
    canvas.drawString(100, 700, "typed, not scanned")
    canvas.save()
    values = measured_values(tmp_path / "typed.pdf", 0)
    assert "没有扫描图像" in values["measure_note"] and values["phash"] == "" and values["measured_at"]


def test_a_page_scanned_dark_all_over_is_dark_not_blank_paper(tmp_path):
    found = measure(saved(Image.new("L", A4, 5), tmp_path / "dark.jpg"))
    assert found.ink_share > 0.9 and found.dark_border > 0.9


def test_a_page_measures_the_same_from_its_file_or_its_bytes_and_at_300_or_150_dpi(tmp_path):
    """Every page is measured at 75 dpi (a 300-dpi JPEG decoded at a quarter, a 150-dpi one at a
    half), so the figures do not hang on the scanner's resolution."""
    page = scanned(form_page(6), 7, angle=1.5)
    fine = saved(page.resize((A4[0] * 2, A4[1] * 2), Image.Resampling.BICUBIC), tmp_path / "fine.jpg", dpi=300)
    coarse = saved(page, tmp_path / "coarse.jpg")
    from_file, from_bytes = measure(fine), measure(fine.read_bytes())
    assert from_file == from_bytes
    other = measure(coarse)
    assert abs(from_file.skew_degrees - 1.5) <= 0.3 and abs(other.skew_degrees - 1.5) <= 0.3
    assert abs(from_file.ink_share - other.ink_share) < 0.2 * other.ink_share
    assert phash_distance(from_file.phash, other.phash) <= 20
