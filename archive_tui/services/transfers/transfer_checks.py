"""四性检测 of a batch or a bag folder as a use case: a batch of this archive is packaged aside
(hard links) and checked, a bag folder is checked where it lies (``bag_checks``); the report and
the 电子档案移交与接收登记表 (DA/T 93) are rendered once (PDF, XLSX, JSON) and kept."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from archive_tui import audit
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.display import chinese_time
from archive_tui.core.errors import ArchiveError
from archive_tui.core.roles import Permission
from archive_tui.services.registers import kept_forms
from archive_tui.services.transfers.bag_catalogue import read_catalogue_json
from archive_tui.services.transfers.bag_checks import Report, check_bag
from archive_tui.services.transfers.batch_records import campaign_content, campaign_order, find_batch
from archive_tui.services.transfers.transfer_bags import package
from archive_tui.services.use_cases import ArchiveContext, use_case

GB = 1024 ** 3
FORMATS = (".pdf", ".xlsx", ".json")


def sending_unit(catalogue: dict, config: Config) -> str:
    """移交单位 as every form names it: this township's full name (``[township] full_name``), or
    for another township's bag its county + township + 人民政府 as its catalogue names them."""
    township = catalogue.get("township") if isinstance(catalogue.get("township"), dict) else {}
    county = catalogue.get("county") if isinstance(catalogue.get("county"), dict) else {}
    if not township or str(township.get("code", "")) == config.settings.township.code:
        return config.settings.township_full_name
    name = str(township.get("name", ""))
    return f"{county.get('name', '')}{name}人民政府" if name and not name.endswith("人民政府") else name


def register_rows(report: Report, catalogue: dict | None, config: Config, carrier: str) -> list[tuple[str, str]]:
    """电子档案移交与接收登记表 (DA/T 93): counts, volume, carrier, the four results, the digest."""
    catalogue = catalogue or {}
    files, items = catalogue.get("files", []), catalogue.get("items", [])
    pages = sum(len(entry.get("pages", [])) for entry in files) + sum(len(i.get("page_files", [])) for i in items)
    results = report.by_property()
    campaigns = campaign_order(config, [str(entry.get("campaign") or PRIMARY_CAMPAIGN) for entry in files
                                        if isinstance(entry, dict)])
    content = ("、".join(campaign_content(config, campaign) for campaign in campaigns) + "（每户每个工作阶段一卷）"
               if campaigns not in ([], [PRIMARY_CAMPAIGN]) else "农村土地承包经营权确权登记档案（一户一卷）")
    return [("移交单位", sending_unit(catalogue, config)), ("接收单位", str(catalogue.get("to", ""))),
            ("移交批次", str(catalogue.get("batch", ""))),
            ("内容", content + ("及综合档案（按件）" if items else "")),
            ("数量", f"案卷 {len(files)} 卷，综合档案 {len(items)} 件，扫描件 {pages} 页，文件 {report.files} 个"),
            ("数据量", f"{report.bytes / GB:.3f} GB（{report.bytes:,} 字节）"),
            ("载体", carrier or "网络或移动存储介质传输的 BagIt 移交包"),
            ("真实性检测", results["真实性"]), ("完整性检测", results["完整性"]), ("可用性检测", results["可用性"]),
            ("安全性检测", results["安全性"]),
            ("摘要", f"SHA-256（tagmanifest-sha256.txt）{report.digest}"),
            ("检测时间", chinese_time(report.checked_at))]


@use_case(Permission.WRITE, "四性检测")
def check_transfer(ctx: ArchiveContext, target: str, *, digest: str | None = None, carrier: str = "",
                   out: Path | None = None, progress: Callable[[int, int], None] | None = None) -> tuple[Report, dict]:
    """Check a bag folder, or a batch of this archive (its bag built aside with hard links, checked,
    then removed). The report and 登记表 are rendered once (PDF, XLSX, JSON) and kept, their
    SHA-256 in the check's audit event under the batch; ``out`` gets a copy of the kept one."""
    engine, config = ctx.engine, ctx.config
    if out is not None and Path(out).suffix.lower() not in FORMATS:
        raise ArchiveError(f"四性检测报告只能输出为 .pdf、.xlsx 或 .json：{Path(out).name}")
    path = Path(target)
    if path.is_dir():
        report = check_bag(path, config, digest=digest, progress=progress)
        catalogue = _catalogue_of(path)
    else:
        with engine.connect() as connection:
            batch = find_batch(connection, target)
        config.exports.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="四性检测-", dir=config.exports) as folder:
            bag = package(ctx, batch.batch_no, Path(folder), link=True, record=False)[0]
            report = check_bag(bag, config, digest=digest, progress=progress)
            catalogue = _catalogue_of(bag)
    register = register_rows(report, catalogue, config, carrier)
    batch_no = str((catalogue or {}).get("batch") or target)
    with tempfile.TemporaryDirectory(prefix="四性检测报告-") as folder:
        files = [write_report(Path(folder) / f"四性检测报告{suffix}", config, report, register) for suffix in FORMATS]
        with kept_forms.keeping() as keeping, engine.begin() as connection:
            kept = kept_forms.keep(connection, ctx, keeping, "check", batch_no, "checked", files)
            audit.record(connection, operator=ctx.operator, action="transfer.check", entity="transfer",
                         key=batch_no, after={
                             "bag": report.bag, "digest": report.digest, "properties": report.by_property(),
                             "failed": [item.code for item in report.failed],
                             "failed_items": [{"code": item.code, "name": item.name, "count": len(item.details)}
                                              for item in report.failed],
                             "checked_at": report.checked_at, "kept": kept_forms.in_event(kept)})
            kept_forms.bind(connection, kept)
    if out is not None:
        [chosen] = [entry for entry in kept if entry["file"].lower().endswith(Path(out).suffix.lower())]
        with engine.connect() as connection:
            row = connection.execute(kept_forms.KEPT.select().where(kept_forms.KEPT.c.id == chosen["id"])).one()
        kept_forms.copy_kept(config, row, Path(out))
    return report, dict(register)


def check_report(engine, config: Config, number: str, out: Path) -> Path:
    """The report of the batch's newest 四性检测, as kept when it ran (refused when none was run,
    or when the kept file was altered or is missing)."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ArchiveError(f"四性检测报告只能输出为 .pdf、.xlsx 或 .json：{out.name}")
    copied = kept_forms.reprint(engine, config, "check", number.strip(), out)
    if copied is None:
        raise ArchiveError(f"移交批次 {number.strip()} 还没有保存的四性检测报告：请先运行 archive-tui transfers check")
    return copied


def _catalogue_of(bag: Path) -> dict | None:
    try:
        return read_catalogue_json(bag / "data" / "catalogue" / "catalogue.json")
    except ValueError:
        return None


def write_report(out: Path, config: Config, report: Report, register: list[tuple[str, str]]) -> Path:
    """The report and 登记表: JSON and XLSX with every problem of every item, the PDF with each
    item's true count and its first problems."""
    out.parent.mkdir(parents=True, exist_ok=True)
    data = report.as_dict()
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps({**data, "register": dict(register)}, ensure_ascii=False, indent=1),
                       encoding="utf-8")
        return out
    from archive_tui.reports.bag_checks import DETAIL_COLUMNS, REPORT_COLUMNS, detail_rows, report_rows

    title = f"{config.settings.township.name}电子档案四性检测报告"
    problems = sum(item["count"] for item in data["items"])
    facts = [("移交包", report.bag), ("结论", report.conclusion("、")),
             ("问题", f"共 {problems:,} 处" if problems else "无"), ("检测时间", chinese_time(report.checked_at))]
    if out.suffix.lower() == ".xlsx":
        from archive_tui.reports.tables import TitledTable, write_titled_xlsx

        write_titled_xlsx(out, [
            TitledTable("四性检测", [title, *(f"{k}：{v}" for k, v in facts)], REPORT_COLUMNS,
                        report_rows(data["items"], listed=None)),
            TitledTable("问题明细", [f"{title}：问题明细（全部 {problems:,} 处）"], DETAIL_COLUMNS,
                        detail_rows(data["items"], limit=None)),
            TitledTable("登记表", ["电子档案移交与接收登记表"], ["项目", "内容"], [list(row) for row in register],
                        after=[[], ["移交单位（盖章）经办人：", "", "接收单位（盖章）经办人："]])])
        return out
    from archive_tui.reports.bag_checks import write_check_pdf
    from archive_tui.reports.fonts import font_of

    write_check_pdf(out, font_of(config), title, facts, data["items"], register, ["移交单位", "接收单位"])
    return out
