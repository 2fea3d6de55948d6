"""What every domain's printed forms share: the print font, the result of printing one form
(:class:`PrintResult`) and the warnings for characters printed as □. No database, no domain: a
form of any domain (households, registers, quality, transfers, admin) imports it from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archive_tui.core.config import Config

if TYPE_CHECKING:
    from archive_tui.reports.fonts import PrintFont


def font_of(config: Config) -> "PrintFont":
    """The print font ([print] in config), loaded with reportlab only when something is printed
    (reportlab is a tenth of a second of every start otherwise)."""
    from archive_tui.reports.fonts import font_of as load_font

    return load_font(config)


@dataclass
class PrintResult:
    path: Path
    files: int
    pages: int
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Every character the PDF printed as □ is warned of: by the form's own warnings (which name
        the household), else here, with a text it stood in — no form prints □ unsaid."""
        self.warnings += unprinted_warnings(self.path, "".join(self.warnings))

    def warning_note(self) -> str:
        """The warnings in one line for a screen's message ("" when there are none)."""
        if not self.warnings:
            return ""
        more = f"（另有 {len(self.warnings) - 1} 条，命令行打印时逐条列出）" if len(self.warnings) > 1 else ""
        return f"；注意：{self.warnings[0]}{more}"


def unprinted_warnings(path: Path, named: str = "") -> list[str]:
    """A warning per character the PDF just made at ``path`` printed as □, unless ``named`` (the
    form's own warnings) already names it; [] for any other file."""
    if Path(path).suffix.lower() != ".pdf":
        return []
    from archive_tui.reports.pdf import unprinted_in

    return [f"{Path(path).name}：“{text}”中的“{char}”（U+{ord(char):04X}）所有字体都没有，印为 □；"
            "请在 config.toml 的 [print] fallback_fonts 加入含这个字的字体，或打印后手写"
            for char, text in unprinted_in(Path(path)).items() if f"U+{ord(char):04X}" not in named]


def glyph_warnings(font: PrintFont, label: str, texts: list[str]) -> list[str]:
    """A warning per text whose characters the font cannot print (生僻字), naming them."""
    missing = [char for text in texts for char in font.missing(text)]
    if not missing:
        return []
    unique = "、".join(f"“{char}”（U+{ord(char):04X}）" for char in dict.fromkeys(missing))
    return [f"{label}：所有字体都没有{unique}，印为 □；请在 config.toml 的 [print] fallback_fonts "
            "加入含这些字的字体（如 Windows 的 simsunb.ttf，Debian 的 fonts-hanazono），或打印后手写"]
