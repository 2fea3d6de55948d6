"""The command-line contract: names, JSON keys, exit codes, Chinese messages, unchanged data."""

import datetime as dt
import json
import sqlite3

import pytest

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config
from archive_tui.db import make_engine
from tests.conftest import table_counts, write_tables_csv

A_MONTH_ON = (dt.date.today() + dt.timedelta(days=30)).isoformat()  # a loan's return date: always ahead

HOUSEHOLD_KEYS = {"cbfbm", "name", "village", "group", "archive_code", "members", "parcels", "status"}
SHOW_KEYS = {"household", "members", "parcels", "archive_file", "documents", "certificates", "findings"}


@pytest.mark.real_migrations  # it reports the database it created
def test_init_creates_config_database_and_folders_then_upgrades(cli, tmp_path):
    folder = tmp_path / "新 档案"
    folder.mkdir()
    result = cli("init", cwd=folder)
    assert result.code == 0, result.err
    assert "已创建配置文件" in result.out and "已创建数据库" in result.out
    for name in ("config.toml", "archive.db", "scans", "store", "exports"):
        assert (folder / name).exists(), name
    again = cli("init", cwd=folder)
    assert again.code == 0 and "数据库已是最新结构版本" in again.out


def test_demo_then_households_and_show_json(cli, archive_dir):
    assert cli("demo", "--households", "30", "--seed", "5", cwd=archive_dir).code == 0
    listed = cli("households", "--json", "--limit", "5", cwd=archive_dir)
    rows = json.loads(listed.out)
    assert len(rows) == 5 and set(rows[0]) == HOUSEHOLD_KEYS
    assert rows[0]["archive_code"].startswith("Z001-NJ·2018-Y-")
    assert rows[0]["status"] == "assembling"
    by_code = json.loads(cli("show", rows[0]["cbfbm"], "--json", cwd=archive_dir).out)
    by_archive_code = json.loads(cli("show", rows[0]["archive_code"], "--json", cwd=archive_dir).out)
    assert by_code == by_archive_code
    assert set(by_code) >= SHOW_KEYS
    assert set(by_code["archive_file"]) >= {"archive_code", "status", "pages", "copies"}
    assert [c["level"] for c in by_code["archive_file"]["copies"]] == ["village", "township", "county"]
    assert set(by_code["archive_file"]["copies"][0]) >= {"level", "holder", "location", "status"}
    assert set(by_code["documents"][0]) >= {"doc_type", "title", "pages", "scans"}
    assert "*" in by_code["members"][0]["id_number"]  # masked unless revealed


def test_households_filters_by_village_and_search(cli, archive_dir):
    cli("demo", "--households", "400", cwd=archive_dir)
    rows = json.loads(cli("households", "--json", cwd=archive_dir).out)
    village = rows[-1]["village"]
    in_village = json.loads(cli("households", "--json", "--village", village, cwd=archive_dir).out)
    assert in_village and all(r["village"] == village for r in in_village) and len(in_village) < len(rows)
    target = rows[17]
    found = json.loads(cli("households", "--json", "--search", target["name"], cwd=archive_dir).out)
    assert target["cbfbm"] in [r["cbfbm"] for r in found]
    table = cli("households", "--limit", "3", cwd=archive_dir)
    assert "共 400 户，只列出前 3 户" in table.out


def test_json_is_utf8_and_not_escaped(cli, archive_dir):
    cli("demo", "--households", "3", cwd=archive_dir)
    out = cli("households", "--json", cwd=archive_dir).out
    assert "\\u" not in out and "村" in out


def test_import_with_rejects_exits_1_in_chinese_and_changes_nothing(cli, archive_dir, config, tmp_path):
    def bad(tables):
        columns, rows = tables["CBF"]
        rows[0][columns.index("CBFBM")] = "12345"

    folder = write_tables_csv(config, tmp_path / "csv", households=5, edit=bad)
    cli("init", cwd=archive_dir)
    before = table_counts(make_engine(config.database_url))
    result = cli("import", folder, "--report", tmp_path / "r.xlsx", cwd=archive_dir)
    assert result.code == 1
    assert "导入已中止" in result.err and "CBF 承包方 第2行 CBFBM" in result.err
    assert "Traceback" not in result.err
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "r.xlsx").active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["类别", "表", "行号/编码", "字段", "说明"]
    assert ["不合格", "CBF 承包方", 2, "CBFBM", "承包方编码“12345”应为18位，实为5位（是否被 Excel 当作数字处理过？"
            "请把该列设为“文本”格式后重新导出）"] in rows
    assert table_counts(make_engine(config.database_url)) == before
    skipped = cli("import", folder, "--skip-rejects", cwd=archive_dir)
    assert skipped.code == 0 and "已跳过不合格的行" in skipped.out


def test_import_twice_says_nothing_changed(cli, archive_dir, config, tmp_path):
    folder = write_tables_csv(config, tmp_path / "csv", households=5)
    assert cli("import", folder, cwd=archive_dir).code == 0
    again = cli("import", folder, cwd=archive_dir)
    assert again.code == 0 and "完全相同，未作任何改动" in again.out


def test_a_reimport_after_an_edit_keeps_it_and_says_so(cli, archive_dir, config, tmp_path):
    from archive_tui.services.households.editing import update_household

    folder = write_tables_csv(config, tmp_path / "csv", households=5)
    assert cli("import", folder, cwd=archive_dir).code == 0
    update_household(context_for(make_engine(config.database_url), config), "130123101001010001",
                     {"phone": "13911112222"})
    again = cli("import", folder, cwd=archive_dir)
    assert again.code == 0
    assert "一致（冲突见下），未作任何改动" in again.out
    assert "与本档案记录不一致、已保留本档案的值 1 处" in again.out
    assert "冲突 承包方 130123101001010001 联系电话：保留本档案的“139****2222”（本档案中修改过）" in again.out


def test_show_unknown_key_is_a_user_error(cli, archive_dir):
    result = cli("show", "999999", cwd=archive_dir)
    assert result.code == 1 and "找不到承包方编码或档号为“999999”的户卷" in result.err


def test_usage_errors_exit_2(cli, archive_dir):
    assert cli("households", "--no-such-flag", cwd=archive_dir).code == 2
    assert cli("demo", "--households", "zero", cwd=archive_dir).code == 2


def test_bad_config_is_named_and_exit_1(cli, archive_dir):
    path = archive_dir / "config.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("min_dpi = 200", "min_dpi = 200\ncolour = 1"),
                    encoding="utf-8")
    result = cli("households", cwd=archive_dir)
    assert result.code == 1 and "键 scan.colour 是未知的键" in result.err


def test_missing_config_is_explained(cli, tmp_path):
    result = cli("households", cwd=tmp_path)
    assert result.code == 1 and "archive-tui init" in result.err


def test_newer_database_is_refused_by_every_command(cli, archive_dir, config):
    cli("init", cwd=archive_dir)
    db = archive_dir / "archive.db"
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'zzzz'")
    result = cli("households", cwd=archive_dir)
    assert result.code == 1 and "更新版本的 archive-tui" in result.err


def test_demo_refuses_a_database_that_has_data(cli, archive_dir):
    cli("demo", "--households", "3", cwd=archive_dir)
    result = cli("demo", "--households", "3", cwd=archive_dir)
    assert result.code == 1 and "只能填入空数据库" in result.err


def test_export_nyt2539_to_folder_and_refuses_to_overwrite(cli, archive_dir, tmp_path):
    cli("demo", "--households", "6", cwd=archive_dir)
    target = tmp_path / "导出 CSV"
    result = cli("export", "nyt2539", target, cwd=archive_dir)
    assert result.code == 0 and (target / "CBF.csv").exists()
    assert len((target / "CBF.csv").read_text(encoding="utf-8-sig").splitlines()) == 7
    again = cli("export", "nyt2539", target, cwd=archive_dir)
    assert again.code == 1 and "不是空的" in again.err


def test_operator_flag_reaches_the_audit_trail(cli, archive_dir):
    cli("--operator", "赵六", "demo", "--households", "2", cwd=archive_dir)
    config = load_config(archive_dir / "config.toml")
    with sqlite3.connect(archive_dir / "archive.db") as connection:
        operators = {row[0] for row in connection.execute("SELECT operator FROM audit_event")}
    assert operators == {"赵六"} and config.operator == "档案员"


def test_importing_the_empty_national_template_says_it_is_empty(cli, archive_dir):
    from pathlib import Path

    template = Path(__file__).resolve().parents[1] / "fixtures" / "nyt2539-quanshu-template.mdb"
    result = cli("import", template, cwd=archive_dir)
    assert result.code == 0 and "没有任何记录（各表均为空），未作任何改动" in result.out


def test_scans_ingest_and_list_json(cli, archive_dir):
    import os
    import time

    from PIL import Image

    cli("demo", "--households", "5", cwd=archive_dir)
    code = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]["archive_code"]
    inbox = archive_dir / "scans"
    inbox.mkdir(exist_ok=True)
    page = inbox / f"{code}-1.jpg"
    Image.new("RGB", (200, 280), "white").save(page, dpi=(300, 300))
    (inbox / "坏.jpg").write_bytes(b"")
    for path in (page, inbox / "坏.jpg"):
        os.utime(path, (time.time() - 60,) * 2)
    result = cli("scans", "ingest", cwd=archive_dir)
    assert result.code == 0 and "已挂接归档 1 个" in result.out and "隔离 1 个" in result.out
    rows = json.loads(cli("scans", "list", "--json", cwd=archive_dir).out)
    assert {r["status"] for r in rows} == {"linked", "quarantined"}
    assert set(rows[0]) == {"path", "sha256", "status", "archive_code", "doc_type", "seq", "format", "dpi", "reason"}
    linked = json.loads(cli("scans", "list", "--status", "linked", "--json", cwd=archive_dir).out)
    assert [r["archive_code"] for r in linked] == [code]
    assert cli("scans", "list", "--status", "lost", cwd=archive_dir).code == 1


def test_scans_list_at_80_columns_keeps_each_archive_code_on_one_line(cli, archive_dir, monkeypatch):
    import os
    import time

    from PIL import Image

    from archive_tui.cli.common import out

    cli("demo", "--households", "2", cwd=archive_dir)
    code = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]["archive_code"]
    (archive_dir / "scans").mkdir(exist_ok=True)
    page = archive_dir / "scans" / f"{code}-1.jpg"
    Image.new("RGB", (200, 280), "white").save(page, dpi=(300, 300), quality=5)  # a page with long reasons
    Image.new("L", (200, 280), 0).save(archive_dir / "scans" / f"{code}-2.jpg", dpi=(150, 150))
    for path in (archive_dir / "scans").glob("*.jpg"):
        os.utime(path, (time.time() - 60,) * 2)
    cli("scans", "ingest", cwd=archive_dir)
    monkeypatch.setattr(out, "width", 80)  # a Windows console's usual width
    shown = cli("scans", "list", cwd=archive_dir).out
    assert shown.count(code) >= 2, shown  # each row's 档号 whole on its line


def test_scans_verify_exit_codes(cli, archive_dir):
    cli("init", cwd=archive_dir)
    ok = cli("scans", "verify", "--json", cwd=archive_dir)
    assert ok.code == 0 and json.loads(ok.out)["ok"] is True
    (archive_dir / "store" / "unknown.jpg").write_bytes(b"?")
    bad = cli("scans", "verify", cwd=archive_dir)
    assert bad.code == 1 and "存储库中多出 1" in bad.out


def test_scans_assign_from_the_cli(cli, archive_dir):
    import os
    import time

    from PIL import Image

    cli("demo", "--households", "3", cwd=archive_dir)
    page = archive_dir / "scans" / "未命名.jpg"
    page.parent.mkdir(exist_ok=True)
    Image.new("RGB", (100, 140), "white").save(page, dpi=(300, 300))
    os.utime(page, (time.time() - 60,) * 2)
    cli("scans", "ingest", cwd=archive_dir)
    [row] = json.loads(cli("scans", "list", "--status", "unassigned", "--json", cwd=archive_dir).out)
    code = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]["cbfbm"]
    result = cli("scans", "assign", row["path"], "--to", code, "--doc", "02", cwd=archive_dir)
    assert result.code == 0 and "已挂接并归档" in result.out
    again = cli("scans", "assign", row["path"], "--to", code, "--doc", "02", cwd=archive_dir)
    assert again.code == 1 and "待挂接列表中没有" in again.err


def test_print_covers_for_a_village_and_for_unknown_keys(cli, archive_dir):
    from pypdf import PdfReader

    cli("demo", "--households", "4", cwd=archive_dir)
    first = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]
    result = cli("print", "covers", "--village", first["village"], "--no-separators", "--out", "封面 村.pdf",
                 cwd=archive_dir)
    assert result.code == 0 and "封面 村.pdf" in result.out
    reader = PdfReader(archive_dir / "封面 村.pdf")
    assert first["archive_code"] in reader.pages[0].extract_text()
    default = cli("print", "covers", first["cbfbm"], cwd=archive_dir)
    assert default.code == 0 and (archive_dir / "exports" / "案卷封面-全部.pdf").is_file()
    unknown = cli("print", "covers", "130000000000000000", cwd=archive_dir)
    assert unknown.code == 1 and "130000000000000000" in unknown.err


def test_certs_from_the_cli(cli, archive_dir):
    cli("demo", "--households", "6", cwd=archive_dir)
    rows = json.loads(cli("certs", "list", "--json", cwd=archive_dir).out)
    assert set(rows[0]) == {"serial", "code", "cbfbm", "generation", "status"}
    old = next(r for r in rows if r["generation"] == "old" and r["status"] == "issued")
    assert cli("certs", "recall", old["serial"], "--by", "户主", "--date", "2026-11-01", cwd=archive_dir).code == 0
    again = cli("certs", "recall", old["serial"], cwd=archive_dir)
    assert again.code == 1 and "已经收回" in again.err
    bad_date = cli("certs", "lost", old["serial"], "--date", "2026/11/01", cwd=archive_dir)
    assert bad_date.code == 1 and "YYYY-MM-DD" in bad_date.err
    batch = cli("certs", "destroy-batch", "new", "--approval", "文5号", "--approver", "李四", "--supervisors",
                "赵六,钱七", "--method", "粉碎", "--place", "乡政府", "--date", "2026-11-20", cwd=archive_dir)
    number = batch.out.strip()
    assert batch.code == 0 and number == "XH2026-001"
    assert cli("certs", "destroy-batch", "add", number, old["serial"], cwd=archive_dir).code == 0
    assert cli("certs", "destroy-batch", "close", number, cwd=archive_dir).code == 0
    after = json.loads(cli("certs", "list", "--status", "destroyed", "--json", cwd=archive_dir).out)
    assert [r["serial"] for r in after] == [old["serial"]]
    report = json.loads(cli("certs", "report", "--json", cwd=archive_dir).out)
    assert set(report[0]) >= {"village", "households", "issued", "issue_rate", "old_not_recalled",
                              "recalled_not_destroyed"}
    assert report[0]["households"] == 6
    assert cli("certs", "list", "--status", "gone", cwd=archive_dir).code == 1


def test_check_exit_codes_json_waive_and_xlsx(cli, archive_dir):
    cli("demo", "--households", "8", cwd=archive_dir)
    found = cli("check", "--json", "--xlsx", "质检.xlsx", cwd=archive_dir)
    assert found.code == 1 and (archive_dir / "质检.xlsx").is_file()
    rows = json.loads(found.out)
    assert rows and set(rows[0]) >= {"rule", "severity", "cbfbm", "archive_code", "message", "status"}
    clean = cli("check", "--rule", "contract_term", "--json", cwd=archive_dir)
    assert clean.code == 0 and json.loads(clean.out) == []
    one = rows[0]
    assert cli("findings", "waive", str(one["id"]), "--reason", "已核实无误", cwd=archive_dir).code == 0
    waived = json.loads(cli("findings", "list", "--status", "waived", "--json", cwd=archive_dir).out)
    assert [w["id"] for w in waived] == [one["id"]]
    human = cli("check", "--village", "没有这个村", cwd=archive_dir)
    assert human.code == 1 and "找不到村" in human.err
    assert cli("check", "--rule", "nope", cwd=archive_dir).code == 1


def test_copies_from_the_cli(cli, archive_dir):
    cli("demo", "--households", "6", cwd=archive_dir)
    village = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]["village"]
    boxed = cli("copies", "box", "--village", village, "--capacity", "4", "--level", "township", cwd=archive_dir)
    assert boxed.code == 0 and "2 盒" in boxed.out
    rows = json.loads(cli("copies", "list", "--level", "township", "--json", cwd=archive_dir).out)
    assert set(rows[0]) == {"archive_code", "cbfbm", "level", "holder", "keeper", "location", "box", "status"}
    assert {r["status"] for r in rows} == {"filed"}
    key = rows[0]["cbfbm"]
    assert cli("copies", "lend", key, "--level", "township", "--to", "王科长", "--until", A_MONTH_ON,
               cwd=archive_dir).code == 0
    refused = cli("copies", "move", key, "--to", "县局/库房", cwd=archive_dir)
    assert refused.code == 1 and "已借出" in refused.err and rows[0]["archive_code"] in refused.err
    assert json.loads(cli("copies", "loans", "--json", cwd=archive_dir).out)[0]["borrower"] == "王科长"
    assert cli("copies", "return", key, "--level", "township", cwd=archive_dir).code == 0
    assert cli("copies", "move", key, "--to", "县局/库房", cwd=archive_dir).code == 0
    assert cli("print", "shelf-list", "--village", village, "--out", "目录.xlsx", cwd=archive_dir).code == 0
    assert cli("print", "box-labels", "--village", village, cwd=archive_dir).code == 0
    assert (archive_dir / "目录.xlsx").is_file() and any((archive_dir / "exports").glob("盒脊-*.pdf"))
    assert cli("copies", "list", "--level", "city", cwd=archive_dir).code == 1


def test_transfers_from_the_cli_township_to_county(cli, archive_dir, tmp_path):
    cli("demo", "--households", "5", cwd=archive_dir)
    number = cli("transfers", "new", "--to", "正定县档案馆", "--handed-over-by", "王档案", cwd=archive_dir).out.strip()
    assert number.endswith("YJ2026-001") or "-YJ" in number
    added = cli("transfers", "add", number, "--village", "001", "--skip-refused", cwd=archive_dir)
    assert added.code == 0 and "已加入" in added.out
    listed = json.loads(cli("transfers", "list", "--json", cwd=archive_dir).out)
    assert set(listed[0]) == {"batch", "status", "to", "files", "pages"} and listed[0]["status"] == "draft"
    shown = json.loads(cli("transfers", "show", number, "--json", cwd=archive_dir).out)
    assert set(shown) == {"batch", "status", "to", "files", "pages", "items"}
    assert set(shown["items"][0]) == {"archive_code", "cbfbm", "status"}
    assert cli("transfers", "manifest", number, "--out", "清单.xlsx", cwd=archive_dir).code == 0
    assert cli("transfers", "send", number, cwd=archive_dir).code == 0
    assert cli("transfers", "send", number, cwd=archive_dir).code == 1
    assert cli("transfers", "package", number, "--out", str(tmp_path / "bags"), cwd=archive_dir).code == 0
    county = tmp_path / "县"
    county.mkdir()
    cli("init", cwd=county)
    refused = cli("transfers", "receive", str(tmp_path / "bags" / number), cwd=county)  # the demo scanned nothing
    assert refused.code == 1 and "未通过四性检测" in refused.err and "WZ-08 案卷页数与扫描件一致" in refused.err
    first = cli("transfers", "receive", str(tmp_path / "bags" / number), "--override", "乡镇补扫后另行移交", cwd=county)
    assert first.code == 0 and "已接收批次" in first.out
    assert "注意：未通过四性检测的 WZ-07 " in first.out
    assert "按理由“乡镇补扫后另行移交”放行，已记入审计日志" in first.out
    again = cli("transfers", "receive", str(tmp_path / "bags" / number), "--override", "同上", cwd=county)
    assert again.code == 0 and "未作改动" in again.out
    closed = cli("transfers", "close", number, cwd=archive_dir)
    assert closed.code == 0 and "无差异" in closed.out
    assert cli("transfers", "receive", str(tmp_path / "nothing"), cwd=county).code == 1


def test_audit_verify_and_log_from_the_cli(cli, archive_dir):
    import sqlite3

    cli("demo", "--households", "3", cwd=archive_dir)
    ok = cli("audit", "verify", "--json", cwd=archive_dir)
    assert ok.code == 0 and json.loads(ok.out)["ok"] is True
    logged = json.loads(cli("audit", "log", "--json", cwd=archive_dir).out)
    assert logged and {"id", "at", "operator", "action", "key", "before", "after"} <= set(logged[0])
    with sqlite3.connect(archive_dir / "archive.db") as connection:
        connection.execute("UPDATE audit_event SET operator = '别人' WHERE id = 1")
    bad = cli("audit", "verify", cwd=archive_dir)
    assert bad.code == 1 and "第 1 条" in bad.out


def test_backup_verify_and_restore_from_the_cli(cli, archive_dir, tmp_path):
    cli("demo", "--households", "4", cwd=archive_dir)
    made = cli("backup", str(tmp_path / "备份"), "--verify", cwd=archive_dir)
    assert made.code == 0 and "备份校验通过" in made.out
    assert cli("backup", str(tmp_path / "备份"), "--verify", cwd=archive_dir).code == 0
    assert cli("backup", str(tmp_path / "备份"), cwd=archive_dir).code == 1  # never overwrites
    empty = tmp_path / "新电脑"
    empty.mkdir()
    restored = cli("restore", str(tmp_path / "备份"), cwd=empty)
    assert restored.code == 0 and (empty / "archive.db").is_file()
    assert len(json.loads(cli("households", "--json", cwd=empty).out)) == 4
    again = cli("restore", str(tmp_path / "备份"), cwd=empty)
    assert again.code == 1 and "不是空文件夹" in again.err


def test_audit_verify_finds_the_last_events_deleted(cli, archive_dir):
    import sqlite3

    cli("demo", "--households", "3", cwd=archive_dir)
    cli("backup", str(archive_dir / "backups" / "手动"), cwd=archive_dir)
    ok = cli("audit", "verify", cwd=archive_dir)
    assert ok.code == 0 and "与 2 个锚点" in ok.out
    with sqlite3.connect(archive_dir / "archive.db") as connection:
        connection.execute("DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)")
    bad = cli("audit", "verify", cwd=archive_dir)
    assert bad.code == 1 and "审计日志在第 2 条之后被截断（数据库旁的锚点文件 记录到第 3 条）" in bad.out


@pytest.mark.parametrize("command", [
    ["print", "covers", "--out", "{folder}"],
    ["certs", "report", "--out", "{folder}"],
    ["check", "--xlsx", "{folder}"],
    ["import", "{source}", "--report", "{folder}"],
    ["print", "covers", "--out", "{file}/封面.pdf"],
])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(cli, archive_dir, config, tmp_path, command):
    cli("demo", "--households", "3", cwd=archive_dir)
    folder = tmp_path / "一个文件夹"
    folder.mkdir()
    (tmp_path / "一个文件").write_text("x", encoding="utf-8")
    source = write_tables_csv(config, tmp_path / "csv", households=4, seed=99)
    before = table_counts(make_engine(config.database_url))
    args = [part.format(folder=folder, file=tmp_path / "一个文件", source=source) for part in command]
    result = cli(*args, cwd=archive_dir)
    assert result.code == 1 and "Traceback" not in result.err
    assert "是一个文件夹" in result.err or "是文件，不是文件夹" in result.err
    assert table_counts(make_engine(config.database_url)) == before


def test_an_unsupported_database_url_is_named(cli, archive_dir):
    path = archive_dir / "config.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('url = ""', 'url = "mysql://root@localhost/archive"'),
                    encoding="utf-8")
    result = cli("households", cwd=archive_dir)
    assert result.code == 1 and "database.url “mysql://…” 不受支持" in result.err


def test_an_unexpected_failure_is_one_line_and_a_log_file(cli, archive_dir, monkeypatch):
    cli("init", cwd=archive_dir)

    def broken(*args, **kwargs):
        raise RuntimeError("意外")

    monkeypatch.setattr("archive_tui.services.households.households.list_households", broken)
    result = cli("households", cwd=archive_dir)
    assert result.code == 1 and "Traceback" not in result.err and "程序遇到意外问题" in result.err
    [log] = (archive_dir / "logs").glob("错误-*.log")
    assert "RuntimeError: 意外" in log.read_text(encoding="utf-8")


def test_disputes_from_the_cli(cli, archive_dir):
    cli("demo", "--households", "3", "--seed", "4", cwd=archive_dir)
    code = json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]["cbfbm"]
    added = cli("disputes", "add", code, "--subject", "东大块四至争议", "--date", "2026-03-01",
                "--parties", "张三、李四", cwd=archive_dir)
    assert added.code == 0 and "纠纷2026-001" in added.out
    assert cli("disputes", "stage", "纠纷2026-001", "mediation", "--date", "2026-03-05", cwd=archive_dir).code == 0
    early = cli("disputes", "close", "纠纷2026-001", "--outcome", "调解协议", "--date", "2026-03-02", cwd=archive_dir)
    assert early.code == 1 and "早于上一步" in early.err
    assert cli("disputes", "close", "纠纷2026-001", "--outcome", "调解协议", "--date", "2026-03-09",
               cwd=archive_dir).code == 0
    again = cli("disputes", "close", "纠纷2026-001", "--outcome", "再结", "--date", "2026-03-10", cwd=archive_dir)
    assert again.code == 1 and "不能再次结案" in again.err
    shown = json.loads(cli("disputes", "show", "纠纷2026-001", "--json", cwd=archive_dir).out)
    assert [event["stage"] for event in shown["events"]] == ["registered", "mediation", "closed"]
    assert json.loads(cli("disputes", "list", "--open", "--json", cwd=archive_dir).out) == []


def test_items_from_the_cli(cli, archive_dir, tmp_path):
    added = cli("items", "add", "--type", "01", "--title", "城关镇确权登记颁证工作实施方案", "--date", "2024-03-05",
                "--doc-number", "城政〔2024〕12号", "--pages", "8", cwd=archive_dir)
    assert added.code == 0 and "Z001-WS·2024-Y-0001" in added.out
    wrong = cli("items", "add", "--type", "77", "--title", "x", "--date", "2024-01-01", cwd=archive_dir)
    assert wrong.code == 1 and "类别“77”不存在" in wrong.err
    listed = json.loads(cli("items", "list", "--json", cwd=archive_dir).out)
    assert [(row["archive_code"], row["retention"], row["status"]) for row in listed] == [
        ("Z001-WS·2024-Y-0001", "永久", "filed")]
    assert cli("items", "box", cwd=archive_dir).code == 0
    printed = cli("items", "print", "--out", tmp_path / "目录.xlsx", cwd=archive_dir)
    assert printed.code == 0 and (tmp_path / "目录.xlsx").is_file()
    lent = cli("items", "lend", "Z001-WS·2024-Y-0001", "--person", "李四", "--purpose", "编写乡志",
               "--date", "2026-03-01", cwd=archive_dir)
    assert lent.code == 0 and "利用2026-001" in lent.out
    again = cli("items", "lend", "Z001-WS·2024-Y-0001", "--person", "王五", "--purpose", "查对",
                "--date", "2026-03-02", cwd=archive_dir)
    assert again.code == 1 and "已借出" in again.err
    assert cli("items", "return", "Z001-WS·2024-Y-0001", "--date", "2026-03-03", cwd=archive_dir).code == 0
    shown = json.loads(cli("items", "show", "Z001-WS·2024-Y-0001", "--json", cwd=archive_dir).out)
    assert [event["action"] for event in shown["history"]] == ["登记", "装盒", "借出", "归还"]


def test_share_from_the_cli(cli, archive_dir):
    cli("demo", "--households", "4", "--seed", "6", cwd=archive_dir)
    made = cli("share", "new", "--to", "正定县自然资源局", cwd=archive_dir)
    assert made.code == 0 and "共享" in made.out and "SHA-256" in made.out
    nothing = cli("share", "new", "--to", "正定县自然资源局", "--since-share", json.loads(
        cli("share", "list", "--json", cwd=archive_dir).out)[0]["number"], cwd=archive_dir)
    assert nothing.code == 1 and "没有可共享的内容" in nothing.err
    [row] = json.loads(cli("share", "list", "--json", cwd=archive_dir).out)
    assert (row["to"], row["households"], row["files"]) == ("正定县自然资源局", 4, 2)


def test_report_monthly_from_the_cli(cli, archive_dir, tmp_path):
    cli("demo", "--households", "5", "--seed", "6", cwd=archive_dir)
    shown = json.loads(cli("report", "monthly", "--json", cwd=archive_dir).out)
    assert shown["total"]["households"] == [5, 5] and shown["villages"]
    assert "已导入户" in cli("report", "monthly", cwd=archive_dir).out
    wrong = cli("report", "monthly", "--month", "2026/3", cwd=archive_dir)
    assert wrong.code == 1 and "YYYY-MM" in wrong.err
    made = cli("report", "monthly", "--month", "2018-06", "--out", tmp_path / "月报.pdf", cwd=archive_dir)
    assert made.code == 0 and (tmp_path / "月报.pdf").is_file()


def test_transfers_check_from_the_cli(cli, archive_dir, tmp_path):
    cli("demo", "--households", "3", cwd=archive_dir)
    number = cli("transfers", "new", "--to", "正定县档案馆", cwd=archive_dir).out.strip()
    cli("transfers", "add", number, "--village", "001", "--override", "测试", cwd=archive_dir)
    assert cli("transfers", "package", number, "--out", str(tmp_path / "bags"), cwd=archive_dir).code == 0
    checked = cli("transfers", "check", str(tmp_path / "bags" / number), "--json", cwd=archive_dir)
    report = json.loads(checked.out)
    assert {"bag", "digest", "algorithm", "files", "bytes", "properties", "items", "register"} <= set(report)
    assert len(report["items"]) >= 30 and report["algorithm"] == "SHA-256"
    failed = [item["code"] for item in report["items"] if item["result"] == "不通过"]
    assert checked.code == (1 if failed else 0)  # the demo's 卷内目录 counts pages that were never scanned
    wrong = cli("transfers", "check", str(tmp_path / "bags" / number), "--digest", "abc", cwd=archive_dir)
    assert wrong.code == 1 and "64 位十六进制" in wrong.err
    county = tmp_path / "县"
    county.mkdir()
    cli("init", cwd=county)
    refused = cli("transfers", "receive", str(tmp_path / "bags" / number), "--digest", "0" * 64, cwd=county)
    assert refused.code == 1 and "不符" in refused.err
    assert failed
    taken = cli("transfers", "receive", str(tmp_path / "bags" / number), "--digest", report["digest"],
                "--override", "测试", cwd=county)
    assert taken.code == 0 and "已接收批次" in taken.out


def test_users_from_the_cli(cli, archive_dir, monkeypatch):
    import io

    def piped(data: bytes) -> None:  # as a script pipes it: bytes, whatever their encoding
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))

    piped("麦田2024春耕\n".encode())
    added = cli("users", "add", "王档案", "--role", "archivist", "--password-stdin", cwd=archive_dir)
    assert added.code == 0 and "已添加账户 王档案（档案员）" in added.out
    piped(b"short\n")
    weak = cli("users", "add", "李查阅", "--role", "reader", "--password-stdin", cwd=archive_dir)
    assert weak.code == 1 and "至少 8 位" in weak.err
    piped("麦田2024春耕".encode("gb18030") + b"\xff\n")  # not UTF-8
    garbled = cli("users", "add", "李查阅", "--role", "reader", "--password-stdin", cwd=archive_dir)
    assert garbled.code == 1 and "不是 UTF-8 文本" in garbled.err and "Traceback" not in garbled.err
    assert cli("users", "disable", "王档案", "--reason", "调离", cwd=archive_dir).code == 0
    [row] = json.loads(cli("users", "list", "--json", cwd=archive_dir).out)
    assert (row["name"], row["role"], row["disabled"]) == ("王档案", "archivist", True)


def test_the_app_refuses_a_wrong_login_before_it_opens(cli, archive_dir, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("麦田2024春耕\n".encode())))
    assert cli("users", "add", "李查阅", "--role", "reader", "--password-stdin", cwd=archive_dir).code == 0
    import importlib

    monkeypatch.setattr(importlib.import_module("archive_tui.cli.main"), "ask_password", lambda: "不是这个密码")
    refused = cli("--user", "李查阅", cwd=archive_dir)
    assert refused.code == 1 and "账户名或密码不对" in refused.err
    unknown = cli("--user", "没有这人", cwd=archive_dir)
    assert unknown.code == 1 and "账户名或密码不对" in unknown.err
