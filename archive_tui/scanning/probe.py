"""Probing a scanned file (扫描件检测): what it is, how big, how fine, and its SHA-256.

Pillow reads images (TIFF pages, dpi, colour mode); pypdf reads PDF page counts and
sizes. Anything unreadable raises :class:`ProbeProblem` with a Chinese reason, so the
intake can quarantine it; decompression bombs are refused before they are decoded.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

CHUNK = 1 << 20  # 1 MiB
DEFAULT_MAX_PIXELS = 120_000_000  # an A0 sheet at 300 dpi is about 140 million: refuse beyond this
THUMBNAIL = (256, 256)

FORMAT_NAMES = {"JPEG": "JPEG", "TIFF": "TIFF", "PNG": "PNG", "JPEG2000": "JPEG2000", "PDF": "PDF"}
COLOUR_MODES = {"1": "bilevel", "L": "grey", "LA": "grey", "I;16": "grey", "I": "grey",
                "P": "colour", "RGB": "colour", "RGBA": "colour", "CMYK": "colour", "YCbCr": "colour"}


class ProbeProblem(Exception):
    """The file cannot be read as a scan; ``reason`` is Chinese."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Probe:
    sha256: str
    size: int
    format: str  # JPEG, TIFF, PNG, JPEG2000, PDF
    pages: int
    width: int  # pixels (PDF: points)
    height: int
    dpi: int  # 0 when the file does not say
    colour_mode: str  # bilevel, grey, colour
    thumbnail: Image.Image | None = None
    mixed: str = ""  # pages of one file in different encodings or colour modes, e.g. "group4/1、jpeg/RGB"


def sha256_of(path: Path) -> tuple[str, int]:
    """SHA-256 and size, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _dpi(info: dict) -> int:
    value = info.get("dpi") or info.get("resolution")
    if not value:
        return 0
    try:
        return int(round(min(float(value[0]), float(value[1]))))
    except (TypeError, ValueError, IndexError):
        return 0


def _hashed(path: Path) -> tuple[str, int]:
    if not path.is_file():
        raise ProbeProblem("不是普通文件（可能是文件夹或已被移走）")
    try:
        return sha256_of(path)
    except PermissionError:
        raise ProbeProblem("没有读取权限") from None
    except OSError as exc:
        raise ProbeProblem(f"文件无法读取：{exc.strerror or exc}") from None


def _head(source: Path | io.BytesIO, count: int) -> bytes:
    """The first bytes of a file or of bytes in memory."""
    if isinstance(source, io.BytesIO):
        return source.getbuffer()[:count].tobytes()
    with source.open("rb") as handle:
        return handle.read(count)


def _tail(source: Path | io.BytesIO, count: int) -> bytes:
    if isinstance(source, io.BytesIO):
        return source.getbuffer()[-count:].tobytes()
    with source.open("rb") as handle:
        handle.seek(-count, os.SEEK_END)
        return handle.read(count)


def _probe_pdf(path: Path | io.BytesIO, sha256: str, size: int) -> Probe:
    from pypdf import PdfReader  # loaded late: pypdf takes 0.2 s
    from pypdf.errors import PdfReadError  # loaded late: pypdf takes 0.2 s

    try:
        reader = PdfReader(path)
        pages = len(reader.pages)
        box = reader.pages[0].mediabox if pages else None
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise ProbeProblem(f"PDF 文件无法读取：{exc}") from None
    if pages == 0:
        raise ProbeProblem("PDF 文件没有页面")
    return Probe(sha256, size, "PDF", pages, int(box.width), int(box.height), 0, "colour")


def probe(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS, thumbnail: bool = True,
          full_decode: bool = False, data: bytes | None = None) -> Probe:
    """Read what the file is; raise ProbeProblem for anything that is not a readable scan.
    ``data``: the file's bytes, already read (hashed and decoded from memory: one read)."""
    if data is None:
        sha256, size = _hashed(path)
    else:
        sha256, size = hashlib.sha256(data).hexdigest(), len(data)
    if size == 0:
        raise ProbeProblem("文件为空（0 字节）")
    source = path if data is None else io.BytesIO(data)
    if _head(source, 5) == b"%PDF-":
        return _probe_pdf(source, sha256, size)
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _probe_image(source, sha256, size, thumbnail, full_decode)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ProbeProblem(f"图像像素数超过上限 {max_pixels:,}，疑为解压炸弹，已拒绝") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _probe_image(path: Path | io.BytesIO, sha256: str, size: int, thumbnail: bool, full_decode: bool) -> Probe:
    try:
        with Image.open(path) as image:
            kind = FORMAT_NAMES.get(image.format or "")
            if kind is None:
                raise ProbeProblem(f"不支持的图像格式 {image.format}")
            width, height = image.size
            pages = getattr(image, "n_frames", 1)
            dpi = _dpi(image.info)
            mode = COLOUR_MODES.get(image.mode, "colour")
            mixed = _mixed_pages(image, Image.MAX_IMAGE_PIXELS) if pages > 1 else ""
            small = _thumbnail(image) if thumbnail else None
            if not thumbnail:
                _decode_check(image, path, full_decode)
    except ProbeProblem:
        raise
    except UnidentifiedImageError:
        raise ProbeProblem("不是可识别的图像或 PDF 文件") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ProbeProblem(f"图像已损坏或不完整：{exc}") from None
    return Probe(sha256, size, kind, pages, width, height, dpi, mode, small, mixed)


def _mixed_pages(image: Image.Image, max_pixels: int | None) -> str:
    """The distinct page encodings of a multi-page image when there is more than one (DA/T 31
    asks one file to be one format); reads only the page headers. Every page's size is held
    to the pixel limit too (Pillow checks only the first page when the file is opened)."""
    kinds = []
    for index in range(image.n_frames):
        image.seek(index)
        width, height = image.size
        if max_pixels and width * height > max_pixels:
            raise ProbeProblem(f"第 {index + 1} 页像素数 {width * height:,} 超过上限 {max_pixels:,}，"
                               "疑为解压炸弹，已拒绝")
        kind = f"{image.info.get('compression', image.format)}/{image.mode}"
        if kind not in kinds:
            kinds.append(kind)
    image.seek(0)
    return "、".join(kinds) if len(kinds) > 1 else ""


def _decode_check(image: Image.Image, path: Path | io.BytesIO, full: bool) -> None:
    """Prove the file is whole. JPEG, quick: the header parsed and the stream ends with its
    end-of-image marker (a cut-off transfer fails); ``full`` decodes it (at 1/8 scale, draft
    mode, which still reads every byte). Other formats are always decoded."""
    if image.format == "JPEG":
        if not full:
            if _tail(path, 2) != b"\xff\xd9":
                raise ProbeProblem("图像已损坏或不完整：JPEG 文件缺少结束标记（可能传输中断）")
            return
        image.draft(image.mode, (max(1, image.size[0] // 8), max(1, image.size[1] // 8)))
    image.load()


def _thumbnail(image: Image.Image) -> Image.Image:
    """A small preview; JPEG is decoded at a fraction of its size (draft mode), which also
    reads the whole stream, so a truncated file fails here."""
    if image.format == "JPEG":
        image.draft("RGB", (THUMBNAIL[0] * 2, THUMBNAIL[1] * 2))
    image.load()
    small = image.convert("L" if image.mode in ("1", "L", "I;16", "I") else "RGB")
    small.thumbnail(THUMBNAIL)
    return small


def thumbnail_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()
