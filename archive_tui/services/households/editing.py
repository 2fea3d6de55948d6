"""Editing a household's basic fields (修改户信息), validated, audited, one transaction."""

from __future__ import annotations

import re

from sqlalchemy import select

from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.display import has_control
from archive_tui.core.errors import ArchiveError
from archive_tui import audit
from archive_tui.services.households import catalogue, search
from archive_tui.services.households.local_edits import remember_local_edits
from models.codes import IdType
from models.validators import check_id_number
from archive_tui.db.tables import FILE, HOUSEHOLD

EDITABLE = {"name": "承包方名称", "id_number": "证件号码", "phone": "联系电话", "address": "地址"}
PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")


def validate_household_fields(changes: dict[str, str], id_type: str) -> dict[str, str]:
    """Cleaned values; otherwise an ArchiveError naming every bad field, each with its reason."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ArchiveError(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    cleaned = {key: value.strip() for key, value in changes.items()}
    problems = {key: f"{EDITABLE[key]}含有控制字符（如从别处粘贴来的格式符号），请重新输入"
                for key, value in cleaned.items() if has_control(value)}
    if "name" in cleaned and not cleaned["name"]:
        problems.setdefault("name", "承包方名称不能为空")
    if "name" in cleaned and cleaned["name"].replace(" ", "").isdigit():
        problems.setdefault("name", f"承包方名称“{cleaned['name']}”全是数字，是否填到了证件号码？")
    if "id_number" in cleaned and id_type in ("", IdType.RESIDENT_ID) and "id_number" not in problems:
        result = check_id_number(cleaned["id_number"])
        if not result.ok:
            problems["id_number"] = (result.reason if result.status != "legacy"
                                     else "15位旧号码不能再录入，请填写18位身份证号码")
        cleaned["id_number"] = cleaned["id_number"].upper()
    if cleaned.get("phone") and not PHONE.match(cleaned["phone"]):
        problems.setdefault("phone", f"联系电话“{cleaned['phone']}”格式不对")
    if problems:
        ordered = {key: problems[key] for key in EDITABLE if key in problems}
        raise ArchiveError("；".join(ordered.values()), fields=ordered)
    return cleaned


@use_case(Permission.WRITE, "修改承包方信息")
def update_household(ctx: ArchiveContext, code: str, changes: dict[str, str]) -> dict[str, str]:
    """Save the changed basic fields of one household; returns what changed (field → new value)."""
    engine, config = ctx.engine, ctx.config
    with engine.begin() as connection:
        row = connection.execute(select(HOUSEHOLD).where(HOUSEHOLD.c.code == code)).first()
        if row is None:
            raise ArchiveError(f"找不到承包方“{code}”")
        cleaned = validate_household_fields(changes, row.id_type)
        changed = {key: value for key, value in cleaned.items() if getattr(row, key) != value}
        if not changed:
            return {}
        connection.execute(HOUSEHOLD.update().where(HOUSEHOLD.c.id == row.id).values(**changed))
        remember_local_edits(connection, ctx, "household", code, changed)
        audit.record(connection, operator=ctx.operator, action="edit", entity="household", key=code,
                     before={key: getattr(row, key) for key in changed}, after=changed)
        search.forget(connection, [row.id])
        if "name" in changed:  # the 卷内目录 names the household as 责任者 where the rules say so: in the
            # household's files of every campaign (确权, 延包 …), each by its own document list
            files = connection.execute(select(FILE.c.id).where(FILE.c.household_id == row.id)).scalars().all()
            catalogue.refresh(connection, config, list(files))
    return changed
