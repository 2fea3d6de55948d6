"""The dashboard (总览): per-village progress of the archive work, and totals."""

from __future__ import annotations

from sqlalchemy import Engine, distinct, func, select

from archive_tui.core.states import FileStatus, PageStatus
from archive_tui.core.config import Config
from archive_tui.db.tables import CERTIFICATE, COPY, DOCUMENT, FILE, FINDING, HOUSEHOLD, ISSUER, SCAN


FIGURES = (
    ("households", "户数"), ("complete", "文件齐全"), ("pages", "已扫描页"), ("issued", "新证已发"),
    ("recalled", "旧证已收回"), ("destroyed", "旧证已销毁"), ("transferred", "已移交份数"),
    ("pass_share", "质检合格%"),
)


def _by_village(connection, query) -> dict[str, int]:
    return dict(connection.execute(query).all())


def village_names(engine: Engine) -> dict[str, str]:
    """Village code → its name."""
    with engine.connect() as connection:
        return dict(connection.execute(
            select(ISSUER.c.village_code, func.max(ISSUER.c.village_name)).group_by(ISSUER.c.village_code)).all())


def village_summary(engine: Engine, config: Config) -> list[dict]:
    """One dict per village (code, name and the FIGURES), in village-code order, then a 合计 row."""
    village = ISSUER.c.village_code
    households = select(village, func.count(HOUSEHOLD.c.id)).join(
        HOUSEHOLD, HOUSEHOLD.c.issuer_id == ISSUER.c.id).group_by(village)
    required = [doc.code for doc in config.settings.documents if doc.required]
    complete_files = (
        select(DOCUMENT.c.archive_file_id).where(DOCUMENT.c.doc_type.in_(required))
        .group_by(DOCUMENT.c.archive_file_id)
        .having(func.count(distinct(DOCUMENT.c.doc_type)) == len(required))
    )
    in_village = (FILE.join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
                  .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id))
    complete = select(village, func.count(FILE.c.id)).select_from(in_village).where(
        FILE.c.id.in_(complete_files)).group_by(village)
    pages = select(village, func.count(SCAN.c.id)).select_from(
        in_village.join(SCAN, SCAN.c.archive_file_id == FILE.c.id)).where(
        SCAN.c.status == PageStatus.LINKED).group_by(village)
    certificates = CERTIFICATE.join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id).join(
        ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)

    def certs(generation: str, statuses: tuple[str, ...]):
        return select(village, func.count(CERTIFICATE.c.id)).select_from(certificates).where(
            CERTIFICATE.c.generation == generation, CERTIFICATE.c.status.in_(statuses)).group_by(village)

    transferred = select(village, func.count(COPY.c.id)).select_from(
        in_village.join(COPY, COPY.c.archive_file_id == FILE.c.id)).where(
        COPY.c.status == FileStatus.TRANSFERRED).group_by(village)
    failing = (select(village, func.count(distinct(FINDING.c.household_id)))
               .select_from(FINDING.join(HOUSEHOLD, HOUSEHOLD.c.id == FINDING.c.household_id)
                            .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id))
               .where(FINDING.c.status == "open", FINDING.c.severity == "error").group_by(village))
    with engine.connect() as connection:
        names = dict(connection.execute(
            select(village, func.max(ISSUER.c.village_name)).group_by(village)).all())
        figures = {
            "households": _by_village(connection, households),
            "complete": _by_village(connection, complete),
            "pages": _by_village(connection, pages),
            "issued": _by_village(connection, certs("new", ("issued",))),
            "recalled": _by_village(connection, certs("old", ("recalled", "destroyed"))),
            "destroyed": _by_village(connection, certs("old", ("destroyed",))),
            "transferred": _by_village(connection, transferred),
            "failing": _by_village(connection, failing),
        }
    rows = []
    for code in sorted(figures["households"]):
        row = {"village_code": code, "village": names.get(code) or code,
               **{key: figures[key].get(code, 0) for key, _label in FIGURES if key != "pass_share"},
               "failing": figures["failing"].get(code, 0)}
        rows.append(_with_share(row))
    total = {"village_code": "", "village": "合计",
             **{key: sum(r[key] for r in rows) for key, _ in FIGURES if key != "pass_share"},
             "failing": sum(r["failing"] for r in rows)}
    return rows + [_with_share(total)] if rows else []


def _with_share(row: dict) -> dict:
    """质检合格%: households with no open error finding, as a share of all."""
    households = row["households"]
    row["pass_share"] = round(100 * (households - row["failing"]) / households, 1) if households else 100.0
    return row
