"""The state machines (core/states.py): every value has its label, every move in a table is
allowed, every other one refused in Chinese naming both states, and the values the services
store and the tests use are the enums' values."""

from __future__ import annotations

import pytest

from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import (
    BATCH_STATUS, COPY_STATUS, DISPUTE_STAGE, ITEM_STATUS, MACHINES, PAGE_STATUS, BatchStatus, DisputeStage,
    FileStatus, ItemStatus, PageStatus, check_transition, refusal,
)

LEGAL = [(name, current, target) for name, machine in MACHINES.items()
         for current, targets in machine.moves.items() for target in sorted(targets)]
ILLEGAL = [(name, current, target) for name, machine in MACHINES.items()
           for current in machine.states for target in machine.states
           if target not in machine.moves[current]]


@pytest.mark.parametrize("machine", MACHINES.values(), ids=list(MACHINES))
def test_every_state_has_a_label_and_a_row_in_its_table(machine):
    assert set(machine.labels) == {state.value for state in machine.states}
    assert all(label and not label.isascii() for label in machine.labels.values())  # Chinese, none empty
    assert set(machine.moves) == set(machine.states)
    assert all(target in machine.states for targets in machine.moves.values() for target in targets)
    assert set(machine.away) <= set(machine.states)
    assert all(current in machine.states and target in machine.states for current, target in machine.why_not)


@pytest.mark.parametrize("name, current, target", LEGAL)
def test_every_move_in_the_table_is_allowed(name, current, target):
    assert refusal(MACHINES[name], current, target) is None
    check_transition(MACHINES[name], current, target)  # no error


@pytest.mark.parametrize("name, current, target", ILLEGAL)
def test_every_other_move_is_refused_in_chinese(name, current, target):
    machine = MACHINES[name]
    with pytest.raises(ArchiveError) as refused:
        check_transition(machine, current, target, subject="某某 ")
    message = refused.value.message
    assert message.startswith("某某 ")
    if (current, target) in machine.why_not:
        assert message == "某某 " + machine.why_not[current, target]
    elif current in machine.away:
        assert message == f"某某 {machine.away[current]}，不能改为“{machine.label(target)}”"
    else:
        assert f"当前为“{machine.label(current)}”，不能改为“{machine.label(target)}”" in message


@pytest.mark.parametrize("machine, current, target, words, message", [
    (COPY_STATUS, FileStatus.TRANSFERRED, FileStatus.LENT, {"subject": "卷 Z001-2018-00001 ", "action": "借出"},
     "卷 Z001-2018-00001 已移交，不能借出"),
    (COPY_STATUS, FileStatus.LENT, FileStatus.LENT,
     {"action": "移动", "detail": "（借给 王科长，应于 2026-11-01 归还）"},
     "已借出（借给 王科长，应于 2026-11-01 归还），不能移动"),
    (COPY_STATUS, FileStatus.IN_TRANSIT, FileStatus.IN_TRANSIT, {"action": "装盒"}, "正在移交，不能装盒"),
    (COPY_STATUS, FileStatus.TRANSFERRED, FileStatus.IN_TRANSIT, {"action": "移交"}, "已移交，不能再次移交"),
    (COPY_STATUS, FileStatus.LENT, FileStatus.IN_TRANSIT, {"action": "移交"}, "已借出，归还后才能移交"),
    (COPY_STATUS, FileStatus.FILED, FileStatus.TRANSFERRED, {}, "当前为“已归档”，不能改为“已移交”"),
    (ITEM_STATUS, ItemStatus.WITHDRAWN, ItemStatus.SENT, {"action": "移交"}, "已作废"),
    (ITEM_STATUS, ItemStatus.SENT, ItemStatus.LENT, {"action": "借出"}, "正在移交，不能借出"),
    (ITEM_STATUS, ItemStatus.WITHDRAWN, ItemStatus.WITHDRAWN, {"action": "作废"}, "已作废，不能作废"),
    (BATCH_STATUS, BatchStatus.SENT, BatchStatus.DRAFT, {"action": "再加入", "detail": "，清单已冻结"},
     "已移交待接收，清单已冻结，不能再加入"),
    (BATCH_STATUS, BatchStatus.RECEIVED, BatchStatus.SENT, {"action": "再次移交"}, "已接收，不能再次移交"),
    (BATCH_STATUS, BatchStatus.DRAFT, BatchStatus.RECEIVED, {}, "当前为“草稿”，不能改为“已接收”"),
    (DISPUTE_STAGE, DisputeStage.LITIGATION, DisputeStage.MEDIATION, {}, "当前为“诉讼”，不能改为“调解”"),
    (DISPUTE_STAGE, DisputeStage.MEDIATION, DisputeStage.REGISTERED, {}, "当前为“调解”，不能改为“登记”"),
    (DISPUTE_STAGE, DisputeStage.CLOSED, DisputeStage.CLOSED, {}, "（已结案，不能再次结案）"),
    (PAGE_STATUS, PageStatus.LINKED, PageStatus.UNASSIGNED, {}, "当前为“已挂接”，不能改为“待挂接”"),
    (PAGE_STATUS, PageStatus.QUARANTINED, PageStatus.LINKED, {"action": "挂接"}, "当前为“已隔离”，不能挂接"),
    (PAGE_STATUS, PageStatus.REPLACED, PageStatus.REPLACED, {}, "当前为“已被重扫替换”，不能改为“已被重扫替换”"),
])
def test_refusals_read_as_the_services_word_them(machine, current, target, words, message):
    subject = words.pop("subject", "")
    with pytest.raises(ArchiveError) as refused:
        check_transition(machine, current, target, subject=subject, field="stage", **words)
    assert message in refused.value.message and refused.value.field == "stage"


def test_a_state_the_table_does_not_know_is_refused_by_its_stored_name():
    assert refusal(COPY_STATUS, "archived", FileStatus.FILED) == "当前为“archived”，不能改为“已归档”"
    assert refusal(COPY_STATUS, FileStatus.FILED, "archived") == "当前为“已归档”，不能改为“archived”"


def test_the_values_are_the_stored_strings():
    # what the database holds and the existing tests read: nothing migrates
    assert {"assembling", "filed", "lent", "in_transit", "transferred"} == set(FileStatus)
    assert {"filed", "lent", "sent", "transferred", "withdrawn"} == set(ItemStatus)
    assert {"draft", "sent", "received", "returned"} == set(BatchStatus)
    assert {"registered", "mediation", "arbitration", "litigation", "closed"} == set(DisputeStage)
    assert {"linked", "unassigned", "duplicate", "quarantined", "replaced"} == set(PageStatus)
    assert PageStatus.LINKED == "linked" and f"{PageStatus.LINKED}" == "linked" and {"lent": 1}[FileStatus.LENT] == 1


def test_the_services_labels_and_sets_are_the_enums():
    from archive_tui.services.households import disputes
    from archive_tui.services.households.filters import FILE_STATUS_LABELS
    from archive_tui.services.intake import page_quality, scans
    from archive_tui.services.registers import copies, record_items
    from archive_tui.services.transfers import transfer_forms, transfers

    assert copies.STATUS_LABELS is COPY_STATUS.labels and FILE_STATUS_LABELS is COPY_STATUS.labels
    assert record_items.STATUS_LABELS is ITEM_STATUS.labels
    assert transfers.STATUS_LABELS is BATCH_STATUS.labels
    assert disputes.STAGES is DISPUTE_STAGE.labels and disputes.NEXT is DISPUTE_STAGE.moves
    assert set(disputes.OPEN) == set(DisputeStage) - {DisputeStage.CLOSED}
    assert set(transfers.OPEN) <= set(BatchStatus) and set(transfer_forms.KEPT_STATES) <= set(BatchStatus)
    assert scans.STATUSES == tuple(PageStatus) and set(scans.IN_STORE) <= set(PageStatus)
    assert set(scans.COUNTERS) <= set(PageStatus) and set(page_quality.MEASURED_STATUSES) <= set(PageStatus)
