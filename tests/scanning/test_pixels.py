"""The pixel measures on seeded defects: form pages rendered with Chinese text (the bundled
宋体), then turned, blanked, bordered, cropped, rescanned with noise and JPEG loss."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from archive_tui.reports.fonts import BUNDLED
from archive_tui.scanning.pixels import measure, phash_distance

DPI = 150
A4 = (1240, 1754)  # 210 × 297 mm at 150 dpi
CHARACTERS = "农村土地承包经营权确权登记调查表承包方代表姓名身份证号码家庭成员地块名称面积四至东南西北备注签字日期"


def form_page(seed: int, title: str = "承包方调查表") -> Image.Image:
    """A page like a 确权 form: a title, ruled rows and handwriting-length Chinese lines."""
    rng = random.Random(seed)
    page = Image.new("L", A4, 250)
    draw = ImageDraw.Draw(page)
    big, small = ImageFont.truetype(str(BUNDLED), 48), ImageFont.truetype(str(BUNDLED), 26)
    draw.text((A4[0] // 2 - 170, 140), title, font=big, fill=20)
    for row in range(24):
        y = 280 + row * 54
        draw.line((110, y, A4[0] - 110, y), fill=60, width=2)
        text = "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(12, 30)))
        draw.text((130, y + 12), text, font=small, fill=30)
    return page


def saved(image: Image.Image, path, quality: int = 85):
    image.save(path, dpi=(DPI, DPI), quality=quality)
    return path


def rescan(image: Image.Image, seed: int) -> Image.Image:
    """The same sheet through the scanner again: a little blur and noise."""
    rng = random.Random(seed)
    noisy = image.filter(ImageFilter.GaussianBlur(0.6)).point(lambda v: max(0, min(255, v + rng.randint(-6, 6))))
    return noisy.rotate(0.2, fillcolor=250)


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


def test_a_stamp_alone_is_little_ink_but_not_none(tmp_path):
    page = Image.new("L", A4, 250)
    ImageDraw.Draw(page).ellipse((500, 700, 740, 940), outline=40, width=8)
    share = measure(saved(page, tmp_path / "p.jpg")).ink_share
    assert 0.002 < share < 0.01


def test_a_dark_border_and_a_cropped_page_are_told_apart_from_a_good_one(tmp_path):
    good = measure(saved(form_page(3), tmp_path / "good.jpg"))
    bordered = form_page(3)
    ImageDraw.Draw(bordered).rectangle((0, 0, 60, A4[1]), fill=10)  # the scanner lid along the left edge
    cropped = form_page(3).crop((300, 0, A4[0], A4[1])).resize(A4)  # the left of the text cut off
    assert good.dark_border < 0.1 and good.edge_content < 0.2
    assert measure(saved(bordered, tmp_path / "border.jpg")).dark_border > 0.8
    assert measure(saved(cropped, tmp_path / "crop.jpg")).edge_content > 0.3


def test_a_rescan_is_a_near_twin_and_another_page_of_the_form_is_not(tmp_path):
    original = form_page(4)
    first = measure(saved(original, tmp_path / "a.jpg")).phash
    again = measure(saved(rescan(original, 9), tmp_path / "b.jpg", quality=60)).phash
    other = measure(saved(form_page(5), tmp_path / "c.jpg")).phash
    assert phash_distance(first, again) <= 6 < 10 <= phash_distance(first, other)
