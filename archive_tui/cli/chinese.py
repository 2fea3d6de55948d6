"""The command line's own words in Chinese: help headings, the usage line, and usage errors
(用法错误, exit code 2) — our commands' help texts are Chinese already.

Typer writes these words itself (its vendored Click has no translations), so the help
formatter is replaced and a usage error is shown by :func:`usage_error_lines` instead of
Click's English one. Messages we have no wording for are shown as they are.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from typer import _click, core

from archive_tui.core.display import CLOSING

HEADINGS = {"Arguments": "参数", "Options": "选项", "Commands": "命令"}
METAVARS = {"<str>": "<文字>", "<int>": "<整数>", "<float>": "<数字>", "<path>": "<路径>", "<list[str]>": "<…>",
            "<int range>": "<整数>", "<float range>": "<数字>"}
WORDS = {
    "Show this message and exit.": "显示本帮助并退出。", "required": "必填", "default: {default}": "默认：{default}",
    "(dynamic)": "（动态）",
    "env var: {var}": "环境变量：{var}", "Missing command.": "缺少命令。", "Aborted!": "已中断。",
    "No such command {name!r}.": "没有命令“{name}”。",
}
MESSAGES = [  # (English pattern, Chinese) for Click's and pydantic's messages, first match wins
    (r"No such command '(.+)'\.", "没有命令“{0}”（用 --help 查看有哪些命令）"),
    (r"Missing option '(.+)'\.", "缺少选项 {0}"),
    (r"Missing argument '(.+)'\.", "缺少参数 {0}"),
    (r"Missing parameter: (.+)", "缺少参数 {0}"),
    (r"Option '(.+)' requires an argument\.", "选项 {0} 后面要写一个值"),
    (r"Option '(.+)' does not take a value\.", "选项 {0} 不带值"),
    (r"Got unexpected extra argument(?:\(s\)|s)? \((.+)\)", "多余的参数：{0}"),
]
VALUE_PROBLEMS = [
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a valid number.*", "应为数字"),
    (r"Input should be greater than or equal to (\S+)", "应不小于 {0}"),
    (r"Input should be less than or equal to (\S+)", "应不大于 {0}"),
    (r"Input should be greater than (\S+)", "应大于 {0}"),
    (r"'(.*)' is not one of (.+)\.", "“{0}”不是可选的值（{1}）"),
]


def word(text: str) -> str:
    return WORDS.get(text, text)


def _translated(text: str, table: list[tuple[str, str]]) -> str | None:
    for pattern, chinese in table:
        match = re.fullmatch(pattern, text.strip())
        if match:
            return chinese.format(*(group or "" for group in match.groups()))
    return None


def message(text: str) -> str:
    """A usage error's message in Chinese (as it is when we have no wording for it)."""
    text = text.strip()
    unknown = re.fullmatch(r"No such option: (\S+?)(?:\s+Did you mean (\S+?)\?|\s+\(Possible options: (.+)\))?", text)
    if unknown:
        hint = (f"（是不是 {unknown.group(2)}？）" if unknown.group(2)
                else f"（可用的选项：{unknown.group(3)}）" if unknown.group(3) else "")
        return f"没有选项 {unknown.group(1)}{hint}"
    invalid = re.fullmatch(r"Invalid value for '(.+?)': (.+)", text, re.S)
    if invalid:
        return f"{invalid.group(1)} 的值不对：{_translated(invalid.group(2), VALUE_PROBLEMS) or invalid.group(2)}"
    return _translated(text, MESSAGES) or text


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells: breaks between Chinese characters or at
    spaces, an English word or option kept whole."""
    lines, line = [], ""
    for token in re.findall(r"[\x21-\x7e]+|\s|.", " ".join(text.split())):
        if cell_len(line + token) <= width or not line.strip():
            line += token
        else:
            carried = ""
            if token[0] in CLOSING and len(line) > 1:
                line, carried = line[:-1], line[-1]  # 。 and ） never start a line
            lines.append(line.rstrip())
            line = "" if token.isspace() else carried + token
    return [*lines, line.rstrip()] if line.strip() else lines


def _metavars(term: str) -> str:
    """``--limit <int>`` as ``--limit <整数>``."""
    for english, chinese in METAVARS.items():
        term = term.replace(english, chinese)
    return term


class ChineseHelpFormatter(_click.formatting.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english, chinese in (("[OPTIONS]", "[选项]"), ("COMMAND [ARGS]...", "命令 [参数]..."),
                                 ("[ARGS]...", "[参数]...")):
            args = args.replace(english, chinese)
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        """Terms and their help in two columns measured in terminal cells (a Chinese character
        is two), the help wrapped between words or characters, never inside an option name."""
        rows = [(_metavars(term), word(text)) for term, text in rows]
        first = min(max((cell_len(term) for term, _text in rows), default=0), col_max)
        width = max(self.width - first - col_spacing - self.current_indent, 20)
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            lines = _wrap(text, width) if text else []
            if not lines:
                self.write("\n")
                continue
            if cell_len(term) <= first:
                self.write(" " * (first - cell_len(term) + col_spacing))
            else:
                self.write("\n" + " " * (self.current_indent + first + col_spacing))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (self.current_indent + first + col_spacing) + line + "\n")


def install() -> None:
    """Chinese headings, usage line and notes in every help this process prints."""
    _click.core.Context.formatter_class = ChineseHelpFormatter
    core._ = word


def usage_error_lines(error: _click.exceptions.ClickException) -> list[str]:
    """What a usage error shows: the usage line, where help is, and the message, in Chinese."""
    if isinstance(error, _click.exceptions.NoArgsIsHelpError):
        return [error.format_message()]
    lines = []
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        lines.append(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(f"用 {ctx.command_path} --help 查看帮助。")
        lines.append("")
    lines.append(f"错误：{message(error.format_message())}")
    return lines
