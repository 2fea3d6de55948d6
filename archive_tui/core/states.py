"""The states things in the archive go through (状态) and the moves allowed between them (流转).

Each state machine is an enum whose values are the strings stored in the database (a
``StrEnum`` compares equal to its string, so ``column == PageStatus.LINKED`` is the query it
always was), a Chinese label per value, and a table: from each state, the states it may go
to. A state listed among its own moves may be worked on without leaving it (moved, boxed,
edited, added to); one that is not is out of reach (lent, in transit, transferred …) and
refuses that work too. The module that owns a state asks ``check_transition`` (or, to collect
several refusals, ``refusal``) before it writes a new one; nothing else decides.

Certificates keep their action table in services/registers/certificates.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from archive_tui.core.errors import ArchiveError


class FileStatus(StrEnum):
    """An archive file (户卷) and each of its three copies (份): archive_file.status, file_copy.status."""

    ASSEMBLING = "assembling"
    FILED = "filed"
    LENT = "lent"
    IN_TRANSIT = "in_transit"
    TRANSFERRED = "transferred"


class ItemStatus(StrEnum):
    """A 综合档案 item (按件): record_item.status."""

    FILED = "filed"
    LENT = "lent"
    SENT = "sent"
    TRANSFERRED = "transferred"
    WITHDRAWN = "withdrawn"


class BatchStatus(StrEnum):
    """A transfer batch to the county archive (移交批次): transfer.status."""

    DRAFT = "draft"
    SENT = "sent"
    RECEIVED = "received"
    RETURNED = "returned"


class DisputeStage(StrEnum):
    """A dispute's stage (纠纷调处): dispute.stage."""

    REGISTERED = "registered"
    MEDIATION = "mediation"
    ARBITRATION = "arbitration"
    LITIGATION = "litigation"
    CLOSED = "closed"


class PageStatus(StrEnum):
    """A scanned page (扫描页): scan_page.status."""

    LINKED = "linked"
    UNASSIGNED = "unassigned"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    REPLACED = "replaced"


FILE_STATUS_LABELS: dict[str, str] = {
    FileStatus.ASSEMBLING: "整理中", FileStatus.FILED: "已归档", FileStatus.LENT: "借出",
    FileStatus.IN_TRANSIT: "移交中", FileStatus.TRANSFERRED: "已移交",
}
ITEM_STATUS_LABELS: dict[str, str] = {
    ItemStatus.FILED: "在库", ItemStatus.LENT: "借出", ItemStatus.SENT: "移交中",
    ItemStatus.TRANSFERRED: "已移交", ItemStatus.WITHDRAWN: "已作废",
}
BATCH_STATUS_LABELS: dict[str, str] = {
    BatchStatus.DRAFT: "草稿", BatchStatus.SENT: "已移交待接收", BatchStatus.RECEIVED: "已接收",
    BatchStatus.RETURNED: "已退回",
}
DISPUTE_STAGE_LABELS: dict[str, str] = {
    DisputeStage.REGISTERED: "登记", DisputeStage.MEDIATION: "调解", DisputeStage.ARBITRATION: "仲裁",
    DisputeStage.LITIGATION: "诉讼", DisputeStage.CLOSED: "结案",
}
PAGE_STATUS_LABELS: dict[str, str] = {
    PageStatus.LINKED: "已挂接", PageStatus.UNASSIGNED: "待挂接", PageStatus.DUPLICATE: "重复",
    PageStatus.QUARANTINED: "已隔离", PageStatus.REPLACED: "已被重扫替换",
}


@dataclass(frozen=True)
class Machine:
    """One kind of thing's states: their labels, the moves between them and how refusals read."""

    name: str  # what goes through these states, for messages about the table itself
    states: type[StrEnum]
    labels: Mapping[str, str]
    moves: Mapping[str, frozenset[str]]  # from each state, where it may go (itself: it may be worked on)
    away: Mapping[str, str] = field(default_factory=dict)  # a state out of reach as a refusal says it: 已借出
    why_not: Mapping[tuple[str, str], str] = field(default_factory=dict)  # refusals worded by hand

    def label(self, state: str) -> str:
        return self.labels.get(state, state)

    def allowed(self, current: str, target: str) -> bool:
        return target in self.moves.get(current, frozenset())


F, It, B, D, P = FileStatus, ItemStatus, BatchStatus, DisputeStage, PageStatus

# Copies (and files): boxing files an assembled copy; a copy is lent from the shelf and comes back
# to the state it had; sending a batch puts it in transit, receipt transfers it (received or
# damaged) or it stays with the township (missing, or the batch returned). Transferred is final.
COPY_STATUS = Machine("案卷", FileStatus, FILE_STATUS_LABELS, {
    F.ASSEMBLING: frozenset({F.ASSEMBLING, F.FILED, F.LENT, F.IN_TRANSIT}),
    F.FILED: frozenset({F.FILED, F.LENT, F.IN_TRANSIT}),
    F.LENT: frozenset({F.ASSEMBLING, F.FILED}),
    F.IN_TRANSIT: frozenset({F.FILED, F.TRANSFERRED}),
    F.TRANSFERRED: frozenset(),
}, away={F.LENT: "已借出", F.IN_TRANSIT: "正在移交", F.TRANSFERRED: "已移交"}, why_not={
    (F.TRANSFERRED, F.IN_TRANSIT): "已移交，不能再次移交",
    (F.LENT, F.IN_TRANSIT): "已借出，归还后才能移交",
})

# 综合档案 items: like copies, but registered straight into the archive room (在库), and an item
# registered by mistake is withdrawn (作废) — it keeps its number and goes nowhere again.
ITEM_STATUS = Machine("综合档案", ItemStatus, ITEM_STATUS_LABELS, {
    It.FILED: frozenset({It.FILED, It.LENT, It.SENT, It.WITHDRAWN}),
    It.LENT: frozenset({It.FILED}),
    It.SENT: frozenset({It.FILED, It.TRANSFERRED}),
    It.TRANSFERRED: frozenset(),
    It.WITHDRAWN: frozenset(),
}, away={It.LENT: "已借出", It.SENT: "正在移交", It.TRANSFERRED: "已移交", It.WITHDRAWN: "已作废"}, why_not={
    (It.TRANSFERRED, It.SENT): "已移交，不能再次移交",
    (It.LENT, It.SENT): "已借出，归还后才能移交",
    (It.WITHDRAWN, It.SENT): "已作废",
})

# Transfer batches: a draft's list may change; sending freezes it; the archive receives the batch
# or returns it whole. Both ends are final.
BATCH_STATUS = Machine("移交批次", BatchStatus, BATCH_STATUS_LABELS, {
    B.DRAFT: frozenset({B.DRAFT, B.SENT}),
    B.SENT: frozenset({B.RECEIVED, B.RETURNED}),
    B.RECEIVED: frozenset(),
    B.RETURNED: frozenset(),
}, away={B.SENT: "已移交待接收", B.RECEIVED: "已接收", B.RETURNED: "已退回"})

# Disputes: 登记 → 调解 → 仲裁 or 诉讼 → 结案, steps may be skipped but not taken back; a closed
# dispute is reopened by a new round of mediation (the closing stays in the history).
DISPUTE_STAGE = Machine("纠纷", DisputeStage, DISPUTE_STAGE_LABELS, {
    D.REGISTERED: frozenset({D.MEDIATION, D.ARBITRATION, D.LITIGATION, D.CLOSED}),
    D.MEDIATION: frozenset({D.ARBITRATION, D.LITIGATION, D.CLOSED}),
    D.ARBITRATION: frozenset({D.LITIGATION, D.CLOSED}),
    D.LITIGATION: frozenset({D.CLOSED}),
    D.CLOSED: frozenset({D.MEDIATION}),
}, why_not={(D.CLOSED, D.CLOSED): "当前为“结案”，不能改为“结案”（已结案，不能再次结案）"})

# Scanned pages: a page is recorded linked, waiting (unassigned), a duplicate or quarantined; a
# waiting page is linked by hand; a linked page marked for rescan is replaced by its rescan.
PAGE_STATUS = Machine("扫描页", PageStatus, PAGE_STATUS_LABELS, {
    P.UNASSIGNED: frozenset({P.LINKED}),
    P.LINKED: frozenset({P.REPLACED}),
    P.DUPLICATE: frozenset(),
    P.QUARANTINED: frozenset(),
    P.REPLACED: frozenset(),
})

del F, It, B, D, P

MACHINES: dict[str, Machine] = {
    "copy": COPY_STATUS, "item": ITEM_STATUS, "batch": BATCH_STATUS, "dispute": DISPUTE_STAGE, "page": PAGE_STATUS,
}


def refusal(machine: Machine, current: str, target: str, *, action: str = "", detail: str = "") -> str | None:
    """Why a thing in ``current`` may not go to ``target`` (None: it may); ``target`` the same as
    ``current``: may it be worked on where it is. ``action`` words what was asked (借出, 移动;
    default: 改为“<target>”), ``detail`` follows the state (（借给 …）)."""
    if machine.allowed(current, target):
        return None
    worded = machine.why_not.get((current, target))
    if worded:
        return worded
    state = machine.away.get(current) or f"当前为“{machine.label(current)}”"
    return f"{state}{detail}，不能{action or f'改为“{machine.label(target)}”'}"


def check_transition(machine: Machine, current: str, target: str, *, subject: str = "", action: str = "",
                     detail: str = "", field: str | None = None) -> None:
    """Refuse (ArchiveError naming ``subject``, the current and the wanted state) a move the table
    does not allow; nothing has been changed then."""
    reason = refusal(machine, current, target, action=action, detail=detail)
    if reason:
        raise ArchiveError(f"{subject}{reason}", field=field)
