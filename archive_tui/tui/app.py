"""The archive-tui application shell: sections on keys 1–8, help, the command palette.

Opening is quick: only the 总览 (the first screen) is loaded with the app, each other section's
screen when it is first opened; the work of the day (the search index, the inbox watcher, the
daily backup) starts in workers that wait until the first screen shows its figures."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from functools import partial
from pathlib import Path

from sqlalchemy import Engine
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from archive_tui.bootstrap import actor_of, context_for
from archive_tui.core.config import Config
from archive_tui.core.display import printable
from archive_tui.services.households import search
from archive_tui.tui import downloads
from archive_tui.tui.actions import run_action
from archive_tui.tui.screens.dashboard import DashboardScreen, count_figures
from archive_tui.tui.widgets.form import TypeAhead, pass_to_the_form_on_top

SECTIONS = (
    ("dashboard", "总览", "各村进度与合计"),
    ("households", "户卷", "浏览、搜索、打开户卷"),
    ("scans", "扫描", "扫描件收件与挂接"),
    ("certificates", "证书", "颁证、旧证收回与销毁"),
    ("transfers", "移交", "向县档案馆移交"),
    ("checks", "质检", "质量检查与销号"),
    ("storage", "库房", "各位置、各盒存放的案卷"),
    ("records", "档案", "综合档案、利用登记、月报"),
)
TEST_SCREENS = "ARCHIVE_TUI_TEST_SCREENS"  # a folder: F12 saves the screen there as SVG (the browser tests' hook)
TEXT = {
    "title": "确权登记档案",
    "subtitle": "{county}{township} · 操作员 {operator}",
    "indexing": "正在建立检索索引：{done:,}/{total:,} 户",
    "indexed": "检索索引已建立（{total:,} 户）",
    "help": "帮助",
    "quit": "退出",
    "palette": "命令",
    "sections": "切换",
    "search": "搜索",
    "accounts": "账户",
    "taken": "收件箱：挂接 {linked}，待挂接 {unassigned}，重复 {duplicates}，隔离 {quarantined}",
    "watch_failed": "收件箱监视已停止：{error}",
}


def section_screen(key: str) -> Screen:
    """A new screen of section ``key``; its module (and the services it needs: Pillow, numpy,
    reportlab…) loaded when the section is first opened, not with the app."""
    # loaded late: each section's screen with its services, when the section is first opened
    match key:
        case "households":
            from archive_tui.tui.screens.households import HouseholdsScreen as screen_type
        case "scans":
            from archive_tui.tui.screens.scans import ScansScreen as screen_type
        case "certificates":
            from archive_tui.tui.screens.certificates import CertificatesScreen as screen_type
        case "transfers":
            from archive_tui.tui.screens.transfers import TransfersScreen as screen_type
        case "checks":
            from archive_tui.tui.screens.checks import ChecksScreen as screen_type
        case "storage":
            from archive_tui.tui.screens.storage import StorageScreen as screen_type
        case "records":
            from archive_tui.tui.screens.records import RecordsScreen as screen_type
        case _:
            screen_type = DashboardScreen
    return screen_type()


class ArchiveApp(App):
    TITLE = TEXT["title"]
    COMMAND_PALETTE_DISPLAY = "Ctrl+P"  # the key as printed on the keyboard, not the terminal's ^p
    CSS = """
    #dashboard { padding: 0 1; }
    #empty { padding: 1 2; border: round $accent; margin-bottom: 1; height: auto; }
    #totals { height: auto; margin-bottom: 1; }
    #villages { height: 1fr; }
    #villages.beside-campaign { height: auto; max-height: 45%; }  /* a later campaign's table right under it */
    /* notifications span the whole width above the footer: a toast's edge never falls inside a
       Chinese character of the pane under it (they were cut to half a character there) */
    ToastRack { align: left bottom; }
    /* every text field visibly a field, the one being typed in plainly so (forms draw them borderless) */
    Input { background: $foreground 18%; }
    Input:focus { background: $accent 45%; }
    /* the footer's room is the section's keys: the command palette (Ctrl+P) is in the help */
    FooterKey.-command-palette { display: none; }
    Toast { width: 100%; max-width: 100%; margin: 0; }
    """
    MODES = {key: partial(section_screen, key) for key, _title, _help in SECTIONS}
    BINDINGS = [
        # one footer entry for the section keys (the help lists them one by one)
        *(Binding(str(number), f"section('{key}')", TEXT["sections"] if number == 1 else title, show=number == 1,
                  key_display=f"1-{len(SECTIONS)}" if number == 1 else None)
          for number, (key, title, _help) in enumerate(SECTIONS, start=1)),
        Binding("question_mark", "help", TEXT["help"]),
        Binding("slash", "search", TEXT["search"], show=False),
        Binding("q", "quit", TEXT["quit"]),
        Binding("u", "accounts", TEXT["accounts"]),  # a 管理员 account only (check_action)
        Binding("ctrl+p", "command_palette", TEXT["palette"], show=False, priority=True, key_display="Ctrl+P"),
        # in a form, Tab moves on in the order typed: "abc⇥def" never puts def into abc's field (a
        # Tab handled when the key bubbled up came after the letters typed behind it)
        Binding("tab", "form_field(1)", show=False, priority=True),
        Binding("shift+tab", "form_field(-1)", show=False, priority=True),
    ]
    # what the help (screens/help.py) says of a key where the footer says less
    KEY_HELP = {**{f"section('{key}')": title for key, title, _help in SECTIONS}, "help": "本帮助",
                "search": "搜索户卷", "command_palette": "命令面板", "accounts": "管理员：账户、立即备份"}

    def __init__(self, config: Config, engine: Engine, section: str = "dashboard", intake: bool = False,
                 backups: bool = False, user=None):
        super().__init__()
        self.user = user  # the logged-in account (services.accounts.User), or None when accounts are not used
        self.config = config
        self.engine = engine
        self.context = context_for(engine, config, actor_of(user) if user is not None else None)  # who acts
        self.indexing = False
        self.first_section = section
        self.intake = intake  # take scans from the inbox while the app runs
        self.backups = backups  # the automatic daily backup
        self.watching = False
        self.left_alone_told: list[str] = []  # what the watcher last said it left in the inbox (said once)
        self.stop_watching = threading.Event()  # set as soon as the app is asked to close
        self.intake_stopped = threading.Event()
        self.first_screen_shown = threading.Event()  # the background work waits for it (after_first_screen)
        self.figures_ahead = self.count_ahead() if section == "dashboard" else None
        self.test_screens = os.environ.get(TEST_SCREENS)
        if self.test_screens:
            self.bind("f12", "save_test_screen", show=False)

    def count_ahead(self) -> Future:
        """The 总览's figures, counted from now in a thread of their own while Textual starts
        (the 总览 takes them: DashboardScreen.load_figures)."""
        ahead: Future = Future()

        def count() -> None:
            try:
                ahead.set_result(count_figures(self.engine, self.config))
            except BaseException as error:  # noqa: BLE001 - shown by the 总览's worker that takes it
                ahead.set_exception(error)

        threading.Thread(target=count, name="总览统计", daemon=True).start()
        return ahead

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Notifications carry names and file names from data: always plain text, never markup."""
        super().notify(printable(message), title=title, severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        settings = self.config.settings
        self.sub_title = TEXT["subtitle"].format(county=settings.county.name, township=settings.township.name,
                                                 operator=self.context.operator)
        if self.user is not None:
            from archive_tui.services.admin.accounts import ROLES

            self.sub_title += f"（{ROLES[self.user.role]}）"
        self.switch_mode(self.first_section)
        if self.first_section != "dashboard":  # the 总览 says when its figures are shown
            self.call_after_refresh(self.first_screen_shown.set)
        self.refresh_search_index()
        if self.intake:
            self.run_intake()
        if self.backups:
            self.daily_backup()

    def on_dashboard_screen_figures_shown(self, _shown: DashboardScreen.FiguresShown) -> None:
        self.first_screen_shown.set()

    def after_first_screen(self) -> bool:
        """In a worker: wait until the first screen shows its figures (the work of the day does
        not slow it down); False when the app is closing by then."""
        self.first_screen_shown.wait()
        return not self.closing

    @property
    def closing(self) -> bool:
        """The app has been asked to close: a worker's result is no longer shown (tui.actions)."""
        return self.stop_watching.is_set()

    def daily_backup(self) -> None:
        """The automatic backup of the day ([backup] in config.toml), in the background."""
        run_action(self, self._back_up, done=self._backed_up, description="自动备份", group="backup", exclusive=True)

    def _backed_up(self, outcome: tuple[Path | None, str | None]) -> None:
        made, problem = outcome
        if problem:
            self.notify(problem, severity="error", timeout=10)
        elif made is not None:
            self.notify(f"已自动备份到 {made}")

    def _back_up(self) -> tuple[Path | None, str | None]:
        """In the worker: what was made, or what went wrong that the archivist can act on."""
        if not self.after_first_screen():
            return None, None
        from archive_tui.core.errors import ArchiveError
        from archive_tui.services.admin.backup import BackupStopped, daily_backup

        try:
            made = daily_backup(self.context, stop=self.stop_watching.is_set)
        except BackupStopped:
            return None, None  # closing: nothing half made is left; the backup is made on the next open
        except (ArchiveError, OSError) as error:
            message = error.message if isinstance(error, ArchiveError) else str(error)
            return None, f"自动备份失败：{message}"
        return made, None

    def run_intake(self) -> None:
        """The scan intake, for as long as the app runs (一个坏文件不会让它停下)."""
        run_action(self, self._watch_inbox, description="收件箱监视", group="inbox", exclusive=True)

    def _watch_inbox(self) -> None:
        """In the worker; it tells the app by posted messages only (IntakeNews), never waits for it."""
        try:
            if not self.after_first_screen():
                return
            from archive_tui.services.intake.scans import watch_inbox

            self.watching = True
            watch_inbox(self.context, self.stop_watching, self._intake_pass)
        except Exception as error:  # noqa: BLE001 - the app goes on; the archivist is told
            self.post_message(self.IntakeNews(TEXT["watch_failed"].format(error=error), "error"))
        finally:
            self.watching = False
            self.intake_stopped.set()

    class IntakeNews(Message):
        """What the intake thread has to tell. Posted, never awaited: the thread must not wait
        for the app, which on closing waits for the thread (call_from_thread deadlocked there)."""

        def __init__(self, text: str, severity: str = "information", refresh: bool = False):
            super().__init__()
            self.text, self.severity, self.refresh = text, severity, refresh

    def on_key(self, event) -> None:
        pass_to_the_form_on_top(self, event)

    def _intake_pass(self, report) -> None:
        """One pass of the watcher: what it took, and (once, until it changes) what it left alone."""
        taken = bool(report.linked or report.unassigned or report.duplicates or report.quarantined)
        left, told = report.left_alone(), self.left_alone_told
        self.left_alone_told = left
        lines = [TEXT["taken"].format(**vars(report))] if taken else []
        lines += left if left != told else []
        if lines:
            self.post_message(self.IntakeNews("\n".join(lines), refresh=taken))

    def on_archive_app_intake_news(self, news: IntakeNews) -> None:
        self.notify(news.text, severity=news.severity, timeout=20 if news.severity == "error" else 8)
        screen = self.section_shown("scans")
        if news.refresh and screen is not None:  # in the screen's own queue: after its compose
            screen.call_later(screen.action_refresh)

    def section_shown(self, key: str) -> Screen | None:
        """The screen of section ``key`` when it is the one on top (no dialog over it)."""
        return self.screen if self.current_mode == key and len(self.screen_stack) == 1 else None

    def exit(self, *args, **kwargs) -> None:
        """Tell the workers to stop as soon as the app is asked to close."""
        self.stop_watching.set()
        self.first_screen_shown.set()  # a worker still waiting for it ends
        super().exit(*args, **kwargs)

    def on_unmount(self) -> None:
        """Let a file being filed finish before the app goes (nothing half done)."""
        self.stop_watching.set()
        self.first_screen_shown.set()
        if self.watching:
            self.intake_stopped.wait(30)

    def action_save_test_screen(self) -> None:
        """The screen as SVG text, numbered in order, for a test that drives the app from outside."""
        folder = Path(self.test_screens)
        self.save_screenshot(f"{len(list(folder.glob('*.svg'))):03d}.svg", str(folder))

    def offer_files(self, *paths: Path) -> None:
        """Files the app has just made (PDF, XLSX, a bag or package folder as a .zip): in the
        browser (``archive-tui serve``) they are downloaded to the user's own computer too; in
        the terminal they are where the notice says. Call on the app's thread."""
        if not self.is_web:
            return
        for path in paths:
            if path.is_dir():
                self.offer_folder(path)
            elif path.is_file():
                self.deliver_binary(path, mime_type=downloads.mime_type(path))

    def offer_folder(self, folder: Path) -> None:
        """A folder goes to the browser as one .zip, made in a temporary file (no copy left behind)."""
        from archive_tui.core.errors import ArchiveError

        def pack() -> Path:
            try:
                return downloads.zipped(folder)
            except OSError as error:
                raise ArchiveError(f"未能打包下载 {folder.name}：{error.strerror or error}") from error

        def deliver(packed: Path) -> None:
            self.deliver_binary(packed, save_filename=f"{folder.name}.zip", mime_type="application/zip")

        run_action(self, pack, done=deliver, description=f"打包下载 {folder.name}", group="offer-folder")

    def action_command_palette(self) -> None:
        """The command palette, in Chinese."""
        from archive_tui.tui.widgets.palette import ChinesePalette

        if self.use_command_palette and not ChinesePalette.is_open(self):
            self.push_screen(ChinesePalette())

    def refresh_search_index(self) -> None:
        """Build the search entries that are missing (new or changed households) in a worker."""
        run_action(self, self._fill_search_index, done=self._index_ready, failed=self._index_failed,
                   description="建立检索索引", group="search-index", exclusive=True)

    def _index_failed(self, _text: str) -> None:
        self.indexing = False

    def _fill_search_index(self) -> int:
        """In the worker, after the first screen: the entries missing, built in batches, until closing."""
        if not self.after_first_screen():
            return 0
        total = search.missing_count(self.engine)
        if not total:
            return 0
        self.indexing = True
        closing = self.stop_watching.is_set  # set as soon as the app is asked to close

        def progress(done: int, total: int) -> None:
            if (done == total or done % 20_000 == 0) and not closing():
                self.call_from_thread(self.notify, TEXT["indexing"].format(done=done, total=total), timeout=2)

        search.build_missing(self.engine, progress, stop=closing)
        return total  # shown unless the app is closing (tui.actions)

    def _index_ready(self, total: int) -> None:
        self.indexing = False
        if not total:
            return
        self.notify(TEXT["indexed"].format(total=total))
        screen = self.section_shown("households")
        if screen is not None:
            screen.table.reload()

    def action_section(self, key: str) -> None:
        self.switch_mode(key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accounts":  # hidden, and nothing happens, unless a 管理员 is logged in
            return self.user is not None and self.user.can_manage
        if action == "form_field":  # elsewhere Tab does what it always did
            return isinstance(self.screen, TypeAhead) and self.screen.focused is not None
        return True

    def action_form_field(self, step: int) -> None:
        (self.screen.focus_next if step > 0 else self.screen.focus_previous)()

    def action_accounts(self) -> None:
        from archive_tui.tui.screens.accounts import AccountsScreen

        if not isinstance(self.screen, AccountsScreen):
            self.push_screen(AccountsScreen())

    def action_help(self) -> None:
        from archive_tui.tui.screens.help import HelpScreen  # loaded late: with the first press of ?

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_search(self) -> None:
        self.switch_mode("households")
        self.call_after_refresh(lambda: self.screen.action_focus_search())

    def open_household(self, code: str) -> None:
        from archive_tui.tui.screens.household_file import HouseholdFileScreen  # loaded late: when first opened

        self.push_screen(HouseholdFileScreen(code))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for number, (key, title, help_text) in enumerate(SECTIONS, start=1):
            yield SystemCommand(f"{number} {title}", help_text, lambda key=key: self.switch_mode(key))
        from archive_tui.tui.widgets.palette import section_commands  # loaded late: with the palette

        yield from section_commands(self)
        yield SystemCommand(TEXT["help"], "所有按键", self.action_help)
        yield SystemCommand(TEXT["quit"], "退出 archive-tui", self.exit)


def run_app(config: Config, engine: Engine, user=None) -> None:
    """The app as the archivist opens it: the inbox watched, the daily backup; with an account,
    its role decides the keys (a 查阅 account does not take in scans either)."""
    writes = user is None or user.can_write
    ArchiveApp(config, engine, intake=writes, backups=writes, user=user).run()
    engine.dispose()  # the database closed now, cleanly
    # the process ends next: Python's last collections need not walk every object the app made
    # (they took a second after q at 100,000 households)
    gc.freeze()
