"""The inbox holds scans and nothing else is touched (issue 31, part 1).

Each hostile inbox is built from real files (Pillow images, text, an office document, links, a
pipe) and run through the intake; every test asserts the message, an unchanged database where
nothing may be taken, and that no file outside the archive folder changed (a snapshot of the
folder tree — names, kinds, sizes, modification times, link targets — before and after)."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config
from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import ingest_once, list_scans, watch_inbox
from tests.conftest import table_counts

OLD = time.time() - 600  # written ten minutes ago: stable


def jpeg(path: Path, colour=(200, 30, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (240, 320), colour).save(path, "JPEG", dpi=(300, 300))
    os.utime(path, (OLD, OLD))
    return path


def plain(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    os.utime(path, (OLD, OLD))
    return path


def office_document(path: Path) -> Path:
    """A real (tiny) .docx: a zip with a content-types part."""
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        bundle.writestr("word/document.xml", "<w:document>年度工作计划</w:document>")
    os.utime(path, (OLD, OLD))
    return path


def snapshot(folder: Path, skip: tuple[Path, ...] = (), depth: int | None = None) -> dict[str, tuple]:
    """Every entry under ``folder`` (links not followed; ``depth`` levels of it): kind, size, mtime,
    link target. The folders of ``skip`` (the archive folder) are left out."""
    found: dict[str, tuple] = {}
    skip = tuple(path.resolve() for path in skip)
    for root, folders, files in os.walk(folder, followlinks=False, onerror=lambda _error: None):
        here = Path(root)
        folders[:] = [name for name in folders if (here / name).resolve() not in skip]
        listed = folders + files
        if depth is not None and len(here.relative_to(folder).parts) + 1 >= depth:
            folders[:] = []
        for name in listed:
            path = here / name
            try:
                info = path.lstat()
            except OSError:
                continue
            target = os.readlink(path) if path.is_symlink() else ""
            size = info.st_size if not path.is_dir() or path.is_symlink() else 0
            found[path.relative_to(folder).as_posix()] = (info.st_mode, size, info.st_mtime_ns, target)
    return found


def with_inbox(config, folder: Path | str, limit: int | None = None):
    """The archive's config.toml pointed at another inbox (and limit), loaded as the CLI would."""
    text_ = config.path.read_text(encoding="utf-8").replace('inbox = "scans"', f"inbox = '{folder}'")
    if limit is not None:
        text_ = text_.replace("inbox_max_other_files = 50", f"inbox_max_other_files = {limit}")
    config.path.write_text(text_, encoding="utf-8")
    return load_config(config.path)


@pytest.fixture
def archive(engine, config):
    fill_demo(context_for(engine, config), households=5, seed=3)
    config.inbox.mkdir(exist_ok=True)
    return list_households(engine, limit=2)


@pytest.fixture
def documents(tmp_path):
    """A user's Documents folder, outside the archive folder: everything but two scans is no scan."""
    folder = tmp_path / "我的文档"
    plain(folder / "notes.txt", "明天开会\n")
    plain(folder / "my.cnf", "[client]\npassword=secret\n")
    office_document(folder / "报告.docx")
    plain(folder / "假图片.jpg", "这其实是一段文字，只是名字像图片")
    plain(folder / ".bashrc", "export PATH=$PATH\n")
    plain(folder / "工作" / "计划.xlsx", b"PK\x03\x04 not really a sheet")
    jpeg(folder / "工作" / "深层" / "IMG_0002.jpg")  # a scan, but two folders down: not entered
    plain(folder / "工作" / "深层" / "秘密.txt", "密码\n")
    plain(folder / ".git" / "config", "[core]\n")  # a hidden folder: passed over
    outside = plain(tmp_path / "别处.jpg", "外面的文件")
    (folder / "link.jpg").symlink_to(outside)
    (folder / "dangling.jpg").symlink_to(tmp_path / "不存在.jpg")
    os.mkfifo(folder / "管道.jpg")  # opening it would hang: never opened
    return folder


LEFT = ["dangling.jpg", "link.jpg", "my.cnf", "notes.txt", "假图片.jpg", "报告.docx", "管道.jpg", "工作/计划.xlsx"]


def test_files_that_are_not_scans_stay_where_they_are_and_are_listed_once(engine, config, archive, documents,
                                                                         tmp_path):
    code = archive[0]["archive_code"]
    named = jpeg(documents / f"{code}-1.jpg")
    jpeg(documents / "工作" / "扫描件无扩展名", colour=(20, 20, 200))  # a scan by its bytes
    before = snapshot(tmp_path, skip=(config.root,))
    config = with_inbox(config, documents)
    report = ingest_once(context_for(engine, config))
    assert (report.linked, report.unassigned, report.quarantined, report.duplicates) == (1, 1, 0, 0)
    assert sorted(report.others) == sorted(LEFT + [".bashrc"])
    assert report.folders == ["工作/深层"]
    [line, folders] = report.left_alone()
    assert line.startswith("收件箱中有 9 个不是扫描件的文件，未处理：")
    assert folders.startswith("收件箱中有 1 个文件夹未进入")
    after = snapshot(tmp_path, skip=(config.root,))
    # the two scans left (filed, verified, in the store) and the intake's own lock folder came, so the two
    # folders they were in have new times; every other entry is as it was
    changed = {f"我的文档/{named.name}", "我的文档/工作/扫描件无扩展名", "我的文档", "我的文档/工作"}
    assert {key: value for key, value in before.items() if key not in changed} == {
        key: value for key, value in after.items() if key not in changed and not key.startswith("我的文档/_sheets")}
    assert set(after) - set(before) == {"我的文档/_sheets", "我的文档/_sheets/收取.lock"}
    assert {row["status"] for row in list_scans(engine)} == {"linked", "unassigned"} and len(list_scans(engine)) == 2


def test_an_inbox_of_only_other_files_is_not_touched_at_all(engine, config, archive, documents, tmp_path):
    """No scans: not even the intake's lock folder is made."""
    counts, before = table_counts(engine), snapshot(tmp_path, skip=(config.root,))
    report = ingest_once(context_for(engine, with_inbox(config, documents)))
    assert report.left_alone()[0].startswith("收件箱中有 9 个不是扫描件的文件，未处理")
    assert snapshot(tmp_path, skip=(config.root,)) == before and table_counts(engine) == counts


def test_an_inbox_holding_the_archive_folder_is_refused(engine, config, archive, tmp_path):
    plain(tmp_path / "记事.txt", "x")
    jpeg(tmp_path / "IMG_0001.jpg")
    counts, before = table_counts(engine), snapshot(tmp_path, skip=(config.root,))
    with pytest.raises(ArchiveError) as refused:  # refused when the config loads …
        with_inbox(config, tmp_path)
    assert f"paths.inbox（“{tmp_path}”）" in refused.value.message and "重叠" in refused.value.message
    config.settings.paths.inbox = str(tmp_path)  # … and by the intake itself, whatever config it is given
    with pytest.raises(ArchiveError) as refused:
        ingest_once(context_for(engine, config))
    assert f"扫描收件箱 {tmp_path} 与档案文件夹" in refused.value.message and "未作任何处理" in refused.value.message
    assert snapshot(tmp_path, skip=(config.root,)) == before and table_counts(engine) == counts


def test_an_inbox_inside_the_store_is_refused(engine, config, archive):
    inside = config.store / "收件"
    jpeg(inside / "IMG_0001.jpg")
    counts, before = table_counts(engine), snapshot(config.store)
    config.settings.paths.inbox = str(inside)
    with pytest.raises(ArchiveError, match=f"扫描收件箱 {inside} 与存储库"):
        ingest_once(context_for(engine, config))
    assert snapshot(config.store) == before and table_counts(engine) == counts


def test_the_users_home_is_refused(engine, config, archive, tmp_path, monkeypatch):
    home = tmp_path / "home" / "张三"
    plain(home / "简历.docx", "x")
    jpeg(home / "IMG_0001.jpg")
    monkeypatch.setenv("HOME", str(home))
    counts, before = table_counts(engine), snapshot(tmp_path, skip=(config.root,))
    config = with_inbox(config, home)
    with pytest.raises(ArchiveError) as refused:
        ingest_once(context_for(engine, config))
    assert refused.value.message.startswith(f"扫描收件箱 {home} 是用户主文件夹")
    assert "未作任何处理" in refused.value.message
    assert snapshot(tmp_path, skip=(config.root,)) == before and table_counts(engine) == counts


def test_a_system_folder_is_refused(engine, config, archive):
    before, counts = snapshot(Path("/etc")), table_counts(engine)
    config = with_inbox(config, "/etc")
    with pytest.raises(ArchiveError, match="^扫描收件箱 /etc 是系统文件夹，不能作为收件箱，未作任何处理"):
        ingest_once(context_for(engine, config))
    assert snapshot(Path("/etc")) == before and table_counts(engine) == counts


def test_a_folder_inside_a_system_folder_is_refused(engine, config, archive):
    folder = Path("/usr/share")
    before, counts = snapshot(folder, depth=2), table_counts(engine)
    config = with_inbox(config, folder)
    with pytest.raises(ArchiveError, match="^扫描收件箱 /usr/share 在系统文件夹 /usr 中"):
        ingest_once(context_for(engine, config))
    assert snapshot(folder, depth=2) == before and table_counts(engine) == counts


def test_the_root_of_the_disk_is_refused(engine, config, archive):
    before, counts = set(snapshot(Path("/"), depth=1)), table_counts(engine)  # names: /tmp, /proc change times
    with pytest.raises(ArchiveError, match="paths.inbox（“/”）与 paths.store（“store”）重叠"):
        load_config(with_inbox(config, "/").path)
    config.settings.paths.inbox = "/"
    with pytest.raises(ArchiveError, match="^扫描收件箱 / 是磁盘根目录"):
        ingest_once(context_for(engine, config))
    assert set(snapshot(Path("/"), depth=1)) == before and table_counts(engine) == counts


def test_the_watcher_refuses_a_system_folder_before_it_starts(engine, config, archive):
    import threading

    before = snapshot(Path("/etc"))
    config = with_inbox(config, "/etc")
    with pytest.raises(ArchiveError, match="^扫描收件箱 /etc 是系统文件夹"):
        watch_inbox(context_for(engine, config), threading.Event())
    assert snapshot(Path("/etc")) == before


def test_more_files_that_are_not_scans_than_allowed_is_refused(engine, config, archive, tmp_path):
    folder = tmp_path / "共享盘"
    for number in range(51):
        plain(folder / f"文件{number:02d}.txt", f"第 {number} 份\n")
    jpeg(folder / f"{archive[0]['archive_code']}-1.jpg")  # a scan among them: not taken either
    counts, before = table_counts(engine), snapshot(tmp_path, skip=(config.root,))
    config = with_inbox(config, folder)
    with pytest.raises(ArchiveError) as refused:
        ingest_once(context_for(engine, config))
    assert refused.value.message.startswith(f"扫描收件箱 {folder} 中不是扫描件的文件超过 50 个")
    assert "未作任何处理" in refused.value.message
    assert snapshot(tmp_path, skip=(config.root,)) == before and table_counts(engine) == counts


def test_the_limit_of_other_files_comes_from_the_config(engine, config, archive, documents, tmp_path):
    counts, before = table_counts(engine), snapshot(tmp_path, skip=(config.root,))
    config = with_inbox(config, documents, limit=3)
    with pytest.raises(ArchiveError, match=r"超过 3 个（config.toml 的 scan.inbox_max_other_files）"):
        ingest_once(context_for(engine, config))
    assert snapshot(tmp_path, skip=(config.root,)) == before and table_counts(engine) == counts


@pytest.mark.parametrize("value", ["-1", '"many"', "2.5"])
def test_a_bad_limit_is_an_error_naming_the_key(config, value):
    config.path.write_text(config.path.read_text(encoding="utf-8").replace(
        "inbox_max_other_files = 50", f"inbox_max_other_files = {value}"), encoding="utf-8")
    with pytest.raises(ArchiveError) as refused:
        load_config(config.path)
    assert "scan.inbox_max_other_files" in str(refused.value)


def test_a_dangling_link_in_quarantine_is_never_written_over(engine, config, archive, tmp_path):
    quarantine = config.inbox / "_quarantine"
    quarantine.mkdir()
    (quarantine / "坏.jpg").symlink_to(tmp_path / "不存在.jpg")  # dangling
    victim = plain(tmp_path / "别人的文件.txt", "不能被改写\n")
    (quarantine / "坏2.jpg.原因.txt").symlink_to(victim)  # a reason file's name that leads out
    plain(config.inbox / "坏.jpg", b"\xff\xd8\xff\xe0 cut off")  # JPEG by its bytes, but broken
    plain(config.inbox / "坏2.jpg", b"\xff\xd8\xff\xe0 cut off too")
    before = snapshot(tmp_path, skip=(config.root,))
    report = ingest_once(context_for(engine, config))
    assert report.quarantined == 2 and report.notes == []
    assert os.readlink(quarantine / "坏.jpg") == str(tmp_path / "不存在.jpg")
    assert not (tmp_path / "不存在.jpg").exists() and snapshot(tmp_path, skip=(config.root,)) == before
    names = sorted(row["path"].rsplit("/", 1)[-1] for row in list_scans(engine, "quarantined"))
    assert names == ["坏2~2.jpg", "坏~2.jpg"]
    assert (quarantine / "坏~2.jpg").read_bytes() == b"\xff\xd8\xff\xe0 cut off"


def test_a_name_a_row_still_holds_is_not_given_again(engine, config, archive, tmp_path):
    """The archivist cleared ``_quarantine`` (a dangling link left in place of a file): the next bad
    scan of the same name gets a name of its own, no database error."""
    plain(config.inbox / "坏.jpg", b"\xff\xd8\xff\xe0 first")
    ingest_once(context_for(engine, config))
    quarantined = config.inbox / "_quarantine" / "坏.jpg"
    quarantined.unlink()
    (config.inbox / "_quarantine" / "坏.jpg.原因.txt").unlink()
    quarantined.symlink_to(tmp_path / "已删除.jpg")
    plain(config.inbox / "坏.jpg", b"\xff\xd8\xff\xe0 second")
    report = ingest_once(context_for(engine, config))
    assert report.quarantined == 1 and report.notes == [] and quarantined.is_symlink()
    assert sorted(row["path"] for row in list_scans(engine, "quarantined")) == [
        "scans/_quarantine/坏.jpg", "scans/_quarantine/坏~2.jpg"]


def test_a_set_aside_folder_that_is_a_link_is_refused(engine, config, archive, tmp_path):
    elsewhere = tmp_path / "别处"
    elsewhere.mkdir()
    (config.inbox / "_quarantine").symlink_to(elsewhere)
    plain(config.inbox / "坏.jpg", b"\xff\xd8\xff\xe0 broken")
    counts, before = table_counts(engine), snapshot(tmp_path, skip=(config.root,))
    with pytest.raises(ArchiveError, match="_quarantine 是链接或不是文件夹"):
        ingest_once(context_for(engine, config))
    assert (config.inbox / "坏.jpg").is_file() and not any(elsewhere.iterdir())
    assert snapshot(tmp_path, skip=(config.root,)) == before and table_counts(engine) == counts


def _refuse_page_three(engine) -> None:
    """The database refuses the row of page 3, as a unique index would (a real trigger, no mock)."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("CREATE TRIGGER refuse_three BEFORE INSERT ON scan_page WHEN NEW.seq = 3 "
                                    "BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: scan_page.store_path'); END"))
        else:
            connection.execute(text(
                "CREATE FUNCTION refuse_three() RETURNS trigger AS $$ BEGIN IF NEW.seq = 3 THEN RAISE EXCEPTION "
                "'duplicate key value violates unique constraint' USING ERRCODE = 'unique_violation'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"))
            connection.execute(text("CREATE TRIGGER refuse_three BEFORE INSERT ON scan_page "
                                    "FOR EACH ROW EXECUTE FUNCTION refuse_three()"))


def _drop_refusal(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse_three" + (" ON scan_page" if engine.dialect.name != "sqlite"
                                                               else "")))


def test_a_run_that_fails_part_way_says_exactly_what_it_filed(engine, config, archive):
    code = archive[0]["archive_code"]
    for page in (1, 2, 3, 4):
        jpeg(config.inbox / f"{code}-{page}.jpg", colour=(page * 40, 60, 90))
    _refuse_page_three(engine)
    with pytest.raises(ArchiveError) as stopped:
        ingest_once(context_for(engine, config))
    said = str(stopped.value)
    assert stopped.value.message == "收件中途出错，已停止：数据库拒绝了一页的记录（与已有的记录重复或冲突）"
    assert f"出错时正在处理：{code}-3.jpg（留在收件箱中，未记入数据库）" in said
    assert "出错前本次已归档并写入数据库 2 个文件（这些改动已保存）" in said
    for page in (1, 2):
        assert f"{code}-{page}.jpg → store/" in said
    assert "数据库未作改动" not in said and "IntegrityError" not in said and "INSERT" not in said
    assert "请发给维护人员" in said  # the details went to the log in the archive folder
    rows = list_scans(engine)
    assert sorted(row["seq"] for row in rows) == [1, 2]
    assert sorted(p.name for p in config.inbox.glob("*.jpg")) == [f"{code}-3.jpg", f"{code}-4.jpg"]
    _drop_refusal(engine)  # the next run files the rest, nothing doubled (page 3's copy in the store reused)
    report = ingest_once(context_for(engine, config))
    assert report.linked == 2 and sorted(row["seq"] for row in list_scans(engine)) == [1, 2, 3, 4]
    assert len([p for p in config.store.rglob("*.jpg")]) == 4


def _wait_for(condition, seconds: float = 15.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_watcher_follows_batch_folders_and_nothing_deeper(engine, config, archive):
    """A batch folder that arrives is watched from then on (a page put in it later is taken at once,
    long before the periodic rescan); a scan two folders down is never taken."""
    import threading

    code = archive[0]["archive_code"]
    config.settings.scan.stable_seconds = 0.3
    config.settings.scan.rescan_seconds = 120  # only the events can wake it in this test
    stop, passes = threading.Event(), []
    watcher = threading.Thread(target=watch_inbox, args=(context_for(engine, config), stop, passes.append),
                               daemon=True)
    watcher.start()
    try:
        assert _wait_for(lambda: passes)  # its first pass is done: the inbox is watched
        jpeg(config.inbox / "批次 1" / f"{code}-1.jpg")
        assert _wait_for(lambda: sum(report.linked for report in passes) == 1)  # that pass has reported
        # the pass that took it watched its batch folder already (followed before every pass)
        deep = jpeg(config.inbox / "批次 1" / "再下一层" / "IMG_0009.jpg", colour=(9, 9, 9))
        jpeg(config.inbox / "批次 1" / f"{code}-2.jpg", colour=(10, 200, 10))
        assert _wait_for(lambda: sum(report.linked for report in passes) == 2)
        # that pass read the batch folder with the deeper one already in it, and left it alone
        assert deep.is_file() and len(list_scans(engine)) == 2
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()
