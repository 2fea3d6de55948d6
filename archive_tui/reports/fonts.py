"""The Chinese font printed forms embed (字体).

Order: the path in ``config.toml`` (``[print] font``), the system's Chinese fonts, then the
subset of WenQuanYi Micro Hei shipped with the package — so a fresh machine prints correctly.
The font is always embedded (a subset), never only named: viewers without Adobe's Asian
font pack show empty boxes for a named-only CID font.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path

from archive_tui.errors import ArchiveError

BUNDLED = Path(__file__).with_name("fonts") / "wqy-microhei-subset.ttf"
FONT_NAME = "ArchiveCJK"

# (file name, subfont index in a .ttc) per platform, in order of preference.
_SYSTEM_FONTS = {
    "win32": [(Path("C:/Windows/Fonts") / name, 0) for name in ("simsun.ttc", "simhei.ttf", "msyh.ttc")],
    "darwin": [(Path("/System/Library/Fonts/PingFang.ttc"), 0), (Path("/Library/Fonts/Arial Unicode.ttf"), 0)],
    "linux": [
        (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
        (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
        (Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0),
        (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), 0),
    ],
}


@dataclass(frozen=True)
class PrintFont:
    """A registered reportlab font and the characters it can draw."""

    name: str
    path: Path
    characters: frozenset[int]

    def missing(self, text: str) -> list[str]:
        """Characters of ``text`` this font has no glyph for (生僻字), in order, once each."""
        seen: list[str] = []
        for char in text:
            if not char.isspace() and ord(char) not in self.characters and char not in seen:
                seen.append(char)
        return seen


def _candidates(configured: str) -> list[tuple[Path, int]]:
    found = []
    if configured:
        found.append((Path(configured).expanduser(), 0))
    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    found.extend(_SYSTEM_FONTS.get(platform, []))
    found.append((BUNDLED, 0))
    return found


@functools.lru_cache(maxsize=4)
def load_font(configured: str = "") -> PrintFont:
    """Register the first usable Chinese TrueType font with reportlab."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont, TTFError

    if configured and not Path(configured).expanduser().is_file():
        raise ArchiveError(f"config.toml 的 print.font 指定的字体文件 {configured} 不存在", field="print.font")
    for path, index in _candidates(configured):
        if not path.is_file():
            continue
        try:
            font = TTFont(FONT_NAME, str(path), subfontIndex=index)
        except TTFError as error:
            if configured and path == Path(configured).expanduser():
                raise ArchiveError(f"字体文件 {path} 无法使用（须为 TrueType .ttf/.ttc）：{error}",
                                   field="print.font") from None
            continue
        pdfmetrics.registerFont(font)
        return PrintFont(FONT_NAME, path, frozenset(font.face.charToGlyph))
    raise ArchiveError("找不到可用的中文字体：请在 config.toml 的 [print] font 中指定一个 .ttf/.ttc 文件")
