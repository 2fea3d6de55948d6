"""Cover and separator sheets (案卷封面、分隔页): QR codes that say where the next pages go.

A cover's QR code holds the file's 档号; a separator's holds ``档号|文件类型代码``. In a
multi-page scan or a scanned batch, the pages after a sheet belong to that file (and that
document). The sheets themselves are not pages of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

SEPARATOR = "|"
READ_SIZE = 800  # long side in pixels the page is reduced to before looking for a code (A4: ~70 dpi)


@dataclass(frozen=True)
class SheetCode:
    archive_code: str
    doc_type: str | None  # None: a cover, the whole file


def cover_payload(archive_code: str) -> str:
    return archive_code


def separator_payload(archive_code: str, doc_type: str) -> str:
    return f"{archive_code}{SEPARATOR}{doc_type}"


def parse_payload(text: str) -> SheetCode:
    code, _, doc = text.strip().rpartition(SEPARATOR)
    return SheetCode(code, doc) if code else SheetCode(doc, None)


def _reduced(image: Image.Image) -> Image.Image:
    scale = READ_SIZE / max(image.size)
    if image.format == "JPEG" and scale < 1:  # decode at 1/2, 1/4 or 1/8 scale: much faster than the full page
        image.draft("L", (int(image.size[0] * scale), int(image.size[1] * scale)))
    page = image.convert("L")
    page.thumbnail((READ_SIZE, READ_SIZE))
    return page


def codes_on(image: Image.Image) -> list[str]:
    """The QR codes' texts on one page."""
    import zxingcpp  # loaded late: the barcode reader, only for sheets

    found = zxingcpp.read_barcodes(_reduced(image), formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False)
    return [code.text for code in found if code.text]


def page_images(image: Image.Image) -> Iterator[Image.Image]:
    """Each frame of a (multi-page) image, e.g. a multi-page TIFF."""
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        yield image


def _pdf_page_image(page) -> Image.Image | None:
    """The largest picture on a scanned PDF page (a scanner puts one per page)."""
    try:
        pictures = [picture.image for picture in page.images]
    except Exception:  # noqa: BLE001 - an odd filter in one page must not stop the intake
        return None
    pictures = [picture for picture in pictures if picture is not None]
    return max(pictures, key=lambda picture: picture.size[0] * picture.size[1], default=None)


def first_pdf_picture(reader) -> Image.Image | None:
    """The scanned picture of a PDF's first page (``reader``: a pypdf PdfReader)."""
    return _pdf_page_image(reader.pages[0])


def page_image(path: Path) -> Image.Image | None:
    """The first page of an image file or a scanned PDF, reduced for a preview."""
    with path.open("rb") as handle:
        pdf = handle.read(5) == b"%PDF-"
    if pdf:
        from pypdf import PdfReader  # loaded late: pypdf takes 0.2 s

        return first_pdf_picture(PdfReader(path))
    image = Image.open(path)
    if image.format == "JPEG":
        image.draft("RGB", (READ_SIZE // 2, READ_SIZE // 2))  # decoded at a fraction of its size
    return image


def codes_per_page(path: Path, pdf: bool) -> list[list[str]]:
    """The QR texts found on each page of a multi-page TIFF or PDF."""
    if pdf:
        from pypdf import PdfReader  # loaded late: pypdf takes 0.2 s

        found = []
        for page in PdfReader(path).pages:
            picture = _pdf_page_image(page)
            found.append(codes_on(picture) if picture is not None else [])
        return found
    with Image.open(path) as image:
        return [codes_on(frame) for frame in page_images(image)]


def split_pages(path: Path, folder: Path, pdf: bool) -> list[Path]:
    """Write each page of ``path`` as its own file in ``folder`` (lossless: TIFF frames keep
    their compression and resolution, PDF pages are copied as they are), in page order."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if pdf:
        from pypdf import PdfReader, PdfWriter  # loaded late: pypdf takes 0.2 s

        for number, page in enumerate(PdfReader(path).pages, start=1):
            writer = PdfWriter()
            writer.add_page(page)
            target = folder / f"{path.stem}-{number:04d}.pdf"
            with target.open("wb") as handle:
                writer.write(handle)
            written.append(target)
        return written
    with Image.open(path) as image:
        for number, frame in enumerate(page_images(image), start=1):
            target = folder / f"{path.stem}-{number:04d}{path.suffix}"
            options = {"compression": frame.info.get("compression", "raw")}
            if frame.info.get("dpi"):
                options["dpi"] = frame.info["dpi"]
            frame.save(target, **options)
            written.append(target)
    return written
