"""Importing the NY/T 2539 tables: every source and encoding, rejects, flags, re-import."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.services.exchange.exporting import collect_tables, export_nyt2539
from archive_tui.services.exchange.importing import ImportRejected, run_import, write_report
from archive_tui.services.exchange.sources import read_source
from models import ArchiveFile, AuditEvent, Finding, Household, Member
from tests.conftest import table_counts, write_tables_csv

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "nyt2539-quanshu-template.mdb"


def rows_of(tables, name):
    return tables[name][1]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_folder_in_each_encoding(engine, config, tmp_path, encoding):
    folder = write_tables_csv(config, tmp_path / "csv", households=12, encoding=encoding)
    report = run_import(context_for(engine, config), folder)
    counts = table_counts(engine)
    assert counts["household"] == 12 and counts["archive_file"] == 12 and counts["file_copy"] == 36
    assert report.counts["承包方"].new == 12 and report.new_files == 12
    with engine.connect() as connection:
        names = set(connection.execute(select(Household.name)).scalars())
    assert all(len(name) >= 2 for name in names)  # Chinese names decoded, not mojibake
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(names))


def csv_folder_to_xlsx(folder: Path, path: Path, cell=lambda table, row, column, value: value) -> Path:
    """A workbook with one sheet per CSV file, as counties exchange them; ``cell`` may change values."""
    book = Workbook()
    book.remove(book.active)
    for csv_file in sorted(folder.glob("*.csv")):
        sheet = book.create_sheet(csv_file.stem)
        with csv_file.open(encoding="utf-8-sig") as handle:
            for row_index, row in enumerate(csv.reader(handle)):
                sheet.append([cell(csv_file.stem, row_index, i, value) for i, value in enumerate(row)])
    book.create_sheet("说明").append(["这张表不是国家表"])
    book.save(path)
    return path


def test_xlsx_workbook_one_sheet_per_table(engine, config, tmp_path):
    source = write_tables_csv(config, tmp_path / "csv", households=8)
    path = csv_folder_to_xlsx(source, tmp_path / "数据 2018.xlsx")
    report = run_import(context_for(engine, config), path)
    assert table_counts(engine)["household"] == 8
    assert report.kind == "xlsx" and "说明" in report.ignored


def test_access_template_is_read_table_by_table():
    source = read_source(TEMPLATE)
    assert source.kind == "mdb"
    assert {"FBF", "CBF", "CBF_JTCY", "CBDKXX", "CBHT", "CBJYQZ", "CBJYQZDJB", "CBJYQZ_QZBF",
            "CBJYQZ_QZHF", "CBJYQZ_QZZX", "QSLYZLFJ"} <= set(source.tables)
    assert source.tables["CBF"].columns[:3] == ["CBFBM", "CBFLX", "CBFMC"]
    assert list(source.tables["CBF"].rows()) == []


def test_importing_the_empty_template_writes_nothing(engine, config):
    before = table_counts(engine)
    report = run_import(context_for(engine, config), TEMPLATE)
    assert not report.changed and report.rejects == []
    assert table_counts(engine) == before


def _edit_cell(table, name, row, column, value):
    columns, rows = table[name]
    rows[row][columns.index(column)] = value


BAD_ROWS = [
    ("CBF", 0, "CBFBM", "13012310100101000", "CBF 承包方", 2, "应为18位"),
    ("CBF", 1, "CBFBM", "130123101001990002", "CBF 承包方", 3, "的发包方“13012310100199”不存在"),
    ("CBF", 2, "CBFDCRQ", "2016-13-45", "CBF 承包方", 4, "日期“2016-13-45”无法识别"),
    ("CBF_JTCY", 0, "CBFBM", "130123101001017777", "CBF_JTCY 家庭成员", 2, "承包方“130123101001017777”不存在"),
    ("CBDKXX", 0, "HTMJ", "三亩", "CBDKXX 承包地块信息", 2, "数值“三亩”无法识别"),
    ("CBDKXX", 1, "DKBM", "1301231010010200002", "CBDKXX 承包地块信息", 3, "不以其发包方编码"),
    ("CBHT", 0, "CBHTBM", "130123101001010002J", "CBHT 承包合同", 2, "与承包方编码“130123101001010001”不符"),
    ("FBF", 0, "FBFBM", "1301231010010", "FBF 发包方", 2, "应为14位"),
]


@pytest.mark.parametrize(("table", "row", "column", "value", "label", "row_number", "reason"), BAD_ROWS)
def test_each_kind_of_bad_row_aborts_with_a_report_and_writes_nothing(
        engine, config, tmp_path, table, row, column, value, label, row_number, reason):
    folder = write_tables_csv(config, tmp_path / "csv", households=10,
                              edit=lambda t: _edit_cell(t, table, row, column, value))
    before = table_counts(engine)
    with pytest.raises(ImportRejected) as error:
        run_import(context_for(engine, config), folder)
    rejects = error.value.report.rejects
    assert any(r.table == label and r.row == row_number and r.field == column and reason in r.reason
               for r in rejects), rejects
    assert "数据库未作任何改动" in error.value.message
    assert table_counts(engine) == before


def test_duplicate_codes_are_rejected_naming_the_first_row(engine, config, tmp_path):
    def duplicate(tables):
        rows = tables["CBF"][1]
        rows.append(list(rows[3]))

    folder = write_tables_csv(config, tmp_path / "csv", households=5, edit=duplicate)
    with pytest.raises(ImportRejected) as error:
        run_import(context_for(engine, config), folder)
    assert [(r.row, r.field) for r in error.value.report.rejects] == [(7, "CBFBM")]
    assert "与第5行重复" in error.value.report.rejects[0].reason


def test_skip_rejects_imports_the_rest_and_reports(engine, config, tmp_path):
    folder = write_tables_csv(config, tmp_path / "csv", households=10,
                              edit=lambda t: _edit_cell(t, "CBF", 0, "CBFBM", "bad"))
    report = run_import(context_for(engine, config), folder, skip_rejects=True)
    assert len(report.rejects) >= 1
    counts = table_counts(engine)
    assert counts["household"] == 9
    # the rejected household's members, parcels … are rejected as children of an unknown household
    assert any(r.table.startswith("CBF_JTCY") for r in report.rejects)
    write_report(report, tmp_path / "报告.csv")
    text = (tmp_path / "报告.csv").read_text(encoding="utf-8-sig")
    assert "不合格" in text and "CBF 承包方" in text


def test_problems_the_archive_must_hold_are_imported_and_flagged(engine, config, tmp_path):
    def defects(tables):
        _edit_cell(tables, "CBF_JTCY", 0, "CYZJHM", "")  # missing ID
        _edit_cell(tables, "CBF_JTCY", 1, "CYZJHM", "130123800101001")  # 15-digit legacy
        columns, rows = tables["CBF"]
        rows[1][columns.index("CBFLX")] = "3"  # an organisation with a household's sequence
        rows[2][columns.index("CBFCYSL")] = "9"  # member count that does not match

    folder = write_tables_csv(config, tmp_path / "csv", households=6, edit=defects)
    report = run_import(context_for(engine, config), folder)
    assert report.rejects == []
    assert table_counts(engine)["household"] == 6
    rules = {flag.rule for flag in report.flags}
    assert {"id_number", "id_legacy", "sequence_range", "member_count"} <= rules
    with engine.connect() as connection:
        findings = connection.execute(select(Finding.rule, Finding.status, Finding.source)).all()
    assert {(rule, "open", "import") for rule in ("id_number", "id_legacy", "sequence_range", "member_count")} \
        <= set(findings)
    assert report.flag_counts()["15位旧身份证号码待核对"] == 1


def test_reimport_of_the_same_source_changes_nothing(engine, config, tmp_path):
    folder = write_tables_csv(config, tmp_path / "csv", households=15)
    run_import(context_for(engine, config), folder)
    before = table_counts(engine)
    report = run_import(context_for(engine, config), folder)
    assert not report.changed and report.new_files == 0
    assert table_counts(engine) == before  # not even an audit event


def test_a_later_source_updates_rows_by_code_and_lists_the_changes(engine, config, tmp_path):
    first = write_tables_csv(config, tmp_path / "v1", households=6,
                             edit=lambda t: _edit_cell(t, "CBF_JTCY", 0, "CYZJHM", ""))
    run_import(context_for(engine, config), first)
    with engine.connect() as connection:
        codes_before = dict(connection.execute(select(ArchiveFile.household_id, ArchiveFile.archive_code)).all())

    def later(tables):
        _edit_cell(tables, "CBF", 0, "CBFMC", "张改名")
        _edit_cell(tables, "CBF", 0, "LXDH", "13900000000")

    second = write_tables_csv(config, tmp_path / "v2", households=6, edit=later)
    report = run_import(context_for(engine, config), second)
    changed = {(c.table, c.field, c.after) for c in report.changes}
    # Chinese field labels; phone and ID numbers masked
    assert ("承包方", "承包方名称", "张改名") in changed and ("承包方", "联系电话", "139****0000") in changed
    assert all("13900000000" not in change.line() for change in report.changes)
    member_id = next(c for c in report.changes if c.field == "证件号码")
    assert member_id.table == "家庭成员" and "*" in member_id.after and member_id.key.endswith("第1人")
    assert report.counts["承包方"].updated == 1 and report.counts["承包方"].unchanged == 5
    assert report.findings_resolved == 1  # the ID number is present now
    with engine.connect() as connection:
        assert connection.execute(select(Household.name).order_by(Household.code)).scalars().first() == "张改名"
        codes_after = dict(connection.execute(select(ArchiveFile.household_id, ArchiveFile.archive_code)).all())
        assert connection.execute(select(AuditEvent.action)).scalars().all() == ["import", "import"]
    assert codes_after == codes_before  # 档号 never renumbered


def test_member_changes_replace_that_households_members(engine, config, tmp_path):
    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "v1", households=4))
    second = write_tables_csv(config, tmp_path / "v2", households=4,
                              edit=lambda t: _edit_cell(t, "CBF_JTCY", 1, "CYXM", "新名字"))
    report = run_import(context_for(engine, config), second)
    assert report.counts["家庭成员"].updated == 1
    with engine.connect() as connection:
        assert "新名字" in connection.execute(select(Member.name)).scalars().all()


def test_rows_of_other_townships_are_skipped_and_counted(engine, config, tmp_path):
    def other(tables):
        columns, rows = tables["FBF"]
        extra = list(rows[0])
        extra[columns.index("FBFBM")] = "13012310200100"
        rows.append(extra)

    report = run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "csv", households=3,
                                                                      edit=other))
    assert report.other_township_rows == 1 and "130123102" in report.other_townships


def test_a_source_of_only_other_townships_is_refused(engine, config, tmp_path):
    config.settings.township.code = "130123109"
    before = table_counts(engine)
    folder = tmp_path / "csv"
    # tables made for township 101 while the config says 109
    from archive_tui.core.config import load_config

    other = load_config(config.path)
    write_tables_csv(other, folder, households=3)
    with pytest.raises(ArchiveError, match="没有本乡镇（代码 130123109）的记录"):
        run_import(context_for(engine, config), folder)
    assert table_counts(engine) == before


def test_codes_that_went_through_excel_floats_are_rejected(engine, config, tmp_path):
    source = write_tables_csv(config, tmp_path / "csv", households=2)

    def as_excel_number(table, row, column, value):  # what Excel does to an 18-digit number
        return float(value) if (table, row, column) == ("CBF", 1, 0) else value

    path = csv_folder_to_xlsx(source, tmp_path / "float.xlsx", as_excel_number)
    with pytest.raises(ImportRejected) as error:
        run_import(context_for(engine, config), path)
    assert "被 Excel 当作数字保存，已丢失数字" in error.value.report.rejects[0].reason


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("nothing-here", None, "找不到数据源"),
        ("a.dbf", b"x", "无法识别数据源"),
        ("CBF.csv", b"CBFBM\n", "单个 CSV 文件"),
        ("broken.xlsx", b"not a zip", "无法读取 Excel"),
        ("broken.mdb", b"\0" * 4096, "无法读取 Access"),
    ],
)
def test_unreadable_sources_give_a_clear_error(engine, tmp_path, config, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match=message):
        run_import(context_for(engine, config), path)
    assert table_counts(engine) == before


def test_a_folder_without_the_required_tables_is_refused(engine, config, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "CBF.csv").write_text("CBFBM,CBFMC\n", encoding="utf-8")
    with pytest.raises(ArchiveError, match="缺少必需的表：FBF"):
        run_import(context_for(engine, config), folder)


def test_a_csv_without_the_key_column_is_refused(engine, config, tmp_path):
    folder = write_tables_csv(config, tmp_path / "csv", households=2)
    text = (folder / "CBF.csv").read_text(encoding="utf-8-sig")
    (folder / "CBF.csv").write_text(text.replace("CBFBM", "BIANMA", 1), encoding="utf-8")
    with pytest.raises(ArchiveError, match="表 CBF（CBF.csv）缺少字段 CBFBM"):
        run_import(context_for(engine, config), folder)


@pytest.mark.parametrize("target", ["csv-folder", "book.xlsx"])
def test_export_then_import_gives_the_same_data(tmp_path, config, engine, target):
    from archive_tui.services.exchange.demo import fill_demo
    from tests.conftest import another_archive

    fill_demo(context_for(engine, config), households=40, seed=3)
    exported, _counts = export_nyt2539(context_for(engine, config), tmp_path / target)
    second_config, second = another_archive(tmp_path / "second")
    run_import(context_for(second, second_config), exported)
    assert collect_tables(second, second_config) == collect_tables(engine, config)
    first_counts, second_counts = table_counts(engine), table_counts(second)
    for table in ("issuer", "household", "member", "parcel", "contract", "register_entry", "certificate",
                  "archive_file", "file_copy"):
        assert first_counts[table] == second_counts[table], table


def _certificate_history(tables):
    """A cancellation, a re-issue and a replacement, and two ownership-source attachments."""
    codes = [row[0] for row in tables["CBJYQZ"][1]]
    tables["CBJYQZ_QZZX"][1].append([codes[0], "承包方全家迁入城镇", "2019-03-02"])
    tables["CBJYQZ_QZBF"][1].append([codes[1], "遗失", "2019-05-06", "2019-05-20", "李四", "1", "11010519491231002X"])
    tables["CBJYQZ_QZHF"][1].append([codes[2], "破损", "2019-07-08", "", "王五", "1", ""])
    tables["QSLYZLFJ"][1].append([codes[3], "1", "原承包合同", "2018-01-02", "附件/合同.jpg"])
    tables["QSLYZLFJ"][1].append([codes[3], "2", "户口簿复印件", "", "附件/户口簿.jpg"])


def test_certificate_events_and_attachments_import_once(engine, config, tmp_path):
    from models import Attachment, Certificate, CertificateEvent

    folder = write_tables_csv(config, tmp_path / "csv", households=5, edit=_certificate_history)
    report = run_import(context_for(engine, config), folder)
    assert report.counts["证书补发换发注销"].new == 3 and report.counts["权属来源资料附件"].new == 2
    with engine.connect() as connection:
        kinds = sorted(connection.execute(select(CertificateEvent.kind)).scalars())
        cancelled = connection.execute(
            select(Certificate.status).where(Certificate.code.endswith("0001J"), Certificate.generation == "new")
        ).scalar_one()
        paths = sorted(connection.execute(select(Attachment.path)).scalars())
    assert kinds == ["cancel", "reissue", "replace"]
    assert cancelled == "cancelled"
    assert paths == ["附件/合同.jpg", "附件/户口簿.jpg"]
    again = run_import(context_for(engine, config), folder)
    assert not again.changed and table_counts(engine)["certificate_event"] == 3


def test_an_event_for_an_unknown_certificate_is_rejected(engine, config, tmp_path):
    def stray(tables):
        tables["CBJYQZ_QZZX"][1].append(["130123101001019999J", "注销", "2019-01-01"])

    with pytest.raises(ImportRejected) as error:
        run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "csv", households=3, edit=stray))
    assert error.value.report.rejects[0].line().startswith("CBJYQZ_QZZX 权证注销 第2行 CBJYQZBM")


def test_round_trip_keeps_certificate_history(engine, config, tmp_path):
    folder = write_tables_csv(config, tmp_path / "csv", households=6, edit=_certificate_history)
    run_import(context_for(engine, config), folder)
    exported, counts = export_nyt2539(context_for(engine, config), tmp_path / "out")
    assert counts["CBJYQZ_QZZX"] == counts["CBJYQZ_QZBF"] == counts["CBJYQZ_QZHF"] == 1
    assert counts["QSLYZLFJ"] == 2
    before = table_counts(engine)
    assert not run_import(context_for(engine, config), exported).changed
    assert table_counts(engine) == before


def test_the_parcel_layer_fills_new_parcels_and_its_changes_are_listed_later(engine, config, tmp_path):
    from models import Parcel

    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "v1", households=4))
    with engine.connect() as connection:
        code, name = connection.execute(select(Parcel.code, Parcel.name).where(Parcel.name != "")
                                        .order_by(Parcel.code)).first()

    def renamed(tables):
        columns, rows = tables["DK"]
        row = next(r for r in rows if r[0] == code)
        row[columns.index("DKMC")] = "新开地"

    report = run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "v2", households=4,
                                                                      edit=renamed))
    assert [c.line() for c in report.changes] == [f"地块属性 {code} 地块名称：“{name}” → “新开地”"]
    assert report.counts["地块属性"].updated == 1


def test_a_source_without_the_parcel_layer_leaves_names_and_boundaries_alone(engine, config, tmp_path):
    from models import Parcel

    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "v1", households=4))
    with engine.connect() as connection:
        before = connection.execute(select(Parcel.code, Parcel.name, Parcel.east).order_by(Parcel.code)).all()
    folder = write_tables_csv(config, tmp_path / "v2", households=4)
    (folder / "DK.csv").unlink()
    report = run_import(context_for(engine, config), folder)
    assert not report.changed
    with engine.connect() as connection:
        assert connection.execute(select(Parcel.code, Parcel.name, Parcel.east).order_by(Parcel.code)).all() == before


def test_a_parcel_layer_row_without_its_parcel_is_rejected(engine, config, tmp_path):
    added = []

    def stray(tables):
        columns, rows = tables["DK"]
        extra = list(rows[0])
        extra[0] = extra[0][:14] + "99999"
        rows.append(extra)
        added.append((extra[0], len(rows) + 1))  # header is row 1

    before = table_counts(engine)
    with pytest.raises(ImportRejected) as error:
        run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "csv", households=3, edit=stray))
    code, row = added[0]
    expected = f"DK 地块属性 第{row}行 DKBM：地块“{code}”不在承包地块信息表中"
    assert [r.line() for r in error.value.report.rejects] == [expected]
    assert table_counts(engine) == before


def test_basic_farmland_of_a_household_follows_its_parcels_in_the_layer(engine, config, tmp_path):
    def farmland(tables):
        columns, rows = tables["DK"]
        for row in rows:
            row[columns.index("SFJBNT")] = "2"
        rows[0][columns.index("SFJBNT")] = "1"

    run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "csv", households=3, edit=farmland))
    with engine.connect() as connection:
        flagged = connection.execute(select(Household.code).where(Household.has_basic_farmland)).scalars().all()
    assert len(flagged) == 1


def test_a_nul_in_a_field_is_a_reject_on_either_database(engine, config, tmp_path):
    """PostgreSQL cannot store a NUL (its driver's DataError printed the row's ID number and phone):
    the import refuses the value by table, row and field before anything is written, on both."""
    from tests.fixtures.real_sources import control_character_folder

    before = table_counts(engine)
    with pytest.raises(ImportRejected) as error:
        run_import(context_for(engine, config), control_character_folder(tmp_path / "csv", "\x00"))
    assert error.value.report.rejects[0].line().startswith("CBF 承包方 第4行 CBFMC：含有控制字符 U+0000")
    assert table_counts(engine) == before
