"""Validators for the national codes (GB/T 35958-2018) and resident ID numbers (GB 11643-1999).

Each validator returns ``None`` when the value is fine and a Chinese reason otherwise, so
the importer can put the reason straight into its reject report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from enum import StrEnum
from operator import mul

from models.codes import ContractMethod, ContractorType

ISSUER_CODE_LENGTH = 14  # 发包方编码 FBFBM
HOUSEHOLD_CODE_LENGTH = 18  # 承包方编码 CBFBM
PARCEL_CODE_LENGTH = 19  # 地块编码 DKBM
CONTRACT_CODE_LENGTH = 19  # 承包合同编码 CBHTBM = 承包经营权证编码 CBJYQZBM

SEQUENCE_RANGES: dict[ContractorType, range] = {
    ContractorType.HOUSEHOLD: range(1, 8001),
    ContractorType.INDIVIDUAL: range(8001, 9001),
    ContractorType.ORGANISATION: range(9001, 10000),
}


def _digits(value: str, length: int, what: str) -> str | None:
    if not value:
        return f"{what}为空"
    if len(value) != length:
        return f"{what}“{value}”应为{length}位，实为{len(value)}位"
    if not (value.isascii() and value.isdigit()):
        return f"{what}“{value}”只能由数字组成"
    return None


def check_issuer_code(code: str) -> str | None:
    """发包方编码: county 6 + township 3 + village 3 + group 2."""
    return _digits(code, ISSUER_CODE_LENGTH, "发包方编码")


def check_household_code(code: str, issuer_code: str | None = None) -> str | None:
    """承包方编码: the issuer's code + a 4-digit sequence (0001–9999)."""
    problem = _digits(code, HOUSEHOLD_CODE_LENGTH, "承包方编码")
    if problem:
        return problem
    if code.endswith("0000"):
        return f"承包方编码“{code}”的顺序号不能为0000"
    if issuer_code and not code.startswith(issuer_code):
        return f"承包方编码“{code}”不以其发包方编码“{issuer_code}”开头"
    return None


def check_sequence_range(code: str, contractor_type: str | None) -> str | None:
    """The CBFBM sequence must lie in its contractor type's range (农户 0001–8000 …)."""
    kind = ContractorType.parse(contractor_type)
    if kind is None:
        return f"承包方类型“{contractor_type or ''}”不在代码表中（1 农户、2 个人、3 单位）"
    sequence = int(code[-4:])
    allowed = SEQUENCE_RANGES[kind]
    if sequence not in allowed:
        return (
            f"承包方编码“{code}”的顺序号{code[-4:]}不在{kind.label}的范围"
            f"{allowed.start:04d}–{allowed.stop - 1:04d}内"
        )
    return None


def check_parcel_code(code: str, issuer_code: str | None = None) -> str | None:
    """地块编码: the issuer's code + a 5-digit parcel number."""
    problem = _digits(code, PARCEL_CODE_LENGTH, "地块编码")
    if problem:
        return problem
    if issuer_code and not code.startswith(issuer_code):
        return f"地块编码“{code}”不以其发包方编码“{issuer_code}”开头"
    return None


def contract_code_for(household_code: str, method: str | None) -> str:
    """The contract/certificate code of a household: CBFBM + J (家庭承包) or Q (其他)."""
    return household_code + ("J" if method in (None, "", ContractMethod.FAMILY) else "Q")


def check_contract_code(code: str, household_code: str | None = None, what: str = "承包合同编码") -> str | None:
    """承包合同编码 / 承包经营权证编码: CBFBM + ``J`` or ``Q``."""
    if not code:
        return f"{what}为空"
    if len(code) != CONTRACT_CODE_LENGTH:
        return f"{what}“{code}”应为{CONTRACT_CODE_LENGTH}位，实为{len(code)}位"
    if not (code.isascii() and code[:-1].isdigit()) or code[-1] not in "JQ":
        return f"{what}“{code}”应为18位承包方编码加J或Q"
    if household_code and code[:-1] != household_code:
        return f"{what}“{code}”与承包方编码“{household_code}”不符"
    return None


def check_method_suffix(code: str, method: str | None) -> str | None:
    """J belongs to 家庭承包 (110), Q to the other methods."""
    if not method:
        return None
    expected = contract_code_for(code[:-1], method)[-1]
    if code[-1] != expected:
        return f"编码“{code}”的尾字母应为{expected}（承包方式{ContractMethod.label_of(method)}）"
    return None


# --- resident ID numbers (公民身份号码) -------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


class IdStatus(StrEnum):
    VALID = "valid"
    LEGACY = "legacy"  # 15-digit number: kept, but needs review
    INVALID = "invalid"
    MISSING = "missing"


@dataclass(frozen=True)
class IdCheck:
    status: IdStatus
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status is IdStatus.VALID


_ASCII_ZERO_SUM = ord("0") * sum(ID_WEIGHTS)


def id_check_char(first17: str) -> str:
    """Σ aᵢ·Wᵢ over the 17 digits, taken from their ASCII codes (b - 48) in one C-level pass."""
    total = sum(map(mul, first17.encode("ascii"), ID_WEIGHTS)) - _ASCII_ZERO_SUM
    return ID_CHECK_CHARS[total % 11]


@lru_cache(maxsize=65_536)  # a county's 500,000 people share some 40,000 birth dates
def _birth_date(text: str) -> dt.date | None:
    """YYYYMMDD as a real date, or None."""
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


VALID_ID = IdCheck(IdStatus.VALID)


def masked_id(number: str | None) -> str:
    """An ID number as messages and screens show it: the first 6 and last 4 characters (隐私保护).
    The one implementation: ``archive_tui.core.privacy.mask_id`` is this function."""
    number = number or ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def check_id_number(value: str | None, today: dt.date | None = None) -> IdCheck:
    """Check a resident ID number: structure, real birth date and the check character.

    The reasons show the number masked and never the right check character: they go into
    findings, reports and screens."""
    number = (value or "").strip().upper()
    shown = masked_id(number)
    if not number:
        return IdCheck(IdStatus.MISSING, "身份证号码为空")
    if len(number) == 15:
        if not (number.isascii() and number.isdigit()):
            return IdCheck(IdStatus.INVALID, f"15位身份证号码“{shown}”只能由数字组成")
        if _birth_date("19" + number[6:12]) is None:
            return IdCheck(IdStatus.INVALID, f"15位身份证号码“{shown}”的出生日期无效")
        return IdCheck(IdStatus.LEGACY, f"15位旧身份证号码“{shown}”，需人工核对")
    if len(number) != 18:
        return IdCheck(IdStatus.INVALID, f"身份证号码“{shown}”应为18位，实为{len(number)}位")
    if not number.isascii() or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return IdCheck(IdStatus.INVALID, f"身份证号码“{shown}”含有非法字符")
    born = _birth_date(number[6:14])
    if born is None or born > (today or dt.date.today()) or born.year < 1880:
        return IdCheck(IdStatus.INVALID, f"身份证号码“{shown}”的出生日期无效")
    if number[17] != id_check_char(number[:17]):
        return IdCheck(IdStatus.INVALID, f"身份证号码“{shown}”校验位错误")
    return VALID_ID


def invalid_id_numbers(numbers: list[str], today: dt.date) -> Iterator[tuple[int, IdCheck]]:
    """(index, result) of each number in ``numbers`` that is not a valid ID number. The valid
    18-digit ones (nearly all of a county's half a million) are passed inline, without a call."""
    weights, zero, chars = ID_WEIGHTS, _ASCII_ZERO_SUM, ID_CHECK_CHARS
    for index, number in enumerate(numbers):
        if len(number) == 18 and number.isascii() and number[:17].isdigit():
            born = _birth_date(number[6:14])
            if born is not None and born.year >= 1880 and born <= today \
                    and chars[(sum(map(mul, number[:17].encode(), weights)) - zero) % 11] == number[17]:
                continue
        result = check_id_number(number, today)
        if not result.ok:
            yield index, result
