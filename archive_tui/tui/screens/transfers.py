"""移交: batches to the county archive — build, print, package, send and track them."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from archive_tui.core.errors import ArchiveError
from archive_tui.core.paths import safe_part
from archive_tui.core.states import BATCH_STATUS, BatchStatus, refusal
from archive_tui.services.transfers import transfer_forms
from archive_tui.services.transfers import transfers
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.registers.copies import STATUS_LABELS as COPY_STATUS
from archive_tui.tui.actions import run_action
from archive_tui.tui.screens.fields_form import FieldsFormScreen, ask
from archive_tui.tui.screens.receive_batch import ReceiveBatchScreen
from archive_tui.tui.screens.refused_files import RefusedFilesScreen
from archive_tui.tui.screens.section import role_allows
from archive_tui.tui.screens.send_confirm import SendWithReasonScreen, send_confirmation
from archive_tui.tui.widgets.plain import PlainTable
from archive_tui.tui.screens.section import SectionScreen

TEXT = {
    "batches": ("批次", "状态", "接收单位", "份别", "卷数", "页数"),
    # the long 案卷题名 last: at 80 columns the screen's edge cuts it, not 状态 or 放行理由
    "items": ("档号", "户主", "页数", "状态", "放行理由", "案卷题名"),
    "summary": "{count} 个移交批次", "none": " · n 新建批次",
    "keys": " · {status}：{keys}",  # the keys that work on the selected batch, as its state allows
    "new": "新建移交批次", "add": "加入一个村的案卷", "return": "退回整批",
    "pick": "请先选中一个移交批次",
    "receiver": "如 {name}",
    "village": "请填写村名或村代码",
    "added": "已加入 {added:,} 卷",
    "empty": "移交批次 {batch} 中还没有案卷",
    "sent": "批次 {batch} 已移交，{count:,} 卷（件）记为移交中",
}
# per state of the selected batch: (action, what the summary line calls it)
STATE_KEYS = {
    BatchStatus.DRAFT: [("add", "a 加入一个村"), ("check", "k 四性检测"), ("send", "s 移交"),
                        ("manifest", "m 打印清单"), ("package", "p 打包")],
    BatchStatus.SENT: [("close", "c 接收完毕"), ("return_batch", "r 退回"), ("manifest", "m 打印清单"),
                       ("package", "p 打包")],
}
OTHER_KEYS = [("manifest", "m 打印清单"), ("package", "p 打包")]
NEW_FIELDS = [("to", "接收单位", ""), ("handed_over_by", "移交人", ""), ("received_by", "接收人", ""),
              ("supervised_by", "监交人", ""), ("note", "备注", "")]
ADD_FIELDS = [("village", "村", "村名或村代码；不合格的卷随后列出，可写明理由放行")]


class TransfersScreen(SectionScreen):
    BINDINGS = [
        Binding("n", "new", "新建"),
        Binding("a", "add", "加入"),
        Binding("k", "check", "检测"),
        Binding("s", "send", "移交"),
        Binding("m", "manifest", "清单"),
        # not in the footer (it must fit 80 columns): the summary line names them when the selected batch allows
        Binding("p", "package", "打包", show=False),
        Binding("c", "close", "接收", show=False),
        Binding("r", "return_batch", "退回", show=False),
        Binding("f5", "refresh", "刷新", show=False),
    ]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"new": "新建批次", "add": "加入一个村，放行不合格的", "check": "四性检测",
                "send": "移交（先确认）", "package": "生成移交包", "close": "接收完毕（逐卷核对）"}
    DEFAULT_CSS = """
    #transfer-summary { padding: 0 1; height: auto; }
    #batches { height: 1fr; }
    #items { height: 2fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.batch_states: dict[str, str] = {}  # batch → status, as last listed
        self.new_number: str | None = None  # a batch just made, to select when the list is read again

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="transfer-summary")
        yield PlainTable(id="batches", cursor_type="row", zebra_stripes=True)
        yield PlainTable(id="items", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#batches", DataTable).add_columns(*TEXT["batches"])
        self.query_one("#items", DataTable).add_columns(*TEXT["items"])
        self.query_one("#batches", DataTable).focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        run_action(self, self.load_batches, done=self.show_batches, description="移交批次", group="transfers",
                   exclusive=True)

    def load_batches(self) -> list[dict]:
        rows = transfers.list_batches(self.app.engine)
        return rows

    def show_batches(self, rows: list[dict]) -> None:
        self.batch_states = {row["batch"]: row["status"] for row in rows}
        table = self.query_one("#batches", DataTable)
        keep = table.cursor_row
        table.clear()
        for row in rows:
            table.add_row(row["batch"], transfers.STATUS_LABELS[row["status"]], row["to"], LEVEL_LABELS[row["level"]],
                          f"{row['files']:,}", f"{row['pages']:,}", key=row["batch"])
        if self.new_number in self.batch_states:  # a batch just made: the one to work on
            keep = list(self.batch_states).index(self.new_number)
            self.new_number = None
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
            self.show_items(self.selected())
        self.show_summary(self.selected())

    def show_summary(self, number: str | None) -> None:
        """How many batches, and the keys that work on the selected one (as its state and the account allow)."""
        text = TEXT["summary"].format(count=len(self.batch_states))
        state = self.batch_states.get(number) if number else None
        keys = [label for action, label in STATE_KEYS.get(state, OTHER_KEYS) if role_allows(self.app, action)]
        if state is None:
            text += TEXT["none"] if role_allows(self.app, "new") else ""
        elif keys:
            text += TEXT["keys"].format(status=transfers.STATUS_LABELS[state], keys=" · ".join(keys))
        self.query_one("#transfer-summary", Static).update(text)

    @on(DataTable.RowHighlighted, "#batches")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_items(event.row_key.value)
        self.show_summary(event.row_key.value)

    def show_items(self, number: str | None) -> None:
        table = self.query_one("#items", DataTable)
        table.clear()
        if number is None:
            return
        for item in transfers.show(self.app.engine, number)["items"]:
            status = transfers.RESULT_LABELS.get(item["status"]) or COPY_STATUS.get(item["status"], item["status"])
            table.add_row(item["archive_code"], item["household"], str(item["pages"]), status, item["override"],
                          item["title"])

    def selected(self) -> str | None:
        table = self.query_one("#batches", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _with_batch(self, step, then=None) -> None:
        """``step(number)`` on the selected batch in a worker (tui.actions): its message, the lists
        read again, then ``then()``; a refusal is shown and nothing changes."""
        number = self.selected()
        if number is None:
            self.notify(TEXT["pick"])
            return

        def done(message: str) -> None:
            self.notify(message)
            self.action_refresh()
            if then is not None:
                then()

        run_action(self, lambda: step(number), done=done, description=f"移交批次 {number}", group="transfer-action")

    def action_new(self) -> None:
        app = self.app
        receiver = app.config.settings.county.archive_name  # the county archive config.toml names

        def submit(values: dict[str, str]) -> str:
            number = transfers.new_batch(app.context, transfers.Batch(
                values["to"], values["note"], handed_over_by=values["handed_over_by"],
                received_by=values["received_by"], supervised_by=values["supervised_by"]))
            self.new_number = number
            return f"已新建移交批次 {number}"

        fields = [(key, label, TEXT["receiver"].format(name=receiver) if key == "to" else hint)
                  for key, label, hint in NEW_FIELDS]
        ask(self, TEXT["new"], fields, submit, "新建", values={"to": receiver})

    def action_add(self) -> None:
        """A village's files into the batch: the good ones at once, then the refused ones listed with
        their reasons (RefusedFilesScreen), to let through with a reason or leave out."""
        number, app = self.selected(), self.app
        if number is None:
            self.notify(TEXT["pick"])
            return

        def submit(values: dict[str, str]) -> tuple:
            village = values["village"].strip()
            if not village:
                raise ArchiveError(TEXT["village"], field="village")
            result = transfers.add(app.context, number, village=village, skip_refused=True)
            refused = transfers.refused_files(app.engine, app.config, number, village=village) if result.refused else []
            return result, refused

        def added(answer: tuple | None) -> None:
            if answer is None:
                return
            result, refused = answer
            self.action_refresh()
            if refused:
                app.push_screen(RefusedFilesScreen(number, result.added, refused), self.let_through)
            else:
                self.notify(TEXT["added"].format(added=result.added))

        app.push_screen(FieldsFormScreen(TEXT["add"], ADD_FIELDS, submit, "加入"), added)

    def let_through(self, message: str | None) -> None:
        if message:
            self.notify(message)
        self.action_refresh()

    def action_send(self) -> None:
        """移交 after a confirmation saying what goes, the last 四性检测 and that it cannot be undone;
        a failed check's reason is asked in that same dialog."""
        number, app = self.selected(), self.app
        if number is None:
            self.notify(TEXT["pick"])
            return
        summary = transfers.send_summary(app.engine, number)
        refused = refusal(BATCH_STATUS, summary["status"], BatchStatus.SENT, action="再次移交")
        if refused:
            self.notify(f"移交批次 {number} {refused}", severity="error")
            return
        if not summary["files"] and not summary["record_items"]:
            self.notify(TEXT["empty"].format(batch=number), severity="error")
            return

        def send(override: str = "") -> str:
            return TEXT["sent"].format(batch=number, count=transfers.send(app.context, number, override=override))

        if summary["check"]["blocking"]:  # refused unless the archivist writes why it goes anyway
            app.push_screen(SendWithReasonScreen(summary, send), self.let_through)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._with_batch(lambda _number: send())

        app.push_screen(send_confirmation(summary), answered)

    def action_check(self) -> None:
        number = self.selected()
        if number is None:
            self.notify(TEXT["pick"])
            return
        self.check_batch(number)

    def check_batch(self, number: str) -> None:
        """四性检测 of the batch in the background, its progress in the summary line."""
        from archive_tui.services.transfers.transfer_checks import check_transfer
        from archive_tui.tui.screens.check_report import CheckReportScreen

        app = self.app
        out = app.config.exports / safe_part(f"四性检测-{number}.pdf")

        def checked(report) -> None:
            self.action_refresh()
            app.push_screen(CheckReportScreen(report, out))
            app.offer_files(out)

        run_action(self, lambda: self._check(check_transfer, number, out), done=checked,
                   description=f"四性检测 {number}", group="transfer-check", exclusive=True)

    def _check(self, check_transfer, number: str, out) -> object:
        """In the worker: the check, its progress posted to the summary line."""
        app = self.app
        summary = self.query_one("#transfer-summary", Static)
        shown = [0]

        def progress(done: int, total: int) -> None:
            if done == total or done - shown[0] >= max(1, total // 50):
                shown[0] = done
                app.call_from_thread(summary.update, f"四性检测 {number}：已读 {done:,}/{total:,} 个文件……")

        report, _register = check_transfer(app.context, number, out=out, progress=progress)
        return report

    def action_manifest(self) -> None:
        app = self.app

        def step(number: str) -> str:
            exports = app.config.exports
            name = safe_part(f"移交清单-{number}")
            pdf = transfer_forms.manifest(app.context, number, exports / f"{name}.pdf")
            xlsx = transfer_forms.manifest(app.context, number, exports / f"{name}.xlsx")
            made_files.extend((pdf.path, xlsx.path))
            from archive_tui.services.admin.printer import make_known

            made, _sent = make_known(app.config, pdf.path)  # 已生成 …, and sent when [print] printer is set
            return f"{made}（及同名 .xlsx）{pdf.warning_note()}"

        made_files: list = []
        self._with_batch(step, then=lambda: app.offer_files(*made_files))

    def action_package(self) -> None:
        number = self.selected()
        if number is None:
            return
        self.notify(f"正在生成批次 {number} 的移交包……")
        self.package_batch(number)

    def package_batch(self, number: str) -> None:
        from archive_tui.services.transfers.transfer_bags import package

        app = self.app

        def packed(bags: list) -> None:
            self.notify("已生成移交包 " + "、".join(str(bag) for bag in bags))
            app.offer_files(*bags)

        run_action(self, lambda: package(app.context, number, app.config.exports / "移交包"), done=packed,
                   description=f"生成移交包 {number}", group="transfer-package", exclusive=True)

    def action_close(self) -> None:
        number, app = self.selected(), self.app
        if number is None:
            self.notify(TEXT["pick"])
            return
        batch = transfers.show(app.engine, number)
        if refusal(BATCH_STATUS, batch["status"], BatchStatus.RECEIVED):
            self.notify(f"移交批次 {number} {transfers.STATUS_LABELS[batch['status']]}，只有已移交待接收的批次才能接收",
                        severity="error")
            return

        def received(result: dict | None) -> None:
            if result is not None:
                self._with_batch(lambda n: self._received_message(
                    n, transfers.close(app.context, n, **result)))

        app.push_screen(ReceiveBatchScreen(batch), received)

    @staticmethod
    def _received_message(number: str, found: dict[str, list[str]]) -> str:
        gaps = "、".join(f"{transfers.RESULT_LABELS[kind]} {len(codes)} 卷" for kind, codes in found.items() if codes)
        return f"批次 {number} 已接收" + (f"（{gaps}）" if gaps else "（无差异）")

    def action_return_batch(self) -> None:
        number, app = self.selected(), self.app
        if number is None:
            self.notify(TEXT["pick"])
            return

        def submit(values: dict[str, str]) -> str:
            count = transfers.return_batch(app.context, number, values["reason"])
            return f"批次 {number} 已退回，{count} 卷回到本乡镇"

        files = transfers.show(app.engine, number)["files"]
        ask(self, f"{TEXT['return']}：批次 {number} 的 {files:,} 卷回到本乡镇（不能撤销）",
            [("reason", "退回原因", "")], submit, "退回")
