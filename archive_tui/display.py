"""Text from data as a terminal shows it (显示): control characters made visible.

A name carrying ``ESC [31m`` (from an old import, a bag, a file name) must not recolour or
move the archivist's terminal: every control character is shown as its escape (``\\x1b``).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with its control characters (but newline and tab) written out as ``\\xNN``."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def has_control(text: str) -> bool:
    return bool(_CONTROL.search(text))


def in_markup(value: object) -> str:
    """A data value placed inside screen markup: shown as written (``[/b]`` is text, not a tag).

    Every ``[`` is escaped: Textual reads ``\\x1b[2J三[/b]`` as one broken tag and would swallow the
    markup's own closing tag after it."""
    return printable(str(value)).replace("[", "\\[")


CLOSING = "，。、；：！？）》」』】〕,.;:!?)%"  # never at the start of a wrapped line (避头点)
