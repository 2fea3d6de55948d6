"""Widgets that show data exactly as it is written (原样显示).

Textual reads every ``str`` cell of a DataTable and every Static's text as markup: a name or a file
name such as ``张[/b]三`` from an imported source crashed the screen, and ``[@click=…]`` would have
turned data into an action. Data is shown here as plain text, with control characters written out
(``\\x1b``) so that they cannot repaint the archivist's terminal.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widgets import DataTable, Static

from archive_tui.core.display import printable


def plain(value: object) -> object:
    """A ``str`` cell as plain text; other cells (numbers, ready-made ``Text``) unchanged."""
    return Text(printable(value), end="") if isinstance(value, str) else value


EMPTY = "暂无记录"


class PlainTable(DataTable):
    """A DataTable whose text cells are never read as markup; an empty one says so under its header
    (a bare header looked like a table still loading or broken)."""

    def render_line(self, y: int) -> Strip:
        if self.row_count == 0 and self.columns and y == (self.header_height if self.show_header else 0):
            style = self.get_component_rich_style("datatable--header", partial=True) + Style(dim=True, bold=False)
            return Strip([Segment(f" {EMPTY}", style)]).adjust_cell_length(self.size.width)
        return super().render_line(y)

    def add_row(self, *cells, height: int | None = 1, key: str | None = None, label=None):
        return super().add_row(*(plain(cell) for cell in cells), height=height, key=key, label=label)

    def update_cell(self, row_key, column_key, value, *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, plain(value), update_width=update_width)


class PlainStatic(Static):
    """A line of messages or data: never markup, control characters visible."""

    def __init__(self, content: str = "", **kwargs) -> None:
        super().__init__(printable(content), markup=False, **kwargs)

    def update(self, content="", *, layout: bool = True) -> None:
        super().update(printable(content) if isinstance(content, str) else content, layout=layout)
