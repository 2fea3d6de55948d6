"""Scan intake with real files: linking by name and folder, filing verified, duplicates,
quarantine, collisions, files still being written, ignored names."""

import hashlib
import os
import time

import pytest
from PIL import Image
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.intake.scans import ingest_once, list_scans
from models import Document


def scan(path, dpi=300, mode="RGB", colour="white"):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new(mode, (300, 420), colour)
    image.putpixel((10, 10), 0 if mode in ("1", "L") else (255, 0, 0))
    image.save(path, dpi=(dpi, dpi))
    old = time.time() - 60  # written a minute ago: stable
    os.utime(path, (old, old))
    return path


@pytest.fixture
def archive(engine, config):
    fill_demo(context_for(engine, config), households=20, seed=3)
    config.inbox.mkdir(exist_ok=True)
    return list_households(engine, limit=3)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pages_named_by_archive_code_are_filed_verified_and_leave_the_inbox(engine, config, archive):
    code = archive[0]["archive_code"]
    first = scan(config.inbox / f"{code}-1.jpg")
    second = scan(config.inbox / f"{code}-2.jpg", colour="grey")
    hashes = {digest(first), digest(second)}
    report = ingest_once(context_for(engine, config))
    assert report.linked == 2 and not any(config.inbox.rglob("*.jpg"))
    rows = list_scans(engine, "linked")
    assert {r["seq"] for r in rows} == {1, 2} and {r["archive_code"] for r in rows} == {code}
    stored = [config.root / r["path"] for r in rows]
    assert all(p.is_file() for p in stored) and {digest(p) for p in stored} == hashes
    assert stored[0].name == f"{code}-0001.jpg" and archive[0]["village"] in stored[0].parts


def test_an_intake_asked_to_stop_files_whole_pages_and_leaves_the_rest_for_the_next_pass(engine, config, archive):
    """The app closing mid-delivery: the intake stops between files; what it took is filed
    whole, the rest waits in the inbox and the next pass files it, nothing twice."""
    code = archive[0]["archive_code"]
    for page in range(1, 7):
        scan(config.inbox / f"{code}-{page}.jpg", colour=(page * 30, 90, 60))
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2  # two files taken, then the app closes

    stopped = ingest_once(context_for(engine, config), stop=stop)
    assert (stopped.linked, stopped.left) == (2, 4) and len(list(config.inbox.glob("*.jpg"))) == 4
    rest = ingest_once(context_for(engine, config))
    rows = list_scans(engine, "linked")
    assert rest.linked == 4 and sorted(r["seq"] for r in rows) == [1, 2, 3, 4, 5, 6]
    assert not any(config.inbox.glob("*.jpg"))


def test_cbfbm_doc_page_names_link_to_the_document(engine, config, archive):
    cbfbm = archive[1]["cbfbm"]
    scan(config.inbox / f"{cbfbm}_03_1.tif")
    ingest_once(context_for(engine, config))
    [row] = list_scans(engine, "linked")
    assert row["doc_type"] == "03" and row["format"] == "TIFF" and row["dpi"] == 300


def test_a_folder_named_by_archive_code_links_everything_inside(engine, config, archive):
    code = archive[2]["archive_code"]
    scan(config.inbox / code / "IMG_0001.jpg")
    scan(config.inbox / code / "IMG_0002.jpg", colour="grey")
    report = ingest_once(context_for(engine, config))
    assert report.linked == 2 and {r["archive_code"] for r in list_scans(engine)} == {code}


def test_unknown_names_wait_unassigned_in_the_store(engine, config, archive):
    scan(config.inbox / "扫描 0001.jpg")
    report = ingest_once(context_for(engine, config))
    [row] = list_scans(engine, "unassigned")
    assert report.unassigned == 1 and (config.root / row["path"]).is_file() and row["archive_code"] is None


def test_identical_content_is_a_duplicate_and_is_not_filed_twice(engine, config, archive):
    code = archive[0]["archive_code"]
    original = scan(config.inbox / f"{code}-1.jpg")
    copy = config.inbox / "again" / "copy.jpg"
    copy.parent.mkdir()
    copy.write_bytes(original.read_bytes())
    os.utime(copy, (time.time() - 60,) * 2)
    report = ingest_once(context_for(engine, config))
    assert (report.linked, report.duplicates) == (1, 1)
    assert len(list_scans(engine, "linked")) == 1 and (config.inbox / "_duplicates" / "copy.jpg").is_file()


@pytest.mark.parametrize(("content", "reason"), [(b"", "文件为空"), (b"\xff\xd8\xff\xe0not an image", "图像已损坏")])
def test_unreadable_files_are_quarantined_with_a_reason(engine, config, archive, content, reason):
    """A scan that fails (an empty ``.jpg``, a JPEG whose header is all there is); a file that is no
    scan by its bytes is left where it is (tests/services/test_inbox_scope.py)."""
    bad = config.inbox / "坏文件.jpg"
    bad.write_bytes(content)
    os.utime(bad, (time.time() - 60,) * 2)
    report = ingest_once(context_for(engine, config))
    [row] = list_scans(engine, "quarantined")
    assert report.quarantined == 1 and reason in row["reason"]
    assert (config.inbox / "_quarantine" / "坏文件.jpg").is_file()
    assert reason in (config.inbox / "_quarantine" / "坏文件.jpg.原因.txt").read_text(encoding="utf-8")


def test_a_file_still_being_written_waits(engine, config, archive):
    fresh = scan(config.inbox / f"{archive[0]['archive_code']}-1.jpg")
    os.utime(fresh, None)  # modified just now
    report = ingest_once(context_for(engine, config))
    assert report.waiting == 1 and fresh.exists() and list_scans(engine) == []


def test_ignored_names_are_left_alone(engine, config, archive):
    (config.inbox / "Thumbs.db").write_bytes(b"x")
    (config.inbox / "~$note.tmp").write_bytes(b"x")
    (config.inbox / ".gitkeep").write_bytes(b"")  # the empty file that keeps scans/ in a fresh checkout
    assert ingest_once(context_for(engine, config)).quarantined == 0 and list_scans(engine) == []
    assert (config.inbox / ".gitkeep").exists()


def test_a_name_collision_never_overwrites(engine, config, archive):
    code = archive[0]["archive_code"]
    scan(config.inbox / f"{code}-1.jpg")
    ingest_once(context_for(engine, config))
    scan(config.inbox / f"{code}-1.jpg", colour="grey")  # different content, same page number
    ingest_once(context_for(engine, config))
    paths = [config.root / r["path"] for r in list_scans(engine, "linked")]
    assert len(paths) == 2 and len({digest(p) for p in paths}) == 2 and paths[1].name.endswith("~2.jpg")


def test_low_dpi_is_recorded_on_the_page(engine, config, archive):
    scan(config.inbox / f"{archive[0]['archive_code']}-1.jpg", dpi=150)
    ingest_once(context_for(engine, config))
    [row] = list_scans(engine)
    assert row["status"] == "linked" and "分辨率 150 dpi 低于 200 dpi" in row["reason"]


def test_symlinks_are_refused(engine, config, archive, tmp_path):
    outside = scan(tmp_path / "outside.jpg")
    link = config.inbox / "link.jpg"
    try:
        link.symlink_to(outside)
    except OSError:
        pytest.skip("this system does not allow symlinks")
    report = ingest_once(context_for(engine, config))
    # not followed, not moved: a link is no scan, left where it is and listed
    assert report.quarantined == 0 and outside.is_file() and link.is_symlink() and list_scans(engine) == []
    assert report.others == ["link.jpg"] and "1 个不是扫描件的文件" in report.left_alone()[0]


def test_documents_are_created_for_linked_doc_types(engine, config, archive):
    cbfbm = archive[0]["cbfbm"]
    scan(config.inbox / f"{cbfbm}_02_1.jpg")
    ingest_once(context_for(engine, config))
    with engine.connect() as connection:
        assert connection.execute(select(Document.doc_type).where(Document.doc_type == "02")).first()


def test_missing_inbox_is_a_clear_error(engine, config):
    with pytest.raises(ArchiveError, match="扫描收件箱"):
        ingest_once(context_for(engine, config))


def test_bad_status_word(engine):
    with pytest.raises(ArchiveError, match="扫描件状态"):
        list_scans(engine, "lost")


def test_fixity_finds_missing_changed_and_orphaned_files(engine, config, archive):
    from archive_tui.services.intake.scans import verify_store

    code = archive[0]["archive_code"]
    for page in (1, 2, 3):
        scan(config.inbox / f"{code}-{page}.jpg", colour=("white", "grey", "black")[page - 1])
    ingest_once(context_for(engine, config))
    assert verify_store(engine, config).ok
    first, second, _third = [config.root / r["path"] for r in list_scans(engine, "linked")]
    first.unlink()
    second.write_bytes(second.read_bytes() + b"x")
    (config.store / "stray.jpg").write_bytes(b"stray")
    report = verify_store(engine, config)
    assert not report.ok and report.checked == 3
    assert report.missing == [first.relative_to(config.root).as_posix()]
    assert report.changed == [second.relative_to(config.root).as_posix()]
    assert report.orphans == ["store/stray.jpg"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_fixity_lists_a_pipe_and_a_link_in_the_store_and_does_not_hang(engine, config, archive):
    from archive_tui.services.intake.scans import verify_store

    code = archive[0]["archive_code"]
    scan(config.inbox / f"{code}-1.jpg")
    ingest_once(context_for(engine, config))
    [stored] = [config.root / r["path"] for r in list_scans(engine)]
    os.mkfifo(config.store / "pipe.jpg")
    (config.store / "link.jpg").symlink_to(stored)
    report = verify_store(engine, config)
    assert report.orphans == ["store/link.jpg", "store/pipe.jpg"] and not report.changed


def test_assigning_an_unassigned_scan_by_hand(engine, config, archive):
    from archive_tui.services.intake.scans import assign_scan

    original = scan(config.inbox / "无名 扫描.jpg")
    content = digest(original)
    ingest_once(context_for(engine, config))
    [row] = list_scans(engine, "unassigned")
    stored = assign_scan(context_for(engine, config), row["path"], archive[1]["cbfbm"], "05", seq=3)
    [linked] = list_scans(engine, "linked")
    assert linked["path"] == stored and linked["doc_type"] == "05" and linked["seq"] == 3
    assert digest(config.root / stored) == content and not (config.root / row["path"]).exists()
    assert linked["archive_code"] == archive[1]["archive_code"]


@pytest.mark.parametrize(
    ("file", "key", "doc", "message"),
    [("nope.jpg", None, "05", "待挂接列表中没有"), (None, "999", "05", "找不到承包方编码或档号"),
     (None, None, "77", "文件类型代码“77”不在")],
)
def test_assign_errors_change_nothing(engine, config, archive, file, key, doc, message):
    from archive_tui.services.intake.scans import assign_scan

    scan(config.inbox / "x.jpg")
    ingest_once(context_for(engine, config))
    [row] = list_scans(engine, "unassigned")
    with pytest.raises(ArchiveError, match=message):
        assign_scan(context_for(engine, config), file or row["path"], key or archive[0]["cbfbm"], doc)
    assert list_scans(engine) == [row] and (config.root / row["path"]).is_file()


def test_an_unassigned_page_changed_in_the_store_is_not_filed(engine, config, archive):
    from archive_tui.services.intake.scans import assign_scan

    scan(config.inbox / "x.jpg")
    ingest_once(context_for(engine, config))
    [row] = list_scans(engine, "unassigned")
    with (config.root / row["path"]).open("ab") as page:
        page.write(b"changed")
    with pytest.raises(ArchiveError, match="与记录的校验值不一致.*原件留在原处"):
        assign_scan(context_for(engine, config), row["path"], archive[0]["cbfbm"], "05")
    assert list_scans(engine) == [row] and (config.root / row["path"]).is_file()
    assert not [p for p in config.store.rglob("*") if p.is_file() and "_unassigned" not in p.parts]


def test_a_copy_left_by_an_interrupted_run_is_reused_not_doubled(engine, config, archive):
    """As if the process died after copying into the store and before committing the row."""
    import shutil

    from archive_tui.services.intake.scans import verify_store

    code, village = archive[0]["archive_code"], archive[0]["village"]
    original = scan(config.inbox / f"{code}-1.jpg")
    left_behind = config.store / village / code / f"{code}-0001.jpg"
    left_behind.parent.mkdir(parents=True)
    shutil.copy2(original, left_behind)
    report = ingest_once(context_for(engine, config))
    assert report.linked == 1 and not original.exists()
    assert [r["path"] for r in list_scans(engine)] == [left_behind.relative_to(config.root).as_posix()]
    assert verify_store(engine, config).ok  # no orphan, nothing doubled


def _wait_for(condition, seconds=15.0, step=0.1):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


@pytest.mark.parametrize("polling", [False, True])
def test_the_watcher_takes_a_slowly_written_file_once_it_is_complete(engine, config, archive, polling):
    import threading

    from archive_tui.services.intake.scans import watch_inbox

    config.settings.scan.stable_seconds = 0.5
    config.settings.scan.rescan_seconds = 5
    config.settings.scan.polling = polling
    stop = threading.Event()
    watcher = threading.Thread(target=watch_inbox, args=(context_for(engine, config), stop), daemon=True)
    watcher.start()
    try:
        source = scan(config.root / "ready.jpg")
        data = source.read_bytes()
        target = config.inbox / "sub folder" / f"{archive[0]['archive_code']}-1.jpg"
        target.parent.mkdir()
        with target.open("wb") as handle:  # a scanner writing in pieces
            for start in range(0, len(data), max(1, len(data) // 4)):
                handle.write(data[start:start + max(1, len(data) // 4)])
                handle.flush()
                time.sleep(0.2)
        assert _wait_for(lambda: len(list_scans(engine, "linked")) == 1)
        [row] = list_scans(engine, "linked")
        assert row["sha256"] == hashlib.sha256(data).hexdigest() and not target.exists()
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def test_a_folder_moved_into_the_inbox_is_processed_whole(engine, config, archive, tmp_path):
    code = archive[1]["archive_code"]
    outside = tmp_path / code
    for page in (1, 2, 3):
        scan(outside / f"page {page}.jpg", colour=("white", "grey", "black")[page - 1])
    os.replace(outside, config.inbox / code)  # a move keeps the old modification times
    report = ingest_once(context_for(engine, config))
    assert report.linked == 3 and {r["archive_code"] for r in list_scans(engine)} == {code}


def test_killing_the_intake_midway_loses_and_doubles_nothing(engine, config, archive):
    """A real `archive-tui scans ingest` process is killed (SIGKILL) while filing; the next
    run completes the work: every page linked exactly once, the store clean."""
    import signal
    import subprocess
    import sys

    from archive_tui.services.intake.scans import verify_store

    if not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL on this system")
    codes = [row["archive_code"] for row in archive]
    pages = []
    for number in range(90):
        page = scan(config.inbox / f"{codes[number % 3]}-{number + 1}.jpg", colour=(number * 2 % 255, 40, 0))
        pages.append(digest(page))
    process = subprocess.Popen([sys.executable, "-m", "archive_tui", "--config", str(config.path), "scans", "ingest"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: len(list_scans(engine)) >= 1, seconds=60, step=0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert len(list_scans(engine)) < 90  # it really was stopped midway
    ingest_once(context_for(engine, config))
    rows = list_scans(engine, "linked")
    assert len(rows) == 90 and sorted(r["sha256"] for r in rows) == sorted(pages)
    fixity = verify_store(engine, config)
    assert fixity.ok, fixity.as_dict()
    assert not any(config.inbox.glob("*.jpg"))


def test_a_file_with_mixed_page_formats_is_noted(engine, config, archive):
    path = config.inbox / f"{archive[0]['archive_code']}.tif"
    first = Image.new("1", (200, 280), 1)
    first.save(path, save_all=True, append_images=[Image.new("RGB", (200, 280), "white")], dpi=(300, 300))
    os.utime(path, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    [row] = list_scans(engine)
    assert row["status"] == "linked" and "文件内各页格式不一致" in row["reason"]


def test_a_multi_page_tiff_with_a_bomb_on_page_two_is_set_aside_with_a_reason(engine, config, archive):
    """Pillow checks only the first page's size when a file is opened: every page is held to it."""
    path = config.inbox / "炸弹.tif"
    config.inbox.mkdir(exist_ok=True)
    Image.new("1", (100, 100), 1).save(path, save_all=True, append_images=[Image.new("1", (20000, 20000), 1)],
                                       compression="group4", dpi=(300, 300))
    os.utime(path, (time.time() - 60,) * 2)
    report = ingest_once(context_for(engine, config))
    assert report.quarantined == 1
    [entry] = list_scans(engine, "quarantined")
    assert entry["reason"] == "第 2 页像素数 400,000,000 超过上限 120,000,000，疑为解压炸弹，已拒绝"
    assert not path.exists()  # the inbox is not blocked by it


def test_a_name_as_long_as_the_file_system_allows_is_taken_with_its_extension(engine, config, archive):
    config.inbox.mkdir(exist_ok=True)
    path = config.inbox / ("长" * 81 + ".jpg")  # 247 bytes: no room for a ~2 suffix
    Image.new("RGB", (60, 80), "white").save(path, dpi=(300, 300))
    os.utime(path, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    [entry] = list_scans(engine, "unassigned")
    stored = config.root / entry["path"]
    assert stored.is_file() and stored.suffix == ".jpg" and len(stored.name.encode("utf-8")) <= 240
    assert not path.exists()


def test_while_another_intake_has_the_inbox_nothing_is_taken_twice(engine, config, archive):
    """Two intakes at once (the app's watcher and a `scans ingest`) filed one page twice under one store
    name: the second one waits its turn, or, in the app, says so and leaves the inbox alone."""
    import threading

    from archive_tui.services.intake.scans import inbox_turn
    page = scan(config.inbox / f"{archive[0]['archive_code']}-1.jpg")
    with inbox_turn(config.inbox, wait=True) as ours:
        assert ours
        report = ingest_once(context_for(engine, config), wait=False)
        assert report.busy and "另一个收取" in report.notes[-1]
        assert page.is_file() and not list_scans(engine, "linked")
    released, results = threading.Event(), []

    def hold_for_a_moment():
        with inbox_turn(config.inbox, wait=True):
            released.wait(5)

    holder = threading.Thread(target=hold_for_a_moment)
    holder.start()
    time.sleep(0.2)
    waiter = threading.Thread(target=lambda: results.append(ingest_once(context_for(engine, config))))
    waiter.start()
    time.sleep(0.3)
    assert not results  # waiting for its turn
    released.set()
    waiter.join(30)
    holder.join(30)
    assert results[0].linked == 1 and not page.exists() and len(list_scans(engine, "linked")) == 1


@pytest.mark.sqlite_only  # file names on disk: the same on both databases
def test_a_windows_file_name_in_gbk_bytes_is_read_and_filed(engine, config, archive):
    """A scan copied from a Windows share or unzipped as it was keeps its name's GBK bytes: it is
    read as GB18030 and filed by it, and a name that cannot be read at all is still taken."""
    code = archive[0]["archive_code"]
    inbox = os.fsencode(config.inbox)
    for name in (f"{code}-0001.jpg".encode("gb18030"), "扫描件 东里村.jpg".encode("gb18030"), b"\xff\xfe\xfd.jpg"):
        path = os.path.join(inbox, name)
        Image.new("RGB", (200, 280), (len(name) * 3, 90, 160)).save(path, format="JPEG", dpi=(300, 300))
        os.utime(path, (time.time() - 60,) * 2)
    report = ingest_once(context_for(engine, config))
    assert (report.linked, report.unassigned) == (1, 2)
    names = {row["path"].rsplit("/", 1)[-1]: row["status"] for row in list_scans(engine)}
    assert names[f"{code}-0001.jpg"] == "linked" and names["扫描件 东里村.jpg"] == "unassigned"
    assert not os.listdir(inbox) or set(os.listdir(inbox)) <= {b"_sheets"}
