"""Broken and hostile sources: each ends in a clear Chinese message naming the table, row and
field, the database unchanged, never a traceback — and bounded work for a huge sheet."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.importing import ImportRejected, run_import
from tests.conftest import table_counts
from tests.fixtures.real_sources import (
    COLUMNS, TOWNSHIP, Formula, control_character_folder, duplicate_column_folder, huge_number_folder, many_rows,
    unterminated_quote_folder, write_excel_export, write_raw_xlsx, xlsx_bomb,
)

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "nyt2539-quanshu-template.mdb"


def rejected(engine, config, source) -> list[str]:
    """The reject lines of an import that must be refused without writing anything."""
    before = table_counts(engine)
    with pytest.raises(ImportRejected) as error:
        run_import(context_for(engine, config), source)
    assert "数据库未作任何改动" in error.value.message
    assert table_counts(engine) == before
    return [reject.line() for reject in error.value.report.rejects]


def test_an_unterminated_quote_is_a_reject_not_a_household_named_after_the_rest(engine, config, tmp_path):
    lines = rejected(engine, config, unterminated_quote_folder(tmp_path / "csv"))
    assert "CBF 承包方 第5行：引号没有闭合（该行的引号一直到文件末尾都没有结束），这一行及以后各行无法读取" in lines


def test_a_column_named_twice_is_a_reject(engine, config, tmp_path):
    lines = rejected(engine, config, duplicate_column_folder(tmp_path / "csv"))
    assert lines[0] == ("CBF 承包方 第1行 CBFMC：字段 CBFMC 出现了两次（第3列和第17列），无法确定用哪一列；"
                        "请删去多余的一列后重新导入（这张表没有导入）")


def test_a_number_too_large_for_its_column_is_a_reject(engine, config, tmp_path):
    lines = rejected(engine, config, huge_number_folder(tmp_path / "csv"))
    assert lines[0] == "CBF 承包方 第4行 CBFCYSL：数值“99999999999999999999999”超出范围（最大 2147483647）"
    assert all("130123101001010002" in line for line in lines[1:])  # its members, parcels … follow it out


def test_skipping_rejects_imports_the_rest(engine, config, tmp_path):
    report = run_import(context_for(engine, config), huge_number_folder(tmp_path / "csv"), skip_rejects=True)
    assert report.reject_count >= 1
    assert report.counts["承包方"].new == len(TOWNSHIP["CBF"]) - 1


def workbook_with_cbf(tmp_path, rows, **options):
    """Every table as Excel writes it, but CBF (and FBF) written by hand."""
    sheets = {"FBF": [COLUMNS["FBF"], *([row[c] for c in COLUMNS["FBF"]] for row in TOWNSHIP["FBF"])],
              "CBF": [COLUMNS["CBF"], *rows]}
    return write_raw_xlsx(tmp_path / "手工.xlsx", sheets, **options)


def cbf_row(index: int, **changes) -> list:
    row = dict(TOWNSHIP["CBF"][index])
    row.update(changes)
    return [None if row[c] is None else (row[c].isoformat() if hasattr(row[c], "isoformat") else row[c])
            for c in COLUMNS["CBF"]]


def test_a_formula_without_a_stored_result_is_a_reject_not_an_empty_name(engine, config, tmp_path):
    path = workbook_with_cbf(tmp_path, [cbf_row(0), cbf_row(1, CBFMC=Formula("A3&B3"))])
    lines = rejected(engine, config, path)
    assert lines == ["CBF 承包方 第3行 CBFMC：单元格 C3 是公式（=A3&B3），文件中没有保存计算结果；"
                     "请在 Excel 中打开、重新计算并保存，或把公式“粘贴为数值”后再导入"]


def test_a_formula_with_its_stored_result_imports_the_result(engine, config, tmp_path):
    path = workbook_with_cbf(tmp_path, [cbf_row(0), cbf_row(1, CBFMC=Formula("D3", cached="张建国"))])
    report = run_import(context_for(engine, config), path)
    assert report.reject_count == 0 and report.counts["承包方"].new == 2


def test_a_sheet_with_broken_xml_is_a_reject(engine, config, tmp_path):
    """Excel writes the sheet's size first; the break is found while the rows are read."""
    path = workbook_with_cbf(tmp_path, [cbf_row(0), cbf_row(1), cbf_row(2)], malformed_sheet="CBF",
                             dimension="A1:P4")
    lines = rejected(engine, config, path)
    assert len(lines) == 1 and lines[0].startswith("CBF 承包方 第4行：工作表已损坏，无法读取（XML 格式错误）")
    assert lines[0].endswith("请在 Excel 中打开后另存为 .xlsx 再导入")


def test_a_broken_sheet_without_its_size_is_refused_when_opened(engine, config, tmp_path):
    path = workbook_with_cbf(tmp_path, [cbf_row(0), cbf_row(1)], malformed_sheet="CBF")
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=r"无法读取 Excel 文件 .*手工.xlsx：文件已损坏；"
                                           r"请在 Excel 中打开后另存为 .xlsx 再导入"):
        run_import(context_for(engine, config), path)
    assert table_counts(engine) == before


def test_a_row_numbered_beyond_excels_last_row_is_a_reject(engine, config, tmp_path):
    """A row number past Excel's last row, as only a broken or hand-made file has."""
    path = workbook_with_cbf(tmp_path, [cbf_row(0)], dimension="A1:P2")
    broken = tmp_path / "编号越界.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("sheet2.xml"):
                data = data.replace(b'<row r="2"', b'<row r="1048577"').replace(b'r="A2"', b'r="A1048577"')
            target.writestr(item, data)
    lines = rejected(engine, config, broken)
    assert lines == ["CBF 承包方 第1048577行：超过 Excel 的最大行数 1,048,576 行：文件不是 Excel 保存的，或已损坏"]


def test_a_sheet_of_more_rows_than_excel_holds_is_refused(engine, config, tmp_path, monkeypatch):
    """Rows counted as they stream, refused one past the limit. The limit is lowered to 2,000 so
    the test writes 2,001 rows, not 1,048,577 (43 s); the real limit is the one checked by
    test_a_row_numbered_beyond_excels_last_row_is_a_reject, memory on a million rows by
    bench/import_bench.py."""
    from archive_tui.services.exchange import sources

    monkeypatch.setattr(sources, "EXCEL_MAX_ROWS", 2_000)
    member = TOWNSHIP["CBF_JTCY"][0]
    path = write_raw_xlsx(tmp_path / "long.xlsx", {
        "FBF": [COLUMNS["FBF"], *([row[c] for c in COLUMNS["FBF"]] for row in TOWNSHIP["FBF"])],
        "CBF": [COLUMNS["CBF"], *(cbf_row(index) for index in range(len(TOWNSHIP["CBF"])))],
        "CBF_JTCY": many_rows(COLUMNS["CBF_JTCY"], [member[c] for c in COLUMNS["CBF_JTCY"]], 2_001)},
        dimension="A1:I2002")
    lines = rejected(engine, config, path)
    assert lines == ["CBF_JTCY 家庭成员 第2001行：超过 Excel 的最大行数 2,000 行：文件不是 Excel 保存的，或已损坏"]


def test_a_lying_dimension_does_not_make_rows_wide(engine, config, tmp_path):
    path = workbook_with_cbf(tmp_path, [cbf_row(0), cbf_row(1)], dimension="A1:XFD1048576")
    report = run_import(context_for(engine, config), path)
    assert report.counts["承包方"].new == 2


def test_not_a_workbook_at_all(engine, config, tmp_path):
    path = tmp_path / "数据.xlsx"
    path.write_bytes(b"PK\x03\x04 this is no zip")
    with pytest.raises(ArchiveError, match="无法读取 Excel 文件"):
        run_import(context_for(engine, config), path)


def test_a_workbook_with_the_tables_as_excel_keeps_them_imports(engine, config, tmp_path):
    report = run_import(context_for(engine, config), write_excel_export(tmp_path / "ok.xlsx"))
    assert report.counts["承包方"].new == len(TOWNSHIP["CBF"])


def test_access_rows_are_read_page_by_page_as_access_wrote_them():
    """The national template's own system table (rows Access wrote) read by our page-by-page
    reader gives what access-parser's whole-table parse gives — and can be read again."""
    from access_parser import AccessParser

    from archive_tui.services.exchange.sources import _access_rows

    database = AccessParser(str(TEMPLATE))
    whole = database.parse_table("MSysObjects")
    names = [column.col_name_str for _i, column in sorted(database.get_table("MSysObjects").columns.items())]
    expected = [[whole[name][index] for name in names] for index in range(len(whole["Name"]))]
    first = [row for _number, row in _access_rows(database, "MSysObjects", names)]
    again = [row for _number, row in _access_rows(database, "MSysObjects", names)]
    assert len(first) == 37 and first == expected == again


@pytest.mark.parametrize(("shown", "reason"), [
    ("130123101001010000", "承包方编码“130123101001010000”的顺序号不能为0000"),  # 15 digits kept, the rest zeros
    ("13012310100101001", "承包方编码“13012310100101001”应为18位，实为17位"),  # a digit lost
])
def test_a_code_excel_shortened_is_a_reject_that_says_so(engine, config, tmp_path, shown, reason):
    path = workbook_with_cbf(tmp_path, [cbf_row(0), cbf_row(1, CBFBM=shown)])
    lines = rejected(engine, config, path)
    assert lines[0] == (f"CBF 承包方 第3行 CBFBM：{reason}"
                        "（是否被 Excel 当作数字处理过？请把该列设为“文本”格式后重新导出）")


def test_a_formula_quoted_by_our_export_in_a_column_of_empty_cells_is_read_back(engine, config, tmp_path):
    """The 成员备注说明 column is empty on almost every row; the one cell our CSV export quoted
    ('=…, behind a full-width space) comes back as written, and the empty cells stay empty."""
    import csv

    from sqlalchemy import select

    from archive_tui.services.exchange.demo import write_demo_folder
    from models import Member

    folder = tmp_path / "csv"
    folder.mkdir()
    write_demo_folder(config, 40, 3, folder)
    path = folder / "CBF_JTCY.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("CYBZSM")
    for row in rows[1:]:
        row[column] = ""
    rows[7][column] = "\u3000'=SUM(A1:A9)"
    with path.open("w", encoding="gb18030", newline="") as handle:  # as a county's system saves it
        csv.writer(handle).writerows(rows)
    run_import(context_for(engine, config), folder)
    with engine.connect() as connection:
        remarks = connection.execute(select(Member.__table__.c.remark)).scalars().all()
    assert sorted(remarks, reverse=True)[0] == "=SUM(A1:A9)" and remarks.count("") == len(remarks) - 1


@pytest.mark.parametrize(("character", "shown"), [("\x00", "U+0000"), ("\x1b", "U+001B"), ("\x85", "U+0085")])
def test_a_control_character_in_a_field_is_a_reject_naming_table_row_and_field(engine, config, tmp_path,
                                                                                character, shown):
    """A NUL (which PostgreSQL cannot store), an escape or a C1 character is refused with its
    place, not cleaned away silently; the rest of the household follows it out."""
    lines = rejected(engine, config, control_character_folder(tmp_path / "csv", character))
    assert lines[0].startswith(f"CBF 承包方 第4行 CBFMC：含有控制字符 {shown}")
    assert "请在源数据中删去后重新导入" in lines[0]


def test_tabs_and_line_breaks_inside_a_field_are_not_control_characters(engine, config, tmp_path):
    report = run_import(context_for(engine, config), control_character_folder(tmp_path / "csv", "\r\n"))
    assert report.reject_count == 0


@pytest.mark.parametrize("share", [0.05, 0.3, 0.9])
def test_a_cut_access_database_is_one_chinese_line_naming_the_file(engine, config, tmp_path, capfd, share):
    """An .mdb copied only in part (a USB stick pulled out): access-parser's English log lines and
    bare errors ('NoneType' object is not subscriptable) become one Chinese sentence naming the file."""
    data = TEMPLATE.read_bytes()
    cut = tmp_path / "确权数据 不完整.mdb"
    cut.write_bytes(data[:int(len(data) * share)])
    before = table_counts(engine)
    with pytest.raises(ArchiveError) as error:
        run_import(context_for(engine, config), cut)
    assert error.value.message.startswith(f"无法读取 Access 数据库 {cut}：文件已损坏或不完整")
    assert "请从原电脑重新复制" in error.value.message
    words = set(re.findall("[A-Za-z]{3,}", error.value.message.replace(str(cut), "")))
    assert words <= {"Access", "Excel"}  # no English library text ('NoneType', 'overflow record')
    captured = capfd.readouterr()
    assert captured.out + captured.err == ""  # nothing of the library's printed either
    assert table_counts(engine) == before


@pytest.mark.parametrize(("kind", "message"), [
    ("strings", " 的文字表超过上限（128 MB、2,000,000 条）"),
    ("long-string", " 的文字表超过上限（128 MB、2,000,000 条）"),
    ("styles", " 中的 xl/styles.xml 解开后超过 32 MB"),
])
def test_a_zip_bomb_in_a_part_read_whole_is_refused_before_it_is_read(engine, config, tmp_path, kind, message):
    """Checked by unpacking, not by the sizes the zip's directory claims: a few hundred KB that
    would unpack to hundreds of MB of Python objects are refused with the file named."""
    sound = workbook_with_cbf(tmp_path, [cbf_row(0), cbf_row(1)])
    bomb = xlsx_bomb(tmp_path / "炸弹.xlsx", sound, kind)
    assert bomb.stat().st_size < 2 * 2**20
    before = table_counts(engine)
    with pytest.raises(ArchiveError) as error:
        run_import(context_for(engine, config), bomb)
    assert error.value.message.startswith(f"Excel 文件 {bomb}{message}")
    assert "另存为 CSV" in error.value.message
    assert table_counts(engine) == before


def test_a_row_larger_than_excel_writes_is_a_reject_without_holding_it(engine, config, tmp_path):
    sound = workbook_with_cbf(tmp_path, [cbf_row(0), cbf_row(1)])
    bomb = xlsx_bomb(tmp_path / "炸弹.xlsx", sound, "row")
    lines = rejected(engine, config, bomb)
    assert lines[0] == ("FBF 发包方 第2行：一行解开后超过 16 MB（Excel 写不出这样的行）："
                        "文件已损坏或不是 Excel 保存的，这张表没有导入")


def test_a_sheet_that_unpacks_beyond_the_limit_is_a_reject(engine, config, tmp_path, monkeypatch):
    """The whole-sheet limit (4 GB) at a size a test can unpack."""
    from archive_tui.services.exchange import sources

    monkeypatch.setattr(sources, "SHEET_MAX_BYTES", 2**20)
    path = write_raw_xlsx(tmp_path / "大.xlsx", {"FBF": [COLUMNS["FBF"], *([row[c] for c in COLUMNS["FBF"]]
                                                                           for row in TOWNSHIP["FBF"])],
                                                  "CBF": many_rows(COLUMNS["CBF"], cbf_row(0), 5000)})
    lines = rejected(engine, config, path)
    assert any("工作表解开后超过 1 MB" in line for line in lines)
