"""The digital part of a transfer: a BagIt bag (RFC 8493, written with ``bagit``) holding a
batch's scans arranged by 档号 and the catalogue as CSV and JSON — and, at the county
archive, receiving such a bag into its own database (which holds many townships).

A bag is built under ``<name>.part`` and renamed only when complete, so an interrupted run
leaves no half bag that looks whole. Receiving validates the bag first (a changed byte or a
missing file is refused, naming the file) and is idempotent: the same bag twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from archive_tui.core.states import BatchStatus, FileStatus, ItemStatus, PageStatus
from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.paths import safe_file_name, safe_part
from archive_tui.core.privacy import private_dir, private_file
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.db import rows_where_in
from archive_tui import audit
from archive_tui.services.registers import kept_forms
from archive_tui.services.transfers.bag_catalogue import FORMAT, parse_catalogue, read_catalogue_json
from archive_tui.services.transfers.bag_checks import check_bag
from archive_tui.services.transfers.bag_files import CATALOGUE, _special_files, bound_digest, tag_digest
from archive_tui.services.transfers.batch_records import campaign_content, campaign_order, find_batch
from archive_tui.services.transfers.transfer_forms import keep_papers
from models.tables import now
from archive_tui.db.tables import (
    COPY, DOCUMENT, FILE, HOUSEHOLD, ISSUER, RECORD_ITEM as RECORD, SCAN, TRANSFER, TRANSFER_ITEM as ITEM,
)
from archive_tui.scanning.probe import sha256_of
from archive_tui.services.intake.scans import ITEMS_FOLDER, copy_verified, free_path, relative_path, store_target
from archive_tui.services.registers.record_items import EVENT

RECEIVING = "_receiving"  # in the store: a receive's pages until its rows commit
JOURNAL = "moving.json"


def _processes() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# ---- building ----------------------------------------------------------------------------------

def _catalogue(engine: Engine, config: Config, batch) -> list[dict]:
    """Every file of the batch with its household, documents and linked pages."""
    with engine.connect() as connection:
        files = connection.execute(
            select(FILE, HOUSEHOLD.c.code.label("cbfbm"), HOUSEHOLD.c.name.label("household"),
                   HOUSEHOLD.c.contractor_type, ISSUER.c.code.label("issuer_code"),
                   ISSUER.c.name.label("issuer_name"), ISSUER.c.village_code, ISSUER.c.village_name,
                   ISSUER.c.group_code)
            .join(COPY, COPY.c.archive_file_id == FILE.c.id).join(ITEM, ITEM.c.copy_id == COPY.c.id)
            .join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id).join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id)
            .where(ITEM.c.transfer_id == batch.id).order_by(FILE.c.archive_code)).all()
        ids = [f.id for f in files]
        documents, pages = {}, {}
        related = _related_files(connection, files)
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            for doc in connection.execute(select(DOCUMENT).where(DOCUMENT.c.archive_file_id.in_(chunk))
                                          .order_by(DOCUMENT.c.position)):
                documents.setdefault(doc.archive_file_id, []).append(doc)
            for page in connection.execute(
                    select(SCAN, DOCUMENT.c.doc_type).outerjoin(DOCUMENT, DOCUMENT.c.id == SCAN.c.document_id)
                    .where(SCAN.c.archive_file_id.in_(chunk), SCAN.c.status == PageStatus.LINKED).order_by(SCAN.c.seq)):
                pages.setdefault(page.archive_file_id, []).append(page)
    catalogue = []
    for f in files:
        catalogue.append({
            "archive_code": f.archive_code, "campaign": f.campaign, "related": related.get(f.id, []),
            "cbfbm": f.cbfbm, "household": f.household,
            "contractor_type": f.contractor_type, "issuer_code": f.issuer_code, "issuer_name": f.issuer_name,
            "village_code": f.village_code, "village_name": f.village_name, "group_code": f.group_code,
            "title": f.title, "year": f.year, "retention": f.retention, "volume_no": f.volume_no,
            "page_count": f.page_count,
            "documents": [{"doc_type": d.doc_type, "title": d.title, "position": d.position,
                           "page_count": d.page_count, "doc_number": d.doc_number, "responsible": d.responsible,
                           "dated": d.dated.isoformat() if d.dated else None, "remark": d.remark}
                          for d in documents.get(f.id, [])],
            "pages": [{"seq": p.seq, "doc_type": p.doc_type, "store_path": p.store_path,
                       "path": f"scans/{f.archive_code}/{Path(p.store_path).name}", "sha256": p.sha256,
                       "size": p.size, "format": p.format, "dpi": p.dpi, "colour_mode": p.colour_mode,
                       "width": p.width, "height": p.height} for p in pages.get(f.id, [])],
        })
    return catalogue


def _related_files(connection, files: list) -> dict[int, list[dict]]:
    """Per file of the batch: its 相关案卷, the household's files of the other campaigns (campaign, 档号)."""
    households: dict[int, list[dict]] = {}
    for row in rows_where_in(connection, [FILE.c.household_id, FILE.c.campaign, FILE.c.archive_code],
                             FILE.c.household_id, sorted({f.household_id for f in files}),
                             order_by=FILE.c.archive_code):
        households.setdefault(row.household_id, []).append({"campaign": row.campaign,
                                                            "archive_code": row.archive_code})
    return {f.id: [other for other in households.get(f.household_id, []) if other["campaign"] != f.campaign]
            for f in files}


def _item_catalogue(engine: Engine, batch) -> list[dict]:
    """The batch's 综合档案 items with their linked pages (in the bag under ``items/<档号>/``)."""
    with engine.connect() as connection:
        items = connection.execute(select(RECORD).join(ITEM, ITEM.c.record_item_id == RECORD.c.id)
                                   .where(ITEM.c.transfer_id == batch.id).order_by(RECORD.c.archive_code)).all()
        pages: dict[int, list] = {}
        for page in connection.execute(select(SCAN).where(
                SCAN.c.record_item_id.in_([item.id for item in items]), SCAN.c.status == PageStatus.LINKED)
                .order_by(SCAN.c.seq, SCAN.c.id)):
            pages.setdefault(page.record_item_id, []).append(page)
    return [{"archive_code": item.archive_code, "year": item.year, "retention": item.retention,
             "piece_no": item.piece_no, "item_type": item.item_type, "title": item.title,
             "responsible": item.responsible, "doc_number": item.doc_number,
             "dated": item.dated.isoformat() if item.dated else None, "pages": item.pages, "carrier": item.carrier,
             "remark": item.remark, "box": item.box,
             "page_files": [{"seq": p.seq, "doc_type": None, "store_path": p.store_path,
                             "path": f"items/{safe_part(item.archive_code)}/{Path(p.store_path).name}",
                             "sha256": p.sha256, "size": p.size, "format": p.format, "dpi": p.dpi,
                             "colour_mode": p.colour_mode, "width": p.width, "height": p.height}
                            for p in pages.get(item.id, [])]}
            for item in items]


def _as_entries(items: list[dict]) -> list[dict]:
    """Items in the shape the page copying and checking take (``pages`` = the page files)."""
    return [{"archive_code": item["archive_code"], "pages": item["page_files"]} for item in items]


def _split(catalogue: list[dict], max_bytes: int | None) -> list[list[dict]]:
    """Files into bags of at most ``max_bytes`` of scans (a file is never split)."""
    if not max_bytes:
        return [catalogue]
    bags, current, size = [], [], 0
    for entry in catalogue:
        entry_size = sum(page["size"] for page in entry["pages"])
        if current and size + entry_size > max_bytes:
            bags.append(current)
            current, size = [], 0
        current.append(entry)
        size += entry_size
    return bags + [current] if current else bags


def _write_catalogue(folder: Path, header: dict, files: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalogue.json").write_text(json.dumps({**header, "files": files}, ensure_ascii=False,
                                                      separators=(",", ":")), encoding="utf-8")
    tables = {
        "households": (["cbfbm", "household", "issuer_code", "issuer_name", "village_code", "village_name"],
                       [[f[k] for k in ("cbfbm", "household", "issuer_code", "issuer_name", "village_code",
                                        "village_name")] for f in files]),
        "files": (["archive_code", "cbfbm", "title", "year", "retention", "volume_no", "page_count", "campaign",
                   "related"],
                  [[*(f[k] for k in ("archive_code", "cbfbm", "title", "year", "retention", "volume_no",
                                     "page_count", "campaign")),
                    "、".join(other["archive_code"] for other in f["related"])] for f in files]),
        "documents": (["archive_code", "doc_type", "title", "position", "page_count"],
                      [[f["archive_code"], d["doc_type"], d["title"], d["position"], d["page_count"]]
                       for f in files for d in f["documents"]]),
        "pages": (["archive_code", "seq", "doc_type", "path", "sha256", "size", "format", "dpi"],
                  [[f["archive_code"], p["seq"], p["doc_type"] or "", p["path"], p["sha256"], p["size"], p["format"],
                    p["dpi"]] for f in files for p in f["pages"]]),
    }
    if header.get("items"):
        tables["items"] = (["archive_code", "year", "retention", "piece_no", "title", "responsible", "doc_number",
                            "dated", "pages", "carrier", "box"],
                           [[i[k] or "" for k in ("archive_code", "year", "retention", "piece_no", "title",
                                                  "responsible", "doc_number", "dated", "pages", "carrier", "box")]
                            for i in header["items"]])
    for name, (columns, rows) in tables.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(rows)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another disk, or a file system without hard links
        shutil.copyfile(source, target)


def _copy_pages(config: Config, bag: Path, files: list[dict], link: bool = False) -> None:
    """Copy the store's pages into the bag, a few at a time (the copies are checked by hash later).
    With ``link``, pages are hard-linked where the bag is on the store's disk: no data is written,
    but the bag's files are the store's — copy the bag elsewhere, never edit inside it."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = []
    for entry in files:
        if entry["pages"]:
            (bag / Path(entry["pages"][0]["path"]).parent).mkdir(parents=True, exist_ok=True)
        for page in entry["pages"]:
            source = config.root / page["store_path"]
            if not source.is_file():
                raise ArchiveError(f"存储库中缺少扫描件 {page['store_path']}（{entry['archive_code']}），"
                                   "请先运行 archive-tui scans verify")
            jobs.append((source, bag / page["path"]))
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _done in pool.map(lambda job: (_link_or_copy if link else shutil.copyfile)(*job), jobs):
            pass


@use_case(Permission.WRITE, "打包移交")
def package(ctx: ArchiveContext, number: str, out: Path, *, max_bytes: int | None = None,
            processes: int | None = None, link: bool = False, record: bool = True) -> list[Path]:
    """Write the batch's bag(s) into ``out``; returns their folders. Split by ``max_bytes`` of scans
    into several bags of one group (Bag-Group-Identifier, Bag-Count). ``record=False``: a bag
    made only to be checked, not the one the 交接文据 states."""
    engine, config = ctx.engine, ctx.config
    import bagit  # loaded late: bagit, only when packaging

    with engine.connect() as connection:
        batch = find_batch(connection, number)
    if batch.status == BatchStatus.RETURNED:
        raise ArchiveError(f"移交批次 {batch.batch_no} 已退回，不再打包")
    catalogue, items = _catalogue(engine, config, batch), _item_catalogue(engine, batch)
    if not catalogue and not items:
        raise ArchiveError(f"移交批次 {batch.batch_no} 中还没有案卷")
    groups = _split(catalogue, max_bytes) or [[]]
    names = [safe_part(batch.batch_no if len(groups) == 1 else f"{batch.batch_no}-{i}of{len(groups)}")
             for i in range(1, len(groups) + 1)]
    taken = [name for name in names if (out / name).exists()]
    if taken:
        raise ArchiveError(f"{out} 中已有 {'、'.join(taken)}，未覆盖；请换一个文件夹或先移走")
    settings = config.settings
    content = "、".join(campaign_content(config, campaign) for campaign in campaign_order(
        config, [entry["campaign"] for entry in catalogue] or [PRIMARY_CAMPAIGN]))
    written, summaries = [], []
    for index, (name, files) in enumerate(zip(names, groups), start=1):
        partial = out / f"{name}.part"
        if partial.exists():
            shutil.rmtree(partial)  # left by an interrupted run: built again from the store
        bag_items = items if index == 1 else []  # the items travel in the first bag
        _copy_pages(config, partial, files + _as_entries(bag_items), link)
        header = {"format": FORMAT, "batch": batch.batch_no, "bag": index, "bags": len(groups), "level": batch.level,
                  "to": batch.to_name, "township": {"code": settings.township.code, "name": settings.township.name},
                  "county": {"code": settings.county.code, "name": settings.county.name},
                  "fonds": {"code": settings.archive.fonds_code, "name": settings.archive.fonds_name},
                  "items": bag_items}
        _write_catalogue(partial / CATALOGUE, header, files)
        info = {"Source-Organization": settings.township.name, "External-Identifier": batch.batch_no,
                "External-Description": f"{settings.township.name}{content}数字化成果",
                "Contact-Name": ctx.operator}
        if len(groups) > 1:
            info.update({"Bag-Group-Identifier": batch.batch_no, "Bag-Count": f"{index} of {len(groups)}"})
        bag = bagit.make_bag(str(partial), info, processes=processes or _processes(), checksums=["sha256"])
        _check_against_store(bag, files + _as_entries(bag_items))
        _private_tree(partial)
        summaries.append(bag_summary(partial, name))
        os.replace(partial, out / name)
        written.append(out / name)
    if not record:
        return written
    with kept_forms.keeping() as keeping, engine.begin() as connection:  # the 交接文据 states these figures
        kept = []
        if find_batch(connection, batch.batch_no).status == BatchStatus.SENT:  # its papers are kept: again, packaged
            kept = keep_papers(connection, ctx, keeping, batch.batch_no, "package", packaged=summaries)
        audit.record(connection, operator=ctx.operator, action="transfer.package", entity="transfer",
                     key=batch.batch_no, after={"bags": summaries, **({"kept": kept_forms.in_event(kept)}
                                                                        if kept else {})})
        if kept:
            kept_forms.bind(connection, kept)
    return written


def bag_summary(folder: Path, name: str) -> dict:
    """A bag's files, bytes (its Payload-Oxum) and digest: the SHA-256 of its tag manifest,
    which names every manifest, which names every file — one value for the signed paper."""
    oxum = ""
    for line in (folder / "bag-info.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("Payload-Oxum:"):
            oxum = line.split(":", 1)[1].strip()
    size, _dot, count = oxum.partition(".")
    tag = folder / "tagmanifest-sha256.txt"
    return {"name": name, "files": int(count or 0), "bytes": int(size or 0), "sha256": sha256_of(tag)[0],
            "sm3": tag_digest(tag, "SM3")}


def _private_tree(folder: Path) -> None:
    """A bag holds ID-card copies and names: readable by its owner only."""
    for path in folder.rglob("*"):
        if path.is_dir():
            private_dir(path)
        else:
            private_file(path)
    private_dir(folder)


def _check_against_store(bag, files: list[dict]) -> None:
    """The hashes bagit computed for the copies must be those recorded at intake."""
    computed = {path: hashes["sha256"] for path, hashes in bag.entries.items() if path.startswith("data/")}
    wrong = [page["store_path"] for entry in files for page in entry["pages"]
             if computed.get(f"data/{page['path']}") != page["sha256"]]
    if wrong:
        raise ArchiveError(f"{len(wrong)} 个扫描件与收件时的校验值不符，未生成移交包；请运行 archive-tui scans verify",
                           details=wrong)


# ---- receiving (the county side) ---------------------------------------------------------------

@dataclass
class ReceiveResult:
    batch: str
    files: int = 0
    new_files: int = 0
    pages: int = 0
    new_pages: int = 0
    new_items: int = 0
    failed_checks: list[str] = field(default_factory=list)  # 四性检测 items let through with --override

    @property
    def changed(self) -> bool:
        return bool(self.new_files or self.new_pages or self.new_items)


def _validate(path: Path):
    import bagit  # loaded late: bagit, only when packaging

    special = _special_files(path)
    if special:
        raise ArchiveError(f"移交包 {path.name} 中有不是普通文件的项目（链接、管道或设备），未接收",
                           details=[f"  - {name}" for name in special[:20]])
    try:
        bag = bagit.Bag(str(path))
    except bagit.BagError as error:
        raise ArchiveError(f"{path} 不是有效的 BagIt 移交包：{error}") from None
    try:
        bag.validate(processes=_processes())
    except bagit.BagValidationError as error:
        details = []
        for detail in getattr(error, "details", None) or []:
            if isinstance(detail, bagit.ChecksumMismatch):
                details.append(f"文件 {detail.path} 的校验值不符（内容被改动）")
            elif isinstance(detail, bagit.FileMissing):
                details.append(f"缺少文件 {detail.path}")
            elif isinstance(detail, bagit.UnexpectedFile):
                details.append(f"清单之外多出文件 {detail.path}")
            else:
                details.append(str(detail))
        raise ArchiveError(f"移交包 {path.name} 校验失败，未接收", details=details or _fixity(bag, error)) from None
    return bag


def _fixity(bag, error) -> list[str]:
    """Name the files when bagit stopped at the payload count (Payload-Oxum) without naming
    them: every file against the manifest, changed, missing and extra ones."""
    listed = {entry: hashes.get("sha256") for entry, hashes in bag.entries.items() if entry.startswith("data/")}
    present = set(bag.payload_files())
    found = [f"缺少文件 {entry}" for entry in sorted(set(listed) - present)]
    found += [f"清单之外多出文件 {entry}" for entry in sorted(present - set(listed))]
    root = Path(bag.path)
    found += [f"文件 {entry} 的校验值不符（内容被改动）" for entry in sorted(present & set(listed))
              if sha256_of(root / entry)[0] != listed[entry]]
    return found or [f"包内文件数或字节数与 bag-info.txt 的 Payload-Oxum 不符：{error}"]


def _read_catalogue(path: Path) -> dict:
    try:
        data = read_catalogue_json(path / "data" / CATALOGUE / "catalogue.json")
    except ValueError as error:
        raise ArchiveError(f"移交包 {path.name} 的目录 catalogue.json {error}，未接收") from None
    return parse_catalogue(data, path.name).model_dump()


@use_case(Permission.WRITE, "接收移交")
def receive(ctx: ArchiveContext, path: Path, digest: str | None = None, override: str = "",
            progress: Callable[[int, int], None] | None = None) -> ReceiveResult:
    """接收 a bag at the county archive: validate it, then take in its catalogue and scans.

    The bag is untrusted: special files are refused, its fixity checked file by file, its
    catalogue checked value by value, its 档号 and batch number checked against what this
    archive already holds. Pages are copied into a staging folder and moved into the store
    when the rows are written (what a killed run left is cleaned up by the next one).
    Receiving the same bag again changes nothing.

    The bag must pass the same 四性检测 as ``transfers check`` (an extra file in its manifest, a
    档号 catalogued twice…); ``override`` (a reason, kept in the audit log with the failed items)
    takes in one that does not."""
    engine, config = ctx.engine, ctx.config
    path = Path(path)
    if not path.is_dir():
        raise ArchiveError(f"找不到移交包文件夹 {path}")
    expected = bound_digest(digest) if digest else None
    _validate(path)
    if expected is not None:
        algorithm, value = expected
        actual = tag_digest(path / "tagmanifest-sha256.txt", algorithm)
        if actual != value:
            raise ArchiveError(f"移交包 {path.name} 的 {algorithm} 摘要 {actual} 与交接文据上的 {value} 不符："
                               "包在签字之后被改动或不是签字时的那一个，未接收（身份未经证实）")
    catalogue = _read_catalogue(path)
    failed = _failed_checks(path, config, digest, override, progress)
    staging = config.store / RECEIVING / safe_part(path.name)
    _clean_receiving(engine, config, staging)
    result = ReceiveResult(catalogue["batch"], failed_checks=failed)
    moves: list[tuple[Path, Path]] = []
    moved: list[Path] = []
    try:
        with engine.begin() as connection:
            batch_id = _receive_batch(connection, ctx, catalogue)
            for entry in catalogue["files"]:
                result.files += 1
                file_id, new_file = _receive_file(connection, config, entry)
                result.new_files += new_file
                copy_id = _receive_copy(connection, config, file_id, catalogue["level"])
                _listed_as_received(connection, batch_id, "copy_id", copy_id)
                for page in entry["pages"]:
                    _staged(result, moves, _receive_page(connection, config, path, staging, entry, file_id, page,
                                                         {final for _staged_, final in moves}))
            for item in catalogue["items"]:
                item_id, new_item = _receive_item(connection, ctx, catalogue, item)
                result.new_items += new_item
                _listed_as_received(connection, batch_id, "record_item_id", item_id)
                for page in item["page_files"]:
                    _staged(result, moves, _receive_item_page(connection, config, path, staging, item, item_id, page,
                                                              {final for _staged_, final in moves}))
            if result.changed:
                checks = {"四性检测": "通过"} if not failed else {"四性检测": "不通过", "不通过项": failed,
                                                                 "放行理由": override.strip()}
                audit.record(connection, operator=ctx.operator, action="transfer.receive", entity="transfer",
                             key=result.batch, after={"files": result.new_files, "items": result.new_items,
                                                      "pages": result.new_pages,
                                                      "bag": path.name, **checks})
            _journal(staging, [final for _staged, final in moves])
            for staged, final in moves:  # into the store as the rows commit
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, final)
                moved.append(final)
    except BaseException:
        for final in moved:  # the rows were not committed: take the pages back out of the store
            final.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _failed_checks(path: Path, config: Config, digest: str | None, override: str,
                   progress: Callable[[int, int], None] | None) -> list[str]:
    """The 四性检测 items the bag fails (``code 名称``); a refusal listing them unless overridden."""
    report = check_bag(path, config, digest=digest, progress=progress)
    failed = [f"{item.code} {item.name}" for item in report.failed]
    if failed and not override.strip():
        details = [f"  - {item.code} {item.name}：{'；'.join(item.details[:3]) or '不通过'}" for item in report.failed]
        raise ArchiveError(f"移交包 {path.name} 未通过四性检测（{len(failed)} 项不通过），未接收；"
                           "核实后确需接收的，可加 --override 理由（理由记入审计日志）", details=details)
    return failed


def _listed_as_received(connection, batch_id: int, column: str, value: int) -> None:
    """The copy or item is on the received batch's list (once, however often the bag comes)."""
    if not connection.execute(select(ITEM.c.id).where(ITEM.c.transfer_id == batch_id, ITEM.c[column] == value)).first():
        connection.execute(ITEM.insert().values(transfer_id=batch_id, result="received", override_reason="", note="",
                                                **{column: value}))


def _staged(result: ReceiveResult, moves: list, move: tuple[Path, Path] | None) -> None:
    """Count one page of the bag; a new one (staged, final) joins the moves into the store."""
    result.pages += 1
    if move is not None:
        moves.append(move)
        result.new_pages += 1


def _journal(staging: Path, finals: list[Path]) -> None:
    """The store paths this run is about to fill: a killed run's next run removes those that
    no committed row names."""
    staging.mkdir(parents=True, exist_ok=True)
    (staging / JOURNAL).write_text(json.dumps([str(final) for final in finals], ensure_ascii=False), encoding="utf-8")


def _clean_receiving(engine: Engine, config: Config, staging: Path) -> None:
    """What an interrupted receive left: its staged copies, and pages it moved into the store
    for rows that were never committed. Other runs' folders are left unless a day old."""
    root = config.store / RECEIVING
    if not root.is_dir():
        return
    day_ago = time.time() - 86_400
    for folder in root.iterdir():
        if folder != staging and (not folder.is_dir() or folder.stat().st_mtime > day_ago):
            continue
        journal = folder / JOURNAL
        if journal.is_file():
            try:
                finals = [Path(text) for text in json.loads(journal.read_text(encoding="utf-8"))]
            except (OSError, ValueError):
                finals = []
            with engine.connect() as connection:
                recorded = {row for (row,) in rows_where_in(connection, [SCAN.c.store_path], SCAN.c.store_path,
                                                            [relative_path(final, config) for final in finals])}
            for final in finals:
                if relative_path(final, config) not in recorded and final.resolve().is_relative_to(
                        config.store.resolve()):
                    final.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def _receive_batch(connection, ctx: ArchiveContext, catalogue: dict) -> int:
    found = connection.execute(select(TRANSFER.c.id, TRANSFER.c.status).where(
        TRANSFER.c.batch_no == catalogue["batch"])).first()
    if found is not None:
        if found.status != BatchStatus.RECEIVED:
            raise ArchiveError(f"本档案已有批次号为“{catalogue['batch']}”的移交批次（状态：{found.status}），"
                               "它不是接收来的：未接收该移交包")
        return found.id
    return connection.execute(TRANSFER.insert().values(
        batch_no=catalogue["batch"], to_name=ctx.config.settings.county.archive_name,
        note=f"由{catalogue['township']['name']}移交", status=BatchStatus.RECEIVED, level=catalogue["level"],
        operator=ctx.operator, closed_by=ctx.operator, closed_at=now())).inserted_primary_key[0]


def _receive_file(connection, config: Config, entry: dict) -> tuple[int, bool]:
    """The file of the bag held here (received before), or a new one of its campaign (确权, 延包 …):
    a household has one file per campaign, the 档号 of the other campaigns' its 相关案卷."""
    campaign = entry.get("campaign") or PRIMARY_CAMPAIGN
    found = connection.execute(
        select(FILE.c.id, FILE.c.campaign, HOUSEHOLD.c.code).join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
        .where(FILE.c.archive_code == entry["archive_code"])).first()
    if found is not None:
        if found.code != entry["cbfbm"]:
            raise ArchiveError(f"档号“{entry['archive_code']}”在本档案中属于承包方 {found.code}，包中却是承包方 "
                               f"{entry['cbfbm']}：两个乡镇可能用了相同的全宗号或档号，未接收该移交包")
        if found.campaign != campaign:
            raise ArchiveError(f"档号“{entry['archive_code']}”在本档案中是{found.campaign}卷，包中却是{campaign}卷："
                               "未接收该移交包")
        return found.id, False
    held = connection.execute(
        select(FILE.c.archive_code).join(HOUSEHOLD, HOUSEHOLD.c.id == FILE.c.household_id)
        .where(HOUSEHOLD.c.code == entry["cbfbm"], FILE.c.campaign == campaign)).scalar()
    if held is not None:
        raise ArchiveError(f"承包方 {entry['cbfbm']} 在本档案中已有{campaign}卷 {held}，"
                           f"包中为 {entry['archive_code']}：一户在{campaign}阶段只有一卷，未接收该移交包")
    issuer = connection.execute(select(ISSUER.c.id).where(ISSUER.c.code == entry["issuer_code"])).scalar()
    if issuer is None:
        issuer = connection.execute(ISSUER.insert().values(
            code=entry["issuer_code"], name=entry["issuer_name"], village_code=entry["village_code"],
            village_name=entry["village_name"], group_code=entry["group_code"])).inserted_primary_key[0]
    household = connection.execute(select(HOUSEHOLD.c.id).where(HOUSEHOLD.c.code == entry["cbfbm"])).scalar()
    if household is None:
        household = connection.execute(HOUSEHOLD.insert().values(
            code=entry["cbfbm"], issuer_id=issuer, name=entry["household"],
            contractor_type=entry["contractor_type"])).inserted_primary_key[0]
    file_id = connection.execute(FILE.insert().values(
        household_id=household, archive_code=entry["archive_code"], volume_no=entry["volume_no"], title=entry["title"],
        year=entry["year"], retention=entry["retention"], page_count=entry["page_count"], campaign=campaign,
        status=FileStatus.FILED,
        created_at=now())).inserted_primary_key[0]
    for doc in entry["documents"]:
        connection.execute(DOCUMENT.insert().values(
            archive_file_id=file_id, doc_type=doc["doc_type"], position=doc["position"], title=doc["title"],
            doc_number=doc["doc_number"], responsible=doc["responsible"], page_count=doc["page_count"],
            remark=doc["remark"], signed_by_proxy=False))
    return file_id, True


def _receive_item(connection, ctx: ArchiveContext, catalogue: dict, item: dict) -> tuple[int, bool]:
    """A 综合档案 item of the bag: the one held under its 档号 (the same item received before), or a
    new one of the sending township's fonds, in this archive's keeping."""
    fonds = catalogue["fonds"]["code"]
    found = connection.execute(select(RECORD).where(RECORD.c.archive_code == item["archive_code"])).first()
    if found is not None:
        if (found.fonds_code, found.year, found.piece_no, found.title) != (
                fonds, item["year"], item["piece_no"], item["title"]):
            raise ArchiveError(f"档号“{item['archive_code']}”在本档案中已是另一件综合档案（全宗 {found.fonds_code}，"
                               f"{found.year} 年度第 {found.piece_no} 件《{found.title}》）：未接收该移交包")
        return found.id, False
    clash = connection.execute(select(RECORD.c.archive_code).where(
        RECORD.c.fonds_code == fonds, RECORD.c.year == item["year"], RECORD.c.retention == item["retention"],
        RECORD.c.piece_no == item["piece_no"])).scalar()
    if clash is not None:
        raise ArchiveError(f"全宗 {fonds} {item['year']} 年度{item['retention']}第 {item['piece_no']} 件在本档案中"
                           f"已是 {clash}，包中却是 {item['archive_code']}：未接收该移交包")
    dated = dt.date.fromisoformat(item["dated"]) if isinstance(item["dated"], str) else item["dated"]
    item_id = connection.execute(RECORD.insert().values(
        archive_code=item["archive_code"], fonds_code=fonds, year=item["year"], retention=item["retention"],
        piece_no=item["piece_no"], item_type=item["item_type"], title=item["title"],
        responsible=item["responsible"], doc_number=item["doc_number"], dated=dated, pages=item["pages"],
        carrier=item["carrier"], remark=item["remark"], box=item["box"], location="", status=ItemStatus.FILED,
        operator=ctx.operator, created_at=now())).inserted_primary_key[0]
    connection.execute(EVENT.insert().values(
        record_item_id=item_id, action="transfer", before="{}", after=json.dumps({"status": ItemStatus.FILED}),
        reason=f"接收 {catalogue['batch']}（{catalogue['township']['name']}移交）", operator=ctx.operator))
    return item_id, True


def _receive_item_page(connection, config: Config, bag: Path, staging: Path, item: dict, item_id: int, page: dict,
                       taken: set[Path]) -> tuple[Path, Path] | None:
    """Like a household page: staged, verified, its row under the item."""
    source = _inside_bag(bag, page["path"])
    known = connection.execute(select(SCAN.c.id).where(SCAN.c.sha256 == page["sha256"],
                                                       SCAN.c.status == PageStatus.LINKED,
                                                       SCAN.c.record_item_id == item_id)).first()
    if known is not None:
        return None
    folder = config.store / ITEMS_FOLDER / safe_part(item["archive_code"])
    final = free_path(folder / safe_file_name(f"{item['archive_code']}-{page['seq'] or 0:04d}{source.suffix}"))
    while final in taken:
        final = final.with_name(f"{final.stem}~{len(taken) + 2}{final.suffix}")
    staged = staging / f"{len(taken):06d}{final.suffix}"
    copy_verified(source, staged, page["sha256"])
    connection.execute(SCAN.insert().values(
        archive_file_id=None, document_id=None, record_item_id=item_id, store_path=relative_path(final, config),
        source_name=safe_file_name(Path(page["path"]).name), sha256=page["sha256"], size=page["size"],
        format=page["format"], width=page["width"], height=page["height"], dpi=page["dpi"],
        colour_mode=page["colour_mode"], page_index=0, seq=page["seq"], status=PageStatus.LINKED, reason=""))
    return staged, final


def _inside_bag(bag: Path, relative: str) -> Path:
    source = bag / "data" / relative
    if not source.resolve().is_relative_to((bag / "data").resolve()) or not source.is_file():
        raise ArchiveError(f"移交包中的路径 {relative} 指向包外或不是文件，已拒收")
    return source


def _receive_copy(connection, config: Config, file_id: int, level: str) -> int:
    found = connection.execute(select(COPY.c.id).where(COPY.c.archive_file_id == file_id,
                                                       COPY.c.level == level)).first()
    if found is not None:
        return found.id
    return connection.execute(COPY.insert().values(
        archive_file_id=file_id, level=level, holder=config.settings.county.archive_name, keeper="",
        status=FileStatus.TRANSFERRED)).inserted_primary_key[0]


def _receive_page(connection, config: Config, bag: Path, staging: Path, entry: dict, file_id: int, page: dict,
                  taken: set[Path]) -> tuple[Path, Path] | None:
    """Copy one page into the staging folder (verified) and link it under its place in the
    store; (staged, final), or None when the page is here already."""
    source = _inside_bag(bag, page["path"])
    known = connection.execute(select(SCAN.c.id).where(SCAN.c.sha256 == page["sha256"],
                                                       SCAN.c.status == PageStatus.LINKED,
                                                       SCAN.c.archive_file_id == file_id)).first()
    if known is not None:
        return None
    final = store_target(config, village=entry["village_name"] or entry["village_code"],
                         archive_code=entry["archive_code"], cbfbm=entry["cbfbm"], doc=page["doc_type"] or "",
                         seq=page["seq"] or 0, ext=Path(page["path"]).suffix)
    final = free_path(final)
    while final in taken:  # two pages of this bag on one name: the next free one
        final = final.with_name(f"{final.stem}~{len(taken) + 2}{final.suffix}")
    staged = staging / f"{len(taken):06d}{final.suffix}"
    copy_verified(source, staged, page["sha256"])
    document = connection.execute(select(DOCUMENT.c.id).where(DOCUMENT.c.archive_file_id == file_id,
                                                              DOCUMENT.c.doc_type == page["doc_type"])).scalar()
    connection.execute(SCAN.insert().values(
        archive_file_id=file_id, document_id=document, store_path=relative_path(final, config),
        source_name=safe_file_name(Path(page["path"]).name), sha256=page["sha256"], size=page["size"],
        format=page["format"], width=page["width"], height=page["height"], dpi=page["dpi"],
        colour_mode=page["colour_mode"], page_index=0, seq=page["seq"], status=PageStatus.LINKED, reason=""))
    return staged, final
