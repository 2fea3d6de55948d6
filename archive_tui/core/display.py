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


def chinese_date(value) -> str:
    """A date as printed on a form: 2026年12月7日 ("" for none)."""
    return "" if value is None else f"{value.year}年{value.month}月{value.day}日"


def chinese_time(value) -> str:
    """A stored time (UTC, or with its zone; ISO text accepted) in this computer's zone as a form
    prints it: 2026年12月7日 19:26 — never 2026-12-07T11:26:59+00:00."""
    import datetime as dt

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone()
    return f"{chinese_date(value)} {value:%H:%M}"


def page_numbers(numbers: list[int]) -> str:
    """3、5–7、9: page numbers with runs shortened."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return "、".join(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)


LEVEL_LABELS = {"village": "村级", "township": "乡镇级", "county": "县级"}  # the three copies of a file (份别)
