"""Certificate registers on a real demo database: the state machine as a table, the head-only
and proxy rules, 补发/换发, a destruction batch end to end, the report against the lists."""

import datetime as dt
import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.registers import certificates as certs
from archive_tui.services.registers.certificate_forms import print_destruction_register, print_roster
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.intake.scans import list_scans
from models import AuditEvent, Certificate, CertificateEvent, Household
from tests.conftest import render_pdf_page, table_counts

CERT, HOUSEHOLD = Certificate.__table__, Household.__table__
STATES = list(certs.STATUS_LABELS)
ACTIONS = ["issue", "recall", "lost", "reissue", "replace", "cancel", "destroy"]


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=30, seed=8)
    return engine


def household_row(engine, index=0, **flags):
    """A household (the index-th by code), its head-only flags set as given."""
    with engine.begin() as connection:
        row = connection.execute(select(HOUSEHOLD).order_by(HOUSEHOLD.c.code).offset(index).limit(1)).one()
        values = {"has_basic_farmland": False, "has_high_standard_farmland": False, "has_dispute": False, **flags}
        connection.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == row.id).values(**values))
    return row


def certificate_in(engine, status, index=0, generation="new"):
    """The household's certificate of that generation, put into ``status`` (test set-up)."""
    household = household_row(engine, index)
    with engine.begin() as connection:
        serial = connection.execute(select(CERT.c.serial).where(
            CERT.c.household_id == household.id, CERT.c.generation == generation)).scalar_one()
        connection.execute(update(CERT).where(CERT.c.serial == serial).values(status=status))
    return serial, household


def status_of(engine, serial):
    with engine.connect() as connection:
        return connection.execute(select(CERT.c.status).where(CERT.c.serial == serial)).scalar_one()


def act(engine, config, action, serial, household):
    head = certs.Collector(household.name, household.id_number)
    on = dt.date(2026, 11, 20)
    if action == "issue":
        return certs.issue(context_for(engine, config), serial, head, on)
    if action == "recall":
        return certs.recall(context_for(engine, config), serial, by=household.name, condition="完好", on=on)
    if action == "lost":
        return certs.lost(context_for(engine, config), serial, reason="火灾", on=on)
    if action in ("reissue", "replace"):
        return getattr(certs, action)(context_for(engine, config), serial, f"NEW-{serial}", on=on)
    if action == "cancel":
        return certs.cancel(context_for(engine, config), serial, reason="合同终止", on=on)
    number = certs.new_batch(context_for(engine, config), certs.BatchForm("文1", "李四", ["赵六", "钱七"], "粉碎",
                                                                          "乡政府", on))
    certs.add_to_batch(context_for(engine, config), number, [serial])
    return certs.close_batch(context_for(engine, config), number)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_state_and_action(engine, config, township, state, action):
    serial, household = certificate_in(engine, state)
    allowed, to = certs.TRANSITIONS[action]
    before = table_counts(engine)
    if state in allowed:
        act(engine, config, action, serial, household)
        assert status_of(engine, serial) == (to or state)
        with engine.connect() as connection:
            kinds = connection.execute(
                select(CertificateEvent.kind).join(CERT, CERT.c.id == CertificateEvent.certificate_id)
                .where(CERT.c.serial == serial)).scalars().all()
        assert action in kinds
    else:
        with pytest.raises(ArchiveError) as refused:
            act(engine, config, action, serial, household)
        assert serial in refused.value.message or serial in "".join(refused.value.details)
        assert status_of(engine, serial) == state
        after = table_counts(engine)
        after.pop("destruction_batch"), before.pop("destruction_batch")  # the batch itself was opened
        after.pop("audit_event"), before.pop("audit_event")
        assert after == before


@pytest.mark.parametrize("message_for, expected", [
    (("issue", "issued"), "不能重复发放"),
    (("recall", "printed"), "从未发放"),
    (("destroy", "issued"), "须先收回"),
    (("replace", "issued"), "须先收回旧证"),
    (("reissue", "issued"), "补发只适用于已挂失"),
    (("destroy", "destroyed"), "已销毁"),
])
def test_refusals_say_why_in_chinese(message_for, expected):
    assert expected in certs.refusal(*message_for)


@pytest.mark.parametrize("flag, label", [("has_basic_farmland", "基本农田"),
                                         ("has_high_standard_farmland", "高标准农田"), ("has_dispute", "争议")])
def test_only_the_head_collects_where_farmland_or_a_dispute_is_involved(engine, config, township, flag, label):
    serial, household = certificate_in(engine, "printed")
    household_row(engine, 0, **{flag: True})
    spouse = certs.Collector("王某", "11010519491231002X", relation="10", proxy_letter="委托书第3号")
    with pytest.raises(ArchiveError, match=f"涉及{label}.*只能由户主"):
        certs.issue(context_for(engine, config), serial, spouse)
    assert status_of(engine, serial) == "printed"
    certs.issue(context_for(engine, config), serial, certs.Collector(household.name, household.id_number))
    assert status_of(engine, serial) == "issued"


def test_a_proxy_needs_the_heads_letter_and_a_relation(engine, config, township):
    serial, _household = certificate_in(engine, "printed")
    proxy = dict(name="王某", id_number="11010519491231002X")
    with pytest.raises(ArchiveError, match="委托书"):
        certs.issue(context_for(engine, config), serial, certs.Collector(**proxy, relation="10"))
    with pytest.raises(ArchiveError, match="关系"):
        certs.issue(context_for(engine, config), serial, certs.Collector(**proxy, proxy_letter="委托书第3号"))
    details = certs.issue(context_for(engine, config), serial, certs.Collector(**proxy, relation="配偶",
                                                                  proxy_letter="委托书第3号"))
    assert details["proxy_letter"] == "委托书第3号（待扫描）" and details["relation"] == "10"
    _cert, events = certs.certificate_history(engine, serial)
    assert events[-1]["person_name"] == "王某" and json.loads(events[-1]["details"])["relation_label"] == "配偶"


def test_a_scanned_proxy_letter_is_filed_into_the_household_file(engine, config, township, tmp_path):
    from PIL import Image

    serial, household = certificate_in(engine, "printed", index=1)
    letter = tmp_path / "委托书 扫描.jpg"
    Image.new("RGB", (400, 560), "white").save(letter, dpi=(300, 300))
    details = certs.issue(context_for(engine, config), serial, certs.Collector("王某", "11010519491231002X", "20",
                                                                  proxy_letter=str(letter)))
    [page] = list_scans(engine, "linked")
    assert details["proxy_letter"] == page["path"] and page["doc_type"] == "01"
    assert letter.is_file()  # the archivist's own file is left where it was


def test_a_refused_issue_files_no_proxy_letter(engine, config, township, tmp_path, monkeypatch):
    """The letter's page is part of the issue: refused at its last step, nothing of it stays —
    no page row, no copy in the store, no audit event."""
    from PIL import Image

    serial, _household = certificate_in(engine, "printed", index=1)
    letter = tmp_path / "委托书.jpg"
    Image.new("RGB", (400, 560), "white").save(letter, dpi=(300, 300))
    store_before = sorted(p for p in config.store.rglob("*") if p.is_file())
    before = table_counts(engine)

    def refused(*args, **kwargs):  # another workstation issued it meanwhile, say
        raise ArchiveError("证书状态已改变")

    monkeypatch.setattr(certs, "_record", refused)
    with pytest.raises(ArchiveError, match="证书状态已改变"):
        certs.issue(context_for(engine, config), serial,
                    certs.Collector("王某", "11010519491231002X", "20", proxy_letter=str(letter)))
    assert table_counts(engine) == before and list_scans(engine) == []
    assert sorted(p for p in config.store.rglob("*") if p.is_file()) == store_before and letter.is_file()


@pytest.mark.parametrize("collector, message", [
    (certs.Collector("", "11010519491231002X"), "领证人姓名"),
    (certs.Collector("王某", "110105194912310021"), "校验位"),
    (certs.Collector("王某", "11010519491231002X", relation="99x", proxy_letter="1"), "不是 GB/T 4761"),
])
def test_bad_collector_data_is_refused_and_nothing_changes(engine, config, township, collector, message):
    serial, _household = certificate_in(engine, "printed")
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        certs.issue(context_for(engine, config), serial, collector)
    assert table_counts(engine) == before


def test_replacement_then_issue_and_no_second_replacement(engine, config, township):
    old, household = certificate_in(engine, "recalled", generation="old")
    certs.replace(context_for(engine, config), old, "2026NEW0001", reason="旧证收回换发")
    assert status_of(engine, "2026NEW0001") == "printed"
    certs.issue(context_for(engine, config), "2026NEW0001", certs.Collector(household.name, household.id_number))
    with pytest.raises(ArchiveError, match="已换发为 2026NEW0001"):
        certs.replace(context_for(engine, config), old, "2026NEW0002")
    other, _ = certificate_in(engine, "lost", index=2)
    with pytest.raises(ArchiveError, match="已被使用"):
        certs.reissue(context_for(engine, config), other, "2026NEW0001")


def test_a_destruction_batch_end_to_end(engine, config, township, tmp_path):
    recalled = [certificate_in(engine, "recalled", index=i, generation="old")[0] for i in range(3)]
    form = certs.BatchForm("城政发〔2026〕5号", "李四", ["赵六", "钱七"], "粉碎", "城关镇政府",
                           dt.date(2026, 11, 20), appraisal_head="孙八", approved_on=dt.date(2026, 11, 10))
    number = certs.new_batch(context_for(engine, config), form)
    assert number == "XH2026-001"
    assert certs.add_to_batch(context_for(engine, config), number, recalled) == 3
    pdf = print_destruction_register(context_for(engine, config), number, tmp_path / "销毁清册.pdf").path
    reader = PdfReader(pdf)
    cover, listing = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "销毁清册" in cover and "城政发〔2026〕5号" in cover and "赵六、钱七" in cover and "孙八" in cover
    flat = "".join(listing.split())
    assert all(serial in listing for serial in recalled) and "序号" in listing and "已保管期限" in flat
    assert all(column in flat for column in ("销毁原因", "收回日期", "交回人", "证书状况"))
    signatures = listing.index("监销人 赵六（签字）")
    assert "合计" in listing and listing.index("合计") < signatures < listing.index("监销人 钱七")
    assert "送审稿" in cover and "草稿" not in cover.replace("送审稿", "")  # the approval is signed on it
    assert "第 1 页 共 2 页" in cover and "第 2 页 共 2 页" in listing
    render_pdf_page(pdf, 1, dpi=60).save(tmp_path / "list.png")
    assert certs.close_batch(context_for(engine, config), number) == 3
    assert {status_of(engine, serial) for serial in recalled} == {"destroyed"}
    book = load_workbook(print_destruction_register(context_for(engine, config), number,
                                                    tmp_path / "销毁清册.xlsx").path)
    rows = list(book[number].iter_rows(values_only=True))
    assert "已销毁" in rows[1][0] and rows[2][:3] == ("序号", "证书编号", "题名")
    assert [row[1] for row in rows[3:6]] == sorted(recalled) and rows[6][0] == "合计" and rows[6][11] == 3
    assert [row[0] for row in rows[8:]] == ["监销人 赵六（签字）", "监销人 钱七（签字）"]
    closed = PdfReader(print_destruction_register(context_for(engine, config), number,
                                                  tmp_path / "2.pdf").path).pages[0]
    assert "草稿" not in closed.extract_text() and "送审稿" not in closed.extract_text()
    facts = {row[0]: row[1] for row in book["封面"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert facts["监销人"] == "赵六、钱七" and facts["销毁日期"] == dt.datetime(2026, 11, 20)  # a date cell
    before = table_counts(engine)
    another, _ = certificate_in(engine, "cancelled", index=5)
    with pytest.raises(ArchiveError, match="已.*关闭"):
        certs.add_to_batch(context_for(engine, config), number, [another])
    with pytest.raises(ArchiveError, match="已.*关闭"):
        certs.close_batch(context_for(engine, config), number)
    assert table_counts(engine) == before


@pytest.mark.parametrize("supervisors, field", [(["赵六"], "监销人"), (["赵六", "赵六"], "监销人"), ([], "监销人")])
def test_a_batch_needs_two_supervisors(engine, config, township, supervisors, field):
    with pytest.raises(ArchiveError, match=field):
        certs.new_batch(context_for(engine, config), certs.BatchForm("文1", "李四", supervisors, "粉碎", "乡",
                                                                     dt.date(2026, 1, 1)))


def test_a_certificate_is_on_one_batch_only_and_a_bad_one_stops_the_whole_add(engine, config, township):
    one, _ = certificate_in(engine, "recalled", index=0, generation="old")
    issued, _ = certificate_in(engine, "issued", index=1, generation="old")
    form = certs.BatchForm("文1", "李四", ["赵六", "钱七"], "粉碎", "乡", dt.date(2026, 1, 1))
    first, second = certs.new_batch(context_for(engine, config), form), certs.new_batch(context_for(engine, config),
                                                                                        form)
    with pytest.raises(ArchiveError) as refused:
        certs.add_to_batch(context_for(engine, config), first, [one, issued])
    assert "仍在农户手中" in "".join(refused.value.details)
    assert certs.batch_details(engine, first)[1] == []
    certs.add_to_batch(context_for(engine, config), first, [one])
    with pytest.raises(ArchiveError) as twice:
        certs.add_to_batch(context_for(engine, config), second, [one])
    assert first in "".join(twice.value.details)


def test_the_report_agrees_with_the_lists(engine, config, township):
    serial, household = certificate_in(engine, "printed", index=3)
    certs.issue(context_for(engine, config), serial, certs.Collector(household.name, household.id_number))
    old, _ = certificate_in(engine, "issued", index=4, generation="old")
    certs.recall(context_for(engine, config), old, by="x")
    [row] = certs.issue_report(engine)
    everything = certs.list_certificates(engine)
    issued_households = {c["cbfbm"] for c in everything if c["generation"] == "new" and c["status"] == "issued"}
    assert row["households"] == 30 and row["issued"] == len(issued_households)
    assert row["issue_rate"] == round(100 * len(issued_households) / 30, 1)
    for kind in certs.OUTSTANDING:
        assert row[kind] == len(certs.list_certificates(engine, outstanding=kind))
    assert row["recalled_not_destroyed"] == 1
    groups = certs.issue_report(engine, by_group=True)
    assert sum(g["households"] for g in groups) == 30 and all("group" in g for g in groups)
    assert certs.report_total(groups)["issued"] == row["issued"]


def test_the_issue_roster_per_group_with_a_total_row(engine, config, township, tmp_path):
    from archive_tui.services.households.households import list_households

    village = list_households(engine, limit=1)[0]["village"]
    result = print_roster(context_for(engine, config), village, tmp_path / "颁证清册.xlsx")
    book = load_workbook(result.path)
    first = book.worksheets[0]
    rows = list(first.iter_rows(values_only=True))
    assert "颁证清册" in rows[0][0] and rows[2][:5] == ("序号", "承包方名称", "合同编号", "证书编号", "确权面积（亩）")
    end = [row[0] for row in rows].index("合计")
    body, total = rows[3:end], rows[end]
    assert total[1] == f"{len(body)} 户" and rows[end + 2][0] == "填表人（签字）"
    assert total[4] == pytest.approx(sum(r[4] for r in body), abs=0.01)  # areas are numbers
    assert all("*" in r[5] for r in body if r[5])  # masked by default
    pdf = print_roster(context_for(engine, config), village, tmp_path / "颁证清册.pdf", full_id=True)
    text = PdfReader(pdf.path).pages[0].extract_text()
    assert "领证人签字" in text and body[0][1] in text and "*" not in text.split("身份证号码")[1][:200]
    with engine.connect() as connection:
        assert "reveal" in connection.execute(select(AuditEvent.action)).scalars().all()


def test_the_national_export_keeps_one_certificate_per_code(engine, config, township):
    from archive_tui.services.exchange.exporting import collect_tables

    new, household = certificate_in(engine, "issued", index=6)
    certs.lost(context_for(engine, config), new, reason="遗失")
    certs.reissue(context_for(engine, config), new, "2026BF0001")
    certs.issue(context_for(engine, config), "2026BF0001", certs.Collector(household.name, household.id_number))
    old, _ = certificate_in(engine, "issued", index=7, generation="old")
    certs.cancel(context_for(engine, config), old, reason="已换新证")
    tables = collect_tables(engine, config)
    columns, rows = tables["CBJYQZ"]
    codes = [row[0] for row in rows]
    assert len(codes) == len(set(codes)) == 30
    _columns, reissued = tables["CBJYQZ_QZBF"]
    assert len(reissued) == 1 and reissued[0][0].startswith(household.code)
    assert tables["CBJYQZ_QZZX"][1] == []  # the old certificate's cancellation is not a national record



TOMORROW = dt.date.today() + dt.timedelta(days=1)


def test_an_event_dated_in_the_future_is_refused(engine, config, township):
    serial, household = certificate_in(engine, "issued", index=4, generation="old")
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match="还没到"):
        certs.recall(context_for(engine, config), serial, by=household.name, on=TOMORROW)
    assert table_counts(engine) == before and status_of(engine, serial) == "issued"


def test_an_event_dated_before_the_last_one_is_refused(engine, config, township):
    serial, household = certificate_in(engine, "printed", index=5)
    certs.issue(context_for(engine, config), serial, certs.Collector(household.name, household.id_number),
                dt.date(2026, 11, 20))
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match="早于证书 .* 上一次记录的日期 2026-11-20"):
        certs.lost(context_for(engine, config), serial, reason="火灾", on=dt.date(2026, 11, 10))
    assert table_counts(engine) == before and status_of(engine, serial) == "issued"


def test_a_batch_approved_after_its_destruction_date_is_refused(engine, config, township):
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match="晚于销毁日期"):
        certs.new_batch(context_for(engine, config), certs.BatchForm("文1", "李四", ["赵六", "钱七"], "粉碎", "乡政府",
                                                        dt.date(2026, 11, 1), approved_on=dt.date(2026, 11, 10)))
    assert table_counts(engine) == before


def test_a_batch_is_closed_only_when_its_destruction_day_has_come(engine, config, township):
    serial, _household = certificate_in(engine, "recalled", index=6, generation="old")
    form = certs.BatchForm("文1", "李四", ["赵六", "钱七"], "粉碎", "乡政府", TOMORROW)
    number = certs.new_batch(context_for(engine, config), form)
    certs.add_to_batch(context_for(engine, config), number, [serial])
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match="还没到"):
        certs.close_batch(context_for(engine, config), number)
    assert table_counts(engine) == before and status_of(engine, serial) == "recalled"
