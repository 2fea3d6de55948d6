"""不合格未加入: the files a village's adding left out, each with its reasons; the archivist marks
those to let through (空格, a 全选) and writes one reason (放行理由) for them all, or closes the
list and they stay out. Letting through is ``transfers.add`` with that reason (as the command
``transfers add --override``): one transaction, audited."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, Static

from archive_tui.core.errors import ArchiveError
from archive_tui.services.transfers import transfers
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.household_table import fit
from archive_tui.tui.widgets.plain import PlainStatic, PlainTable

TEXT = {
    "title": "批次 {batch}：已加入 {added:,} 卷，以下 {refused:,} 卷不合格未加入",
    "columns": ("放行", "档号", "户主", "原因"),
    "marked": "✓",
    "locked": "不可",  # a reason no override lets through (in another batch, lent …)
    "reason": "放行理由",
    "placeholder": "空格标记要放行的卷，写明理由后回车",
    "detail_head": "{code}  {household}（承包方编码 {cbfbm}）",
    "cannot": "不能放行：{reason}",
    "none_marked": "请先用空格标记要放行的案卷（a 全选可放行的）",
    "no_reason": "请写明放行理由（记入审计日志）",
    "not_this": "{code} 不能放行：{reason}",
    "done": "已放行加入 {added:,} 卷（理由：{reason}）",
}
MARK, CODE, NAME, REASON = range(4)
NAME_CELLS = 8  # 户主 column at most; longer names end in …
# besides the 档号 and 户主 texts: the border, the 放行 column and the padding of all four, the scrollbar
OTHER_CELLS = 2 + 4 + 4 * 2 + 2


class RefusedFilesScreen(ModalScreen[str | None]):
    """Dismissed with the message of the files let through, or None when closed without."""

    # Enter lets through from the list and from the reason field alike (priority: before the table's own Enter)
    BINDINGS = [Binding("space", "mark", "标记", key_display="空格"), Binding("a", "mark_all", "全选"),
                Binding("enter", "let_through", "放行", key_display="Enter", priority=True),
                Binding("escape", "close", "关闭（不加入）", key_display="Esc")]
    DEFAULT_CSS = """
    RefusedFilesScreen { align: center middle; }
    #refused { width: 100%; height: 1fr; border: round $warning; background: $surface; }
    #refused-title { padding: 0 1; height: 1; }
    #refused-files { height: 1fr; }
    #refused-detail { height: 6; padding: 0 1; border-top: solid $warning 50%; }
    #refused-reason-row { height: 1; padding: 0 1; }
    #refused-reason-row Label { width: 10; }
    #refused-reason { border: none; height: 1; padding: 0 1; width: 1fr; background: $boost; }
    #refused-reason:focus { background: $accent 30%; }
    #refused-error { color: $error; height: auto; max-height: 3; padding: 0 1; }
    """

    def __init__(self, batch: str, added: int, files: list[transfers.RefusedFile]):
        super().__init__()
        self.batch, self.added, self.files = batch, added, {file.archive_code: file for file in files}
        self.marked: set[str] = set()
        self.saving = False
        self.error_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="refused"):
            yield PlainStatic(TEXT["title"].format(batch=self.batch, added=self.added, refused=len(self.files)),
                              id="refused-title")
            yield PlainTable(id="refused-files", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="refused-detail", can_focus=False):
                yield PlainStatic("", id="refused-detail-text")
            with Horizontal(id="refused-reason-row"):
                yield Label(TEXT["reason"])
                yield Input(placeholder=TEXT["placeholder"], id="refused-reason")
            yield PlainStatic("", id="refused-error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#refused-files", DataTable)
        for label in TEXT["columns"]:
            table.add_column(label, key=label)
        self.fill()
        table.focus()

    def name_cells(self) -> int:
        return min(NAME_CELLS, max(cell_len(file.household) for file in self.files.values()))

    def reason_cells(self) -> int:
        """What is left of the width for the 原因 column (at 80 columns about 36 cells)."""
        codes = max(cell_len(code) for code in self.files)
        return max(12, self.app.size.width - OTHER_CELLS - codes - self.name_cells())

    def fill(self) -> None:
        """The rows, their reasons cut to the width there is (the detail pane has them in full)."""
        table = self.query_one("#refused-files", DataTable)
        keep = table.cursor_row
        table.clear()
        if not self.files:
            return
        width, names = self.reason_cells(), self.name_cells()
        for code, file in self.files.items():
            reasons = "；".join(reason.text for reason in file.reasons)
            table.add_row(self.mark_of(code), code, fit(file.household, names).rstrip(), fit(reasons, width).rstrip(),
                          key=code)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
            self.show_detail(self.current())

    def on_resize(self) -> None:
        if self.query("#refused-files"):
            self.fill()

    def mark_of(self, code: str) -> str:
        if not self.files[code].may_override:
            return TEXT["locked"]
        return TEXT["marked"] if code in self.marked else ""

    def current(self) -> str | None:
        table = self.query_one("#refused-files", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.row_key.value)

    def show_detail(self, code: str | None) -> None:
        """The highlighted file's reasons in full: each, and under it what it concerns."""
        if code is None:
            return
        file = self.files[code]
        lines = [TEXT["detail_head"].format(code=code, household=file.household, cbfbm=file.cbfbm)]
        for reason in file.reasons:
            text = reason.text if reason.may_override else TEXT["cannot"].format(reason=reason.text)
            lines.append(f"· {text}")
            lines.extend(f"    {detail}" for detail in reason.details)
        self.query_one("#refused-detail-text", Static).update("\n".join(lines))
        self.query_one("#refused-detail", VerticalScroll).scroll_home(animate=False)

    def show_error(self, text: str) -> None:
        self.error_text = text
        self.query_one("#refused-error", Static).update(text)

    def show_errors(self, error: ArchiveError) -> None:  # for run_action: a refusal stays in the dialog
        self.show_error("\n".join([error.message, *error.details[:2]]))

    def on_input_changed(self) -> None:
        """A reason being written: the request for it goes."""
        if self.error_text == TEXT["no_reason"]:
            self.show_error("")

    def set_mark(self, code: str, on: bool) -> None:
        (self.marked.add if on else self.marked.discard)(code)
        table = self.query_one("#refused-files", DataTable)
        table.update_cell(code, TEXT["columns"][MARK], self.mark_of(code))

    def action_mark(self) -> None:
        code = self.current()
        if code is None:
            return
        file = self.files[code]
        if not file.may_override:
            locked = next(reason.text for reason in file.reasons if not reason.may_override)
            self.show_error(TEXT["not_this"].format(code=code, reason=locked))
            return
        self.show_error("")
        self.set_mark(code, code not in self.marked)
        table = self.query_one("#refused-files", DataTable)
        if table.cursor_row < table.row_count - 1:  # on to the next, as a checklist goes
            table.move_cursor(row=table.cursor_row + 1)

    def action_mark_all(self) -> None:
        """All that may be let through marked; pressed again, none."""
        free = [code for code, file in self.files.items() if file.may_override]
        on = not set(free) <= self.marked
        for code in free:
            self.set_mark(code, on)
        self.show_error("")

    def action_let_through(self) -> None:
        """放行 the marked files with the reason: asked for what is missing first."""
        if self.saving:
            return
        reason_field = self.query_one("#refused-reason", Input)
        reason = reason_field.value.strip()
        if not self.marked:
            self.show_error(TEXT["none_marked"])
            self.query_one("#refused-files", DataTable).focus()
            return
        if not reason:
            self.show_error(TEXT["no_reason"])
            reason_field.focus()
            return
        self.show_error("")
        self.saving = True
        codes, context = sorted(self.marked), self.app.context

        def let_through() -> str:
            result = transfers.add(context, self.batch, codes, override=reason)
            return TEXT["done"].format(added=result.added, reason=reason)

        run_action(self, let_through, done=self.dismiss, failed=self.not_saved, field_errors_to=self,
                   description=TEXT["reason"], group="refused-save", exclusive=True)

    def not_saved(self, _text: str) -> None:
        self.saving = False

    def action_close(self) -> None:
        if not self.saving:
            self.dismiss(None)
