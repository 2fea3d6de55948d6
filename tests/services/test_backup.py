"""Backup and restore with a real archive: online backup while another connection writes,
verification that catches a changed byte, restore into an empty folder only, daily rotation,
owner-only permissions."""

import datetime as dt
import os
import sqlite3
import stat
import threading
import time

import pytest
from PIL import Image

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config
from archive_tui.db import open_database
from archive_tui.core.errors import ArchiveError
from archive_tui.services.admin import backup as backups
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.editing import update_household
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import ingest_once, list_scans
from tests.conftest import table_counts


@pytest.fixture
def archive(engine, config):
    fill_demo(context_for(engine, config), households=12, seed=3)
    config.inbox.mkdir(exist_ok=True)
    for page, household in enumerate(list_households(engine, limit=2), start=1):
        path = config.inbox / f"{household['archive_code']}-1.jpg"
        Image.new("RGB", (100, 140), (page * 60, 20, 20)).save(path, dpi=(300, 300))
        os.utime(path, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    return engine


@pytest.mark.sqlite_only
def test_backup_while_writing_then_restore_into_an_empty_folder(archive, config, tmp_path):
    key = list_households(archive, limit=1)[0]["cbfbm"]
    stop = threading.Event()

    def keep_writing():
        number = 0
        while not stop.is_set():
            number += 1
            update_household(context_for(archive, config), key, {"address": f"第{number}号"})

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        report = backups.backup(context_for(archive, config), tmp_path / "备份 1", with_store=True)
    finally:
        stop.set()
        writer.join()
    assert report.ok and report.store_files == 2
    assert backups.verify_backup(tmp_path / "备份 1").ok
    target = tmp_path / "恢复"
    restored = backups.restore(tmp_path / "备份 1", target)
    assert restored.ok
    engine = open_database(load_config(target / "config.toml").database_url)
    assert table_counts(engine)["household"] == 12
    pages = list_scans(engine, "linked")
    assert len(pages) == 2 and all((target / page["path"]).is_file() for page in pages)
    engine.dispose()


@pytest.mark.sqlite_only
def test_a_changed_byte_in_a_backup_is_found(archive, config, tmp_path):
    backups.backup(context_for(archive, config), tmp_path / "b", with_store=True)
    database = tmp_path / "b" / "archive.db"
    data = bytearray(database.read_bytes())
    data[200] ^= 0xFF
    database.write_bytes(bytes(data))
    page = next((tmp_path / "b" / "store-files").rglob("*.jpg"))
    page.write_bytes(page.read_bytes() + b"x")
    report = backups.verify_backup(tmp_path / "b")
    assert not report.ok
    assert any("archive.db" in p for p in report.problems) and any(page.name in p for p in report.problems)
    with pytest.raises(ArchiveError, match="校验未通过"):
        backups.restore(tmp_path / "b", tmp_path / "新")
    assert not (tmp_path / "新" / "archive.db").exists()


def test_restore_and_backup_never_overwrite(archive, config, tmp_path):
    backups.backup(context_for(archive, config), tmp_path / "b")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "我的文件.txt").write_text("保留", encoding="utf-8")
    with pytest.raises(ArchiveError, match="不是空文件夹"):
        backups.restore(tmp_path / "b", busy)
    with pytest.raises(ArchiveError, match="不是空文件夹"):
        backups.backup(context_for(archive, config), busy)
    assert [p.name for p in busy.iterdir()] == ["我的文件.txt"]
    with pytest.raises(ArchiveError, match="不是 archive-tui 的备份"):
        backups.verify_backup(busy)


@pytest.mark.sqlite_only
def test_a_backup_without_the_store_restores_the_database_and_lists_the_pages(archive, config, tmp_path):
    report = backups.backup(context_for(archive, config), tmp_path / "b")
    assert report.store_files == 0
    import json

    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["store"]["files"]) == 2 and all(len(f["sha256"]) == 64 for f in manifest["store"]["files"])
    with sqlite3.connect(tmp_path / "b" / "archive.db") as connection:
        assert connection.execute("SELECT count(*) FROM household").fetchone()[0] == 12


def test_daily_backups_rotate(archive, config):
    config.settings.backup.keep = 3
    made = [backups.daily_backup(context_for(archive, config), dt.datetime(2026, 11, day, 9)) for day in range(1, 6)]
    assert all(made)
    again = backups.daily_backup(context_for(archive, config), dt.datetime(2026, 11, 5, 17))
    assert again is None  # one a day
    kept = sorted(p.name for p in config.resolve("backups").iterdir())
    assert kept == ["auto-20261103", "auto-20261104", "auto-20261105"]


@pytest.mark.sqlite_only
@pytest.mark.skipif(os.name != "posix", reason="owner-only modes are POSIX")
def test_database_backups_and_exports_are_the_owners_only(archive, config, tmp_path):
    from archive_tui.services.exchange.exporting import export_nyt2539

    backups.backup(context_for(archive, config), tmp_path / "b")
    path, _counts = export_nyt2539(context_for(archive, config), tmp_path / "导出.xlsx")
    for file in (config.root / "archive.db", tmp_path / "b" / "archive.db", tmp_path / "b" / "manifest.json", path):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o700


@pytest.mark.postgresql_only
def test_a_postgresql_backup_is_a_pg_dump_archive(archive, config, tmp_path):
    import subprocess

    report = backups.backup(context_for(archive, config), tmp_path / "pg")
    assert report.ok and backups.verify_backup(tmp_path / "pg").ok
    listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "pg" / "archive.pgdump")],
                             capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA public household" in listing and "TABLE DATA public audit_event" in listing
    with pytest.raises(ArchiveError, match="pg_restore"):
        backups.restore(tmp_path / "pg", tmp_path / "新")


def _with(config, old, new):
    text = config.path.read_text(encoding="utf-8")
    assert old in text
    config.path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_config(config.path)


@pytest.mark.sqlite_only
def test_a_store_outside_the_archive_folder_is_backed_up(engine, config, tmp_path):
    outside = tmp_path / "别处的存储库"
    config = _with(config, 'store = "store"', f'store = "{outside.as_posix()}"')
    fill_demo(context_for(engine, config), households=3, seed=3)
    household = list_households(engine, limit=1)[0]
    config.inbox.mkdir(exist_ok=True)
    page = config.inbox / f"{household['archive_code']}-1.jpg"
    Image.new("RGB", (100, 140), "red").save(page, dpi=(300, 300))
    os.utime(page, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    made = backups.backup(context_for(engine, config), tmp_path / "备份", with_store=True)
    assert made.ok and made.store_files == 1
    assert [p for p in (tmp_path / "备份" / "store-files").rglob("*.jpg")]
    assert backups.verify_backup(tmp_path / "备份").ok
    with pytest.raises(ArchiveError, match="绝对路径"):
        backups.restore(tmp_path / "备份", tmp_path / "恢复")
    assert not (tmp_path / "恢复").exists()


@pytest.mark.sqlite_only
def test_checking_a_backup_writes_nothing_beside_it(archive, config, tmp_path):
    backups.backup(context_for(archive, config), tmp_path / "备份")
    before = sorted(p.name for p in (tmp_path / "备份").iterdir())
    assert backups.verify_backup(tmp_path / "备份").ok
    assert sorted(p.name for p in (tmp_path / "备份").iterdir()) == before  # no -wal, -shm: read-only media work


@pytest.mark.sqlite_only
def test_a_restore_that_was_killed_leaves_the_target_empty_and_runs_again(archive, config, tmp_path, monkeypatch):
    backups.backup(context_for(archive, config), tmp_path / "备份", with_store=True)
    target = tmp_path / "恢复"
    target.mkdir()
    copy = backups.shutil.copyfile
    calls = []

    def copy_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the archivist closed the window midway
        return copy(*args, **kwargs)

    monkeypatch.setattr(backups.shutil, "copyfile", copy_then_fail)
    with pytest.raises(KeyboardInterrupt):
        backups.restore(tmp_path / "备份", target)
    assert list(target.iterdir()) == []  # as it was: the next run is not refused
    monkeypatch.setattr(backups.shutil, "copyfile", copy)
    restored = backups.restore(tmp_path / "备份", target)
    assert restored.ok and (target / "archive.db").is_file() and list((target / "store").rglob("*.jpg"))
    assert not (tmp_path / "恢复.恢复中").exists()


@pytest.mark.sqlite_only
def test_a_backup_whose_config_names_a_database_is_restored_to_its_own_file(archive, config, tmp_path):
    elsewhere = tmp_path / "别处" / "archive.db"
    backups.backup(context_for(archive, config), tmp_path / "备份")
    text = (tmp_path / "备份" / "config.toml").read_text(encoding="utf-8")
    assert 'url = ""' in text
    # the archivist's config had named its database explicitly
    manifest_path = tmp_path / "备份" / "manifest.json"
    (tmp_path / "备份" / "config.toml").write_text(
        text.replace('url = ""', f'url = "sqlite:///{elsewhere.as_posix()}"'), encoding="utf-8")
    import json

    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["config"]["sha256"] = backups.sha256_of(tmp_path / "备份" / "config.toml")[0]
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    restored = backups.restore(tmp_path / "备份", tmp_path / "恢复")
    assert any("database.url" in note for note in restored.notes)
    new_config = load_config(tmp_path / "恢复" / "config.toml")
    assert new_config.database_url.endswith("恢复/archive.db")
    assert table_counts(open_database(new_config.database_url))["household"] == 12
    assert not elsewhere.exists()  # no new empty database somewhere else


@pytest.mark.sqlite_only  # the copy is SQLite's online backup, asked to stop between steps
@pytest.mark.parametrize("stopped_at, size", [("archive.db", 40_000), ("archive.db.gz", 0)])  # copying, compressing
def test_a_daily_backup_stopped_midway_leaves_nothing_and_is_made_on_the_next_open(archive, config, monkeypatch,
                                                                                   stopped_at, size):
    monkeypatch.setattr(backups, "STEP_PAGES", 4)  # many small steps: stopped in the middle of its work
    monkeypatch.setattr(backups, "CHUNK", 1024)
    now = dt.datetime(2026, 11, 23, 9, 0)
    folder = config.resolve(config.settings.backup.folder)
    seen = []

    def closing() -> bool:  # the archivist quits once the backup has written this much of this file
        written = folder / "auto-20261123.part" / stopped_at
        seen.append(written.exists() and written.stat().st_size >= size)
        return seen[-1]

    with pytest.raises(backups.BackupStopped):
        backups.daily_backup(context_for(archive, config), now=now, stop=closing)
    assert seen.count(False) > 1  # it had been at work before
    assert list(folder.iterdir()) == []  # nothing half made
    made = backups.daily_backup(context_for(archive, config), now=now)
    assert made is not None and made.name == "auto-20261123" and backups.verify_backup(made).ok
    assert [p.name for p in folder.iterdir()] == ["auto-20261123"]


@pytest.mark.sqlite_only
def test_what_a_killed_daily_backup_left_is_removed_and_the_backup_made(archive, config):
    folder = config.resolve(config.settings.backup.folder)
    (folder / "auto-20261123.part").mkdir(parents=True)
    (folder / "auto-20261123.part" / "archive.db").write_bytes(b"half a copy")
    made = backups.daily_backup(context_for(archive, config), now=dt.datetime(2026, 11, 23, 9, 0))
    assert made is not None and backups.verify_backup(made).ok
    assert [p.name for p in folder.iterdir()] == ["auto-20261123"]


@pytest.mark.sqlite_only
def test_a_daily_backup_is_compressed_and_restores_to_an_archive_that_opens(archive, config, tmp_path):
    from archive_tui.bootstrap import open_archive
    from archive_tui.core.config import CONFIG_NAME

    made = backups.daily_backup(context_for(archive, config), now=dt.datetime(2026, 11, 23, 9, 0))
    assert (made / "archive.db.gz").is_file() and not (made / "archive.db").exists()
    assert (made / "archive.db.gz").stat().st_size < (config.root / "archive.db").stat().st_size / 2
    assert backups.verify_backup(made).ok
    restored = backups.restore(made, tmp_path / "恢复")
    assert restored.ok
    context = open_archive(tmp_path / "恢复" / CONFIG_NAME)
    assert [h["cbfbm"] for h in list_households(context.engine)] == [h["cbfbm"] for h in list_households(archive)]
    assert table_counts(context.engine)["household"] == 12
    context.engine.dispose()


@pytest.mark.sqlite_only
def test_a_changed_byte_in_a_compressed_backup_is_found_and_it_is_not_restored(archive, config, tmp_path):
    made = backups.daily_backup(context_for(archive, config), now=dt.datetime(2026, 11, 23, 9, 0))
    packed = made / "archive.db.gz"
    data = bytearray(packed.read_bytes())
    data[len(data) // 2] ^= 0xFF
    packed.write_bytes(bytes(data))
    report = backups.verify_backup(made)
    assert not report.ok and any("archive.db.gz" in problem for problem in report.problems)
    with pytest.raises(ArchiveError, match="校验未通过"):
        backups.restore(made, tmp_path / "恢复")
    assert not (tmp_path / "恢复").exists()


@pytest.mark.sqlite_only
def test_a_backup_asked_for_by_hand_keeps_its_database_as_it_is(archive, config):
    report = backups.backup_now(context_for(archive, config), now=dt.datetime(2026, 11, 23, 9, 0))
    assert (report.path / "archive.db").is_file() and not (report.path / "archive.db.gz").exists()
    import json

    assert json.loads((report.path / "manifest.json").read_text(encoding="utf-8"))["format"] == "archive-tui backup 1"


def test_the_search_index_stops_between_batches_and_finishes_later(archive, monkeypatch):
    from archive_tui.services.households import search

    monkeypatch.setattr(search, "BATCH", 5)
    asked = []
    assert search.build_missing(archive, stop=lambda: bool(asked.append(1)) or len(asked) > 1) == 5
    assert search.missing_count(archive) > 0
    search.build_missing(archive)
    assert search.missing_count(archive) == 0
