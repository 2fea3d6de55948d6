"""帮助: every key of the app, section by section, in two columns that fit 80×24.

Nothing here is written twice: the keys and what they do come from the ``BINDINGS`` of the
screens and widgets (their Chinese descriptions); where the help says more than the footer, the
longer text is kept beside the bindings as data — a ``KEY_HELP`` dict (action → text) on the class
and ``HELP_LABEL`` for a pane whose keys are named after it (问题页：…). Keys that follow one
another are put on one line while they fit; a key bound the same way in three sections or more
is listed once, under 全局. Each line is short enough for its column (a test checks the widths
and that the help and the bindings agree).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_CELLS = 9
COLUMN_CELLS = 38  # two columns and the border: 80 cells
TEXT_CELLS = COLUMN_CELLS - 1 - 2 - KEY_CELLS  # the column's padding, the indent, the keys
SHARED = 3  # a key bound alike in this many sections is listed once, under 全局
GLOBAL = "全局"
KEY_NAMES = {"up": "↑", "down": "↓", "left": "←", "right": "→", "pageup": "PgUp", "pagedown": "PgDn",
             "home": "Home", "end": "End", "enter": "Enter", "escape": "Esc", "tab": "Tab", "space": "空格",
             "question_mark": "?", "slash": "/", "left_square_bracket": "[", "right_square_bracket": "]",
             "ctrl+p": "Ctrl+P"}
# keys of Textual's own widgets that the help names (their descriptions are in English)
TABS_HELP = {"previous_tab": "前一页签", "next_tab": "后一页签"}
BOX_HELP = {"select_cursor": "看盒内的案卷；再回车开户卷"}
FINDINGS_HELP = {"select_cursor": "看问题；再回车开户卷"}
ACCOUNTS = "accounts"  # the app's key for the accounts: listed in their section, not under 全局
# dialogs say their own keys (buttons, a line of hints, a footer): not in the help
DIALOGS = frozenset({"HelpScreen", "ConfirmScreen", "FieldsFormScreen", "EditHouseholdScreen", "CopyActionScreen",
                     "AssignScanScreen", "PickerScreen", "ImportScreen", "ReceiveBatchScreen", "CheckReportScreen",
                     "RefusedFilesScreen"})
Source = tuple[type, "dict[str, str] | None", "Callable[[str], bool] | None"]  # owner, texts, which actions


@dataclass(frozen=True)
class KeyHelp:
    """One key in the help: as shown, what it does, and the binding it comes from."""

    name: str
    text: str
    key: str
    owner: type
    label: str = ""  # the pane it belongs to (问题页：), said once before its keys
    action: str = ""  # without ``app.``: a screen's ``app.help`` is the app's ``help``


def key_name(key: str) -> str:
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    return key.upper() if key.startswith("f") and key[1:].isdigit() else key


def help_of(owner: type, only: dict[str, str] | None = None, keep: Callable[[str], bool] | None = None
            ) -> list[KeyHelp]:
    """The keys of ``owner``'s own BINDINGS that have something to say: the ``KEY_HELP`` text for the
    action, else the binding's description (``only``: the texts for a widget not ours; ``keep``:
    which actions this section lists)."""
    texts = only if only is not None else getattr(owner, "KEY_HELP", {})
    label = getattr(owner, "HELP_LABEL", "")
    found = []
    for binding in Binding.make_bindings(owner.__dict__.get("BINDINGS", [])):
        if keep is not None and not keep(binding.action):
            continue
        text = texts.get(binding.action) or ("" if only is not None else binding.description)
        if text:
            found.append(KeyHelp(key_name(binding.key), text, binding.key, owner, label,
                                 binding.action.removeprefix("app.")))
    return found


def help_sources(app) -> list[tuple[str, list[Source]]]:
    """The sections of the help in order, each with the classes whose keys it lists."""
    from textual.widgets import DataTable, Tabs  # loaded late: Textual takes 0.3 s, not for a CLI command

    from archive_tui.tui.screens.accounts import AccountsScreen
    from archive_tui.tui.screens.certificates import CertificatesScreen
    from archive_tui.tui.screens.checks import ChecksScreen
    from archive_tui.tui.screens.dashboard import DashboardScreen
    from archive_tui.tui.screens.household_file import HouseholdFileScreen
    from archive_tui.tui.screens.households import HouseholdsScreen
    from archive_tui.tui.screens.records import RecordsScreen
    from archive_tui.tui.screens.scans import ScansScreen
    from archive_tui.tui.screens.section import SectionScreen
    from archive_tui.tui.screens.storage import StorageScreen
    from archive_tui.tui.screens.transfers import TransfersScreen
    from archive_tui.tui.widgets.household_table import HouseholdTable
    from archive_tui.tui.screens.page_quality import PageProblems, SampleReview

    return [
        (GLOBAL, [(type(app), None, lambda action: action != ACCOUNTS), (SectionScreen, None, None)]),
        ("总览", [(DashboardScreen, None, None)]),
        ("户卷列表", [(HouseholdsScreen, None, None), (HouseholdTable, None, None)]),
        ("户卷", [(Tabs, TABS_HELP, None), (HouseholdFileScreen, None, None)]),
        ("档案", [(RecordsScreen, None, None)]),
        ("质检", [(DataTable, FINDINGS_HELP, None), (ChecksScreen, None, None)]),
        ("库房", [(DataTable, BOX_HELP, None), (StorageScreen, None, None)]),
        ("扫描", [(ScansScreen, None, None), (PageProblems, None, None), (SampleReview, None, None)]),
        ("证书", [(CertificatesScreen, None, None)]),
        ("移交", [(TransfersScreen, None, None)]),
        ("账户", [(type(app), None, lambda action: action == ACCOUNTS), (AccountsScreen, None, None)]),
    ]


def help_sections(app) -> list[tuple[str, list[KeyHelp]]]:
    """Each section's keys, a key shared by many sections moved to 全局, no key twice in one."""
    sections = [(title, [entry for owner, only, keep in sources for entry in help_of(owner, only, keep)])
                for title, sources in help_sources(app)]
    counts: dict[tuple[str, str], int] = {}
    for _title, entries in sections[1:]:
        for pair in {(entry.key, entry.text) for entry in entries}:
            counts[pair] = counts.get(pair, 0) + 1
    shared = {pair for pair, count in counts.items() if count >= SHARED}
    result = []
    for index, (title, entries) in enumerate(sections):
        if index == 0:
            entries = entries + [entry for pair in sorted(shared) for entry in _first(sections, pair)]
        else:
            entries = [entry for entry in entries if (entry.key, entry.text) not in shared]
        seen, kept = set(), []
        for entry in entries:  # the same key for the same action: once (the first, from the app)
            if (entry.key, entry.action) not in seen and (entry.key, entry.text) not in seen:
                seen.update({(entry.key, entry.action), (entry.key, entry.text)})
                kept.append(entry)
        result.append((title, kept))
    return result


def _first(sections, pair: tuple[str, str]) -> list[KeyHelp]:
    for _title, entries in sections[1:]:
        for entry in entries:
            if (entry.key, entry.text) == pair:
                return [entry]
    return []


def packed(entries: list[KeyHelp]) -> list[tuple[str, str]]:
    """Keys that follow one another (from the same screen or pane) on one line while they fit:
    (keys, texts) — ``f r l`` / ``发放  收回  挂失``."""
    lines: list[tuple[str, str]] = []
    owner = None
    for entry in entries:
        text = entry.text
        if entry.owner is not owner and entry.label:
            text = entry.label + text
        if lines and entry.owner is owner:
            keys, texts = lines[-1]
            if cell_len(f"{keys} {entry.name}") < KEY_CELLS and cell_len(f"{texts}  {text}") <= TEXT_CELLS:
                lines[-1] = (f"{keys} {entry.name}", f"{texts}  {text}")
                continue
        lines.append((entry.name, text))
        owner = entry.owner
    return lines


def section_lines(title: str, entries: list[KeyHelp]) -> list[str]:
    return [f"[b]{title}[/b]", *(f"  {set_cell_size(keys, KEY_CELLS)}{texts}" for keys, texts in packed(entries))]


def help_columns(app) -> tuple[list[str], list[str]]:
    """The two columns: whole sections, the left one taking them in order until it holds half."""
    blocks = [section_lines(title, entries) for title, entries in help_sections(app) if entries]
    total, left, right = sum(len(block) for block in blocks), [], []
    for block in blocks:
        (left if not right and len(left) + len(block) / 2 <= total / 2 else right).extend(block)
    return left, right


def help_pages(app, rows: int) -> list[tuple[list[str], list[str]]]:
    """The help in pages of two columns of at most ``rows`` lines each, so that a page shows whole on
    the screen (80×24: two pages; 120×40: one). A section starts a new column when it would leave its
    title alone at the bottom; a section longer than a column goes on in the next."""
    rows = max(rows, 4)
    columns: list[list[str]] = [[]]
    for title, entries in help_sections(app):
        if not entries:
            continue
        block = section_lines(title, entries)
        free = rows - len(columns[-1])
        if columns[-1] and (free < 2 or (len(block) > free and len(block) <= rows)):
            columns.append([])  # whole in the next column, or at least its title with a line under it
        for line in block:
            if len(columns[-1]) >= rows:
                columns.append([])
            columns[-1].append(line)
    return [(columns[index], columns[index + 1] if index + 1 < len(columns) else [])
            for index in range(0, len(columns), 2)]


class HelpScreen(ModalScreen):
    BINDINGS = [("escape", "app.pop_screen", "关闭"), ("question_mark", "app.pop_screen", "关闭"),
                Binding("right,pagedown,down", "turn(1)", "下一页", show=False),
                Binding("left,pageup,up", "turn(-1)", "上一页", show=False)]
    DEFAULT_CSS = f"""
    HelpScreen {{ align: center middle; }}
    #help {{ width: {2 * COLUMN_CELLS + 4}; max-width: 100%; height: auto; max-height: 100%; border: round $accent;
             background: $surface; }}
    #help-columns {{ height: auto; }}
    #help-columns Static {{ width: {COLUMN_CELLS}; padding: 0 0 0 1; }}
    #help-close {{ padding: 0 1; color: $text-muted; }}
    """
    FRAME_ROWS = 3  # the border and the line that says how to turn and close

    def __init__(self) -> None:
        super().__init__()
        self.page = 0
        self.pages: list[tuple[list[str], list[str]]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            with Horizontal(id="help-columns"):
                yield Static("", id="help-left")
                yield Static("", id="help-right")
            yield Static("", id="help-close")

    def on_resize(self) -> None:
        """Paged to the screen's height: every page shows whole, nothing to scroll."""
        self.pages = help_pages(self.app, self.size.height - self.FRAME_ROWS) or [([], [])]
        self.page = min(self.page, len(self.pages) - 1)
        self.show_page()

    def action_turn(self, step: int) -> None:
        self.page = (self.page + step) % len(self.pages)
        self.show_page()

    def show_page(self) -> None:
        left, right = self.pages[self.page]
        self.query_one("#help-left", Static).update("\n".join(left))
        self.query_one("#help-right", Static).update("\n".join(right))
        close = "按 Esc 或 ? 关闭"
        if len(self.pages) > 1:
            close = f"第 {self.page + 1}/{len(self.pages)} 页 · ← → 翻页 · {close}"
        self.query_one("#help-close", Static).update(close)
