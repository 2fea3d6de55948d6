"""Frozen records (已签文书): a form is made once, when its record is closed, and kept.

On real archives (SQLite files, and PostgreSQL where a server answers): the 销毁清册 closed,
printed, the head's name corrected, printed again — the same bytes; a kept file altered or
gone is refused naming the file and both digests, and ``audit verify`` reports it; the
送审稿 before closing and the register's new columns from the certificates' own events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.registers import certificates as certs
from archive_tui.services.registers import kept_forms
from archive_tui.audit import log
from archive_tui.services.registers.certificate_forms import print_destruction_register, print_roster
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.editing import update_household
from archive_tui.services.households.households import list_households
from models import Certificate, Household
from tests.conftest import table_counts

CERT, HOUSEHOLD = Certificate.__table__, Household.__table__
DAY = dt.date(2026, 11, 20)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pdf_text(path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def old_certificates(engine, count: int) -> list[tuple[str, str, str]]:
    """(serial, household code, head's name) of the first ``count`` old-generation certificates."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(
            select(CERT.c.serial, HOUSEHOLD.c.code, HOUSEHOLD.c.name)
            .join(HOUSEHOLD, HOUSEHOLD.c.id == CERT.c.household_id)
            .where(CERT.c.generation == "old").order_by(CERT.c.serial).limit(count))]


@pytest.fixture
def register(engine, config):
    """A 销毁清册 of four old certificates: three handed back (by whom, in what state), one
    cancelled with its reason; not yet closed."""
    fill_demo(context_for(engine, config), households=12, seed=5)
    old = old_certificates(engine, 4)
    returned = [("本人", "完好"), ("张秀英（配偶）", "破损，封皮脱落"), ("王强", "缺页")]
    for (serial, _code, _name), (by, condition) in zip(old, returned):
        certs.recall(context_for(engine, config), serial, by=by, condition=condition, on=dt.date(2026, 10, 8))
    certs.cancel(context_for(engine, config), old[3][0], reason="承包地被征收，合同终止", on=dt.date(2026, 10, 9))
    number = certs.new_batch(context_for(engine, config), certs.BatchForm(
        "城政发〔2026〕5号", "李四", ["赵六", "钱七"], "粉碎", "城关镇政府", DAY, appraisal_head="孙八",
        approved_on=dt.date(2026, 11, 10)))
    certs.add_to_batch(context_for(engine, config), number, [serial for serial, _code, _name in old])
    return number, old


def test_before_closing_the_register_prints_as_the_draft_for_approval_with_its_new_columns(
        engine, config, register, tmp_path):
    number, old = register
    pdf = print_destruction_register(context_for(engine, config), number, tmp_path / "送审.pdf").path
    text = pdf_text(pdf)
    assert "送审稿" in text and "草稿" not in text.replace("送审稿", "")
    assert "批准人（签字）" in text and "鉴定小组组长（签字）" in text  # the approval is signed on it
    assert "2026年11月20日" in text and "2026-11-20" not in text  # dates in Chinese form
    book = load_workbook(print_destruction_register(context_for(engine, config), number, tmp_path / "送审.xlsx").path)
    rows = list(book[number].iter_rows(values_only=True))
    assert "送审稿" in rows[1][0]
    header = rows[2]
    assert header[7:11] == ("销毁原因", "收回日期", "交回人", "证书状况")
    by_serial = {row[1]: dict(zip(header, row)) for row in rows[3:7]}
    first, second, cancelled = by_serial[old[0][0]], by_serial[old[1][0]], by_serial[old[3][0]]
    assert first["交回人"] == "本人" and first["证书状况"] == "完好" and first["销毁原因"] == "换发新证，旧证收回"
    assert first["收回日期"] == dt.datetime(2026, 10, 8)  # a date cell
    assert second["交回人"] == "张秀英（配偶）" and second["证书状况"] == "破损，封皮脱落"
    assert cancelled["销毁原因"] == "注销：承包地被征收，合同终止"
    assert (cancelled["收回日期"], cancelled["交回人"], cancelled["证书状况"]) == ("—", "—", "—")  # never handed back
    assert "2026年10月9日注销" in "".join(pdf_text(pdf).split())
    assert not kept_forms.list_kept(engine)  # a draft is never kept


def test_a_closed_register_is_kept_and_printed_again_byte_for_byte_after_a_correction(
        engine, config, register, tmp_path):
    number, old = register
    assert certs.close_batch(context_for(engine, config), number) == 4
    [closed] = [event for event in log(engine, entity_key=number, limit=None) if event["action"] == "destruction.close"]
    kept = {entry["file"]: entry["sha256"] for entry in closed["after"]["kept"]}
    assert {name.rsplit(".", 1)[1] for name in kept} == {"pdf", "xlsx"}
    first = print_destruction_register(context_for(engine, config), number, tmp_path / "第一次.pdf").path
    assert sha(first) in kept.values()  # the digest is in the close's audit event
    text = pdf_text(first)
    assert "已销毁" in text and "送审稿" not in text and "草稿" not in text
    serial, code, name = old[0]
    assert name in text
    update_household(context_for(engine, config), code, {"name": "更正后姓名"})
    again = print_destruction_register(context_for(engine, config), number, tmp_path / "第二次.pdf").path
    assert again.read_bytes() == first.read_bytes()
    ctx = context_for(engine, config)
    xlsx = [print_destruction_register(ctx, number, tmp_path / f"{n}.xlsx").path for n in (1, 2)]
    assert xlsx[0].read_bytes() == xlsx[1].read_bytes() and sha(xlsx[0]) in kept.values()
    events = len(log(engine, entity_key=number, limit=None))
    print_destruction_register(context_for(engine, config), number, tmp_path / "第三次.pdf")
    assert len(log(engine, entity_key=number, limit=None)) == events  # a reprint records nothing new
    village = next(row["village"] for row in list_households(engine) if row["cbfbm"] == code)
    fresh = "".join(pdf_text(print_roster(context_for(engine, config), village,
                                          tmp_path / "颁证清册.pdf").path).split())
    assert "更正后姓名" in fresh and name not in fresh  # a form made afterwards shows the correction
    assert "更正后姓名" not in pdf_text(again)


def test_an_altered_or_missing_kept_file_is_refused_naming_it_and_both_digests(engine, config, register, tmp_path, cli):
    number, _old = register
    certs.close_batch(context_for(engine, config), number)
    [row] = [row for row in kept_forms.list_kept(engine, "destruction", number) if row["format"] == ".pdf"]
    path = config.root / row["path"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    found = hashlib.sha256(bytes(data)).hexdigest()
    before = table_counts(engine)
    with pytest.raises(ArchiveError) as refused:
        print_destruction_register(context_for(engine, config), number, tmp_path / "重印.pdf")
    assert row["path"] in refused.value.message
    assert row["sha256"] in refused.value.message and found in refused.value.message
    assert not (tmp_path / "重印.pdf").exists() and table_counts(engine) == before
    result = cli("audit", "verify", cwd=config.root)
    assert result.code == 1 and row["path"] in result.out and found in result.out, result.out
    checked = json.loads(cli("audit", "verify", "--json", cwd=config.root).out)
    assert checked["ok"] is False and checked["chain_ok"] is True and checked["kept_forms"]["checked"] == 2
    path.unlink()
    with pytest.raises(ArchiveError, match="不见了") as gone:
        print_destruction_register(context_for(engine, config), number, tmp_path / "重印.pdf")
    assert row["sha256"] in gone.value.message
    assert cli("audit", "verify", cwd=config.root).code == 1


def test_audit_verify_checks_the_kept_files_and_passes_when_they_are_intact(engine, config, register, cli):
    number, _old = register
    certs.close_batch(context_for(engine, config), number)
    result = cli("audit", "verify", cwd=config.root)
    assert result.code == 0 and "已签文书完好：2 个文件" in result.out, result.out


def test_a_kept_row_rewritten_to_match_an_altered_file_is_found_by_its_audit_event(engine, config, register, cli):
    """Altering the file and its row together still disagrees with the hash-chained audit event."""
    number, _old = register
    certs.close_batch(context_for(engine, config), number)
    [row] = [row for row in kept_forms.list_kept(engine, "destruction", number) if row["format"] == ".pdf"]
    path = config.root / row["path"]
    path.write_bytes(path.read_bytes() + b"%")
    with engine.begin() as connection:
        connection.execute(kept_forms.KEPT.update().where(kept_forms.KEPT.c.path == row["path"])
                           .values(sha256=sha(path)))
    report = kept_forms.verify(engine, config)
    assert not report.ok and any("审计日志" in problem and row["path"] in problem for problem in report.problems)


def test_a_batch_closed_before_forms_were_kept_is_kept_at_its_first_print(engine, config, register, tmp_path,
                                                                          monkeypatch):
    number, _old = register
    with monkeypatch.context() as before_0015:  # as an archive upgraded from 0014 has it: closed, nothing kept
        before_0015.setattr("archive_tui.services.registers.certificates.keep_destruction_register",
                            lambda *a, **k: [])
        certs.close_batch(context_for(engine, config), number)
    assert not kept_forms.list_kept(engine)
    first = print_destruction_register(context_for(engine, config), number, tmp_path / "1.pdf").path
    assert [event["action"] for event in log(engine, entity_key=number, limit=None)][-1] == "destruction.kept"
    assert print_destruction_register(context_for(engine, config), number, tmp_path / "2.pdf").path.read_bytes() == \
        first.read_bytes()
    assert kept_forms.verify(engine, config).ok


# ---- 移交清单 and 交接文据 ------------------------------------------------------------------------


@pytest.fixture
def handed_over(engine, config, tmp_path):
    """Three scanned files in a batch, one added with a 放行 reason (a required document
    missing); its package made and checked — the check failing on the pages (WZ-08)."""
    from sqlalchemy import update

    from archive_tui.services.transfers import transfers
    from archive_tui.services.transfers.transfer_checks import check_transfer
    from archive_tui.services.intake.scans import ingest_once
    from archive_tui.services.transfers.transfer_bags import package
    from models import ArchiveFile
    from tests.services.test_transfers import batch, drop_document, scan_pages

    fill_demo(context_for(engine, config), households=8, seed=14)
    households = list_households(engine)[:3]
    scan_pages(config, households)
    ingest_once(context_for(engine, config))
    drop_document(engine, households[2]["archive_code"])
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in households], override=ADD_REASON)
    with engine.begin() as connection:  # a 卷内目录 that no longer agrees with the scans
        connection.execute(update(ArchiveFile.__table__).values(page_count=9))
    [bag] = package(context_for(engine, config), number, tmp_path / "bags", processes=1)
    report, _register = check_transfer(context_for(engine, config), number)
    assert "WZ-08" in {item.code for item in report.failed}
    return number, households, bag, report


ADD_REASON = "户主长期在外务工，签字另补"
SEND_REASON = "县档案馆同意先行接收，页数待核对"


def test_the_handover_states_the_check_of_its_package_and_every_override(engine, config, handed_over, tmp_path):
    from archive_tui.services.transfers import transfers
    from archive_tui.services.transfers.transfer_forms import manifest

    number, households, bag, report = handed_over
    draft = "".join(pdf_text(manifest(context_for(engine, config), number, tmp_path / "草稿.pdf").path).split())
    assert "四性检测" in draft and "完整性不通过" in draft and "WZ-08" in draft and "案卷页数与扫描件一致" in draft
    assert report.digest[:16] in draft and "临时打包" not in draft  # the check of the very package it names
    assert ADD_REASON in draft and "草稿" in draft
    with pytest.raises(ArchiveError, match="完整性不通过"):
        transfers.send(context_for(engine, config), number)
    transfers.send(context_for(engine, config), number, override=SEND_REASON)
    [sent] = [e for e in log(engine, entity_key=number, limit=None) if e["action"] == "transfer.send"]
    assert sent["after"]["override"] == SEND_REASON and {k["file"][-4:] for k in sent["after"]["kept"]} == {
        ".pdf", "xlsx", ".csv"}
    first = manifest(context_for(engine, config), number, tmp_path / "交接1.pdf").path
    text = "".join(pdf_text(first).split())
    assert SEND_REASON in text and ADD_REASON in text and "放行" in text and "草稿" not in text
    assert "真实性通过、完整性不通过、可用性" in text and "WZ-08案卷页数与扫描件一致（3处）" in text
    assert sha(first) in {k["sha256"] for k in sent["after"]["kept"]}
    events = len(log(engine, entity_key=number, limit=None))
    again = manifest(context_for(engine, config), number, tmp_path / "交接2.pdf").path
    assert again.read_bytes() == first.read_bytes()  # the audit line does not move on a reprint
    assert len(log(engine, entity_key=number, limit=None)) == events


def test_after_receipt_the_total_counts_what_was_received_and_the_overrides_stay(engine, config, handed_over,
                                                                                 tmp_path):
    from openpyxl import load_workbook

    from archive_tui.services.transfers import transfers
    from archive_tui.services.transfers.transfer_forms import manifest

    number, households, _bag, _report = handed_over
    transfers.send(context_for(engine, config), number, override=SEND_REASON)
    missing = households[0]["archive_code"]
    transfers.close(context_for(engine, config), number, missing=[missing])
    pdf = manifest(context_for(engine, config), number, tmp_path / "接收.pdf").path
    text = "".join(pdf_text(pdf).split())
    assert "合计实收2卷（缺失1卷未计入）" in text and "实收2卷（移交清单3卷，缺失1卷）" in text
    assert "缺失1卷" in text and f"缺失：{missing}" in text
    assert f"放行：{ADD_REASON}" in text and SEND_REASON in text  # the 放行 notes stay in 备注
    assert "接收日期" in text and "已接收" in text
    rows = list(load_workbook(manifest(context_for(engine, config), number, tmp_path / "接收.xlsx").path)["移交清单"]
                .iter_rows(values_only=True))
    body = {row[1]: row for row in rows[3:6]}
    total = next(row for row in rows if row[0] == "合计")
    assert body[missing][7].startswith("缺失") and total[6] == sum(body[c][6] for c in body if c != missing)
    assert total[5] == sum(body[c][5] for c in body if c != missing)
    assert any(ADD_REASON in (row[7] or "") and "已接收" in row[7] for row in body.values())
    [closed] = [e for e in log(engine, entity_key=number, limit=None) if e["action"] == "transfer.close"]
    assert sha(pdf) in {k["sha256"] for k in closed["after"]["kept"]} and closed["after"]["missing"] == [missing]


def test_a_package_made_after_sending_is_on_the_papers_kept_again(engine, config, tmp_path):
    from archive_tui.services.transfers import transfers
    from archive_tui.services.transfers.transfer_bags import package
    from archive_tui.services.transfers.transfer_forms import manifest
    from tests.services.test_transfers import batch

    fill_demo(context_for(engine, config), households=6, seed=14)
    households = list_households(engine)[:2]
    number = batch(engine, config)
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in households])
    transfers.send(context_for(engine, config), number)
    sent = manifest(context_for(engine, config), number, tmp_path / "移交时.pdf").path
    assert "未制作" in pdf_text(sent)
    [bag] = package(context_for(engine, config), number, tmp_path / "bags", processes=1)
    after = "".join(pdf_text(manifest(context_for(engine, config), number, tmp_path / "打包后.pdf").path).split())
    assert sha(bag / "tagmanifest-sha256.txt") in after and "未检测" in after
    assert [row["stage"] for row in kept_forms.list_kept(engine, "handover", number)] == ["sent"] * 3 + ["package"] * 3
    assert kept_forms.verify(engine, config).ok


@pytest.mark.sqlite_only
def test_kept_forms_belong_to_the_store_and_go_with_a_backup(engine, config, register, tmp_path):
    from archive_tui.core.config import load_config
    from archive_tui.db import open_database
    from archive_tui.services.admin import backup as backups
    from archive_tui.services.intake.scans import verify_store

    number, _old = register
    certs.close_batch(context_for(engine, config), number)
    first = print_destruction_register(context_for(engine, config), number, tmp_path / "1.pdf").path
    assert verify_store(engine, config).orphans == []  # not files the store does not know
    report = backups.backup(context_for(engine, config), tmp_path / "备份", with_store=True)
    assert report.ok and report.store_files == 2 and backups.verify_backup(tmp_path / "备份").ok
    target = tmp_path / "恢复"
    assert backups.restore(tmp_path / "备份", target).ok
    restored_config = load_config(target / "config.toml")
    restored = open_database(restored_config.database_url)
    try:
        assert kept_forms.verify(restored, restored_config).ok
        again = print_destruction_register(context_for(restored, restored_config), number, tmp_path / "2.pdf").path
        assert again.read_bytes() == first.read_bytes()
    finally:
        restored.dispose()


# ---- 资料清单 and 颁证清册 ------------------------------------------------------------------------


def test_a_shares_list_is_kept_and_printed_again_as_made(engine, config, tmp_path, cli):
    from archive_tui.services.exchange.sharing import ShareRequest, new_share, print_list

    fill_demo(context_for(engine, config), households=6, seed=2)
    result = new_share(context_for(engine, config), ShareRequest("县自然资源局"))
    [made] = [e for e in log(engine, entity_key=result.number, limit=None) if e["action"] == "share.new"]
    listed = result.folder / "资料清单.pdf"
    assert sha(listed) in {entry["sha256"] for entry in made["after"]["kept"]}
    text = "".join(pdf_text(listed).split())
    assert "提供单位正定县城关镇人民政府" in text
    code = list_households(engine)[0]["cbfbm"]
    update_household(context_for(engine, config), code, {"name": "更正后姓名"})
    again = print_list(engine, config, result.number, tmp_path / "资料清单.pdf")
    assert again.read_bytes() == listed.read_bytes()
    printed = cli("share", "print", result.number, "--out", tmp_path / "命令行.pdf", cwd=config.root)
    assert printed.code == 0 and (tmp_path / "命令行.pdf").read_bytes() == listed.read_bytes(), printed.err
    [row] = [row for row in kept_forms.list_kept(engine, "share", result.number) if row["format"] == ".pdf"]
    (config.root / row["path"]).write_bytes(b"%PDF-1.4 altered")
    refused = cli("share", "print", result.number, "--out", tmp_path / "再印.pdf", cwd=config.root)
    assert refused.code == 1 and row["path"] in refused.err and row["sha256"] in refused.err
    assert hashlib.sha256(b"%PDF-1.4 altered").hexdigest() in refused.err


def test_a_signed_roster_is_the_one_printed_again_until_signed_anew(engine, config, tmp_path, cli):
    fill_demo(context_for(engine, config), households=8, seed=4)
    first = list_households(engine)[0]
    village = first["village"]
    signed = cli("certs", "roster", "--village", village, "--out", tmp_path / "签发.pdf", "--sign", cwd=config.root)
    assert signed.code == 0 and "签发" in signed.out, signed.err
    [event] = [e for e in log(engine, limit=None) if e["action"] == "roster.sign"]
    assert sha(tmp_path / "签发.pdf") in {entry["sha256"] for entry in event["after"]["kept"]}
    update_household(context_for(engine, config), first["cbfbm"], {"name": "更正后姓名"})
    again = print_roster(context_for(engine, config), village, tmp_path / "重印.pdf").path
    assert again.read_bytes() == (tmp_path / "签发.pdf").read_bytes()
    with pytest.raises(ArchiveError, match="已签发.*--full-id"):
        print_roster(context_for(engine, config), village, tmp_path / "全号.pdf", full_id=True)
    anew = print_roster(context_for(engine, config), village, tmp_path / "再次签发.pdf", sign=True).path
    assert "更正后姓名" in "".join(pdf_text(anew).split())
    assert print_roster(context_for(engine, config), village,
                        tmp_path / "之后.pdf").path.read_bytes() == anew.read_bytes()
    assert kept_forms.verify(engine, config).ok
