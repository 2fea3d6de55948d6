"""Load and validate ``config.toml`` into typed settings.

Search order: ``--config``, ``./config.toml``, the user config folder (platformdirs).
Unknown keys and wrong types are errors naming the key.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from archive_tui.core.errors import ArchiveError
from archive_tui.core.paths import check_template
from archive_tui.core.privacy import private_file
from archive_tui.scanning.names import RuleError, compile_rule

CONFIG_NAME = "config.toml"
OPERATOR_ENV = "ARCHIVE_TUI_OPERATOR"
RETENTION_CODES = {"永久": "Y", "30年": "D30", "10年": "D10"}

Digits = lambda n: Annotated[str, StringConstraints(pattern=rf"^\d{{{n}}}$")]  # noqa: E731
Retention = Literal["永久", "30年", "10年"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


_CODE_SAMPLE = {"fonds": "Z001", "category": "NJ", "year": 2018, "retention": "Y", "county": "130123",
                "township": "101", "village": "001", "group": "01", "seq": "0001", "volume": 1}
_TITLE_SAMPLE = {"village": "东庄村", "group": "第一组", "name": "张三", "cbfbm": "130123101001010001"}


FIELD_WIDTH_MAX = 64  # {piece:099999999d} would make a 档号 of 100 million characters
CODE_LENGTH_MAX = 64  # a 档号 or 盒号 as written: on a spine label, in a file name
_SPEC_NUMBERS = re.compile(r"\d+")


def _check_widths(key: str, template: str) -> None:
    """Every field's width and precision bounded before the template is ever used (formatting it
    with a huge width would take the machine's memory)."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError(f"{key} 的写法有误：大括号没有成对") from None
    for _text, name, spec, _conversion in fields:
        if name is None:
            continue
        if "." in name or "[" in name:  # {year.real}, {fonds[0]}: attribute and item access, not a field
            raise ValueError(f"{key} 中的字段 {{{name}}} 不能含有“.”或“[”")
        if "{" in (spec or "") or "}" in (spec or ""):
            raise ValueError(f"{key} 中字段 {{{name}}} 的格式不能再含大括号")
        widths = [int(number) for number in _SPEC_NUMBERS.findall(spec or "")]
        if any(width > FIELD_WIDTH_MAX for width in widths):
            raise ValueError(f"{key} 中字段 {{{name}:{spec}}} 的宽度过大（最多 {FIELD_WIDTH_MAX} 位）")


def _check_template(key: str, template: str, sample: dict[str, object], longest: int | None = None) -> None:
    _check_widths(key, template)
    try:
        shown = template.format(**sample)
    except KeyError as exc:
        raise ValueError(f"{key} 中的字段 {{{exc.args[0]}}} 不存在；可用字段：{'、'.join(sample)}") from None
    except (ValueError, IndexError, TypeError) as exc:
        raise ValueError(f"{key} 的写法有误：{_format_problem(exc)}") from None
    if longest is not None and len(shown) > longest:
        raise ValueError(f"{key} 写出的编号“{shown[:20]}…”有 {len(shown)} 个字符，超过 {longest} 个")


def _format_problem(error: Exception) -> str:
    """Python's words on a bad format, said in Chinese."""
    if isinstance(error, IndexError):
        return "字段必须有名字（如 {box}），不能是空的 {}"
    return "格式与字段的值不符（如数字用 d、文字不用 d）"


class TownshipSettings(_Section):
    name: str
    code: Digits(9)
    full_name: str = ""  # 移交单位全称 on the 交接文据; empty: county + township + 人民政府


class CountySettings(_Section):
    name: str
    code: Digits(6)
    archive_name: str
    agriculture_office: str = "县农业农村局"


class ArchiveSettings(_Section):
    fonds_code: str = Field(min_length=1)
    fonds_name: str
    category_code: str
    year: int = Field(ge=1949, le=2100)
    archive_code_template: str
    title_template: str
    retention: Retention = "永久"
    operator: str = "档案员"


class DatabaseSettings(_Section):
    url: str = ""

    @model_validator(mode="after")
    def _supported(self) -> "DatabaseSettings":
        if self.url and not self.url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
            raise ValueError(f"database.url “{self.url.split('://')[0]}://…” 不受支持：留空即用本机 SQLite 文件，"
                             "多台电脑共用时填 postgresql+psycopg://用户名@服务器/库名")
        return self


class PathSettings(_Section):
    inbox: str = "scans"
    store: str = "store"
    exports: str = "exports"


class ContractSettings(_Section):
    term_start: dt.date
    term_end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> "ContractSettings":
        if self.term_end <= self.term_start:
            raise ValueError("contract.term_end 必须晚于 contract.term_start")
        return self


class CertificateSettings(_Section):
    old_generation: str = "旧证"
    new_generation: str = "新证"


class ScanSettings(_Section):
    min_dpi: int = Field(default=200, ge=72)
    formats: list[Literal["TIFF", "JPEG", "JPEG2000", "PDF", "PNG"]] = ["TIFF", "JPEG", "JPEG2000", "PDF"]
    colour_required: list[str] = []  # document-type codes whose pages must be in colour
    filename_rules: list[str] = [
        "{archive_code}-{page}", "{cbfbm}_{doc}_{page}", "{seq4}_{name}_{page}{docname}", "{archive_code}",
    ]
    store_template: str = "{village}/{archive_code}/{archive_code}-{seq:04d}{ext}"
    keep_originals: bool = False
    stable_seconds: float = Field(default=2.0, ge=0)
    rescan_seconds: int = Field(default=60, ge=5)
    polling: bool = False
    max_pixels: int = Field(default=120_000_000, ge=1_000_000)
    full_decode: bool = False  # decode every JPEG on intake (slower); otherwise header and end marker
    read_sheets: bool = True  # read cover / separator QR codes on pages whose name links nothing
    sheet_minutes: int = Field(default=30, ge=1)  # a sheet's pages must follow it within this time
    ignore: list[str] = ["Thumbs.db", "desktop.ini", ".DS_Store", ".gitkeep", "~$*", "*.tmp", "*.part"]
    # more files that are not scans than this in the inbox: not an inbox (a user's Documents?), refused untouched
    inbox_max_other_files: int = Field(default=50, ge=0)

    @model_validator(mode="after")
    def _usable(self) -> "ScanSettings":
        for rule in self.filename_rules:
            try:
                compile_rule(rule)
            except RuleError as exc:
                raise ValueError(f"scan.filename_rules：{exc}") from None
        sample = {"village": "东庄村", "archive_code": "Z001-NJ·2018-Y-00001", "cbfbm": "130123101001010001",
                  "seq": 1, "ext": ".jpg", "doc": "03"}
        _check_template("scan.store_template", self.store_template, sample)
        check_template("scan.store_template", self.store_template)
        return self


# The quality rules' ids (services/quality), for [checks] severity; tests/services/test_checks.py keeps them alike.
CHECK_RULES = frozenset({
    "member_incomplete", "id_number", "id_legacy", "id_duplicate", "head_mismatch", "id_copy_missing",
    "documents_missing", "unsigned", "proxy_signature", "page_count", "scan_quality", "parcel_name",
    "parcel_boundaries", "parcel_source_missing", "parcel_area", "area_total", "contract_term", "issuer_code",
    "sequence_range", "code_mismatch", "cert_not_issued", "old_not_recalled", "old_not_destroyed",
    "dispute_followup", "copy_location", "not_transferred", "page_unreadable", "page_blank", "page_skew",
    "page_orientation", "page_border", "page_cropped", "page_duplicate", "page_duplicate_other", "page_review",
    "extension_term", "extension_members_changed", "extension_area_change", "extension_objection", "extension_order",
    "extension_not_exchanged"})
SEVERITIES = {"error": "error", "warning": "warning", "pending": "pending",  # 错误 / 警告 / 待补充
              "错误": "error", "警告": "warning", "待补充": "pending"}


class CheckSettings(_Section):
    pass_share: float = Field(default=95.0, ge=0, le=100)  # % of households with no open error, per village
    area_tolerance_m2: float = Field(default=1.0, ge=0)  # parcel areas vs contract area
    transfer_due: dt.date | None = None  # files not transferred after this date are findings
    severity: dict[str, str] = {}  # rule id → the severity of its findings instead of the rule's own

    @model_validator(mode="after")
    def _known_rules(self) -> "CheckSettings":
        for rule_id, level in self.severity.items():
            if rule_id not in CHECK_RULES:
                raise ValueError(f"checks.severity 中的“{rule_id}”不是质检规则的编码"
                                 f"（可用：{'、'.join(sorted(CHECK_RULES))}）")
            if level not in SEVERITIES:
                raise ValueError(f"checks.severity 中 {rule_id} 的级别“{level}”无效：应为 错误、警告 或 待补充"
                                 "（也可写 error、warning、pending）")
        self.severity = {rule_id: SEVERITIES[level] for rule_id, level in self.severity.items()}
        return self


class QualitySettings(_Section):
    """图像质量检查 (DA/T 31-2017): the limits the pixel checks hold pages to."""

    at_intake: bool = True  # measure every page as it is taken in (about 0.02 s a page, on every core)
    blank_ink: float = Field(default=0.002, ge=0, le=1)  # a page with less ink (share inside the margins) is blank
    blank_marks: int = Field(default=10, ge=0)  # … or with fewer separate marks: a stamp or a few strokes
    skew_limit: float = Field(default=3.0, ge=0, le=45)  # degrees
    border_share: float = Field(default=0.5, gt=0, le=1)  # an edge band darker than this share: a black border
    cut_pieces: int = Field(default=3, ge=1)  # this many pieces of ink cut by one edge: content cropped
    duplicate_distance: int = Field(default=36, ge=0, le=128)  # pHash bits of 256: a rescan ≤ 20, another page ≥ 60
    cross_file_distance: int = Field(default=20, ge=0, le=32)  # two households' files of a village (a warning)
    sparse_ink: float = Field(default=0.01, ge=0, le=1)  # pages with less ink (a short statement) …
    sparse_distance: int = Field(default=8, ge=0, le=32)  # … are twins only this close: their hashes are all alike
    sample_share: float = Field(default=5.0, gt=0, le=100)  # % of pages drawn for the manual sample


# the copies (份别) a [copies] held_levels may name: the code word, or the level said in Chinese
HELD_LEVEL_WORDS = {"village": "village", "township": "township", "county": "county", "村": "village",
                    "村级": "village", "乡": "township", "乡镇": "township", "乡镇级": "township", "县": "county",
                    "县级": "county"}


class CopySettings(_Section):
    box_template: str = "{level}{village_code}-{box:03d}"  # 盒号
    held_levels: list[str] = ["township"]  # the copies this archive holds: what boxing and the 库房 act on

    @model_validator(mode="before")
    @classmethod
    def _levels(cls, data: object) -> object:
        """held_levels as the code words, in the order village, township, county; a word not a level
        is refused naming the key."""
        if not isinstance(data, dict) or not isinstance(data.get("held_levels"), list):
            return data
        words = data["held_levels"]
        wrong = [word for word in words if not isinstance(word, str) or word.strip() not in HELD_LEVEL_WORDS]
        if wrong:
            raise ValueError(f"copies.held_levels 中的{'、'.join(f'“{word}”' for word in wrong)}不是份别："
                             "应为 village（村级）、township（乡镇级）、county（县级）")
        if not words:
            raise ValueError("copies.held_levels 不能为空：至少写本单位保管的一份，如 [\"township\"]")
        held = {HELD_LEVEL_WORDS[word.strip()] for word in words}
        return {**data, "held_levels": [level for level in ("village", "township", "county") if level in held]}

    @model_validator(mode="after")
    def _usable(self) -> "CopySettings":
        _check_template("copies.box_template", self.box_template, {
            "fonds": "Z001", "year": 2018, "retention": "Y", "village": "东庄村", "village_code": "001",
            "level": "乡", "box": 1}, CODE_LENGTH_MAX)
        return self


CARRIERS = {"paper": "纸质", "photo": "照片", "audiovisual": "音像", "electronic": "电子"}


class ItemSettings(_Section):
    """综合档案 (按件): the township's own records of the campaign, item by item (DA/T 22)."""

    category_code: str = Field(default="WS", min_length=1)  # 门类代码 (文书)
    # 档号: {fonds} 全宗号, {category}, {year} 年度, {retention} 保管期限代码, {piece} 件号
    code_template: str = "{fonds}-{category}·{year}-{retention}-{piece:04d}"
    box_template: str = "综{year}-{retention}-{box:03d}"  # 盒号: {year}, {retention}, {box} 盒序号
    box_capacity: int = Field(default=20, ge=1)  # items per box

    @model_validator(mode="after")
    def _usable(self) -> "ItemSettings":
        _check_template("items.code_template", self.code_template,
                        {"fonds": "Z001", "category": "WS", "year": 2018, "retention": "Y", "piece": 1},
                        CODE_LENGTH_MAX)
        if any(part in self.code_template for part in ("/", "\\", "..")):
            raise ValueError("items.code_template 不能含有 /、\\ 或 ..（档号也用作文件夹和文件名）")
        _check_template("items.box_template", self.box_template, {"year": 2018, "retention": "Y", "box": 1},
                        CODE_LENGTH_MAX)
        return self


class ItemType(_Section):
    """A kind of 综合档案 item with its default retention and carrier."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    retention: Retention = "永久"
    carrier: Literal["paper", "photo", "audiovisual", "electronic"] = "paper"


DEFAULT_ITEM_TYPES = [
    ItemType(code="01", name="实施方案、工作方案", retention="永久"),
    ItemType(code="02", name="通知、通告、公告", retention="30年"),
    ItemType(code="03", name="会议纪要、会议记录", retention="30年"),
    ItemType(code="04", name="培训材料", retention="10年"),
    ItemType(code="05", name="宣传照片", retention="30年", carrier="photo"),
    ItemType(code="06", name="工作总结、进展报告", retention="永久"),
    ItemType(code="07", name="验收报告", retention="永久"),
    ItemType(code="08", name="汇交数据成果", retention="永久", carrier="electronic"),
    ItemType(code="09", name="其他", retention="10年"),
]


class BackupSettings(_Section):
    folder: str = "backups"  # automatic daily backups go here (relative: beside config.toml)
    keep: int = Field(default=7, ge=1)  # how many automatic backups are kept
    daily: bool = True  # one automatic backup a day, when the app opens


class AccountSettings(_Section):
    require_login: bool = False  # every CLI command that changes the archive needs --user (账户登录)


class AuditSettings(_Section):
    key_file: str = ""  # the keyed anchor's key (审计密钥); empty: 审计密钥.key in the user config folder, if there


class PrintSettings(_Section):
    font: str = ""  # a .ttf/.ttc forms are set in; empty: the bundled 宋体-style face (AR PL UMing)
    fallback_fonts: list[str] = []  # faces for characters the first lacks (生僻字), tried in order
    printer: str = ""  # the office printer forms are sent to on --print / p (CUPS queue or Windows name); empty: none


DocumentDate = Literal["", "survey", "publicity", "contract", "register", "certificate", "collected"]
DocumentNumber = Literal["", "contract", "register", "certificate"]
_RESPONSIBLE_RULES = ("issuer", "household", "issuer_household", "authority", "township", "county")


def _default_rules(name: str) -> tuple[str, str, str]:
    """(date, responsible, number) of a document named ``name`` when config.toml does not say:
    what the national tables record of it (an older config.toml has no such keys)."""
    for words, rules in ((("合同",), ("contract", "issuer_household", "contract")),
                         (("登记簿",), ("register", "authority", "register")),
                         (("示意图",), ("register", "authority", "")),
                         (("领取", "颁证"), ("collected", "township", "certificate")),
                         (("公示", "归户"), ("publicity", "issuer", "")),
                         (("调查",), ("survey", "issuer", "")),
                         (("申请", "声明", "委托", "身份"), ("", "household", ""))):
        if any(word in name for word in words):
            return rules
    return "", "", ""


class DocumentType(_Section):
    """One entry of the household document list (卷内文件类型), and where its 卷内目录 entry
    comes from: the date (日期) and 文号 in the national tables, and who made it (责任者)."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    required: bool = True
    retention: Retention = "永久"
    signed: bool = False
    head_only: bool = False
    date: DocumentDate | None = None  # None: by the document's name (_default_rules)
    responsible: str | None = None  # a rule of _RESPONSIBLE_RULES, or a unit's name as it is
    number: DocumentNumber | None = None

    @model_validator(mode="after")
    def _with_rules(self) -> "DocumentType":
        date, responsible, number = _default_rules(self.name)
        self.date = date if self.date is None else self.date
        self.responsible = responsible if self.responsible is None else self.responsible.strip()
        self.number = number if self.number is None else self.number
        return self


PRIMARY_CAMPAIGN = "确权"


def _extension_document(code: str, name: str, required: bool, signed: bool, date: str,
                        responsible: str, number: str = "") -> "DocumentType":
    return DocumentType(code=code, name=name, required=required, signed=signed, date=date,
                        responsible=responsible, number=number)


def default_extension_documents() -> list["DocumentType"]:
    """延包 household documents (一户一卷), after 《第二轮土地承包到期后再延长30年试点工作档案管理办法》
    (农业农村部、国家档案局 2025) and the provinces' 延包 filing lists: the household's confirmation
    of members and parcels, the 公示 and its 无异议 proof, the extended contract and the new
    certificate's receipt; the village's plan and its 村民代表会议决议 are filed once per village
    among the 综合档案 and a copy may go into each household's file."""
    return [
        _extension_document("Y01", "延包工作底册、农户确认表（家庭成员和承包地块确认）", True, True, "survey",
                            "household"),
        _extension_document("Y02", "身份证明材料、户口簿复印件", True, False, "", "household"),
        _extension_document("Y03", "延包公示表、公示无异议证明", True, True, "publicity", "issuer"),
        _extension_document("Y04", "延包承包合同（再延长三十年）", True, True, "contract", "issuer_household",
                            "contract"),
        _extension_document("Y05", "换发的承包经营权证领取登记", True, True, "collected", "township", "certificate"),
        _extension_document("Y06", "委托书", False, True, "", "household"),
        _extension_document("Y07", "村民代表会议决议（本村延包方案）复印件", False, False, "", "issuer"),
        _extension_document("Y08", "其他材料（矛盾纠纷调处、变更说明等）", False, False, "", "household"),
    ]


class CampaignSettings(_Section):
    """A later campaign (工作阶段), e.g. 延包: the same households again, each with a second file (案卷)
    of its own 档号 year and volume numbers and its own document list, linked to the 确权 file."""

    name: str = Field(min_length=1, max_length=16)
    full_name: str = ""  # 如 第二轮土地承包到期后再延长三十年
    year: int = Field(ge=1949, le=2100)  # 档号 year of this campaign's files
    title_template: str = "{village}{group}{name}户第二轮土地承包到期后再延长三十年档案"
    extend_years: int = Field(default=30, ge=1, le=99)  # the new contract ends this many years after the old end
    term_end: dt.date | None = None  # … or on this date for every household (overrides extend_years)
    area_change_share: float = Field(default=5.0, ge=0, le=100)  # 大稳定、小调整: a parcel's area may change this %
    documents: list[DocumentType] = Field(default_factory=default_extension_documents, min_length=1)

    @property
    def label(self) -> str:
        return self.full_name or self.name


def default_campaigns() -> list[CampaignSettings]:
    return [CampaignSettings(name="延包", full_name="第二轮土地承包到期后再延长三十年", year=2026)]


class Settings(_Section):
    township: TownshipSettings
    county: CountySettings
    archive: ArchiveSettings
    database: DatabaseSettings = DatabaseSettings()
    paths: PathSettings = PathSettings()
    contract: ContractSettings
    certificates: CertificateSettings = CertificateSettings()
    scan: ScanSettings = ScanSettings()
    print: PrintSettings = PrintSettings()
    checks: CheckSettings = CheckSettings()
    quality: QualitySettings = QualitySettings()
    copies: CopySettings = CopySettings()
    backup: BackupSettings = BackupSettings()
    accounts: AccountSettings = AccountSettings()
    audit: AuditSettings = AuditSettings()
    documents: list[DocumentType] = Field(min_length=1)
    items: ItemSettings = ItemSettings()
    item_types: list[ItemType] = Field(default=DEFAULT_ITEM_TYPES, min_length=1)
    campaigns: list[CampaignSettings] = Field(default_factory=default_campaigns)

    def campaign(self, name: str) -> CampaignSettings:
        """A later campaign by name (延包 …); an unknown name is a user error naming the known ones."""
        for campaign in self.campaigns:
            if campaign.name == name:
                return campaign
        known = "、".join(campaign.name for campaign in self.campaigns) or "无"
        if name == PRIMARY_CAMPAIGN:
            raise ArchiveError(f"“{PRIMARY_CAMPAIGN}”是第一轮确权本身，不是后续的工作阶段；后续工作阶段有：{known}")
        raise ArchiveError(f"没有名为“{name}”的工作阶段；config.toml 的 [[campaigns]] 中有：{known}")

    def documents_of(self, campaign: str) -> list[DocumentType]:
        """The household document list (卷内文件类型) of a campaign's files."""
        return self.documents if campaign == PRIMARY_CAMPAIGN else self.campaign(campaign).documents

    def generation_label(self, generation: str, campaign: str = PRIMARY_CAMPAIGN, short: bool = False) -> str:
        """批次 of a certificate: the 2010-era 旧证, the 确权 新证, or a later campaign's (延包新证)."""
        if campaign != PRIMARY_CAMPAIGN:
            return campaign if short else f"{campaign}新证"
        if short:
            return {"old": "旧证", "new": "新证"}.get(generation, generation)
        names = self.certificates
        return {"old": names.old_generation, "new": names.new_generation}.get(generation, generation)

    def campaign_of_finding(self, rule: str, subject: str) -> str:
        """Which of a household's files a 质检 finding is about: a later campaign's rules (extension_…)
        and the findings whose subject names the campaign (延包 …) are its file's; the rest 确权's."""
        for campaign in self.campaigns:
            if subject.startswith(campaign.name):
                return campaign.name
        if rule.startswith("extension_") and self.campaigns:
            return self.campaigns[0].name
        return PRIMARY_CAMPAIGN

    @property
    def all_documents(self) -> list[DocumentType]:
        return [*self.documents, *(doc for campaign in self.campaigns for doc in campaign.documents)]

    @property
    def township_full_name(self) -> str:
        """移交单位全称: as configured, else 县 + 乡镇 + 人民政府."""
        return self.township.full_name or f"{self.county.name}{self.township.name}人民政府"

    @model_validator(mode="after")
    def _consistent(self) -> "Settings":
        if not self.township.code.startswith(self.county.code):
            raise ValueError(f"township.code “{self.township.code}”应以 county.code “{self.county.code}”开头")
        _check_template("archive.archive_code_template", self.archive.archive_code_template, _CODE_SAMPLE,
                        CODE_LENGTH_MAX)
        if any(part in self.archive.archive_code_template for part in ("/", "\\", "..")):
            raise ValueError("archive.archive_code_template 不能含有 /、\\ 或 ..（档号也用作文件夹和文件名）")
        _check_template("archive.title_template", self.archive.title_template, _TITLE_SAMPLE)
        codes = [doc.code for doc in self.documents]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"documents 中的文件类型代码重复：{'、'.join(duplicates)}")
        _check_campaigns(self)
        item_codes = [kind.code for kind in self.item_types]
        duplicates = sorted({code for code in item_codes if item_codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"item_types 中的类别代码重复：{'、'.join(duplicates)}")
        return self


def _check_campaigns(settings: "Settings") -> None:
    """Campaign names are distinct and not 确权; document codes are distinct across all campaigns (a
    scan named by its document code goes into the right campaign's file)."""
    names = [campaign.name for campaign in settings.campaigns]
    if PRIMARY_CAMPAIGN in names:
        raise ValueError(f"campaigns 中不能有“{PRIMARY_CAMPAIGN}”：第一轮确权由 [archive] 和 [[documents]] 设置")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"campaigns 中的工作阶段名称重复：{'、'.join(duplicates)}")
    for campaign in settings.campaigns:
        if any(part in campaign.name for part in ("/", "\\", "..")) or not campaign.name.isprintable():
            raise ValueError(f"campaigns 的名称“{campaign.name}”不能含有 /、\\、.. 或控制字符")
        _check_template(f"campaigns（{campaign.name}）.title_template", campaign.title_template, _TITLE_SAMPLE)
    codes = [doc.code for doc in settings.all_documents]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"各工作阶段的文件类型代码重复：{'、'.join(duplicates)}（扫描件按代码归入案卷，须各不相同）")


class Config:
    """Validated settings plus where they came from, with resolved paths."""

    def __init__(self, settings: Settings, path: Path, operator: str | None = None):
        self.settings = settings
        self.path = path.resolve()
        self.root = self.path.parent
        self.operator = operator or os.environ.get(OPERATOR_ENV) or settings.archive.operator

    def resolve(self, value: str) -> Path:
        """A path from the config: relative ones are beside config.toml."""
        return self._resolve(value)

    def _resolve(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.root / path

    @property
    def inbox(self) -> Path:
        return self._resolve(self.settings.paths.inbox)

    @property
    def store(self) -> Path:
        return self._resolve(self.settings.paths.store)

    @property
    def exports(self) -> Path:
        return self._resolve(self.settings.paths.exports)

    @property
    def backups(self) -> Path:
        return self._resolve(self.settings.backup.folder)

    def check_folders(self) -> None:
        """The inbox, store, exports and backups folders must be apart from one another and
        from the database and this file: an inbox that holds the store (or the archive folder
        itself, ``inbox = "."``) would take them in as scans."""
        paths, backup = self.settings.paths, self.settings.backup
        folders = {"paths.inbox": paths.inbox, "paths.store": paths.store, "paths.exports": paths.exports,
                   "backup.folder": backup.folder}
        resolved = {key: self._resolve(value).resolve() for key, value in folders.items()}
        keys = list(folders)
        for index, first in enumerate(keys):
            for second in keys[index + 1:]:
                a, b = resolved[first], resolved[second]
                if a == b or a.is_relative_to(b) or b.is_relative_to(a):
                    raise ArchiveError(f"配置文件 {self.path} 中 {first}（“{folders[first]}”）与 {second}"
                                       f"（“{folders[second]}”）重叠：这几个文件夹不能相同，也不能一个在另一个里面")
        files = {"配置文件 config.toml": self.path}
        if self.database_url.startswith("sqlite:///"):
            files["数据库文件"] = Path(self.database_url.removeprefix("sqlite:///"))
        for what, file in files.items():
            for key, folder in resolved.items():
                if key != "backup.folder" and file.resolve().is_relative_to(folder):
                    raise ArchiveError(f"配置文件 {self.path} 中 {key}（“{folders[key]}”）包含了{what}："
                                       "请让它指向单独的文件夹")

    @property
    def database_url(self) -> str:
        return self.settings.database.url or f"sqlite:///{(self.root / 'archive.db').as_posix()}"

    @property
    def retention_code(self) -> str:
        return RETENTION_CODES[self.settings.archive.retention]


_ERROR_WORDS = {
    "extra_forbidden": "是未知的键",
    "missing": "缺少必填的键",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "date_type": "应为日期（如 1998-07-01）",
    "date_from_datetime_parsing": "应为日期（如 1998-07-01）",
    "list_type": "应为列表",
    "dict_type": "应为一组键和值",
    "model_type": "应为一组键和值",
    "literal_error": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不对",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "too_short": "不能为空",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
}


def describe_problem(error: dict) -> str:
    """One pydantic problem in Chinese: what is wrong and the value, without the key."""
    if error["type"] == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    word = _ERROR_WORDS.get(error["type"])
    if error["type"] == "literal_error":
        word = f"{word}（可选：{error.get('ctx', {}).get('expected', '')}）"
    if word is None:
        word = f"取值无效（{error['msg']}）"
    value = error.get("input")
    shown = "" if error["type"] in ("missing",) or isinstance(value, (dict, list)) else f"，当前为 {value!r}"
    return f"{word}{shown}"


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(整个文件)"
    if error["type"] == "value_error":
        return describe_problem(error)
    return f"键 {key} {describe_problem(error)}"


def parse_settings(text: str, source: str) -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ArchiveError(f"配置文件 {source} 不是合法的 TOML：{exc}") from None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(error) for error in exc.errors()]
        raise ArchiveError(f"配置文件 {source} 有误：", details=[f"  - {p}" for p in problems]) from None


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir("archive-tui", appauthor=False)) / CONFIG_NAME


def find_config(explicit: Path | None = None) -> Path | None:
    """The config file to use, or None when there is none yet."""
    if explicit is not None:
        return explicit
    for candidate in (Path.cwd() / CONFIG_NAME, user_config_path()):
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path, operator: str | None = None) -> Config:
    if not path.is_file():
        raise ArchiveError(f"找不到配置文件 {path}；请先运行 archive-tui init")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"无法读取配置文件 {path}：{exc}") from None
    config = Config(parse_settings(text, str(path)), path, operator)
    config.check_folders()
    return config


def default_config_text() -> str:
    """The commented default config: shipped in the wheel, or the repository's own file."""
    shipped = resources.files("archive_tui") / "default_config.toml"
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / CONFIG_NAME).read_text(encoding="utf-8")


def write_default_config(path: Path) -> bool:
    """Create ``path`` from the default config; False when it already exists."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(default_config_text(), encoding="utf-8")
    private_file(path)  # it may come to hold a database password
    return True


__all__ = [
    "PRIMARY_CAMPAIGN", "CampaignSettings", "Config", "Settings", "DocumentType", "find_config", "load_config",
    "parse_settings",
    "write_default_config", "default_config_text", "user_config_path",
]
