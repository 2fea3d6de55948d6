"""Turn raw cell values (text from CSV, numbers and dates from Excel or Access) into ours.

Real exports are untidy in known ways, and each is handled here once:

* fixed-width (CHAR) fields padded with spaces, full-width digits: stripped, normalised;
* dates with a time part (``2017-07-15 00:00:00``), slashes (``2017/7/15``), Chinese
  (``2017年7月15日``) or an Excel serial number in a date column;
* code-list values that lost their leading zero in Excel (``2`` for ``02``): padded back;
* numbers with float noise (``1.1700000001``): rounded to six decimals;
* codes that Excel turned into numbers: kept when no digit was lost (``13012310100101.0``),
  refused with a way out when digits were lost (``5.00238E+17``, an 18-digit float);
* minority names written with ``.``, ``•`` or ``・`` between the parts: the middle dot ``·``.

A value that cannot be read raises :class:`ValueProblem` with a Chinese reason.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

EXCEL_AS_TEXT = "请在 Excel 中把该列设为“文本”格式、从原数据库重新导出后再导入（或直接导入 .mdb 数据库）"
INTEGER_MAX = 2_147_483_647  # the largest value an INTEGER column holds on every database we support
NUMBER_MAX = 1e12  # no area or count in these tables comes near it; larger is garbage
EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (1900 date system, with its leap-year quirk)


class ValueProblem(ValueError):
    """A value that cannot be read; ``reason`` is Chinese."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CellProblem:
    """A spreadsheet cell that holds no value we can use: a formula whose result the file does
    not keep, or an error value (#N/A …). The importer rejects its row, naming the cell."""

    reason: str


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AP]M)?)?$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
_FLOAT_CODE = re.compile(r"^(\d+)\.0+$")
_NAME_DOTS = re.compile(r"(?<=\S)\s*[.．·・•‧∙⋅]\s*(?=\S)")


def _normal(text: str) -> str:
    """Full-width letters and digits (ＡＢ１２) as plain ones; padding removed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_REFUSED_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but tab and line breaks


def refuse_control(text: str) -> None:
    """A value with a control character (NUL, an escape sequence) is refused, not cleaned: it marks a
    damaged or foreign export, and PostgreSQL cannot store a NUL at all."""
    found = _REFUSED_CONTROL.search(text)
    if found:
        raise ValueProblem(f"含有控制字符 U+{ord(found.group()):04X}（不可见的字符，常见于损坏的或其他系统导出的"
                           "数据）；请在源数据中删去后重新导入")


def as_text(value: object) -> str:
    if value is None:
        return ""
    if value.__class__ is str:
        refuse_control(value)
        text = _CONTROL.sub("", value).strip() if _CONTROL.search(value) else value.strip()
        if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
            return text[1:]  # written as text by our CSV export (reports/tables.py), read back as it was
        return text
    if isinstance(value, bool):
        return "1" if value else "2"  # 是否 fields stored as Yes/No in Access
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def as_name(value: object) -> str:
    """A person's name; minority names get the middle dot (阿依古丽·买买提)."""
    text = as_text(value)
    if text and not text.isascii():
        text = _NAME_DOTS.sub("·", text)
    return text


def _lost_digits(shown: str) -> ValueProblem:
    return ValueProblem(f"“{shown}”被 Excel 当作数字保存，已丢失数字；{EXCEL_AS_TEXT}")


def as_code(value: object) -> str:
    """A national code (digits, maybe a final J/Q): refuse one whose digits a float lost."""
    if value is None:
        return ""
    if value.__class__ is str:
        text = _normal(value)
        if text and not text.isdigit():
            if _SCIENTIFIC.match(text):
                raise _lost_digits(text)
            whole = _FLOAT_CODE.match(text)
            if whole and len(whole.group(1)) <= 15:
                return whole.group(1)
        return text.upper()
    if isinstance(value, bool):
        raise ValueProblem(f"编码“{value}”无法识别")
    if isinstance(value, float):
        if value != value or abs(value) == float("inf") or not value.is_integer():
            raise ValueProblem(f"编码“{value}”无法识别")
        if abs(value) >= 1e15:  # a double holds 15 significant digits: the rest are gone
            raise _lost_digits(f"{value:.6g}".upper())
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return as_text(value)


def as_code_value(value: object, width: int) -> str:
    """A code-list value (与户主关系 ``02``, 地块类别 ``10``): the leading zeros Excel dropped
    are put back, so ``2`` reads as ``02``."""
    text = as_code(value)
    if text.isdigit() and len(text) < width:
        return text.zfill(width)
    return text


def as_date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _excel_serial(value)
    text = _normal(str(value))
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
    else:
        us = _US_DATE.match(text)
        if us:
            return _month_first(text, *(int(part) for part in us.groups()))
    raise ValueProblem(f"日期“{text}”无法识别（应如 2018-05-01）")


def _excel_serial(number: float) -> dt.date:
    """A date column that Excel kept as its day number (42931 = 2017-07-15)."""
    if not 1 <= number < 2_958_466:  # also refuses nan
        raise ValueProblem(f"日期“{number}”无法识别（应如 2018-05-01）")
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def _month_first(text: str, month: int, day: int, year: int) -> dt.date:
    """``7/15/2017`` as an English-language Access writes it; ``3/4/2017`` is ambiguous."""
    if month <= 12 and day <= 12 and month != day:
        raise ValueProblem(f"日期“{text}”的月和日无法区分；请改为 2017-03-04 这样的写法")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueProblem(f"日期“{text}”无法识别（应如 2018-05-01）") from None


def as_number(value: object) -> float | None:
    if value.__class__ is str and value:
        try:
            number = float(value)
        except ValueError:
            number = None  # commas, spaces, words: the careful path below
        if number is not None:
            return _checked_number(number, value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"数值“{value}”无法识别")
    if isinstance(value, (int, float)):
        return _checked_number(float(value), value)
    text = _normal(str(value)).replace(",", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueProblem(f"数值“{text}”无法识别") from None
    return _checked_number(number, text)


def _checked_number(number: float, shown: object) -> float:
    if number != number or number in (float("inf"), float("-inf")):  # Excel's #NUM! etc. read as nan/inf
        raise ValueProblem(f"数值“{as_text(shown)}”无法识别")
    if abs(number) >= NUMBER_MAX:
        raise ValueProblem(f"数值“{as_text(shown)}”超出范围")
    rounded = round(number, 6)  # float noise: 1.1700000001 is 1.17
    return rounded if rounded else 0.0


def as_integer(value: object) -> int | None:
    if value.__class__ is str and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    try:
        number = as_number(value)
    except ValueProblem as problem:
        if "超出范围" in problem.reason:
            raise ValueProblem(f"数值“{as_text(value)}”超出范围（最大 {INTEGER_MAX}）") from None
        raise
    if number is None:
        return None
    if not number.is_integer():
        raise ValueProblem(f"“{as_text(value)}”应为整数")
    if abs(number) > INTEGER_MAX:
        raise ValueProblem(f"数值“{as_text(value)}”超出范围（最大 {INTEGER_MAX}）")
    return int(number)


def format_number(value: float | None) -> str:
    """Write a number back without float noise (``12.5``, ``3``)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return repr(round(float(value), 6))
