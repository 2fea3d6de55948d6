"""The archive's tables (SQLModel).

Codes and 档号 are unique in the database itself; every child row has a real foreign key.
Register tables (certificate events, copy history, audit) are append-only by rule of the
services. National-standard field names appear only in the import/export mapping.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, UniqueConstraint
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}
metadata: MetaData = SQLModel.metadata


def _fk(target: str, *, nullable: bool = False, cascade: bool = False) -> Column:
    return Column(
        Integer,
        ForeignKey(target, ondelete="CASCADE" if cascade else None),
        nullable=nullable,
        index=True,
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def local_time(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time (UTC; SQLite gives it back without a zone) in the computer's own zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone()


class Issuer(SQLModel, table=True):  # 发包方 (usually a villagers' group)
    __tablename__ = "issuer"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=14)
    name: str = ""
    village_code: str = Field(default="", index=True, max_length=12)  # county+township+village
    village_name: str = ""
    group_code: str = Field(default="", max_length=2)  # "00": the village itself
    head_name: str = ""
    head_id_type: str = ""
    head_id_number: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    surveyor: str = ""
    survey_date: dt.date | None = None
    survey_notes: str = ""


class Household(SQLModel, table=True):  # 承包方
    __tablename__ = "household"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=18)
    issuer_id: int = Field(sa_column=_fk("issuer.id"))
    contractor_type: str = ""
    name: str = ""
    id_type: str = ""
    id_number: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    member_count: int | None = None
    survey_date: dt.date | None = None
    surveyor: str = ""
    survey_notes: str = ""
    publicity_notes: str = ""
    publicity_recorder: str = ""
    publicity_review_date: dt.date | None = None
    publicity_reviewer: str = ""
    has_basic_farmland: bool = False  # 基本农田: only the head may sign / collect
    has_high_standard_farmland: bool = False  # 高标准农田
    has_dispute: bool = False  # 争议


class Member(SQLModel, table=True):  # 家庭成员
    __tablename__ = "member"
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(sa_column=_fk("household.id", cascade=True))
    position: int = 0  # order within the household as imported
    name: str = ""
    sex: str = ""
    id_type: str = ""
    id_number: str = ""
    relation: str = ""
    remark_code: str = ""
    is_co_owner: str = ""
    remark: str = ""


class Parcel(SQLModel, table=True):  # 承包地块
    __tablename__ = "parcel"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=19)
    household_id: int = Field(sa_column=_fk("household.id", cascade=True))
    issuer_code: str = ""
    acquisition: str = ""  # 承包经营权取得方式
    contract_area: float | None = None  # m²
    contract_code: str = ""
    transfer_contract_code: str = ""
    certificate_code: str = ""
    original_area: float | None = None
    contract_area_mu: float | None = None
    original_area_mu: float | None = None
    shares_only: str = ""  # 是否确权确股
    name: str = ""
    category: str = ""
    east: str = ""  # 四至
    south: str = ""
    west: str = ""
    north: str = ""
    is_basic_farmland: bool = False


PRIMARY_CAMPAIGN = "确权"  # 工作阶段: the first registration; later campaigns (延包 …) keep their own rows beside it


class Contract(SQLModel, table=True):  # 承包合同
    __tablename__ = "contract"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=19, index=True)
    campaign: str = Field(default=PRIMARY_CAMPAIGN, index=True)  # the same code again in a later campaign
    household_id: int = Field(sa_column=_fk("household.id", cascade=True))
    original_code: str = ""
    issuer_code: str = ""
    method: str = ""
    term_start: dt.date | None = None
    term_end: dt.date | None = None
    total_area: float | None = None
    parcel_count: int | None = None
    signed_date: dt.date | None = None
    total_area_mu: float | None = None
    original_total_area: float | None = None
    original_total_area_mu: float | None = None
    __table_args__ = (UniqueConstraint("code", "campaign"),)


class RegisterEntry(SQLModel, table=True):  # 登记簿
    __tablename__ = "register_entry"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=19, index=True)
    campaign: str = Field(default=PRIMARY_CAMPAIGN, index=True)
    household_id: int = Field(sa_column=_fk("household.id", cascade=True))
    issuer_code: str = ""
    method: str = ""
    term_text: str = ""
    term_start: dt.date | None = None
    term_end: dt.date | None = None
    parcel_map: str = ""
    old_certificate_serial: str = ""
    certificate_serial: str = ""
    attachment: str = ""
    registrar: str = ""
    registered_on: dt.date | None = None
    __table_args__ = (UniqueConstraint("code", "campaign"),)


class Certificate(SQLModel, table=True):  # 承包经营权证
    __tablename__ = "certificate"
    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(unique=True)  # 证书编号 / 流水号 (printed on the certificate)
    code: str = Field(default="", index=True)  # CBJYQZBM
    household_id: int = Field(sa_column=_fk("household.id"))
    generation: str = "new"  # "old" (2010-era) or "new"
    authority: str = ""
    issued_on: dt.date | None = None  # 发证日期
    collected: str = ""
    collected_on: dt.date | None = None
    collector_name: str = ""
    collector_id_type: str = ""
    collector_id_number: str = ""
    status: str = "printed"
    campaign: str = Field(default=PRIMARY_CAMPAIGN, index=True)


class CertificateEvent(SQLModel, table=True):  # 证书事件 (append-only)
    __tablename__ = "certificate_event"
    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(sa_column=_fk("certificate.id"))
    kind: str  # issue, recall, lost, reissue, replace, cancel, destroy
    happened_on: dt.date | None = None
    collected_on: dt.date | None = None
    reason: str = ""
    person_name: str = ""
    person_id_type: str = ""
    person_id_number: str = ""
    details: str = "{}"  # JSON
    operator: str = ""
    origin: str = "archive"  # "archive": recorded here; "import": from the national tables (补发/换发/注销)
    recorded_at: dt.datetime = Field(default_factory=now)


class DestructionBatch(SQLModel, table=True):  # 销毁清册
    __tablename__ = "destruction_batch"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    approval_doc: str = ""
    approver: str = ""
    approved_on: dt.date | None = None
    appraisal_head: str = ""  # 鉴定小组组长
    appraised_on: dt.date | None = None
    supervisors: str = ""  # 监销人, "、"-separated
    method: str = ""
    place: str = ""
    destroyed_on: dt.date | None = None
    status: str = "open"
    operator: str = ""
    created_at: dt.datetime = Field(default_factory=now)
    closed_at: dt.datetime | None = None


class DestructionItem(SQLModel, table=True):
    __tablename__ = "destruction_item"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(sa_column=_fk("destruction_batch.id"))
    certificate_id: int = Field(sa_column=_fk("certificate.id"))
    __table_args__ = (UniqueConstraint("certificate_id"),)


class ArchiveFile(SQLModel, table=True):  # 案卷 (one per household and campaign)
    __tablename__ = "archive_file"
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(sa_column=_fk("household.id"))
    campaign: str = Field(default=PRIMARY_CAMPAIGN, index=True)
    archive_code: str = Field(unique=True)  # 档号
    volume_no: int = 0  # 案卷号
    title: str = ""
    year: int = 0
    retention: str = "永久"
    page_count: int = 0
    status: str = "assembling"
    created_at: dt.datetime = Field(default_factory=now)
    __table_args__ = (UniqueConstraint("household_id", "campaign"),)


class FileCopy(SQLModel, table=True):  # 份 (village / township / county copy)
    __tablename__ = "file_copy"
    id: int | None = Field(default=None, primary_key=True)
    archive_file_id: int = Field(sa_column=_fk("archive_file.id"))
    level: str  # village, township, county
    holder: str = ""
    keeper: str = ""  # who keeps it for the holder (代管)
    building: str = ""
    room: str = ""
    cabinet: str = ""
    shelf: str = ""
    box: str = Field(default="", index=True)
    status: str = "assembling"
    present_docs: str = ""  # JSON list of document codes physically in this copy; "" = not yet checked
    __table_args__ = (UniqueConstraint("archive_file_id", "level"),)


class CopyLoan(SQLModel, table=True):  # 借阅 (a copy lent out and, later, returned)
    __tablename__ = "copy_loan"
    id: int | None = Field(default=None, primary_key=True)
    copy_id: int = Field(sa_column=_fk("file_copy.id"))
    borrower: str
    purpose: str = ""
    lent_on: dt.date
    due_on: dt.date
    returned_on: dt.date | None = None
    status_before: str = "filed"  # what the copy goes back to on return
    operator: str = ""


class CopyEvent(SQLModel, table=True):  # 份的位置与状态历史 (append-only)
    __tablename__ = "copy_event"
    id: int | None = Field(default=None, primary_key=True)
    copy_id: int = Field(sa_column=_fk("file_copy.id"))
    action: str
    before: str = "{}"  # JSON
    after: str = "{}"
    reason: str = ""
    operator: str = ""
    recorded_at: dt.datetime = Field(default_factory=now)


class Document(SQLModel, table=True):  # 卷内文件
    __tablename__ = "document"
    id: int | None = Field(default=None, primary_key=True)
    archive_file_id: int = Field(sa_column=_fk("archive_file.id"))
    doc_type: str  # code from config [[documents]]
    position: int = 0
    title: str = ""
    doc_number: str = ""  # 文号
    responsible: str = ""  # 责任者
    dated: dt.date | None = None
    page_start: int | None = None
    page_end: int | None = None
    page_count: int = 0
    signed_by_household: bool | None = None
    signed_by_proxy: bool = False
    remark: str = ""
    __table_args__ = (UniqueConstraint("archive_file_id", "doc_type"),)


class ScanPage(SQLModel, table=True):  # 扫描页
    __tablename__ = "scan_page"
    id: int | None = Field(default=None, primary_key=True)
    archive_file_id: int | None = Field(default=None, sa_column=_fk("archive_file.id", nullable=True))
    document_id: int | None = Field(default=None, sa_column=_fk("document.id", nullable=True))
    store_path: str = Field(unique=True)
    source_name: str = ""
    sha256: str = Field(index=True, max_length=64)
    size: int = 0
    format: str = ""
    width: int = 0
    height: int = 0
    dpi: int = 0
    colour_mode: str = ""
    page_index: int = 0  # page inside a multi-page file
    seq: int | None = None  # page number inside the document
    status: str = "unassigned"  # linked, unassigned, duplicate, quarantined, replaced (by a rescan)
    reason: str = ""
    created_at: dt.datetime = Field(default_factory=now)
    # 图像质量: the pixel measures (None: not measured yet, or not measurable, see measure_note)
    ink_share: float | None = None
    ink_marks: int | None = None
    skew_degrees: float | None = None
    dark_border: float | None = None
    edge_content: int | None = None
    phash: str = ""
    measured_at: dt.datetime | None = None
    measure_note: str = ""  # why a page could not be measured
    rescan_reason: str = ""  # 重扫: marked by the archivist; the next scan of this page replaces it
    replaced_by_id: int | None = Field(default=None, sa_column=_fk("scan_page.id", nullable=True))
    # 识别 (OCR) and what it suggests for a page waiting to be linked
    ocr_text: str = ""
    ocr_at: dt.datetime | None = None
    ocr_note: str = ""  # why a page could not be read
    orientation: int | None = None  # degrees the page as scanned is turned from upright (0, 90, 180, 270)
    suggested_file_id: int | None = Field(default=None, index=True)  # archive_file.id; advisory, no constraint
    suggested_doc_type: str = ""
    suggestion_confidence: float | None = None
    suggestion_evidence: str = ""  # JSON: [{kind, text, weight, box}]
    record_item_id: int | None = Field(default=None, index=True)  # a page of a 综合档案 item (record_item.id)


class PageReview(SQLModel, table=True):  # 人工抽检: a page drawn into the manual sample, and its verdict
    __tablename__ = "page_review"
    id: int | None = Field(default=None, primary_key=True)
    scan_page_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_page.id"), nullable=False, unique=True))
    sample_no: str = Field(default="", index=True)  # e.g. 抽检-2026-001; "" for a page reviewed outside a sample
    seed: int = 0
    drawn_at: dt.datetime = Field(default_factory=now)
    drawn_by: str = ""
    verdict: str = ""  # "", ok, problem
    problem: str = ""
    reviewer: str = ""
    reviewed_at: dt.datetime | None = None


class Transfer(SQLModel, table=True):  # 移交批次
    __tablename__ = "transfer"
    id: int | None = Field(default=None, primary_key=True)
    batch_no: str = Field(unique=True)
    to_name: str = ""
    note: str = ""
    status: str = "draft"  # draft, sent, received, returned
    level: str = "township"  # which copies go: the township's, or village copies it keeps
    handed_over_by: str = ""  # 移交人
    received_by: str = ""  # 接收人
    supervised_by: str = ""  # 监交人
    document_copies: int = 3  # the 交接文据 is signed in this many copies
    operator: str = ""
    created_at: dt.datetime = Field(default_factory=now)
    sent_by: str = ""
    sent_at: dt.datetime | None = None
    closed_by: str = ""
    closed_at: dt.datetime | None = None


class TransferItem(SQLModel, table=True):
    __tablename__ = "transfer_item"
    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(sa_column=_fk("transfer.id"))
    copy_id: int | None = Field(default=None, sa_column=_fk("file_copy.id", nullable=True))  # a household file's copy
    record_item_id: int | None = Field(default=None, sa_column=_fk("record_item.id", nullable=True))  # … or an item
    result: str = ""  # received, missing, damaged
    override_reason: str = ""
    note: str = ""
    __table_args__ = (UniqueConstraint("transfer_id", "copy_id"), UniqueConstraint("transfer_id", "record_item_id"))


class Finding(SQLModel, table=True):  # 质检问题 (销号管理)
    __tablename__ = "finding"
    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(index=True)
    severity: str = "error"
    household_id: int | None = Field(default=None, sa_column=_fk("household.id", nullable=True))
    subject: str = ""  # what inside the household (a member, a parcel …)
    message: str = ""
    status: str = "open"
    source: str = "check"  # "import" or "check"
    created_at: dt.datetime = Field(default_factory=now)
    resolved_at: dt.datetime | None = None
    waived_reason: str = ""
    waived_by: str = ""
    waived_at: dt.datetime | None = None
    __table_args__ = (Index("ix_finding_household_rule_subject", "household_id", "rule", "subject"),)


class TableChange(SQLModel, table=True):  # 表的修改计数: whether a table changed since the last quality check
    """Rows of a table updated or deleted so far, counted by SQLite triggers (migration 0016);
    with the table's row count and highest id it tells whether the table changed."""

    __tablename__ = "table_change"
    name: str = Field(primary_key=True)
    changes: int = 0


class CheckState(SQLModel, table=True):  # 质检规则上次所见: what a rule's last run over the township saw
    """The state of each table the rule read (``tables``, JSON) and of the settings, the date and
    the program (``context``); the row with ``rule`` "" holds the findings as the last check left them."""

    __tablename__ = "check_state"
    rule: str = Field(primary_key=True)
    context: str = ""
    tables: str = ""
    checked_at: dt.datetime = Field(default_factory=now)


class Attachment(SQLModel, table=True):  # 权属来源资料附件
    __tablename__ = "attachment"
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(sa_column=_fk("household.id", cascade=True))
    certificate_code: str = ""
    number: str = ""
    name: str = ""
    dated: dt.date | None = None
    path: str = ""
    __table_args__ = (UniqueConstraint("certificate_code", "number"),)


class AuditEvent(SQLModel, table=True):  # 审计日志 (append-only, hash-chained)
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    recorded_at: dt.datetime = Field(default_factory=now)
    operator: str = ""
    action: str
    entity: str = ""
    entity_key: str = Field(default="", index=True)
    before: str = "{}"
    after: str = "{}"
    prev_hash: str = ""
    hash: str = ""


class LocalEdit(SQLModel, table=True):  # 本档案的修改: a source-owned field the archivist corrected here
    """The latest value of a field edited in archive-tui; an import keeps it (and reports the
    source's different value as a conflict) instead of overwriting it. History: the audit log."""

    __tablename__ = "local_edit"
    id: int | None = Field(default=None, primary_key=True)
    entity: str  # "household"
    entity_key: str  # the entity's national code (CBFBM)
    field: str  # attribute name, e.g. "id_number"
    value: str = ""
    operator: str = ""
    recorded_at: dt.datetime = Field(default_factory=now)
    __table_args__ = (UniqueConstraint("entity", "entity_key", "field"),)


class HouseholdSearch(SQLModel, table=True):  # 检索文本: what filter-as-you-type searches
    __tablename__ = "household_search"
    household_id: int = Field(sa_column=Column(Integer, ForeignKey("household.id", ondelete="CASCADE"),
                                               primary_key=True))
    names: str = ""  # lower-case names of the head and members with their pinyin initials
    numbers: str = ""  # lower-case codes, 档号 and ID numbers
    sort_name: str = Field(default="", index=True)  # the head's name in pinyin with tones: 丁 before 万


class PageTerm(SQLModel, table=True):  # 页面检索词: a name or number read on a household's scanned page
    """What ``households --search`` and the app's ``/`` also find: the names (after a label such as
    姓名、户主、承包方) and the long numbers read by OCR on the pages filed to a household."""

    __tablename__ = "page_term"
    term: str = Field(primary_key=True)
    household_id: int = Field(sa_column=Column(Integer, ForeignKey("household.id", ondelete="CASCADE"),
                                               primary_key=True, index=True))


class Dispute(SQLModel, table=True):  # 纠纷登记 (矛盾纠纷调处): one dispute of a household, maybe about one parcel
    __tablename__ = "dispute"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)  # 纠纷2026-001
    household_id: int = Field(sa_column=_fk("household.id"))
    parcel_code: str = ""
    parties: str = ""  # 当事人, "、"-separated
    subject: str = ""  # 争议事项
    started_on: dt.date
    stage: str = "registered"  # registered, mediation, arbitration, litigation, closed
    outcome: str = ""
    right_changed: bool = False  # 结案改变了承包经营权: registration and certificate to follow up
    closed_on: dt.date | None = None
    followed_up_on: dt.date | None = None  # 补充登记和颁证 done (for a closing that changed a right)
    operator: str = ""
    created_at: dt.datetime = Field(default_factory=now)


class DisputeEvent(SQLModel, table=True):  # 纠纷调处经过 (append-only)
    __tablename__ = "dispute_event"
    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(sa_column=_fk("dispute.id"))
    stage: str
    happened_on: dt.date
    note: str = ""
    operator: str = ""
    recorded_at: dt.datetime = Field(default_factory=now)


class UseRecord(SQLModel, table=True):  # 档案利用登记: a consultation, copy or certified extract of a file
    __tablename__ = "use_record"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)  # 利用2026-001
    archive_file_id: int | None = Field(default=None, sa_column=_fk("archive_file.id", nullable=True))
    record_item_id: int | None = Field(default=None, sa_column=_fk("record_item.id", nullable=True))  # … or an item
    kind: str  # consult (查阅), copy (复制), extract (摘录证明)
    person: str  # 利用人
    id_number: str = ""  # 利用人证件号码
    unit: str = ""  # 单位
    purpose: str = ""  # 利用目的
    approved_by: str = ""  # 批准人
    pages: int = 0  # 复制或摘录的页数
    used_on: dt.date
    returned_on: dt.date | None = None  # 查阅后归还
    operator: str = ""
    created_at: dt.datetime = Field(default_factory=now)


class RecordItem(SQLModel, table=True):  # 综合档案 (按件, DA/T 22): one item of the township's campaign records
    __tablename__ = "record_item"
    id: int | None = Field(default=None, primary_key=True)
    archive_code: str = Field(unique=True)  # 档号
    fonds_code: str  # 全宗号: this township's, or the one of a township whose items were received
    year: int  # 年度
    retention: str  # 永久 / 30年 / 10年
    piece_no: int  # 件号, within fonds, year and retention
    item_type: str  # code from config [[item_types]]
    title: str  # 题名
    responsible: str = ""  # 责任者
    doc_number: str = ""  # 文号
    dated: dt.date | None = None  # 日期
    pages: int = 0  # 页数
    carrier: str = "paper"  # paper, photo, audiovisual, electronic
    remark: str = ""
    box: str = Field(default="", index=True)  # 盒号
    location: str = ""  # 存放位置
    status: str = "filed"  # filed, lent, sent (in a transfer), transferred, withdrawn (作废, by a new entry)
    operator: str = ""
    created_at: dt.datetime = Field(default_factory=now)
    __table_args__ = (UniqueConstraint("fonds_code", "year", "retention", "piece_no"),)


class ItemEvent(SQLModel, table=True):  # 综合档案的保管经过 (append-only): box, move, lend, return, transfer
    __tablename__ = "item_event"
    id: int | None = Field(default=None, primary_key=True)
    record_item_id: int = Field(sa_column=_fk("record_item.id"))
    action: str
    before: str = "{}"  # JSON
    after: str = "{}"
    reason: str = ""
    operator: str = ""
    recorded_at: dt.datetime = Field(default_factory=now)


class Share(SQLModel, table=True):  # 复制共享: a package of registration results handed to another department
    __tablename__ = "share"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)  # 共享2026-001
    to_unit: str  # 接收单位, e.g. 县自然资源局
    purpose: str = ""
    village: str = ""  # "" = the whole township
    since_date: dt.date | None = None  # incremental: what changed after this date …
    since_share: str = ""  # … or since this share
    households: int = 0
    files: int = 0
    bytes: int = 0
    digest: str = ""  # SHA-256 of the package's 资料清单.csv (printed on the signed list)
    folder: str = ""
    operator: str = ""
    created_at: dt.datetime = Field(default_factory=now)


class ShareHousehold(SQLModel, table=True):  # a household in a share, with a digest of what was shared of it
    __tablename__ = "share_household"
    id: int | None = Field(default=None, primary_key=True)
    share_id: int = Field(sa_column=_fk("share.id"))
    household_id: int = Field(sa_column=_fk("household.id"))
    content_hash: str = ""  # what changed since a share: this digest differs
    __table_args__ = (UniqueConstraint("share_id", "household_id"),)


class Account(SQLModel, table=True):  # 账户: who may open the archive (terminal or browser), with what role
    __tablename__ = "account"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)  # login name, also the operator of every audited action
    role: str  # archivist (档案员), reader (查阅), admin (管理员)
    password_hash: str  # argon2id
    disabled: bool = False
    failed_logins: int = 0  # since the last success
    locked_until: dt.datetime | None = None  # after too many failures in a row
    last_login_at: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=now)


class KeptForm(SQLModel, table=True):  # 已签文书: a form rendered once when its record was closed, kept as made
    """The file in the store (``path``, relative to the archive folder) as rendered at that step
    (``stage``: closed, sent, received, …); its SHA-256 is also in the audit event of the step
    (``audit_event_id``), so neither the file nor this row can change unnoticed."""

    __tablename__ = "kept_form"
    id: int | None = Field(default=None, primary_key=True)
    # destruction (销毁清册), handover (移交清单和交接文据), check (四性检测报告), share (资料清单), roster (颁证清册)
    kind: str
    entity_key: str  # the batch, check, share or roster it is of
    stage: str = ""  # the step that made it: closed, sent, package, received, checked, made, signed
    suffix: str  # .pdf, .xlsx, .csv, .json
    variant: str = ""  # what else tells two forms of one key apart (颁证清册: 打码 or 全号)
    path: str = Field(unique=True)
    sha256: str
    size: int = 0
    audit_event_id: int | None = Field(default=None, sa_column=_fk("audit_event.id", nullable=True))
    operator: str = ""
    created_at: dt.datetime = Field(default_factory=now)
    __table_args__ = (Index("ix_kept_form_kind_entity_key", "kind", "entity_key"),)


class CampaignRecord(SQLModel, table=True):  # 延包等后续工作阶段的一户进度: confirmed, publicised, signed
    """A household in a later campaign (延包): the steps it has been through, and the members and
    parcels it confirmed (JSON), kept beside the 确权 rows, which are never overwritten."""

    __tablename__ = "campaign_record"
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(sa_column=_fk("household.id"))
    campaign: str = Field(index=True)
    confirmed_on: dt.date | None = None  # 确认: the household confirmed members and parcels (确认表)
    publicised_on: dt.date | None = None  # 公示
    objection: str = ""  # 公示异议: "" none raised; else what was objected
    signed_on: dt.date | None = None  # 签约: the extended contract signed
    members: str = "[]"  # JSON [{name, id_number, relation}] as confirmed in this campaign
    parcels: str = "[]"  # JSON [{code, area}] (m²) as confirmed in this campaign
    new_household: bool = False  # not in the 确权 register: allowed only on purpose (import flag)
    note: str = ""
    updated_at: dt.datetime = Field(default_factory=now)
    __table_args__ = (UniqueConstraint("household_id", "campaign"),)
