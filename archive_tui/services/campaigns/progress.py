"""A later campaign's progress (工作阶段, 延包 …) and a household's periods side by side.

Per village (村, by the 发包方's village code, as the other reports group) and for the township:
the campaign's households — those of the 确权 register and the campaign's own new ones (新增户) —
and how many of them have been 已确认 (members and parcels confirmed), 已公示 (publicised with no
objection), 已签约 (the extended contract signed), 已颁证 (a certificate of the campaign handed
over) and 已归档 (the campaign's file filed, lent, in transit or handed on — by its own status or
a copy's). With a month: the dated steps up to its end, and what was done within it.

The count itself is ``campaign_rows_on`` in services/households/dashboard.py: the 总览 and the 月报
show it too, and their domains (households, registers) sit below this one, which imports the
importers (exchange) that sit above them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine, select

from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.db.tables import CAMPAIGN_RECORD, CERTIFICATE, CONTRACT, FILE
from archive_tui.services.households.dashboard import (
    CAMPAIGN_STEPS, DATED_STEPS, IN_MONTH, TOTAL, campaign_label, campaign_rows_on, later_campaigns_on,
)
from archive_tui.services.households.filters import find_household
from archive_tui.services.printed import PrintResult, font_of, glyph_warnings
from archive_tui.services.registers.monthly import Month

FORMATS = (".pdf", ".xlsx")
PRIMARY_LABEL = "农村土地承包经营权确权登记颁证"
# the keys of ``report campaign --json`` (cli.md), in this order; with --month each dated step's
# ``<step>_in_month`` follows
JSON_KEYS = ("village", "households", *(key for key, _label in CAMPAIGN_STEPS),
             *(f"{key}_rate" for key, _label in CAMPAIGN_STEPS))


def campaign_progress(engine: Engine, config: Config, name: str, month: Month | None = None) -> dict:
    """``{campaign, label, month, villages: [row …], total: row}`` — rows as ``campaign_rows_on``
    gives them (``village`` is the village's name); an unknown campaign is an ArchiveError naming
    the known ones. Without households, no villages and a 合计 of naught."""
    label = config.settings.campaign(name).label  # the user's error first: nothing counted, nothing written
    period = (month.first, month.after) if month else None
    with engine.connect() as connection:
        rows = campaign_rows_on(connection, name, period)
    if not rows:
        rows = [_empty_total(month is not None)]
    return {"campaign": name, "label": label, "month": month.label() if month else None,
            "villages": rows[:-1], "total": rows[-1]}


def _empty_total(with_month: bool) -> dict:
    row: dict = {"village_code": "", "village": TOTAL, "households": 0}
    for key, _label in CAMPAIGN_STEPS:
        row[key] = 0
        if with_month and key in DATED_STEPS:
            row[IN_MONTH.format(key)] = 0
        row[f"{key}_rate"] = 0.0
    return row


def progress_json(progress: dict) -> list[dict]:
    """The villages as ``report campaign --json`` prints them: the keys of cli.md (the 合计 is the
    table's, not the data's: the villages add up to it), and with a month each dated step's count
    within it."""
    keys = list(JSON_KEYS)
    if progress["month"]:
        keys += [IN_MONTH.format(key) for key in DATED_STEPS]
    return [{key: row[key] for key in keys} for row in progress["villages"]]


def report_title(config: Config, progress: dict) -> str:
    label, name = progress["label"], progress["campaign"]
    return f"{config.settings.township.name}{label}{'' if label == name else f'（{name}）'}工作进度"


def report_note(progress: dict, today: dt.date | None = None) -> str:
    """What the figures mean, under the title."""
    if progress["month"]:
        year, month = progress["month"].split("-")
        when = f"{int(year)} 年 {int(month)} 月：各步骤为月末累计数，括号内为本月完成数"
    else:
        today = today or dt.date.today()
        when = f"截至 {today.year}年{today.month}月{today.day}日"
    return (f"{when}；户数为确权登记的承包户和本阶段新增户；已公示指公示无异议，已颁证指证书已由农户领取，"
            "已归档为案卷现在的状态（已归档、借出或移交）")


def print_campaign(engine: Engine, config: Config, name: str, out: Path, month: Month | None = None) -> PrintResult:
    """The campaign's progress table (per village and 合计) as an A4 PDF or an XLSX workbook, as
    ``out``'s suffix says. Refused, with nothing written, for an unknown campaign or an archive
    without households."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ArchiveError(f"输出文件 {out.name} 应以 .pdf 或 .xlsx 结尾")
    progress = campaign_progress(engine, config, name, month)
    if not progress["villages"]:
        raise ArchiveError("数据库中还没有承包户，无进度表可出")
    title, note = report_title(config, progress), report_note(progress)
    rows = [*progress["villages"], progress["total"]]
    month_key = IN_MONTH if month else None
    steps = list(CAMPAIGN_STEPS)
    if suffix == ".xlsx":
        from archive_tui.reports.monthly import campaign_sheet
        from archive_tui.reports.tables import write_titled_xlsx

        write_titled_xlsx(out, [campaign_sheet(name, [title, note], rows, steps, month_key)])
        return PrintResult(out, len(progress["villages"]), 1)
    from archive_tui.reports.grid import print_table
    from archive_tui.reports.monthly import campaign_table
    from archive_tui.reports.pdf import Sheet

    font = font_of(config)
    warnings = [warning for row in progress["villages"]
                for warning in glyph_warnings(font, row["village"], [row["village"]])]
    sheet = Sheet(out, font, title)
    print_table(sheet, campaign_table([(title, 14), (note, 8)], rows, steps, month_key))
    sheet.save()
    return PrintResult(out, len(progress["villages"]), sheet.pages, warnings)


def begun_campaigns(engine: Engine, config: Config) -> list[str]:
    """The later campaigns that have any household record (config.toml's order)."""
    with engine.connect() as connection:
        return later_campaigns_on(connection, config)


# ---- one household's periods -------------------------------------------------------------------

def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def household_periods(engine: Engine, config: Config, key: str) -> list[dict]:
    """A household's periods side by side, 确权 first, then each later campaign it has anything in
    (a file, a record, a contract or a certificate), in config.toml's order:
    ``{campaign, label, archive_code, status, title, pages, contract: {code, term_start, term_end,
    signed_on} | None, certificates: [{serial, generation, status, issued_on, collected_on}],
    steps: {confirmed_on, publicised_on, objection, signed_on, new_household} | None (确权),
    related: [{campaign, archive_code}]}`` — ``related`` the household's files of the other
    periods (相关案卷). ``key``: a 承包方编码 or the 档号 of any of its files."""
    with engine.connect() as connection:
        household = find_household(connection, key)
        hid = household.id
        files = {row.campaign: row for row in connection.execute(
            select(FILE.c.campaign, FILE.c.archive_code, FILE.c.status, FILE.c.title, FILE.c.page_count)
            .where(FILE.c.household_id == hid))}
        contracts = connection.execute(
            select(CONTRACT.c.campaign, CONTRACT.c.code, CONTRACT.c.term_start, CONTRACT.c.term_end,
                   CONTRACT.c.signed_date).where(CONTRACT.c.household_id == hid)
            .order_by(CONTRACT.c.code, CONTRACT.c.id)).all()
        certificates = connection.execute(
            select(CERTIFICATE.c.campaign, CERTIFICATE.c.serial, CERTIFICATE.c.generation, CERTIFICATE.c.status,
                   CERTIFICATE.c.issued_on, CERTIFICATE.c.collected_on).where(CERTIFICATE.c.household_id == hid)
            .order_by(CERTIFICATE.c.generation.desc(), CERTIFICATE.c.serial)).all()
        records = {row.campaign: row for row in connection.execute(
            select(CAMPAIGN_RECORD).where(CAMPAIGN_RECORD.c.household_id == hid))}
    present = ({PRIMARY_CAMPAIGN} | set(files) | set(records) | {row.campaign for row in contracts}
               | {row.campaign for row in certificates})
    known = [PRIMARY_CAMPAIGN, *(campaign.name for campaign in config.settings.campaigns)]
    names = [name for name in known if name in present] + sorted(present - set(known))
    periods = []
    for name in names:
        file = files.get(name)
        contract = next((row for row in contracts if row.campaign == name), None)
        record = records.get(name)
        periods.append({
            "campaign": name, "label": PRIMARY_LABEL if name == PRIMARY_CAMPAIGN else campaign_label(config, name),
            "archive_code": file.archive_code if file else "", "status": file.status if file else "",
            "title": file.title if file else "", "pages": file.page_count if file else 0,
            "contract": None if contract is None else {
                "code": contract.code, "term_start": _iso(contract.term_start), "term_end": _iso(contract.term_end),
                "signed_on": _iso(contract.signed_date)},
            "certificates": [{"serial": row.serial, "generation": row.generation, "status": row.status,
                              "issued_on": _iso(row.issued_on), "collected_on": _iso(row.collected_on)}
                             for row in certificates if row.campaign == name],
            "steps": None if name == PRIMARY_CAMPAIGN else {
                "confirmed_on": _iso(record.confirmed_on) if record else "",
                "publicised_on": _iso(record.publicised_on) if record else "",
                "objection": (record.objection or "") if record else "",
                "signed_on": _iso(record.signed_on) if record else "",
                "new_household": bool(record.new_household) if record else False},
        })
    for period in periods:
        period["related"] = [{"campaign": other["campaign"], "archive_code": other["archive_code"]}
                             for other in periods if other is not period and other["archive_code"]]
    return periods
