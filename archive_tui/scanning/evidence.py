"""What identifies a page in the text read from it (识别线索): ID numbers with a valid GB 11643
check digit, 承包方编码, 档号, names, and the form's title — tolerant of the usual OCR slips
(full-width digits, O for 0, l or I for 1, spaces inside a number)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher

from models.validators import id_check_char

SLIPS = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "Z": "2", "S": "5", "B": "8",
                       "g": "9", "x": "X", "×": "X"})
LONG_NUMBER = re.compile(r"[0-9OoDlI|ZSBg][0-9OoDlI|ZSBg\s]{15,}[0-9OoDlI|ZSBgXx×]")
NAME_CHARS = re.compile(r"[\u3400-\u9fff·]{2,}")
NAME_LENGTHS = tuple(range(10, 1, -1))  # 2 to 10 characters: minority names with · are long


def normalised(text: str) -> str:
    """Full-width letters and digits as half-width (NFKC), the way codes are compared."""
    return unicodedata.normalize("NFKC", text)


def _digit_runs(text: str) -> Iterator[str]:
    """Runs that may be long numbers, with spaces removed and letter-for-digit slips mended."""
    for match in LONG_NUMBER.finditer(normalised(text)):
        yield re.sub(r"\s", "", match.group()).translate(SLIPS)


def id_numbers(text: str) -> list[str]:
    """18-character resident ID numbers whose check character is right (a misread digit almost
    always breaks it, so a number that passes is strong evidence)."""
    found = []
    for run in _digit_runs(text):
        for start in range(0, len(run) - 17):
            candidate = run[start:start + 18]
            if candidate[:17].isdigit() and candidate[17] == id_check_char(candidate[:17]) and candidate not in found:
                found.append(candidate)
    return found


def household_codes(text: str, township_code: str) -> list[str]:
    """18-digit 承包方编码 of this township (county + township, nine digits) in the text."""
    found = []
    for run in _digit_runs(text):
        for start in range(0, len(run) - 17):
            candidate = run[start:start + 18]
            if candidate.isdigit() and candidate.startswith(township_code) and candidate not in found:
                found.append(candidate)
    return found


def archive_codes(text: str, fonds_code: str) -> list[str]:
    """Tokens that start with the 全宗号 and look like a 档号 (e.g. Z001-NJ·2018-Y-00001)."""
    if not fonds_code:
        return []
    clean = normalised(text).replace("—", "-").replace("－", "-").replace("•", "·").replace("．", "·")
    pattern = re.compile(re.escape(fonds_code) + r"[-‐][\w·.\-‐]{4,40}")
    return [match.group().rstrip("-·.").replace("‐", "-") for match in pattern.finditer(clean)]


def names_in(text: str, known: Iterable[str] | set[str]) -> list[str]:
    """Known names standing in the text, the longest where they overlap."""
    known = known if isinstance(known, set) else set(known)
    found: list[str] = []
    for run in NAME_CHARS.findall(normalised(text)):
        index = 0
        while index < len(run) - 1:
            for length in NAME_LENGTHS:
                piece = run[index:index + length]
                if len(piece) == length and piece in known:
                    if piece not in found:
                        found.append(piece)
                    index += length - 1
                    break
            index += 1
    return found


def title_match(lines: list[str], titles: list[tuple[str, str]], least: float = 0.6) -> tuple[str, float] | None:
    """The configured document (code, name) whose name the page's first lines read as, with how
    well: a title contained whole scores 1; otherwise the best similarity of a line to a name (or
    to one of its parts, for names like 登记申请书、户主声明书、委托书, or to the name without what
    its brackets add, for 延包承包合同（再延长三十年）)."""
    best: tuple[str, float] | None = None
    for line in lines:
        line = re.sub(r"\s", "", normalised(line))
        if len(line) < 2:
            continue
        for code, name in titles:
            name = re.sub(r"\s", "", normalised(name))  # as the line: （） read as ()
            bare = re.sub(r"\([^)]*\)", "", name)
            parts = [name, *re.split(r"[、，,/]", name)]
            parts += [bare, *re.split(r"[、，,/]", bare)] if bare != name else []
            for part in parts:
                if len(part) < 2:
                    continue
                score = 1.0 if part in line else SequenceMatcher(None, part, line[:len(part) + 4]).ratio()
                if best is None or score > best[1]:
                    best = (code, round(score, 3))
    return best if best and best[1] >= least else None


NAME_LABELS = "承包方代表|承包方|户主|代表人|代表|家庭成员|成员|领证人|委托人|受托人|见证人|签字人|签名|姓名"
LABELLED_NAME = re.compile(rf"(?:{NAME_LABELS})(?:姓名)?[：:][ \t]*"
                           r"([\u3400-\u9fff·]{2,4}(?:[、，,][ \t]*[\u3400-\u9fff·]{2,4})*)")
NOT_NAMES = {"姓名", "身份", "证号", "编码", "地址", "电话", "代表", "签字", "日期", "成员"}


def search_terms(text: str) -> set[str]:
    """What a search should find on a page: the names written after a label (姓名、户主、承包方 …,
    several after 家庭成员 separated by 、) and every number of six or more digits."""
    text = normalised(text)
    terms = {number.upper() for number in re.findall(r"\d{5,}[\dXx]", text)}
    for match in LABELLED_NAME.finditer(text):
        for name in re.split(r"[、，,][ \t]*", match.group(1)):
            if 2 <= len(name) <= 4 and name not in NOT_NAMES:
                terms.add(name)
    return terms
