"""The faces printed forms are set in (字体): a chain, used character by character.

The first face is the 宋体-style one forms are set in: the file in ``config.toml`` (``[print]
font``), else the bundled subset of AR PL UMing, so every machine prints the same forms. A
character it has no glyph for — a rare character in a name (生僻字), CJK Extension A or B — is
drawn from the first later face that has it: ``[print] fallback_fonts``, the bundled HanaMinA
subset (Extension A), the bundled HanaMinB subset (the characters of the 通用规范汉字表 outside
the Basic Multilingual Plane, and 𠮷), then the system's extension faces (SimSun-ExtB on
Windows, HanaMinB from Debian's fonts-hanazono). With the bundled faces alone every character
of the 通用规范汉字表 (2013, 8,105 characters) prints. What no face has is printed as □ and
reported by ``missing``. Every face is embedded as a subset, never only named.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.pdfbase import ttfonts

from archive_tui.core.errors import ArchiveError

FONTS = Path(__file__).with_name("fonts")
BUNDLED = FONTS / "uming-subset.ttf"
BUNDLED_FALLBACKS = [FONTS / "hanamin-a-subset.ttf", FONTS / "hanamin-b-subset.ttf"]
NO_GLYPH = "□"

# Faces for the CJK extensions a system may have, per platform, tried after the bundled ones.
_SYSTEM_FALLBACKS = {
    "win32": [Path("C:/Windows/Fonts") / name for name in ("simsunb.ttf", "SimsunExtG.ttf", "simsun.ttc")],
    "linux": [Path("/usr/share/fonts/truetype/hanazono") / name for name in ("HanaMinA.ttf", "HanaMinB.ttf")]
    + [Path("/usr/share/fonts/truetype/arphic/uming.ttc")],
}


@dataclass(frozen=True)
class Face:
    """One registered TrueType face and the characters it has glyphs for."""

    name: str
    path: Path
    characters: frozenset[int]


_WIDE_CODE = re.compile(r"<([0-9A-F]{2})> <([0-9A-F]{5,6})>")
_reportlab_cmap = ttfonts.makeToUnicodeCMap


def _cmap_with_surrogates(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode map as it writes it, with code points above U+FFFF as UTF-16
    surrogate pairs: reportlab writes 𠮷 as <20BB7>, which readers reject, so copying, search
    and text extraction lost every Extension B character."""

    def pair(match: re.Match) -> str:
        code = chr(int(match.group(2), 16)).encode("utf-16-be").hex().upper()
        return f"<{match.group(1)}> <{code}>"

    return _WIDE_CODE.sub(pair, _reportlab_cmap(fontname, subset))


ttfonts.makeToUnicodeCMap = _cmap_with_surrogates


def _register(path: Path) -> Face:
    """Register ``path`` with reportlab (index 0 of a .ttc); TTFError for what it cannot use."""
    from reportlab.pdfbase import pdfmetrics  # loaded late: reportlab, only when printing

    name = "CJK-" + hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:10]
    font = ttfonts.TTFont(name, str(path), subfontIndex=0)
    pdfmetrics.registerFont(font)
    return Face(name, path, frozenset(font.face.charToGlyph))


@dataclass
class PrintFont:
    """The chain: ``name``/``path`` are the first face's; later faces are opened only when a
    character needs them."""

    first: Face
    later: list[Path] = field(default_factory=list)
    _opened: list[Face] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.first.name

    @property
    def path(self) -> Path:
        return self.first.path

    def face_for(self, char: str) -> Face | None:
        code = ord(char)
        if code in self.first.characters or char.isspace():
            return self.first
        for face in self._opened:
            if code in face.characters:
                return face
        while self.later:
            path = self.later.pop(0)
            try:
                face = _register(path)
            except Exception:  # noqa: BLE001 — a broken system font is skipped, not fatal
                continue
            self._opened.append(face)
            if code in face.characters:
                return face
        return None

    def missing(self, text: str) -> list[str]:
        """Characters of ``text`` no face has (printed as □), in order, once each."""
        return list(dict.fromkeys(char for char in text if self.face_for(char) is None))

    def runs(self, text: str) -> list[tuple[str, str]]:
        """``text`` cut into (face name, piece) runs; a character no face has becomes □."""
        runs: list[tuple[str, str]] = []
        for char in text:
            face = self.face_for(char)
            name, char = (face.name, char) if face else (self.first.name, NO_GLYPH)
            if runs and runs[-1][0] == name:
                runs[-1] = (name, runs[-1][1] + char)
            else:
                runs.append((name, char))
        return runs

    def width(self, text: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth  # loaded late: reportlab, only when printing

        return sum(stringWidth(piece, name, size) for name, piece in self.runs(text))


def _system_fallbacks() -> list[Path]:
    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    return [path for path in _SYSTEM_FALLBACKS.get(platform, []) if path.is_file()]


def _usable(path_text: str, key: str) -> Path:
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise ArchiveError(f"config.toml 的 {key} 指定的字体文件 {path_text} 不存在", field=key)
    return path


@functools.lru_cache(maxsize=8)
def load_font(configured: str = "", fallbacks: tuple[str, ...] = (), *, system: bool = True) -> PrintFont:
    """The chain for ``[print] font`` and ``[print] fallback_fonts`` (empty: the bundled faces);
    ``system=False`` leaves the system's faces out (what the package alone prints)."""
    first_path = _usable(configured, "print.font") if configured else BUNDLED
    try:
        first = _register(first_path)
    except (ttfonts.TTFError, OSError) as error:
        raise ArchiveError(f"字体文件 {first_path} 无法使用（须为 TrueType .ttf/.ttc）：{error}",
                           field="print.font") from None
    later = [_usable(path, "print.fallback_fonts") for path in fallbacks]
    return PrintFont(first, later + BUNDLED_FALLBACKS + (_system_fallbacks() if system else []))


def font_of(config) -> PrintFont:
    """The chain ``config.toml`` asks for."""
    settings = config.settings.print
    return load_font(settings.font, tuple(settings.fallback_fonts))
