"""A household list that reads its rows page by page from the database (虚拟列表).

Only the visible lines are rendered (Textual's Line API) and only the pages around them
are fetched, so 100,000 households open as fast as 1,000. Column widths are counted in
terminal cells, so Chinese (double-width) text keeps the columns aligned.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.cells import cell_len, set_cell_size
from sqlalchemy import Engine
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from archive_tui.core.display import printable
from archive_tui.services.households.archive_files import short_group
from archive_tui.services.households.filters import FILE_STATUS_LABELS
from archive_tui.services.households.households import HouseholdFilter, browse_count, browse_page

PAGE_SIZE = 100
CACHED_PAGES = 40


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    grow: bool = False
    optional: bool = False  # dropped first when the terminal is narrow


COLUMNS = (
    Column("archive_code", "档号", 20),
    Column("cbfbm", "承包方编码", 18, optional=True),
    Column("name", "户主", 8),
    Column("village", "村组", 10, grow=True),
    Column("members", "人数", 4),
    Column("parcels", "地块", 4),
    Column("status", "状态", 6),
)


def layout(width: int) -> list[tuple[Column, int]]:
    """The columns that fit in ``width`` cells and their widths (one space between)."""
    columns = list(COLUMNS)
    while len(columns) > 1:
        fixed = sum(c.width for c in columns) + len(columns) - 1
        if fixed <= width:
            break
        optional = [c for c in columns if c.optional]
        if not optional:
            break
        columns.remove(optional[0])
    spare = max(0, width - sum(c.width for c in columns) - (len(columns) - 1))
    return [(c, c.width + (spare if c.grow else 0)) for c in columns]


def cell_text(row: dict, key: str) -> str:
    """A cell as the list shows it; control characters from data made visible (\x1b)."""
    if key == "village":  # 大前店村一组: whole at 80 columns (大前店村第一村民小组 was cut to 大前店村第一…)
        return printable(f"{row['village']}{short_group(row['group'] or '')}")
    if key == "status":
        return FILE_STATUS_LABELS.get(row["status"], row["status"] or "")
    value = row[key]
    return "" if value is None else printable(str(value))


def fit(value: str, width: int) -> str:
    """``value`` cut or padded to exactly ``width`` terminal cells (a CJK character is two)."""
    if cell_len(value) > width and width > 1:
        return set_cell_size(value, width - 1) + "…"
    return set_cell_size(value, width)


def render_cells(values: list[tuple[str, int]], style: Style | None = None) -> list[Segment]:
    """One line: each value fitted to its width in cells, separated by a space."""
    return [Segment(" ".join(fit(value, width) for value, width in values), style)]


class HouseholdHeader(Widget):
    """The column titles above the list, with the sort arrow."""

    DEFAULT_CSS = "HouseholdHeader { height: 1; text-style: bold; padding-right: 1; }"

    sort = reactive("cbfbm")
    descending = reactive(False)

    def render_line(self, y: int) -> Strip:
        titles = []
        for column, width in layout(self.size.width):
            arrow = ("▼" if self.descending else "▲") if column.key == self.sort else ""
            titles.append((column.title + arrow, width))
        return Strip(render_cells(titles)).crop(0, self.size.width)


class HouseholdTable(ScrollView, can_focus=True):
    """The households of the current filter; Enter opens one."""

    DEFAULT_CSS = """
    HouseholdTable { height: 1fr; overflow-x: hidden; scrollbar-gutter: stable; scrollbar-size-vertical: 1; }
    """

    BINDINGS = [
        Binding("up", "cursor(-1)", "上移", show=False),
        Binding("down", "cursor(1)", "下移", show=False),
        Binding("pageup", "page(-1)", "上页", show=False),
        Binding("pagedown", "page(1)", "下页", show=False),
        Binding("home", "jump(0)", "首行", show=False),
        Binding("end", "jump(-1)", "末行", show=False),
        Binding("enter", "open", "打开"),
    ]

    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"open": "打开户卷"}

    cursor = reactive(0, always_update=True)

    class Opened(Message):
        """The archivist opened a household (Enter)."""

        def __init__(self, code: str):
            super().__init__()
            self.code = code

    class Highlighted(Message):
        """The cursor is on ``row`` (None: nothing to show)."""

        def __init__(self, row: dict | None):
            super().__init__()
            self.row = row

    class Changed(Message):
        """The filter or the data changed: ``total`` households match."""

        def __init__(self, total: int):
            super().__init__()
            self.total = total

    def __init__(self, engine: Engine, *, id: str | None = None):
        super().__init__(id=id)
        self.engine = engine
        self.filter = HouseholdFilter()
        self.total = 0
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()

    def on_mount(self) -> None:
        self.reload()

    def reload(self, household_filter: HouseholdFilter | None = None) -> None:
        """Read the first page again (after a filter change or new data) and count the matches.

        The first page is read with one row to spare: when it is not full, that is the count
        and no counting query runs.
        """
        if household_filter is not None:
            self.filter = household_filter
            self.cursor = 0
            self.scroll_to(y=0, animate=False)
        self._pages.clear()
        first = browse_page(self.engine, self.filter, 0, PAGE_SIZE + 1)
        self._pages[0] = first[:PAGE_SIZE]
        self.total = len(first) if len(first) <= PAGE_SIZE else browse_count(self.engine, self.filter)
        self.cursor = min(self.cursor, max(0, self.total - 1))
        self._set_rows(self.total)
        self.post_message(self.Changed(self.total))

    def row(self, index: int) -> dict | None:
        if not 0 <= index < self.total:
            return None
        page = index // PAGE_SIZE
        rows = self._pages.get(page)
        if rows is None:
            rows = browse_page(self.engine, self.filter, page * PAGE_SIZE, PAGE_SIZE, self.total)
            self._pages[page] = rows
            while len(self._pages) > CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        offset = index - page * PAGE_SIZE
        return rows[offset] if offset < len(rows) else None

    @property
    def current(self) -> dict | None:
        return self.row(self.cursor)

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        row = self.row(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        style = self.rich_style
        if index == self.cursor:
            style = style + Style(reverse=True)
        cells = [(cell_text(row, column.key), w) for column, w in layout(width)]
        return Strip(render_cells(cells, style)).crop(0, width)

    def watch_cursor(self, old: int, new: int) -> None:
        top = round(self.scroll_offset.y)
        height = max(1, self.size.height)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def _move_to(self, index: int) -> None:
        if self.total:
            self.cursor = max(0, min(self.total - 1, index))

    def action_cursor(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.size.height - 1))

    def action_jump(self, where: int) -> None:
        self._move_to(self.total - 1 if where < 0 else 0)

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row["cbfbm"]))

    def on_resize(self) -> None:
        self._set_rows(self.total)

    def _set_rows(self, rows: int) -> None:
        """Size the scroll area to ``rows`` lines without a layout pass of the whole screen
        (the widget's own size does not change, only what it scrolls over)."""
        size = Size(self.scrollable_content_region.width, rows)
        self.set_reactive(HouseholdTable.virtual_size, size)
        self._scroll_update(size)  # what a layout pass would do for this widget's scrollbar
        self.refresh()
