"""The section's report of an intake pass names what it left alone (issue 31, part 1)."""

from archive_tui.services.intake.scans import IngestReport
from archive_tui.tui.screens.scans import intake_summary


def test_the_intake_report_lists_files_that_are_not_scans_once():
    report = IngestReport(linked=2, others=["notes.txt", "报告.docx", "工作/计划.xlsx"], folders=["工作/深层"],
                          notes=["坏.jpg：没有权限"])
    lines = intake_summary(report).split("\n")
    assert lines[0].startswith("收件完成：挂接 2")
    assert lines[1] == "收件箱中有 3 个不是扫描件的文件，未处理：notes.txt、报告.docx、工作/计划.xlsx"
    assert lines[2].startswith("收件箱中有 1 个文件夹未进入") and lines[3] == "坏.jpg：没有权限"
    assert sum("不是扫描件" in line for line in lines) == 1


def test_a_long_list_is_cut_short_with_its_count():
    report = IngestReport(others=[f"文件{number}.txt" for number in range(40)])
    [_, line] = intake_summary(report).split("\n")
    assert line.startswith("收件箱中有 40 个不是扫描件的文件，未处理：文件0.txt、") and line.endswith(" 等 40 个")
