"""Text broken into lines that fit a width in the font chain: used by ``pdf.Sheet`` and the
table engine in ``grid`` alike (below both, so neither imports the other for it)."""

from __future__ import annotations

import re

from archive_tui.core.display import CLOSING
from archive_tui.reports.fonts import PrintFont

_TOKENS = re.compile(r"[A-Za-z0-9_.\-/:%()·]+|\s|.", re.DOTALL)


def wrap_lines(font: PrintFont, text: str, width: float, size: float) -> list[str]:
    """``text`` broken into lines no wider than ``width``: between Chinese characters anywhere,
    Latin words and codes kept whole when they fit on a line, newlines kept."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for token in _TOKENS.findall(paragraph):
            if font.width(line + token, size) <= width:
                line += token
                continue
            carried = ""
            if token[0] in CLOSING and len(line) > 1:
                line, carried = line[:-1], line[-1]  # the last character goes down with it
            if line.strip():
                lines.append(line.rstrip())
            line = "" if token.isspace() else carried + token
            while font.width(line, size) > width and len(line) > 1:  # a code longer than the column
                cut = len(line) - 1
                while cut > 1 and font.width(line[:cut], size) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines or [""]
