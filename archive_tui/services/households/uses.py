"""The uses of the files as listed (利用 and copy loans): what a household file shows under
利用 and what the use register (:mod:`archive_tui.services.registers.use_register`, which
registers them and prints the 档案利用登记表) counts and prints. Only reading is here, so the
household file can show its uses without its domain importing the registers."""

from __future__ import annotations

from sqlalchemy import Engine, extract, func, select

from archive_tui.db.tables import COPY, FILE, HOUSEHOLD, LOAN, RECORD_ITEM as ITEM, USE
from archive_tui.services.households.archive_files import LEVEL_LABELS
from archive_tui.services.households.filters import find_household
from models.validators import masked_id

KINDS = {"consult": "查阅", "copy": "复制", "extract": "摘录证明", "lend": "借出"}
LOAN_KIND = "借出"


def list_uses(engine: Engine, *, year: int | None = None, key: str | None = None) -> list[dict]:
    """Uses and copy loans (as 借出) in date order (of one household's file with ``key``); ID
    numbers masked."""
    uses = (select(USE, func.coalesce(FILE.c.archive_code, ITEM.c.archive_code).label("archive_code"),
                   HOUSEHOLD.c.code.label("cbfbm"), HOUSEHOLD.c.id.label("household_id"))
            .outerjoin(FILE, FILE.c.id == USE.c.archive_file_id)
            .outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
            .outerjoin(ITEM, ITEM.c.id == USE.c.record_item_id))
    loans = (select(LOAN, FILE.c.archive_code, HOUSEHOLD.c.code.label("cbfbm"), COPY.c.level)
             .join(COPY, COPY.c.id == LOAN.c.copy_id).join(FILE, FILE.c.id == COPY.c.archive_file_id)
             .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id))
    if year:
        uses = uses.where(extract("year", USE.c.used_on) == year)
        loans = loans.where(extract("year", LOAN.c.lent_on) == year)
    with engine.connect() as connection:
        item_id = (connection.execute(select(ITEM.c.id).where(ITEM.c.archive_code == key.strip())).scalar()
                   if key else None)
        if item_id is not None:
            uses, loans = uses.where(USE.c.record_item_id == item_id), None
        elif key:
            household_id = find_household(connection, key).id
            uses, loans = uses.where(HOUSEHOLD.c.id == household_id), loans.where(HOUSEHOLD.c.id == household_id)
        rows = [{"number": row.number, "date": row.used_on.isoformat(), "kind": KINDS[row.kind], "person": row.person,
                 "id_number": masked_id(row.id_number) if row.id_number else "", "unit": row.unit,
                 "purpose": row.purpose, "archive_code": row.archive_code, "cbfbm": row.cbfbm or "",
                 "pages": row.pages,
                 "approved_by": row.approved_by,
                 "returned_on": row.returned_on.isoformat() if row.returned_on else None}
                for row in connection.execute(uses)]
        rows += [{"number": f"借阅-{row.id}", "date": row.lent_on.isoformat(), "kind": LOAN_KIND,
                  "person": row.borrower, "id_number": "", "unit": LEVEL_LABELS.get(row.level, row.level),
                  "purpose": row.purpose, "archive_code": row.archive_code, "cbfbm": row.cbfbm, "pages": 0,
                  "approved_by": row.operator,
                  "returned_on": row.returned_on.isoformat() if row.returned_on else None}
                 for row in (connection.execute(loans) if loans is not None else [])]
    return sorted(rows, key=lambda row: (row["date"], row["number"]))
