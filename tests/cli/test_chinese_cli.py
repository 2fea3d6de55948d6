"""The command line's own words are Chinese: every --help, and every usage error (exit 2)."""

from __future__ import annotations

import re

import pytest

ENGLISH = re.compile(r"Usage|Options|Commands|Arguments|Show this message|Error:|Try '|\[required\]|<str>|<int>|<path>")


def every_command() -> list[list[str]]:
    """Every command path of the app: [], ["scans"], ["scans", "list"], …"""
    import typer

    from archive_tui.cli import app

    paths = []

    def walk(command, path):
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


@pytest.mark.parametrize("path", every_command(), ids=lambda path: " ".join(path) or "archive-tui")
def test_every_help_is_chinese(cli, archive_dir, path):
    result = cli(*path, "--help", cwd=archive_dir)
    assert result.code == 0 and result.out.startswith("用法：archive-tui")
    assert "显示本帮助并退出。" in result.out
    assert not ENGLISH.search(result.out), ENGLISH.search(result.out)


@pytest.mark.parametrize(("args", "said"), [
    (["foo"], "错误：没有命令“foo”"),
    (["households", "--limit", "abc"], "错误：--limit 的值不对：应为整数"),
    (["households", "--limit", "0"], "错误：--limit 的值不对：应不小于 1"),
    (["households", "--nope"], "错误：没有选项 --nope"),
    (["households", "--lim", "3"], "错误：没有选项 --lim（可用的选项：--limit）"),
    (["scans", "assign", "x"], "错误：缺少选项 --to"),
    (["show"], "错误：缺少参数 key"),
    (["households", "extra"], "错误：多余的参数：extra"),
    (["households", "--limit"], "错误：选项 --limit 后面要写一个值"),
])
def test_usage_errors_are_chinese_and_exit_2(cli, archive_dir, args, said):
    result = cli(*args, cwd=archive_dir)
    assert result.code == 2 and said in result.err
    assert not ENGLISH.search(result.err) and result.out == ""


def test_a_group_without_its_command_shows_its_help(cli, archive_dir):
    result = cli("scans", cwd=archive_dir)
    assert "用法：archive-tui scans" in result.out + result.err and "命令：" in result.out + result.err
