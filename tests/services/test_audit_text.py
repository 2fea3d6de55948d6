"""Audit events in words: actions, fields and values as an archivist reads them."""

import datetime as dt

import pytest

from archive_tui.audit.wording import action_label, change_text, value_text


@pytest.mark.parametrize(("action", "label"), [
    ("copies.move", "移动"), ("copies.tick", "清点"), ("certificate.issue", "发证"), ("transfer.close", "接收完毕"),
    ("edit", "修改户信息"), ("review", "抽检结论"), ("replace", "重扫替换"),
    ("something.new", "something.new"),  # an unknown action is shown as stored
])
def test_actions(action, label):
    assert action_label(action) == label


@pytest.mark.parametrize(("value", "text"), [
    (None, "（空）"), ("", "（空）"), ([], "（空）"), (True, "是"), (False, "否"),
    (["id_number", "phone"], "证件号码、电话"),
    (["01", "02"], "01、02"), ("filed", "已归档"), ("township", "乡镇级"), (dt.date(2026, 11, 3), "2026-11-03"),
    (2.50, "2.5"), (12, "12"), ({"missing": ["Z1"]}, "缺失 Z1"), ("张三", "张三"), ("problem", "不合格"),
])
def test_values(value, text):
    assert value_text(value) == text


def test_changes_show_old_and_new_and_the_rest_as_values():
    text = change_text({"level": "township", "holder": None, "status": "filed"},
                       {"level": "township", "holder": "县档案馆", "status": "filed", "reason": "寄存"})
    assert text == "保管单位 （空） → 县档案馆；原因 寄存"
    assert change_text({}, {"fields": ["id_number", "phone"]}) == "字段 证件号码、电话"
    assert change_text({}, {"name": "长" * 300}).endswith("…") and len(change_text({}, {"name": "长" * 300})) == 160
