"""Evidence read from OCR text: each kind with the slips OCR makes, and the wrong cases."""

from __future__ import annotations

import pytest

from archive_tui.scanning.evidence import archive_codes, household_codes, id_numbers, names_in, title_match
from models.validators import id_check_char

GOOD_ID = "13012319780219432" + id_check_char("13012319780219432")


@pytest.mark.parametrize(("text", "found"), [
    (f"身份证号码：{GOOD_ID}", [GOOD_ID]),
    (f"身份证号码：{GOOD_ID[:6]} {GOOD_ID[6:14]} {GOOD_ID[14:]}", [GOOD_ID]),  # spaces inside the number
    ("身份证号码：" + GOOD_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９")), [GOOD_ID]),  # full width
    ("身份证号码：" + GOOD_ID.replace("0", "O"), [GOOD_ID]),  # O read for 0
    ("身份证号码：" + GOOD_ID[:-1] + ("1" if GOOD_ID[-1] != "1" else "2"), []),  # a wrong check character
    ("身份证号码：" + GOOD_ID[:10] + ("9" if GOOD_ID[10] != "9" else "8") + GOOD_ID[11:], []),  # one digit misread
    ("身份证号码：130123780219432", []),  # 15 digits: not taken as evidence
    ("", []),
])
def test_id_numbers_are_found_only_with_a_right_check_character(text, found):
    assert id_numbers(text) == found


@pytest.mark.parametrize(("text", "found"), [
    ("承包方编码：130123101001010011", ["130123101001010011"]),
    ("合同编号：1301231010010100111J", ["130123101001010011"]),  # inside the contract code
    ("承包方编码：130124101001010011", []),  # another township
    ("承包方编码：13012310100101001", []),  # 17 digits
])
def test_household_codes_of_this_township(text, found):
    assert household_codes(text, "130123101") == found


@pytest.mark.parametrize(("text", "found"), [
    ("档号：Z001-NJ·2018-Y-00004", ["Z001-NJ·2018-Y-00004"]),
    ("档号：Z001—NJ•2018—Y—00004", ["Z001-NJ·2018-Y-00004"]),  # long dashes and a bullet read for ·
    ("档号：Z002-NJ·2018-Y-00004", []),  # another fonds
])
def test_archive_codes_start_with_the_fonds_code(text, found):
    assert archive_codes(text, "Z001") == found


def test_known_names_are_found_in_running_text_longest_first():
    known = {"李文丽", "张三", "欧阳小明", "欧阳"}
    assert names_in("承包方代表：李文丽，家庭成员欧阳小明、张三", known) == ["李文丽", "欧阳小明", "张三"]
    assert names_in("没有认识的人", known) == []


TITLES = [("01", "登记申请书、户主声明书、委托书"), ("03", "承包方调查表"), ("07", "承包合同")]


@pytest.mark.parametrize(("lines", "code"), [
    (["承包方调查表"], "03"),
    (["农村土地承包合同"], "07"),  # contained whole
    (["承包台同"], "07"),  # one character misread
    (["户主声明书"], "01"),  # one part of a combined name
    (["会议纪要"], None),
    ([], None),
])
def test_the_title_is_matched_to_the_configured_documents(lines, code):
    found = title_match(lines, TITLES)
    assert (found[0] if found else None) == code
