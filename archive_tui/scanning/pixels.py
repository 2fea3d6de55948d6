"""What the pixels of a scanned page say (图像质量检查): ink share, skew, dark borders, content
cut at the edge, and a perceptual hash for twins — measured at about 100 dpi, not 300.

Each measure is a number the intake records on the page; the rules that turn numbers into
findings (blank below a share, skew over 3°, …) read them with limits from config.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

WORK_DPI = 100  # enough for every measure here; a 300-dpi A4 page is decoded at a third of its size
MARGIN = 0.05  # the share of each side left out of the ink count (punch holes, a shadow at the edge)
INK = 160  # grey levels below this are ink on a page normalised to white paper
SKEW_RANGE = 12.0  # degrees searched either way
EDGE = 0.02  # the outer band (share of a side) looked at for dark borders
CUT = 0.01  # the outer band looked at for content cut by the edge (about 2 mm on A4)
PAPER_DARKEST = 128  # paper is never darker than this; a darker "paper" is a page scanned dark
PAPER_GRAIN = 200  # lighter than this on normalised paper is paper, for the hash
HASH_SIDE = 16  # a 256-bit pHash: 64 bits could not tell a rescan from another page of the same form
MARK_PIXELS = 6  # the smallest mark counted (at 100 dpi): dust and JPEG noise are smaller


class NoPicture(ValueError):
    """A file with no scanned picture to measure (a PDF made by a word processor)."""


@dataclass(frozen=True)
class PageMeasures:
    """A page's measured values, as recorded on it."""

    ink_share: float  # share of the page inside the margins that is ink (0 … 1)
    ink_marks: int  # separate marks of ink inside the margins (a character is a few; a stamp one)
    skew_degrees: float  # the text lines' angle, to 0.1°, positive counter-clockwise
    dark_border: float  # the largest share of one edge band that is dark (0 … 1)
    edge_content: float  # the most separate pieces of ink cut by one edge of the page
    phash: str  # 256-bit perceptual hash of the page turned straight, hex


def load_page(path: Path, dpi_hint: int | None = None) -> Image.Image:
    """The page in grey at about WORK_DPI: an image file's first page, decoded small when it is
    a JPEG (draft mode), or the scanned picture of a PDF's first page."""
    from archive_tui.scanning.sheets import page_image

    with path.open("rb") as handle:
        is_pdf = handle.read(5) == b"%PDF-"
    if is_pdf:
        image = page_image(path)
        if image is None:
            raise NoPicture("PDF 第一页没有扫描图像（可能是电子文档而不是扫描件）")
        return reduced(image, dpi_hint or 0)
    image = Image.open(path)
    dpi = dpi_hint or int((image.info.get("dpi") or (300, 300))[0] or 300)
    scale = max(1, dpi // WORK_DPI)
    if image.format == "JPEG" and scale > 1:
        image.draft("L", (image.width // scale, image.height // scale))  # decoded small: fast
    return reduced(image, dpi)


def reduced(image: Image.Image, dpi: int) -> Image.Image:
    """Grey, upright (EXIF), and no wider than an A4 page at about 100 dpi."""
    image = ImageOps.exif_transpose(image).convert("L")
    if image.width > 1400:
        factor = 1400 / image.width
        image = image.resize((1400, max(1, round(image.height * factor))), Image.Resampling.BILINEAR)
    return image


def _normalised(image: Image.Image) -> np.ndarray:
    """Grey values with the paper at 255: a grey or yellowed sheet reads like white paper."""
    pixels = np.asarray(image, dtype=np.float32)
    paper = float(np.percentile(pixels[::4, ::4], 90))  # every 16th pixel tells the paper's shade
    paper = max(paper, PAPER_DARKEST)  # a page dark all over is not dark paper: it stays dark
    return np.clip(pixels * (255.0 / paper), 0, 255)


def ink_share(pixels: np.ndarray) -> float:
    height, width = pixels.shape
    top, left = int(height * MARGIN), int(width * MARGIN)
    inside = pixels[top:height - top, left:width - left]
    return float((inside < INK).mean()) if inside.size else 0.0


def _profile_score(ink: np.ndarray) -> float:
    rows = ink.sum(axis=1)
    return float(np.square(np.diff(rows)).sum())


SKEW_WIDTH = 360  # pixels: the page is searched this small, which still resolves 0.1° on text pages


def skew_degrees(image: Image.Image) -> float:
    """The angle of the text lines by projection profiles: the rotation at which the rows of
    ink are sharpest, searched in steps of 2°, then 0.5°, then 0.1° on a reduced page (a text
    page's peak is several degrees wide at this size, so the coarse step cannot miss it)."""
    factor = SKEW_WIDTH / image.width
    small = image.resize((SKEW_WIDTH, max(1, round(image.height * factor))), Image.Resampling.BOX)
    ink = ImageOps.invert(small)
    scores: dict[float, float] = {}

    def score(angle: float) -> float:
        angle = round(float(angle), 2)
        if angle not in scores:
            turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=0)
            scores[angle] = _profile_score(np.asarray(turned, dtype=np.float32))
        return scores[angle]

    coarse = np.arange(-SKEW_RANGE, SKEW_RANGE + 0.01, 2.0)
    best = max(coarse, key=score)
    if max(scores.values()) - min(scores.values()) <= 1e-6 * max(scores.values(), default=0.0):
        return 0.0  # no lines to measure (an empty or uniform page): no angle
    best = max(np.arange(best - 1.5, best + 1.51, 0.5), key=score)
    best = max(np.arange(best - 0.4, best + 0.41, 0.1), key=score)
    best = min(max(float(best), -SKEW_RANGE), SKEW_RANGE)
    return round(-best, 1) + 0.0  # rotating by -best straightens it: the page leans +best


def _bands(pixels: np.ndarray) -> list[np.ndarray]:
    height, width = pixels.shape
    depth_y, depth_x = max(1, int(height * EDGE)), max(1, int(width * EDGE))
    return [pixels[:depth_y, :], pixels[-depth_y:, :], pixels[:, :depth_x].T, pixels[:, -depth_x:].T]


def dark_border(pixels: np.ndarray) -> float:
    """The largest share of an edge band that is dark: a scanner lid or a page smaller than the bed."""
    return max(float((band < INK).mean()) for band in _bands(pixels))


def edge_content(pixels: np.ndarray) -> int:
    """Content cut by the edge of the page: per outer band (1 % deep), the pieces of ink
    that reach into it — a cut text line or table rule is one each. A band dark all over,
    or a line along the whole edge, is a border (the other rule), not content."""
    height, width = pixels.shape
    depth_y, depth_x = max(1, int(height * CUT)), max(1, int(width * CUT))
    bands = [pixels[:depth_y, :], pixels[-depth_y:, :], pixels[:, :depth_x].T, pixels[:, -depth_x:].T]
    most = 0
    for band in bands:
        along = (band < INK).any(axis=0)
        if band.mean() < INK or along.mean() > 0.5:
            continue
        starts = np.flatnonzero(along[1:] & ~along[:-1]).size + int(along[0])
        most = max(most, starts)
    return most


def ink_marks(pixels: np.ndarray) -> int:
    """Separate marks inside the margins, each at least a few pixels: a text page has
    hundreds, a page with only a stamp or a stray stroke a handful."""
    from scipy import ndimage  # loaded late: scipy takes 0.5 s

    height, width = pixels.shape
    top, left = int(height * MARGIN), int(width * MARGIN)
    ink = pixels[top:height - top, left:width - left] < INK
    labels, count = ndimage.label(ink)
    if count == 0:
        return 0
    sizes = np.bincount(labels.ravel())[1:]
    return int((sizes >= MARK_PIXELS).sum())


def clean_paper(pixels: np.ndarray) -> Image.Image:
    """The page with its paper made white: the grain and the JPEG noise on it would otherwise
    sway a nearly empty page's hash and angle."""
    return Image.fromarray(np.where(pixels < PAPER_GRAIN, pixels, 255).astype(np.uint8))


def phash(clean: Image.Image, skew: float = 0.0) -> str:
    """The perceptual hash of the page turned straight (a rescan lies at another angle)."""
    import imagehash  # loaded late: imagehash pulls in scipy

    small = clean.resize((256, max(1, round(clean.height * 256 / clean.width))), Image.Resampling.BOX)
    if skew:
        small = small.rotate(-skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    return str(imagehash.phash(small, hash_size=HASH_SIDE))


def phash_distance(first: str, second: str) -> int:
    """Bits that differ: a rescan of one page is a few, different pages of one form a dozen."""
    return bin(int(first, 16) ^ int(second, 16)).count("1")


def measure(path: Path, dpi_hint: int | None = None) -> PageMeasures:
    """Every measure of a stored page (its first page, for a multi-page file)."""
    return measure_image(load_page(path, dpi_hint))


def measure_image(image: Image.Image) -> PageMeasures:
    pixels = _normalised(image)
    clean = clean_paper(pixels)
    skew = skew_degrees(clean)
    return PageMeasures(ink_share=round(ink_share(pixels), 5), ink_marks=ink_marks(pixels), skew_degrees=skew,
                        dark_border=round(dark_border(pixels), 3), edge_content=edge_content(pixels),
                        phash=phash(clean, skew))
