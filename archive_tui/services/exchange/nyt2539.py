"""The NY/T 2539-2016 tables and how their fields map onto ours.

This is the only place where the national field names (CBFBM …) meet the code base:
import reads through this mapping and export writes through it, so a round trip keeps
every field. Each field has its Chinese label (shown in change lists and reports) and a
kind that says how a raw cell is read (see :mod:`archive_tui.core.values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    NAME = "name"  # a person's name: minority names get the middle dot
    CODE = "code"  # digits (codes, serials, ID and phone numbers) that must never pass through a float
    CODE_VALUE = "code_value"  # a value of a national code list, ``width`` digits with leading zeros
    DATE = "date"
    NUMBER = "number"
    INTEGER = "integer"


@dataclass(frozen=True)
class FieldMap:
    national: str
    attr: str
    kind: Kind
    label: str
    width: int = 0  # CODE_VALUE: how many digits the code has


@dataclass(frozen=True)
class TableMap:
    name: str
    label: str
    fields: tuple[FieldMap, ...]
    required: bool = False

    @property
    def columns(self) -> list[str]:
        return [f.national for f in self.fields]

    def label_of(self, attr: str) -> str:
        return next((f.label for f in self.fields if f.attr == attr), attr)


def _f(national: str, attr: str, kind: Kind, label: str, width: int = 0) -> FieldMap:
    return FieldMap(national, attr, kind, label, width)


T, NM, C, V, D, N, INT = Kind.TEXT, Kind.NAME, Kind.CODE, Kind.CODE_VALUE, Kind.DATE, Kind.NUMBER, Kind.INTEGER

FBF = TableMap("FBF", "发包方", (
    _f("FBFBM", "code", C, "发包方编码"), _f("FBFMC", "name", T, "发包方名称"),
    _f("FBFFZRXM", "head_name", NM, "负责人姓名"), _f("FZRZJLX", "head_id_type", V, "负责人证件类型", 1),
    _f("FZRZJHM", "head_id_number", C, "负责人证件号码"), _f("LXDH", "phone", C, "联系电话"),
    _f("FBFDZ", "address", T, "发包方地址"), _f("YZBM", "postcode", V, "邮政编码", 6),
    _f("FBFDCY", "surveyor", NM, "发包方调查员"), _f("FBFDCRQ", "survey_date", D, "发包方调查日期"),
    _f("FBFDCJS", "survey_notes", T, "发包方调查记事"),
), required=True)

CBF = TableMap("CBF", "承包方", (
    _f("CBFBM", "code", C, "承包方编码"), _f("CBFLX", "contractor_type", V, "承包方类型", 1),
    _f("CBFMC", "name", NM, "承包方名称"), _f("CBFZJLX", "id_type", V, "证件类型", 1),
    _f("CBFZJHM", "id_number", C, "证件号码"), _f("CBFDZ", "address", T, "地址"),
    _f("YZBM", "postcode", V, "邮政编码", 6), _f("LXDH", "phone", C, "联系电话"),
    _f("CBFCYSL", "member_count", INT, "成员数量"), _f("CBFDCRQ", "survey_date", D, "调查日期"),
    _f("CBFDCY", "surveyor", NM, "调查员"), _f("CBFDCJS", "survey_notes", T, "调查记事"),
    _f("GSJS", "publicity_notes", T, "公示记事"), _f("GSJSR", "publicity_recorder", NM, "公示记事人"),
    _f("GSSHRQ", "publicity_review_date", D, "公示审核日期"), _f("GSSHR", "publicity_reviewer", NM, "公示审核人"),
), required=True)

CBF_JTCY = TableMap("CBF_JTCY", "家庭成员", (
    _f("CBFBM", "household_code", C, "承包方编码"), _f("CYXM", "name", NM, "姓名"),
    _f("CYXB", "sex", V, "性别", 1), _f("CYZJLX", "id_type", V, "证件类型", 1),
    _f("CYZJHM", "id_number", C, "证件号码"), _f("YHZGX", "relation", V, "与户主关系", 2),
    _f("CYBZ", "remark_code", V, "成员备注", 1), _f("SFGYR", "is_co_owner", V, "是否共有人", 1),
    _f("CYBZSM", "remark", T, "成员备注说明"),
))

CBDKXX = TableMap("CBDKXX", "承包地块信息", (
    _f("DKBM", "code", C, "地块编码"), _f("FBFBM", "issuer_code", C, "发包方编码"),
    _f("CBFBM", "household_code", C, "承包方编码"), _f("CBJYQQDFS", "acquisition", V, "承包经营权取得方式", 3),
    _f("HTMJ", "contract_area", N, "合同面积"), _f("CBHTBM", "contract_code", C, "承包合同编码"),
    _f("LZHTBM", "transfer_contract_code", C, "流转合同编码"),
    _f("CBJYQZBM", "certificate_code", C, "承包经营权证编码"),
    _f("YHTMJ", "original_area", N, "原合同面积"), _f("HTMJM", "contract_area_mu", N, "合同面积（亩）"),
    _f("YHTMJM", "original_area_mu", N, "原合同面积（亩）"), _f("SFQQQG", "shares_only", V, "是否确权确股", 1),
))

# Attributes of the parcel layer (地块属性表 DK), which some counties export beside the MDB.
# A county's MDB has no DK table: its names and 四至 live in the shapefile layer.
DK = TableMap("DK", "地块属性", (
    _f("DKBM", "code", C, "地块编码"), _f("DKMC", "name", T, "地块名称"),
    _f("DKLB", "category", V, "地块类别", 2), _f("DKDZ", "east", T, "东至"), _f("DKNZ", "south", T, "南至"),
    _f("DKXZ", "west", T, "西至"), _f("DKBZ", "north", T, "北至"),
    _f("SFJBNT", "is_basic_farmland", V, "是否基本农田", 1),
))

CBHT = TableMap("CBHT", "承包合同", (
    _f("CBHTBM", "code", C, "承包合同编码"), _f("YCBHTBM", "original_code", C, "原承包合同编码"),
    _f("FBFBM", "issuer_code", C, "发包方编码"), _f("CBFBM", "household_code", C, "承包方编码"),
    _f("CBFS", "method", V, "承包方式", 3), _f("CBQXQ", "term_start", D, "承包期限起"),
    _f("CBQXZ", "term_end", D, "承包期限止"), _f("HTZMJ", "total_area", N, "合同总面积"),
    _f("CBDKZS", "parcel_count", INT, "承包地块总数"), _f("QDSJ", "signed_date", D, "签订时间"),
    _f("HTZMJM", "total_area_mu", N, "合同总面积（亩）"),
    _f("YHTZMJ", "original_total_area", N, "原合同总面积"),
    _f("YHTZMJM", "original_total_area_mu", N, "原合同总面积（亩）"),
))

CBJYQZDJB = TableMap("CBJYQZDJB", "承包经营权登记簿", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("FBFBM", "issuer_code", C, "发包方编码"),
    _f("CBFBM", "household_code", C, "承包方编码"), _f("CBFS", "method", V, "承包方式", 3),
    _f("CBQX", "term_text", T, "承包期限"), _f("CBQXQ", "term_start", D, "承包期限起"),
    _f("CBQXZ", "term_end", D, "承包期限止"), _f("DKSYT", "parcel_map", T, "地块示意图"),
    _f("YCBJYQZBH", "old_certificate_serial", C, "原承包经营权证编号"),
    _f("CBJYQZLSH", "certificate_serial", C, "证书流水号"), _f("DJBFJ", "attachment", T, "登记簿附记"),
    _f("DBR", "registrar", NM, "登簿人"), _f("DJSJ", "registered_on", D, "登记时间"),
))

CBJYQZ = TableMap("CBJYQZ", "承包经营权证", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("FZJG", "authority", T, "发证机关"),
    _f("FZRQ", "issued_on", D, "发证日期"), _f("QZSFLQ", "collected", V, "是否已领取", 1),
    _f("QZLQRQ", "collected_on", D, "领取日期"), _f("QZLQRXM", "collector_name", NM, "领证人姓名"),
    _f("QZLQRZJLX", "collector_id_type", V, "领证人证件类型", 1),
    _f("QZLQRZJHM", "collector_id_number", C, "领证人证件号码"),
))

CBJYQZ_QZBF = TableMap("CBJYQZ_QZBF", "权证补发", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("QZBFYY", "reason", T, "补发原因"),
    _f("BFRQ", "happened_on", D, "补发日期"), _f("QZBFLQRQ", "collected_on", D, "补发领取日期"),
    _f("QZBFLQRXM", "person_name", NM, "领取人姓名"), _f("BFLQRZJLX", "person_id_type", V, "领取人证件类型", 1),
    _f("BFLQRZJHM", "person_id_number", C, "领取人证件号码"),
))

CBJYQZ_QZHF = TableMap("CBJYQZ_QZHF", "权证换发", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("QZHFYY", "reason", T, "换发原因"),
    _f("HFRQ", "happened_on", D, "换发日期"), _f("QZHFLQRQ", "collected_on", D, "换发领取日期"),
    _f("QZHFLQRXM", "person_name", NM, "领取人姓名"), _f("HFLQRZJLX", "person_id_type", V, "领取人证件类型", 1),
    _f("HFLQRZJHM", "person_id_number", C, "领取人证件号码"),
))

CBJYQZ_QZZX = TableMap("CBJYQZ_QZZX", "权证注销", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("ZXYY", "reason", T, "注销原因"),
    _f("ZXRQ", "happened_on", D, "注销日期"),
))

QSLYZLFJ = TableMap("QSLYZLFJ", "权属来源资料附件", (
    _f("CBJYQZBM", "certificate_code", C, "承包经营权证编码"), _f("ZLFJBH", "number", T, "资料附件编号"),
    _f("ZLFJMC", "name", T, "资料附件名称"), _f("ZLFJRQ", "dated", D, "资料附件日期"), _f("FJ", "path", T, "附件"),
))

TABLES: dict[str, TableMap] = {
    t.name: t
    for t in (FBF, CBF, CBF_JTCY, CBDKXX, DK, CBHT, CBJYQZDJB, CBJYQZ, CBJYQZ_QZBF, CBJYQZ_QZHF,
              CBJYQZ_QZZX, QSLYZLFJ)
}

EVENT_TABLES = {"CBJYQZ_QZBF": "reissue", "CBJYQZ_QZHF": "replace", "CBJYQZ_QZZX": "cancel"}
"""The certificate-event tables and the event kind each one records."""
