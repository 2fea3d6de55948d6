"""导入: load a county registration database in a worker, with progress and cancel."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, ProgressBar, Static
from textual.worker import get_current_worker

from archive_tui.core.errors import ArchiveError
from archive_tui.services.campaigns.extension_import import run_campaign_import
from archive_tui.services.exchange.importing import ImportRejected, run_import
from archive_tui.tui.actions import run_action
from archive_tui.tui.widgets.plain import PlainStatic
from archive_tui.tui.widgets.form import TypeAhead

TEXT = {
    "title": "导入确权登记数据（NY/T 2539）",
    "path": ".mdb / .accdb / .xlsx 文件或 CSV 文件夹的路径",
    "skip": "跳过不合格的行，导入其余数据",
    "start": "开始导入",
    "cancel": "取消",
    "close": "关闭",
    "running": "正在{stage}……",
    "cancelled": "已取消，数据库未作任何改动。",
    "done": "导入完成：新增承包方 {new} 户，更新 {updated} 户，新建案卷 {files} 卷，需核对问题 {flags} 条。",
    "same": "数据源与数据库中的数据完全相同，未作任何改动。",
    "empty": "数据源中没有任何记录（各表均为空），未作任何改动。",
    "unchanged": "数据库未作任何改动。",
    "conflicts": "\n{count} 处与本档案的记录不一致（如在本程序中改过的户信息、已登记的发证），已保留本档案的值；"
                 "清单可用命令 archive-tui import 数据源 --report 报告.xlsx 导出。",
    "more": "……另有 {count} 条",
    "campaign": "作为{name}数据导入（与确权数据并存，不覆盖确权的合同和证书）",
    "campaign_running": "正在导入{name}数据……",
    "campaign_title": "导入{name}数据（NY/T 2539，与确权数据并存）",
    "new_households": "（确权登记中没有的新分户须核实后用命令 archive-tui import 数据源 --campaign {name} "
                      "--new-households 导入）",
}


class ImportCancelled(Exception):
    """The archivist pressed 取消 while the import ran."""


class ImportScreen(TypeAhead, ModalScreen[bool]):
    AUTO_FOCUS = "#path"
    BINDINGS = [Binding("escape", "cancel", TEXT["cancel"])]
    DEFAULT_CSS = """
    ImportScreen { align: center middle; }
    #import { width: 76; max-width: 100%; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    #import Input { border: none; height: 1; margin: 1 0; }
    #log { height: auto; max-height: 12; margin-top: 1; }
    #buttons { height: auto; margin-top: 1; }
    """

    def __init__(self):
        super().__init__()
        self.running = False
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="import"):
            yield Static(f"[b]{TEXT['title']}[/b]", id="title")
            yield Input(placeholder=TEXT["path"], id="path")
            yield Checkbox(TEXT["skip"], id="skip")
            for index, campaign in enumerate(self.app.config.settings.campaigns):
                yield Checkbox(TEXT["campaign"].format(name=campaign.name), id=f"campaign-{index}")
            yield ProgressBar(id="progress", show_eta=False, total=100)  # 0% until it starts: no pulsing bar
            yield PlainStatic("", id="log")
            with Horizontal(id="buttons"):
                yield Button(TEXT["start"], variant="primary", id="start")
                yield Button(TEXT["cancel"], id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.start()
        else:
            self.action_cancel()

    def on_input_submitted(self) -> None:
        self.start()

    def start(self) -> None:
        if self.running:
            return
        path = self.query_one("#path", Input).value.strip().strip('"')
        if not path:
            return
        self.running = True
        self.query_one("#start", Button).disabled = True
        campaigns = [campaign.name for index, campaign in enumerate(self.app.config.settings.campaigns)
                     if self.query_one(f"#campaign-{index}", Checkbox).value]
        if campaigns:
            self.run_campaign_import(Path(path).expanduser(), campaigns[0])
            return
        self.run_import(Path(path).expanduser(), self.query_one("#skip", Checkbox).value)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """One campaign at a time: ticking one unticks the others; the title says what is imported."""
        if event.value and (event.checkbox.id or "").startswith("campaign-"):
            for box in self.query(Checkbox):
                if box is not event.checkbox and (box.id or "").startswith("campaign-"):
                    box.value = False
        ticked = [campaign.name for index, campaign in enumerate(self.app.config.settings.campaigns)
                  if self.query_one(f"#campaign-{index}", Checkbox).value]
        title = TEXT["campaign_title"].format(name=ticked[0]) if ticked else TEXT["title"]
        self.query_one("#title", Static).update(f"[b]{title}[/b]")

    def run_campaign_import(self, path: Path, campaign: str) -> None:
        self.query_one("#log", Static).update(TEXT["campaign_running"].format(name=campaign))
        run_action(self, lambda: self.campaign_from(path, campaign), done=lambda outcome: self.finish(*outcome),
                   failed=lambda text: self.finish(text, False), description=f"导入{campaign}数据", group="import",
                   exclusive=True)

    def campaign_from(self, path: Path, campaign: str) -> tuple[str, bool]:
        """In the worker: the campaign import's own lines, and whether the database changed."""
        try:
            report = run_campaign_import(self.app.context, path, campaign)
        except ArchiveError as error:
            lines = [error.message, *error.details[:8]]
            if len(error.details) > 8:
                lines.append(TEXT["more"].format(count=len(error.details) - 8))
            if "--new-households" in "\n".join(error.details):
                lines.append(TEXT["new_households"].format(name=campaign))
            return "\n".join(lines), False
        return "\n".join(report.lines()), report.changed

    def run_import(self, path: Path, skip_rejects: bool) -> None:
        run_action(self, lambda: self.import_from(path, skip_rejects), done=lambda outcome: self.finish(*outcome),
                   failed=lambda text: self.finish(text, False), description="导入确权登记数据", group="import",
                   exclusive=True)

    def import_from(self, path: Path, skip_rejects: bool) -> tuple[str, bool]:
        """In the worker: what to say in the log, and whether the database changed."""
        worker = get_current_worker()

        def progress(stage: str, done: int, total: int) -> None:
            if worker.is_cancelled:
                raise ImportCancelled
            self.app.call_from_thread(self.show_progress, stage, done, total)

        try:
            report = run_import(self.app.context, path, skip_rejects=skip_rejects,
                                progress=progress)
        except ImportCancelled:
            return TEXT["cancelled"], False
        except ImportRejected as rejected:
            lines = [rejected.message, *rejected.details[:8]]
            if len(rejected.details) > 8:
                lines.append(TEXT["more"].format(count=len(rejected.details) - 8))
            return "\n".join(lines), False
        except ArchiveError as error:
            return str(error), False
        else:
            households = report.counts["承包方"]
            rows = sum(c.new + c.updated + c.unchanged for c in report.counts.values())
            if report.changed:
                message = TEXT["done"].format(new=households.new, updated=households.updated,
                                              files=report.new_files, flags=len(report.flags))
            elif report.conflict_count:
                message = TEXT["unchanged"]
            else:
                message = TEXT["same"] if rows else TEXT["empty"]
            if report.conflict_count:
                message += TEXT["conflicts"].format(count=report.conflict_count)
            for note in report.notes:
                message += f"\n注意：{note}"
            return message, report.changed

    def show_progress(self, stage: str, done: int, total: int) -> None:
        self.query_one("#progress", ProgressBar).update(total=total, progress=done)
        self.query_one("#log", Static).update(TEXT["running"].format(stage=stage))

    def finish(self, message: str, changed: bool) -> None:
        self.running = False
        self.changed = self.changed or changed
        self.query_one("#log", Static).update(message)
        self.query_one("#start", Button).disabled = False
        self.query_one("#cancel", Button).label = TEXT["close"]

    def action_cancel(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "import")
            return
        self.dismiss(self.changed)
