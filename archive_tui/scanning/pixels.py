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
EDGE = 0.02  # the outer band (share of a side) looked at for dark borders and cut content


@dataclass(frozen=True)
class PageMeasures:
    """A page's measured values, as recorded on it."""

    ink_share: float  # share of the page inside the margins that is ink (0 … 1)
    skew_degrees: float  # the text lines' angle, to 0.1°, positive counter-clockwise
    dark_border: float  # the largest share of one edge band that is dark (0 … 1)
    edge_content: float  # the largest share of one edge band's length that ink reaches (0 … 1)
    phash: str  # 64-bit perceptual hash, hex


def load_page(path: Path, dpi_hint: int | None = None) -> Image.Image:
    """The page in grey at about WORK_DPI; JPEGs are decoded at the reduced size directly."""
    image = Image.open(path)
    dpi = dpi_hint or int((image.info.get("dpi") or (300, 300))[0] or 300)
    scale = max(1, dpi // WORK_DPI)
    if image.format == "JPEG" and scale > 1:
        image.draft("L", (image.width // scale, image.height // scale))  # decoded small: fast
    image = ImageOps.exif_transpose(image).convert("L")
    if image.width > 1400:  # any format: about 100 dpi for an A4 page
        factor = 1400 / image.width
        image = image.resize((1400, max(1, round(image.height * factor))), Image.Resampling.BILINEAR)
    return image


def _normalised(image: Image.Image) -> np.ndarray:
    """Grey values with the paper at 255: a grey or yellowed sheet reads like white paper."""
    pixels = np.asarray(image, dtype=np.float32)
    paper = float(np.percentile(pixels[::4, ::4], 90))  # every 16th pixel tells the paper's shade
    return np.clip(pixels * (255.0 / max(paper, 1.0)), 0, 255)


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

    best = max(np.arange(-SKEW_RANGE, SKEW_RANGE + 0.01, 2.0), key=score)
    best = max(np.arange(best - 1.5, best + 1.51, 0.5), key=score)
    best = max(np.arange(best - 0.4, best + 0.41, 0.1), key=score)
    return round(-float(best), 1) + 0.0  # rotating by -best straightens it: the page leans +best


def _bands(pixels: np.ndarray) -> list[np.ndarray]:
    height, width = pixels.shape
    depth_y, depth_x = max(1, int(height * EDGE)), max(1, int(width * EDGE))
    return [pixels[:depth_y, :], pixels[-depth_y:, :], pixels[:, :depth_x].T, pixels[:, -depth_x:].T]


def dark_border(pixels: np.ndarray) -> float:
    """The largest share of an edge band that is dark: a scanner lid or a page smaller than the bed."""
    return max(float((band < INK).mean()) for band in _bands(pixels))


def edge_content(pixels: np.ndarray) -> float:
    """How much of an edge ink reaches (text cut off by a crop): per band, the share of its
    length with ink, only for bands that are not dark all over."""
    shares = []
    for band in _bands(pixels):
        dark = band < INK
        if dark.mean() < 0.6:  # a dark border is the other rule
            shares.append(float(dark.any(axis=0).mean()))
    return max(shares, default=0.0)


def phash(image: Image.Image) -> str:
    import imagehash

    small = image.resize((128, max(1, round(image.height * 128 / image.width))), Image.Resampling.BOX)
    return str(imagehash.phash(small))  # it reduces to 32×32 anyway; from 128 wide it is quick


def phash_distance(first: str, second: str) -> int:
    """Bits that differ: a rescan of one page is a few, different pages of one form a dozen."""
    return bin(int(first, 16) ^ int(second, 16)).count("1")


def measure(path: Path, dpi_hint: int | None = None) -> PageMeasures:
    image = load_page(path, dpi_hint)
    pixels = _normalised(image)
    return PageMeasures(ink_share=round(ink_share(pixels), 5), skew_degrees=skew_degrees(image),
                        dark_border=round(dark_border(pixels), 3), edge_content=round(edge_content(pixels), 3),
                        phash=phash(image))
