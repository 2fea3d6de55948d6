"""`scans ingest` / `scans watch` on hostile inboxes (issue 31, part 1): what the archivist reads,
the exit code, an unchanged database, and no file outside the archive folder changed."""

from __future__ import annotations

import json
import sqlite3

from archive_tui.core.config import load_config
from archive_tui.db import open_database
from tests.conftest import table_counts
from tests.services.test_inbox_scope import jpeg, office_document, plain, snapshot

MESSAGES = ("Traceback", "sqlalche.me", "[SQL:", "IntegrityError", "数据库未作改动")


def _demo(cli, archive_dir) -> str:
    cli("demo", "--households", "5", cwd=archive_dir)
    return json.loads(cli("households", "--json", "--limit", "1", cwd=archive_dir).out)[0]["archive_code"]


def _inbox(archive_dir, folder, limit: int | None = None) -> None:
    path = archive_dir / "config.toml"
    text = path.read_text(encoding="utf-8").replace('inbox = "scans"', f"inbox = '{folder}'")
    if limit is not None:
        text = text.replace("inbox_max_other_files = 50", f"inbox_max_other_files = {limit}")
    path.write_text(text, encoding="utf-8")


def _counts(archive_dir) -> dict[str, int]:
    engine = open_database(load_config(archive_dir / "config.toml").database_url)
    try:
        return table_counts(engine)
    finally:
        engine.dispose()


def test_scans_ingest_lists_what_is_not_a_scan_and_leaves_it(cli, archive_dir, tmp_path):
    code = _demo(cli, archive_dir)
    documents = tmp_path / "我的文档"
    plain(documents / "notes.txt", "明天开会\n")
    office_document(documents / "报告.docx")
    plain(documents / "子文件夹" / "my.cnf", "[client]\npassword=secret\n")
    jpeg(documents / f"{code}-1.jpg")
    _inbox(archive_dir, documents)
    before = snapshot(tmp_path, skip=(archive_dir,))
    result = cli("scans", "ingest", cwd=archive_dir)
    assert result.code == 0 and "已挂接归档 1 个" in result.out
    assert "收件箱中有 3 个不是扫描件的文件，未处理：notes.txt、报告.docx、子文件夹/my.cnf" in result.out
    after = snapshot(tmp_path, skip=(archive_dir,))
    changed = {"我的文档", f"我的文档/{code}-1.jpg"}
    assert {k: v for k, v in before.items() if k not in changed} == {
        k: v for k, v in after.items() if k not in changed and not k.startswith("我的文档/_sheets")}


def test_scans_ingest_refuses_the_users_home(cli, archive_dir, tmp_path, monkeypatch):
    _demo(cli, archive_dir)
    home = tmp_path / "home" / "李四"
    plain(home / "简历.docx", "x")
    jpeg(home / "IMG_0001.jpg")
    monkeypatch.setenv("HOME", str(home))
    _inbox(archive_dir, home)
    counts, before = _counts(archive_dir), snapshot(tmp_path, skip=(archive_dir,))
    result = cli("scans", "ingest", cwd=archive_dir)
    assert result.code == 1 and f"扫描收件箱 {home} 是用户主文件夹" in result.err and "未作任何处理" in result.err
    assert _counts(archive_dir) == counts and snapshot(tmp_path, skip=(archive_dir,)) == before
    assert not any(text in result.err + result.out for text in MESSAGES)


def test_scans_ingest_refuses_an_inbox_crowded_with_other_files(cli, archive_dir, tmp_path):
    code = _demo(cli, archive_dir)
    shared = tmp_path / "共享盘"
    for number in range(6):
        plain(shared / f"合同{number}.doc", "x" * number)
    jpeg(shared / f"{code}-1.jpg")
    _inbox(archive_dir, shared, limit=5)
    counts, before = _counts(archive_dir), snapshot(tmp_path, skip=(archive_dir,))
    result = cli("scans", "ingest", cwd=archive_dir)
    assert result.code == 1
    assert f"扫描收件箱 {shared} 中不是扫描件的文件超过 5 个（config.toml 的 scan.inbox_max_other_files）" in result.err
    assert _counts(archive_dir) == counts and snapshot(tmp_path, skip=(archive_dir,)) == before


def test_scans_watch_refuses_a_system_folder_at_start(cli, archive_dir, tmp_path):
    _demo(cli, archive_dir)
    _inbox(archive_dir, "/etc")
    counts, before = _counts(archive_dir), snapshot(tmp_path, skip=(archive_dir,))
    result = cli("scans", "watch", cwd=archive_dir)
    assert result.code == 1 and "扫描收件箱 /etc 是系统文件夹，不能作为收件箱，未作任何处理" in result.err
    assert _counts(archive_dir) == counts and snapshot(tmp_path, skip=(archive_dir,)) == before


def test_scans_ingest_that_fails_part_way_says_what_it_filed(cli, archive_dir):
    """The database refuses page 3's row (a real trigger, as a unique index would): the first two
    pages were committed and the archivist is told so, file by file, exit 1, no raw database error."""
    code = _demo(cli, archive_dir)
    inbox = archive_dir / "scans"
    for page in (1, 2, 3):
        jpeg(inbox / f"{code}-{page}.jpg", colour=(page * 50, 80, 80))
    with sqlite3.connect(archive_dir / "archive.db") as connection:
        connection.execute("CREATE TRIGGER refuse_three BEFORE INSERT ON scan_page WHEN NEW.seq = 3 "
                           "BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: scan_page.store_path'); END")
    connection.close()
    result = cli("scans", "ingest", cwd=archive_dir)
    assert result.code == 1
    assert "收件中途出错，已停止：数据库拒绝了一页的记录（与已有的记录重复或冲突）" in result.err
    assert f"出错时正在处理：{code}-3.jpg（留在收件箱中，未记入数据库）" in result.err
    assert "出错前本次已归档并写入数据库 2 个文件（这些改动已保存）" in result.err
    assert f"{code}-1.jpg → store/" in result.err and f"{code}-2.jpg → store/" in result.err
    assert not any(text in result.err + result.out for text in MESSAGES)
    rows = json.loads(cli("scans", "list", "--json", cwd=archive_dir).out)
    assert sorted(row["seq"] for row in rows) == [1, 2]
