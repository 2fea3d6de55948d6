"""档案: the township's 综合档案 item by item, the use register across all files and items,
and (in its own tab) the monthly progress report."""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Sparkline, Static, TabbedContent, TabPane

from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import ItemStatus
from archive_tui.tui.actions import run_action
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from archive_tui.tui.screens.section import SectionScreen
from archive_tui.tui.widgets.plain import PlainStatic, PlainTable

TITLE_CELLS = 20  # 题名, 目的 at 80 columns; wider windows give them the rest
WIDE_COLUMNS = ("题名", "目的")
SCROLLBAR_CELLS = 2
TEXT = {
    "tabs": {"items": "综合档案", "uses": "利用登记", "shares": "复制共享", "monthly": "月报"},
    "shares": ("编号", "接收单位", "范围", "增量起点", "户数", "文件", "经办", "时间"),
    "shares_summary": "已共享 {count} 次。n 新建共享包（国家表、发证台账、登记簿和合同扫描件、资料清单）",
    "share_title": "新建共享包（复制共享）",
    "share_fields": [("to", "接收单位", "如 县自然资源局"), ("village", "村", "留空为全乡镇"),
                     ("since", "增量起点", "上次共享编号或日期 YYYY-MM-DD；留空为全部")],
    "sharing": "正在生成共享包……",
    "shared": "已生成 {number}：{households} 户，{files} 个文件，在 {folder}",
    "monthly": ("村", "已导入户", "案卷齐全", "已挂接页", "已发证", "待处理问题", "已移交"),
    "monthly_summary": "{month} 月报（月末累计，+本月增减）：已发证 {issued}，案卷齐全 {complete}，待处理问题 {open}。"
                       "[ ] 换月  p 打印月报",
    "spark": "近 12 个月每月发证：{series}",
    "items": ("档号", "题名", "日期", "页", "扫描", "盒号", "状态"),
    "uses": ("编号", "日期", "方式", "利用人", "档号", "目的", "归还"),
    "items_summary": "综合档案 {count} 件（在库 {filed}，借出 {lent}，已移交 {transferred}），未装盒 {unboxed} 件。"
                     "a 登记  b 装盒  p 打印归档文件目录",
    "uses_summary": "{year} 年利用 {uses} 次（{kinds}），利用人 {persons} 人。p 打印档案利用登记表",
    "form_title": "登记综合档案（按件）",
    "fields": [("item_type", "类别", "F4 从列表选，如 01"), ("title", "题名", ""), ("dated", "日期", "YYYY-MM-DD"),
               ("responsible", "责任者", ""), ("doc_number", "文号", ""), ("pages", "页数", "")],
    "added": "已登记 {code}",
    "boxed": "已装盒：{boxes}",
    "printed": "{made}",  # 已生成 …, and 已发送到打印机 … when [print] printer is set
}


class RecordsScreen(SectionScreen):
    BINDINGS = [("a", "add_item", "登记"), ("b", "box", "装盒"), ("p", "print", "打印"), ("f5", "refresh", "刷新"),
                Binding("n", "new_share", "共享", show=False),
                Binding("left_square_bracket", "month(-1)", "上月", show=False),
                Binding("right_square_bracket", "month(1)", "下月", show=False)]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"add_item": "综合档案：登记", "new_share": "新建共享包", "month(-1)": "月报：上月"}
    DEFAULT_CSS = """
    .summary { padding: 0 1; height: auto; }
    #record-tabs { height: 1fr; }
    #record-tabs TabPane { height: 1fr; padding: 0; }
    #issued-spark { height: 3; margin: 0 1; }
    """

    def __init__(self):
        super().__init__()
        from archive_tui.services.registers.monthly import Month

        self.month = Month.parse(None)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="record-tabs"):
            with TabPane(TEXT["tabs"]["items"], id="tab-items"):
                yield PlainStatic("", id="items-summary", classes="summary")
                yield PlainTable(id="items", cursor_type="row", zebra_stripes=True)
            with TabPane(TEXT["tabs"]["uses"], id="tab-uses"):
                yield PlainStatic("", id="uses-summary", classes="summary")
                yield PlainTable(id="uses", cursor_type="row", zebra_stripes=True)
            with TabPane(TEXT["tabs"]["shares"], id="tab-shares"):
                yield PlainStatic("", id="shares-summary", classes="summary")
                yield PlainTable(id="shares", cursor_type="row", zebra_stripes=True)
            with TabPane(TEXT["tabs"]["monthly"], id="tab-monthly"):
                yield PlainStatic("", id="monthly-summary", classes="summary")
                yield PlainStatic("", id="spark-title", classes="summary")
                yield Sparkline([], id="issued-spark")
                yield PlainTable(id="monthly", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for table_id in ("items", "uses", "shares", "monthly"):
            table = self.query_one(f"#{table_id}", DataTable)
            for label in TEXT[table_id]:  # long titles and purposes are cut: the codes and dates stay in view
                table.add_column(label, width=TITLE_CELLS if label in WIDE_COLUMNS else None, key=label)
        self.action_refresh()

    def on_resize(self) -> None:
        self.call_after_refresh(self.widen_titles)

    def widen_titles(self) -> None:
        """题名 and 目的 take the room the other columns leave (at 80 columns 20 cells, in a wide window
        or a browser the whole title; they were cut at 20 with half the screen empty)."""
        for table in self.query(DataTable):
            wide = [key for key in table.columns if key.value in WIDE_COLUMNS]
            if not wide:
                continue
            others = sum(column.get_render_width(table) for key, column in table.columns.items() if key not in wide)
            room = max(TITLE_CELLS, (table.size.width - SCROLLBAR_CELLS - others) // len(wide))  # whether or not
            # the scrollbar shows (it comes and goes as the rows arrive): the same widths every time
            for key in wide:
                column = table.columns[key]
                if column.width != room - 2 * table.cell_padding:
                    column.width = room - 2 * table.cell_padding
                    table._require_update_dimensions = True
            table.refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        run_action(self, self.load, done=self.loaded, description="综合档案与利用登记", group="records",
                   exclusive=True)

    def loaded(self, found: tuple) -> None:
        self.call_after_refresh(self.widen_titles)
        items, uses, figures, shares = found
        self.show(items, uses, figures)
        self.show_shares(shares)
        self.load_month()

    def load(self) -> tuple:
        """In the worker: the items, this year's uses and figures, the shares."""
        from archive_tui.services.registers.record_items import list_items
        from archive_tui.services.registers.use_register import list_uses, yearly_figures

        year = dt.date.today().year
        items = list_items(self.app.engine, self.app.config)
        uses = list_uses(self.app.engine, year=year)
        from archive_tui.services.exchange.sharing import list_shares

        figures = yearly_figures(self.app.engine, year)
        shares = list_shares(self.app.engine)
        return items, uses, figures, shares

    def load_month(self) -> None:
        run_action(self, self.read_month, done=lambda found: self.show_month(*found), description="月报",
                   group="monthly", exclusive=True)

    def read_month(self) -> tuple:
        from archive_tui.services.registers.monthly import issued_series, monthly_figures

        figures = monthly_figures(self.app.engine, self.app.config, self.month)
        series = issued_series(self.app.engine)
        return figures, series

    def show_month(self, figures: dict, series: list[tuple[str, int]]) -> None:
        from archive_tui.services.registers.monthly import flow_text

        def cell(pair: list[int]) -> str:
            return f"{pair[0]:,}" + (f" {pair[1]:+,}" if pair[1] else "")

        narrow = self.app.size.width < 100  # the month's flow is in the line above: the 已移交 column shows

        def open_cell(row: dict) -> str:  # 待处理问题: what was found and resolved in the month, apart
            return cell(row["findings_open"]) + (f"（{flow_text(row)}）" if flow_text(row) and not narrow else "")

        total = figures["total"]
        self.query_one("#monthly-summary", Static).update(TEXT["monthly_summary"].format(
            month=figures["month"], issued=cell(total["issued"]), complete=cell(total["complete"]),
            open=open_cell(total)))
        self.query_one("#spark-title", Static).update(TEXT["spark"].format(
            series="、".join(f"{label[5:]}月 {count}" for label, count in series[-3:]) + " …"))
        self.query_one("#issued-spark", Sparkline).data = [count for _label, count in series]
        table = self.query_one("#monthly", DataTable)
        table.clear()
        keys = ("households", "complete", "linked", "issued", "findings_open", "transferred")
        for row in [*figures["villages"], total]:
            table.add_row(row["name"], *[open_cell(row) if key == "findings_open" else cell(row[key]) for key in keys])

    def action_month(self, step: int) -> None:
        from archive_tui.services.registers.monthly import Month

        index = self.month.year * 12 + self.month.month - 1 + step
        try:
            self.month = Month.parse(f"{index // 12}-{index % 12 + 1:02d}")
        except ArchiveError as error:
            self.app.notify(error.message, severity="warning")
            return
        self.load_month()

    def show(self, items: list[dict], uses: list[dict], figures: dict) -> None:
        count = {status.value: sum(1 for row in items if row["status"] == status)
                 for status in (ItemStatus.FILED, ItemStatus.LENT, ItemStatus.TRANSFERRED)}
        summary = TEXT["items_summary"].format(
            count=len(items), unboxed=sum(1 for row in items if not row["box"] and row["status"] == ItemStatus.FILED),
            **count)
        if getattr(self.app, "user", None) is not None and not self.app.user.can_write:
            summary = summary.replace("a 登记  b 装盒  ", "")  # keys a reader does not have
        self.query_one("#items-summary", Static).update(summary)
        table = self.query_one("#items", DataTable)
        table.clear()
        for row in items:
            table.add_row(row["archive_code"], row["title"], row["dated"] or "", str(row["pages"]),
                          str(row["scanned"]), row["box"], row["status_name"])
        kinds = "、".join(f"{kind} {number}" for kind, number in figures["by_kind"].items() if number) or "无"
        self.query_one("#uses-summary", Static).update(TEXT["uses_summary"].format(
            year=figures["year"], uses=figures["uses"], kinds=kinds, persons=figures["persons"]))
        table = self.query_one("#uses", DataTable)
        table.clear()
        for row in uses:
            table.add_row(row["number"], row["date"], row["kind"], row["person"], row["archive_code"],
                          row["purpose"], row["returned_on"] or "")

    def show_shares(self, shares: list[dict]) -> None:
        self.query_one("#shares-summary", Static).update(TEXT["shares_summary"].format(count=len(shares)))
        table = self.query_one("#shares", DataTable)
        table.clear()
        for row in reversed(shares):
            table.add_row(row["number"], row["to"], row["village"] or "全乡镇", row["since"] or "全部",
                          str(row["households"]), str(row["files"]), row["operator"], row["created_at"][:16])

    def action_new_share(self) -> None:
        from archive_tui.services.exchange.sharing import ShareRequest

        app = self.app

        def submit(values: dict[str, str]) -> ShareRequest:
            since = values["since"].strip()
            if not values["to"].strip():
                raise ArchiveError("请写明接收单位", field="to")
            by_date = since[:1].isdigit()
            return ShareRequest(values["to"], village=values["village"].strip() or None,
                                since=_date(since, "since") if by_date else None,
                                since_share=since if since and not by_date else None)

        def done(request: ShareRequest | None) -> None:
            if request is not None:
                app.notify(TEXT["sharing"])
                self.make_share(request)

        app.push_screen(FieldsFormScreen(TEXT["share_title"], TEXT["share_fields"], submit, "生成"), done)

    def make_share(self, request) -> None:
        from archive_tui.services.exchange.sharing import new_share

        app = self.app

        def shared(result) -> None:
            app.notify(TEXT["shared"].format(
                number=result.number, households=result.households, files=result.files, folder=result.folder))
            app.offer_files(result.folder)
            self.action_refresh()

        run_action(self, lambda: new_share(app.context, request), done=shared, description="新建共享包",
                   group="share", exclusive=True, severity="warning", timeout=10)

    def _tab(self) -> str:
        return self.query_one("#record-tabs", TabbedContent).active.removeprefix("tab-")

    def action_add_item(self) -> None:
        from archive_tui.services.registers.record_items import NewItem, add_item

        app = self.app
        types = [(f"{kind.code} {kind.name}（{kind.retention}）", kind.code) for kind in app.config.settings.item_types]

        def submit(values: dict[str, str]) -> str:
            dated = _date(values["dated"])
            pages = values["pages"].strip()
            if pages and not pages.isdigit():
                raise ArchiveError("页数应为整数", field="pages")
            return add_item(app.context, NewItem(
                values["item_type"], values["title"], dated, responsible=values["responsible"],
                doc_number=values["doc_number"], pages=int(pages or 0)))

        def done(code: str | None) -> None:
            if code:
                app.notify(TEXT["added"].format(code=code))
                self.action_refresh()

        app.push_screen(FieldsFormScreen(TEXT["form_title"], TEXT["fields"], submit, "登记",
                                         choices={"item_type": types}), done)

    def action_box(self) -> None:
        from archive_tui.services.registers.record_items import box_items

        app = self.app

        def boxed(result) -> None:
            boxes = "；".join(f"{box} {count} 件" for box, count in result.boxes.items())
            app.notify(TEXT["boxed"].format(boxes=boxes))
            self.action_refresh()

        run_action(self, lambda: box_items(app.context), done=boxed, description="综合档案装盒",
                   group="records-box", severity="warning")

    def action_print(self) -> None:
        from archive_tui.services.registers.record_items import print_catalogue
        from archive_tui.services.registers.use_register import print_use_register

        from archive_tui.services.admin.printer import make_known

        app, tab, month = self.app, self._tab(), self.month

        def make() -> tuple:
            if tab == "uses":
                path = print_use_register(app.engine, app.config, dt.date.today().year)
            elif tab == "monthly":
                from archive_tui.services.registers.monthly import print_monthly

                path = print_monthly(app.engine, app.config, month,
                                     app.config.exports / f"月报-{month.label()}.pdf")
            else:
                path = print_catalogue(app.engine, app.config)
            return path, *make_known(app.config, path)

        def printed(outcome: tuple) -> None:
            path, made, sent = outcome
            app.notify(TEXT["printed"].format(made=made), severity="information" if sent else "warning")
            app.offer_files(path)

        run_action(self, make, done=printed, description="打印", group="records-print", severity="warning")


def _date(text: str, field: str = "dated") -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ArchiveError(f"日期“{text.strip()}”应写作 YYYY-MM-DD", field=field) from None
