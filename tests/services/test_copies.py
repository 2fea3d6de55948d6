"""Custody of the three copies on a real demo database: moves and their history, boxing and
re-boxing, lending rules, per-copy completeness, box labels and the shelf list read back."""

import datetime as dt

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.services.registers import copies
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.registers.custody_forms import print_box_labels, print_shelf_list
from tests.conftest import render_pdf_page, table_counts


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=23, seed=4)
    return list_households(engine)


def copy_of(engine, key, level):
    return next(c for c in copies.list_copies(engine, level=level) if key in (c["cbfbm"], c["archive_code"]))


def test_a_sequence_of_moves_leaves_its_history(engine, config, township):
    key = township[0]["cbfbm"]
    copies.move(context_for(engine, config), [key], "乡政府/档案室", level="township", reason="整理")
    copies.move(context_for(engine, config), [key], "乡政府/档案室/3/2", level="township", reason="上架")
    copies.move(context_for(engine, config), [key], "", level="township", holder="县档案馆", reason="寄存")
    events = copies.history(engine, key, "township")
    assert [e["action"] for e in events] == ["move", "move", "move"]
    assert [(e["before"]["location"], e["after"]["location"]) for e in events[:2]] == [
        ("", "乡政府/档案室"), ("乡政府/档案室", "乡政府/档案室/3/2")]
    assert (events[2]["before"]["holder"], events[2]["after"]["holder"]) == (config.settings.township.name, "县档案馆")
    assert [e["reason"] for e in events] == ["整理", "上架", "寄存"] and all(e["operator"] == "档案员" for e in events)
    others = copies.history(engine, key, "county")
    assert others == []  # only the township copy moved
    copies.move(context_for(engine, config), [key], "县局/库房")  # no level: all three copies
    assert {copy_of(engine, key, level)["location"] for level in ("village", "township", "county")} == {"县局/库房"}


def test_boxing_a_village_in_archive_code_order_and_reboxing(engine, config, township):
    village = township[0]["village"]
    files = sorted(h["archive_code"] for h in township if h["village"] == village)
    result = copies.box_files(context_for(engine, config), village=village, capacity=5, level="township")
    expected_boxes = (len(files) + 4) // 5
    assert len(result.boxes) == expected_boxes and result.copies == len(files)
    rows = [copy_of(engine, code, "township") for code in files]
    assert [r["box"] for r in rows] == [result.boxes[i // 5] for i in range(len(files))]
    assert result.boxes[0] == "乡" + township[0]["cbfbm"][9:12] + "-001"
    assert {r["status"] for r in rows} == {"filed"}
    again = copies.box_files(context_for(engine, config), village=village, capacity=8, level="township")
    assert len(again.boxes) == (len(files) + 7) // 8
    history = copies.history(engine, files[5], "township")
    assert [(e["before"]["box"], e["after"]["box"]) for e in history] == [
        ("", result.boxes[1]), (result.boxes[1], again.boxes[0])]
    unchanged = copies.box_files(context_for(engine, config), village=village, capacity=8, level="township")
    assert unchanged.changed == 0


def test_boxing_by_pages(engine, config, township):
    village = township[0]["village"]
    result = copies.box_files(context_for(engine, config), village=village, pages=60, level="county")
    by_box: dict[str, int] = {}
    for row in copies.list_copies(engine, level="county", village=village):
        by_box[row["box"]] = by_box.get(row["box"], 0) + (row["pages"] or 1)
    assert len(by_box) == len(result.boxes) > 1
    assert all(total <= 60 or count == 1 for total, count in
               ((by_box[b], sum(1 for r in copies.list_copies(engine, box=b))) for b in by_box))


def test_moving_a_whole_box_keeps_its_number_a_single_copy_leaves_it(engine, config, township):
    village = township[0]["village"]
    first = copies.box_files(context_for(engine, config), village=village, capacity=4, level="township").boxes[0]
    moved = copies.move(context_for(engine, config), [first], "乡政府/档案室/1/1", level="township")
    assert moved == 4 and {r["location"] for r in copies.list_copies(engine, box=first)} == {"乡政府/档案室/1/1"}
    single = copies.list_copies(engine, box=first)[0]["archive_code"]
    copies.move(context_for(engine, config), [single], "乡政府/阅览室", level="township")
    assert copy_of(engine, single, "township")["box"] == ""
    assert len(copies.list_copies(engine, box=first)) == 3


def test_a_lent_copy_cannot_be_boxed_moved_or_lent_until_it_is_back(engine, config, township):
    key, village = township[0]["cbfbm"], township[0]["village"]
    copies.box_files(context_for(engine, config), village=village, capacity=5, level="township")
    copies.lend(context_for(engine, config), key, "township", "县农业局 王科长", dt.date(2026, 11, 1), purpose="核查",
                on=dt.date(2026, 10, 1))
    before = table_counts(engine)
    for step in (lambda: copies.move(context_for(engine, config), [key], "别处", level="township"),
                 lambda: copies.box_files(context_for(engine, config), village=village, capacity=3, level="township"),
                 lambda: copies.lend(context_for(engine, config), key, "township", "李四", dt.date(2026, 12, 9))):
        with pytest.raises(ArchiveError) as refused:
            step()
        assert township[0]["archive_code"] in refused.value.message and "王科长" in refused.value.message
    assert table_counts(engine) == before
    assert copies.loans(engine, overdue_on=dt.date(2026, 11, 2))[0]["borrower"] == "县农业局 王科长"
    assert copies.loans(engine, overdue_on=dt.date(2026, 10, 30)) == []
    copies.give_back(context_for(engine, config), key, "township", on=dt.date(2026, 11, 3))
    assert copy_of(engine, key, "township")["status"] == "filed"
    assert "逾期 2 天" in copies.history(engine, key, "township")[-1]["reason"]
    with pytest.raises(ArchiveError, match="没有借出"):
        copies.give_back(context_for(engine, config), key, "township")


@pytest.mark.parametrize("call, message", [
    (lambda e, c, k: copies.move(context_for(e, c), [k], "乡政府//3"), "位置"),
    (lambda e, c, k: copies.move(context_for(e, c), ["9999"], "乡政府"), "找不到"),
    (lambda e, c, k: copies.move(context_for(e, c), [k], "乡政府", level="city"), "份别"),
    (lambda e, c, k: copies.lend(context_for(e, c), k, "county", "王", dt.date(2020, 1, 1)), "早于"),
    (lambda e, c, k: copies.box_files(context_for(e, c), village="大前店村", capacity=0), "正整数"),
    (lambda e, c, k: copies.box_files(context_for(e, c), village="大前店村", capacity=3, pages=9), "二者选一"),
    (lambda e, c, k: copies.tick(context_for(e, c), k, "county", ["01", "77"]), "77"),
    (lambda e, c, k: copies.lend(context_for(e, c), k, "county", "王", dt.date.today() + dt.timedelta(days=30),
                                 on=dt.date.today() + dt.timedelta(days=1)), "还没到"),
])
def test_bad_requests_are_refused_and_nothing_changes(engine, config, township, call, message):
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        call(engine, config, township[0]["cbfbm"])
    assert table_counts(engine) == before


def test_every_custody_act_is_audited_under_the_household_with_its_level(engine, config, township):
    key, village = township[0]["cbfbm"], township[0]["village"]
    copies.move(context_for(engine, config), [key], "乡政府/档案室", level="township")
    copies.lend(context_for(engine, config), key, "county", "县农业局 王科长", dt.date(2026, 12, 1),
                on=dt.date(2026, 11, 1))
    copies.give_back(context_for(engine, config), key, "county", on=dt.date(2026, 11, 5))
    copies.tick(context_for(engine, config), key, "village", ["01", "02"])
    copies.box_files(context_for(engine, config), village=village, capacity=5, level="township")
    events = [(e["action"], e["after"]["level"]) for e in audit.log(engine, entity_key=key)]
    assert events == [("copies.move", "township"), ("copies.lend", "county"), ("copies.return", "county"),
                      ("copies.tick", "village"), ("copies.box", "township")]
    tick = [e for e in audit.log(engine, entity_key=key) if e["action"] == "copies.tick"][0]
    assert tick["after"]["present_docs"] == ["01", "02"]
    assert tick["after"]["archive_code"] == township[0]["archive_code"]
    assert audit.verify(engine).ok


def test_per_copy_completeness_shows_the_differences(engine, config, township):
    key = township[0]["cbfbm"]
    required = [d.code for d in config.settings.documents if d.required]
    assert copies.tick(context_for(engine, config), key, "township", required) == []
    missing = copies.tick(context_for(engine, config), key, "county", [c for c in required if c != "06"])
    assert missing == [next(d.name for d in config.settings.documents if d.code == "06")]
    rows = [copy_of(engine, key, level) for level in ("village", "township", "county")]
    assert copies.copy_differences(rows, config) == {"township": [], "county": missing}


def test_box_labels_and_contents_read_back(engine, config, township, tmp_path):
    village = township[0]["village"]
    boxes = copies.box_files(context_for(engine, config), village=village, capacity=5, level="township").boxes
    result = print_box_labels(engine, config, tmp_path / "盒脊.pdf", village=village)
    reader = PdfReader(result.path)
    spines = reader.pages[0].extract_text()
    assert all(box in spines for box in boxes[:4]) and "全宗号" in spines and "永久" in spines
    first_files = sorted(h["archive_code"] for h in township if h["village"] == village)[:5]
    assert first_files[0] in spines and first_files[4] in spines  # 档号起止 of the first box
    contents = "".join(page.extract_text() for page in reader.pages[1:])
    assert f"盒内目录 {boxes[0]}" in contents.replace("  ", " ") and all(code in contents for code in first_files)
    render_pdf_page(result.path, 0, dpi=50).save(tmp_path / "spine.png")


def test_shelf_list_in_archive_code_order_as_pdf_and_xlsx(engine, config, township, tmp_path):
    village = township[0]["village"]
    copies.box_files(context_for(engine, config), village=village, capacity=5, level="township")
    expected = sorted(h["archive_code"] for h in township if h["village"] == village)
    book = load_workbook(print_shelf_list(engine, config, tmp_path / "目录.xlsx", village=village).path)
    rows = list(book["案卷目录"].iter_rows(values_only=True))
    assert rows[2] == ("序号", "档号", "案卷题名", "年度", "保管期限", "页数", "盒号")
    assert [r[1] for r in rows[3:]] == expected and all(r[6] for r in rows[3:])
    text = "".join(p.extract_text() for p in PdfReader(
        print_shelf_list(engine, config, tmp_path / "目录.pdf", village=village).path).pages)
    positions = [text.index(code) for code in expected]
    assert positions == sorted(positions) and "案卷目录" in text
