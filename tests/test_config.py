"""config.toml: the default loads, bad keys and values are named, the search order holds."""

from pathlib import Path

import pytest

from archive_tui.core.config import default_config_text, find_config, load_config, parse_settings
from archive_tui.core.errors import ArchiveError

DEFAULT = default_config_text()


def test_repository_config_is_the_shipped_default():
    repo_config = Path(__file__).resolve().parent.parent / "config.toml"
    assert repo_config.read_text(encoding="utf-8") == DEFAULT


def test_default_config_has_the_domain_defaults(config):
    settings = config.settings
    assert [d.name for d in settings.documents][:2] == ["登记申请书、户主声明书、委托书", "身份证明材料"]
    assert len(settings.documents) == 10
    assert settings.scan.min_dpi == 200
    assert str(settings.contract.term_start) == "1998-07-01" and str(settings.contract.term_end) == "2028-06-30"
    assert config.database_url.endswith("/archive.db") and config.database_url.startswith("sqlite:///")
    assert config.inbox == config.root / "scans" and config.store == config.root / "store"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("min_dpi = 200", "min_dpi = 200\nmax_dpi = 600", "scan.max_dpi 是未知的键"),
        ("min_dpi = 200", 'min_dpi = "高"', "scan.min_dpi 应为整数"),
        ('code = "130123101"', 'code = "13012310"', "township.code 格式不对"),
        ('code = "130123101"', 'code = "140123101"', "township.code “140123101”应以 county.code"),
        ('retention = "永久"              #', 'retention = "永远"  #', "archive.retention 取值不在允许范围内"),
        ("year = 2018", 'year = "2018"', "archive.year 应为整数"),
        ("term_end = 2028-06-30", "term_end = 1990-06-30", "contract.term_end 必须晚于"),
        ("{volume:05d}", "{volum:05d}", "archive.archive_code_template 中的字段 {volum} 不存在"),
        ('[township]', '[township]\nmayor = "x"', "township.mayor 是未知的键"),
        ('code = "04"', 'code = "03"', "文件类型代码重复：03"),
        ("required = true", 'required = "是"', "documents.0.required 应为 true 或 false"),
        # widths that would make a 100-million-character 档号 or take the memory: refused on load
        ("{piece:04d}", "{piece:099999999d}", "items.code_template 中字段 {piece:099999999d} 的宽度过大（最多 64 位）"),
        ("{box:03d}", "{box:0999999999d}", "copies.box_template 中字段 {box:0999999999d} 的宽度过大"),
        ("{volume:05d}", "{volume:>65}", "archive.archive_code_template 中字段 {volume:>65} 的宽度过大"),
        ("{volume:05d}", "{volume:.99999999}", "的宽度过大"),
        ("{volume:05d}", "{volume:{year}}", "archive.archive_code_template 中字段 {volume} 的格式不能再含大括号"),
        ("{volume:05d}", "{volume:064d}", "archive.archive_code_template 写出的编号"),
        ("{volume:05d}", "{volume:05d", "archive.archive_code_template 的写法有误：大括号没有成对"),
        ("{volume:05d}", "{volume:05x}{}", "archive.archive_code_template 的写法有误：字段必须有名字"),
        ("{volume:05d}", "{year.real}", "中的字段 {year.real} 不能含有“.”或“[”"),
        ("{volume:05d}", "{fonds:05d}", "archive.archive_code_template 的写法有误：格式与字段的值不符"),
    ],
)
def test_bad_values_name_the_key(old, new, message):
    assert old in DEFAULT
    with pytest.raises(ArchiveError) as error:
        parse_settings(DEFAULT.replace(old, new, 1), "config.toml")
    assert message in str(error.value)


def test_broken_toml_is_reported_with_the_file():
    with pytest.raises(ArchiveError, match="不是合法的 TOML"):
        parse_settings("[township\nname=", "坏的.toml")


def test_missing_config_file_says_to_run_init(tmp_path):
    with pytest.raises(ArchiveError, match="archive-tui init"):
        load_config(tmp_path / "config.toml")


def test_search_order_explicit_then_cwd_then_user_folder(tmp_path, monkeypatch):
    user = tmp_path / "user" / "config.toml"
    user.parent.mkdir()
    user.write_text(DEFAULT, encoding="utf-8")
    monkeypatch.setattr("archive_tui.core.config.user_config_path", lambda: user)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert find_config(None) == user
    (work / "config.toml").write_text(DEFAULT, encoding="utf-8")
    assert find_config(None) == work / "config.toml"
    explicit = tmp_path / "other.toml"
    assert find_config(explicit) == explicit


def test_operator_flag_beats_environment_beats_config(archive_dir, monkeypatch):
    path = archive_dir / "config.toml"
    assert load_config(path).operator == "档案员"
    monkeypatch.setenv("ARCHIVE_TUI_OPERATOR", "李四")
    assert load_config(path).operator == "李四"
    assert load_config(path, "王五").operator == "王五"
