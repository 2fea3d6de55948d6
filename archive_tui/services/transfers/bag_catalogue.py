"""The catalogue of a transfer bag (移交包目录), checked before anything of it is taken in.

A bag comes from another archive — another township's archive-tui, or something that only
claims to be one — so its catalogue is untrusted: every value is checked against the same
rules as an import (codes by the national validators, code lists, years, sizes, lengths),
and the codes must agree with each other (a household under its issuer, its issuer under
the township the bag says it comes from, the batch number carrying that township's code).

Each file carries its campaign (工作阶段: 确权, 延包 …; a bag made before campaigns has none: 确权)
and its 相关案卷 (``related``: the household's files of the other campaigns, by 档号).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from archive_tui.core.config import PRIMARY_CAMPAIGN, describe_problem
from archive_tui.core.errors import ArchiveError
from models.validators import check_household_code, check_issuer_code

FORMAT = "archive-tui transfer 1"
NO_CONTROL = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"  # no escape sequences hidden in a name
Text = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]
Short = Annotated[str, StringConstraints(max_length=40, pattern=NO_CONTROL)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
CATALOGUE_MAX_BYTES = 256 * 2**20  # a township's batch comes to a few dozen MB


_NOT_IN_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]|\.\.')
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _plain_name(name: str) -> str:
    """A name of a person, village or office: it may become part of a folder or file name, so no
    path separators or ``..``, no characters Windows refuses, no control characters (``../../tmp/x``)."""
    if _NOT_IN_NAME.search(name):
        shown = _CONTROL_CHARACTER.sub(lambda found: f"\\x{ord(found.group()):02x}", name[:40])
        raise ValueError(f"名称“{shown}”含有路径符号、..或控制字符（/ \\ : * ? \" < > | 等），不能作为名称")
    return name


Name = Annotated[str, StringConstraints(max_length=100), AfterValidator(_plain_name)]


def read_catalogue_json(path: Path) -> dict:
    """The bag's catalogue.json as data, bounded: not larger than any township's batch, not nested
    deeper than Python can read, UTF-8, an object. Raises ``ValueError`` with a Chinese reason."""
    try:
        size = path.stat().st_size
    except OSError:
        raise ValueError("找不到或无法打开") from None
    if size > CATALOGUE_MAX_BYTES:
        raise ValueError(f"过大（{size / 2**20:,.0f} MB，上限 {CATALOGUE_MAX_BYTES // 2**20} MB）")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError:
        raise ValueError("无法读取") from None
    except UnicodeDecodeError:
        raise ValueError("不是 UTF-8 文本") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"不是有效的 JSON（第{error.lineno}行第{error.colno}列）") from None
    except RecursionError:
        raise ValueError("嵌套层数过多（不是 archive-tui 写出的目录）") from None
    if not isinstance(data, dict):
        raise ValueError("不是一组键和值")
    return data


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class Page(_Strict):
    seq: Annotated[int, Field(ge=0, le=100_000)] | None
    doc_type: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,10}$")] | None
    store_path: Annotated[str, StringConstraints(max_length=500)]
    path: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=0, le=2**40)]
    format: Short
    dpi: Annotated[int, Field(ge=0, le=100_000)]
    colour_mode: Short
    width: Count
    height: Count


class Document(_Strict):
    doc_type: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,10}$")]
    title: Text
    position: Count
    page_count: Count
    doc_number: Text
    responsible: Text
    dated: dt.date | None = Field(default=None, strict=False)
    remark: Text


ArchiveCode = Annotated[str, StringConstraints(pattern=r"^[^/\\\x00-\x1f]{1,100}$")]
Campaign = Annotated[str, StringConstraints(min_length=1, max_length=16), AfterValidator(_plain_name)]


class Related(_Strict):
    """相关案卷: the same household's file of another campaign."""

    campaign: Campaign
    archive_code: ArchiveCode


class File(_Strict):
    archive_code: ArchiveCode
    campaign: Campaign = PRIMARY_CAMPAIGN  # bags made before campaigns: 确权
    related: list[Related] = []
    cbfbm: str
    household: Name
    contractor_type: Literal["", "1", "2", "3"]
    issuer_code: str
    issuer_name: Name
    village_code: Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
    village_name: Name
    group_code: Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
    title: Annotated[str, StringConstraints(max_length=500)]
    year: Annotated[int, Field(ge=1949, le=2100)]
    retention: Literal["永久", "30年", "10年"]
    volume_no: Count
    page_count: Count
    documents: list[Document]
    pages: list[Page]

    @model_validator(mode="after")
    def _codes(self) -> "File":
        if ".." in self.archive_code:
            raise ValueError(f"档号“{self.archive_code}”含有 ..")
        for other in self.related:
            if other.campaign == self.campaign or other.archive_code == self.archive_code:
                raise ValueError(f"档号“{self.archive_code}”的相关案卷“{other.archive_code}”（{other.campaign}）"
                                 "应是该户另一工作阶段的案卷")
        problem = check_household_code(self.cbfbm) or check_issuer_code(self.issuer_code)
        if problem:
            raise ValueError(problem)
        if not self.cbfbm.startswith(self.issuer_code) or self.issuer_code != self.village_code + self.group_code:
            raise ValueError(f"承包方编码“{self.cbfbm}”、发包方编码“{self.issuer_code}”与村、组代码不一致")
        return self


class Item(_Strict):
    """A 综合档案 item (按件) and its scanned pages."""

    archive_code: Annotated[str, StringConstraints(pattern=r"^[^/\\\x00-\x1f]{1,100}$")]
    year: Annotated[int, Field(ge=1949, le=2100)]
    retention: Literal["永久", "30年", "10年"]
    piece_no: Annotated[int, Field(ge=1, le=1_000_000)]
    item_type: Short
    title: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NO_CONTROL)]
    responsible: Text
    doc_number: Text
    dated: dt.date | None = Field(default=None, strict=False)
    pages: Count
    carrier: Literal["paper", "photo", "audiovisual", "electronic"]
    remark: Text
    box: Text
    page_files: list[Page]

    @model_validator(mode="after")
    def _code(self) -> "Item":
        if ".." in self.archive_code:
            raise ValueError(f"档号“{self.archive_code}”含有 ..")
        return self


class Party(_Strict):
    code: str
    name: Name


class Catalogue(_Strict):
    format: Literal[FORMAT]
    batch: Annotated[str, StringConstraints(pattern=r"^\d{9}-[A-Z]{1,4}\d{4}-\d{3,6}$")]
    bag: Annotated[int, Field(ge=1, le=10_000)]
    bags: Annotated[int, Field(ge=1, le=10_000)]
    level: Literal["village", "township"]
    to: Name
    township: Party
    county: Party
    fonds: Party
    files: list[File]
    items: list[Item] = []  # 综合档案 of the batch (bags made before items existed have none)

    @model_validator(mode="after")
    def _one_township(self) -> "Catalogue":
        code = self.township.code
        if not (len(code) == 9 and code.isascii() and code.isdigit() and code.startswith(self.county.code)):
            raise ValueError(f"乡镇代码“{code}”应为以县代码“{self.county.code}”开头的9位数字")
        if not self.batch.startswith(code + "-"):
            raise ValueError(f"批次号“{self.batch}”不以移交乡镇的代码 {code} 开头")
        others = sorted({f.cbfbm[:9] for f in self.files} - {code})
        if others:
            raise ValueError(f"包中有其他乡镇（{'、'.join(others)}）的案卷，与移交乡镇 {code} 不符")
        return self


def _where(location: tuple) -> str:
    parts = []
    for part in location:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part + 1}]" if parts else f"第{part + 1}项"
        else:
            parts.append(str(part))
    return ".".join(parts) or "目录"


def parse_catalogue(data: object, bag_name: str) -> Catalogue:
    """The bag's catalogue, checked; a refusal naming each bad value otherwise."""
    try:
        return Catalogue.model_validate(data)
    except ValidationError as error:
        lines = []
        for problem in error.errors()[:20]:
            lines.append(f"  - {_where(problem['loc'])}：{describe_problem(problem)}")
        if error.error_count() > 20:
            lines.append(f"  ……共 {error.error_count()} 处")
        raise ArchiveError(f"移交包 {bag_name} 的目录 catalogue.json 不合规，未接收：", details=lines) from None
