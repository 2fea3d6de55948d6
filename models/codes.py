"""National code lists (NY/T 2539-2016 Appendix C, GB/T 4761) as enums.

Each member's value is the code as stored in the national tables; ``label`` is the
Chinese name shown to the archivist.
"""

from __future__ import annotations

from enum import StrEnum


class CodeList(StrEnum):
    """A national code list: value = code, ``label`` = Chinese name."""

    label: str

    def __new__(cls, code: str, label: str):
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def parse(cls, value: object) -> "CodeList | None":
        """The member for a raw code (``"1"``, ``1``, ``" 1 "``), or None when unknown."""
        if value is None:
            return None
        text = str(value).strip()
        if text.endswith(".0"):  # Excel often turns codes into floats
            text = text[:-2]
        try:
            return cls(text)
        except ValueError:
            return None

    @classmethod
    def label_of(cls, value: object) -> str:
        member = cls.parse(value)
        return member.label if member else (str(value) if value not in (None, "") else "")


class IdType(CodeList):  # 证件类型
    RESIDENT_ID = "1", "居民身份证"
    OFFICER_ID = "2", "军官证"
    ORG_CODE = "3", "机构代码证"
    HOUSEHOLD_REGISTER = "4", "户口簿"
    PASSPORT = "5", "护照"
    OTHER = "9", "其他"


class ContractorType(CodeList):  # 承包方类型
    HOUSEHOLD = "1", "农户"
    INDIVIDUAL = "2", "个人"
    ORGANISATION = "3", "单位"


class Sex(CodeList):  # 性别
    MALE = "1", "男"
    FEMALE = "2", "女"


class MemberRemark(CodeList):  # 成员备注
    MARRIED_OUT = "1", "外嫁女"
    MARRIED_IN = "2", "入赘男"
    STUDENT = "3", "在校大学生"
    SOLDIER = "4", "现役军人"
    PRISONER = "5", "服刑人员"
    RESIDENT = "6", "常住人口"
    MIGRANT_WORKER = "7", "外出务工"
    OTHER = "8", "其他"


class YesNo(CodeList):  # 是否
    YES = "1", "是"
    NO = "2", "否"


class ContractMethod(CodeList):  # 承包方式 / 承包经营权取得方式
    FAMILY = "110", "家庭承包"
    OTHER_CONTRACT = "120", "其他方式承包"
    TRANSFER = "200", "转让"
    EXCHANGE = "300", "互换"
    INHERITANCE = "400", "继承"
    GIFT = "500", "受赠"
    COURT = "600", "法院判决"
    OTHER = "700", "其他"


class ParcelCategory(CodeList):  # 地块类别
    CONTRACTED = "10", "承包地块"
    PRIVATE_PLOT = "21", "自留地"
    RESERVE = "22", "机动地"
    RECLAIMED = "23", "开荒地"
    OTHER = "99", "其他"


class Relation(CodeList):  # 与户主关系 (GB/T 4761)
    SELF = "01", "本人"
    HEAD = "02", "户主"
    SPOUSE = "10", "配偶"
    HUSBAND = "11", "夫"
    WIFE = "12", "妻"
    SON = "20", "子"
    ONLY_SON = "21", "独生子"
    ELDEST_SON = "22", "长子"
    SECOND_SON = "23", "次子"
    THIRD_SON = "24", "三子"
    FOURTH_SON = "25", "四子"
    FIFTH_SON = "26", "五子"
    ADOPTED_SON = "27", "养子或继子"
    SON_IN_LAW = "28", "女婿"
    OTHER_SON = "29", "其他儿子"
    DAUGHTER = "30", "女"
    ONLY_DAUGHTER = "31", "独生女"
    ELDEST_DAUGHTER = "32", "长女"
    SECOND_DAUGHTER = "33", "次女"
    THIRD_DAUGHTER = "34", "三女"
    FOURTH_DAUGHTER = "35", "四女"
    FIFTH_DAUGHTER = "36", "五女"
    ADOPTED_DAUGHTER = "37", "养女或继女"
    DAUGHTER_IN_LAW = "38", "儿媳"
    OTHER_DAUGHTER = "39", "其他女儿"
    GRANDCHILD = "40", "孙子、孙女或外孙子、外孙女"
    GRANDSON = "41", "孙子"
    GRANDDAUGHTER = "42", "孙女"
    DAUGHTERS_SON = "43", "外孙子"
    DAUGHTERS_DAUGHTER = "44", "外孙女"
    PARENT = "50", "父母"
    FATHER = "51", "父亲"
    MOTHER = "52", "母亲"
    FATHER_IN_LAW_H = "53", "公公"
    MOTHER_IN_LAW_H = "54", "婆婆"
    FATHER_IN_LAW_W = "55", "岳父"
    MOTHER_IN_LAW_W = "56", "岳母"
    STEPFATHER = "57", "继父或养父"
    STEPMOTHER = "58", "继母或养母"
    OTHER_PARENT = "59", "其他父母关系"
    GRANDPARENT = "60", "祖父母或外祖父母"
    GRANDFATHER = "61", "祖父"
    GRANDMOTHER = "62", "祖母"
    SIBLING = "70", "兄弟姐妹"
    ELDER_BROTHER = "71", "兄"
    SISTER_IN_LAW = "72", "嫂"
    YOUNGER_BROTHER = "73", "弟"
    YOUNGER_BROTHERS_WIFE = "74", "弟媳"
    ELDER_SISTER = "75", "姐姐"
    ELDER_SISTERS_HUSBAND = "76", "姐夫"
    YOUNGER_SISTER = "77", "妹妹"
    YOUNGER_SISTERS_HUSBAND = "78", "妹夫"
    OTHER_SIBLING = "79", "其他兄弟姐妹"
    OTHER = "80", "其他"
    OTHER_RELATIVE = "97", "其他亲属"
    NON_RELATIVE = "95", "非亲属"
    NON_RELATIVE_2008 = "99", "非亲属"


HEAD_RELATIONS = frozenset({Relation.SELF, Relation.HEAD})
"""Codes that mark the household head (old data uses 01 本人 for the head)."""


_RELATION_WORDS = {
    "户主": "02", "本人": "01", "配偶": "10", "丈夫": "11", "夫": "11", "老公": "11", "妻子": "12", "妻": "12",
    "老婆": "12", "儿子": "20", "子": "20", "独子": "21", "大儿子": "22", "二儿子": "23", "三儿子": "24",
    "养子": "27", "继子": "27", "女儿": "30", "女": "30", "独女": "31", "大女儿": "32", "二女儿": "33",
    "三女儿": "34", "养女": "37", "继女": "37", "儿媳妇": "38", "媳妇": "38", "孙子": "41", "孙女": "42",
    "外孙": "43", "外孙女": "44", "父亲": "51", "父": "51", "母亲": "52", "母": "52", "哥哥": "71", "嫂子": "72",
    "弟弟": "73", "弟妹": "74", "姐姐": "75", "姐": "75", "妹妹": "77", "妹": "77", "兄弟": "70", "姐妹": "70",
}


def relation_code(text: str) -> str | None:
    """The GB/T 4761 code of a relation some vendors write as a word (儿子 → 20), or None."""
    word = text.strip()
    if word in _RELATION_WORDS:
        return _RELATION_WORDS[word]
    return next((member.value for member in Relation if member.label == word), None)
