"""A bag folder as it lies on disk, before any check reads it: where its catalogue is, what in it
is not a plain file, its tag manifest's digest and the digest printed on the 交接文据. Shared by
the packaging and receiving (``transfer_bags``) and the 四性检测 (``bag_checks``)."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from archive_tui.core.errors import ArchiveError
from archive_tui.scanning.probe import sha256_of

CATALOGUE = Path("catalogue")


def _special_files(path: Path) -> list[str]:
    """Anything in the bag that is not a plain file or folder: a FIFO would hang the reading,
    a link could point anywhere."""
    found = []
    for folder, folders, files in os.walk(path, followlinks=False):
        for name in [*folders, *files]:
            entry = Path(folder) / name
            mode = entry.lstat().st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append(entry.relative_to(path).as_posix())
    return found


def bound_digest(text: str) -> tuple[str, str]:
    """The digest as typed or scanned off the 交接文据's QR code: (algorithm, hex value). ``SM3:…``
    is the national algorithm (GB/T 32905); ``SHA-256:…`` or a bare value is SHA-256."""
    value = text.strip()
    algorithm = "SM3" if value.upper().startswith("SM3:") else "SHA-256"
    value = re.sub(r"^(SM3|SHA-?256):", "", value, flags=re.IGNORECASE).strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ArchiveError(f"摘要“{text.strip()}”应为 64 位十六进制数（SHA-256，或 SM3: 开头的 SM3），"
                           "可扫描交接文据上的二维码", field="digest")
    return algorithm, value


def tag_digest(path: Path, algorithm: str) -> str:
    """The tag manifest's digest by ``algorithm`` (SM3 through OpenSSL, as Python's hashlib has it)."""
    if algorithm == "SHA-256":
        return sha256_of(path)[0]
    try:
        digest = hashlib.new("sm3")
    except ValueError:
        raise ArchiveError("本机 Python 的 OpenSSL 不支持 SM3，请用 SHA-256 摘要核对") from None
    digest.update(path.read_bytes())
    return digest.hexdigest()
