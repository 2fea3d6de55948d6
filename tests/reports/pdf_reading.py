"""Reading a printed PDF back as a reader would see it: each character with its box and size."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MM = 72 / 25.4
PAGE_NUMBER = re.compile(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页")


@dataclass(frozen=True)
class Char:
    text: str
    left: float
    bottom: float
    right: float
    top: float
    size: float

    def overlaps(self, other: "Char", slack: float = 0.3) -> bool:
        return (min(self.right, other.right) - max(self.left, other.left) > slack
                and min(self.top, other.top) - max(self.bottom, other.bottom) > slack)


def pages_of(path: Path) -> list[list[Char]]:
    """Every visible character of every page (spaces and line breaks left out)."""
    import pypdfium2
    import pypdfium2.raw as raw

    document = pypdfium2.PdfDocument(str(path))
    pages = []
    try:
        for page in document:
            text_page = page.get_textpage()
            chars = []
            count = text_page.count_chars()
            for index in range(count):
                unit = raw.FPDFText_GetUnicode(text_page.raw, index)
                if 0xDC00 <= unit <= 0xDFFF:
                    continue  # the second half of a character above U+FFFF, taken with the first
                if 0xD800 <= unit <= 0xDBFF and index + 1 < count:
                    low = raw.FPDFText_GetUnicode(text_page.raw, index + 1)
                    text = chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                else:
                    text = chr(unit)
                if not text.strip():
                    continue
                left, bottom, right, top = text_page.get_charbox(index)
                chars.append(Char(text, left, bottom, right, top, raw.FPDFText_GetFontSize(text_page.raw, index)))
            pages.append(chars)
    finally:
        document.close()
    return pages


def page_text(chars: list[Char]) -> str:
    return "".join(char.text for char in chars)


def overlapping(chars: list[Char]) -> list[tuple[str, str]]:
    """Pairs of characters drawn over each other (text of two cells, or a cell over its border)."""
    ordered = sorted(chars, key=lambda c: c.left)
    found = []
    for i, char in enumerate(ordered):
        for other in ordered[i + 1:]:
            if other.left >= char.right:
                break
            if char.overlaps(other):
                found.append((char.text, other.text))
    return found
