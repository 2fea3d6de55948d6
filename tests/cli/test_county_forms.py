"""The forms a county archive reviews, made from a township imported as a county's software
exports it (Access text export, GB18030, no DK table) and read back as its reviewer would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config
from archive_tui.db import open_database
from archive_tui.services.households.editing import update_household
from tests.fixtures.real_sources import write_access_text_export
from tests.reports.pdf_reading import page_text, pages_of

HOUSEHOLD = "130123101001020001"  # 王振华, whose 2010 certificate 1301232010000003 is recalled
OLD_CERTIFICATE = "1301232010000003"


def text_of(path: Path) -> str:
    return "".join(page_text(chars) for chars in pages_of(path))


@pytest.fixture
def township(cli, archive_dir, tmp_path):
    source = write_access_text_export(tmp_path / "县导出")
    assert cli("import", source, cwd=archive_dir).code == 0
    return archive_dir


def run(cli, folder: Path, *args) -> str:
    result = cli(*args, cwd=folder)
    assert result.code == 0, (args, result.out, result.err)
    return result.out


def test_a_closed_destruction_register_stays_as_signed(cli, township, tmp_path):
    today = dt.date.today().isoformat()
    run(cli, township, "certs", "recall", OLD_CERTIFICATE, "--by", "王振华", "--condition", "破损", "--date", today)
    number = run(cli, township, "certs", "destroy-batch", "new", "--approval", "城政字〔2026〕15号", "--approver",
                 "刘批准", "--supervisors", "张监销,李监销", "--method", "粉碎", "--place", "镇政府档案室",
                 "--date", today).split()[-1]
    run(cli, township, "certs", "destroy-batch", "add", number, OLD_CERTIFICATE)
    run(cli, township, "certs", "destroy-batch", "print", number, "--out", tmp_path / "送审.pdf")
    draft = text_of(tmp_path / "送审.pdf")
    assert "送审稿" in draft and "草稿" not in draft
    run(cli, township, "certs", "destroy-batch", "close", number)
    run(cli, township, "certs", "destroy-batch", "print", number, "--out", tmp_path / "清册.pdf")
    signed = text_of(tmp_path / "清册.pdf")
    assert all(words in signed for words in ("销毁原因", "收回日期", "交回人", "证书状况", "破损", "王振华"))
    config = load_config(township / "config.toml")
    update_household(context_for(open_database(config.database_url), config), HOUSEHOLD,
                     {"name": "王振花"})  # a later correction
    run(cli, township, "certs", "destroy-batch", "print", number, "--out", tmp_path / "再印.pdf")
    assert (tmp_path / "再印.pdf").read_bytes() == (tmp_path / "清册.pdf").read_bytes()
    run(cli, township, "print", "contents", HOUSEHOLD, "--out", tmp_path / "目录.pdf")
    assert "王振花" in text_of(tmp_path / "目录.pdf")  # documents made afterwards say the corrected name


def test_a_batch_sent_despite_its_check_says_so_on_its_hand_over_certificate(cli, township, tmp_path):
    batch = run(cli, township, "transfers", "new", "--to", "正定县档案馆", "--handed-over-by", "李建民").split()[-1]
    run(cli, township, "transfers", "add", batch, "--village", "东里村", "--override", "身份证明材料待补")
    checked = cli("transfers", "check", batch, "--out", tmp_path / "检测.pdf", cwd=township)
    assert checked.code == 1  # the files have no scans yet: 完整性不通过
    run(cli, township, "transfers", "send", batch, "--override", "纸质档案先行移交，扫描件后补")
    run(cli, township, "transfers", "manifest", batch, "--out", tmp_path / "交接.pdf")
    handed = text_of(tmp_path / "交接.pdf")
    assert "四性检测" in handed and "完整性不通过" in handed and "纸质档案先行移交，扫描件后补" in handed
    register = text_of(tmp_path / "检测.pdf")
    assert "正定县城关镇人民政府" in handed and "正定县城关镇人民政府" in register  # one name for the unit
    assert "+00:00" not in register and "年" in register  # times in Chinese form


def test_every_file_of_the_township_has_its_catalogue_and_cover_dates(cli, township, tmp_path):
    run(cli, township, "print", "contents", "--out", tmp_path / "目录.pdf")
    run(cli, township, "print", "covers", "--no-separators", "--out", tmp_path / "封面.pdf")
    covers = [page_text(chars) for chars in pages_of(tmp_path / "封面.pdf")]
    assert len(covers) == 9 and all("起止日期2017年" in cover for cover in covers)
    contents = text_of(tmp_path / "目录.pdf")
    assert contents.count("正定县人民政府") >= 9 * 2  # 登记簿 and 地块示意图: the 发证机关, not the township
