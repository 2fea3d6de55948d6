"""What the certificate records say, below both the certificate use cases and their printed
forms (which the close of a destruction batch renders): the states' labels, and a destruction
batch with its certificates."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, select

from archive_tui.core.errors import ArchiveError
from archive_tui.db.tables import CERTIFICATE, DESTRUCTION_BATCH as BATCH, DESTRUCTION_ITEM as ITEM, HOUSEHOLD

STATUS_LABELS = {"printed": "已打印", "issued": "已发放", "lost": "已挂失", "recalled": "已收回",
                 "cancelled": "已注销", "destroyed": "已销毁"}


def batch_details(source: Engine | Connection, number: str) -> tuple[dict, list[dict]]:
    """A batch's header and its certificates (for the 销毁清册), as ``source`` sees them."""
    if isinstance(source, Engine):
        with source.connect() as connection:
            return batch_details(connection, number)
    batch = source.execute(select(BATCH).where(BATCH.c.number == number.strip())).first()
    if batch is None:
        raise ArchiveError(f"找不到销毁清册“{number}”")
    items = source.execute(
        select(CERTIFICATE, HOUSEHOLD.c.name.label("household"), HOUSEHOLD.c.code.label("cbfbm"))
        .join(ITEM, ITEM.c.certificate_id == CERTIFICATE.c.id)
        .join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
        .where(ITEM.c.batch_id == batch.id).order_by(CERTIFICATE.c.serial)).all()
    return dict(batch._mapping), [dict(row._mapping) for row in items]
