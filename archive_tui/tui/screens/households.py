"""户卷: every household, filtered as you type, paged from the database."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Input, Static

from archive_tui.services.households.filters import FILE_STATUS_LABELS
from archive_tui.services.households.households import HouseholdFilter, village_names
from archive_tui.services.households.search import members_matching
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.household_table import COLUMNS, HouseholdHeader, HouseholdTable
from archive_tui.tui.widgets.plain import PlainStatic
from archive_tui.tui.screens.section import SectionScreen

TEXT = {
    "member_match": "（成员 {names} 符合）",
    "search": "搜索：姓名、拼音首字母（如 zs）、编码、档号、成员、身份证号",
    "all_villages": "全部村",
    "status": "共 {total} 户 · {village} · 排序：{sort}{order}",
    "indexing": "（正在建立检索索引，搜索稍后可用）",
    "ascending": "升序",
    "descending": "降序",
    "sort": "排序",
    "order": "升/降",
    "village": "换村",
    "pick_village": "按村筛选",
    "search_key": "搜索",
    "empty": "没有符合条件的承包户。",
}
SORT_KEYS = [column.key for column in COLUMNS]
SORT_TITLES = {column.key: column.title for column in COLUMNS}


class HouseholdsScreen(SectionScreen):
    BINDINGS = [
        Binding("slash", "focus_search", TEXT["search_key"]),
        Binding("s", "next_sort", TEXT["sort"]),
        Binding("o", "toggle_order", TEXT["order"]),
        Binding("v", "pick_village", TEXT["village"]),
        Binding("escape", "leave_search", show=False),
    ]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"focus_search": "搜索", "next_sort": "换排序列", "toggle_order": "升序/降序",
                "pick_village": "按村筛选"}
    DEFAULT_CSS = """
    #search { border: none; height: 1; padding: 0 1; }
    #status { height: 1; color: $text-muted; }
    #detail { height: 1; background: $boost; padding: 0 1; }
    """

    def __init__(self):
        super().__init__()
        self.household_filter = HouseholdFilter()
        self.villages: list[str | None] = [None]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=TEXT["search"], id="search")
        yield PlainStatic("", id="status")
        yield HouseholdHeader(id="columns")
        yield HouseholdTable(self.app.engine, id="households")
        yield PlainStatic("", id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.villages = [None, *village_names(self.app.engine)]
        self.query_one(HouseholdTable).focus()

    def on_screen_resume(self) -> None:
        self.villages = [None, *village_names(self.app.engine)]
        self.query_one(HouseholdTable).reload()

    @property
    def table(self) -> HouseholdTable:
        return self.query_one(HouseholdTable)

    def apply(self, household_filter: HouseholdFilter) -> None:
        self.household_filter = household_filter
        header = self.query_one(HouseholdHeader)
        header.sort, header.descending = household_filter.sort, household_filter.descending
        self.table.reload(household_filter)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.apply(HouseholdFilter(event.value, self.household_filter.village,
                                   self.household_filter.sort, self.household_filter.descending))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.table.focus()

    def on_household_table_changed(self, event: HouseholdTable.Changed) -> None:
        f = self.household_filter
        status = TEXT["status"].format(
            total=f"{event.total:,}", village=f.village or TEXT["all_villages"], sort=SORT_TITLES[f.sort],
            order=TEXT["descending"] if f.descending else TEXT["ascending"])
        if f.text and getattr(self.app, "indexing", False):
            status += TEXT["indexing"]
        elif event.total == 0:
            status += " · " + TEXT["empty"]
        self.query_one("#status", Static).update(status, layout=False)  # one fixed line: repaint only

    def on_household_table_highlighted(self, event: HouseholdTable.Highlighted) -> None:
        """The row under the cursor in full: what a narrow column had to cut."""
        row = event.row
        text = "" if row is None else (  # what the narrow columns cut comes first
            f"{row['village']}{row['group']}  {row['name']}  {row['members']}人 {row['parcels']}块  "
            f"{FILE_STATUS_LABELS.get(row['status'], row['status'] or '')}  {row['archive_code'] or '（无档号）'}  "
            f"{row['cbfbm']}")
        self.query_one("#detail", Static).update(text, layout=False)
        searched = self.household_filter.text
        if row is not None and searched:  # found through a member, not the head: say so
            run_action(self, lambda: members_matching(self.app.engine, row["cbfbm"], searched),
                       done=lambda names: self.say_member_match(text, names), description="检索成员",
                       group="member-match", exclusive=True)

    def say_member_match(self, text: str, names: list[str]) -> None:
        if names:
            shown = TEXT["member_match"].format(names="、".join(names[:3]))
            self.query_one("#detail", Static).update(f"{shown}  {text}", layout=False)

    def on_household_table_opened(self, event: HouseholdTable.Opened) -> None:
        self.app.open_household(event.code)

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        self.table.focus()

    def action_next_sort(self) -> None:
        f = self.household_filter
        key = SORT_KEYS[(SORT_KEYS.index(f.sort) + 1) % len(SORT_KEYS)]
        self.apply(HouseholdFilter(f.text, f.village, key, False))

    def action_toggle_order(self) -> None:
        f = self.household_filter
        self.apply(HouseholdFilter(f.text, f.village, f.sort, not f.descending))

    def action_pick_village(self) -> None:
        """A village from a list narrowed as you type (东里 or dl), not 278 presses of a key."""
        from archive_tui.tui.screens.picker import PickerScreen

        f = self.household_filter
        choices = [(name or TEXT["all_villages"], name or "") for name in self.villages]

        def picked(village: str | None) -> None:
            if village is not None:
                self.apply(HouseholdFilter(f.text, village or None, f.sort, f.descending))

        self.app.push_screen(PickerScreen(TEXT["pick_village"], choices, f.village or ""), picked)
