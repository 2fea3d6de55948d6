"""综合档案 (按件): register, scans, custody, 归档文件目录, and transfer with the household files."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.registers import record_items as items
from archive_tui.services.transfers import transfers
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import assign_scan, file_item_scan, ingest_once, list_scans, verify_store
from archive_tui.services.transfers.transfer_bags import package, receive
from archive_tui.services.registers.use_register import list_uses, return_use
from tests.conftest import another_archive, table_counts

PLAN = items.NewItem("01", "城关镇农村土地承包经营权确权登记颁证工作实施方案", dt.date(2024, 3, 5),
                     responsible="城关镇人民政府", doc_number="城政〔2024〕12号", pages=8)
PHOTOS = items.NewItem("05", "宣传动员会照片", dt.date(2024, 4, 1), pages=3)
NOTICE = items.NewItem("02", "关于开展确权登记公示的通知", dt.date(2024, 6, 10), pages=2)


def page(path, shade=120):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (200, 280), (shade, 200 - shade // 2, 90)).save(path, dpi=(300, 300))
    os.utime(path, (time.time() - 60,) * 2)
    return path


def test_items_are_numbered_per_year_and_retention_with_the_types_defaults(engine, config):
    codes = [items.add_item(context_for(engine, config), item) for item in (PLAN, PHOTOS, NOTICE)]
    assert codes == ["Z001-WS·2024-Y-0001", "Z001-WS·2024-D30-0001", "Z001-WS·2024-D30-0002"]
    photos = items.show_item(engine, config, codes[1])
    assert (photos["retention"], photos["carrier"], photos["type_name"]) == ("30年", "photo", "宣传照片")
    items.withdraw_item(context_for(engine, config), codes[2], "与另一件重复登记")
    later = items.add_item(context_for(engine, config), items.NewItem("02", "补充通知", dt.date(2024, 7, 1),
                                                                      retention="30年"))
    assert later == "Z001-WS·2024-D30-0003"  # a withdrawn item keeps its number
    assert [row["archive_code"] for row in items.list_items(engine, config, status="withdrawn")] == [codes[2]]
    items.edit_item(context_for(engine, config), codes[0], {"title": "城关镇确权登记颁证实施方案"}, "题名录错")
    history = items.show_item(engine, config, codes[0])["history"]
    assert [event["action"] for event in history] == ["登记", "更正"] and history[1]["reason"] == "题名录错"
    assert [row["archive_code"] for row in items.list_items(engine, config, search="实施方案")] == [codes[0]]


@pytest.mark.parametrize(("change", "message"), [
    ({"item_type": "99"}, "类别“99”不存在"),
    ({"title": "  "}, "请填写题名"),
    ({"dated": dt.date.today() + dt.timedelta(days=2)}, "晚于今天"),
    ({"year": 2023}, "不在年度 2023 内"),
    ({"retention": "5年"}, "保管期限“5年”无效"),
    ({"carrier": "tape"}, "载体“tape”无效"),
    ({"pages": -1}, "页数不能为负数"),
    ({"dated": None}, "请填写日期或年度"),
])
def test_a_wrong_item_is_refused_in_chinese_and_changes_nothing(engine, config, change, message):
    items.add_item(context_for(engine, config), PLAN)
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        items.add_item(context_for(engine, config), items.NewItem(**{**PLAN.__dict__, **change}))
    assert table_counts(engine) == before


@pytest.mark.parametrize(("act", "message"), [
    (lambda e, c, code: items.edit_item(context_for(e, c), code, {"title": PLAN.title}, "核对"), "没有要更正的内容"),
    (lambda e, c, code: items.edit_item(context_for(e, c), code, {"year": 2020}, "核对"), "不能更正的项"),
    (lambda e, c, code: items.withdraw_item(context_for(e, c), code, " "), "须写明原因"),
    (lambda e, c, code: items.return_item(context_for(e, c), code, dt.date(2026, 1, 2)), "未借出"),
    (lambda e, c, code: items.move_items(context_for(e, c), ["Z001-WS·1999-Y-0009"], "乡政府/档案室"), "找不到"),
    (lambda e, c, code: items.move_items(context_for(e, c), [code], "乡政府//3"), "位置"),
    (lambda e, c, code: items.box_items(context_for(e, c), year=1999), "没有待装盒"),
    (lambda e, c, code: items.print_catalogue(e, c, year=1999), "没有可列入"),
    (lambda e, c, code: items.show_item(e, c, "不存在"), "找不到档号"),
])
def test_wrong_custody_acts_are_refused_and_change_nothing(engine, config, act, message):
    code = items.add_item(context_for(engine, config), PLAN)
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        act(engine, config, code)
    assert table_counts(engine) == before


def test_boxing_lending_and_the_use_register(engine, config):
    ctx = context_for(engine, config)
    codes = [items.add_item(ctx, items.NewItem("02", f"通知{i}", dt.date(2024, 5, i))) for i in range(1, 6)]
    assert items.box_items(ctx, capacity=2).boxes == {"综2024-D30-001": 2, "综2024-D30-002": 2,
                                                      "综2024-D30-003": 1}
    items.add_item(context_for(engine, config), items.NewItem("02", "通知6", dt.date(2024, 5, 6)))
    assert items.box_items(context_for(engine, config),
                           capacity=2).boxes == {"综2024-D30-003": 1}  # the last box had room
    assert items.move_items(context_for(engine, config), ["综2024-D30-001"], "乡政府/档案室/3") == 2
    assert items.show_item(engine, config, codes[0])["location"] == "乡政府/档案室/3"
    number = items.lend_item(context_for(engine, config), codes[0], person="李四", purpose="编写乡志",
                             on=dt.date(2026, 3, 1))
    with pytest.raises(ArchiveError, match="已借出"):
        items.lend_item(context_for(engine, config), codes[0], person="王五", purpose="查对", on=dt.date(2026, 3, 2))
    with pytest.raises(ArchiveError, match="已借出"):
        items.move_items(context_for(engine, config), [codes[0]], "乡政府/档案室/4")
    [use] = list_uses(engine, key=codes[0])
    assert (use["number"], use["kind"], use["archive_code"], use["returned_on"]) == (number, "借出", codes[0], None)
    return_use(context_for(engine, config), number, dt.date(2026, 3, 5))  # returning the use puts the item back
    assert items.show_item(engine, config, codes[0])["status"] == "filed"
    assert list_uses(engine, key=codes[0])[0]["returned_on"] == "2026-03-05"


def test_the_catalogue_prints_one_table_per_year_and_retention(engine, config, tmp_path):
    for item in (PLAN, PHOTOS, NOTICE):
        items.add_item(context_for(engine, config), item)
    pdf = items.print_catalogue(engine, config, year=2024, out=tmp_path / "目录.pdf")
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages).replace("\n", "")
    assert "归档文件目录" in text and "城政〔2024〕12号" in text and "保管期限 30年" in text and "共 2 件" in text
    assert len(PdfReader(pdf).pages) == 2
    book = load_workbook(items.print_catalogue(engine, config, out=tmp_path / "目录.xlsx"))
    assert book.sheetnames == ["Z001-2024-永久", "Z001-2024-30年"]
    sheet = book["Z001-2024-30年"]
    assert [sheet.cell(4, column).value for column in (1, 2, 5)] == [1, "Z001-WS·2024-D30-0001", "宣传动员会照片"]


@pytest.mark.sqlite_only
def test_scans_named_by_an_items_code_are_linked_to_it(engine, config, tmp_path):
    code = items.add_item(context_for(engine, config), PLAN)
    page(config.inbox / f"{code}-2.jpg", 60)
    page(config.inbox / code / "扫描0001.jpg", 90)  # a folder named by the 档号
    report = ingest_once(context_for(engine, config))
    assert (report.linked, report.unassigned) == (2, 0)
    stored = file_item_scan(context_for(engine, config), page(tmp_path / "另扫.jpg", 150), code)
    assert stored.startswith(f"store/综合档案/{code}/")
    with pytest.raises(ArchiveError, match="内容相同"):
        other = items.add_item(context_for(engine, config), PHOTOS)
        file_item_scan(context_for(engine, config), page(tmp_path / "又一份.jpg", 60), other)
    page(config.inbox / "扫描仪0007.jpg", 200)  # a name that links nothing: it waits …
    ingest_once(context_for(engine, config))
    [waiting] = list_scans(engine, "unassigned")
    assigned = assign_scan(context_for(engine, config), waiting["path"], code,
                           None)  # … and is linked to the item by hand
    assert assigned == f"store/综合档案/{code}/{code}-0005.jpg" and not list_scans(engine, "unassigned")
    shown = items.show_item(engine, config, code)
    assert shown["scanned"] == 4 and f"store/综合档案/{code}/{code}-0002.jpg" in shown["page_files"]
    assert verify_store(engine, config).ok


@pytest.mark.sqlite_only
def test_one_batch_carries_files_and_items_to_the_county(engine, config, tmp_path):
    fill_demo(context_for(engine, config), households=3, seed=14)
    household = list_households(engine)[0]
    page(config.inbox / f"{household['archive_code']}-1.jpg")
    ready = items.add_item(context_for(engine, config), PLAN)
    bare = items.add_item(context_for(engine, config), PHOTOS)
    withdrawn = items.add_item(context_for(engine, config), NOTICE)
    items.withdraw_item(context_for(engine, config), withdrawn, "重复")
    page(config.inbox / f"{ready}-1.jpg", 40)
    ingest_once(context_for(engine, config))
    items.box_items(context_for(engine, config))
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    with pytest.raises(ArchiveError, match="1 件不能移交"):
        transfers.add(context_for(engine, config), number, [ready, bare])
    with pytest.raises(ArchiveError, match="已作废"):
        transfers.add(context_for(engine, config), number, [withdrawn], override="照片原件另附")
    result = transfers.add(context_for(engine, config), number, [household["cbfbm"], ready, bare],
                           override="照片原件另附")
    assert (result.added, result.overridden) == (3, 1)  # only the item without scans needed the reason
    shown = transfers.show(engine, number)
    assert (shown["files"], shown["record_items"]) == (1, 2)
    transfers.send(context_for(engine, config), number)
    assert items.show_item(engine, config, ready)["status"] == "sent"
    with pytest.raises(ArchiveError, match="正在移交"):
        items.lend_item(context_for(engine, config), ready, person="李四", purpose="查对", on=dt.date(2026, 3, 1))
    [bag] = package(context_for(engine, config), number, tmp_path / "bags", processes=1)
    catalogue = json.loads((bag / "data/catalogue/catalogue.json").read_text(encoding="utf-8"))
    assert [item["archive_code"] for item in catalogue["items"]] == [bare, ready]
    assert (bag / "data/items" / ready / f"{ready}-0001.jpg").is_file()
    county_config, county_engine = another_archive(tmp_path / "县档案馆")
    with pytest.raises(ArchiveError, match="未通过四性检测"):  # sent with an override: the county sees why
        receive(context_for(county_engine, county_config), bag)
    received = receive(context_for(county_engine, county_config), bag, override="照片原件另附（乡镇交接文据已注明）")
    assert (received.new_files, received.new_items, received.new_pages) == (1, 2, 2)
    assert received.failed_checks
    held = items.show_item(county_engine, county_config, ready)
    assert (held["scanned"], held["box"], held["fonds"]) == (1, "综2024-Y-001", "Z001")
    before = table_counts(county_engine)
    assert not receive(context_for(county_engine, county_config), bag, override="同上").changed
    assert table_counts(county_engine) == before
    transfers.close(context_for(engine, config), number, missing=[bare])
    assert items.show_item(engine, config, ready)["status"] == "transferred"
    assert items.show_item(engine, config, bare)["status"] == "filed"  # missing: still the township's
    county_engine.dispose()


@pytest.mark.sqlite_only
def test_a_bag_whose_item_clashes_or_escapes_is_refused(engine, config, tmp_path):
    code = items.add_item(context_for(engine, config), PLAN)
    page(config.inbox / f"{code}-1.jpg", 40)
    ingest_once(context_for(engine, config))
    items.box_items(context_for(engine, config))
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    transfers.add(context_for(engine, config), number, [code])
    [bag] = package(context_for(engine, config), number, tmp_path / "bags", processes=1)
    county_config, county_engine = another_archive(tmp_path / "县档案馆")
    other = items.NewItem("01", "县农业农村局确权工作方案", dt.date(2024, 2, 1))
    assert items.add_item(context_for(county_engine, county_config),
                          other) == code  # the county's own item holds that 档号
    before = table_counts(county_engine)
    with pytest.raises(ArchiveError, match="已是另一件综合档案"):
        receive(context_for(county_engine, county_config), bag)
    assert table_counts(county_engine) == before
    hostile = tmp_path / "hostile"
    shutil.copytree(bag, hostile)
    path = hostile / "data/catalogue/catalogue.json"
    catalogue = json.loads(path.read_text(encoding="utf-8"))
    catalogue["items"][0]["archive_code"] = "../../etc"
    path.write_text(json.dumps(catalogue, ensure_ascii=False), encoding="utf-8")
    import bagit

    bagit.Bag(str(hostile)).save(manifests=True)
    with pytest.raises(ArchiveError, match="不合规"):
        receive(context_for(county_engine, county_config), hostile)
    assert table_counts(county_engine) == before
    county_engine.dispose()
