"""Reading the text of a scanned page (识别), offline: RapidOCR's PP-OCR Chinese models, which
ship inside the ``rapidocr`` wheel, run by onnxruntime on the CPU. Nothing is downloaded.

One engine per process, loaded on first use (about half a second). A page is read at about
170 dpi (the long side at most 2,000 pixels; detection at 1,280), which reads printed 确权
forms and handwriting-sized print; the angle classifier is off (orientation is another check).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

READ_SIDE = 2000  # pixels, the long side of the page as read
DETECT_SIDE = 1280
GOOD_SCORE = 0.85  # a page read at this mean score or better is the right way up
_engine = None


@dataclass(frozen=True)
class Line:
    """One line of text read, with its box as shares of the page (left, top, right, bottom)."""

    text: str
    score: float
    box: tuple[float, float, float, float]


def engine():
    """The process's OCR engine (models from the wheel only; logging kept quiet)."""
    global _engine
    if _engine is None:
        from rapidocr import RapidOCR  # loaded late: the OCR models take seconds

        _engine = RapidOCR(params={"Global.use_cls": False, "Global.max_side_len": DETECT_SIDE,
                                   "Global.log_level": "error"})
    return _engine


def page_picture(path: Path) -> Image.Image:
    """The first page of an image file or the scanned picture of a PDF's first page, upright and
    in RGB, its long side at most READ_SIDE."""
    from archive_tui.scanning.pixels import NoPicture
    from archive_tui.scanning.sheets import page_image

    image = page_image(path)
    if image is None:
        raise NoPicture("PDF 第一页没有扫描图像（可能是电子文档而不是扫描件）")
    if image.format == "JPEG":
        image.draft("RGB", (READ_SIDE, READ_SIDE))
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((READ_SIDE, READ_SIDE), Image.Resampling.LANCZOS)
    return image


def read_picture(image: Image.Image) -> list[Line]:
    """The lines of text on ``image``, top to bottom."""
    result = engine()(np.asarray(image.convert("RGB")))
    if result.boxes is None or result.txts is None:
        return []
    width, height = image.size
    lines = []
    for points, text, score in zip(result.boxes, result.txts, result.scores):
        xs, ys = [float(x) for x, _ in points], [float(y) for _, y in points]
        box = (min(xs) / width, min(ys) / height, max(xs) / width, max(ys) / height)
        lines.append(Line(str(text), round(float(score), 3), tuple(round(v, 4) for v in box)))
    return sorted(lines, key=lambda line: (round(line.box[1], 2), line.box[0]))


def read_page(path: Path) -> list[Line]:
    return read_picture(page_picture(path))


def _weight(lines: list[Line]) -> float:
    """How much confident text a reading found: characters × their score."""
    return sum(line.score * len(line.text) for line in lines)


def _standing(lines: list[Line], size: tuple[int, int]) -> bool:
    """Most lines of text stand taller than wide: the page lies on its side (the engine reads
    such lines anyway, turning each, so only their shape tells)."""
    width, height = size
    shapes = [((line.box[3] - line.box[1]) * height > (line.box[2] - line.box[0]) * width)
              for line in lines if len(line.text) >= 4]
    return len(shapes) >= 2 and sum(shapes) > len(shapes) / 2


def read_upright(image: Image.Image) -> tuple[list[Line], int]:
    """The page's lines read the right way up, and how far it was turned when scanned (degrees
    clockwise to upright: 0, 90, 180 or 270). A page read well as it is costs one reading; a poor
    reading (upside down, or no text found) is tried turned, and the best reading wins."""
    lines = read_picture(image)
    scores = [line.score for line in lines]
    if lines and sum(scores) / len(scores) >= GOOD_SCORE and not _standing(lines, image.size):
        return lines, 0
    best, turn = lines, 0
    for angle in (180, 90, 270):
        turned = image.rotate(angle, expand=True)
        candidate = read_picture(turned)
        if _weight(candidate) > 1.5 * _weight(best) + 2 and not _standing(candidate, turned.size):
            best, turn = candidate, angle
            if sum(line.score for line in best) / len(best) >= GOOD_SCORE:
                break  # read well this way round: no need to try the others
    if turn == 0 and _standing(lines, image.size):
        for angle in (90, 270):
            turned = image.rotate(angle, expand=True)
            candidate = read_picture(turned)
            if not _standing(candidate, turned.size) and _weight(candidate) >= 0.8 * _weight(lines):
                return candidate, angle
    return best, turn
