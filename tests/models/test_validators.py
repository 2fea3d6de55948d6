"""Table-driven tests of the code and ID validators, right and wrong cases."""

import datetime as dt

import pytest

from models.codes import ContractMethod, IdType, Relation, Sex
from models.validators import (
    IdStatus, check_contract_code, check_household_code, check_id_number, check_issuer_code,
    check_method_suffix, check_parcel_code, check_sequence_range, contract_code_for,
)

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("number", "status", "reason_part"),
    [
        ("11010519491231002X", IdStatus.VALID, ""),
        ("11010519491231002x", IdStatus.VALID, ""),  # lower-case x is the same character
        ("130123198001010012", IdStatus.VALID, ""),
        ("130123200002290028", IdStatus.VALID, ""),  # 29 February of a leap year
        (" 440304199912311237 ", IdStatus.VALID, ""),
        ("110105194912310021", IdStatus.INVALID, "身份证号码“110105********0021”校验位错误"),
        ("130123198001010013", IdStatus.INVALID, "校验位错误"),
        ("130123190002290020", IdStatus.INVALID, "出生日期"),  # 1900 was no leap year
        ("130123198013010012", IdStatus.INVALID, "出生日期"),  # month 13
        ("130123203001010012", IdStatus.INVALID, "出生日期"),  # born in the future
        ("13012319800101001", IdStatus.INVALID, "应为18位，实为17位"),
        ("1301231980010100123", IdStatus.INVALID, "应为18位"),
        ("13012319800101001A", IdStatus.INVALID, "非法字符"),
        ("1301231980O101001X", IdStatus.INVALID, "非法字符"),
        ("130123800101001", IdStatus.LEGACY, "15位旧身份证号码"),
        ("130123801301001", IdStatus.INVALID, "出生日期无效"),
        ("13012380010100A", IdStatus.INVALID, "只能由数字组成"),
        ("", IdStatus.MISSING, "为空"),
        (None, IdStatus.MISSING, "为空"),
    ],
)
def test_id_numbers(number, status, reason_part):
    result = check_id_number(number, today=TODAY)
    assert result.status == status
    assert reason_part in result.reason
    assert result.ok == (status == IdStatus.VALID)


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("13012310100101", None),
        ("13012310100100", None),  # group 00: the village itself is the issuer
        ("1301231010010", "应为14位，实为13位"),
        ("130123101001011", "应为14位，实为15位"),
        ("1301231010010A", "只能由数字组成"),
        ("", "为空"),
    ],
)
def test_issuer_codes(code, problem):
    result = check_issuer_code(code)
    assert (result is None) if problem is None else (problem in result)


@pytest.mark.parametrize(
    ("code", "issuer", "problem"),
    [
        ("130123101001010001", "13012310100101", None),
        ("130123101001019001", None, None),
        ("130123101001010000", None, "顺序号不能为0000"),
        ("13012310100101001", None, "应为18位"),
        ("13012310100101000X", None, "只能由数字组成"),
        ("130123101001020001", "13012310100101", "不以其发包方编码"),
    ],
)
def test_household_codes(code, issuer, problem):
    result = check_household_code(code, issuer)
    assert (result is None) if problem is None else (problem in result)


@pytest.mark.parametrize(
    ("code", "kind", "ok"),
    [
        ("130123101001010001", "1", True),
        ("130123101001018000", "1", True),
        ("130123101001018001", "1", False),  # a 农户 cannot have an individual's sequence
        ("130123101001018001", "2", True),
        ("130123101001019000", "2", True),
        ("130123101001019001", "2", False),
        ("130123101001019001", "3", True),
        ("130123101001019999", "3", True),
        ("130123101001010001", "3", False),
        ("130123101001010001", "4", False),  # not a contractor type at all
        ("130123101001010001", "", False),
    ],
)
def test_sequence_ranges(code, kind, ok):
    assert (check_sequence_range(code, kind) is None) == ok


@pytest.mark.parametrize(
    ("code", "issuer", "problem"),
    [
        ("1301231010010100001", "13012310100101", None),
        ("1301231010010100001", None, None),
        ("130123101001010001", None, "应为19位"),
        ("1301231010010200001", "13012310100101", "不以其发包方编码"),
        ("130123101001010000A", None, "只能由数字组成"),
    ],
)
def test_parcel_codes(code, issuer, problem):
    result = check_parcel_code(code, issuer)
    assert (result is None) if problem is None else (problem in result)


@pytest.mark.parametrize(
    ("code", "household", "problem"),
    [
        ("130123101001010001J", "130123101001010001", None),
        ("130123101001010001Q", "130123101001010001", None),
        ("130123101001010001J", None, None),
        ("130123101001010001X", None, "加J或Q"),
        ("130123101001010001", None, "应为19位"),
        ("130123101001010002J", "130123101001010001", "不符"),
        ("", None, "为空"),
    ],
)
def test_contract_codes(code, household, problem):
    result = check_contract_code(code, household)
    assert (result is None) if problem is None else (problem in result)


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("110", "J"), ("120", "Q"), ("400", "Q"), (None, "J"), ("", "J")],
)
def test_contract_code_suffix_follows_method(method, suffix):
    assert contract_code_for("130123101001010001", method) == "130123101001010001" + suffix
    assert check_method_suffix("130123101001010001" + suffix, method) is None


def test_wrong_suffix_for_method_is_reported():
    assert "尾字母应为Q" in check_method_suffix("130123101001010001J", "120")


@pytest.mark.parametrize(
    ("codes", "raw", "label"),
    [
        (IdType, "1", "居民身份证"), (IdType, 4, "户口簿"), (IdType, "4.0", "户口簿"), (IdType, "7", None),
        (Sex, " 2 ", "女"), (Sex, "3", None), (ContractMethod, "110", "家庭承包"),
        (Relation, "02", "户主"), (Relation, "2", None), (Relation, "95", "非亲属"), (Relation, None, None),
    ],
)
def test_code_lists(codes, raw, label):
    member = codes.parse(raw)
    assert (member.label if member else None) == label


@pytest.mark.parametrize("number", ["１１０１０５１９４９１２３１００２Ｘ", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "11010519491231002Ⅹ"])
def test_id_numbers_in_other_digits_are_invalid_not_a_crash(number):
    assert check_id_number(number).status == "invalid"


@pytest.mark.parametrize("number", ["110105194912310021", "130123203001010012", "13012319800101001A",
                                    "130123198001010012345"])
def test_id_reasons_never_show_the_whole_number_nor_the_right_check_character(number):
    reason = check_id_number(number).reason
    assert number not in reason and number[6:14] not in reason and "应为X" not in reason
