"""Turn raw cell values (text from CSV, numbers and dates from Excel or Access) into ours."""

from __future__ import annotations

import datetime as dt
import re


class ValueProblem(ValueError):
    """A value that cannot be read; ``reason`` is Chinese."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def as_code(value: object) -> str:
    """A code made of digits: refuse one that went through a float and lost digits."""
    if isinstance(value, float):
        if abs(value) >= 1e15:
            raise ValueProblem(f"编码以数字格式存储（{value!r}），已丢失精度；请把该列设为文本后重新导出")
        if value.is_integer():
            return str(int(value))
    return as_text(value)


def as_date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise ValueProblem(f"日期“{text}”无法识别（应如 2018-05-01）")


def as_number(value: object) -> float | None:
    if value.__class__ is str and value:
        try:
            number = float(value)
            if number == number and abs(number) != float("inf"):
                return number
        except ValueError:
            pass  # commas, spaces, words: the careful path below
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"数值“{value}”无法识别")
    if isinstance(value, (int, float)):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):  # Excel's #NUM! etc. read as nan/inf
            raise ValueProblem(f"数值“{value}”无法识别")
        return number
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueProblem(f"数值“{text}”无法识别") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueProblem(f"数值“{text}”无法识别")
    return number


def as_integer(value: object) -> int | None:
    number = as_number(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueProblem(f"“{as_text(value)}”应为整数")
    return int(number)


def format_number(value: float | None) -> str:
    """Write a number back without float noise (``12.5``, ``3``)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return repr(round(float(value), 6))
