"""One rule for paths made from data: every piece made safe, every path inside its root, and
folders in config.toml kept apart (an inbox of "." once took in the database)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.paths import from_template, safe_extension, safe_part

TEMPLATE = "{village}/{archive_code}/{archive_code}-{seq:04d}{ext}"


@pytest.mark.parametrize(("value", "safe"), [
    ("东里村", "东里村"),
    ("Z001-NJ·2018-Y-00001", "Z001-NJ·2018-Y-00001"),
    ("../../../../tmp/x", "________tmp_x"),
    ("/tmp/x/村", "_tmp_x_村"),
    ("C:\\Windows\\x", "C__Windows_x"),
    ("a\nb\x1b[31mc", "a_b_[31mc"),
    ("..", "_"),
    ("...", "_"),
    ("", "_"),
    ("  .隐藏.  ", "隐藏"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("村" * 100, "村" * 40),  # 120 bytes of UTF-8
])
def test_a_piece_of_a_name_from_data_is_made_safe(value, safe):
    assert safe_part(value) == safe


@pytest.mark.parametrize(("suffix", "safe"), [(".jpg", ".jpg"), (".TIF", ".tif"), ("", ""), (".j/../x", ""),
                                              (".verylongsuffix", ""), ("jpg", "")])
def test_only_a_plain_extension_is_kept(suffix, safe):
    assert safe_extension(suffix) == safe


@pytest.mark.parametrize(("village", "code"), [
    ("../../../../tmp/x", "Z001-NJ·2018-Y-00001"),
    ("/tmp/x/村", "Z001-NJ·2018-Y-00001"),
    ("东里村", "../../escape"),
    ("东里村", "/etc/passwd"),
])
def test_a_store_path_from_hostile_values_stays_in_the_store(tmp_path, village, code):
    store = tmp_path / "store"
    path = from_template(store, TEMPLATE, {"village": village, "archive_code": code, "seq": 1, "ext": ".jpg"},
                         "scan.store_template")
    assert path.resolve().is_relative_to(store.resolve()) and len(path.relative_to(store).parts) == 3


def test_a_file_name_too_long_for_the_file_system_is_refused(tmp_path):
    with pytest.raises(ArchiveError, match="过长"):
        from_template(tmp_path, "{village}{archive_code}{cbfbm}", {"village": "村" * 40, "archive_code": "档" * 40,
                                                                   "cbfbm": "码" * 40}, "scan.store_template")


def configured(archive_dir: Path, old: str, new: str) -> Path:
    path = archive_dir / "config.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ('inbox = "scans"', 'inbox = "."', "paths.inbox（“.”）与 paths.store（“store”）重叠"),
    ('store = "store"', 'store = "scans/store"', "paths.inbox（“scans”）与 paths.store（“scans/store”）重叠"),
    ('exports = "exports"', 'exports = "store"', "paths.store（“store”）与 paths.exports（“store”）重叠"),
    ('folder = "backups"', 'folder = "store/backups"', "paths.store（“store”）与 backup.folder（“store/backups”）重叠"),
    ('inbox = "scans"', 'inbox = "scans/.."', "paths.inbox（“scans/..”）与 paths.store（“store”）重叠"),
])
def test_folders_that_overlap_are_refused_naming_the_keys(archive_dir, old, new, message):
    with pytest.raises(ArchiveError, match=re.escape(message)):
        load_config(configured(archive_dir, old, new))


@pytest.mark.parametrize("template", ["../../../{archive_code}{ext}", "/tmp/{archive_code}{ext}",
                                      "{village}/../../{archive_code}{ext}"])
def test_a_store_template_leading_outside_is_refused_at_load(archive_dir, template):
    path = configured(archive_dir, 'store_template = "{village}/{archive_code}/{archive_code}-{seq:04d}{ext}"',
                      f'store_template = "{template}"')
    with pytest.raises(ArchiveError, match="scan.store_template 应是存储库之内的相对路径"):
        load_config(path)


def test_a_code_template_with_path_parts_is_refused(archive_dir):
    path = configured(archive_dir, 'archive_code_template = "{fonds}-{category}·{year}-{retention}-{volume:05d}"',
                      'archive_code_template = "../../../{volume}"')
    with pytest.raises(ArchiveError, match="archive.archive_code_template 不能含有"):
        load_config(path)


def test_pages_of_a_village_named_like_a_path_are_filed_inside_the_store(engine, config, tmp_path):
    """An imported village-level issuer named “<somewhere>/村”: its pages go to the store."""
    from PIL import Image

    from archive_tui.services.households.households import list_households
    from archive_tui.services.exchange.importing import run_import
    from archive_tui.services.intake.scans import ingest_once, list_scans
    from tests.conftest import write_tables_csv

    outside = tmp_path / "outside"

    def hostile(tables):
        columns, rows = tables["FBF"]
        rows[0][columns.index("FBFMC")] = f"{outside}/村"

    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "csv", households=2, edit=hostile))
    household = list_households(engine, limit=1)[0]
    config.inbox.mkdir(exist_ok=True)
    page_file = config.inbox / f"{household['archive_code']}-1.jpg"
    Image.new("RGB", (200, 280), "white").save(page_file, dpi=(300, 300))
    os.utime(page_file, (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    [page] = list_scans(engine, "linked")
    assert (config.root / page["path"]).resolve().is_relative_to(config.store.resolve())
    assert not outside.exists()
