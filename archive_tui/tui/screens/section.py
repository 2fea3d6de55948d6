"""What every section screen shares: 帮助 and 退出 first in its footer, so they are never cut
off at 80 columns whatever keys the section adds after them; and the role of the logged-in
account, which hides the keys it may not use (a 查阅 account changes nothing, sees no full ID
number)."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen

# actions that change the archive (or its store): only an 档案员 account has them
WRITE_ACTIONS = frozenset({
    "accept", "act", "add", "add_item", "add_to_batch", "assign", "box", "catalogue", "check", "close",
    "close_batch", "copy", "draw", "edit", "failed", "passed", "import", "ingest", "move", "new", "new_batch",
    "new_share", "package", "read", "rescan", "return_batch", "run_check", "send", "waive",
})


def role_allows(app, action: str) -> bool:
    """May the logged-in account run ``action``? (Its key is hidden and does nothing when not.)"""
    user = getattr(app, "user", None)
    if user is None:
        return True  # no accounts in use: the archivist at this computer does everything
    if action in WRITE_ACTIONS and not user.can_write:
        return False
    return not (action == "toggle_reveal" and not user.can_reveal)


class RoleGuarded:
    """Mixin for a screen or widget with key bindings: the account's role decides which run."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return role_allows(self.app, action)


class SectionScreen(RoleGuarded, Screen):
    BINDINGS = [Binding("question_mark", "app.help", "帮助"), Binding("q", "app.quit", "退出")]
