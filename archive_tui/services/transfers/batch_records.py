"""What a transfer batch holds, as its papers, its packages and its use cases read it: the batch
by its number, its files and 综合档案 items with their results. Below ``transfers`` (the use
cases), ``transfer_forms`` and ``transfer_bags``."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.core.states import PageStatus
from archive_tui.db.tables import (
    COPY, DOCUMENT, FILE, RECORD_ITEM as RECORD, SCAN, TRANSFER, TRANSFER_ITEM as ITEM,
)
from archive_tui.services.registers.copies import copy_query

RESULT_LABELS = {"received": "已接收", "missing": "缺失", "damaged": "破损"}


def find_batch(connection: Connection, number: str):
    row = connection.execute(select(TRANSFER).where(TRANSFER.c.batch_no == number.strip())).first()
    if row is None:
        raise ArchiveError(f"找不到移交批次“{number}”；可用 archive-tui transfers list 查看")
    return row


def _items(connection: Connection, batch_id: int) -> list:
    scanned = (select(func.count()).where(SCAN.c.archive_file_id == FILE.c.id, SCAN.c.status == PageStatus.LINKED)
               .scalar_subquery())
    documents = select(func.count()).where(DOCUMENT.c.archive_file_id == FILE.c.id).scalar_subquery()
    return connection.execute(
        copy_query().add_columns(ITEM.c.result, ITEM.c.override_reason, ITEM.c.note.label("item_note"),
                                  scanned.label("scanned"), documents.label("documents"), FILE.c.campaign)
        .join(ITEM, ITEM.c.copy_id == COPY.c.id).where(ITEM.c.transfer_id == batch_id)
        .order_by(FILE.c.archive_code)).all()


def _record_items(connection: Connection, batch_id: int) -> list:
    """The 综合档案 items of a batch, with their transfer result and scanned pages."""
    scanned = (select(func.count()).where(SCAN.c.record_item_id == RECORD.c.id, SCAN.c.status == PageStatus.LINKED)
               .scalar_subquery())
    return connection.execute(
        select(RECORD, ITEM.c.result, ITEM.c.override_reason, scanned.label("scanned"))
        .join(ITEM, ITEM.c.record_item_id == RECORD.c.id).where(ITEM.c.transfer_id == batch_id)
        .order_by(RECORD.c.year, RECORD.c.archive_code)).all()


def pages_of(row) -> int:
    return row.page_count or row.scanned or 0


PRIMARY_CONTENT = "农村土地承包经营权确权登记档案"


def campaign_content(config: Config, campaign: str) -> str:
    """What a campaign's files are, as the papers name them: 农村土地承包经营权确权登记档案 for 确权,
    第二轮土地承包到期后再延长三十年档案 for 延包 (its full name), a campaign unknown here by its name."""
    if campaign == PRIMARY_CAMPAIGN:
        return PRIMARY_CONTENT
    known = {settings.name: settings.label for settings in config.settings.campaigns}
    return f"{known.get(campaign, campaign)}档案"


def campaign_order(config: Config, campaigns) -> list[str]:
    """The campaigns given, each once, as config.toml orders them (确权 first); unknown ones after, by name."""
    order = [PRIMARY_CAMPAIGN, *(settings.name for settings in config.settings.campaigns)]
    present = set(campaigns)
    return [name for name in order if name in present] + sorted(present - set(order))
