"""What the pixels of a scanned page say (图像质量检查): ink share, skew, dark borders, content
cut at the edge, and a perceptual hash for twins — measured at 75 dpi, not 300.

The page is decoded once, small: a JPEG at a reduced DCT scale (draft mode: a 300-dpi page at
1/4), other formats reduced once after decoding. Every measure is computed from that one grey
array with numpy: one binarisation (ink or not) serves the ink share, the marks, the borders
and the cut edges; one cleaned copy (paper made white) serves the angle and the hash.

Each measure is a number the intake records on the page; the rules that turn numbers into
findings (blank below a share, skew over 3°, …) read them with limits from config.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

WORK_DPI = 75  # enough for every measure here; a 300-dpi A4 page is decoded at a quarter of its size
MAX_WORK_PIXELS = 2_000_000  # a page of unknown resolution (a photo) is measured no larger than this
MARGIN = 0.05  # the share of each side left out of the ink count (punch holes, a shadow at the edge)
INK = 160  # grey levels below this are ink on a page normalised to white paper
SKEW_RANGE = 12.0  # degrees searched either way
EDGE = 0.02  # the outer band (share of a side) looked at for dark borders
CUT = 0.01  # the outer band looked at for content cut by the edge (about 2 mm on A4)
PAPER_DARKEST = 128  # paper is never darker than this; a darker "paper" is a page scanned dark
PAPER_GRAIN = 230  # lighter than this on normalised paper is paper, for the angle and the hash
HASH_SIDE = 16  # a 256-bit pHash: 64 bits could not tell a rescan from another page of the same form
MARK_PIXELS = 2  # the smallest mark counted (at 75 dpi): dust and JPEG noise are smaller
SKEW_WIDTH = 360  # pixels: the page is searched this small, which still resolves 0.1° on text pages
# points of ink the angle is measured on, at most: a text page has 30,000–80,000 at SKEW_WIDTH;
# 4,000 still find every test page's angle to 0.2°, 2,000 do not
SKEW_POINTS = 6_000
# pixels: the page is turned straight this small before it is hashed (wider keeps the noise that
# tells two scans of one sheet apart)
HASH_WIDTH = 128
ORIENTATION = 0x0112  # the EXIF tag of a photo's turn
A4_LONG_INCHES = 11.69


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


# ---- decoding, once and small ----------------------------------------------------------------------


def load_page(source: Path | bytes, dpi_hint: int | None = None) -> Image.Image:
    """The page in grey at about WORK_DPI: an image file's first page, decoded small when it is
    a JPEG (draft mode), or the scanned picture of a PDF's first page. ``source``: the file, or
    its bytes already read (to hash and measure them from one read)."""
    with (io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")) as handle:
        if handle.read(5) == b"%PDF-":
            return _to_work_size(_pdf_picture(handle), dpi_hint)
        handle.seek(0)
        return _to_work_size(Image.open(handle), dpi_hint)


def _pdf_picture(handle) -> Image.Image:
    from pypdf import PdfReader  # loaded late: pypdf takes 0.2 s

    from archive_tui.scanning.sheets import first_pdf_picture

    handle.seek(0)
    image = first_pdf_picture(PdfReader(handle))
    if image is None:
        raise NoPicture("PDF 第一页没有扫描图像（可能是电子文档而不是扫描件）")
    return image


def _to_work_size(image: Image.Image, dpi_hint: int | None) -> Image.Image:
    """Decoded once, as small as the measures allow: a JPEG at the DCT scale nearest above the
    work size, anything else reduced after decoding."""
    longest = max(image.size)
    scale = _work_scale(image.size, dpi_hint or _dpi_of(image))
    if image.format == "JPEG" and scale >= 2:
        image.draft("L", (int(image.width / scale), int(image.height / scale)))  # decoded small: fast
    image = _grey_upright(image)
    still = scale * max(image.size) / longest  # a JPEG's draft stops at 1/2, 1/4 or 1/8
    return _shrunk(image, still) if still >= 1.25 else image


def _dpi_of(image: Image.Image) -> int:
    """The coarser of the two resolutions the file states (as the intake records it), 0 when none."""
    try:
        return int(round(min(float(value) for value in image.info.get("dpi") or (0, 0))))
    except (TypeError, ValueError):
        return 0


def _work_scale(size: tuple[int, int], dpi: int) -> float:
    """How many times smaller than the file the page is measured: down to WORK_DPI (a file
    that does not say its resolution is taken as an A4 page), never larger than MAX_WORK_PIXELS."""
    dpi = dpi or max(size) / A4_LONG_INCHES
    return max(1.0, dpi / WORK_DPI, math.sqrt(size[0] * size[1] / MAX_WORK_PIXELS))


def _grey_upright(image: Image.Image) -> Image.Image:
    """Grey, and upright when a camera's EXIF says it was turned (only then: a copy costs time)."""
    image.load()  # decoded now, while its file is open
    if image.getexif().get(ORIENTATION, 1) not in (1, None):
        image = ImageOps.exif_transpose(image)
    return image if image.mode == "L" else image.convert("L")


def _shrunk(image: Image.Image, scale: float) -> Image.Image:
    whole = round(scale)
    if abs(scale - whole) < 0.05:
        return image.reduce(whole)  # a box average by a whole factor: the quickest way down
    size = (max(1, round(image.width / scale)), max(1, round(image.height / scale)))
    return image.resize(size, Image.Resampling.BOX)


# ---- the measures, from one array ------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    """The decoded page once more as the measures want it: the grey values, the paper's shade
    and the one binarisation (ink or not) they share."""

    grey: np.ndarray  # uint8, as decoded
    paper: float  # the paper's grey level (90th percentile), never darker than PAPER_DARKEST
    ink: np.ndarray  # bool: darker than INK on paper normalised to white

    @classmethod
    def of(cls, image: Image.Image) -> _Page:
        grey = np.asarray(image, dtype=np.uint8)
        counts = np.bincount(grey[::2, ::2].ravel(), minlength=256)  # every 4th pixel tells the paper's shade
        paper = float(np.searchsorted(np.cumsum(counts), 0.9 * counts.sum())) if grey.size else 255.0
        paper = max(paper, PAPER_DARKEST)  # a page dark all over is not dark paper: it stays dark
        return cls(grey, paper, grey < math.ceil(INK * paper / 255))

    def normalised_mean(self, part: np.ndarray) -> float:
        """The mean grey of a part of the page with the paper at 255."""
        return float(np.minimum(part.astype(np.float32) * (255.0 / self.paper), 255.0).mean()) if part.size else 255.0

    def clean(self, image: Image.Image) -> Image.Image:
        """The page with its paper made white: the grain and the JPEG noise on it would otherwise
        sway a nearly empty page's hash and angle (one table lookup per pixel)."""
        levels = np.minimum(np.arange(256) * (255.0 / self.paper), 255.0)
        table = np.where(levels < PAPER_GRAIN, levels, 255.0).round().astype(np.uint8)
        return image.point(table.tolist())


def _inside(array: np.ndarray) -> np.ndarray:
    height, width = array.shape
    top, left = int(height * MARGIN), int(width * MARGIN)
    return array[top:height - top, left:width - left]


def ink_share(page: _Page) -> float:
    inside = _inside(page.ink)
    return float(inside.mean()) if inside.size else 0.0


def ink_marks(page: _Page) -> int:
    """Separate marks inside the margins, each at least a few pixels: a text page has
    hundreds, a page with only a stamp or a stray stroke a handful."""
    from scipy import ndimage  # loaded late: scipy takes 0.5 s

    labels, count = ndimage.label(_inside(page.ink))
    if count == 0:
        return 0
    sizes = np.bincount(labels.ravel())[1:]
    return int((sizes >= MARK_PIXELS).sum())


def _bands(array: np.ndarray, depth: float) -> list[np.ndarray]:
    """The four outer bands of a side's ``depth`` share, each laid along its edge."""
    height, width = array.shape
    depth_y, depth_x = max(1, int(height * depth)), max(1, int(width * depth))
    return [array[:depth_y, :], array[-depth_y:, :], array[:, :depth_x].T, array[:, -depth_x:].T]


def dark_border(page: _Page) -> float:
    """The largest share of an edge band that is dark: a scanner lid or a page smaller than the bed."""
    return max(float(band.mean()) if band.size else 0.0 for band in _bands(page.ink, EDGE))


def edge_content(page: _Page) -> int:
    """Content cut by the edge of the page: per outer band (1 % deep), the pieces of ink
    that reach into it — a cut text line or table rule is one each. A band dark all over,
    or a line along the whole edge, is a border (the other rule), not content."""
    most = 0
    for ink, grey in zip(_bands(page.ink, CUT), _bands(page.grey, CUT)):
        along = ink.any(axis=0)
        if along.size == 0 or page.normalised_mean(grey) < INK or along.mean() > 0.5:
            continue
        starts = np.flatnonzero(along[1:] & ~along[:-1]).size + int(along[0])
        most = max(most, starts)
    return most


def _straightness(points: tuple[np.ndarray, np.ndarray, np.ndarray], angles: np.ndarray, length: int) -> np.ndarray:
    """For each angle, how sharp the rows of ink are when the page is turned back by it: the
    squared steps of the row profile. All angles at once: each point's row under each turn,
    its weight split between the two rows it falls between (as a bilinear turn would)."""
    xs, ys, weights = points
    radians = np.radians(angles).astype(np.float32)[:, None]
    rows = xs[None, :] * np.sin(radians) + ys[None, :] * np.cos(radians) + np.float32(length / 2)
    lower = np.floor(rows)
    upper_share = (rows - lower) * weights
    index = lower.astype(np.int64) + np.arange(len(angles))[:, None] * (length + 1)
    size = len(angles) * (length + 1) + 1
    profile = (np.bincount(index.ravel(), (weights - upper_share).ravel(), minlength=size)
               + np.bincount(index.ravel() + 1, upper_share.ravel(), minlength=size))
    profile = profile[:len(angles) * (length + 1)].reshape(len(angles), length + 1)
    return np.square(np.diff(profile, axis=1)).sum(axis=1)


def skew_degrees(clean: Image.Image) -> float:
    """The angle of the text lines by projection profiles: the turn at which the rows of ink
    are sharpest, searched in steps of 2°, then 0.5°, then 0.1° on a reduced page (a text
    page's peak is several degrees wide at this size, so the coarse step cannot miss it).
    Positive: the page leans counter-clockwise."""
    factor = SKEW_WIDTH / clean.width
    small = clean.resize((SKEW_WIDTH, max(1, round(clean.height * factor))), Image.Resampling.BOX)
    darkness = 255.0 - np.asarray(small, dtype=np.float32)
    ys, xs = np.nonzero(darkness)
    if xs.size == 0:
        return 0.0  # nothing on the page: no angle
    if xs.size > SKEW_POINTS:  # a dense page: a random share of its ink tells the angle as well (every n-th
        # point would be a lattice, which lines up into false rows at some angle: a dark frame did at 10°)
        kept = np.random.default_rng(0).random(xs.size) < SKEW_POINTS / xs.size
        ys, xs = ys[kept], xs[kept]
    # centred on a whole pixel, so that unturned rows fall on whole rows and are not spread over two
    points = ((xs - small.width // 2).astype(np.float32), (ys - small.height // 2).astype(np.float32),
              darkness[ys, xs])
    length = 2 * (int(math.ceil(math.hypot(small.width, small.height))) // 2 + 2)
    best, scores = 0.0, np.zeros(0)
    for step, around in ((2.0, None), (0.5, 1.5), (0.1, 0.4)):
        if around is None:
            angles = np.arange(-SKEW_RANGE, SKEW_RANGE + 0.01, step)
        else:
            angles = np.arange(best - around, best + around + step / 2, step)
        found = _straightness(points, angles, length)
        if around is None:
            scores = found
        best = float(angles[int(np.argmax(found))])
    if scores.max() - scores.min() <= 1e-6 * scores.max():
        return 0.0  # no lines to measure (a uniform page): no angle
    return round(min(max(best, -SKEW_RANGE), SKEW_RANGE), 1) + 0.0


def phash(clean: Image.Image, skew: float = 0.0) -> str:
    """The perceptual hash of the page turned straight (a rescan lies at another angle)."""
    import imagehash  # loaded late: imagehash pulls in scipy

    small = clean.resize((HASH_WIDTH, max(1, round(clean.height * HASH_WIDTH / clean.width))), Image.Resampling.BOX)
    if skew:
        small = small.rotate(-skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    return str(imagehash.phash(small, hash_size=HASH_SIDE))


def phash_distance(first: str, second: str) -> int:
    """Bits that differ: a rescan of one page is a few, different pages of one form a dozen."""
    return bin(int(first, 16) ^ int(second, 16)).count("1")


def measure(source: Path | bytes, dpi_hint: int | None = None) -> PageMeasures:
    """Every measure of a stored page (its first page, for a multi-page file), from its file or its bytes."""
    return measure_image(load_page(source, dpi_hint))


def measure_image(image: Image.Image) -> PageMeasures:
    page = _Page.of(image)
    clean = page.clean(image)
    skew = skew_degrees(clean)
    return PageMeasures(ink_share=round(ink_share(page), 5), ink_marks=ink_marks(page), skew_degrees=skew,
                        dark_border=round(dark_border(page), 3), edge_content=edge_content(page),
                        phash=phash(clean, skew))
