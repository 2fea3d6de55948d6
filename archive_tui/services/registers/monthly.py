"""月报 (按月向县农委报告进展情况): per village and in total, the figures at a month's end and
their change over the month, computed from the registers' own dates — never from a counter —
so any past month can be reported again and gives the same figures.

Where each figure's date comes from:
- 已导入户 (households imported): the day the household's file was opened here (archive_file.created_at);
- 案卷齐全 (files complete): the day the last required document got its first linked page;
- 已挂接页: the day each linked page was taken in;
- 待处理问题 / 销号: the day a finding was raised and the day it was resolved or waived (its
  change is end minus start of the month: found in it less resolved and waived in it, each
  also given apart);
- 已发证: the collection date of each new certificate (recorded here or in the national data);
- 旧证收回 / 旧证销毁: the dates of those certificate events;
- 已装盒 / 已移交 (copies): the first boxing of each copy; the receipt of its transfer batch;
- 未结纠纷 / 结案: the dispute's start and its 结案 steps (a reopened dispute is open again).

These are 确权's figures: its households, files and certificates (a later campaign's file or
certificate does not count twice). Each later campaign that has begun (延包 …) gets a section of its
own: its households' steps (确认, 公示, 签约, 颁证 by their dates, at the month's end and within it;
归档 as the files are now), as ``campaign_rows_on`` in the 总览's service counts them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, case, func, select

from archive_tui.core.states import DisputeStage, PageStatus
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.db.tables import (
    CERTIFICATE, CERT_EVENT, COPY, COPY_EVENT, DISPUTE, DISPUTE_EVENT, DOCUMENT, FILE, FINDING, HOUSEHOLD, ISSUER,
    SCAN, TRANSFER, TRANSFER_ITEM as ITEM,
)
from archive_tui.services.households.dashboard import (
    CAMPAIGN_STEPS, IN_MONTH, campaign_label, campaign_rows_on, in_primary_register, later_campaigns_on,
)


# key, label, unit; "open" figures are stocks (now open), the others grow
METRICS = [
    ("households", "已导入户", "户"), ("complete", "案卷齐全", "卷"), ("linked", "已挂接页", "页"),
    ("findings_open", "待处理问题", "个"), ("findings_closed", "累计销号", "个"), ("issued", "已发证", "本"),
    ("recalled", "旧证收回", "本"), ("destroyed", "旧证销毁", "本"), ("boxed", "已装盒", "份"),
    ("transferred", "已移交", "份"), ("disputes_open", "未结纠纷", "起"), ("disputes_closed", "累计结案", "起"),
]
TOTAL = "合计"
FLOW = "findings_flow"  # [found, resolved, waived] in the month: 待处理问题's change, given apart
FLOW_LABELS = ("新发现", "销号", "豁免")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None) -> "Month":
        if not text:
            today = dt.date.today()
            return cls(today.year, today.month)
        try:
            year, month = (int(part) for part in text.strip().split("-"))
            dt.date(year, month, 1)
        except ValueError:
            raise ArchiveError(f"月份“{text}”应写作 YYYY-MM，如 2026-10", field="month") from None
        if (year, month) > (dt.date.today().year, dt.date.today().month):
            raise ArchiveError(f"{text} 还没有到，不能出月报", field="month")
        return cls(year, month)

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def after(self) -> dt.date:
        return dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


def _moment(day: dt.date) -> dt.datetime:
    """The start of a local day, as the aware time the stored (UTC) times are compared with."""
    return dt.datetime.combine(day, dt.time.min).astimezone()


def _bounds(column, month: Month, *, moments: bool):
    start, end = (_moment(month.first), _moment(month.after)) if moments else (month.first, month.after)
    return (func.sum(case((column < end, 1), else_=0)),
            func.sum(case((and_(column >= start, column < end), 1), else_=0)))


def _by_village(connection: Connection, query, column, month: Month, *, moments: bool) -> dict[str, tuple[int, int]]:
    """(at month end, change in the month) per village code, for rows of ``query`` dated by ``column``."""
    at_end, during = _bounds(column, month, moments=moments)
    rows = connection.execute(query.add_columns(at_end, during).group_by(ISSUER.c.village_code)).all()
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in rows}


def _villages(connection: Connection) -> dict[str, str]:
    return dict(connection.execute(select(ISSUER.c.village_code, func.max(ISSUER.c.village_name))
                                   .group_by(ISSUER.c.village_code).order_by(ISSUER.c.village_code)).all())


def _of_households(*joins):
    query = select(ISSUER.c.village_code)
    for table, condition in joins:
        query = query.join(table, condition)
    return query


def _complete(connection: Connection, config: Config, month: Month) -> dict[str, tuple[int, int]]:
    required = [doc.code for doc in config.settings.documents if doc.required]
    first_pages = connection.execute(
        select(FILE.c.id, ISSUER.c.village_code, DOCUMENT.c.doc_type, func.min(SCAN.c.created_at))
        .join(DOCUMENT, DOCUMENT.c.id == SCAN.c.document_id).join(FILE, FILE.c.id == DOCUMENT.c.archive_file_id)
        .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id).join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
        .where(SCAN.c.status == PageStatus.LINKED, DOCUMENT.c.doc_type.in_(required),
               FILE.c.campaign == PRIMARY_CAMPAIGN)
        .group_by(FILE.c.id, ISSUER.c.village_code, DOCUMENT.c.doc_type)).all()
    per_file: dict[tuple[int, str], list] = defaultdict(list)
    for file_id, village, _doc, first in first_pages:
        per_file[(file_id, village)].append(_aware(first))
    start, end = _moment(month.first), _moment(month.after)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (_file, village), dates in per_file.items():
        if len(dates) == len(required):
            done = max(dates)
            counts[village][0] += done < end
            counts[village][1] += start <= done < end
    return {village: tuple(pair) for village, pair in counts.items()}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _disputes(connection: Connection, month: Month) -> tuple[dict, dict]:
    events = defaultdict(list)
    for dispute_id, stage, day in connection.execute(
            select(DISPUTE_EVENT.c.dispute_id, DISPUTE_EVENT.c.stage, DISPUTE_EVENT.c.happened_on)
            .order_by(DISPUTE_EVENT.c.happened_on, DISPUTE_EVENT.c.id)):
        events[dispute_id].append((stage, day))
    def open_before(dispute_id: int, started: dt.date, limit: dt.date) -> bool:
        """Whether the dispute was open at the start of day ``limit`` (a reopened one is open again)."""
        if started >= limit:
            return False
        before = [stage for stage, day in events[dispute_id] if day < limit and stage != "followup"]
        return not before or before[-1] != DisputeStage.CLOSED

    opened, closed = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for dispute_id, village, started in connection.execute(
            select(DISPUTE.c.id, ISSUER.c.village_code, DISPUTE.c.started_on)
            .join(HOUSEHOLD, HOUSEHOLD.c.id == DISPUTE.c.household_id)
            .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)):
        if started >= month.after:
            continue
        at_end, at_start = open_before(dispute_id, started, month.after), open_before(dispute_id, started, month.first)
        closings = [day for stage, day in events[dispute_id] if stage == DisputeStage.CLOSED and day < month.after]
        opened[village][0] += at_end
        opened[village][1] += at_end - at_start  # end minus start of the month
        closed[village][0] += len(closings)
        closed[village][1] += sum(day >= month.first for day in closings)
    return ({k: tuple(v) for k, v in opened.items()}, {k: tuple(v) for k, v in closed.items()})


def monthly_figures(engine: Engine, config: Config, month: Month) -> dict:
    """{"month", "villages": [{"village", "name", <metric>: [at end, change]}], "total": {…}}."""
    household = (HOUSEHOLD, HOUSEHOLD.c.issuer_id == ISSUER.c.id)
    with engine.connect() as connection:
        names = _villages(connection)
        registered = dict(connection.execute(select(ISSUER.c.village_code, func.count(HOUSEHOLD.c.id))
                                             .join(HOUSEHOLD, HOUSEHOLD.c.issuer_id == ISSUER.c.id)
                                             .where(in_primary_register())
                                             .group_by(ISSUER.c.village_code)).all())
        primary_file = (FILE, (FILE.c.household_id == HOUSEHOLD.c.id) & (FILE.c.campaign == PRIMARY_CAMPAIGN))
        found = {
            "households": _by_village(connection, _of_households(
                (HOUSEHOLD, HOUSEHOLD.c.issuer_id == ISSUER.c.id), primary_file),
                FILE.c.created_at, month, moments=True),
            "complete": _complete(connection, config, month),
            "linked": _by_village(connection, _of_households(
                household, (FILE, FILE.c.household_id == HOUSEHOLD.c.id), (SCAN, SCAN.c.archive_file_id == FILE.c.id))
                .where(SCAN.c.status == PageStatus.LINKED), SCAN.c.created_at, month, moments=True),
            "issued": _by_village(connection, _of_households(
                household, (CERTIFICATE, CERTIFICATE.c.household_id == HOUSEHOLD.c.id))
                .where(CERTIFICATE.c.generation == "new", CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN),
                CERTIFICATE.c.collected_on, month, moments=False),
        }
        findings = _of_households(household, (FINDING, FINDING.c.household_id == HOUSEHOLD.c.id))
        raised = _by_village(connection, findings, FINDING.c.created_at, month, moments=True)
        # a finding stops being open when it is waived or resolved, whichever came first (a waived
        # one that is later resolved was closed when it was waived)
        ended = func.coalesce(FINDING.c.waived_at, FINDING.c.resolved_at)
        found["findings_closed"] = _by_village(connection, findings.where(ended.is_not(None)), ended, month,
                                               moments=True)
        resolved = _by_village(connection, findings.where(FINDING.c.waived_at.is_(None),
                                                          FINDING.c.resolved_at.is_not(None)),
                               FINDING.c.resolved_at, month, moments=True)
        waived = _by_village(connection, findings.where(FINDING.c.waived_at.is_not(None)), FINDING.c.waived_at,
                             month, moments=True)
        closed_of = lambda village: found["findings_closed"].get(village, (0, 0))  # noqa: E731
        found["findings_open"] = {village: (total - closed_of(village)[0], new - closed_of(village)[1])
                                  for village, (total, new) in raised.items()}
        flows = {village: [raised.get(village, (0, 0))[1], resolved.get(village, (0, 0))[1],
                           waived.get(village, (0, 0))[1]] for village in names}
        for key, kind in (("recalled", "recall"), ("destroyed", "destroy")):
            found[key] = _by_village(connection, _of_households(
                household, (CERTIFICATE, CERTIFICATE.c.household_id == HOUSEHOLD.c.id),
                (CERT_EVENT, CERT_EVENT.c.certificate_id == CERTIFICATE.c.id))
                .where(CERT_EVENT.c.kind == kind), CERT_EVENT.c.happened_on, month, moments=False)
        first_box = (select(COPY_EVENT.c.copy_id, func.min(COPY_EVENT.c.recorded_at).label("boxed_at"))
                     .where(COPY_EVENT.c.action == "box").group_by(COPY_EVENT.c.copy_id).subquery())
        found["boxed"] = _by_village(connection, _of_households(
            household, (FILE, FILE.c.household_id == HOUSEHOLD.c.id), (COPY, COPY.c.archive_file_id == FILE.c.id),
            (first_box, first_box.c.copy_id == COPY.c.id)), first_box.c.boxed_at, month, moments=True)
        found["transferred"] = _by_village(connection, _of_households(
            household, (FILE, FILE.c.household_id == HOUSEHOLD.c.id), (COPY, COPY.c.archive_file_id == FILE.c.id),
            (ITEM, ITEM.c.copy_id == COPY.c.id), (TRANSFER, TRANSFER.c.id == ITEM.c.transfer_id))
            .where(ITEM.c.result.in_(("received", "damaged"))), TRANSFER.c.closed_at, month, moments=True)
        found["disputes_open"], found["disputes_closed"] = _disputes(connection, month)
        campaigns = [campaign_section(connection, config, name, month)
                     for name in later_campaigns_on(connection, config)]
    villages = []
    for code, name in names.items():
        row = {"village": code, "name": name or code, "registered": registered.get(code, 0)}
        for key, _label, _unit in METRICS:
            row[key] = list(found[key].get(code, (0, 0)))
        row[FLOW] = flows.get(code, [0, 0, 0])
        villages.append(row)
    villages = [row for row in villages if row["households"][0] or any(row[key][0] for key, *_ in METRICS)]
    total = {"village": "", "name": TOTAL, "registered": sum(row["registered"] for row in villages)}
    for key, _label, _unit in METRICS:
        total[key] = [sum(row[key][0] for row in villages), sum(row[key][1] for row in villages)]
    total[FLOW] = [sum(row[FLOW][index] for row in villages) for index in range(3)]
    return {"month": month.label(), "villages": villages, "total": total, "campaigns": campaigns}


def campaign_section(connection: Connection, config: Config, name: str, month: Month) -> dict:
    """A later campaign in the 月报: ``{campaign, label, villages, total}``, each row with the steps
    done by the month's end and ``<step>_in_month`` done within it (归档: as the files are now)."""
    rows = campaign_rows_on(connection, name, (month.first, month.after))
    return {"campaign": name, "label": campaign_label(config, name), "villages": rows[:-1],
            "total": rows[-1] if rows else None}


def campaign_heading(section: dict, month: Month) -> list[str]:
    """The title and the note of a campaign's section of the 月报."""
    label = section["label"]
    name = section["campaign"]
    title = f"{label}{'' if label == name else f'（{name}）'}工作进展（{month.year} 年 {month.month} 月）"
    note = ("户数为确权登记的承包户和本阶段新增户；各步骤为月末累计数，括号内为本月完成数；已公示指公示无异议，"
            "已颁证指证书已由农户领取，已归档为案卷现在的状态")
    return [title, note]


def issued_series(engine: Engine, months: int = 12) -> list[tuple[str, int]]:
    """Certificates issued per month for the last ``months`` months (the app's sparkline)."""
    today = dt.date.today()
    labels = []
    year, month = today.year, today.month
    for _ in range(months):
        labels.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    labels.reverse()
    counts = dict.fromkeys(labels, 0)
    first = dt.date(int(labels[0][:4]), int(labels[0][5:]), 1)
    with engine.connect() as connection:
        for (day,) in connection.execute(select(CERTIFICATE.c.collected_on).where(
                CERTIFICATE.c.generation == "new", CERTIFICATE.c.collected_on >= first)):
            key = f"{day.year}-{day.month:02d}"
            if key in counts:
                counts[key] += 1
    return list(counts.items())


def cell_text(pair: list[int]) -> str:
    end, change = pair
    return f"{end:,}" + (f"（+{change:,}）" if change > 0 else f"（{change:,}）" if change < 0 else "")


def flow_text(row: dict) -> str:
    """How the open findings changed in the month, given apart: 新发现 560，销号 17 ("" when none)."""
    flow = row.get(FLOW) or [0, 0, 0]
    if not any(flow):
        return ""
    return "，".join(f"{label} {count:,}" for label, count in zip(FLOW_LABELS, flow)
                    if count or label != "豁免")  # 豁免 only when there was one


def figure_text(row: dict, key: str) -> str:
    """One cell of the report: the month-end figure and its change; 待处理问题 with what was
    found and what was resolved in the month, e.g. 543（新发现 560，销号 17）."""
    if key == "findings_open" and flow_text(row):
        return f"{row[key][0]:,}（{flow_text(row)}）"
    return cell_text(row[key])


def change_text(row: dict, key: str) -> str:
    """The month's change alone (end minus start), 待处理问题 with its parts: +543（新发现 560，销号 17）."""
    change = row[key][1]
    text = f"{change:+,}" if change else ""
    if key == "findings_open" and flow_text(row):
        text = f"{text or '0'}（{flow_text(row)}）"
    return text


def print_monthly(engine: Engine, config: Config, month: Month, out: Path) -> Path:
    """月报 as A4 PDF (the table, then a bar chart of each village's progress) or XLSX."""
    out = Path(out)
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise ArchiveError(f"月报只能输出为 .pdf 或 .xlsx：{out.name}")
    figures = monthly_figures(engine, config, month)
    if not figures["villages"]:
        raise ArchiveError("数据库中还没有承包户，无月报可出")
    title = (f"{config.settings.township.name}农村土地承包经营权确权登记颁证工作进展月报"
             f"（{month.year} 年 {month.month} 月）")
    note = ("各项为月末累计数，括号内为本月增减（月末减月初）；待处理问题括号内为本月新发现、销号和豁免的个数；"
            "按各登记簿的日期计算，可随时重出任一月份")
    rows = [*figures["villages"], figures["total"]]
    if out.suffix.lower() == ".xlsx":
        from archive_tui.reports.monthly import campaign_sheet
        from archive_tui.reports.tables import TitledTable, write_titled_xlsx

        columns = ["村"] + [f"{label}{suffix}" for key, label, _unit in METRICS
                           for suffix in ("", "本月", *[f"本月{part}" for part in FLOW_LABELS])[
                               :5 if key == "findings_open" else 2]]
        body = [[row["name"], *[value for key, *_ in METRICS
                                for value in row[key] + (row[FLOW] if key == "findings_open" else [])]]
                for row in rows]
        sheets = [TitledTable(month.label(), [title, note], columns, body, total_rows=1)]
        sheets += [campaign_sheet(section["campaign"], campaign_heading(section, month), _rows_of(section),
                                  list(CAMPAIGN_STEPS), IN_MONTH) for section in _begun(figures)]
        write_titled_xlsx(out, sheets)
        return out
    from archive_tui.reports.monthly import campaign_table, write_monthly_pdf

    campaigns = []
    for section in _begun(figures):
        heading, note_line = campaign_heading(section, month)
        campaigns.append(campaign_table([(heading, 13), (note_line, 8)], _rows_of(section), list(CAMPAIGN_STEPS),
                                        IN_MONTH))
    write_monthly_pdf(out, config, title, note, rows, METRICS, figure_text, campaigns)
    return out


def _begun(figures: dict) -> list[dict]:
    """The 月报's campaign sections that have households to show."""
    return [section for section in figures["campaigns"] if section["total"]]


def _rows_of(section: dict) -> list[dict]:
    """A campaign section's rows, its 合计 last (a campaign without households: none)."""
    return [*section["villages"], *([section["total"]] if section["total"] else [])]
