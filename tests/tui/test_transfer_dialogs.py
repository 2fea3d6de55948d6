"""移交 from the keyboard at 80×24: adding a village lists the files it refused with their reasons and
lets the archivist pass some with one reason; sending first says what goes, the last 四性检测 and
that it cannot be undone; the new batch goes to the county archive config.toml names."""

import json

from sqlalchemy import select
from textual.widgets import DataTable, Input

from archive_tui.bootstrap import context_for
from archive_tui.db.tables import AUDIT
from archive_tui.services.transfers import transfers
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.confirm import ConfirmScreen
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from archive_tui.tui.screens.refused_files import RefusedFilesScreen
from archive_tui.tui.screens.send_confirm import SendWithReasonScreen
from archive_tui.tui.screens.transfers import TransfersScreen
from tests.tui.test_app import settle, table_rows, text_of
from tests.tui.test_scans_screen import wait_for
from tests.tui.transfer_township import ERRORS, refusing_township

SIZE = (80, 24)
REASON = "农户外出务工签字另补"  # typed key by key (the pilot has no key for a full-width comma)


def audit_events(engine, action: str) -> list[dict]:
    with engine.connect() as connection:
        return [json.loads(after) for after in connection.execute(
            select(AUDIT.c.after).where(AUDIT.c.action == action).order_by(AUDIT.c.id)).scalars()]


async def add_village(app, pilot, village: str) -> None:
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
    app.screen.query_one("#field-village", Input).value = village
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RefusedFilesScreen)
                   and app.screen.query_one("#refused-files", DataTable).row_count > 0)



async def refused_of(app, pilot, number: str, village: str):
    """The refused-files dialog of adding ``village`` to batch ``number`` (selected in the list)."""
    await settle(app, pilot)
    table = app.screen.query_one("#batches", DataTable)
    table.move_cursor(row=[row[0] for row in table_rows(table)].index(number))
    await add_village(app, pilot, village)
    return app.screen

async def test_adding_a_village_lists_each_refused_file_with_its_reasons(config, engine):
    township = refusing_township(engine, config)
    rows, other = township["households"], township["other"]
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await refused_of(app, pilot, number, rows[0]["village"])
        assert text_of(dialog.query_one("#refused-title")) == f"批次 {number}：已加入 3 卷，以下 5 卷不合格未加入"
        listed = {row[1]: row for row in table_rows(dialog.query_one("#refused-files", DataTable))}
        assert list(listed) == [row["archive_code"] for row in rows[:5]]
        assert listed[rows[0]["archive_code"]][0] == "不可"  # in another batch: no reason lets it through
        assert listed[rows[0]["archive_code"]][3] == f"已在移交批次 {other} 中"
        assert listed[rows[2]["archive_code"]][3] == "质检未通过：2 个待处理问题"
        assert listed[rows[4]["archive_code"]][3] == "必备文件不全"
        assert listed[rows[1]["archive_code"]][2] == rows[1]["name"][:4]
        # the detail pane: the highlighted file's reasons in full
        assert "不能放行：已在移交批次" in text_of(dialog.query_one("#refused-detail-text"))
        await pilot.press("down", "down")
        detail = text_of(dialog.query_one("#refused-detail-text"))
        assert rows[2]["archive_code"] in detail and all(message in detail for message in ERRORS[2])
        await pilot.press("down", "down")
        assert f"缺少{township['missing']}" in text_of(dialog.query_one("#refused-detail-text"))
        # a file no reason lets through cannot be marked
        await pilot.press("up", "up", "up", "up", "space")
        assert "不能放行" in text_of(dialog.query_one("#refused-error"))
        assert dialog.marked == set()


async def test_two_refused_files_are_let_through_with_one_reason(config, engine):
    township = refusing_township(engine, config)
    rows = township["households"]
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await refused_of(app, pilot, number, rows[0]["village"])
        await pilot.press("down", "space", "space")  # the second and the third (space goes on to the next)
        assert dialog.marked == {rows[1]["archive_code"], rows[2]["archive_code"]}
        assert [row[0] for row in table_rows(dialog.query_one("#refused-files", DataTable))] == \
            ["不可", "✓", "✓", "", ""]
        await pilot.press("enter")  # no reason yet: asked for, nothing added
        reason = dialog.query_one("#refused-reason", Input)
        assert app.focused is reason and "放行理由" in text_of(dialog.query_one("#refused-error"))
        await pilot.press(*REASON)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TransfersScreen))
        await settle(app, pilot)
        items = {row[0]: row for row in table_rows(app.screen.query_one("#items", DataTable))}
        assert items[rows[1]["archive_code"]][4] == REASON
    shown = {item["archive_code"]: item["override"] for item in transfers.show(engine, number)["items"]}
    assert {code for code, why in shown.items() if why} == {rows[1]["archive_code"], rows[2]["archive_code"]}
    assert set(shown.values()) == {"", REASON} and len(shown) == 5  # three good ones and the two let through
    assert rows[3]["archive_code"] not in shown and rows[4]["archive_code"] not in shown
    assert audit_events(engine, "transfer.add")[-1] == {"added": 2, "override": REASON, "refused": 0}


async def test_closing_the_refused_list_adds_none_of_them(config, engine):
    township = refusing_township(engine, config)
    number = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆"))
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#batches", DataTable)
        table.move_cursor(row=[row[0] for row in table_rows(table)].index(number))
        await add_village(app, pilot, township["households"][0]["village"])
        await pilot.press("a")  # all that may go marked …
        assert len(app.screen.marked) == 4
        app.screen.query_one("#refused-reason", Input).focus()
        await pilot.press("a", "space", "b")  # in the reason field the keys are text, not 全选 or 标记
        assert app.screen.query_one("#refused-reason", Input).value == "a b" and len(app.screen.marked) == 4
        await pilot.press("escape")  # … and the list closed
        await wait_for(pilot, lambda: isinstance(app.screen, TransfersScreen))
        await settle(app, pilot)
    assert transfers.show(engine, number)["files"] == 3


async def test_sending_says_what_goes_and_esc_sends_nothing(config, engine):
    township = refusing_township(engine, config)
    ctx = context_for(engine, config)
    number = transfers.new_batch(ctx, transfers.Batch("正定县档案馆"))
    rows = township["households"]
    transfers.add(ctx, number, [row["archive_code"] for row in rows[1:]], override="县档案馆同意先接收")
    batch = transfers.show(engine, number)
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#batches", DataTable)
        table.move_cursor(row=[row[0] for row in table_rows(table)].index(number))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        said = text_of(app.screen.query_one("#confirm-what"))
        assert f"户卷 7 卷（其中放行 4 卷）、综合档案 0 件，共 {batch['pages']:,} 页" in said
        assert "四性检测：未检测" in said and "清单冻结" in said
        assert "不能撤销" in text_of(app.screen.query_one("#confirm-hint"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, TransfersScreen))
        await settle(app, pilot)
        assert transfers.show(engine, number)["status"] == "draft"
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, TransfersScreen))
        await settle(app, pilot)
        assert table_rows(app.screen.query_one("#batches", DataTable))[1][1] == "已移交待接收"
    assert transfers.show(engine, number)["status"] == "sent"


async def test_a_failed_check_is_shown_and_its_reason_asked_in_the_same_confirmation(config, engine):
    from archive_tui.services.transfers.transfer_checks import check_transfer

    township = refusing_township(engine, config)
    ctx = context_for(engine, config)
    number = township["other"]
    check_transfer(ctx, number)  # the demo's 卷内目录 counts pages never scanned: 完整性 fails
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SendWithReasonScreen))
        said = text_of(app.screen.query_one("#send-what"))
        assert "户卷 1 卷" in said and "四性检测：完整性不通过" in said and "WZ-" in said
        assert "不能撤销" in text_of(app.screen.query_one("#send-why"))
        assert app.focused is app.screen.query_one("#field-override", Input)
        await pilot.press("enter")  # no reason: not sent
        await settle(app, pilot)
        assert isinstance(app.screen, SendWithReasonScreen)
        assert "理由" in text_of(app.screen.query_one("#error-override"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, TransfersScreen))
        assert transfers.show(engine, number)["status"] == "draft"
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SendWithReasonScreen))
        await pilot.press(*"卷内目录页数待县里核对")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TransfersScreen))
        await settle(app, pilot)
    assert transfers.show(engine, number)["status"] == "sent"
    sent = audit_events(engine, "transfer.send")[-1]
    assert sent["override"] == "卷内目录页数待县里核对" and sent["check"] == ["完整性"]


async def test_the_new_batch_goes_by_default_to_the_configured_county_archive(config, engine):
    config.settings.county.archive_name = "巫溪县档案馆"
    refusing_township(engine, config)
    app = ArchiveApp(config, engine, section="transfers")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
        receiver = app.screen.query_one("#field-to", Input)
        assert receiver.value == "巫溪县档案馆" and receiver.placeholder == "如 巫溪县档案馆"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TransfersScreen))
        await settle(app, pilot)
        batches = app.screen.query_one("#batches", DataTable)
        [new] = [row for row in table_rows(batches) if row[2] == "巫溪县档案馆"]
        assert app.screen.selected() == new[0]  # the batch just made is the one selected
        assert "草稿：a 加入一个村" in text_of(app.screen.query_one("#transfer-summary"))
