"""延包 from the command line: `import --campaign 延包`, `certs replace --campaign 延包 --village V`,
the old certificates then destroyed through the existing 销毁清册; bad input says why in Chinese."""

from __future__ import annotations

import json

from tests.conftest import folder_counts
from tests.fixtures.extension_sources import write_extension_export
from tests.fixtures.real_sources import write_access_text_export



def extended(cli, folder):
    assert cli("import", str(write_access_text_export(folder.parent / "县导出")), cwd=folder).code == 0
    done = cli("import", str(write_extension_export(folder.parent / "县延包导出")), "--campaign", "延包", cwd=folder)
    assert done.code == 0, done.err
    return done


def certificates(cli, folder, household) -> dict[str, dict]:
    listed = json.loads(cli("certs", "list", "--household", household, "--json", cwd=folder).out)
    return {row["serial"]: row for row in listed}


def test_the_extension_import_says_what_it_kept_and_added(cli, archive_dir):
    done = extended(cli, archive_dir)
    assert "已开展延包 7 户，尚未开展 2 户" in done.out
    assert "合同 5 份" in done.out and "延包案卷 7 卷" in done.out and "保留未改" in done.out
    again = cli("import", str(archive_dir.parent / "县延包导出"), "--campaign", "延包", cwd=archive_dir)
    assert again.code == 0 and "完全相同，未作任何改动" in again.out


def test_a_village_exchanges_its_certificates_and_the_old_ones_go_to_a_destruction_batch(cli, archive_dir):
    extended(cli, archive_dir)
    done = cli("certs", "replace", "--campaign", "延包", "--village", "东里村", cwd=archive_dir)
    assert done.code == 0, done.err
    # 赵志刚, 王振华, 阿依古丽 collected their new certificates; 张建国's is printed, not collected;
    # 李秀英 and 王五 have none yet
    assert "东里村：延包换发 3 本" in done.out
    assert "130123101001010001 张建国：延包新证 1301232026000002 尚未领取" in done.out
    zhao = certificates(cli, archive_dir, "130123101001000001")
    old = [serial for serial, row in zhao.items() if serial.startswith("1301232018")]
    assert old and all(zhao[serial]["status"] == "recalled" for serial in old)
    assert zhao["1301232026000001"]["status"] == "issued"
    history = cli("certs", "history", old[0], cwd=archive_dir).out
    assert "2026-07-01  收回" in history and "2026-07-01  换发" in history  # the day the new one was collected
    assert "新证书：1301232026000001；工作阶段：延包" in history and "{" not in history
    again = cli("certs", "replace", "--campaign", "延包", "--village", "东里村", cwd=archive_dir)
    assert "延包换发 0 本" in again.out and "此前已换发 3 本" in again.out
    made = cli("certs", "destroy-batch", "new", "--approval", "城政〔2026〕18号", "--approver", "李四", "--supervisors",
               "赵六,钱七", "--method", "粉碎", "--place", "镇政府档案室", "--date", "2026-07-20", cwd=archive_dir)
    assert made.code == 0, made.err
    added = cli("certs", "destroy-batch", "add", made.out.strip(), *old, cwd=archive_dir)
    assert added.code == 0, added.err
    closed = cli("certs", "destroy-batch", "close", made.out.strip(), cwd=archive_dir)
    assert closed.code == 0, closed.err
    zhao = certificates(cli, archive_dir, "130123101001000001")
    assert all(zhao[serial]["status"] == "destroyed" for serial in old)
    assert zhao["1301232026000001"]["status"] == "issued"


def test_a_household_with_a_dispute_open_is_passed_by_and_named(cli, archive_dir):
    extended(cli, archive_dir)
    assert cli("disputes", "add", "130123101001020001", "--subject", "与邻户地界争议", "--parties", "王振华、李四",
               "--date", "2026-06-01",
               cwd=archive_dir).code == 0
    done = cli("certs", "replace", "--campaign", "延包", "--village", "东里村", cwd=archive_dir)
    assert "130123101001020001 王振华：有未结的纠纷" in done.out
    zhao = certificates(cli, archive_dir, "130123101001020001")
    assert all(row["status"] == "issued" for row in zhao.values())


def test_bad_campaign_input_is_one_chinese_line_and_nothing_changes(cli, archive_dir):
    extended(cli, archive_dir)
    before = folder_counts(archive_dir)
    for args, words in (
        (("certs", "replace", "--campaign", "三延", "--village", "东里村"), "没有名为“三延”的工作阶段"),
        (("certs", "replace", "--campaign", "延包", "--village", "南庄村"), "没有名为或代码为“南庄村”的村"),
        (("certs", "replace", "--campaign", "延包"), "--village"),
        (("certs", "replace", "1301232018000001"), "--new"),
        (("import", str(archive_dir.parent / "县延包导出"), "--new-households"), "--campaign"),
    ):
        result = cli(*args, cwd=archive_dir)
        assert result.code == 1 and words in result.err, (args, result.err)
    assert folder_counts(archive_dir) == before


def test_the_forms_of_a_household_file_of_the_extension_follow_its_own_document_list(cli, archive_dir):
    from pypdf import PdfReader

    extended(cli, archive_dir)
    shown = json.loads(cli("show", "130123101001000001", "--json", cwd=archive_dir).out)
    code = shown["campaigns"][0]["archive_code"]
    out = archive_dir / "延包备考表.pdf"
    done = cli("print", "notes", code, "--out", str(out), cwd=archive_dir)
    assert done.code == 0, done.err
    text = "".join(page.extract_text() for page in PdfReader(out).pages).replace("\n", "")
    assert code in text
    assert "缺少的必备文件：身份证明材料、户口簿复印件" in text  # the 延包 list: Y02 alone is not dated by data
    assert "承包方调查表" not in text  # never the 确权 list
    contents = archive_dir / "延包目录.pdf"
    assert cli("print", "contents", code, "--out", str(contents), cwd=archive_dir).code == 0
    listed = "".join(page.extract_text() for page in PdfReader(contents).pages).replace("\n", "")
    assert "20260508" in listed  # the 延包 contract, dated as signed in the extension


def test_a_proxy_letter_for_an_extension_certificate_is_filed_into_the_extension_file(cli, archive_dir, tmp_path):
    from datetime import date

    from PIL import Image

    from tests.fixtures.real_sources import id_number

    extended(cli, archive_dir)
    letter = tmp_path / "委托书 扫描.jpg"
    Image.new("RGB", (400, 560), "white").save(letter, dpi=(300, 300))
    done = cli("certs", "issue", "1301232026000002", "--collector", "王桂英", "--collector-id",
               id_number(date(1964, 10, 30), 28), "--relation", "10", "--proxy-letter", str(letter),
               "--date", "2026-07-05", cwd=archive_dir)
    assert done.code == 0, done.err
    shown = json.loads(cli("show", "130123101001010001", "--json", cwd=archive_dir).out)
    [page] = json.loads(cli("scans", "list", "--status", "linked", "--json", cwd=archive_dir).out)
    assert page["archive_code"] == shown["campaigns"][0]["archive_code"] and page["doc_type"] == "Y06"


def test_an_extension_certificate_goes_out_only_after_confirming_publicity_and_signing(cli, archive_dir):
    from datetime import date

    from tests.fixtures.real_sources import id_number

    def without_signing(tables):  # 孙国强 confirmed and publicised, his certificate printed, not yet signed
        for row in tables["CBHT"]:
            if row["CBFBM"] == "130123101002010001":
                row["CBQXZ"], row["QDSJ"] = date(2028, 6, 30), date(2017, 7, 21)

    assert cli("import", str(write_access_text_export(archive_dir.parent / "县导出")), cwd=archive_dir).code == 0
    done = cli("import", str(write_extension_export(archive_dir.parent / "延包", edit=without_signing)),
               "--campaign", "延包", cwd=archive_dir)
    assert done.code == 0, done.err
    before = folder_counts(archive_dir)
    refused = cli("certs", "issue", "1301232026000008", "--collector", "孙国强", "--collector-id",
                  id_number(date(1965, 4, 4), 11), cwd=archive_dir)
    assert refused.code == 1 and "孙国强（130123101002010001）尚未签订延包合同" in refused.err, refused.err
    assert folder_counts(archive_dir) == before
    issued = cli("certs", "issue", "1301232026000002", "--collector", "张建国", "--collector-id",
                 id_number(date(1962, 5, 18), 17), cwd=archive_dir)
    assert issued.code == 0, issued.err


def test_boxing_a_village_keeps_each_campaign_in_boxes_of_its_own(cli, archive_dir):
    extended(cli, archive_dir)
    done = cli("copies", "box", "--village", "东里村", "--capacity", "4", cwd=archive_dir)
    assert done.code == 0, done.err
    copies = json.loads(cli("copies", "list", "--village", "东里村", "--level", "township", "--json",
                            cwd=archive_dir).out)
    boxes: dict[str, set[str]] = {}
    for copy in copies:
        boxes.setdefault(copy["box"], set()).add("延包" if "·2026-" in copy["archive_code"] else "确权")
    assert all(len(campaigns) == 1 for campaigns in boxes.values()), boxes
    assert sum(1 for campaigns in boxes.values() if campaigns == {"延包"}) == 2  # 6 延包 files, 4 a box


def test_a_finding_of_the_extension_names_the_extension_file(cli, archive_dir):
    extended(cli, archive_dir)
    assert cli("check", cwd=archive_dir).code == 1
    shown = json.loads(cli("show", "130123101001010003", "--json", cwd=archive_dir).out)
    [objection] = json.loads(cli("findings", "list", "--rule", "extension_objection", "--json", cwd=archive_dir).out)
    assert objection["cbfbm"] == "130123101001010003"
    assert objection["archive_code"] == shown["campaigns"][0]["archive_code"] != shown["archive_file"]["archive_code"]
    first = json.loads(cli("findings", "list", "--rule", "documents_missing", "--json", cwd=archive_dir).out)
    assert any(row["archive_code"] == shown["archive_file"]["archive_code"] for row in first)


def test_the_first_certificate_is_not_handed_out_once_the_extension_has_its_own(cli, archive_dir):
    from datetime import date

    from tests.fixtures.real_sources import id_number

    extended(cli, archive_dir)
    listed = certificates(cli, archive_dir, "130123101002010001")  # 孙国强 never collected his 2018 certificate
    assert listed["1301232018000008"]["status"] == "printed" and "1301232026000008" in listed
    text = cli("certs", "list", "--household", "130123101002010001", cwd=archive_dir).out
    assert "延包新证" in text  # the 批次 of the 2026 certificate
    before = folder_counts(archive_dir)
    refused = cli("certs", "issue", "1301232018000008", "--collector", "孙国强", "--collector-id",
                  id_number(date(1965, 4, 4), 11), cwd=archive_dir)
    assert refused.code == 1 and "已有延包证书 1301232026000008" in refused.err, refused.err
    assert folder_counts(archive_dir) == before


def test_show_gives_the_members_and_parcels_the_household_confirmed_in_the_extension_masked(cli, archive_dir):
    extended(cli, archive_dir)
    [later] = json.loads(cli("show", "130123101001010001", "--json", cwd=archive_dir).out)["campaigns"]
    assert later["steps"] == {"confirmed": "2026-03-11", "publicised": "2026-04-15", "objection": "",
                              "signed": "2026-05-09"}
    names = [member["name"] for member in later["members"]]
    assert "张子涵" in names and "张丽" not in names
    assert all("*" in member["id_number"] for member in later["members"])  # masked as everywhere in show
    assert [parcel["code"] for parcel in later["parcels"]][0].startswith("13012310100101")
    nothing = cli("import", str(archive_dir.parent / "县导出"), "--campaign", "延包", cwd=archive_dir)
    assert nothing.code == 0 and "中没有延包的数据" in nothing.out  # the 确权 export given as 延包
