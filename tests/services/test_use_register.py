"""The use register: uses of a file recorded and numbered, returns, loans counted with them,
yearly figures, the printed 登记表 read back; wrong input refused with the database unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.registers import copies
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.registers.use_register import (
    NewUse, add_use, list_uses, print_use_register, return_use, yearly_figures,
)
from tests.conftest import table_counts

DAY = dt.date(2026, 4, 2)


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=4, seed=10)
    return list_households(engine)


def use(key, kind="consult", pages=0, **more) -> NewUse:
    return NewUse(key, kind, more.pop("person", "王五"), more.pop("used_on", DAY), unit="县自然资源局",
                  purpose=more.pop("purpose", "不动产统一登记核对"), approved_by="乡长", pages=pages, **more)


def rows_loan(rows: dict) -> str:
    return next(number for number, row in rows.items() if row["kind"] == "借出")


def test_uses_are_numbered_returned_and_counted_with_loans(engine, config, township, tmp_path):
    first, second = township[0], township[1]
    consult = add_use(context_for(engine, config), use(first["cbfbm"], id_number="11010519491231002x"))
    copy = add_use(context_for(engine, config), use(second["archive_code"], "copy", pages=3, person="赵六"))
    assert (consult, copy) == ("利用2026-001", "利用2026-002")
    return_use(context_for(engine, config), consult, DAY + dt.timedelta(days=1))
    copies.lend(context_for(engine, config), first["cbfbm"], "township", "县档案馆", DAY + dt.timedelta(days=30),
                on=DAY,
                purpose="查对")
    rows = {row["number"]: row for row in list_uses(engine, year=2026)}
    assert sorted(row["kind"] for row in rows.values()) == sorted(["查阅", "复制", "借出"])
    assert rows[consult]["returned_on"] == "2026-04-03" and rows[consult]["id_number"] == "110105********002X"
    figures = yearly_figures(engine, 2026)
    assert (figures["uses"], figures["persons"], figures["files"], figures["pages"]) == (3, 3, 2, 3)
    assert figures["by_kind"] == {"查阅": 1, "复制": 1, "摘录证明": 0, "借出": 1}
    text = PdfReader(print_use_register(engine, config, 2026)).pages[0].extract_text()
    assert "档案利用登记表" in text and consult in text and "复制" in text and "全年利用 3 次" in text
    sheet = load_workbook(print_use_register(engine, config, 2026, tmp_path / "利用.xlsx")).active
    assert {sheet.cell(row, 1).value for row in (4, 5, 6)} == {consult, copy, rows_loan(rows)}


@pytest.mark.parametrize(("make", "message"), [
    (lambda k: add_use(context_for(*k[:2]), use("130123999999999999")), "找不到"),
    (lambda k: add_use(context_for(*k[:2]), use(k[2], "borrow")), "利用方式“borrow”无效"),
    (lambda k: add_use(context_for(*k[:2]), use(k[2], "copy", pages=0)), "页数"),
    (lambda k: add_use(context_for(*k[:2]), use(k[2], person=" ")), "利用人"),
    (lambda k: add_use(context_for(*k[:2]), use(k[2], purpose="")), "利用目的"),
    (lambda k: add_use(context_for(*k[:2]), use(k[2], used_on=dt.date.today() + dt.timedelta(days=3))), "晚于今天"),
    (lambda k: return_use(context_for(*k[:2]), "利用1999-001", DAY), "没有编号"),
    (lambda k: return_use(context_for(*k[:2]), k[3], DAY - dt.timedelta(days=1)), "早于利用日期"),
    (lambda k: print_use_register(*k[:2], 1999), "没有利用登记"),
])
def test_wrong_input_is_refused_and_changes_nothing(engine, config, township, make, message):
    number = add_use(context_for(engine, config), use(township[0]["cbfbm"]))
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        make((engine, config, township[0]["cbfbm"], number))
    assert table_counts(engine) == before


def test_a_use_is_returned_once(engine, config, township):
    number = add_use(context_for(engine, config), use(township[2]["cbfbm"]))
    return_use(context_for(engine, config), number, DAY)
    with pytest.raises(ArchiveError, match="已于 2026-04-02 归还"):
        return_use(context_for(engine, config), number, DAY + dt.timedelta(days=1))
