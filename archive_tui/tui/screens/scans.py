"""扫描: what the intake took in, what waits to be linked by hand, pages with problems (问题页), the
manual sample (抽检), what was set aside."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from archive_tui.core.states import PageStatus
from archive_tui.services.intake.page_quality import problem_pages
from archive_tui.services.quality.page_rules import TURNS
from archive_tui.services.intake.page_suggest import evidence_words, list_suggestions
from archive_tui.services.intake.page_sample import sample_rows
from archive_tui.services.intake.scans import ingest_once, list_scans, scan_counts, scan_preview
from archive_tui.tui.actions import run_action
from archive_tui.tui.screens.page_quality import PageProblems, SampleReview
from archive_tui.tui.widgets.scan_preview import ScanPreview
from archive_tui.tui.widgets.plain import PlainStatic, PlainTable
from archive_tui.tui.screens.section import SectionScreen

LIST_LIMIT = 1000  # rows shown per list; the rest after these are handled
TEXT = {
    "summary": "已挂接 {linked:,} 页 · [b]待挂接 {unassigned:,}[/b] · [b]问题页 {problems:,}[/b] · 待抽检 {pending:,}"
               " · 重复 {duplicate:,} · 已隔离 {quarantined:,}   收件箱 {inbox}{watching}",
    "watching": "（监视中）",
    "tabs": {"unassigned": "待挂接", "problems": "问题页", "sample": "抽检", "quarantined": "已隔离",
             "duplicate": "重复", "linked": "已挂接"},
    "columns": {"unassigned": ("文件", "建议", "格式", "dpi", "说明"), "quarantined": ("文件", "原因"),
                "duplicate": ("文件", "原因"), "linked": ("档号", "类型", "页", "格式", "dpi", "说明")},
    "preview": "选中一行查看预览",
    "no_preview": "无法预览",
    "assign": "挂接",
    "ingest": "立即收件",
    "refresh": "刷新",
    "ingested": "收件完成：挂接 {linked}，待挂接 {unassigned}，重复 {duplicates}，隔离 {quarantined}",
    "assigned": "已挂接并归档到 {path}",
    "more": "（只列出前 {limit:,} 个）",
    "nothing": "没有待挂接的扫描件",
    "accept": "接受建议",
    "read": "识别",
    "reading": "识别中 {done:,}/{total:,} 页（再按 o 停止）",
    "reading_first": "识别中 0/{total:,} 页：正在载入识别模型（首次约需一分钟；再按 o 停止）",
    "waiting_read": "识别中，这一页尚未识别到（按 o 停止）",
    "read_done": "识别完成：{read} 页，有挂接建议 {suggested} 页，无法识别 {unreadable} 页",
    "read_stopped": "识别已停止：已识别 {read} 页",
    "suggestion": "建议：{archive_code} {name}{doc}　置信度 {confidence:.0%}\n依据：{basis}",
    "no_suggestion": "未识别（按 o 识别待挂接的页）",
    "unsure": "识别不出是哪一户{doc}{basis}",
    "accepted": "已按建议挂接到 {archive_code}（{path}）",
}
TABS = (PageStatus.UNASSIGNED, PageStatus.QUARANTINED, PageStatus.DUPLICATE, PageStatus.LINKED)  # lists by status
PANES = ("unassigned", "problems", "sample", "quarantined", "duplicate", "linked")


def intake_summary(report) -> str:
    """The report of one pass over the inbox as the section shows it: what was taken, then what was
    left alone (files that are not scans, folders not entered) and the files that could not be taken."""
    return "\n".join([TEXT["ingested"].format(**vars(report)), *report.left_alone(), *report.notes])


def gather_lists(engine) -> tuple[dict[str, int], dict[str, list[dict]]]:
    """What the section shows: the counts, and the first rows of every list."""
    counts = scan_counts(engine)
    lists = {key: list_scans(engine, key, limit=LIST_LIMIT) for key in TABS}
    lists["suggestions"] = list_suggestions(engine, limit=LIST_LIMIT)
    lists["problems"] = problem_pages(engine, limit=LIST_LIMIT)
    lists["sample"] = sample_rows(engine, pending_only=True, limit=LIST_LIMIT)
    counts["problems"], counts["pending"] = len(lists["problems"]), len(lists["sample"])
    return counts, lists


def outlined(image, boxes: list) -> object:
    """The preview with the evidence read from the page framed in red (boxes as shares of the page)."""
    from PIL import ImageDraw  # loaded late: Pillow, only when reading images

    image = image.convert("RGB")
    draw = ImageDraw.Draw(image)
    width, height = image.size
    for left, top, right, bottom in boxes:
        draw.rectangle((left * width - 1, top * height - 1, right * width + 1, bottom * height + 1),
                       outline=(220, 30, 30), width=2)
    return image


def _shown(path: Path, root: Path) -> str:
    """A path as the archivist knows it: relative to the archive folder when inside it."""
    try:
        return path.relative_to(root).as_posix() + "/"
    except ValueError:
        return str(path)


def _scan_table(key: str) -> DataTable:
    """A list with its columns from the start: the intake's results may reach the screen
    (from the app's watcher) before the screen's own mount handler has run."""
    table = PlainTable(id=f"table-{key}", cursor_type="row", zebra_stripes=True)
    table.add_columns(*TEXT["columns"][key])
    return table


class ScansScreen(SectionScreen):
    BINDINGS = [
        Binding("a", "assign", TEXT["assign"]),
        Binding("i", "ingest", TEXT["ingest"]),
        Binding("r", "refresh", TEXT["refresh"]),
        Binding("y", "accept", TEXT["accept"]),
        Binding("o", "read", TEXT["read"]),
    ]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {"assign": "挂接选中的扫描件", "read": "识别待挂接的页", "accept": "接受挂接建议"}
    DEFAULT_CSS = """
    #scan-summary { padding: 0 1; height: auto; }
    #scan-tabs { height: 1fr; }
    #scan-tabs TabPane { height: 1fr; padding: 0; }
    ScansScreen DataTable { height: 1fr; }
    #table-unassigned { width: 3fr; }
    #unassigned-side { width: 2fr; border-left: solid $accent; }
    #suggestion { height: 4; padding: 0 1; }  /* fixed: the preview below is drawn to a size known at once */
    #scan-reason { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="scan-summary")
        with TabbedContent(id="scan-tabs"):
            for key in PANES:
                with TabPane(TEXT["tabs"][key], id=f"tab-{key}"):
                    if key == "unassigned":
                        with Horizontal():
                            yield _scan_table(key)
                            with Vertical(id="unassigned-side"):
                                yield PlainStatic("", id="suggestion")
                                yield ScanPreview(TEXT["preview"], id="preview")
                    elif key == "problems":
                        yield PageProblems(id="page-problems")
                    elif key == "sample":
                        yield SampleReview(id="sample-review")
                    else:
                        yield _scan_table(key)
        yield PlainStatic("", id="scan-reason")  # the selected row's reason in full (its column is cut at 80)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#table-unassigned", DataTable).focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        run_action(self, self.load_lists, done=lambda found: self.show_lists(*found), description="扫描列表",
                   group="scan-lists", exclusive=True)

    def load_lists(self) -> tuple[dict[str, int], dict[str, list[dict]]]:
        return gather_lists(self.app.engine)

    def show_lists(self, counts: dict[str, int], lists: dict[str, list[dict]]) -> None:
        app = self.app
        watching = TEXT["watching"] if getattr(app, "watching", False) else ""
        more = TEXT["more"].format(limit=LIST_LIMIT) if max(counts.values(), default=0) > LIST_LIMIT else ""
        self.query_one("#scan-summary", Static).update(
            TEXT["summary"].format(**counts, inbox=_shown(app.config.inbox, app.config.root), watching=watching)
            + more)
        self.suggestions = {row["path"]: row for row in lists.get("suggestions", [])}
        rows = {
            "unassigned": [(r["path"].rsplit("/", 1)[-1], self.suggestion_cell(r["path"]), r["format"],
                            str(r["dpi"] or ""), r["reason"]) for r in lists["unassigned"]],
            "quarantined": [(r["path"].rsplit("/", 1)[-1], r["reason"]) for r in lists["quarantined"]],
            "duplicate": [(r["path"].rsplit("/", 1)[-1], r["reason"]) for r in lists["duplicate"]],
            "linked": [(r["archive_code"] or "", r["doc_type"] or "", str(r["seq"] or ""), r["format"],
                        str(r["dpi"] or ""), r["reason"]) for r in lists["linked"]],
        }
        for key in TABS:
            table = self.query_one(f"#table-{key}", DataTable)
            table.clear()
            for row, scan in zip(rows[key], lists[key]):
                table.add_row(*row, key=scan["path"])
        self.query_one(PageProblems).show_rows(lists["problems"])
        self.query_one(SampleReview).show_rows(lists["sample"])
        self.show_selected_preview()

    def suggestion_cell(self, path: str) -> str:
        row = getattr(self, "suggestions", {}).get(path)
        if row is None or not row["name"]:
            return ""
        return f"{row['name']} {row['confidence']:.0%}"

    def suggestion_text(self, path: str) -> str:
        row = getattr(self, "suggestions", {}).get(path)
        if row is None or not row["read"]:
            reading = getattr(self, "stop_reading", None)
            return TEXT["waiting_read"] if reading is not None and not reading.is_set() else TEXT["no_suggestion"]
        names = {doc.code: doc.name for doc in self.app.config.settings.documents}
        doc = f"（{names.get(row['doc_type'], row['doc_type'])}）" if row["doc_type"] else ""
        basis = evidence_words([item for item in row["evidence"] if item["kind"] != "title"])
        if row["orientation"]:
            doc += f"（此页{TURNS[row['orientation']]}）"
        if not row["name"]:
            return TEXT["unsure"].format(doc=doc, basis=f"；{row['note'] or basis}" if (row["note"] or basis) else "")
        return TEXT["suggestion"].format(archive_code=row["archive_code"], name=row["name"], doc=doc,
                                         confidence=row["confidence"], basis=basis or "—")

    @on(DataTable.RowHighlighted, "#table-quarantined, #table-duplicate, #table-linked")
    def show_reason(self, event: DataTable.RowHighlighted) -> None:
        self.show_reason_of(event.data_table)

    @on(TabbedContent.TabActivated, "#scan-tabs")
    def reason_of_the_tab(self, event: TabbedContent.TabActivated) -> None:
        tables = event.pane.query("#table-quarantined, #table-duplicate, #table-linked")
        if tables:
            self.show_reason_of(tables.first(DataTable))
        else:
            self.query_one("#scan-reason", PlainStatic).update("")

    def show_reason_of(self, table: DataTable) -> None:
        """The selected row's file and reason in full under the lists (the 原因 column is cut at 80)."""
        line = ""
        if table.row_count:
            row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            reason = str(table.get_row(row_key)[-1])
            line = f"{row_key.value}：{reason}" if reason else str(row_key.value)
        self.query_one("#scan-reason", PlainStatic).update(line)

    @on(DataTable.RowHighlighted, "#table-unassigned")
    def show_selected_preview(self) -> None:
        path = self.selected_path()
        preview = self.query_one("#preview", ScanPreview)
        self.query_one("#suggestion", PlainStatic).update(self.suggestion_text(path) if path else "")
        if path is None:
            preview.show(None, TEXT["nothing"])
        else:
            boxes = [item["box"] for item in getattr(self, "suggestions", {}).get(path, {}).get("evidence", [])
                     if item.get("box")]
            self.load_preview(path, preview.pixel_size(), boxes)

    def load_preview(self, path: str, size: tuple[int, int], boxes: list | None = None) -> None:
        preview, config = self.query_one("#preview", ScanPreview), self.app.config

        def draw() -> object:
            image = scan_preview(config, path, size)
            return outlined(image, boxes) if image is not None and boxes else image

        run_action(self, draw, done=lambda image: preview.show(image, TEXT["no_preview"]), description="扫描件预览",
                   group="scan-preview", exclusive=True)

    def selected_path(self) -> str | None:
        table = self.query_one("#table-unassigned", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_assign(self) -> None:
        from archive_tui.tui.screens.assign_scan import AssignScanScreen

        path = self.selected_path()
        if path is None:
            self.notify(TEXT["nothing"])
            return

        def done(stored: str | None) -> None:
            if stored:
                self.notify(TEXT["assigned"].format(path=stored))
                self.action_refresh()

        self.app.push_screen(AssignScanScreen(path), done)

    def action_ingest(self) -> None:
        run_action(self, self.run_intake, done=self.taken_in, description="立即收件", group="scan-intake",
                   exclusive=True)

    def run_intake(self) -> object:
        """In the worker: one pass over the inbox."""
        app = self.app
        return ingest_once(app.context, wait=False)  # quitting never waits for another intake

    def taken_in(self, report) -> None:
        if report.busy:
            self.notify(report.notes[-1], severity="warning")
            return
        left = report.left_alone() + report.notes
        self.notify(intake_summary(report), severity="warning" if left else "information", markup=False)
        self.action_refresh()

    def action_accept(self) -> None:
        from archive_tui.services.intake.page_suggest import accept_suggestion

        path = self.selected_path()
        if path is None:
            self.notify(TEXT["nothing"])
            return
        app, archive_code = self.app, self.suggestions[path]["archive_code"]

        def accepted(stored: str) -> None:
            self.notify(TEXT["accepted"].format(archive_code=archive_code, path=stored))
            self.action_refresh()

        run_action(self, lambda: accept_suggestion(app.context, path), done=accepted,
                   description="接受挂接建议", group="scan-accept", severity="warning")

    def action_read(self) -> None:
        """o: read the waiting pages in the background; o again stops after the page being read."""
        import threading

        running = getattr(self, "stop_reading", None)
        if running is not None and not running.is_set():
            running.set()
            return
        stop = self.stop_reading = threading.Event()
        run_action(self, lambda: self.read_pages(stop), done=self.pages_read, failed=lambda _text: stop.set(),
                   description="识别待挂接的页", group="scan-ocr", exclusive=True)

    def read_pages(self, stop) -> tuple[object, bool]:
        """In the worker: the report and whether the archivist stopped it."""
        from archive_tui.services.intake.page_suggest import suggest_pages

        app = self.app

        def progress(done: int, total: int) -> None:
            text = TEXT["reading"] if done else TEXT["reading_first"]
            app.call_from_thread(self.query_one("#scan-summary", Static).update, text.format(done=done, total=total))

        try:
            closing = app.stop_watching.is_set  # quitting stops it after the page being read
            report = suggest_pages(app.context, progress=progress,
                                   cancelled=lambda: stop.is_set() or closing())
        finally:
            stopped = stop.is_set()
            stop.set()
        return report, stopped

    def pages_read(self, outcome: tuple[object, bool]) -> None:
        report, stopped = outcome
        done = TEXT["read_stopped"] if stopped else TEXT["read_done"]
        self.notify(done.format(**vars(report)))
        self.action_refresh()
