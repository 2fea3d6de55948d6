"""Reading one cell of a real export: what each untidy form becomes, and what is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from archive_tui.core.values import (
    CellProblem, ValueProblem, as_code, as_code_value, as_date, as_integer, as_name, as_number,
)
from archive_tui.services.exchange.importing.reading import _careful, _fast
from archive_tui.services.exchange.nyt2539 import TABLES

LOST = "被 Excel 当作数字保存，已丢失数字"


@pytest.mark.parametrize(("cell", "code"), [
    ("130123101001010001", "130123101001010001"),
    ("130123101001010001    ", "130123101001010001"),  # a CHAR field's padding
    ("１３０１２３１０１００１０１", "13012310100101"),  # full-width digits
    ("130123101001010001j", "130123101001010001J"),
    ("13012310100101.0", "13012310100101"),  # a 14-digit code through a float, no digit lost
    (13012310100101.0, "13012310100101"),
    (130123101001010001, "130123101001010001"),  # an integer cell keeps every digit
    ("", ""), (None, ""),
])
def test_codes(cell, code):
    assert as_code(cell) == code


@pytest.mark.parametrize(("cell", "shown"), [
    ("5.00238E+17", "5.00238E+17"),
    ("1.30123E+17", "1.30123E+17"),
    (1.30123101001010e17, "1.30123E+17"),
    (5.00238e17, "5.00238E+17"),
])
def test_codes_that_lost_digits_in_excel_are_refused(cell, shown):
    with pytest.raises(ValueProblem) as problem:
        as_code(cell)
    assert problem.value.reason.startswith(f"“{shown}”{LOST}；请在 Excel 中把该列设为“文本”格式")


@pytest.mark.parametrize(("cell", "width", "value"), [
    ("2", 2, "02"), (2, 2, "02"), (2.0, 2, "02"), ("02", 2, "02"), ("10", 2, "10"), (" 1    ", 1, "1"),
    ("110", 3, "110"), ("", 2, ""), ("儿子", 2, "儿子"),
])
def test_code_list_values_get_their_leading_zeros_back(cell, width, value):
    assert as_code_value(cell, width) == value


@pytest.mark.parametrize(("cell", "day"), [
    ("2017-07-15", dt.date(2017, 7, 15)),
    ("2017-07-15 00:00:00", dt.date(2017, 7, 15)),
    ("2017/7/15", dt.date(2017, 7, 15)),
    ("2017/7/15 0:00:00", dt.date(2017, 7, 15)),
    ("2017.7.15", dt.date(2017, 7, 15)),
    ("2017年7月15日", dt.date(2017, 7, 15)),
    ("20170715", dt.date(2017, 7, 15)),
    ("7/15/2017", dt.date(2017, 7, 15)),  # an English-language Access
    ("7/15/2017 0:00:00", dt.date(2017, 7, 15)),
    (42931, dt.date(2017, 7, 15)),  # Excel's day number in a date column
    (42931.0, dt.date(2017, 7, 15)),
    (dt.datetime(2017, 7, 15, 0, 0), dt.date(2017, 7, 15)),
    ("", None), (None, None),
])
def test_dates(cell, day):
    assert as_date(cell) == day


@pytest.mark.parametrize(("cell", "reason"), [
    ("2016-13-45", "日期“2016-13-45”无法识别（应如 2018-05-01）"),
    ("3/4/2017", "日期“3/4/2017”的月和日无法区分；请改为 2017-03-04 这样的写法"),
    ("明年", "日期“明年”无法识别（应如 2018-05-01）"),
    (-5, "日期“-5”无法识别（应如 2018-05-01）"),
])
def test_dates_that_cannot_be_read(cell, reason):
    with pytest.raises(ValueProblem) as problem:
        as_date(cell)
    assert problem.value.reason == reason


@pytest.mark.parametrize(("cell", "number"), [
    ("1.1700000001", 1.17), ("333.35999999999996", 333.36), (1.1699999999999999, 1.17), ("1,234.5", 1234.5),
    ("12", 12.0), ("", None), ("-0.0000001", 0.0),
])
def test_numbers_lose_their_float_noise(cell, number):
    assert as_number(cell) == number


@pytest.mark.parametrize(("cell", "reason"), [
    ("三亩", "数值“三亩”无法识别"), ("nan", "数值“nan”无法识别"), ("1e400", "数值“1e400”无法识别"),
    ("1e13", "数值“1e13”超出范围"),
])
def test_numbers_that_cannot_be_read(cell, reason):
    with pytest.raises(ValueProblem) as problem:
        as_number(cell)
    assert problem.value.reason == reason


@pytest.mark.parametrize(("cell", "number"), [("4", 4), (4.0, 4), ("4.0000000001", 4), ("", None)])
def test_integers(cell, number):
    assert as_integer(cell) == number


@pytest.mark.parametrize(("cell", "reason"), [
    ("99999999999999999999999", "数值“99999999999999999999999”超出范围（最大 2147483647）"),
    ("2147483648", "数值“2147483648”超出范围（最大 2147483647）"),
    ("3.5", "“3.5”应为整数"),
])
def test_integers_out_of_range_or_not_whole(cell, reason):
    with pytest.raises(ValueProblem) as problem:
        as_integer(cell)
    assert problem.value.reason == reason


@pytest.mark.parametrize(("cell", "name"), [
    ("阿依古丽·买买提", "阿依古丽·买买提"), ("热依拉.艾力", "热依拉·艾力"), ("热依拉 . 艾力", "热依拉·艾力"),
    ("努尔•艾买提", "努尔·艾买提"), ("玛丽・居里", "玛丽·居里"), ("张三   ", "张三"), ("John.Smith", "John.Smith"),
])
def test_minority_names_get_the_middle_dot(cell, name):
    assert as_name(cell) == name


FIELDS = {f.national: f for table in TABLES.values() for f in table.fields}


@pytest.mark.parametrize(("field", "column"), [
    ("CBFMC", ("张三", "热依拉.艾力")), ("CBFBM", ("130123101001010001", "1.30123E+17")),
    ("YHZGX", ("02", "2")), ("HTMJ", ("12.5", "1.1700000001")), ("CBQXQ", ("2017-07-15", "2017/7/15")),
    ("CBFCYSL", ("3", "99999999999999999999999")),
])
def test_the_fast_column_path_agrees_with_the_careful_one(field, column):
    """A column the fast path cannot take whole falls back to the careful one, cell by cell."""
    fmap = FIELDS[field]
    problems: dict = {}
    careful = _careful(fmap, column, problems)
    fast = _fast(fmap, column)
    assert fast is None or fast == careful
    single = [_fast(fmap, (cell,)) for cell in column]
    assert all(value is None or value == [careful[index]] for index, value in enumerate(single)
               if index not in problems)


def test_a_spreadsheet_cell_without_a_value_is_refused_by_name():
    problems: dict = {}
    _careful(FIELDS["CBFMC"], ("张三", CellProblem("单元格 C3 是公式（=A3&B3）")), problems)
    assert problems == {1: [("CBFMC", "单元格 C3 是公式（=A3&B3）")]}
