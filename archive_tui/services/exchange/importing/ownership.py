"""Who owns which fact: the national source, or the archive (数据归属).

The county's registration database (NY/T 2539) owns the **registration data**: issuers,
households (name, ID, address, phone, counts, survey and publicity), members, parcels,
contracts, the register, a certificate's registration fields (code, serial, issuing
authority, issue date), the 补发/换发/注销 rows and the ownership-source attachments. An
import brings these in and updates them when a later source changes them.

archive-tui owns what the archive records itself, and an import never overwrites it:

* **fields corrected in the app** (户主姓名, 证件号码, 电话, 地址 edited in the file view):
  kept; a source that says otherwise is listed as a conflict;
* **a certificate's handover and life** once the archive recorded any event of it (发放 with
  the collector, ID and date; 收回, 挂失, 注销, 补发, 换发, 销毁): its status and collector
  fields are kept, a different source value is listed as a conflict. Until then the
  source's 领取 fields stand (the county may have recorded the handover first);
* the old (2010) certificates' recall and destruction, destruction batches;
* archive files (档号 never renumbered), documents, copies and their custody, scans;
* findings and their waivers (a waived finding stays waived when found again);
* transfers and the audit trail.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from archive_tui.db.tables import CERT_EVENT as EVENT, LOCAL_EDIT

HANDOVER = ("collected", "collected_on", "collector_name", "collector_id_type", "collector_id_number")
"""The certificate fields of the handover (领取), the archive's once it recorded an event."""
LOCAL_EDIT_WHY = "本档案中修改过"
ARCHIVE_EVENTS_WHY = "本档案已登记该证的发放等事件"


def local_edits(connection: Connection, entity: str) -> set[tuple[str, str]]:
    """(code, field) of every field of ``entity`` the archivist corrected in the app."""
    return set(connection.execute(
        select(LOCAL_EDIT.c.entity_key, LOCAL_EDIT.c.field).where(LOCAL_EDIT.c.entity == entity)).all())


def archive_owned_certificates(connection: Connection, certificate_ids: list[int]) -> set[int]:
    """The certificates of which the archive itself recorded an event."""
    owned: set[int] = set()
    for start in range(0, len(certificate_ids), 900):
        owned.update(connection.execute(
            select(EVENT.c.certificate_id).distinct()
            .where(EVENT.c.certificate_id.in_(certificate_ids[start:start + 900]), EVENT.c.origin == "archive")
        ).scalars())
    return owned
