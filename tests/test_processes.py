"""Real processes against one archive: five writers at once never see "database is locked",
and a process killed (SIGKILL / TerminateProcess) while importing, filing scans or building a
bag leaves a consistent database that the next run completes with nothing lost or doubled."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui import audit

from archive_tui.services.transfers import transfers
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.exchange.importing import run_import
from archive_tui.services.intake.scans import ingest_once, list_scans, verify_store
from models import Household
from tests.conftest import table_counts, write_tables_csv

WORKER = Path(__file__).with_name("worker.py")


def start(config, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), str(config.path), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def finish(process: subprocess.Popen, seconds: float = 240) -> str:
    out, err = process.communicate(timeout=seconds)
    assert process.returncode == 0, err
    assert "locked" not in err
    return out


def pages(config, households, per_household=3, folder=None):
    inbox = folder or config.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    for index, household in enumerate(households):
        for page in range(1, per_household + 1):
            path = inbox / f"{household['archive_code']}-{page}.jpg"
            Image.new("RGB", (240, 340), ((index * 37) % 255, page * 50, 90)).save(path, dpi=(300, 300))
            os.utime(path, (time.time() - 60,) * 2)


def integrity(config) -> str:
    with sqlite3.connect(config.root / "archive.db") as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def test_five_writers_at_once(engine, config):
    fill_demo(context_for(engine, config), households=40, seed=8)
    pages(config, list_households(engine, limit=15))
    before = audit.count(engine)
    workers = [start(config, "edit", 40), start(config, "recall", 25), start(config, "check", 3),
               start(config, "move", 30), start(config, "ingest", 2)]
    for worker in workers:
        assert finish(worker).strip() == "done"
    assert len(list_scans(engine, "linked")) == 45 and not any(config.inbox.glob("*.jpg"))
    report = audit.verify(engine)
    assert report.ok, report.first_bad
    assert audit.count(engine) >= before + 40 + 25 + 3 + 30  # every change recorded, the chain unforked


def test_killed_during_an_import_the_next_run_completes(engine, config, tmp_path):
    source = write_tables_csv(config, tmp_path / "source", households=1500, seed=4)
    crashed = start(config, "import-crash", source)  # kills itself after writing members, before commit
    crashed.communicate(timeout=240)
    assert crashed.returncode != 0
    assert integrity(config) == "ok"
    assert table_counts(engine)["household"] == 0  # nothing half written
    finish(start(config, "import", source))
    after = table_counts(engine)
    assert after["household"] == 1500 and after["archive_file"] == 1500 and after["file_copy"] == 4500


def test_killed_while_filing_scans_nothing_is_lost_or_doubled(engine, config):
    fill_demo(context_for(engine, config), households=60, seed=2)
    pages(config, list_households(engine), per_household=4)
    crashed = start(config, "ingest-crash", 40)  # dies after copying the 41st page, before recording it
    crashed.communicate(timeout=240)
    assert crashed.returncode != 0 and integrity(config) == "ok"
    assert len(list_scans(engine, "linked")) == 40
    report = ingest_once(context_for(engine, config))  # the next run
    linked = list_scans(engine, "linked")
    assert len(linked) == 240 and len({r["sha256"] for r in linked}) == 240
    assert not any(config.inbox.glob("*.jpg")) and report.duplicates == 0
    fixity = verify_store(engine, config)
    assert fixity.ok, fixity.as_dict()


def test_killed_while_building_a_bag_the_next_run_builds_it(engine, config, tmp_path):
    fill_demo(context_for(engine, config), households=60, seed=2)
    households = list_households(engine)
    pages(config, households, per_household=5)
    ingest_once(context_for(engine, config))
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("县档案馆"))
    transfers.add(context_for(engine, config), number, [h["cbfbm"] for h in households], override="测试",
                  skip_refused=True)
    out = tmp_path / "bags"
    crashed = start(config, "package-crash", number, out)  # dies with the pages copied, no manifest yet
    crashed.communicate(timeout=240)
    part = out / f"{number}.part"
    assert crashed.returncode != 0 and part.exists()
    assert not (out / number).exists()  # no half bag that looks whole
    finish(start(config, "package", number, out))
    import bagit

    bag = bagit.Bag(str(out / number))
    assert bag.is_valid() and not part.exists()
    assert len([p for p in bag.payload_files() if p.endswith(".jpg")]) == 300


@pytest.mark.skipif(os.name != "posix", reason="the quick check of the busy timeout uses POSIX sleep")
def test_a_writer_waits_for_a_long_transaction_instead_of_failing(engine, config):
    fill_demo(context_for(engine, config), households=5, seed=2)
    with sqlite3.connect(config.root / "archive.db") as blocker:
        blocker.execute("BEGIN IMMEDIATE")
        blocker.execute("UPDATE household SET address = '占用' WHERE id = 1")
        process = start(config, "edit", 2)
        time.sleep(2)  # the worker is waiting on the lock now
        blocker.commit()
    assert finish(process).strip() == "done"


def _one_uncollected_source(config, folder):
    def not_yet_collected(tables):
        columns, rows = tables["CBJYQZ"]
        for column, value in (("QZSFLQ", "2"), ("QZLQRQ", ""), ("QZLQRXM", ""), ("QZLQRZJLX", ""),
                              ("QZLQRZJHM", "")):
            rows[0][columns.index(column)] = value

    return write_tables_csv(config, folder, households=12, edit=not_yet_collected)


def _issued(engine, serial):
    from models import Certificate

    with engine.connect() as connection:
        row = connection.execute(select(Certificate).where(Certificate.serial == serial)).one()
    return row.status, row.collector_name, row.collector_id_number


@pytest.mark.parametrize("where", ["before-lock", "in-transaction"])
def test_an_import_racing_a_certificate_issue_never_undoes_it(engine, config, tmp_path, where):
    """Two real processes: the import waits at a fixed point while `certs issue` commits (before
    the import's transaction reads the archive), or is held up by it (inside the import's
    transaction): either way the certificate ends issued, with its collector."""
    from archive_tui.services.registers.certificates import list_certificates

    source = _one_uncollected_source(config, tmp_path / "csv")
    run_import(context_for(engine, config), source)
    waiting = list_certificates(engine, status="printed")[0]
    with engine.connect() as connection:
        name, id_number = connection.execute(
            select(Household.name, Household.id_number).where(Household.code == waiting["cbfbm"])).one()
    signal = tmp_path / "go"
    importer = start(config, "import-pause", source, where, signal)
    for _ in range(400):
        if signal.with_suffix(".ready").exists():
            break
        time.sleep(0.05)
    assert signal.with_suffix(".ready").exists(), importer.stderr.read() if importer.poll() is not None else ""
    issuer = start(config, "issue", waiting["serial"], name, id_number)
    if where == "before-lock":
        finish(issuer)  # committed while the import has read its source but not yet the archive
        signal.touch()
    else:
        time.sleep(1)  # the issue waits for the import's write lock …
        assert issuer.poll() is None
        signal.touch()  # … and goes on once the import has committed
        finish(issuer)
    finish(importer)
    assert _issued(engine, waiting["serial"]) == ("issued", name, id_number)


def test_three_intakes_at_once_take_each_page_once(engine, config):
    fill_demo(context_for(engine, config), households=10, seed=8)
    pages(config, list_households(engine, limit=8), per_household=3)
    workers = [start(config, "ingest", 1) for _ in range(3)]
    outputs = [finish(worker) for worker in workers]
    assert all(out.strip() == "done" for out in outputs)
    linked = list_scans(engine, "linked")
    assert len(linked) == 24 and len({page["sha256"] for page in linked}) == 24
    assert not list(config.inbox.glob("*.jpg"))


def test_six_new_batches_at_once_get_six_numbers(engine, config):
    fill_demo(context_for(engine, config), households=3, seed=8)
    workers = [start(config, "new-batch") for _ in range(6)]
    numbers = [finish(worker).strip().splitlines()[-2] for worker in workers]  # then "done"
    assert len(set(numbers)) == 6
