"""The tables as SQLAlchemy Core sees them, named once: ``HOUSEHOLD = Household.__table__``.

Queries in the services are written in Core against these; a module whose own name for a
table differs imports it ``as`` that name.
"""

from __future__ import annotations

from sqlalchemy import Table

from models import (
    Account, ArchiveFile, Attachment, AuditEvent, CampaignRecord, Certificate, CertificateEvent, Contract, CopyEvent,
    CopyLoan,
    DestructionBatch, DestructionItem, Dispute, DisputeEvent, Document, FileCopy, Finding, Household, HouseholdSearch,
    Issuer, ItemEvent, KeptForm, LocalEdit, Member, PageReview, PageTerm, Parcel, RecordItem, RegisterEntry, ScanPage,
    Share, ShareHousehold, Transfer, TransferItem, UseRecord,
)

ACCOUNT: Table = Account.__table__
ATTACHMENT: Table = Attachment.__table__
AUDIT: Table = AuditEvent.__table__
CAMPAIGN_RECORD: Table = CampaignRecord.__table__
CERTIFICATE: Table = Certificate.__table__
CERT_EVENT: Table = CertificateEvent.__table__
CONTRACT: Table = Contract.__table__
COPY: Table = FileCopy.__table__
COPY_EVENT: Table = CopyEvent.__table__
DESTRUCTION_BATCH: Table = DestructionBatch.__table__
DESTRUCTION_ITEM: Table = DestructionItem.__table__
DISPUTE: Table = Dispute.__table__
DISPUTE_EVENT: Table = DisputeEvent.__table__
DOCUMENT: Table = Document.__table__
FILE: Table = ArchiveFile.__table__
FINDING: Table = Finding.__table__
HOUSEHOLD: Table = Household.__table__
ISSUER: Table = Issuer.__table__
ITEM_EVENT: Table = ItemEvent.__table__
KEPT: Table = KeptForm.__table__
LOAN: Table = CopyLoan.__table__
LOCAL_EDIT: Table = LocalEdit.__table__
MEMBER: Table = Member.__table__
PAGE_TERM: Table = PageTerm.__table__
PARCEL: Table = Parcel.__table__
RECORD_ITEM: Table = RecordItem.__table__
REGISTER: Table = RegisterEntry.__table__
REVIEW: Table = PageReview.__table__
SCAN: Table = ScanPage.__table__
SEARCH: Table = HouseholdSearch.__table__
SHARE: Table = Share.__table__
SHARE_HOUSEHOLD: Table = ShareHousehold.__table__
TRANSFER: Table = Transfer.__table__
TRANSFER_ITEM: Table = TransferItem.__table__
USE: Table = UseRecord.__table__
