"""Property-based tests (hypothesis) of what reads outside data: the value parsers of the
import, CSV decoding, the file-name matcher, and paths taken from data."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archive_tui.core.errors import ArchiveError
from archive_tui.scanning.names import candidates, compile_rule, match_name
from archive_tui.services.exchange.sources import decode_text
from archive_tui.core.values import ValueProblem, as_code, as_date, as_integer, as_number, format_number

RULES = ["{archive_code}-{page}", "{cbfbm}_{doc}_{page}", "{seq4}_{name}_{page}{docname}", "{archive_code}"]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.one_of(st.none(), st.text(), st.integers(), st.floats(), st.booleans(), st.dates()))
def test_number_parser_gives_a_number_or_a_chinese_problem(value):
    try:
        number = as_number(value)
    except ValueProblem as problem:
        assert "无法识别" in str(problem) or "超出范围" in str(problem)
        return
    assert number is None or (number == number and abs(number) != float("inf"))


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9))
def test_numbers_written_back_read_the_same(number):
    assert as_number(format_number(number)) == pytest.approx(round(number, 6), abs=1e-6)


@FAST
@given(st.one_of(st.none(), st.text(), st.integers(), st.floats(), st.dates(), st.datetimes()))
def test_date_parser_gives_a_date_or_a_chinese_problem(value):
    try:
        parsed = as_date(value)
    except ValueProblem as problem:
        assert "无法识别" in str(problem)
        return
    assert parsed is None or isinstance(parsed, dt.date)


@FAST
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_dates_in_the_usual_spellings_read_back(day):
    for text in (day.isoformat(), f"{day.year}年{day.month}月{day.day}日", f"{day:%Y/%m/%d}", f"{day:%Y%m%d}"):
        assert as_date(text) == day


@FAST
@given(st.integers(min_value=0, max_value=10**14))
def test_codes_keep_their_digits_through_a_float(number):
    assert as_code(float(number)) == str(number)
    assert as_code(str(number)) == str(number)


@FAST
@given(st.one_of(st.text(), st.integers(), st.floats()))
def test_any_cell_read_as_a_code_is_text_or_a_chinese_problem(value):
    try:
        code = as_code(value)
    except ValueProblem as problem:
        assert "Excel" in problem.reason or "无法识别" in problem.reason
        return
    assert isinstance(code, str) and code == code.strip()


@FAST
@given(st.integers(min_value=10**15, max_value=10**19))
def test_a_long_code_that_went_through_a_float_is_refused(number):
    with pytest.raises(ValueProblem, match="被 Excel 当作数字保存，已丢失数字"):
        as_code(float(number))


@FAST
@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False)))
def test_integers_or_a_problem(value):
    try:
        result = as_integer(value)
    except ValueProblem:
        return
    assert result is None or isinstance(result, int)


NAMES = st.text(alphabet="张王李赵刘陈杨黄周吴农村土地承包经营权确权登记", min_size=2, max_size=4)


@FAST
@given(st.lists(NAMES, min_size=2, max_size=30))
def test_csv_text_in_utf8_bom_or_gb18030_decodes_to_the_same_text(names):
    """A CSV export (a header and Chinese names) reads the same in each encoding Excel writes.
    (Two lone GB18030 bytes can also be valid UTF-8: real files, with a header and several
    names, are read correctly, which is what this checks.)"""
    text = "CBFBM,CBFMC\n" + "\n".join(f"13012310100101{index:04d},{name}" for index, name in enumerate(names))
    for data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gb18030")):
        assert decode_text(data, Path("CBF.csv")).lstrip("\ufeff") == text


@FAST
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_are_refused_in_chinese(data):
    try:
        decode_text(data, Path("坏.csv"))
    except ArchiveError as problem:
        assert "编码无法识别" in problem.message


@FAST
@given(st.text(max_size=80))
def test_the_file_name_matcher_never_fails_on_any_name(stem):
    for found in candidates(stem, RULES):
        assert found.rule in RULES
        assert found.page is None or found.page >= 0
        if found.cbfbm is not None:
            assert len(found.cbfbm) == 18 and found.cbfbm.isdigit()


@FAST
@given(st.from_regex(r"\d{18}", fullmatch=True), st.from_regex(r"0[1-9]", fullmatch=True),
       st.integers(min_value=1, max_value=9999))
def test_a_name_built_from_a_rule_reads_back(cbfbm, doc, page):
    found = match_name(f"{cbfbm}_{doc}_{page}", RULES, accept=lambda m: m.cbfbm is not None)
    assert (found.cbfbm, found.doc, found.page) == (cbfbm, doc, page)


@FAST
@given(st.text(alphabet=string.ascii_letters + "{}_-", max_size=30))
def test_rules_from_config_compile_or_are_refused_in_chinese(rule):
    try:
        compile_rule(rule)
    except ValueError as problem:
        assert "文件名规则" in str(problem)


@FAST
@given(parts=st.lists(st.sampled_from(["..", ".", "scans", "x", "/", "..\\", "C:", "图"]), min_size=1, max_size=6))
def test_paths_from_a_bag_cannot_leave_the_bag(parts, tmp_path_factory):
    bag = tmp_path_factory.mktemp("bag")
    relative = "/".join(parts)
    source = bag / "data" / relative
    inside = source.resolve().is_relative_to((bag / "data").resolve())
    assume(not inside)
    from archive_tui.services.transfers.transfer_bags import _receive_page

    with pytest.raises(ArchiveError, match="包外"):
        _receive_page(None, None, bag, bag / "staging", {}, 1, {"path": relative, "sha256": "0" * 64}, set())


ID_LIKE = st.one_of(
    st.from_regex(r"1[0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]", fullmatch=True),
    st.from_regex(r"[0-9]{15}", fullmatch=True), st.text(max_size=20))


@FAST
@given(st.lists(ID_LIKE, max_size=20))
def test_the_bulk_id_check_finds_what_the_single_check_finds(numbers):
    from models.validators import check_id_number, invalid_id_numbers

    today = dt.date(2026, 11, 23)
    bulk = {index: result for index, result in invalid_id_numbers(numbers, today)}
    for index, number in enumerate(numbers):
        single = check_id_number(number, today)
        assert (index in bulk) == (not single.ok)
        if index in bulk:
            assert bulk[index] == single
