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
        from rapidocr import RapidOCR

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
