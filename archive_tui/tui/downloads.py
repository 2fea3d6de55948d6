"""What a file offered to the browser is sent as (下载): its type, and a folder packed as .zip."""

from __future__ import annotations

import mimetypes
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

TYPES = {".pdf": "application/pdf", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".csv": "text/csv", ".zip": "application/zip", ".json": "application/json"}


def mime_type(path: Path) -> str:
    return TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def zipped(folder: Path) -> BinaryIO:
    """The folder as a .zip in a temporary file, rewound; it disappears when closed. Entries keep
    their UTF-8 names under the folder's own name; scans are stored, not compressed again."""
    packed = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, Path(folder.name, path.relative_to(folder)).as_posix())
    packed.seek(0)
    return packed
