"""证书: the issue rate, the register, the outstanding lists and the destruction batches."""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Select, Static, TabbedContent, TabPane

from archive_tui.core.paths import safe_part
from archive_tui.core.errors import ArchiveError
from archive_tui.services.households.archive_files import short_group
from archive_tui.services.registers.certificates import (
    ACTION_FIELDS, ACTION_LABELS, CONDITIONS, OUTSTANDING, STATUS_LABELS, BatchForm, add_to_batch, apply_action,
    certificate_history, close_batch, form_defaults, issue_report, latest_open_batch, list_batches,
    list_certificates, new_batch, parse_day, refusal, report_total,
)
from archive_tui.tui.actions import run_action
from archive_tui.tui.screens.fields_form import ask
from archive_tui.tui.widgets.plain import PlainTable
from archive_tui.tui.screens.section import SectionScreen
from models.codes import Relation

LIST_LIMIT = 500
TEXT = {
    "summary": "发证率 [b]{issue_rate:.1f}%[/b]（{issued:,}/{households:,} 户）· 新证未发 {new_not_issued:,} · "
               "旧证未收回 {old_not_recalled:,} · 已收回未销毁 {recalled_not_destroyed:,}",
    "tabs": {"report": "发证率", "register": "证书登记", **OUTSTANDING, "batches": "销毁清册"},
    "report": ("村", "组", "户数", "已发证", "发证率", "新证未发", "旧证未收回", "未销毁"),
    "certificates": ("证书编号", "批次", "状态", "户主", "村组", "领取日期", "领取人"),
    "batches": ("清册编号", "状态", "证书数", "销毁日期", "批准文号"),
    "search": "按户主姓名或承包方编码筛选，回车确定",
    "status": "全部状态",
    "refresh": "刷新",
    "done": "已{action}：{serial}",
    "no_row": "请先选中一个证书",
    "no_batch": "请先在“销毁清册”页按 n 新建销毁清册",
    "added": "已将 {serial} 列入销毁清册 {batch}",
    "closed": "销毁清册 {batch} 已关闭，{count} 个证书记为已销毁",
    "more": "（只列出前 {limit} 个）",
    "open": "未关闭", "closed_state": "已关闭",
}
HINTS = {"date": "YYYY-MM-DD，留空为今天", "relation": "户主本人留空；代领写 配偶、儿子…（F4 从列表选）",
         "condition": "F4 从列表选", "collector": "户主本人领取时不改",
         "proxy_letter": "代领时必填：委托书扫描件路径或编号", "collector_id": "18位身份证号码"}
BATCH_FIELDS = [("approval", "批准文号", ""), ("approver", "批准人", ""), ("appraisal_head", "鉴定组长", ""),
                ("supervisors", "监销人", "两人，用逗号分开"), ("method", "销毁方式", ""), ("place", "销毁地点", ""),
                ("date", "销毁日期", "YYYY-MM-DD")]
CERT_TABS = ("register", *OUTSTANDING)
TABS = ("report", *CERT_TABS, "batches")
ACTION_KEYS = (("f", "issue"), ("r", "recall"), ("l", "lost"), ("x", "cancel"), ("b", "reissue"), ("h", "replace"))


class CertificatesScreen(SectionScreen):
    BINDINGS = [
        # 注销, 补发 and 换发 are in the help, not the footer: it must fit 80 columns
        *(Binding(key, f"act('{action}')", ACTION_LABELS[action], show=key not in "xbh")
          for key, action in ACTION_KEYS),
        Binding("n", "new_batch", "新清册"),
        Binding("d", "add_to_batch", "列入"),
        Binding("k", "close_batch", "关闭"),
        Binding("p", "print_batch", "打印"),
        Binding("f5", "refresh", TEXT["refresh"], show=False),
    ]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"new_batch": "新建清册", "add_to_batch": "列入清册", "close_batch": "关闭清册（销毁）"}
    DEFAULT_CSS = """
    #cert-summary { padding: 0 1; height: auto; }
    #cert-tabs { height: 1fr; }
    #cert-tabs TabPane { height: 1fr; padding: 0; }
    CertificatesScreen DataTable { height: 1fr; }
    #register-filters { height: 1; }
    #register-search { border: none; height: 1; width: 2fr; padding: 0 1; }
    #register-status { width: 1fr; height: 1; border: none; }
    #register-status > SelectCurrent { border: none; height: 1; padding: 0 1; }
    #cert-detail { height: auto; max-height: 6; padding: 0 1; color: $text-muted; }
    """

    def __init__(self):
        super().__init__()
        self.search = ""
        self.status: str | None = None
        self.detail_serial = ""  # the certificate the detail line shows

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="cert-summary")
        with TabbedContent(id="cert-tabs", initial="tab-register"):
            for key in TABS:
                with TabPane(TEXT["tabs"][key], id=f"tab-{key}"):
                    if key == "register":
                        with Horizontal(id="register-filters"):
                            yield Input(placeholder=TEXT["search"], id="register-search")
                            yield Select([(label, code) for code, label in STATUS_LABELS.items()],
                                         prompt=TEXT["status"], id="register-status")
                    yield PlainTable(id=f"table-{key}", cursor_type="row", zebra_stripes=True)
        yield Static("", id="cert-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for key in TABS:
            columns = TEXT[key] if key in ("report", "batches") else TEXT["certificates"]
            self.query_one(f"#table-{key}", DataTable).add_columns(*columns)
        self.query_one("#table-register", DataTable).focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        search, status = self.search, self.status
        run_action(self, lambda: self.load_registers(search, status), done=lambda found: self.show_registers(*found),
                   description="证书登记簿", group="certificates", exclusive=True)

    def load_registers(self, search: str, status: str | None) -> tuple:
        engine = self.app.engine
        report = issue_report(engine, by_group=True)
        lists = {"register": list_certificates(engine, household=search or None, status=status, limit=LIST_LIMIT)}
        for kind in OUTSTANDING:
            lists[kind] = list_certificates(engine, outstanding=kind, limit=LIST_LIMIT)
        batches = list_batches(engine)
        return report, lists, batches

    def show_registers(self, report: list[dict], lists: dict[str, list[dict]], batches: list[dict]) -> None:
        total = report_total(report)
        self.query_one("#cert-summary", Static).update(TEXT["summary"].format(**total))
        settings = self.app.config.settings
        short = self.app.size.width < 100  # 旧证 / 新证 / 延包: at 80 columns the 领证人 column shows whole
        report_table = self.query_one("#table-report", DataTable)
        report_table.clear()
        for row in report + [total]:
            report_table.add_row(row["village"], row.get("group", ""), f"{row['households']:,}", f"{row['issued']:,}",
                                 f"{row['issue_rate']:.1f}%", f"{row['new_not_issued']:,}",
                                 f"{row['old_not_recalled']:,}", f"{row['recalled_not_destroyed']:,}")
        for key in CERT_TABS:
            table = self.query_one(f"#table-{key}", DataTable)
            keep = table.cursor_row  # the archivist stays on the row just acted on
            table.clear()
            for row in lists[key]:
                table.add_row(row["serial"], settings.generation_label(row["generation"], row["campaign"], short),
                              STATUS_LABELS.get(row["status"], row["status"]), row["name"],
                              f"{row['village']}{short_group(row['group'])}", row["collected_on"] or "",
                              row["collector"],
                              key=row["serial"])
            if table.row_count:
                table.move_cursor(row=min(keep, table.row_count - 1))
        batch_table = self.query_one("#table-batches", DataTable)
        batch_table.clear()
        for row in batches:
            state = TEXT["open"] if row["status"] == "open" else TEXT["closed_state"]
            batch_table.add_row(row["batch"], state, str(row["certificates"]), row["destroyed_on"] or "",
                                row["approval_doc"], key=row["batch"])
        if self.detail_serial:  # the certificate shown below may have changed (a batch closed: 已销毁)
            self.show_detail(self.detail_serial)

    @on(Input.Submitted, "#register-search")
    def filter_by_text(self, event: Input.Submitted) -> None:
        self.search = event.value.strip()
        self.action_refresh()

    @on(Select.Changed, "#register-status")
    def filter_by_status(self, event: Select.Changed) -> None:
        self.status = None if event.select.is_blank() else str(event.value)
        self.action_refresh()

    def _current_table(self) -> tuple[str, DataTable]:
        key = self.query_one("#cert-tabs", TabbedContent).active.removeprefix("tab-")
        return key, self.query_one(f"#table-{key}", DataTable)

    def _selected(self, tabs: tuple[str, ...]) -> str | None:
        key, table = self._current_table()
        if key not in tabs or table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(TabbedContent.TabActivated)
    def focus_the_list(self, event: TabbedContent.TabActivated) -> None:
        key = (event.pane.id or "").removeprefix("tab-")
        self.query_one(f"#table-{key}", DataTable).focus()

    @on(DataTable.RowHighlighted)
    def show_history(self, event: DataTable.RowHighlighted) -> None:
        key = (event.data_table.id or "").removeprefix("table-")
        if key in CERT_TABS and key == self._current_table()[0] and event.row_key.value:
            self.show_detail(event.row_key.value)

    def show_detail(self, serial: str) -> None:
        """The certificate's line and its latest events under the lists, read afresh."""
        self.detail_serial, detail = serial, self.query_one("#cert-detail", Static)
        run_action(self, lambda: self.load_history(serial), done=detail.update, description="证书经过",
                   group="certificate-history", exclusive=True)

    def load_history(self, serial: str) -> str:
        certificate, events = certificate_history(self.app.engine, serial)
        lines = [f"{serial}  {certificate['household_name']}  {STATUS_LABELS.get(certificate['status'], '')}"]
        lines += [f"  {e['happened_on'] or ''} {ACTION_LABELS.get(e['kind'], e['kind'])} {e['person_name']} "
                  f"{e['reason']}（{e['operator']}）" for e in events[-4:]]
        return "\n".join(lines)

    def action_act(self, action: str) -> None:
        serial = self._selected(CERT_TABS)
        if serial is None:
            self.notify(TEXT["no_row"])
            return
        app = self.app
        certificate, _events = certificate_history(app.engine, serial)
        why_not = refusal(action, certificate["status"])
        if why_not:
            self.notify(f"证书 {serial}{why_not}", severity="warning")
            return
        title = (f"{ACTION_LABELS[action]}证书 {serial}  {certificate['household_name']}  "
                 f"当前：{STATUS_LABELS.get(certificate['status'], '')}")
        fields = [(key, label, HINTS.get(key, "")) for key, label in ACTION_FIELDS[action]]

        def submit(values: dict[str, str]) -> str:
            apply_action(app.context, serial, action, values)
            return TEXT["done"].format(action=ACTION_LABELS[action], serial=serial)

        relations = [(f"{relation.label}（{relation.value}）", relation.label) for relation in Relation]
        conditions = [(condition, condition) for condition in CONDITIONS]
        ask(self, title, fields, submit, ACTION_LABELS[action], values=form_defaults(app.engine, serial, action),
            choices={"relation": relations, "condition": conditions})

    def action_add_to_batch(self) -> None:
        serial = self._selected(CERT_TABS)
        if serial is None:
            self.notify(TEXT["no_row"])
            return
        batch = latest_open_batch(self.app.engine)
        if batch is None:
            self.notify(TEXT["no_batch"], severity="warning")
            return
        self._run(lambda: add_to_batch(self.app.context, batch, [serial]),
                  TEXT["added"].format(serial=serial, batch=batch),
                  then=lambda: self._current_table()[1].action_cursor_down())  # on to the next certificate

    def action_new_batch(self) -> None:
        app = self.app

        def submit(values: dict[str, str]) -> str:
            day = parse_day(values["date"])
            if day is None:
                raise ArchiveError("请填写销毁日期", field="date")
            number = new_batch(app.context, BatchForm(
                values["approval"], values["approver"], re.split(r"[,，、]", values["supervisors"]), values["method"],
                values["place"], day, values["appraisal_head"]))
            return f"已新建销毁清册 {number}"

        ask(self, "新建销毁清册", BATCH_FIELDS, submit, "新建")

    def action_close_batch(self) -> None:
        batch = self._selected(("batches",))
        if batch is None:
            return
        from archive_tui.services.registers.certificates import batch_details
        from archive_tui.tui.screens.confirm import confirm

        header, items = batch_details(self.app.engine, batch)
        lines = [f"{len(items)} 个证书记为“已销毁”（销毁日期 {header['destroyed_on']}，{header['method']}，"
                 f"监销人 {header['supervisors']}）。", "清册关闭后不能再改。"]
        confirm(self, f"关闭销毁清册 {batch}", lines, lambda: self._run(lambda: TEXT["closed"].format(
            batch=batch, count=close_batch(self.app.context, batch))))

    def action_print_batch(self) -> None:
        from archive_tui.services.registers.certificate_forms import print_destruction_register

        batch = self._selected(("batches",))
        if batch is None:
            return
        path = self.app.config.exports / safe_part(f"销毁清册-{batch}.pdf")
        made_files: list = []

        def step() -> str:
            from archive_tui.services.admin.printer import make_known

            result = print_destruction_register(self.app.context, batch, path)
            made_files.append(result.path)
            made, _sent = make_known(self.app.config, result.path)
            return made + result.warning_note()

        self._run(step, then=lambda: self.app.offer_files(*made_files))

    def _run(self, step, message: str | None = None, then=None) -> None:
        """Carry out one action in a worker (tui.actions): its Chinese refusal is shown, nothing else
        changes; on success its message, the lists read again, then ``then()``."""

        def done(result: object) -> None:
            self.notify(message or str(result))
            self.action_refresh()
            if then is not None:
                then()

        run_action(self, step, done=done, description="证书操作", group="certificate-action")
