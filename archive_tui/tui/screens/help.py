"""帮助: every key of the app, section by section, in two columns that fit 80×24.

Each line is short enough for its column (a phrase is never split over two lines); a test
checks the widths.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_CELLS = 9
COLUMN_CELLS = 38  # two columns and the border: 80 cells
LEFT = (
    ("全局", (("1 2 3 4", "总览 户卷 扫描 证书"), ("5 6 7 8", "移交 质检 库房 档案"), ("/", "搜索户卷"),
              ("Ctrl+P", "命令面板"), ("?  Esc", "本帮助  返回"), ("q  F5", "退出  刷新"))),
    ("总览", (("i", "导入确权登记数据"), ("r", "刷新"))),
    ("户卷列表", (("Enter", "打开户卷"), ("s  o", "换排序列  升序/降序"), ("v", "按村筛选"),
                  ("↑↓ PgUp", "移动光标"))),
    ("户卷", (("←→ Tab", "切换成员、地块等页签"), ("m", "显示完整号码（记日志）"), ("e", "修改户主信息"),
              ("d", "卷内文件：著录（日期 文号 责任者 页数）、归入扫描页"), ("g l b t", "三份：移动 借出 归还 清点"))),
    ("档案", (("a b p", "综合档案：登记 装盒 打印"), ("n  [ ]", "新建共享包  月报换月"))),
)
RIGHT = (
    ("扫描", (("a", "挂接选中的扫描件"), ("i  r", "立即收件  刷新"), ("o  y", "识别待挂接的页  接受挂接建议"),
            ("w  s", "问题页：豁免  标记重扫"), ("o  x  n", "抽检：合格  不合格  抽样"))),
    ("证书", (("f r l", "发放  收回  挂失"), ("x b h", "注销  补发  换发"), ("n d", "新建清册  列入清册"),
              ("k p", "关闭清册（销毁）  打印"))),
    ("移交", (("n a", "新建批次  加入一个村"), ("k s", "四性检测  移交（先确认）"), ("m p", "清单  生成移交包"),
              ("c r", "接收完毕（逐卷核对）  退回"))),
    ("质检", (("Enter", "看问题；再回车开户卷"), ("c w", "运行质检  豁免（写理由）"), ("x a", "导出XLSX  显示全部"))),
    ("库房", (("Enter", "看盒内的案卷"),)),
    ("账户", (("u", "管理员：账户、立即备份"),)),
)


def column_lines(sections) -> list[str]:
    """The lines of one column: a bold title per section, then key and meaning."""
    lines = []
    for title, keys in sections:
        lines.append(f"[b]{title}[/b]")
        lines += [f"  {set_cell_size(key, KEY_CELLS)}{meaning}" for key, meaning in keys]
    return lines


def widest_line(sections) -> int:
    return max(cell_len(f"  {set_cell_size(key, KEY_CELLS)}{meaning}")
               for _title, keys in sections for key, meaning in keys)


class HelpScreen(ModalScreen):
    BINDINGS = [("escape", "app.pop_screen", "关闭"), ("question_mark", "app.pop_screen", "关闭")]
    DEFAULT_CSS = f"""
    HelpScreen {{ align: center middle; }}
    #help {{ width: {2 * COLUMN_CELLS + 4}; max-width: 100%; height: auto; max-height: 100%; border: round $accent;
             background: $surface; }}
    #help-scroll {{ height: auto; scrollbar-size-vertical: 1; }}
    #help-columns {{ height: auto; }}
    #help-columns Static {{ width: {COLUMN_CELLS}; padding: 0 0 0 1; }}
    #help-close {{ padding: 0 1; color: $text-muted; }}
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            with VerticalScroll(id="help-scroll"):
                with Horizontal(id="help-columns"):
                    yield Static("\n".join(column_lines(LEFT)), id="help-left")
                    yield Static("\n".join(column_lines(RIGHT)), id="help-right")
            yield Static("按 Esc 或 ? 关闭；↑↓ 翻看", id="help-close")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def on_resize(self) -> None:
        """On a short terminal (80×24) the keys scroll inside the box; nothing is cut off below it."""
        self.query_one("#help-scroll").styles.max_height = max(3, self.size.height - 3)
