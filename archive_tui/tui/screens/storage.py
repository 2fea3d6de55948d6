"""库房: what each location and box holds, and the work done there — 装盒 (box a village),
移库 (move a box or a copy), 借出 / 归还, and printing the 盒脊 labels and the 案卷目录.

It shows and acts on the copies this archive holds (``[copies] held_levels``: a township its own
copy), as ``copies box`` does. Every change goes through the copies service, in a worker, the
same rules and refusals as the command line; boxing first says what it will do and asks."""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from archive_tui.core.errors import ArchiveError
from archive_tui.services.admin.printer import make_known
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.households.households import village_names
from archive_tui.services.registers import copies, custody_forms
from archive_tui.tui.actions import run_action
from archive_tui.tui.screens.confirm import confirm
from archive_tui.tui.screens.copy_action import CopyActionScreen
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from archive_tui.tui.screens.picker import PickerScreen
from archive_tui.tui.screens.section import SectionScreen
from archive_tui.tui.widgets.plain import PlainStatic, PlainTable

INSIDE_LIMIT = 2000  # copies listed for one place (an unboxed heap can hold a whole township's)
TEXT = {
    "summary": "{levels}：{places:,} 个位置/盒，{copies:,} 份（已移交的不计）。回车看盒内案卷",
    "loading": "正在读取库房……",
    "places": ("位置", "份别", "盒号", "份数", "档号起止"),
    "inside": ("档号", "户主", "份别", "状态"),
    "box": "盒 {box} · {location} · {count:,} 份{more} · 选中一份按 g 移动、l 借出",
    "more": "，列出前 {shown:,} 份",
    "no_box": "（未装盒）",
    "no_place": "在上表选中一盒按回车，这里列出盒内的案卷",
    # 装盒
    "box_title": "装盒：{levels}（按档号顺序装入连续编号的盒）",
    "box_fields": [("village", "村", "村名或村代码（F4 选择）"), ("capacity", "每盒卷数", "如 10；按页数装时留空"),
                   ("pages", "每盒页数", "如 300；按卷数装时留空")],
    "box_button": "下一步",
    "not_count": "应为正整数",
    "one_of": "每盒卷数、每盒页数填一项（另一项留空）",
    "confirm_box": "装盒：{village}",
    "per": {"capacity": "每盒 {n} 卷", "pages": "每盒约 {n} 页"},
    "plan_level": "{level} {files:,} 卷，{per}，装成 {boxes:,} 盒",
    "plan_boxes": "  盒号 {span}",
    "plan_detail": {"newly": "新装盒 {n:,} 卷", "reboxed": "换盒号 {n:,} 卷", "same": "盒号不变 {n:,} 卷",
                    "filed": "整理中的 {n:,} 卷记为已归档"},
    "plan_note": "每卷的变动记入保管历史和审计日志；重新装盒时原记录保留。",
    "boxing": "正在装盒：{village}……",
    "boxed": "{level}：已装盒 {files:,} 份，共 {boxes:,} 盒（{span}），其中 {changed:,} 份有变动",
    # 移库, 借出, 归还
    "box_subject": "盒 {box}（{count:,} 份）",
    "copy_subject": "{code}（{name}）",
    "move_unboxed": "未装盒的案卷逐份移动：回车打开，在下表中选中一份再按 g",
    "pick_copy": "借出按份：在上表回车打开一盒，在下表中选中一份再按 l",
    "no_loans": "没有借出未还的案卷（{levels}）",
    "loans": "归还：选择借出的案卷",
    "loan": "{code} {name} {borrower} 应还 {due}{late}",
    "late": "（逾期）",
    "move_hint": "移库：在上表中选中一盒（或回车后在下表选中一份），按 g",
    "lend_hint": "借出：在上表回车打开一盒，在下表中选中一份，按 l",
    # 打印
    "labels_title": "打印盒脊和盒内目录（{levels}，PDF 存入 exports 文件夹）",
    "shelf_title": "打印案卷目录（{levels}，PDF 存入 exports 文件夹）",
    "labels_fields": [("village", "村", "留空：全部已装盒的（F4 选择）")],
    "shelf_fields": [("village", "村", "留空：全部（F4 选择）"), ("location", "位置", "楼/室/柜/层，留空：全部（F4）")],
    "print_button": "打印",
}
PRINT_SECONDS = 20  # a notice naming a file's path: time to read it


def span(boxes: list[str]) -> str:
    return boxes[0] if len(boxes) == 1 else f"{boxes[0]} … {boxes[-1]}"


def code_range(first: str, last: str) -> str:
    """档号起止 in one cell: the last 档号 without the prefix it shares with the first
    (Z001-NJ·2018-Y-00001～00016)."""
    if not first or first == last:
        return first or ""
    shared = 0
    while shared < min(len(first), len(last)) and first[shared] == last[shared]:
        shared += 1
    while shared and first[shared - 1].isalnum():  # back to a separator: whole numbers only
        shared -= 1
    return f"{first}～{last[shared:]}"


def positive(values: dict[str, str], key: str) -> int | None:
    text = values[key].strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ArchiveError(TEXT["not_count"], field=key)
    return int(text)


class StorageScreen(SectionScreen):
    BINDINGS = [
        Binding("b", "box", "装盒"),
        Binding("g", "move", "移库"),
        Binding("l", "copy('lend')", "借出"),  # copy: a key that changes the archive (section.WRITE_ACTIONS)
        Binding("r", "copy('return')", "归还"),
        Binding("p", "labels", "盒脊"),
        Binding("m", "shelf_list", "目录"),
        Binding("f5", "refresh", "刷新", show=False),
        Binding("escape", "back", show=False),
    ]
    DEFAULT_CSS = """
    #storage-summary, #box-title { padding: 0 1; height: auto; }
    #places { height: 2fr; }
    #inside { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield PlainStatic(TEXT["loading"], id="storage-summary")
        yield PlainTable(id="places", cursor_type="row", zebra_stripes=True)
        yield PlainStatic(TEXT["no_place"], id="box-title")
        yield PlainTable(id="inside", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.places: list[dict] = []
        self.inside: list[dict] = []
        self.opened: dict | None = None  # the place whose copies the lower table lists
        self.levels = list(self.app.config.settings.copies.held_levels)
        self.query_one("#places", DataTable).add_columns(*TEXT["places"])
        self.query_one("#inside", DataTable).add_columns(*TEXT["inside"])
        self.query_one("#places", DataTable).focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def levels_text(self) -> str:
        return "、".join(LEVEL_LABELS[level] for level in self.levels)

    # ---- the lists ---------------------------------------------------------------------------

    def action_refresh(self) -> None:
        engine, levels = self.app.engine, self.levels
        run_action(self, lambda: copies.storage_summary(engine, levels=levels), done=self.show_places,
                   description="库房", group="storage", exclusive=True)

    def show_places(self, rows: list[dict]) -> None:
        chosen = self.selected_place()  # before the list is replaced
        self.places = rows
        self.query_one("#storage-summary", Static).update(TEXT["summary"].format(
            levels=self.levels_text(), places=len(rows), copies=sum(r["copies"] for r in rows)))
        table = self.query_one("#places", DataTable)
        row = table.cursor_row
        table.clear()
        for place in rows:
            table.add_row(place["location"], LEVEL_LABELS[place["level"]], place["box"] or TEXT["no_box"],
                          f"{place['copies']:,}", code_range(place["first"], place["last"]))
        if rows:  # the cursor stays on the box it was on (moved elsewhere in the list), else on its row
            same = [i for i, place in enumerate(rows) if chosen is not None and chosen["box"]
                    and (place["level"], place["box"]) == (chosen["level"], chosen["box"])]
            table.move_cursor(row=same[0] if same else min(row, len(rows) - 1))
        if self.opened is not None:  # the place shown below may hold other copies now
            self.open_place(next((p for p in rows if self._same(p, self.opened)), None))

    @staticmethod
    def _same(one: dict, other: dict) -> bool:
        """The same box (wherever it lies now), or the same heap of unboxed copies."""
        if other["box"]:
            return (one["level"], one["box"]) == (other["level"], other["box"])
        return (one["level"], one["parts"], one["box"]) == (other["level"], other["parts"], other["box"])

    def selected_place(self) -> dict | None:
        table = self.query_one("#places", DataTable)
        if not self.places or not 0 <= table.cursor_row < len(self.places):
            return None
        return self.places[table.cursor_row]

    def selected_copy(self) -> dict | None:
        """The copy chosen in the lower table, when the focus is there."""
        table = self.query_one("#inside", DataTable)
        if self.focused is not table or not 0 <= table.cursor_row < len(self.inside):
            return None
        return self.inside[table.cursor_row]

    @on(DataTable.RowSelected, "#places")
    def open_box(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.places):
            self.open_place(self.places[event.cursor_row], focus=True)

    def open_place(self, place: dict | None, focus: bool = False) -> None:
        self.opened = place
        if place is None:
            self.show_inside(None, [])
            return
        engine = self.app.engine
        run_action(self, lambda: copies.place_contents(engine, level=place["level"], parts=place["parts"],
                                                       box=place["box"], limit=INSIDE_LIMIT),
                   done=lambda rows: self.show_inside(place, rows, focus), description="盒内案卷",
                   group="storage-inside", exclusive=True)

    def show_inside(self, place: dict | None, rows: list[dict], focus: bool = False) -> None:
        self.inside = rows
        title = self.query_one("#box-title", Static)
        table = self.query_one("#inside", DataTable)
        table.clear()
        if place is None:
            title.update(TEXT["no_place"])
            return
        more = TEXT["more"].format(shown=len(rows)) if len(rows) < place["copies"] else ""
        title.update(TEXT["box"].format(box=place["box"] or TEXT["no_box"], location=place["location"].strip("（）"),
                                        count=place["copies"], more=more))
        for copy in rows:
            table.add_row(copy["archive_code"], copy["name"], LEVEL_LABELS[copy["level"]],
                          copies.STATUS_LABELS.get(copy["status"], copy["status"]))
        if focus and rows:
            table.focus()

    @on(DataTable.RowSelected, "#inside")
    def open_household(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.inside):
            self.app.open_household(self.inside[event.cursor_row]["cbfbm"])

    def action_back(self) -> None:
        self.query_one("#places", DataTable).focus()

    # ---- 装盒 --------------------------------------------------------------------------------

    def action_box(self) -> None:
        """装盒: village and size in a form, then what will happen, then (y) the boxing in a worker."""
        app = self.app
        typed: dict[str, str] = {}

        def plan(values: dict[str, str]) -> copies.BoxingPlan:
            capacity, pages = positive(values, "capacity"), positive(values, "pages")
            if (capacity is None) == (pages is None):
                raise ArchiveError(TEXT["one_of"], field="capacity")
            typed.update(values)
            return copies.plan_boxing(app.engine, app.config, village=values["village"], capacity=capacity,
                                      pages=pages)

        def planned(result: copies.BoxingPlan | None) -> None:
            if result is not None:
                confirm(self, TEXT["confirm_box"].format(village=result.village), self.plan_lines(result),
                        lambda: self.box(typed, result))

        def ask(villages: list[str]) -> None:
            app.push_screen(FieldsFormScreen(TEXT["box_title"].format(levels=self.levels_text()),
                                             TEXT["box_fields"], plan, TEXT["box_button"],
                                             choices={"village": [(name, name) for name in villages]}), planned)

        run_action(self, lambda: village_names(app.engine), done=ask, description="装盒", group="storage-ask",
                   exclusive=True)

    @staticmethod
    def plan_lines(plan: copies.BoxingPlan) -> list[str]:
        per = (TEXT["per"]["capacity"].format(n=plan.capacity) if plan.capacity
               else TEXT["per"]["pages"].format(n=plan.pages))
        lines = []
        for part in plan.levels:
            lines.append(TEXT["plan_level"].format(level=LEVEL_LABELS[part.level], files=part.files, per=per,
                                                   boxes=len(part.boxes)))
            lines.append(TEXT["plan_boxes"].format(span=span(part.boxes)))
            counts = {"newly": part.newly, "reboxed": part.reboxed, "same": part.files - part.newly - part.reboxed,
                      "filed": part.filed}
            lines.append("  " + "；".join(TEXT["plan_detail"][key].format(n=n) for key, n in counts.items() if n))
        return [*lines, TEXT["plan_note"]]

    def box(self, typed: dict[str, str], plan: copies.BoxingPlan) -> None:
        app = self.app
        self.query_one("#storage-summary", Static).update(TEXT["boxing"].format(village=plan.village))

        def done(result: copies.BoxingResult) -> None:
            for part in result.plan.levels:
                self.notify(TEXT["boxed"].format(level=LEVEL_LABELS[part.level], files=part.files,
                                                 boxes=len(part.boxes), span=span(part.boxes), changed=part.changed))
            self.action_refresh()

        run_action(self, lambda: copies.box_files(app.context, village=typed["village"], capacity=plan.capacity,
                                                  pages=plan.pages),
                   done=done, failed=lambda _text: self.action_refresh(), description=f"装盒 {plan.village}",
                   group="storage-box", exclusive=True)

    # ---- 移库, 借出, 归还 ----------------------------------------------------------------------

    def copy_form(self, key: str, level: str, action: str, subject: str) -> None:
        def done(changed: bool | None) -> None:
            if changed:
                self.notify(form.outcome)
                self.action_refresh()

        form = CopyActionScreen(key, level, action, subject=subject)
        self.app.push_screen(form, done)

    def action_move(self) -> None:
        """移库: the copy chosen below, else the whole box chosen above (with its number)."""
        copy = self.selected_copy()
        if copy is not None:
            self.copy_form(copy["archive_code"], copy["level"], "move",
                           TEXT["copy_subject"].format(code=copy["archive_code"], name=copy["name"]))
            return
        place = self.selected_place()
        if place is None:
            return
        if not place["box"]:
            self.notify(TEXT["move_unboxed"], severity="warning")
            return
        self.copy_form(place["box"], place["level"], "move", TEXT["box_subject"].format(
            box=place["box"], count=place["copies"]))

    def action_copy(self, action: str) -> None:
        if action == "lend":
            self.lend()
        elif action == "return":
            self.give_back()

    def lend(self) -> None:
        copy = self.selected_copy()
        if copy is None:
            self.notify(TEXT["pick_copy"], severity="warning")
            return
        self.copy_form(copy["archive_code"], copy["level"], "lend",
                       TEXT["copy_subject"].format(code=copy["archive_code"], name=copy["name"]))

    def give_back(self) -> None:
        """归还: pick the copy from the open loans (the one chosen below first, when it is lent)."""
        open_loans = copies.loans(self.app.engine, levels=self.levels)
        if not open_loans:
            self.notify(TEXT["no_loans"].format(levels=self.levels_text()))
            return
        today = dt.date.today().isoformat()
        choices = [(TEXT["loan"].format(code=loan["archive_code"], name=loan["name"], borrower=loan["borrower"],
                                        due=loan["due_on"], late=TEXT["late"] if loan["due_on"] < today else ""),
                    f"{loan['archive_code']}\t{loan['level']}") for loan in open_loans]
        by_value = {value: loan for (_label, value), loan in zip(choices, open_loans)}
        copy = self.selected_copy()
        current = f"{copy['archive_code']}\t{copy['level']}" if copy is not None else None

        def picked(value: str | None) -> None:
            if value is not None:
                loan = by_value[value]
                self.copy_form(loan["archive_code"], loan["level"], "return",
                               TEXT["copy_subject"].format(code=loan["archive_code"], name=loan["name"]))

        self.app.push_screen(PickerScreen(TEXT["loans"], choices, current), picked)

    def action_move_hint(self) -> None:
        self.notify(TEXT["move_hint"])

    def action_lend_hint(self) -> None:
        self.notify(TEXT["lend_hint"])

    # ---- 打印 --------------------------------------------------------------------------------

    def action_labels(self) -> None:
        self.print_form("box-labels", TEXT["labels_title"], TEXT["labels_fields"])

    def action_shelf_list(self) -> None:
        self.print_form("shelf-list", TEXT["shelf_title"], TEXT["shelf_fields"])

    def print_form(self, form: str, title: str, fields: list) -> None:
        """Which village (and place) to print, then the forms made in the form's worker, one per held level."""
        app, levels = self.app, self.levels
        made: list = []

        def make(values: dict[str, str]) -> str:
            results = custody_forms.print_held(app.engine, app.config, form, village=values.get("village"),
                                               location=values.get("location"), levels=levels)
            messages = []
            for result in results:
                message, _sent = make_known(app.config, result.path)
                made.append(result.path)
                messages.append(message + result.warning_note())
            return "\n".join(messages)

        def printed(message: str | None) -> None:
            if message:
                self.notify(message, timeout=PRINT_SECONDS)
                app.offer_files(*made)

        def choices() -> dict[str, list[tuple[str, str]]]:
            locations, _holders = copies.known_places(app.engine, app.config)
            return {"village": [(name, name) for name in village_names(app.engine)],
                    "location": [(place, place) for place in locations]}

        def ask(lists: dict[str, list[tuple[str, str]]]) -> None:
            app.push_screen(FieldsFormScreen(title.format(levels=self.levels_text()), fields, make,
                                             TEXT["print_button"], values={"village": village}, choices=lists),
                            printed)

        village = (self.inside[0]["village"] or "") if self.inside else ""
        run_action(self, choices, done=ask, description="打印", group="storage-ask", exclusive=True)
