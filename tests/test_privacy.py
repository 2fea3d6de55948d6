"""Personal data stays private: numbers masked in every finding and report, files holding
personal data readable by their owner only, a database password never on a command line."""

from __future__ import annotations

import json
import os
import stat

import pytest

from archive_tui.bootstrap import context_for
from archive_tui.services.admin.backup import _libpq
from archive_tui.services.exchange.importing import run_import, write_report
from tests.conftest import write_tables_csv

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def owner_only(path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_findings_and_the_report_show_no_whole_id_number(cli, archive_dir, config, tmp_path):
    people = []

    def wrong_check_digits(tables):
        columns, rows = tables["CBF_JTCY"]
        for row in rows[:3]:
            number = row[columns.index("CYZJHM")]
            row[columns.index("CYZJHM")] = number[:17] + ("0" if number[17] != "0" else "1")
        people.extend(row[columns.index("CYZJHM")] for row in rows)

    folder = write_tables_csv(config, tmp_path / "csv", households=4, edit=wrong_check_digits)
    cli("init", cwd=archive_dir)
    assert cli("import", folder, "--report", tmp_path / "报告.csv", cwd=archive_dir).code == 0
    checked = cli("check", "--json", cwd=archive_dir)
    findings = [f for f in json.loads(checked.out) if f["rule"] == "id_number"]
    assert len(findings) == 3 and all("校验位错误" in f["message"] for f in findings)
    listed = cli("findings", "list", "--json", cwd=archive_dir).out
    report = (tmp_path / "报告.csv").read_text(encoding="utf-8-sig")
    for text in (checked.out, listed, report):
        assert not any(number in text for number in people)


def test_the_password_goes_to_pg_dump_in_its_environment():
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://archivist:秘密 123@server:5432/archive")
    address, environment = _libpq(engine)
    assert "秘密" not in address and address.startswith("postgresql://archivist@server:5432/archive")
    assert environment["PGPASSWORD"] == "秘密 123"


@posix_only
def test_files_with_personal_data_are_the_owners_only(engine, config, tmp_path):
    from PIL import Image

    from archive_tui.services.transfers import transfers
    from archive_tui.services.households.households import list_households
    from archive_tui.services.intake.scans import ingest_once, list_scans
    from archive_tui.services.transfers.transfer_bags import package

    assert owner_only(config.path)  # written by init: it may come to hold a database password
    report = run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "csv", households=2))
    write_report(report, tmp_path / "报告.xlsx")
    assert owner_only(tmp_path / "报告.xlsx")
    household = list_households(engine, limit=1)[0]
    config.inbox.mkdir(exist_ok=True)
    Image.new("RGB", (100, 140), "white").save(config.inbox / f"{household['archive_code']}-1.jpg", dpi=(300, 300))
    os.utime(config.inbox / f"{household['archive_code']}-1.jpg", (0, 0))
    ingest_once(context_for(engine, config))
    [page] = list_scans(engine, "linked")
    assert owner_only(config.root / page["path"])
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("县档案馆"))
    transfers.add(context_for(engine, config), number, [household["cbfbm"]], override="测试")
    transfers.send(context_for(engine, config), number)
    [bag] = package(context_for(engine, config), number, tmp_path / "bags", processes=1)
    assert all(owner_only(path) for path in [bag, *bag.rglob("*")])


def test_control_characters_from_data_never_reach_the_terminal_raw(cli, archive_dir, config, tmp_path):
    import sqlite3

    from archive_tui.core.errors import ArchiveError
    from archive_tui.services.households.editing import validate_household_fields
    from archive_tui.core.values import ValueProblem, as_name

    with pytest.raises(ValueProblem, match="含有控制字符 U\\+001B"):  # an import refuses them
        as_name("张\x1b[31m三\x07")
    with pytest.raises(ArchiveError, match="承包方名称含有控制字符"):
        validate_household_fields({"name": "李\x1b[2J四"}, "1")
    cli("demo", "--households", "2", cwd=archive_dir)
    with sqlite3.connect(archive_dir / "archive.db") as connection:  # an old database may hold one
        connection.execute("UPDATE household SET name = '王\x1b[31m五' WHERE id = 1")
    shown = cli("households", cwd=archive_dir).out
    assert "\x1b" not in shown and "\\x1b" in shown  # shown as the four characters \x1b


@posix_only
def test_the_audit_anchor_and_an_error_log_are_the_owners_only(engine, config, tmp_path):
    """The anchor beside the database and a crash log (a traceback may hold names and ID numbers)
    are written readable by their owner only, even where an older one was readable by all."""
    from archive_tui.audit import ANCHOR_SUFFIX
    from archive_tui.core.crash import write_crash_log
    from archive_tui.core.privacy import write_private_text
    from archive_tui.services.exchange.demo import fill_demo

    fill_demo(context_for(engine, config), households=2, seed=1)
    [anchor] = config.root.glob(f"*{ANCHOR_SUFFIX}")
    assert owner_only(anchor)
    try:
        raise ValueError("身份证号 130123199001011234")
    except ValueError as error:
        log = write_crash_log(tmp_path, "测试", error)
    assert owner_only(log)
    again = tmp_path / "again.log"
    again.write_text("old", encoding="utf-8")
    again.chmod(0o644)
    assert owner_only(write_private_text(again, "new")) and again.read_text(encoding="utf-8") == "new"


@posix_only
def test_init_makes_the_database_and_its_anchor_the_owners_only(cli, archive_dir):
    """Names and ID numbers from the first import on: the file is private from the moment init makes it."""
    from archive_tui.audit import ANCHOR_SUFFIX

    assert cli("init", cwd=archive_dir).code == 0
    [anchor] = archive_dir.glob(f"*{ANCHOR_SUFFIX}")
    assert owner_only(archive_dir / "archive.db") and owner_only(anchor)
