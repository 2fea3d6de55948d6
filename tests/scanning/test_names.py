"""File-name rules, table-driven: what each default rule reads, and what it must not."""

import pytest

from archive_tui.scanning.names import RuleError, candidates, compile_rule, match_name

RULES = [
    "{archive_code}-{page}",
    "{cbfbm}_{doc}_{page}",
    "{seq4}_{name}_{page}{docname}",
    "{archive_code}",
]


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("Z001-NJ·2018-Y-00001-0001", {"rule": RULES[0], "archive_code": "Z001-NJ·2018-Y-00001", "page": 1}),
        ("Z001-NJ·2018-Y-00123-12", {"archive_code": "Z001-NJ·2018-Y-00123", "page": 12}),
        ("130123101001010001_03_2", {"rule": RULES[1], "cbfbm": "130123101001010001", "doc": "03", "page": 2}),
        ("0007_张三_01承包合同", {"rule": RULES[2], "seq4": "0007", "name": "张三", "page": 1,
                               "docname": "承包合同"}),
        ("0007_欧阳娜娜_12地块示意图", {"seq4": "0007", "name": "欧阳娜娜", "page": 12, "docname": "地块示意图"}),
        ("说明", {"rule": RULES[3], "archive_code": "说明"}),
    ],
)
def test_default_rules_read_the_names(stem, expected):
    found = match_name(stem, RULES)
    assert found is not None
    for key, value in expected.items():
        assert getattr(found, key) == value, key


@pytest.mark.parametrize("stem", ["13012310100101000_03_2", "0007_张三_承包合同", "abc_01_x"])
def test_names_that_fit_no_specific_rule(stem):
    found = match_name(stem, RULES[1:3])
    assert found is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [("{archive}-{page}", "字段 {archive} 不存在"), ("{page}-{page}", "重复"), ("scan", "没有任何字段")],
)
def test_bad_rules_are_named(rule, message):
    with pytest.raises(RuleError, match=message):
        compile_rule(rule)


def test_a_whole_archive_code_is_not_cut_into_code_and_page_when_the_archive_knows_it():
    known = {"Z001-NJ·2018-Y-00001"}
    readings = [m.archive_code for m in candidates("Z001-NJ·2018-Y-00001", RULES)]
    assert readings == ["Z001-NJ·2018-Y", "Z001-NJ·2018-Y-00001"]  # both readings exist …
    found = match_name("Z001-NJ·2018-Y-00001", RULES, accept=lambda m: m.archive_code in known)
    assert found.rule == "{archive_code}" and found.page is None  # … the archive decides
