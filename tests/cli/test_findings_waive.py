"""`findings waive` in bulk on the command line: all open findings of a rule (in a village) with one
reason; the single form still works; a wrong rule or village is a Chinese error and nothing changes."""

import json

from tests.conftest import folder_counts
from tests.fixtures.real_sources import write_access_text_export


def imported_and_checked(cli, folder) -> list[dict]:
    assert cli("import", str(write_access_text_export(folder.parent / "县导出")), cwd=folder).code == 0
    assert cli("check", cwd=folder).code == 1
    return json.loads(cli("findings", "list", "--json", cwd=folder).out)



def test_waive_a_rule_in_a_village_then_the_whole_rule(cli, archive_dir):
    rows = imported_and_checked(cli, archive_dir)
    villages = sorted({r["village"] for r in rows if r["rule"] == "parcel_source_missing"})
    assert len(villages) == 2
    one = cli("findings", "waive", "--rule", "parcel_source_missing", "--village", villages[0],
              "--reason", "矢量图层在县里，另行移交", cwd=archive_dir)
    assert one.code == 0, one.err
    assert f"已豁免村“{villages[0]}”中规则 parcel_source_missing" in one.out and "待处理问题 1 条" in one.out
    waived = json.loads(cli("findings", "list", "--status", "waived", "--json", cwd=archive_dir).out)
    assert [(w["village"], w["waived_reason"]) for w in waived] == [(villages[0], "矢量图层在县里，另行移交")]
    documents = [r for r in rows if r["rule"] == "documents_missing"]
    whole = cli("findings", "waive", "--rule", "documents_missing", "--reason", "纸质档案另行补扫", cwd=archive_dir)
    assert whole.code == 0 and f"待处理问题 {len(documents)} 条" in whole.out
    waived = json.loads(cli("findings", "list", "--status", "waived", "--rule", "documents_missing", "--json",
                            cwd=archive_dir).out)
    assert sorted(w["id"] for w in waived) == sorted(r["id"] for r in documents)
    nothing = cli("findings", "waive", "--rule", "documents_missing", "--reason", "再来一次", cwd=archive_dir)
    assert nothing.code == 1 and "没有待处理的问题可豁免" in nothing.err


def test_the_single_form_still_works_and_the_village_finding_is_listed_by_its_village(cli, archive_dir):
    rows = imported_and_checked(cli, archive_dir)
    village = next(r for r in rows if r["rule"] == "parcel_source_missing")
    assert village["cbfbm"] is None and village["severity"] == "pending"
    human = cli("findings", "list", "--rule", "parcel_source_missing", cwd=archive_dir)
    assert f"（{village['village']}全村）" in human.out and "None" not in human.out
    assert cli("findings", "waive", str(village["id"]), "--reason", "另行补充", cwd=archive_dir).code == 0
    listed = json.loads(cli("findings", "list", "--status", "waived", "--json", cwd=archive_dir).out)
    assert [w["id"] for w in listed] == [village["id"]]
    checked = cli("check", "--rule", "parcel_source_missing", cwd=archive_dir)
    assert "待补充" in checked.out


def test_a_wrong_rule_or_village_is_a_chinese_error_and_nothing_changes(cli, archive_dir):
    imported_and_checked(cli, archive_dir)
    before = folder_counts(archive_dir)
    wrong_rule = cli("findings", "waive", "--rule", "parcel_boundries", "--reason", "理由", cwd=archive_dir)
    assert wrong_rule.code == 1 and "没有规则“parcel_boundries”" in wrong_rule.err
    wrong_village = cli("findings", "waive", "--rule", "documents_missing", "--village", "月球村", "--reason", "理由",
                        cwd=archive_dir)
    assert wrong_village.code == 1 and "找不到村“月球村”" in wrong_village.err
    no_reason = cli("findings", "waive", "--rule", "documents_missing", "--reason", " ", cwd=archive_dir)
    assert no_reason.code == 1 and "理由" in no_reason.err
    assert folder_counts(archive_dir) == before
    both = cli("findings", "waive", "1", "--rule", "documents_missing", "--reason", "理由", cwd=archive_dir)
    neither = cli("findings", "waive", "--reason", "理由", cwd=archive_dir)
    village_alone = cli("findings", "waive", "1", "--village", "东里村", "--reason", "理由", cwd=archive_dir)
    assert (both.code, neither.code, village_alone.code) == (2, 2, 2)
    assert "二者只能选一" in both.err and "--village 须与 --rule 同用" in village_alone.err
    assert folder_counts(archive_dir) == before
