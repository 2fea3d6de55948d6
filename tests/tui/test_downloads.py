"""What the browser receives when the app offers a file: the right type, and a bag or share
folder packed as one .zip that unpacks to the same files under their Chinese names."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from archive_tui.tui.downloads import mime_type, zipped


@pytest.mark.parametrize("name, expected", [
    ("移交清单-2026-001.pdf", "application/pdf"),
    ("质检问题清单.XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("资料清单.csv", "text/csv"),
    ("无扩展名", "application/octet-stream"),
])
def test_files_go_with_their_type(name, expected):
    assert mime_type(Path(name)) == expected


def test_a_folder_becomes_a_zip_with_the_same_files_and_names(tmp_path):
    bag = tmp_path / "城关镇-2026-001"
    (bag / "data" / "东里村 第一组").mkdir(parents=True)
    files = {
        "bagit.txt": b"BagIt-Version: 1.0\n",
        "data/东里村 第一组/Z001-NJ·2018-Y-00001-001.tif": os.urandom(300_000),
        "manifest-sha256.txt": b"abc  data/x\n",
    }
    for name, content in files.items():
        (bag / name).write_bytes(content)
    outside = tmp_path / "secret.txt"
    outside.write_text("not in the bag")
    try:
        (bag / "data" / "link.txt").symlink_to(outside)
    except OSError:
        pass  # no symlinks here (Windows without the right): nothing to leave out
    packed = zipped(bag)
    with zipfile.ZipFile(packed) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"城关镇-2026-001/{name}" for name in files)
        for name, content in files.items():
            read = archive.read(f"城关镇-2026-001/{name}")
            assert hashlib.sha256(read).digest() == hashlib.sha256(content).digest()
    packed.close()
