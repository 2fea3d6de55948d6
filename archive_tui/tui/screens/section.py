"""What every section screen shares: 帮助 and 退出 first in its footer, so they are never cut
off at 80 columns whatever keys the section adds after them; and the role of the logged-in
account, which hides the keys it may not use (a 查阅 account changes nothing, sees no full ID
number)."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, TabbedContent, TabPane, TextArea

from archive_tui.core.roles import Permission

# actions that change the archive (or its store) and the one that shows full ID numbers: the
# permission each key needs, asked of the same role table (core/roles.py) the use cases check
# below the screens (where a key missing here is still refused, with a message)
WRITE_ACTIONS = frozenset({
    "accept", "act", "add", "add_item", "add_to_batch", "assign", "box", "catalogue", "check", "close",
    "close_batch", "copy", "draw", "edit", "failed", "passed", "import", "ingest", "move", "new", "new_batch",
    "new_share", "package", "read", "rescan", "return_batch", "run_check", "send", "waive",
})
KEY_WORDS = {"toggle_reveal": "查看完整身份证号"}  # what a blocked key without a footer label would do
ACTION_PERMISSIONS = {action: Permission.WRITE for action in WRITE_ACTIONS} | {"toggle_reveal": Permission.REVEAL}


def role_allows(app, action: str) -> bool:
    """May the account run ``action``? (Its key is hidden and does nothing when not.)"""
    context = getattr(app, "context", None)
    if context is None:
        return True
    return context.actor.may(ACTION_PERMISSIONS.get(action, Permission.READ))


class RoleGuarded:
    """Mixin for a screen or widget with key bindings: the account's role decides which run. A key
    the account may not use is hidden from the footer and, pressed anyway, says why (查阅账户不能…)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return role_allows(self.app, action)

    def on_key(self, event) -> None:
        event.below = self  # the screen it passed: the app sends it on if a form has opened meanwhile
        for binding in self._bindings.key_to_bindings.get(event.key, []):
            action = binding.action.partition("(")[0]
            if not role_allows(self.app, action):
                actor = self.app.context.actor
                what = (getattr(self, "KEY_HELP", {}).get(action) or binding.description
                        or KEY_WORDS.get(action, "这样做"))
                self.app.notify(f"{actor.role_label}账户不能{what}（{actor.name}）；需要时请找管理员",
                                severity="warning")
                event.stop()
                return


class SectionScreen(RoleGuarded, Screen):
    BINDINGS = [Binding("question_mark", "app.help", "帮助"), Binding("q", "app.quit", "退出"),
                # ← → page through the section's sub-tabs wherever the focus is (a table scrolls with
                # ↑ ↓ PgUp PgDn); in a text field they move the cursor as ever
                Binding("left", "switch_tab(-1)", "前一页签", show=False, priority=True),
                Binding("right", "switch_tab(1)", "后一页签", show=False, priority=True)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_tab":
            return self._tabs() is not None and not isinstance(self.focused, (Input, TextArea))
        return super().check_action(action, parameters)

    def _tabs(self) -> TabbedContent | None:
        """The section's sub-tabs (its first TabbedContent), when it has them."""
        found = self.query(TabbedContent)
        return found.first() if found else None

    def action_switch_tab(self, step: int) -> None:
        tabs = self._tabs()
        if tabs is None:
            return
        panes = [pane.id for pane in tabs.query(TabPane)
                 if pane.parent is not None and pane.parent.parent is tabs and not pane.disabled]  # not nested ones
        if tabs.active in panes:
            tabs.active = panes[(panes.index(tabs.active) + step) % len(panes)]
            tables = tabs.get_pane(tabs.active).query(DataTable)
            if tables:  # the keys go on to the list now shown (↑ ↓ move in it)
                tables.first().focus()
