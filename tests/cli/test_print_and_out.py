"""--out writes the format its suffix names (or refuses before any work); --print sends the made
form to [print] printer with lp; messages say 已生成 unless the form went to the printer."""

import csv
import json
import stat
import zipfile
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from archive_tui.core.config import load_config
from archive_tui.db import make_engine
from tests.conftest import table_counts

PRINTER = "办公室 HP"


def fake_lp(folder: Path, *, fail: str = "") -> Path:
    """A stand-in for CUPS lp on PATH: records its arguments (one per line) to lp-calls.txt,
    or prints ``fail`` on stderr and exits 1."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "lp-calls.txt"
    script = folder / "lp"
    if fail:
        body = f'echo "{fail}" >&2\nexit 1\n'
    else:
        body = f'for arg in "$@"; do printf "%s\\n" "$arg" >> "{log}"; done\necho "---" >> "{log}"\n'
    script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


def set_printer(archive_dir: Path, name: str) -> None:
    path = archive_dir / "config.toml"
    text = path.read_text(encoding="utf-8")
    assert '\nprinter = ""' in text  # the default config documents the key, empty
    path.write_text(text.replace('\nprinter = ""', f'\nprinter = "{name}"', 1), encoding="utf-8")


@pytest.fixture
def township(cli, archive_dir):
    assert cli("demo", "--households", "8", "--seed", "3", cwd=archive_dir).code == 0
    return json.loads(cli("households", "--json", cwd=archive_dir).out)[0]["village"]


@pytest.fixture
def lp_path(tmp_path, monkeypatch):
    """PATH with only the fake lp's folder (the CLI runs in-process: PATH only decides what
    shutil.which finds and what subprocess runs)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_print_sends_the_made_pdf_to_the_configured_printer_with_lp(cli, archive_dir, township, lp_path, tmp_path):
    log = fake_lp(lp_path)
    set_printer(archive_dir, PRINTER)
    made = cli("print", "covers", "--village", township, "--out", tmp_path / "封面.pdf", "--print", cwd=archive_dir)
    assert made.code == 0, made.err
    assert log.read_text(encoding="utf-8").splitlines() == ["-d", PRINTER, str(tmp_path / "封面.pdf"), "---"]
    assert f"已发送到打印机 {PRINTER}：封面.pdf" in made.out and "已打印" not in made.out
    report = cli("report", "monthly", "--out", tmp_path / "月报.pdf", "--print", cwd=archive_dir)
    assert report.code == 0, report.err
    assert str(tmp_path / "月报.pdf") in log.read_text(encoding="utf-8")
    assert f"已发送到打印机 {PRINTER}：月报.pdf" in report.out
    rate = cli("certs", "report", "--json", "--out", tmp_path / "发证率.pdf", "--print", cwd=archive_dir)
    assert rate.code == 0, rate.err
    json.loads(rate.out)  # stdout stays one JSON document; the printer's message is on stderr
    assert "已发送到打印机" in rate.err
    plain = cli("print", "notes", "--village", township, "--out", tmp_path / "备考表.pdf", cwd=archive_dir)
    assert plain.code == 0 and "已生成" in plain.out and "已发送到打印机" not in plain.out
    assert log.read_text(encoding="utf-8").count("---") == 3  # without --print nothing is sent


def test_print_without_a_printer_is_refused_before_any_work(cli, archive_dir, township, lp_path, tmp_path):
    log = fake_lp(lp_path)
    before = table_counts(make_engine(load_config(archive_dir / "config.toml").database_url))
    refused = cli("print", "covers", "--out", tmp_path / "封面.pdf", "--print", cwd=archive_dir)
    assert refused.code == 1 and "没有设定打印机" in refused.err and "[print]" in refused.err
    assert not (tmp_path / "封面.pdf").exists() and not log.exists()
    sample = cli("scans", "sample", "--out", tmp_path / "抽检.pdf", "--print", cwd=archive_dir)
    assert sample.code == 1 and "没有设定打印机" in sample.err
    assert table_counts(make_engine(load_config(archive_dir / "config.toml").database_url)) == before
    made = cli("print", "covers", "--out", tmp_path / "封面.pdf", cwd=archive_dir)
    assert made.code == 0 and f"已生成 {tmp_path / '封面.pdf'}" in made.out and "已打印" not in made.out


def test_lp_missing_or_failing_is_told_in_chinese_with_its_error(cli, archive_dir, township, lp_path, tmp_path):
    set_printer(archive_dir, PRINTER)
    missing = cli("print", "covers", "--out", tmp_path / "a.pdf", "--print", cwd=archive_dir)
    assert missing.code == 1 and "找不到打印命令 lp" in missing.err and not (tmp_path / "a.pdf").exists()
    fake_lp(lp_path, fail="lp: The printer or class does not exist.")
    failed = cli("print", "covers", "--out", tmp_path / "b.pdf", "--print", cwd=archive_dir)
    assert failed.code == 1
    assert f"发送到打印机 {PRINTER} 失败：lp: The printer or class does not exist." in failed.err
    assert "b.pdf 已生成，未打印" in failed.err and (tmp_path / "b.pdf").is_file()
    fake_lp(lp_path)
    xlsx = cli("certs", "report", "--out", tmp_path / "c.xlsx", "--print", cwd=archive_dir)
    assert xlsx.code == 1 and "只能打印 PDF" in xlsx.err and not (tmp_path / "c.xlsx").exists()


def test_the_app_says_made_and_sends_when_a_printer_is_set(archive_dir, township, lp_path, tmp_path):
    from archive_tui.services.admin.printer import make_known

    form = tmp_path / "表.pdf"
    form.write_bytes(b"%PDF-1.4\n")
    config = load_config(archive_dir / "config.toml")
    assert make_known(config, form) == (f"已生成 {form}", True)
    log = fake_lp(lp_path)
    set_printer(archive_dir, PRINTER)
    config = load_config(archive_dir / "config.toml")
    message, sent = make_known(config, form)
    assert sent and message == f"已生成 {form}；已发送到打印机 {PRINTER}：表.pdf"
    assert log.read_text(encoding="utf-8").splitlines()[:3] == ["-d", PRINTER, str(form)]
    fake_lp(lp_path, fail="lp: 打印机脱机")
    message, sent = make_known(config, form)
    assert not sent and message.startswith(f"已生成 {form}；未能发送到打印机") and "lp: 打印机脱机" in message


def test_no_command_says_printed_for_a_file_it_only_wrote():
    root = Path(__file__).resolve().parents[2] / "archive_tui"
    for folder in ("cli", "tui"):
        for path in (root / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if "已打印" in line:  # only the certificate status 已打印 (printed) may use the word
                    assert '"printed": "已打印"' in line, f"{path.name}:{number}: {line.strip()}"


WRONG_SUFFIXES = [
    (("print", "covers"), "x.xlsx", ".pdf"),
    (("print", "contents"), "x.xlsx", ".pdf"),
    (("print", "notes"), "x.docx", ".pdf"),
    (("print", "shelf-list"), "x.csv", ".pdf 或 .xlsx"),
    (("print", "box-labels"), "x.xlsx", ".pdf"),
    (("certs", "report"), "x.csv", ".pdf 或 .xlsx"),
    (("certs", "roster", "--village", "{village}"), "x.csv", ".pdf 或 .xlsx"),
    (("certs", "destroy-batch", "print", "X-1"), "x.txt", ".pdf 或 .xlsx"),
    (("items", "print"), "x.csv", ".pdf 或 .xlsx"),
    (("use", "list"), "x.csv", ".pdf 或 .xlsx"),
    (("report", "monthly"), "x.csv", ".pdf 或 .xlsx"),
    (("scans", "sample"), "x.csv", ".pdf 或 .xlsx"),
    (("transfers", "manifest", "B"), "x.json", ".pdf、.xlsx 或 .csv"),
    (("transfers", "check", "B"), "x.csv", ".pdf、.xlsx 或 .json"),
    (("transfers", "check-report", "B"), "x.csv", ".pdf、.xlsx 或 .json"),
    (("check", "--xlsx"), "x.pdf", ".xlsx"),
    (("import", "{source}", "--report"), "x.pdf", ".csv 或 .xlsx"),
]


def test_a_wrong_suffix_is_refused_before_any_work(cli, archive_dir, township, tmp_path):
    engine = make_engine(load_config(archive_dir / "config.toml").database_url)
    before = table_counts(engine)
    for words, name, allowed in WRONG_SUFFIXES:
        args = [word.format(village=township, source=tmp_path) for word in words]
        target = tmp_path / name
        if args[-1] not in ("--xlsx", "--report"):
            args.append("--out")
        result = cli(*args, target, cwd=archive_dir)
        assert result.code == 1, (args, result.out, result.err)
        assert f"输出文件 {name} 应以 {allowed} 结尾" in result.err, (args, result.err)
        assert not target.exists(), args
    assert table_counts(engine) == before


def _format_of(path: Path) -> str:
    """What the file really is: PDF, XLSX or CSV (read back, not guessed from the name)."""
    head = path.read_bytes()[:5]
    if head.startswith(b"%PDF-"):
        assert len(PdfReader(path).pages) >= 1
        return ".pdf"
    if zipfile.is_zipfile(path):
        assert openpyxl.load_workbook(path, read_only=True).sheetnames
        return ".xlsx"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) > 1 and len(rows[0]) > 2
    return ".csv"


def test_each_command_writes_the_format_its_suffix_names(cli, archive_dir, township, tmp_path):
    assert cli("copies", "box", "--village", township, "--capacity", "4", "--level", "township",
               cwd=archive_dir).code == 0
    batch = cli("transfers", "new", "--to", "正定县档案馆", cwd=archive_dir).out.strip()
    assert cli("transfers", "add", batch, "--village", township, "--override", "测试", cwd=archive_dir).code == 0
    made = []
    for words, suffixes in [
        (("print", "covers", "--village", township), (".pdf",)),
        (("print", "contents", "--village", township), (".pdf",)),
        (("print", "notes", "--village", township), (".pdf",)),
        (("print", "shelf-list", "--village", township), (".pdf", ".xlsx")),
        (("print", "box-labels", "--village", township), (".pdf",)),
        (("certs", "report"), (".pdf", ".XLSX")),
        (("certs", "report", "--by-group"), (".pdf",)),
        (("certs", "roster", "--village", township), (".pdf", ".xlsx")),
        (("report", "monthly"), (".pdf", ".xlsx")),
        (("transfers", "manifest", batch), (".pdf", ".xlsx", ".csv")),
    ]:
        for suffix in suffixes:
            target = tmp_path / f"{'-'.join(words[:2])}-{len(made)}{suffix}"
            result = cli(*words, "--out", target, cwd=archive_dir)
            assert result.code == 0, (words, result.err)
            assert "已生成" in result.out and "已打印" not in result.out, (words, result.out)
            assert _format_of(target) == suffix.lower(), words
            made.append(target)
    checked = cli("check", "--xlsx", tmp_path / "问题.xlsx", cwd=archive_dir)
    assert _format_of(tmp_path / "问题.xlsx") == ".xlsx" and checked.code in (0, 1)
    assert len(made) == 16 and len({p.stat().st_size for p in made}) > 1
