"""What the 移交 dialogs read: the files ``add`` refuses, each with every reason (the same rules as
``add``), and what sending a batch hands over with its last 四性检测."""

from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.db.tables import FINDING, HOUSEHOLD
from archive_tui.services.transfers import transfers
from archive_tui.services.transfers.transfer_checks import check_transfer
from tests.tui.transfer_township import ERRORS, refusing_township


def test_the_refused_files_are_those_add_refuses_each_with_all_its_reasons(engine, config):
    township = refusing_township(engine, config)
    rows, other = township["households"], township["other"]
    with engine.begin() as connection:  # the file without a document also fails the check
        household = connection.execute(select(HOUSEHOLD.c.id).where(HOUSEHOLD.c.code == rows[4]["cbfbm"])).scalar()
        connection.execute(FINDING.insert().values(rule="unsigned", severity="error", household_id=household,
                                                   subject="合同", message="承包合同没有农户签字", status="open"))
    ctx = context_for(engine, config)
    number = transfers.new_batch(ctx, transfers.Batch("正定县档案馆"))
    village = rows[0]["village"]
    before = transfers.refused_files(engine, config, number, village=village)
    result = transfers.add(ctx, number, village=village, skip_refused=True)
    assert [f"{file.archive_code}（{file.household}）" for file in before] == \
        [line[:line.index("）") + 1] for line in result.refused]
    after = {file.archive_code: file for file in transfers.refused_files(engine, config, number, village=village)}
    assert list(after) == [file.archive_code for file in before] == [row["archive_code"] for row in rows[:5]]
    first = after[rows[0]["archive_code"]]
    assert [(reason.text, reason.may_override) for reason in first.reasons] == [(f"已在移交批次 {other} 中", False)]
    assert not first.may_override
    assert after[rows[2]["archive_code"]].reasons[0].details == ERRORS[2]
    both = after[rows[4]["archive_code"]]
    assert [reason.text for reason in both.reasons] == ["必备文件不全", "质检未通过：1 个待处理问题"]
    assert both.reasons[0].details == [f"缺少{township['missing']}"] and both.may_override
    # let through with a reason: the list is then empty of them
    transfers.add(ctx, number, [rows[1]["archive_code"], rows[4]["archive_code"]], override="县里同意")
    left = [file.archive_code for file in transfers.refused_files(engine, config, number, village=village)]
    assert left == [rows[0]["archive_code"], rows[2]["archive_code"], rows[3]["archive_code"]]


def test_a_file_in_transit_is_refused_for_its_batch_alone(engine, config):
    township = refusing_township(engine, config)
    ctx = context_for(engine, config)
    transfers.send(ctx, township["other"])
    number = transfers.new_batch(ctx, transfers.Batch("正定县档案馆"))
    first = transfers.refused_files(engine, config, number, [township["households"][0]["archive_code"]])
    assert [reason.text for reason in first[0].reasons] == [f"已在移交批次 {township['other']} 中"]


def test_the_send_summary_counts_what_goes_and_tells_the_last_check(engine, config):
    township = refusing_township(engine, config)
    ctx = context_for(engine, config)
    number = township["other"]
    summary = transfers.send_summary(engine, number)
    assert (summary["files"], summary["record_items"], summary["overridden"]) == (1, 0, 0)
    assert summary["pages"] == transfers.show(engine, number)["pages"] > 0
    assert summary["check"] == {"result": "unchecked", "checked_at": None, "properties": [], "items": [],
                                "changed_since": False, "blocking": []}
    check_transfer(ctx, number)
    check = transfers.send_summary(engine, number)["check"]
    assert check["result"] == "failed" and check["properties"] == ["完整性"] == check["blocking"]
    assert check["items"] and all(item["code"].startswith("WZ-") and item["count"] > 0 for item in check["items"])
    assert check["checked_at"] and not check["changed_since"]
    transfers.add(ctx, number, [township["households"][1]["archive_code"]], override="县里同意")
    summary = transfers.send_summary(engine, number)
    assert summary["check"]["changed_since"] and (summary["files"], summary["overridden"]) == (2, 1)
