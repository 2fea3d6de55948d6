"""移交 asks first: what the batch hands over (卷数、件数、页数), how its last 四性检测 went, and that
sending freezes the list and cannot be undone. When that check failed 真实性 or 完整性, the same
dialog asks for the reason it goes anyway (放行理由, recorded with the send)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult

from archive_tui.core.display import chinese_time
from archive_tui.core.errors import ArchiveError
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.tui.screens.confirm import ConfirmScreen
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from archive_tui.tui.widgets.plain import PlainStatic

TEXT = {
    "title": "移交批次 {batch}",
    "to": "交给：{to}（{level}一份）",
    "count": "户卷 {files:,} 卷{overridden}、综合档案 {items:,} 件，共 {pages:,} 页",
    "overridden": "（其中放行 {count:,} 卷）",
    "unchecked": "四性检测：未检测（可先按 k 检测）",
    "passed": "四性检测：通过{time}",
    "failed": "四性检测：{properties}不通过{time}",
    "changed": "；检测后又加入了案卷",
    "item": "  {code} {name}：{count:,} 处",
    "more": "  另有 {count} 项（k 重新检测，看报告）",
    "effect": ["移交后清单冻结：不能再加入或移出案卷。", "案卷记为“移交中”，待县档案馆接收完毕或退回。"],
    "why": "仍要移交须写明放行理由（记入审计日志）。此操作不能撤销。",
    "reason": "放行理由",
    "no_reason": "请写明仍要移交的理由",
    "button": "移交",
}
ITEMS_SHOWN = 2  # failed check items named in the dialog (it fits 80×24); the report lists them all


def check_line(check: dict) -> list[str]:
    """The last 四性检测 as one line, and the failed items under it."""
    if check["result"] == "unchecked":
        return [TEXT["unchecked"]]
    time = f"（{chinese_time(check['checked_at'])}）" if check["checked_at"] else ""
    changed = TEXT["changed"] if check["changed_since"] else ""
    if check["result"] == "passed":
        return [TEXT["passed"].format(time=time) + changed]
    items = [TEXT["item"].format(code=item["code"], name=item["name"], count=item["count"]) if item["count"]
             else f"  {item['code']}" for item in check["items"]]
    if len(items) > ITEMS_SHOWN:
        items = items[:ITEMS_SHOWN - 1] + [TEXT["more"].format(count=len(items) - ITEMS_SHOWN + 1)]
    return [TEXT["failed"].format(properties="、".join(check["properties"]), time=time) + changed, *items]


def summary_lines(summary: dict) -> list[str]:
    """What sending ``summary`` (``transfers.send_summary``) does, for the confirmation."""
    return [TEXT["to"].format(to=summary["to"], level=LEVEL_LABELS[summary["level"]]),
            TEXT["count"].format(files=summary["files"], items=summary["record_items"], pages=summary["pages"],
                                 overridden=TEXT["overridden"].format(count=summary["overridden"])
                                 if summary["overridden"] else ""),
            *check_line(summary["check"]), *TEXT["effect"]]


def send_confirmation(summary: dict) -> ConfirmScreen:
    """The confirmation when nothing stops the batch: y sends; Enter (on 取消) and Esc do not."""
    return ConfirmScreen(TEXT["title"].format(batch=summary["batch"]), summary_lines(summary))


class SendWithReasonScreen(FieldsFormScreen):
    """The confirmation of a batch whose last 四性检测 failed 真实性 or 完整性: the summary, and the
    reason (Enter in it sends, Esc goes back). Dismissed with ``send``'s message, or None."""

    DEFAULT_CSS = """
    #send-what { height: auto; margin-top: 1; }
    #send-why { height: auto; margin-top: 1; color: $warning; }
    """

    def __init__(self, summary: dict, send: Callable[[str], str]):
        def submit(values: dict[str, str]) -> str:
            if not values["override"].strip():
                raise ArchiveError(TEXT["no_reason"], field="override")
            return send(values["override"].strip())

        super().__init__(TEXT["title"].format(batch=summary["batch"]), [("override", TEXT["reason"], "")], submit,
                         TEXT["button"])
        self.summary = summary

    def compose(self) -> ComposeResult:
        """The form's own (title, field, buttons) with the summary and the warning under its title."""
        for index, widget in enumerate(super().compose()):
            yield widget
            if index == 0:  # the title: still inside the form's frame
                yield PlainStatic("\n".join(summary_lines(self.summary)), id="send-what")
                yield PlainStatic(TEXT["why"], id="send-why")
