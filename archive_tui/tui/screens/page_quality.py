"""The 扫描 section's quality panes: pages with problems (问题页) and the manual sample (抽检).

问题页 lists the open findings of the page rules by kind with the page beside them (and its
twin for a duplicate); ``w`` waives with a reason, ``s`` marks the page for rescan.
抽检 lists the sampled pages still without a verdict; ``o`` records 合格, ``x`` 不合格 with the
problem, ``n`` draws a new sample to the configured share and prints its checklist.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding

from archive_tui.tui.screens.section import RoleGuarded
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable

from archive_tui.core.display import in_markup
from archive_tui.services.quality.page_rules import KIND_LABELS
from archive_tui.services.intake.scans import scan_preview
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.plain import PlainStatic, PlainTable
from archive_tui.tui.widgets.scan_preview import ScanPreview

LIST_LIMIT = 1000
TEXT = {
    "problem_columns": ("问题", "档号", "页", "处理"),
    "sample_columns": ("档号", "页", "户主", "卷内文件", "批号"),
    "no_problems": "没有待处理的问题页",
    "no_sample": "没有待检的抽检页；按 n 抽取",
    "rescan_marked": "待重扫",
    "open": "待处理",
    "waived": "已豁免：{path}",
    "marked": "已标记重扫：{path}。重扫件按“档号-页号”命名放入收件箱即替换该页",
    "reviewed": "已记录：{verdict}",
    "drawn": "抽检批号 {number}：抽取 {drawn} 页，清单已存到 {out}",
    "nothing_drawn": "已抽检 {sampled}/{population} 页，已达到 {share:g}%，未再抽取",
    "twin": "右：与之相似的页 {path}",
}


def ask_about(pane, row: dict | None, nothing: str, title: Callable[[dict], str], field: tuple[str, str, str],
              act: Callable[[dict, str], str], button: str, prefill: str = "") -> None:
    """One text for the selected row (a reason, a problem) in a small form; ``act`` records it
    and says what it did. Without a row, say there is nothing to act on."""
    from archive_tui.tui.screens.fields_form import ask

    if row is None:
        pane.notify(nothing)
        return
    key = field[0]
    ask(pane.screen, title(row), [field], lambda values: act(row, values[key]), button,
        values={key: prefill} if prefill else None)


def _selected_key(table: DataTable) -> str | None:
    if table.row_count == 0:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


class PageProblems(RoleGuarded, Horizontal):
    """问题页: open page findings with the page (and its twin) beside them."""

    HELP_LABEL = "问题页："  # before its keys in the help (screens/help.py)
    BINDINGS = [Binding("w", "waive", "豁免"), Binding("s", "rescan", "标记重扫")]
    DEFAULT_CSS = """
    PageProblems #problems { width: 3fr; height: 1fr; }
    PageProblems #problem-side { width: 2fr; border-left: solid $accent; }
    PageProblems #problem-message { height: auto; max-height: 5; padding: 0 1; }
    PageProblems #problem-previews { height: 1fr; }
    PageProblems #twin-preview { display: none; border-left: solid $panel; }
    PageProblems.with-twin #twin-preview { display: block; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rows: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        table = PlainTable(id="problems", cursor_type="row", zebra_stripes=True)
        table.add_columns(*TEXT["problem_columns"])
        yield table
        with Vertical(id="problem-side"):
            yield PlainStatic("", id="problem-message")
            with Horizontal(id="problem-previews"):
                yield ScanPreview(TEXT["no_problems"], id="problem-preview")
                yield ScanPreview("", id="twin-preview")

    def show_rows(self, rows: list[dict]) -> None:
        table = self.query_one("#problems", DataTable)
        row_before = table.cursor_row
        table.clear()
        self.rows = {str(row["id"]): row for row in rows}
        for row in rows:
            handling = TEXT["rescan_marked"] if row["rescan_reason"] else TEXT["open"]
            table.add_row(KIND_LABELS.get(row["rule"], row["rule"]), row["archive_code"], str(row["seq"] or ""),
                          handling, key=str(row["id"]))
        table.move_cursor(row=min(row_before, max(0, table.row_count - 1)))  # stay where the archivist was
        self.show_selected()

    def selected(self) -> dict | None:
        key = _selected_key(self.query_one("#problems", DataTable))
        return self.rows.get(key) if key else None

    @on(DataTable.RowHighlighted, "#problems")
    def show_selected(self) -> None:
        row = self.selected()
        message = self.query_one("#problem-message", PlainStatic)
        preview = self.query_one("#problem-preview", ScanPreview)
        self.set_class(False, "with-twin")
        if row is None:
            message.update("")
            preview.show(None, TEXT["no_problems"])
            return
        message.update(row["message"])
        size = preview.pixel_size()
        run_action(self, lambda: self.load_pictures(row, size), done=lambda found: self._show_pictures(*found),
                   description="问题页预览", group="problem-preview", exclusive=True)

    def load_pictures(self, row: dict, size: tuple[int, int]) -> tuple:
        from archive_tui.services.intake.page_quality import twin_page

        app = self.app
        twin = None
        if row["rule"] in ("page_duplicate", "page_duplicate_other"):
            twin = twin_page(app.engine, row["page_id"], same_file=row["rule"] == "page_duplicate")
        image = scan_preview(app.config, row["store_path"], size)
        twin_image = scan_preview(app.config, twin, size) if twin else None
        return image, twin, twin_image

    def _show_pictures(self, image, twin: str | None, twin_image) -> None:
        self.query_one("#problem-preview", ScanPreview).show(image, "无法预览")
        if twin:
            self.set_class(True, "with-twin")
            self.query_one("#twin-preview", ScanPreview).show(twin_image, TEXT["twin"].format(path=twin))

    def action_waive(self) -> None:
        from archive_tui.services.quality.checks import waive

        def act(row: dict, reason: str) -> str:
            waive(self.app.context, row["id"], reason)
            return TEXT["waived"].format(path=row["store_path"])

        ask_about(self, self.selected(), TEXT["no_problems"], lambda row: f"豁免：{row['message'][:40]}",
                  ("reason", "豁免理由", "如：有意留白的背面"), act, "豁免")

    def action_rescan(self) -> None:
        from archive_tui.services.intake.page_quality import mark_for_rescan

        def act(row: dict, reason: str) -> str:
            mark_for_rescan(self.app.context, row["store_path"], reason)
            return TEXT["marked"].format(path=row["store_path"])

        row = self.selected()
        ask_about(self, row, TEXT["no_problems"], lambda row: f"标记重扫：{row['archive_code']} 第 {row['seq']} 页",
                  ("reason", "重扫原因", "必填"), act, "标记重扫",
                  prefill=KIND_LABELS.get(row["rule"], "") if row else "")


class SampleReview(RoleGuarded, Horizontal):
    """抽检: sampled pages still without a verdict, with the page beside them."""

    HELP_LABEL = "抽检："  # before its keys in the help (screens/help.py)
    BINDINGS = [Binding("o", "passed", "合格"), Binding("x", "failed", "不合格"), Binding("n", "draw", "抽样")]
    DEFAULT_CSS = """
    SampleReview #sample { width: 3fr; height: 1fr; }
    SampleReview #sample-preview { width: 2fr; border-left: solid $accent; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rows: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        table = PlainTable(id="sample", cursor_type="row", zebra_stripes=True)
        table.add_columns(*TEXT["sample_columns"])
        yield table
        yield ScanPreview(TEXT["no_sample"], id="sample-preview")

    def show_rows(self, rows: list[dict]) -> None:
        table = self.query_one("#sample", DataTable)
        row_before = table.cursor_row
        table.clear()
        self.rows = {row["path"]: row for row in rows}
        for row in rows:
            table.add_row(row["archive_code"], str(row["seq"] or ""), row["household"], row["document"] or "",
                          row["sample"], key=row["path"])
        table.move_cursor(row=min(row_before, max(0, table.row_count - 1)))
        self.show_selected()

    def selected(self) -> dict | None:
        key = _selected_key(self.query_one("#sample", DataTable))
        return self.rows.get(key) if key else None

    @on(DataTable.RowHighlighted, "#sample")
    def show_selected(self) -> None:
        row = self.selected()
        preview = self.query_one("#sample-preview", ScanPreview)
        if row is None:
            preview.show(None, TEXT["no_sample"])
        else:
            path, size, config = row["path"], preview.pixel_size(), self.app.config
            run_action(self, lambda: scan_preview(config, path, size),
                       done=lambda image: preview.show(image, "无法预览"), description="抽检页预览",
                       group="sample-preview", exclusive=True)

    def action_passed(self) -> None:
        row = self.selected()
        if row is None:
            self.notify(TEXT["no_sample"])
            return
        from archive_tui.services.intake.page_sample import review_page

        app, screen = self.app, self.screen

        def reviewed(_result: object) -> None:
            self.notify(TEXT["reviewed"].format(verdict=f"{row['archive_code']} 第 {row['seq']} 页合格"))
            screen.action_refresh()

        run_action(self, lambda: review_page(app.context, row["path"], ok=True), done=reviewed,
                   description="抽检合格", group="sample-review")

    def action_failed(self) -> None:
        from archive_tui.services.intake.page_sample import review_page

        def act(row: dict, problem: str) -> str:
            review_page(self.app.context, row["path"], ok=False, problem=problem)
            return TEXT["reviewed"].format(verdict=f"不合格：{problem.strip()}")

        ask_about(self, self.selected(), TEXT["no_sample"],
                  lambda row: f"抽检不合格：{row['archive_code']} 第 {row['seq']} 页", ("problem", "问题", "必填"),
                  act, "记录")

    def action_draw(self) -> None:
        screen = self.screen

        def drawn(outcome: tuple[str, bool]) -> None:
            message, refresh = outcome
            self.notify(message)
            if refresh:
                screen.action_refresh()

        run_action(self, self.draw_sample, done=drawn, description="抽样", group="sample-draw", exclusive=True)

    def draw_sample(self) -> tuple[str, bool]:
        """In the worker: what to tell, and whether a sample was drawn (the lists change)."""
        from archive_tui.services.intake.page_sample import draw_sample, print_sample

        app = self.app
        sample = draw_sample(app.context)
        if not sample.drawn:
            return TEXT["nothing_drawn"].format(**vars(sample)), False
        out = print_sample(app.engine, app.config, sample.number)
        return in_markup(TEXT["drawn"].format(number=sample.number, drawn=sample.drawn, out=out)), True
