"""The fixture producers write what Access and Excel write, checked with readers that
owe nothing to them: bytes, the csv module, zipfile + ElementTree, openpyxl."""

from __future__ import annotations

import csv
import io
import tracemalloc
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from tests.fixtures.real_sources import (
    COLUMNS,
    TOWNSHIP,
    Formula,
    duplicate_column_folder,
    expected_counts,
    huge_number_folder,
    many_rows,
    unterminated_quote_folder,
    write_access_text_export,
    write_csv,
    write_excel_csv,
    write_excel_export,
    write_raw_xlsx,
)

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _valid_id(number: str) -> bool:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(number[:17], weights))
    return len(number) == 18 and number[17] == "10X98765432"[total % 11]


def _crlf_only(text: str) -> bool:
    return text.count("\n") == text.count("\r\n") and text.endswith("\r\n")


def _read_access(path) -> tuple[str, list[list[str]]]:
    text = path.read_bytes().decode("gb18030")
    return text, list(csv.reader(io.StringIO(text, newline="")))


# --- the township ---------------------------------------------------------------------

def test_township_is_a_consistent_county_database():
    assert "DK" not in TOWNSHIP
    issuers = {row["FBFBM"] for row in TOWNSHIP["FBF"]}
    assert {"13012310100100", "13012310100101", "13012310100102", "13012310100200",
            "13012310100201"} == issuers
    for table, rows in TOWNSHIP.items():
        assert all(list(row) == list(COLUMNS[table]) for row in rows), table
    for row in TOWNSHIP["CBF"]:
        assert row["CBFBM"][:14] in issuers and len(row["CBFBM"]) == 18
    parcels = [row["DKBM"] for row in TOWNSHIP["CBDKXX"]]
    assert len(set(parcels)) == len(parcels)
    assert all(len(p) == 19 and p[:14] in issuers for p in parcels)
    for row in TOWNSHIP["CBDKXX"]:
        assert row["HTMJM"] == round(row["HTMJ"] / 666.6667, 2)
        assert row["CBHTBM"] == row["CBFBM"] + "J"
    people = [(r["CYZJHM"], r["CYXB"]) for r in TOWNSHIP["CBF_JTCY"]]
    people += [(r["FZRZJHM"], None) for r in TOWNSHIP["FBF"]]
    assert all(_valid_id(number) for number, _ in people)
    assert all(int(n[16]) % 2 == (1 if sex == "1" else 0) for n, sex in people if sex)
    assert any(n.endswith("X") for n, _ in people)
    names = {r["CYXM"] for r in TOWNSHIP["CBF_JTCY"]}
    assert {"阿依古丽·买买提", "热依拉.艾力"} <= names
    for row in TOWNSHIP["CBJYQZ"]:
        assert row["QZSFLQ"] in ("1", "2")
        assert (row["QZLQRZJHM"] is not None) == (row["QZSFLQ"] == "1")


def test_expected_counts_match_the_tables():
    counts = expected_counts()
    assert len(counts) == 9
    assert counts["130123101001010002"] == (1, 1)
    assert counts["130123101002010001"] == (6, 5)
    for row in TOWNSHIP["CBF"]:
        assert counts[row["CBFBM"]][0] == row["CBFCYSL"]
    for row in TOWNSHIP["CBHT"]:
        assert counts[row["CBFBM"]][1] == row["CBDKZS"]


# --- Access text export -----------------------------------------------------------------

def test_access_export_is_gb18030_crlf_quoted_text_and_access_dates(tmp_path):
    folder = write_access_text_export(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.txt" for t in TOWNSHIP)
    raw = (folder / "CBF_JTCY.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert not raw.startswith(b"\xef\xbb\xbf")

    text, rows = _read_access(folder / "CBHT.txt")
    assert _crlf_only(text)
    assert text.startswith('"CBHTBM","YCBHTBM","FBFBM",')
    first = text.split("\r\n")[1]
    # text quoted and padded, empty as nothing, dates and numbers bare
    assert first.startswith('"130123101001000001J    ",,"13012310100100    ",')
    assert ",1998/7/1 0:00:00,2028/6/30 0:00:00,2349.64,2,2017/7/15 0:00:00," in first
    assert [r[0].rstrip() for r in rows[1:]] == [r["CBHTBM"] for r in TOWNSHIP["CBHT"]]


def test_access_export_pads_adds_vendor_columns_and_float_noise(tmp_path):
    folder = write_access_text_export(tmp_path)
    _, members = _read_access(folder / "CBF_JTCY.txt")
    header = members[0]
    assert header[4:7] == ["CYZJHM", "CSRQ", "MZ"]
    first = dict(zip(header, members[1]))
    assert first["CBFBM"] == "130123101001000001    "
    assert first["YHZGX"] == "02    " and first["CYXB"] == "1    "
    assert first["CYXM"].rstrip() == "赵志刚" and first["CYXM"].endswith("  ")
    assert first["CSRQ"] == "1968/3/12 0:00:00" and first["MZ"] == "汉族"
    minority = [dict(zip(header, r)) for r in members[1:] if "热依拉" in r[1]][0]
    assert minority["CYXM"].rstrip() == "热依拉.艾力" and minority["MZ"] == "维吾尔族"
    stripped = [[v.strip() for v in r] for r in members[1:]]
    assert [r[4] for r in stripped] == [r["CYZJHM"] for r in TOWNSHIP["CBF_JTCY"]]
    _, cbf = _read_access(folder / "CBF.txt")
    assert cbf[0][-1] == "BZ"

    parcels = (folder / "CBDKXX.txt").read_bytes().decode("gb18030")
    assert ",1.1700000001," in parcels
    contracts = (folder / "CBHT.txt").read_bytes().decode("gb18030")
    assert ",6460.7699999999995," in contracts  # a sum one ulp below 6460.77


def test_access_export_options(tmp_path):
    mixed = write_access_text_export(tmp_path / "mixed", names="mixed")
    names = {p.name for p in mixed.iterdir()}
    assert {"Fbf.txt", "cbf.txt", "Cbf_Jtcy.txt"} <= names

    plain = write_access_text_export(tmp_path / "plain", ["CBF_JTCY", "CBDKXX"], pad=False,
                                     extra_columns=False, noise=False, encoding="utf-8")
    assert {p.name for p in plain.iterdir()} == {"CBF_JTCY.txt", "CBDKXX.txt"}
    text = (plain / "CBF_JTCY.txt").read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(COLUMNS["CBF_JTCY"])
    assert all(v == v.strip() for r in rows for v in r)
    assert "1.1700000001" not in (plain / "CBDKXX.txt").read_text("utf-8")


# --- Excel workbook ---------------------------------------------------------------------

def _sheet_rows(sheet) -> list[dict[str, object]]:
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return [dict(zip(header, r)) for r in rows[1:]]


def test_excel_export_types_cells_as_excel_does(tmp_path):
    path = write_excel_export(tmp_path / "township.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == list(TOWNSHIP)
    members = _sheet_rows(workbook["CBF_JTCY"])
    first = members[0]
    assert first["CBFBM"].value == "130123101001000001" and first["CBFBM"].number_format == "@"
    assert first["YHZGX"].value == 2 and first["CYXB"].value == 1  # "02" and "1" lost
    assert first["CSRQ"].is_date and first["CSRQ"].number_format == "yyyy/m/d"
    assert first["CSRQ"].value == datetime(1968, 3, 12)
    cbf = _sheet_rows(workbook["CBF"])
    assert cbf[0]["YZBM"].value == 50800
    assert cbf[0]["CBFCYSL"].value == 3
    contracts = _sheet_rows(workbook["CBHT"])
    assert contracts[0]["CBFS"].value == 110
    assert contracts[0]["QDSJ"].value == datetime(2017, 7, 15)
    parcels = _sheet_rows(workbook["CBDKXX"])
    assert 1.1700000001 in [p["HTMJM"].value for p in parcels]
    assert all(isinstance(p["HTMJ"].value, (int, float)) for p in parcels)


def test_excel_export_codes_as_numbers_keep_15_digits(tmp_path):
    path = write_excel_export(tmp_path / "numbers.xlsx", codes_as="number")
    workbook = openpyxl.load_workbook(path)
    parcel = _sheet_rows(workbook["CBDKXX"])[0]
    assert parcel["FBFBM"].value == 13012310100100 and isinstance(parcel["FBFBM"].value, int)
    assert isinstance(parcel["CBFBM"].value, float)
    assert parcel["CBFBM"].value == float("130123101001000000")
    assert parcel["DKBM"].value == float("1301231010010000000")
    assert parcel["CBHTBM"].value == "130123101001000001J"  # a letter keeps it text
    ids = [m["CYZJHM"].value for m in _sheet_rows(workbook["CBF_JTCY"])]
    assert "13012319620518017X" in ids and isinstance(ids[0], float)
    phones = [h["LXDH"].value for h in _sheet_rows(workbook["CBF"])]
    assert phones[0] == 13931105872 and "0311-88213467" in phones

    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml")  # CBF
    cell = ET.fromstring(sheet_xml).find(".//m:c[@r='A2']", NS)
    assert cell.get("t") in (None, "n")
    assert float(cell.find("m:v", NS).text) == 1.30123101001e17


def test_excel_export_lower_case_names_and_kept_zeros(tmp_path):
    path = write_excel_export(tmp_path / "lower.xlsx", ["CBF_JTCY"], header_case="lower",
                              sheet_case="lower", lost_leading_zeros=False,
                              extra_columns=False, noise=False)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["cbf_jtcy"]
    rows = list(workbook["cbf_jtcy"].iter_rows(values_only=True))
    assert list(rows[0]) == [c.lower() for c in COLUMNS["CBF_JTCY"]]
    assert rows[1][5] == "02"


# --- Excel "Save As CSV" ----------------------------------------------------------------

def test_excel_csv_shows_what_the_cells_show(tmp_path):
    folder = write_excel_csv(tmp_path, codes_as="number")
    raw = (folder / "CBHT.csv").read_bytes()
    text = raw.decode("gb18030")
    assert _crlf_only(text) and '"' not in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    first = dict(zip(rows[0], rows[1]))
    assert first["QDSJ"] == "2017/7/15" and first["CBQXQ"] == "1998/7/1"
    assert first["CBFS"] == "110" and first["FBFBM"] == "13012310100100"
    assert first["CBFBM"] == "1.30123E+17"
    assert first["CBHTBM"] == "130123101001000001J"
    members = list(csv.reader(io.StringIO((folder / "CBF_JTCY.csv").read_bytes()
                                          .decode("gb18030"), newline="")))
    head = dict(zip(members[0], members[1]))
    assert head["YHZGX"] == "2" and head["CYZJHM"] == "1.30123E+17"
    parcels = (folder / "CBDKXX.csv").read_bytes().decode("gb18030")
    assert "1.30123E+18" in parcels and "1.1700000001" not in parcels


def test_excel_csv_with_text_codes_keeps_digits(tmp_path):
    folder = write_excel_csv(tmp_path, ["CBF"])
    rows = list(csv.reader(io.StringIO((folder / "CBF.csv").read_bytes().decode("gb18030"),
                                       newline="")))
    assert [r[0] for r in rows[1:]] == [r["CBFBM"] for r in TOWNSHIP["CBF"]]
    assert rows[1][6] == "50800"  # the postcode still lost its zero


# --- hand-made xlsx ---------------------------------------------------------------------

def _sheets():
    return {"CBF": [["CBFBM", "CBFMC", "合并"],
                    ["130123101001000001", "赵志刚", Formula("A2&B2")],
                    ["130123101001010001", " 张建国 ", Formula("A3&B3", cached="张三")],
                    [3, 2.5, None, date(2017, 7, 15)]],
            "FBF": many_rows(["FBFBM"], lambda i: [f"1301231010010{i}"], 2)}


@pytest.mark.parametrize("shared", [True, False])
def test_raw_xlsx_is_a_valid_package(tmp_path, shared):
    path = write_raw_xlsx(tmp_path / "raw.xlsx", _sheets(), shared_strings=shared)
    archive = zipfile.ZipFile(path)
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml",
            "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml"} <= names
    assert ("xl/sharedStrings.xml" in names) == shared
    for name in names:
        ET.fromstring(archive.read(name))
    sheet = ET.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    assert sheet.find("m:dimension", NS) is None
    plain = sheet.find(".//m:c[@r='C2']", NS)
    assert plain.find("m:f", NS).text == "A2&B2" and plain.find("m:v", NS) is None
    cached = sheet.find(".//m:c[@r='C3']", NS)
    assert cached.get("t") == "str" and cached.find("m:v", NS).text == "张三"
    assert b"A2&amp;B2" in archive.read("xl/worksheets/sheet1.xml")

    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["CBF", "FBF"]
    rows = list(workbook["CBF"].iter_rows(values_only=True))
    assert rows[1][:2] == ("130123101001000001", "赵志刚")
    assert rows[2][1] == " 张建国 "
    assert rows[3] == (3, 2.5, None, datetime(2017, 7, 15))
    assert [r[0] for r in workbook["FBF"].iter_rows(values_only=True)] == [
        "FBFBM", "13012310100100", "13012310100101"]


def test_raw_xlsx_malformed_sheet_and_lying_dimension(tmp_path):
    path = write_raw_xlsx(tmp_path / "bad.xlsx", _sheets(), malformed_sheet="CBF",
                          dimension="A1:XFD1048576")
    archive = zipfile.ZipFile(path)
    assert archive.testzip() is None
    cut = archive.read("xl/worksheets/sheet1.xml")
    with pytest.raises(ET.ParseError):
        ET.fromstring(cut)
    assert b'<row r="4"' in cut and not cut.endswith(b"</worksheet>")
    other = ET.fromstring(archive.read("xl/worksheets/sheet2.xml"))
    assert other.find("m:dimension", NS).get("ref") == "A1:XFD1048576"


def test_raw_xlsx_streams_rows(tmp_path):
    header = list(COLUMNS["CBF"])
    row = ["130123101001000001", "1", "赵志刚", "1", "130123196803120353",
           "河北省石家庄市正定县城关镇东里村", "050800", "13931105872", 3, 42836.0,
           "高志强", "经核实，情况属实。", "公示七日无异议", "李建民", 42866.0, "赵国栋"]
    tracemalloc.start()
    try:
        path = write_raw_xlsx(tmp_path / "big.xlsx", {"CBF": many_rows(header, row, 20_000)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size
    assert size > 8_000_000  # the sheet XML is big …
    assert peak < 3_000_000  # … but was never held in memory
    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as xml:
        rows = sum(1 for _, el in ET.iterparse(xml) if el.tag == f"{{{NS['m']}}}row")
    assert rows == 20_001


# --- plain CSV and the hostile folders --------------------------------------------------

def test_write_csv(tmp_path):
    path = write_csv(tmp_path, "T", ["A", "B", "C"], [["0102", None, date(2017, 7, 15)]])
    assert path.name == "T.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n")
    assert raw.decode("utf-8-sig") == "A,B,C\r\n0102,,2017-07-15\r\n"


def _csv_text(folder, name="CBF.csv") -> str:
    return (folder / name).read_bytes().decode("utf-8-sig")


def test_unterminated_quote_folder(tmp_path):
    folder = unterminated_quote_folder(tmp_path)
    assert {p.name for p in folder.iterdir()} == {f"{t}.csv" for t in TOWNSHIP}
    lines = _csv_text(folder).split("\r\n")
    assert lines[4].startswith('130123101001010003,1,"王五,1,130123195510020717,')
    assert lines[4].count('"') == 1
    later = list(csv.reader(lines[5:10]))  # the rows after it are valid on their own
    assert [r[0] for r in later] == [r["CBFBM"] for r in TOWNSHIP["CBF"][4:]]
    with pytest.raises(csv.Error):
        list(csv.reader(io.StringIO(_csv_text(folder), newline=""), strict=True))
    loose = list(csv.reader(io.StringIO(_csv_text(folder), newline="")))
    assert len(loose) == 5  # line 5 swallowed the rest of the file
    assert len(list(csv.reader(io.StringIO(_csv_text(folder, "CBF_JTCY.csv"))))) == 29


def test_duplicate_column_folder(tmp_path):
    rows = list(csv.reader(io.StringIO(_csv_text(duplicate_column_folder(tmp_path)))))
    header = rows[0]
    assert [i for i, name in enumerate(header) if name == "CBFMC"] == [2, 16]
    assert rows[1][2] == "赵志刚" and rows[1][16] == "赵志刚户"
    assert all(r[2] != r[16] for r in rows[1:])


def test_huge_number_folder(tmp_path):
    rows = list(csv.reader(io.StringIO(_csv_text(huge_number_folder(tmp_path)))))
    count = rows[0].index("CBFCYSL")
    assert count == 8  # column I
    assert rows[3][0] == "130123101001010002"  # spreadsheet row 4
    assert rows[3][count] == "9" * 23
    assert [r[count] for r in rows[1:] if r is not rows[3]] == [
        str(r["CBFCYSL"]) for r in TOWNSHIP["CBF"] if r["CBFBM"] != "130123101001010002"]
