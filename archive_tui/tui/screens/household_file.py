"""户卷: one household's file — members, parcels, documents, the three copies, certificates, findings.

A household a later campaign (延包 …) has reached has a file of each period: the summary names the
other (相关案卷), and the 两期 page shows the periods side by side (one under the other below 100
columns) — each one's file, contract, certificates and, for the later one, its steps."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from archive_tui import audit
from archive_tui.audit.wording import action_label, change_text
from archive_tui.services.quality.checks import rule_label
from archive_tui.services.households.editing import EDITABLE
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.registers.copies import ACTION_LABELS as COPY_ACTIONS
from archive_tui.services.registers.copies import STATUS_LABELS as COPY_STATUS
from archive_tui.services.registers.copies import copy_differences
from archive_tui.services.households.filters import FILE_STATUS_LABELS
from archive_tui.services.households.households import show_household
from archive_tui.tui.actions import report_failure
from archive_tui.tui.widgets.plain import PlainTable
from archive_tui.core.display import in_markup
from archive_tui.core.errors import ArchiveError
from archive_tui.services.households.disputes import STAGES
from archive_tui.tui.screens.section import SectionScreen, role_allows

PAGE_OF_ACTION = {"copy": "tab-copies", "catalogue": "tab-documents"}  # keys that work on one page
TEXT = {
    "back": "返回",
    "reveal": "证件号",
    "edit": "修改",
    "summary": "[b]{name}[/b]  承包方编码 {cbfbm}  {village}{group}\n"
               "档号 {archive_code}  {status}  {pages} 页  证件 {id_number}  电话 {phone}\n{title}",
    "no_file": "（尚未建立案卷）",
    "tabs": ("成员", "地块", "卷内文件", "三份", "证书", "纠纷", "利用", "问题", "历史"),
    "members": ("姓名", "性别", "与户主关系", "证件类型", "证件号码", "备注"),
    "parcels": ("地块编码", "名称", "面积(亩)", "东", "南", "西", "北", "基本农田"),
    "documents": ("文件", "日期", "必备", "在卷", "页数", "扫描", "签字", "文号", "责任者"),
    "unsorted": "（未分类的扫描页）",
    "pick_document": "请先在“卷内文件”页选中一个文件",
    "catalogue_title": "卷内文件著录：{title}",
    "catalogue_fields": [("dated", "日期", "YYYY-MM-DD"), ("doc_number", "文号", ""), ("responsible", "责任者", ""),
                         ("title", "题名", ""), ("page_count", "页数", "0：按扫描页数"), ("remark", "备注", ""),
                         ("scans", "归入扫描页", "本卷页号，如 1-3 或 1-3,5")],
    "catalogue_saved": "已保存：{fields}",
    "copies": ("份", "状态", "位置", "盒号", "缺件", "保管单位", "代管"),  # what 80 columns must show first
    "certificates": ("证书编号", "批次", "状态", "发证日期", "领取日期", "领取人"),
    "disputes": ("编号", "阶段", "争议事项", "当事人", "日期", "结果"),
    "uses": ("编号", "日期", "方式", "利用人", "单位", "目的", "页数", "归还"),
    "findings": ("规则", "问题", "状态"),
    "history": ("时间", "操作员", "操作", "对象", "改动"),
    "yes": "是", "no": "否", "present": "在卷", "missing": "缺",
    "differs": "{scans} ≠ {pages}",
    "unchecked": "未清点", "complete": "齐全",
    "pick_copy": "请先在“三份”页选中一份",
    "old": "旧证", "new": "新证", "unsigned": "未签", "signed": "已签",
    "related": "相关案卷 {files}",
    "periods_tab": "两期",
    "period_head": "[b]{campaign}[/b]  {label}{new}",
    "new_household": "（本阶段新增户）",
    "period_file": "档号　　{archive_code}  {status}  {pages} 页",
    "period_no_file": "档号　　（尚未建立案卷）",
    "period_contract": "合同　　{code}\n承包期限 {start} 至 {end}  签订 {signed}",
    "period_no_contract": "合同　　（无）",
    "period_certificate": "{lead}{serial}  {generation}  {status}  发证 {issued}  领取 {collected}",
    "period_no_certificate": "证书　　（无）",
    "period_steps": "步骤　　确认 {confirmed} · 公示 {publicised}{objection} · 签约 {signed}",
    "no_objection": "（无异议）", "objection": "（异议：{text}）",
    "period_related": "相关案卷 {files}",
    "none": "—",
}
WIDE = 100  # columns from which the periods stand side by side
TABS = ("members", "parcels", "documents", "copies", "certificates", "disputes", "uses", "findings", "history")
CERT_STATUS = {"printed": "已打印", "issued": "已发放", "lost": "已挂失", "recalled": "已收回",
               "cancelled": "已注销", "destroyed": "已销毁"}
EVENT_KINDS = {"issue": "发放", "recall": "收回", "lost": "挂失", "reissue": "补发", "replace": "换发",
               "cancel": "注销", "destroy": "销毁"}
FINDING_STATUS = {"open": "待处理", "resolved": "已解决", "waived": "已豁免"}


def _scanned(pages: int, scans: int) -> Text | str:
    """Linked scans, marked when they differ from the catalogue's page count (目录页数与扫描页数不符)."""
    if pages and scans != pages:
        return Text(TEXT["differs"].format(scans=scans, pages=pages), style="bold red")
    return str(scans)


def _yes(value: bool | None) -> str:
    return "" if value is None else (TEXT["yes"] if value else TEXT["no"])


def _period_text(period: dict) -> str:
    """One period of the household (确权 or a later campaign) as lines of markup."""
    none = TEXT["none"]
    steps = period["steps"]
    lines = [TEXT["period_head"].format(campaign=in_markup(period["campaign"]), label=in_markup(period["label"]),
                                        new=TEXT["new_household"] if steps and steps["new_household"] else "")]
    if period["archive_code"]:
        lines.append(TEXT["period_file"].format(
            archive_code=in_markup(period["archive_code"]),
            status=FILE_STATUS_LABELS.get(period["status"], in_markup(period["status"])), pages=period["pages"]))
    else:
        lines.append(TEXT["period_no_file"])
    contract = period["contract"]
    lines.append(TEXT["period_no_contract"] if contract is None else TEXT["period_contract"].format(
        code=in_markup(contract["code"]), start=contract["term_start"] or none, end=contract["term_end"] or none,
        signed=contract["signed_on"] or none))
    for index, certificate in enumerate(period["certificates"]):
        lines.append(TEXT["period_certificate"].format(
            lead="证书　　" if index == 0 else "　　　　", serial=in_markup(certificate["serial"]),
            generation=TEXT.get(certificate["generation"], in_markup(certificate["generation"])),
            status=CERT_STATUS.get(certificate["status"], in_markup(certificate["status"])),
            issued=certificate["issued_on"] or none, collected=certificate["collected_on"] or none))
    if not period["certificates"]:
        lines.append(TEXT["period_no_certificate"])
    if steps is not None:
        objection = (TEXT["objection"].format(text=in_markup(steps["objection"])) if steps["objection"]
                     else TEXT["no_objection"] if steps["publicised_on"] else "")
        lines.append(TEXT["period_steps"].format(confirmed=steps["confirmed_on"] or none,
                                                 publicised=steps["publicised_on"] or none, objection=objection,
                                                 signed=steps["signed_on"] or none))
    if period["related"]:
        lines.append(TEXT["period_related"].format(files="；".join(
            f"{in_markup(other['campaign'])} {in_markup(other['archive_code'])}" for other in period["related"])))
    return "\n".join(lines)


class HouseholdFileScreen(SectionScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", TEXT["back"]),
        Binding("m", "toggle_reveal", TEXT["reveal"]),
        Binding("e", "edit", TEXT["edit"]),
        Binding("d", "catalogue", "著录"),
        Binding("g", "copy('move')", "移动"),
        Binding("l", "copy('lend')", "借出"),
        Binding("b", "copy('return')", "归还"),
        Binding("t", "copy('tick')", "清点"),
    ]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"toggle_reveal": "显示完整号码（记日志）", "edit": "修改户主信息",
                "catalogue": "卷内文件：著录、归入扫描页", "copy('move')": "三份：移动"}
    DEFAULT_CSS = """
    #summary { padding: 0 1; height: auto; }
    #tabs { height: 1fr; }
    #tabs TabPane { height: 1fr; padding: 0; }
    HouseholdFileScreen DataTable { height: 1fr; }
    #periods { layout: horizontal; height: auto; }
    #periods.narrow { layout: vertical; }
    #periods .period { width: 1fr; height: auto; padding: 0 1; }
    #periods.narrow .period { width: 100%; margin-bottom: 1; }
    """

    def __init__(self, code: str):
        super().__init__()
        self.code = code
        self.revealed = False
        self.row_levels: list[str] = []
        self.row_documents: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="summary")
        with TabbedContent(id="tabs"):
            for key, title in zip(TABS, TEXT["tabs"]):
                with TabPane(title, id=f"tab-{key}"):
                    yield PlainTable(id=f"table-{key}", cursor_type="row", zebra_stripes=True)
                if key == "certificates":  # 两期: shown for a household a later campaign has reached
                    with TabPane(TEXT["periods_tab"], id="tab-periods"):
                        with VerticalScroll(id="periods-scroll"):
                            with Container(id="periods"):
                                yield Static("", id="period-primary", classes="period")
                                yield Static("", id="period-later", classes="period")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for key in TABS:
            self.query_one(f"#table-{key}", DataTable).add_columns(*TEXT[key])
        self.load()

    def load(self) -> None:
        """The household's file, read again; a refusal (a disabled account, say) is shown and the
        screen closes when there is nothing to show."""
        try:
            data = show_household(self.app.context, self.code, reveal=self.revealed)
        except Exception as error:  # noqa: BLE001 - refused, locked or unexpected: said, and the app goes on
            report_failure(self.app, error)
            self.revealed = False
            if getattr(self, "data", None) is None:
                self.app.pop_screen()
            return
        self.data = data
        h, f = data["household"], data["archive_file"] or {}
        shown = {key: in_markup(value) for key, value in {
            "name": h["name"], "cbfbm": h["cbfbm"], "village": h["village"], "group": h["group"],
            "archive_code": f.get("archive_code", TEXT["no_file"]),
            "status": FILE_STATUS_LABELS.get(f.get("status"), ""),
            "pages": f.get("pages", 0), "id_number": h["id_number"] or "—", "phone": h["phone"] or "—",
            "title": f.get("title", "")}.items()}
        summary = TEXT["summary"].format(**shown)
        periods = self.load_periods()
        related = [f"{in_markup(other['campaign'])} {in_markup(other['archive_code'])}"
                   for other in (periods[0]["related"] if periods else [])]
        if related:
            summary += "\n" + TEXT["related"].format(files="；".join(related))
        self.query_one("#summary", Static).update(summary)
        self._fill("members", [(m["name"], m["sex"], m["relation"], m["id_type"], m["id_number"], m["remark"])
                               for m in data["members"]])
        self._fill("parcels", [(p["dkbm"], p["name"] or "（无名称）", f"{p['area_mu'] or 0:.2f}", p["east"], p["south"],
                                p["west"], p["north"], _yes(p["basic_farmland"])) for p in data["parcels"]])
        self.row_documents = list(data["documents"])
        documents = [(d["title"], d["date"] or "", _yes(d["required"]),
                      TEXT["present"] if d["present"] else TEXT["missing"], str(d["pages"] or d["scans"]),
                      _scanned(d["pages"], d["scans"]),
                      "" if d["signed"] is None else (TEXT["signed"] if d["signed"] else TEXT["unsigned"]),
                      d["doc_number"], d["responsible"]) for d in data["documents"]]
        if f.get("unsorted"):
            documents.append((Text(TEXT["unsorted"], style="bold yellow"), "", "", "", "", str(f["unsorted"]),
                              "", "", ""))
        self._fill("documents", documents)
        copies, keys = [], []
        missing = copy_differences(f.get("copies", []), self.app.config)
        for c in f.get("copies", []):
            absent = missing.get(c["level"])
            copies.append((LEVEL_LABELS[c["level"]], COPY_STATUS.get(c["status"], c["status"]),
                           c["location"] or "未登记", c["box"],
                           TEXT["unchecked"] if absent is None else ("、".join(absent) or TEXT["complete"]),
                           c["holder"], c["keeper"]))
            keys.append(c["level"])
            for e in c["history"]:
                when = (e["at"] or "")[5:16].replace("T", " ")  # 11-23 18:44: the year is in 历史
                copies.append(("└ " + when, COPY_ACTIONS.get(e["action"], e["action"]), e["reason"], "", "",
                               e["operator"], ""))
                keys.append(c["level"])
        self._fill("copies", copies, keys)
        certificates = []
        for c in data["certificates"]:
            certificates.append((c["serial"], TEXT.get(c["generation"], c["generation"]),
                                 CERT_STATUS.get(c["status"], c["status"]), c["issued_on"] or "",
                                 c["collected_on"] or "", c["collector"]))
            certificates += [("  └ " + EVENT_KINDS.get(e["kind"], e["kind"]), e["reason"], "", e["date"] or "", "",
                              e["person"]) for e in c["events"]]
        self._fill("certificates", certificates)
        self._fill("disputes", [(d["number"], STAGES[d["stage"]], d["subject"], d["parties"],
                                 d["closed_on"] or d["started_on"], d["outcome"]) for d in data["disputes"]])
        self._fill("uses", [(u["number"], u["date"], u["kind"], u["person"], u["unit"], u["purpose"],
                             str(u["pages"] or ""), u["returned_on"] or "") for u in data["uses"]])
        self._fill("findings", [(rule_label(x["rule"])[1], x["message"], FINDING_STATUS.get(x["status"], x["status"]))
                                for x in data["findings"]])
        keys = [h["cbfbm"], *([f["archive_code"]] if f else []), *(c["serial"] for c in data["certificates"]),
                *(f"{f['archive_code']}/{c['level']}" for c in f.get("copies", []))]  # the last: before 2026-11
        self._fill("history", [(e["at"][:19].replace("T", " "), e["operator"], action_label(e["action"]), e["key"],
                                change_text(e["before"], e["after"])) for e in audit.log(self.app.engine, keys=keys)])

    def load_periods(self) -> list[dict]:
        """The household's periods (确权, 延包 …) on the 两期 page, which shows only when there are two."""
        from archive_tui.services.campaigns.progress import household_periods

        tabs = self.query_one("#tabs", TabbedContent)
        try:
            periods = household_periods(self.app.engine, self.app.config, self.code)
        except ArchiveError as error:  # gone since the file was read: said, and the file stays on screen
            report_failure(self.app, error)
            periods = []
        if len(periods) > 1:
            tabs.show_tab("tab-periods")
            self.query_one("#period-primary", Static).update(_period_text(periods[0]))
            self.query_one("#period-later", Static).update("\n\n".join(_period_text(p) for p in periods[1:]))
            self.lay_out_periods()
        else:
            tabs.hide_tab("tab-periods")
        return periods

    def lay_out_periods(self) -> None:
        self.query_one("#periods").set_class(self.app.size.width < WIDE, "narrow")

    def on_resize(self) -> None:
        if self.is_mounted and self.query("#periods"):
            self.lay_out_periods()

    def _fill(self, key: str, rows: list[tuple], levels: list[str] | None = None) -> None:
        table = self.query_one(f"#table-{key}", DataTable)
        keep = table.cursor_row
        table.clear()
        if key == "copies":
            self.row_levels = levels or []
        for row in rows:
            table.add_row(*row)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def _selected_level(self) -> str | None:
        """The level of the copy under the cursor on the 三份 tab, else None (with a hint)."""
        if self.query_one("#tabs", TabbedContent).active != "tab-copies" or not self.row_levels:
            self.notify(TEXT["pick_copy"])
            return None
        return self.row_levels[self.query_one("#table-copies", DataTable).cursor_row]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The 三份 keys show on the 三份 page, 著录 on the 卷内文件 page: the footer keeps room at 80
        columns; pressed elsewhere they say where they work."""
        allowed = super().check_action(action, parameters)
        if allowed and action in PAGE_OF_ACTION and self.is_mounted:
            tabs = self.query("#tabs")
            return not tabs or tabs.first(TabbedContent).active == PAGE_OF_ACTION[action]
        return allowed

    def on_key(self, event) -> None:
        super().on_key(event)
        if not self.is_attached:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, []):
            action = binding.action.partition("(")[0]
            if action in PAGE_OF_ACTION and not self.check_action(action, ()) and role_allows(self.app, action):
                self.notify(TEXT["pick_copy"] if action == "copy" else TEXT["pick_document"])
                event.stop()
                return

    @on(TabbedContent.TabActivated, "#tabs")
    def keys_of_the_page(self) -> None:
        self.refresh_bindings()

    def action_copy(self, action: str) -> None:
        from archive_tui.tui.screens.copy_action import CopyActionScreen

        level = self._selected_level()
        if level is None:
            return
        copy = next(c for c in self.data["archive_file"]["copies"] if c["level"] == level)

        def done(changed: bool | None) -> None:
            if changed:
                self.load()

        self.app.push_screen(CopyActionScreen(self.code, level, action, copy.get("present_docs")), done)

    def action_catalogue(self) -> None:
        """著录: correct the selected document's 卷内目录 entry, or file scanned pages into it."""
        from archive_tui.services.households.catalogue import edit_document
        from archive_tui.tui.screens.fields_form import FieldsFormScreen

        row = self.query_one("#table-documents", DataTable).cursor_row
        if self.query_one("#tabs", TabbedContent).active != "tab-documents" or row >= len(self.row_documents):
            self.notify(TEXT["pick_document"])
            return
        doc = self.row_documents[row]
        shown = {"dated": doc["date"] or "", "doc_number": doc["doc_number"], "responsible": doc["responsible"],
                 "title": doc["title"], "page_count": str(doc["pages"]), "remark": doc["remark"], "scans": ""}
        labels = {key: label for key, label, _hint in TEXT["catalogue_fields"]}
        app = self.app

        def submit(values: dict[str, str]) -> str:
            """All fields checked first: nothing is saved while one is wrong."""
            changes = {key: value for key, value in values.items() if key != "scans" and value != shown[key]}
            changed = edit_document(app.context, self.code, doc["doc_type"], changes,
                                    scans=values["scans"])
            return TEXT["catalogue_saved"].format(fields="、".join(labels[key] for key in changed)) if changed else ""

        def saved(message: object) -> None:
            if message:
                self.load()
                self.notify(str(message))

        app.push_screen(FieldsFormScreen(TEXT["catalogue_title"].format(title=doc["title"]),
                                         TEXT["catalogue_fields"], submit, "保存", shown), saved)

    def action_toggle_reveal(self) -> None:
        self.revealed = not self.revealed
        self.load()

    def action_edit(self) -> None:
        from archive_tui.tui.screens.edit_household import EditHouseholdScreen

        def saved(changed: dict | None) -> None:
            if changed:
                self.load()
                self.notify("已保存：" + "、".join(EDITABLE[key] for key in changed))

        self.app.push_screen(EditHouseholdScreen(self.code, self.data["household"]), saved)
