"""帮助: every key of the app."""

from __future__ import annotations

from rich.cells import set_cell_size
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("全局", ""),
    ("1 … 7", "总览 · 户卷 · 扫描 · 证书 · 移交 · 质检 · 库房"),
    ("/", "到户卷并把光标放到搜索框"),
    ("Ctrl+P", "命令面板（可输入“户卷”“总览”等跳转）"),
    ("?", "本帮助"),
    ("Esc", "返回"),
    ("q", "退出"),
    ("总览", ""),
    ("i", "导入确权登记数据（后台进行，可取消）"),
    ("r", "刷新"),
    ("户卷列表", ""),
    ("↑ ↓ PgUp PgDn Home End", "移动光标"),
    ("Enter", "打开户卷"),
    ("s / o", "换排序列 / 升序降序"),
    ("v", "在村之间切换筛选"),
    ("户卷", ""),
    ("←/→ 或 Tab", "切换成员、地块、卷内文件、三份、证书、问题"),
    ("m", "显示或隐藏完整证件号码（显示会记入审计日志）"),
    ("e", "修改户主姓名、证件号码、电话、地址"),
    ("g / l / b / t", "在“三份”页：移动 / 借出 / 归还 / 清点实有文件"),
    ("扫描", ""),
    ("a", "挂接选中的待挂接扫描件（选户、文件类型、页序号）"),
    ("i", "立即收件"),
    ("证书", ""),
    ("f r l x b h", "发放 · 收回 · 挂失 · 注销 · 补发 · 换发（不允许的操作会说明原因）"),
    ("n / d / k / p", "新建销毁清册 / 列入清册 / 关闭清册（销毁） / 打印清册"),
    ("质检", ""),
    ("Enter", "看该规则或该村的问题；在问题上回车打开户卷"),
    ("c / w / x / a", "运行质检 / 豁免 / 导出 XLSX / 显示全部"),
    ("库房", ""),
    ("Enter", "查看该盒（该位置）中的案卷"),
)


class HelpScreen(ModalScreen):
    BINDINGS = [("escape", "app.pop_screen", "关闭"), ("question_mark", "app.pop_screen", "关闭")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help { width: 72; max-width: 100%; height: auto; max-height: 90%; border: round $accent; padding: 0 1;
            background: $surface; }
    """

    def compose(self) -> ComposeResult:
        lines = []
        for key, meaning in KEYS:
            lines.append(f"[b]{key}[/b]" if not meaning else f"  {set_cell_size(key, 24)}{meaning}")
        with VerticalScroll(id="help"):
            yield Static("\n".join(lines) + "\n\n按 Esc 关闭")
