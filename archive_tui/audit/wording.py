"""How an audit event reads (审计记录的中文): the action, the fields and their values in words.

Screens and the CLI show events through :func:`action_label` and :func:`change_text`, never
the stored keys: no ``copies.move``, no ``None``, no Python lists.
"""

from __future__ import annotations

import datetime as dt

from archive_tui.core.display import LEVEL_LABELS

ACTIONS = {
    "edit": "修改户信息", "reveal": "查看完整号码", "refused": "拒绝执行（权限不足）",
    "intake.linked": "收件挂接", "intake.unassigned": "收件待挂接", "intake.quarantined": "收件隔离",
    "intake.duplicate": "收件重复", "assign": "人工挂接", "import": "导入",
    "export": "导出",
    "check": "质检", "waive": "豁免问题", "backup": "备份", "demo": "演示数据",
    "copies.move": "移动", "copies.box": "装盒", "copies.lend": "借出", "copies.return": "归还",
    "copies.tick": "清点", "copies.transfer": "移交",
    "certificate.issue": "发证", "certificate.recall": "收回证书", "certificate.lost": "挂失",
    "certificate.reissue": "补发", "certificate.replace": "换发", "certificate.cancel": "注销证书",
    "certificate.destroy": "销毁证书",
    "destruction.new": "新建销毁清册", "destruction.add": "列入销毁清册", "destruction.close": "关闭销毁清册",
    "transfer.new": "新建移交批次", "transfer.add": "加入移交批次", "transfer.send": "移交",
    "transfer.close": "接收完毕", "transfer.return": "退回", "transfer.package": "生成移交包",
    "transfer.receive": "接收移交包", "transfer.check": "四性检测", "transfer.kept": "保存已签移交清单",
    "destruction.kept": "保存已签销毁清册", "share.new": "复制共享", "roster.sign": "签发颁证清册",
    "suggest.accept": "接受挂接建议",
    "document.edit": "卷内文件著录", "document.pages": "扫描页归入文件",
    "qc": "图像质量检查", "sample": "人工抽检抽样", "review": "抽检结论", "rescan": "标记重扫", "replace": "重扫替换",
    "audit.anchor": "重新设定审计锚点", "audit.key": "生成审计密钥",
}
FIELDS = {
    "needs": "所需权限", "role": "角色", "what": "操作",
    "name": "姓名", "id_number": "证件号码", "phone": "电话", "address": "地址", "postcode": "邮编",
    "fields": "字段", "level": "份别", "archive_code": "档号", "holder": "保管单位", "keeper": "代管",
    "location": "位置", "box": "盒号", "status": "状态", "reason": "原因", "present_docs": "在卷文件",
    "borrower": "借阅人", "until": "应还日期", "returned_on": "归还日期", "to": "去向", "copies": "份数",
    "boxes": "盒数", "capacity": "每盒卷数", "pages": "页数", "files": "卷数", "added": "加入", "serials": "证书",
    "destroyed": "销毁数", "approval_doc": "批准文号", "supervisors": "监销人", "bags": "移交包",
    "override": "放行理由", "refused": "未加入", "failed_checks": "不通过项",
    "missing": "缺失", "damaged": "破损", "households": "户数", "file": "文件", "tables": "表", "source": "来源",
    "rules": "规则", "kind": "类别", "store_path": "存放位置", "doc_type": "文件类型", "seq": "页号",
    "full_id_numbers": "完整身份证号", "with_store": "含扫描件", "store_files": "扫描件数", "opened": "开始",
    "documents": "文件", "seed": "种子", "returned_by": "交回人", "condition": "证书状况", "batch": "批次",
    "method": "方式", "place": "地点", "new": "新证编号", "collector": "领证人", "relation": "关系",
    "measured": "测量页数", "unreadable": "无法读取", "resolved": "已解决", "village": "村", "share": "比例%",
    "verdict": "结论", "problem": "问题", "rescan_reason": "重扫原因", "replaced_by": "替换为",
    "confidence": "置信度", "automatic": "自动挂接", "evidence": "依据", "cbfbm": "承包方编码",
    "kept": "已签文书", "sha256": "SHA-256",
    "dated": "日期", "doc_number": "文号", "responsible": "责任者", "title": "题名", "page_count": "页数",
    "remark": "备注", "catalogued": "卷内目录",
    "previous": "原锚点", "keyed": "密钥签名", "key_id": "密钥编号", "key_file": "密钥文件", "chain_ok": "哈希链完好",
    "checked": "核验条数", "hash": "哈希", "id": "编号",
}
VALUES = {
    "filed": "已归档", "assembling": "整理中", "lent": "借出", "in_transit": "移交中", "transferred": "已移交",
    "printed": "已打印", "issued": "已发放", "lost": "已挂失", "recalled": "已收回", "cancelled": "已注销",
    "destroyed": "已销毁", "open": "待处理", "resolved": "已解决", "waived": "已豁免", "draft": "草稿",
    "sent": "已移交待接收", "received": "已接收", "returned": "已退回", "ok": "合格", "problem": "不合格",
    "linked": "已挂接", "unassigned": "待挂接", "replaced": "已被重扫替换", **LEVEL_LABELS,
}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def value_text(value: object) -> str:
    """A stored value in words: empty for nothing, 是/否, lists joined with 、, codes as labels."""
    if value is None or value == "" or value == [] or value == {}:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(value_text(FIELDS.get(item, item) if isinstance(item, str) else item) for item in value)
    if isinstance(value, dict):
        return "，".join(f"{FIELDS.get(key, key)} {value_text(item)}" for key, item in value.items())
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return VALUES.get(str(value), str(value))


def change_text(before: dict, after: dict, limit: int = 160) -> str:
    """What an event changed: 字段 旧 → 新 for changed fields, 字段 值 for the rest."""
    parts = []
    for key, value in (after or {}).items():
        label = FIELDS.get(key, key)
        if before and key in before and before[key] != value:
            parts.append(f"{label} {value_text(before[key])} → {value_text(value)}")
        elif not before or key not in before:
            parts.append(f"{label} {value_text(value)}")
    text = "；".join(parts)
    return text if len(text) <= limit else text[:limit - 1] + "…"
