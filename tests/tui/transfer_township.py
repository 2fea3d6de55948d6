"""A township whose village refuses some files for a transfer, each for a reason the archivist can
read: one already in another batch (no reason lets it through), one without a required document,
three with open errors of the quality check. Shared by the pilot tests of the 移交 dialogs and
their snapshot app."""

from __future__ import annotations

from sqlalchemy import delete, select

from archive_tui.bootstrap import context_for
from archive_tui.db.tables import DOCUMENT, FILE, FINDING, HOUSEHOLD
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import list_households
from archive_tui.services.transfers import transfers

ERRORS = {1: ["承包合同没有农户签字"], 2: ["承包地块调查表没有农户签字", "地块 1301231010010100050 没有名称"],
          3: ["家庭成员 张三 身份证号码无效"]}


def refusing_township(engine, config, households: int = 8, seed: int = 6) -> dict:
    """The demo township, its files by 档号, and the draft batch ``other`` that holds the first file.
    Returns {"households": [...], "other": batch number, "missing": the document the fifth lacks}."""
    ctx = context_for(engine, config)
    fill_demo(ctx, households=households, seed=seed)
    rows = sorted(list_households(engine), key=lambda row: row["archive_code"])
    required = next(doc for doc in config.settings.documents if doc.required)
    with engine.begin() as connection:
        ids = dict(connection.execute(select(HOUSEHOLD.c.code, HOUSEHOLD.c.id)).all())
        for index, messages in ERRORS.items():
            connection.execute(FINDING.insert(), [
                {"rule": "unsigned", "severity": "error", "household_id": ids[rows[index]["cbfbm"]],
                 "subject": f"第{number}处", "message": message, "status": "open", "source": "check"}
                for number, message in enumerate(messages)])
        fifth = rows[4]["archive_code"]
        file_id = connection.execute(select(FILE.c.id).where(FILE.c.archive_code == fifth)).scalar_one()
        connection.execute(delete(DOCUMENT).where(DOCUMENT.c.archive_file_id == file_id,
                                                  DOCUMENT.c.doc_type == required.code))
    other = transfers.new_batch(ctx, transfers.Batch("正定县档案馆", "先移交的一卷"))
    transfers.add(ctx, other, [rows[0]["archive_code"]])
    return {"households": rows, "other": other, "missing": required.name}
