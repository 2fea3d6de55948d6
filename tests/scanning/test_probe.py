"""Probing real files made here: formats, pages, dpi, colour modes, and every kind of bad file."""

import hashlib

import pytest
from PIL import Image

from archive_tui.scanning.probe import ProbeProblem, probe

A4_300 = (2480, 3508)


def page(mode: str = "RGB", size=(620, 877)) -> Image.Image:
    image = Image.new(mode, size, "white" if mode != "1" else 1)
    for x in range(0, size[0], 40):  # some content, so compression has work to do
        for y in range(10, size[1], 60):
            image.putpixel((x, y), 0 if mode in ("1", "L") else (200, 0, 0))
    return image


def test_jpeg_with_dpi(tmp_path):
    path = tmp_path / "Z001-NJ·2018-Y-00001-0001.jpg"
    page().save(path, "JPEG", dpi=(300, 300), quality=85)
    result = probe(path)
    assert (result.format, result.pages, result.dpi, result.colour_mode) == ("JPEG", 1, 300, "colour")
    assert (result.width, result.height) == (620, 877)
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and result.size == path.stat().st_size
    assert result.thumbnail is not None and max(result.thumbnail.size) <= 256


def test_png_greyscale_low_dpi(tmp_path):
    path = tmp_path / "扫描 1.png"
    page("L").save(path, dpi=(150, 150))
    result = probe(path)
    assert (result.format, result.dpi, result.colour_mode) == ("PNG", 150, "grey")


def test_multi_page_tiff_and_bilevel_g4(tmp_path):
    path = tmp_path / "multi.tif"
    first, *rest = [page() for _ in range(3)]
    first.save(path, save_all=True, append_images=rest, dpi=(300, 300), compression="tiff_lzw")
    assert (probe(path).pages, probe(path).dpi) == (3, 300)
    g4 = tmp_path / "g4.tif"
    page("1").save(g4, compression="group4", dpi=(200, 200))
    result = probe(g4)
    assert (result.format, result.colour_mode, result.dpi) == ("TIFF", "bilevel", 200)


def test_pdf_pages(tmp_path):
    path = tmp_path / "合同.pdf"
    first, *rest = [page() for _ in range(4)]
    first.save(path, "PDF", save_all=True, append_images=rest, resolution=300)
    result = probe(path)
    assert (result.format, result.pages) == ("PDF", 4)


def test_file_without_dpi_says_zero(tmp_path):
    path = tmp_path / "nodpi.png"
    page().save(path)
    assert probe(path).dpi == 0


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b""), "文件为空"),
        (lambda p: p.write_text("这不是图像", encoding="utf-8"), "不是可识别的图像或 PDF"),
        (lambda p: p.write_bytes(b"%PDF-1.4\n%garbage"), "PDF 文件无法读取"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(tmp_path, make, reason):
    path = tmp_path / "bad.jpg"
    make(path)
    with pytest.raises(ProbeProblem, match=reason):
        probe(path)


def test_truncated_jpeg_is_refused(tmp_path):
    path = tmp_path / "cut.jpg"
    page(size=A4_300).save(path, "JPEG", dpi=(300, 300))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProbeProblem, match="损坏或不完整"):
        probe(path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    page("1", size=(4000, 4000)).save(path)
    assert probe(path, max_pixels=100_000_000).width == 4000
    with pytest.raises(ProbeProblem, match="解压炸弹"):
        probe(path, max_pixels=1_000_000)


def test_a_folder_is_not_a_file(tmp_path):
    folder = tmp_path / "Z001-NJ·2018-Y-00001"
    folder.mkdir()
    with pytest.raises(ProbeProblem, match="不是普通文件"):
        probe(folder)


@pytest.mark.parametrize("full_decode", [False, True])
def test_truncated_jpeg_is_refused_without_a_thumbnail_too(tmp_path, full_decode):
    path = tmp_path / "cut.jpg"
    page(size=A4_300).save(path, "JPEG", dpi=(300, 300))
    path.write_bytes(path.read_bytes()[:-20_000])
    with pytest.raises(ProbeProblem, match="损坏或不完整"):
        probe(path, thumbnail=False, full_decode=full_decode)


def test_a_tiff_whose_pages_differ_in_colour_mode_is_mixed(tmp_path):
    path = tmp_path / "mixed.tif"
    page("1").save(path, save_all=True, append_images=[page("RGB"), page("1")], dpi=(300, 300))
    assert probe(path).mixed == "raw/1、raw/RGB"
    same = tmp_path / "same.tif"
    page("L").save(same, save_all=True, append_images=[page("L")], dpi=(300, 300))
    assert probe(same).mixed == ""
