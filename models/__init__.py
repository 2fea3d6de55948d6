"""The data of archive-tui: tables, national code lists and validators.

This package imports nothing from ``archive_tui``.
"""

from models.tables import (
    Account,
    ArchiveFile,
    Attachment,
    AuditEvent,
    Certificate,
    CertificateEvent,
    Contract,
    CopyEvent,
    CopyLoan,
    DestructionBatch,
    Dispute,
    DisputeEvent,
    DestructionItem,
    Document,
    FileCopy,
    Finding,
    Household,
    HouseholdSearch,
    Issuer,
    ItemEvent,
    KeptForm,
    LocalEdit,
    Member,
    PageReview,
    PageTerm,
    Parcel,
    RecordItem,
    RegisterEntry,
    ScanPage,
    Share,
    ShareHousehold,
    Transfer,
    TransferItem,
    UseRecord,
    metadata,
)

__all__ = [
    "Account", "ArchiveFile", "Attachment", "AuditEvent", "Certificate", "CertificateEvent", "Contract",
    "CopyEvent",
    "CopyLoan", "DestructionBatch", "DestructionItem", "Dispute", "DisputeEvent", "Document", "FileCopy", "Finding",
    "Household", "HouseholdSearch", "Issuer", "ItemEvent", "KeptForm", "LocalEdit", "Member",
    "PageReview", "PageTerm", "Parcel",
    "RecordItem", "RegisterEntry", "ScanPage", "Share", "ShareHousehold", "Transfer",
    "TransferItem", "UseRecord", "metadata",
]
