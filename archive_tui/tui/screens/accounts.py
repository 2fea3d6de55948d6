"""账户 (for a 管理员 account): the accounts, adding one, a new password, disabling one, and
a backup made now. Opened with u; other roles have no such key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from archive_tui.core.errors import ArchiveError
from archive_tui.services.admin import accounts
from archive_tui.tui.actions import run_action
from archive_tui.tui.screens.confirm import confirm
from archive_tui.tui.screens.fields_form import ask
from archive_tui.tui.widgets.plain import PlainTable

TEXT = {
    "title": "账户",
    "summary": "共 {count} 个账户（{active} 个可用）。账户名就是审计日志中的操作员；账户只停用，不删除。",
    "columns": ("账户名", "角色", "状态", "最近登录"),
    "disabled": "已停用",
    "locked": "已锁定",
    "usable": "可用",
    "never": "—",
    "pick": "先选中一个账户",
    "add": "添加账户",
    "added": "已添加账户 {name}（{role}）",
    "passwd": "为 {name} 设新密码",
    "changed": "已为 {name} 设新密码（如已锁定，同时解锁）",
    "disable": "停用账户 {name}",
    "disabled_done": "已停用账户 {name}",
    "mismatch": "两次输入的密码不一样",
    "backing_up": "正在备份……",
    "backed_up": "已备份到 {path}",
    "backup_failed": "备份失败：{error}",
    "fields_add": [("name", "账户名", "2～32 个汉字、字母或数字"), ("role", "角色", "F4 从列表选"),
                   ("password", "密码", "至少 8 位"), ("again", "再输一遍", "")],
    "fields_passwd": [("password", "新密码", "至少 8 位"), ("again", "再输一遍", "")],
    "fields_disable": [("reason", "原因", "必填，如：调离、离职")],
}
ROLE_CHOICES = [(f"{label}（{key}）", key) for key, label in accounts.ROLES.items()]
PASSWORDS = frozenset({"password", "again"})


def _same_twice(values: dict[str, str]) -> str:
    if values["password"] != values["again"]:
        raise ArchiveError(TEXT["mismatch"], field="again")
    return values["password"]


class AccountsScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "返回"),
        Binding("a", "add_account", "添加"),
        Binding("p", "new_password", "改密码"),
        Binding("d", "disable_account", "停用"),
        Binding("b", "backup_now", "立即备份"),
        Binding("f5", "refresh", "刷新", show=False),
    ]
    DEFAULT_CSS = """
    #accounts-summary { padding: 0 1; height: auto; }
    #accounts { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="accounts-summary")
        yield PlainTable(id="accounts", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.rows: list[dict] = []
        table = self.query_one("#accounts", DataTable)
        table.add_columns(*TEXT["columns"])
        table.focus()
        self.action_refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        user = getattr(self.app, "user", None)
        return user is not None and user.can_manage

    def action_refresh(self) -> None:
        self.rows = accounts.list_users(self.app.engine)
        table = self.query_one("#accounts", DataTable)
        table.clear()
        for row in self.rows:
            state = TEXT["disabled"] if row["disabled"] else TEXT["locked"] if row["locked"] else TEXT["usable"]
            last = (row["last_login_at"] or TEXT["never"]).replace("T", " ")
            table.add_row(row["name"], row["role_name"], state, last)
        self.query_one("#accounts-summary", Static).update(TEXT["summary"].format(
            count=len(self.rows), active=sum(not row["disabled"] for row in self.rows)))

    def _selected(self) -> dict | None:
        table = self.query_one("#accounts", DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            self.notify(TEXT["pick"])
            return None
        return self.rows[table.cursor_row]

    def action_add_account(self) -> None:
        app = self.app

        def submit(values: dict[str, str]) -> str:
            password = _same_twice(values)
            role = values["role"].strip()
            accounts.add_user(app.context, values["name"], role, password)
            return TEXT["added"].format(name=values["name"].strip(), role=accounts.ROLES[role])

        ask(self, TEXT["add"], TEXT["fields_add"], submit, "添加", choices={"role": ROLE_CHOICES},
            values={"role": "reader"}, secret=PASSWORDS)

    def action_new_password(self) -> None:
        row, app = self._selected(), self.app
        if row is None:
            return

        def submit(values: dict[str, str]) -> str:
            accounts.change_password(app.context, row["name"], _same_twice(values))
            return TEXT["changed"].format(name=row["name"])

        ask(self, TEXT["passwd"].format(name=row["name"]), TEXT["fields_passwd"], submit, "保存", secret=PASSWORDS)

    def action_disable_account(self) -> None:
        row, app = self._selected(), self.app
        if row is None:
            return

        def submit(values: dict[str, str]) -> str:
            accounts.disable_user(app.context, row["name"], values["reason"])
            return TEXT["disabled_done"].format(name=row["name"])

        ask(self, TEXT["disable"].format(name=row["name"]), TEXT["fields_disable"], submit, "停用")

    def action_backup_now(self) -> None:
        confirm(self, "立即备份", ["把数据库和配置备份到 [backup] 设定的文件夹（不含扫描件存储库）。"], self.run_backup)

    def run_backup(self) -> None:
        app = self.app
        self.notify(TEXT["backing_up"])

        def backed_up(outcome: tuple[str, str]) -> None:
            message, severity = outcome  # on the app: the accounts screen may have been left meanwhile
            app.notify(message, severity=severity, timeout=10 if severity == "error" else None)

        run_action(self, self.back_up, done=backed_up, description="立即备份", group="backup-now", exclusive=True)

    def back_up(self) -> tuple[str, str]:
        """In the worker: what to tell, and how (a failed backup is said as one)."""
        from archive_tui.services.admin.backup import backup_now

        app = self.app
        try:
            report = backup_now(app.context)
        except (ArchiveError, OSError) as error:
            message = error.message if isinstance(error, ArchiveError) else str(error)
            return TEXT["backup_failed"].format(error=message), "error"
        return TEXT["backed_up"].format(path=report.path), "information"
