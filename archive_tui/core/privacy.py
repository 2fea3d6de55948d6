"""Privacy (个人信息保护): what holds personal data is readable by its owner only.

The database, backups and exports hold names and ID numbers. On POSIX systems they are
created with mode 0600 (folders 0700); on Windows the user's profile folder already keeps
other users out, and chmod cannot express more, so nothing is changed there.
"""

from __future__ import annotations

import os
from pathlib import Path

from models.validators import masked_id as mask_id  # the one masking of ID numbers (models cannot import us)

__all__ = ["POSIX", "mask_id", "mask_phone", "private_dir", "private_file"]

POSIX = os.name == "posix"


def mask_phone(number: str | None) -> str:
    """A phone number with only its first 3 and last 4 digits shown."""
    if not number or len(number) <= 7:
        return "*" * len(number or "")
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def private_file(path: Path) -> Path:
    if POSIX and path.exists():
        os.chmod(path, 0o600)
    return path


def write_private_text(path: Path, text: str) -> Path:
    """``text`` (UTF-8) in ``path``, readable by its owner only from the moment it exists."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(handle, "wb") as file:
        file.write(text.encode("utf-8"))
    return private_file(path)  # it may have been there before, with looser permissions


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if POSIX:
        os.chmod(path, 0o700)
    return path
