"""The NY/T 2539-2016 tables and how their fields map onto ours.

This is the only place where the national field names (CBFBM …) meet the code base:
import reads through this mapping and export writes through it, so a round trip keeps
every field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    CODE = "code"  # digits that must never pass through a float
    DATE = "date"
    NUMBER = "number"
    INTEGER = "integer"


@dataclass(frozen=True)
class FieldMap:
    national: str
    attr: str
    kind: Kind = Kind.TEXT
    label: str = ""


@dataclass(frozen=True)
class TableMap:
    name: str
    label: str
    fields: tuple[FieldMap, ...]
    required: bool = False

    @property
    def columns(self) -> list[str]:
        return [f.national for f in self.fields]


def _f(national: str, attr: str, kind: Kind = Kind.TEXT, label: str = "") -> FieldMap:
    return FieldMap(national, attr, kind, label)


T, C, D, N, INT = Kind.TEXT, Kind.CODE, Kind.DATE, Kind.NUMBER, Kind.INTEGER

FBF = TableMap("FBF", "发包方", (
    _f("FBFBM", "code", C, "发包方编码"), _f("FBFMC", "name", T, "发包方名称"),
    _f("FBFFZRXM", "head_name"), _f("FZRZJLX", "head_id_type"), _f("FZRZJHM", "head_id_number"),
    _f("LXDH", "phone"), _f("FBFDZ", "address"), _f("YZBM", "postcode"), _f("FBFDCY", "surveyor"),
    _f("FBFDCRQ", "survey_date", D, "发包方调查日期"), _f("FBFDCJS", "survey_notes"),
), required=True)

CBF = TableMap("CBF", "承包方", (
    _f("CBFBM", "code", C, "承包方编码"), _f("CBFLX", "contractor_type"), _f("CBFMC", "name"),
    _f("CBFZJLX", "id_type"), _f("CBFZJHM", "id_number"), _f("CBFDZ", "address"),
    _f("YZBM", "postcode"), _f("LXDH", "phone"), _f("CBFCYSL", "member_count", INT, "承包方成员数量"),
    _f("CBFDCRQ", "survey_date", D, "承包方调查日期"), _f("CBFDCY", "surveyor"),
    _f("CBFDCJS", "survey_notes"), _f("GSJS", "publicity_notes"), _f("GSJSR", "publicity_recorder"),
    _f("GSSHRQ", "publicity_review_date", D, "公示审核日期"), _f("GSSHR", "publicity_reviewer"),
), required=True)

CBF_JTCY = TableMap("CBF_JTCY", "家庭成员", (
    _f("CBFBM", "household_code", C, "承包方编码"), _f("CYXM", "name"), _f("CYXB", "sex"),
    _f("CYZJLX", "id_type"), _f("CYZJHM", "id_number"), _f("YHZGX", "relation"),
    _f("CYBZ", "remark_code"), _f("SFGYR", "is_co_owner"), _f("CYBZSM", "remark"),
))

CBDKXX = TableMap("CBDKXX", "承包地块信息", (
    _f("DKBM", "code", C, "地块编码"), _f("FBFBM", "issuer_code", C, "发包方编码"),
    _f("CBFBM", "household_code", C, "承包方编码"), _f("CBJYQQDFS", "acquisition"),
    _f("HTMJ", "contract_area", N, "合同面积"), _f("CBHTBM", "contract_code"),
    _f("LZHTBM", "transfer_contract_code"), _f("CBJYQZBM", "certificate_code"),
    _f("YHTMJ", "original_area", N, "原合同面积"), _f("HTMJM", "contract_area_mu", N, "合同面积亩"),
    _f("YHTMJM", "original_area_mu", N, "原合同面积亩"), _f("SFQQQG", "shares_only"),
))

# Attributes of the parcel layer (地块属性表 DK), which counties export beside the MDB.
DK = TableMap("DK", "地块属性", (
    _f("DKBM", "code", C, "地块编码"), _f("DKMC", "name"), _f("DKLB", "category"),
    _f("DKDZ", "east"), _f("DKNZ", "south"), _f("DKXZ", "west"), _f("DKBZ", "north"),
    _f("SFJBNT", "is_basic_farmland"),
))

CBHT = TableMap("CBHT", "承包合同", (
    _f("CBHTBM", "code", C, "承包合同编码"), _f("YCBHTBM", "original_code"),
    _f("FBFBM", "issuer_code", C, "发包方编码"), _f("CBFBM", "household_code", C, "承包方编码"),
    _f("CBFS", "method"), _f("CBQXQ", "term_start", D, "承包期限起"),
    _f("CBQXZ", "term_end", D, "承包期限止"), _f("HTZMJ", "total_area", N, "合同总面积"),
    _f("CBDKZS", "parcel_count", INT, "承包地块总数"), _f("QDSJ", "signed_date", D, "签订时间"),
    _f("HTZMJM", "total_area_mu", N, "合同总面积亩"),
    _f("YHTZMJ", "original_total_area", N, "原合同总面积"),
    _f("YHTZMJM", "original_total_area_mu", N, "原合同总面积亩"),
))

CBJYQZDJB = TableMap("CBJYQZDJB", "承包经营权登记簿", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("FBFBM", "issuer_code", C, "发包方编码"),
    _f("CBFBM", "household_code", C, "承包方编码"), _f("CBFS", "method"), _f("CBQX", "term_text"),
    _f("CBQXQ", "term_start", D, "承包期限起"), _f("CBQXZ", "term_end", D, "承包期限止"),
    _f("DKSYT", "parcel_map"), _f("YCBJYQZBH", "old_certificate_serial"),
    _f("CBJYQZLSH", "certificate_serial"), _f("DJBFJ", "attachment"), _f("DBR", "registrar"),
    _f("DJSJ", "registered_on", D, "登记时间"),
))

CBJYQZ = TableMap("CBJYQZ", "承包经营权证", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("FZJG", "authority"),
    _f("FZRQ", "issued_on", D, "发证日期"), _f("QZSFLQ", "collected"),
    _f("QZLQRQ", "collected_on", D, "权证领取日期"), _f("QZLQRXM", "collector_name"),
    _f("QZLQRZJLX", "collector_id_type"), _f("QZLQRZJHM", "collector_id_number"),
))

CBJYQZ_QZBF = TableMap("CBJYQZ_QZBF", "权证补发", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("QZBFYY", "reason"),
    _f("BFRQ", "happened_on", D, "补发日期"), _f("QZBFLQRQ", "collected_on", D, "补发领取日期"),
    _f("QZBFLQRXM", "person_name"), _f("BFLQRZJLX", "person_id_type"),
    _f("BFLQRZJHM", "person_id_number"),
))

CBJYQZ_QZHF = TableMap("CBJYQZ_QZHF", "权证换发", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("QZHFYY", "reason"),
    _f("HFRQ", "happened_on", D, "换发日期"), _f("QZHFLQRQ", "collected_on", D, "换发领取日期"),
    _f("QZHFLQRXM", "person_name"), _f("HFLQRZJLX", "person_id_type"),
    _f("HFLQRZJHM", "person_id_number"),
))

CBJYQZ_QZZX = TableMap("CBJYQZ_QZZX", "权证注销", (
    _f("CBJYQZBM", "code", C, "承包经营权证编码"), _f("ZXYY", "reason"),
    _f("ZXRQ", "happened_on", D, "注销日期"),
))

QSLYZLFJ = TableMap("QSLYZLFJ", "权属来源资料附件", (
    _f("CBJYQZBM", "certificate_code", C, "承包经营权证编码"), _f("ZLFJBH", "number"),
    _f("ZLFJMC", "name"), _f("ZLFJRQ", "dated", D, "资料附件日期"), _f("FJ", "path"),
))

TABLES: dict[str, TableMap] = {
    t.name: t
    for t in (FBF, CBF, CBF_JTCY, CBDKXX, DK, CBHT, CBJYQZDJB, CBJYQZ, CBJYQZ_QZBF, CBJYQZ_QZHF,
              CBJYQZ_QZZX, QSLYZLFJ)
}

EVENT_TABLES = {"CBJYQZ_QZBF": "reissue", "CBJYQZ_QZHF": "replace", "CBJYQZ_QZZX": "cancel"}
"""The certificate-event tables and the event kind each one records."""
