"""复制共享: the registration results copied for the natural-resources department (不动产统一登记).

A share is a folder ``exports/共享/<编号>/`` holding, for the households concerned:
- ``国家表.xlsx``: their rows of the NY/T 2539 tables (承包方、家庭成员、地块、合同、登记簿、证书 …);
- ``发证台账.xlsx``: their certificates with status, collection date and collector;
- ``扫描件/<档号>/``: the scanned pages of their 登记簿 and 承包合同, as filed (verified by SHA-256);
- ``资料清单.csv`` / ``资料清单.pdf``: every file with its size and SHA-256, counts per kind, and the
  digest of the CSV on the paper both sides sign (共同建立资料清单).

Personal data only as the purpose needs: the rights holders' names and ID numbers (the
contractor and its members: 不动产登记 records them) are kept; telephone numbers, the issuer
head's and the certificate collector's ID numbers are left out.

Incremental shares: ``since_share`` takes the households whose shared content (their table rows
and page digests) differs from what that share held, or that it did not hold — exact;
``since`` takes those with a dated change after the date (pages filed, certificate events,
corrections made here, files opened by an import, disputes) — a change that only a re-import
brought is seen by ``since_share``, not by ``since``. Each share is registered and audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from archive_tui.core.states import PageStatus
from archive_tui.core.roles import Permission
from archive_tui.services.use_cases import ArchiveContext, use_case
from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.db import rows_where_in, serialize_writers
from archive_tui.core.errors import ArchiveError
from archive_tui.core.paths import safe_file_name, safe_part
from archive_tui.core.privacy import private_file
from archive_tui.core.display import chinese_date
from archive_tui import audit
from archive_tui.services.registers import kept_forms
from archive_tui.services.exchange.exporting import collect_tables
from archive_tui.services.printed import unprinted_warnings
from archive_tui.services.households.filters import primary_file, village_filter
from models.tables import local_time
from archive_tui.db.tables import (
    AUDIT, CERTIFICATE, CERT_EVENT, DISPUTE, DISPUTE_EVENT, DOCUMENT, FILE, HOUSEHOLD, ISSUER, LOCAL_EDIT as EDIT,
    SCAN, SHARE, SHARE_HOUSEHOLD as SHARED,
)
from archive_tui.scanning.probe import sha256_of
from archive_tui.services.intake.scans import copy_verified
from archive_tui.services.registers.certificate_records import STATUS_LABELS

SHARED_DOCUMENTS = {"08": "登记簿", "07": "承包合同"}  # scanned pages that go with the tables
LEFT_OUT = {"FBF": ("FZRZJHM", "LXDH"), "CBF": ("LXDH",), "CBJYQZ": ("QZLQRZJHM",),
            "CBJYQZ_QZBF": ("BFLQRZJHM",), "CBJYQZ_QZHF": ("HFLQRZJHM",)}
LEDGER_COLUMNS = ["证书编码", "流水号", "承包方编码", "承包方", "村", "组", "状态", "领取日期", "领取人"]


@dataclass
class ShareRequest:
    to: str
    purpose: str = "不动产统一登记"
    village: str | None = None
    since: dt.date | None = None
    since_share: str | None = None


@dataclass
class ShareResult:
    number: str
    folder: Path
    households: int
    files: int
    bytes: int
    digest: str
    warnings: list[str] = field(default_factory=list)  # characters its 资料清单.pdf printed as □


def _households(connection: Connection, village: str | None) -> dict[int, tuple[str, str]]:
    """id → (承包方编码, 档号) of the households in scope."""
    query = (select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, FILE.c.archive_code)
             .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id).outerjoin(FILE, primary_file()))
    if village:
        query = query.where(village_filter(village))
    return {row.id: (row.code, row.archive_code or "") for row in connection.execute(query)}


def _tables_for(tables: dict, codes: set[str]) -> dict:
    """The national tables cut to the households ``codes``, personal data left out as documented."""
    def index(columns: list[str], name: str) -> int | None:
        return columns.index(name) if name in columns else None

    def keep(name: str, column: str, values: set[str]) -> None:
        columns, rows = tables[name]
        at = index(columns, column)
        out[name] = (columns, [row for row in rows if at is not None and row[at] in values])

    out: dict = {}
    for name in ("CBF", "CBF_JTCY", "CBDKXX", "CBHT", "CBJYQZDJB"):
        if name in tables:
            keep(name, "CBFBM", codes)
    parcels = {row[0] for row in out.get("CBDKXX", ([], []))[1]}
    certificates = {row[0] for row in out.get("CBJYQZDJB", ([], []))[1]}
    if "DK" in tables:
        keep("DK", "DKBM", parcels)
    for name in ("CBJYQZ", "CBJYQZ_QZBF", "CBJYQZ_QZHF", "CBJYQZ_QZZX", "QSLYZLFJ"):
        if name in tables:
            keep(name, "CBJYQZBM", certificates)
    if "FBF" in tables:
        keep("FBF", "FBFBM", {code[:14] for code in codes})
    for name, columns in LEFT_OUT.items():
        if name in out:
            header, rows = out[name]
            blank = [header.index(column) for column in columns if column in header]
            out[name] = (header, [[("" if i in blank else value) for i, value in enumerate(row)] for row in rows])
    return {name: out[name] for name in tables if name in out}


def _pages(connection: Connection, ids: list[int]) -> dict[int, list]:
    """Linked pages of the shared documents, per household id."""
    pages: dict[int, list] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for row in connection.execute(
                select(FILE.c.household_id, SCAN.c.store_path, SCAN.c.sha256, SCAN.c.size, DOCUMENT.c.doc_type)
                .join(FILE, FILE.c.id == SCAN.c.archive_file_id).join(DOCUMENT, DOCUMENT.c.id == SCAN.c.document_id)
                .where(FILE.c.household_id.in_(chunk), FILE.c.campaign == PRIMARY_CAMPAIGN,
                       SCAN.c.status == PageStatus.LINKED,
                       DOCUMENT.c.doc_type.in_(list(SHARED_DOCUMENTS))).order_by(SCAN.c.seq, SCAN.c.id)):
            pages.setdefault(row.household_id, []).append(row)
    return pages


def _content_hashes(tables: dict, households: dict[int, tuple[str, str]], pages: dict[int, list],
                    ledger: dict[int, list]) -> dict[int, str]:
    """Per household: a digest of all that is shipped of it — its rows in the shared tables, its
    rows of the 发证台账 (a certificate recalled here changes them, not the national tables) and
    its shared pages."""
    rows_of: dict[str, list] = {}
    parcel_owner, cert_owner = {}, {}
    for name, (columns, rows) in tables.items():
        for row in rows:
            record = dict(zip(columns, row))
            code = record.get("CBFBM") or parcel_owner.get(record.get("DKBM")) or cert_owner.get(
                record.get("CBJYQZBM"))
            if name == "CBDKXX":
                parcel_owner[record["DKBM"]] = record["CBFBM"]
            if name == "CBJYQZDJB":
                cert_owner[record["CBJYQZBM"]] = record["CBFBM"]
            if code:
                rows_of.setdefault(code, []).append([name, *map(str, row)])
    hashes = {}
    for household_id, (code, _archive_code) in households.items():
        digest = hashlib.sha256(json.dumps(rows_of.get(code, []), ensure_ascii=False).encode())
        digest.update(json.dumps(ledger.get(household_id, []), ensure_ascii=False, default=str).encode())
        for page in pages.get(household_id, []):
            digest.update(page.sha256.encode())
        hashes[household_id] = digest.hexdigest()
    return hashes


def _changed_since(connection: Connection, households: dict[int, tuple[str, str]], since: dt.date) -> set[int]:
    """Households (of ``households``: id → (code, 档号)) with a dated change on or after ``since``.
    Every query is bounded by the date, never by a list of the households (a county holds 100,000)."""
    start = dt.datetime.combine(since, dt.time.min).astimezone()  # the day as the archivist's clock has it
    code_of = {code: household_id for household_id, (code, _archive_code) in households.items()}
    primary = FILE.c.campaign == PRIMARY_CAMPAIGN  # what a share holds: the 确权 file's pages and certificates
    changed = set(connection.execute(select(FILE.c.household_id).join(SCAN, SCAN.c.archive_file_id == FILE.c.id)
                                     .where(primary, SCAN.c.created_at >= start)).scalars())
    changed |= set(connection.execute(select(FILE.c.household_id).where(primary, FILE.c.created_at >= start))
                   .scalars())
    changed |= set(connection.execute(select(CERTIFICATE.c.household_id).join(
        CERT_EVENT, CERT_EVENT.c.certificate_id == CERTIFICATE.c.id)
        .where(CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN, CERT_EVENT.c.recorded_at >= start)).scalars())
    changed |= set(connection.execute(select(DISPUTE.c.household_id).join(
        DISPUTE_EVENT, DISPUTE_EVENT.c.dispute_id == DISPUTE.c.id).where(DISPUTE_EVENT.c.recorded_at >= start))
        .scalars())
    keys = set(connection.execute(select(EDIT.c.entity_key).where(EDIT.c.recorded_at >= start)).scalars())
    keys |= set(connection.execute(select(AUDIT.c.entity_key).where(AUDIT.c.recorded_at >= start)).scalars())
    changed |= {code_of[key] for key in keys if key in code_of}
    return changed & set(households)


def find_share(connection: Connection, number: str):
    row = connection.execute(select(SHARE).where(SHARE.c.number == number.strip())).first()
    if row is None:
        raise ArchiveError(f"找不到共享编号“{number.strip()}”；可用 archive-tui share list 查看")
    return row


def _ledger(connection: Connection, ids: list[int]) -> dict[int, list]:
    """The 发证台账 rows of these households (id → its certificates' rows, in serial order)."""
    found: dict[int, list] = {}
    for row in rows_where_in(connection, [
            CERTIFICATE.c.household_id, CERTIFICATE.c.code, CERTIFICATE.c.serial, HOUSEHOLD.c.code.label("cbfbm"),
            HOUSEHOLD.c.name, ISSUER.c.village_name, ISSUER.c.name.label("issuer"), CERTIFICATE.c.status,
            CERTIFICATE.c.collected_on, CERTIFICATE.c.collector_name], HOUSEHOLD.c.id, ids,
            select_from=CERTIFICATE.join(HOUSEHOLD, HOUSEHOLD.c.id == CERTIFICATE.c.household_id)
            .join(ISSUER, ISSUER.c.id == HOUSEHOLD.c.issuer_id), where=CERTIFICATE.c.campaign == PRIMARY_CAMPAIGN):
        found.setdefault(row.household_id, []).append(
            [row.code, row.serial, row.cbfbm, row.name, row.village_name, row.issuer,
             STATUS_LABELS.get(row.status, row.status), row.collected_on, row.collector_name])
    return {household_id: sorted(rows, key=lambda row: row[1] or "") for household_id, rows in found.items()}


def _write_ledger(path: Path, ledger: dict[int, list], ids: list[int]) -> None:
    from archive_tui.reports.tables import TitledTable, write_titled_xlsx

    body = sorted((row for hid in ids for row in ledger.get(hid, [])), key=lambda row: (row[2], row[1] or ""))
    write_titled_xlsx(path, [TitledTable("发证台账", ["农村土地承包经营权证发证台账"], LEDGER_COLUMNS, body)])


def _digest(path: Path) -> str:
    return sha256_of(path)[0]


@use_case(Permission.WRITE, "建立共享")
def new_share(ctx: ArchiveContext, request: ShareRequest, out: Path | None = None) -> ShareResult:
    """Build and register one share; refused (nothing written) when there is nothing to share."""
    engine, config = ctx.engine, ctx.config
    from archive_tui.reports.tables import write_xlsx

    if not request.to.strip():
        raise ArchiveError("请写明接收单位（--to）", field="to")
    if request.since and request.since_share:
        raise ArchiveError("--since 和 --since-share 只能用一个")
    if request.since and request.since > dt.date.today():
        raise ArchiveError(f"日期 {request.since.isoformat()} 晚于今天", field="since")
    with engine.connect() as connection:
        households = _households(connection, request.village)
        if not households:
            raise ArchiveError(f"找不到村“{request.village}”的承包户" if request.village else "数据库中还没有承包户")
        tables = collect_tables(engine, config)
        pages = _pages(connection, list(households))
        ledger = _ledger(connection, list(households))
        hashes = _content_hashes(tables, households, pages, ledger)
        chosen = set(households)
        if request.since_share:
            before = find_share(connection, request.since_share)
            held = dict(connection.execute(select(SHARED.c.household_id, SHARED.c.content_hash)
                                           .where(SHARED.c.share_id == before.id)).all())
            chosen = {hid for hid in chosen if held.get(hid) != hashes[hid]}
        elif request.since:
            chosen = _changed_since(connection, households, request.since)
        if not chosen:
            since = f"自 {request.since.isoformat()} 以来" if request.since else f"自 {request.since_share} 以来"
            raise ArchiveError(f"{since}没有变化，没有可共享的内容；未生成共享包")
        year = dt.date.today().year
        number = _next_number(connection, year)  # provisional: taken for good only as it is registered
    target = Path(out) if out else None
    if target is not None and target.exists() and any(target.iterdir()):
        raise ArchiveError(f"{target} 已存在且不是空文件夹，未覆盖")
    ids = sorted(chosen, key=lambda hid: households[hid][0])
    codes = {households[hid][0] for hid in ids}
    work = _work_folder(target if target is not None else config.exports / "共享")
    try:
        try:
            write_xlsx(_tables_for(tables, codes), work / "国家表.xlsx")
            _write_ledger(work / "发证台账.xlsx", ledger, ids)
            listed = [("国家表", "国家表.xlsx"), ("发证台账", "发证台账.xlsx")]
            for hid in ids:
                archive_code = households[hid][1] or households[hid][0]
                for page in pages.get(hid, []):
                    relative = f"扫描件/{safe_part(archive_code)}/{safe_file_name(Path(page.store_path).name)}"
                    copy_verified(config.root / page.store_path, work / relative, page.sha256)
                    listed.append((SHARED_DOCUMENTS[page.doc_type], relative))
        except OSError as error:
            raise ArchiveError(f"共享包写入 {target or work.parent} 时出错：{error}") from None
        files = [(kind, relative, (work / relative).stat().st_size, _digest(work / relative))
                 for kind, relative in listed]
        csv_path = work / "资料清单.csv"
        with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["序号", "类别", "文件", "字节", "SHA-256"])
            writer.writerows([index, kind, relative, size, digest]
                             for index, (kind, relative, size, digest) in enumerate(files, start=1))
        private_file(csv_path)
        digest = _digest(csv_path)
        total = sum(size for _kind, _relative, size, _digest_ in files)
        made = {"ids": ids, "hashes": hashes, "files": files, "bytes": total, "digest": digest}
        for _attempt in range(NUMBER_ATTEMPTS):
            _print_list(config, work / "资料清单.pdf", number, request, files, len(ids), digest)  # the number on it
            warnings = unprinted_warnings(work / "资料清单.pdf")  # read where it was printed, before it moves
            folder = target if target is not None else config.exports / "共享" / number
            taken = _register(ctx, request, work, folder, number, year, made)
            if taken is None:
                break
            number = taken  # another share took this number meanwhile: the next free one, printed anew
        else:
            raise ArchiveError("同时生成的共享太多，未能分到共享编号；未生成共享包，请稍后再试")
    finally:
        shutil.rmtree(work, ignore_errors=True)  # emptied when the package went to its folder
    return ShareResult(number, folder, len(ids), len(files), total, digest, warnings)


NUMBER_ATTEMPTS = 5  # shares made at the same moment: each that loses its number prints the next one
WORK_PREFIX = ".生成中-"  # a package being built, before it has its number (never a share's own folder)


def _next_number(connection: Connection, year: int) -> str:
    """The number after the highest of ``year`` (共享2026-001 …): free when read under the lock."""
    prefix = f"共享{year}-"
    taken = connection.execute(select(SHARE.c.number).where(SHARE.c.number.startswith(prefix))).scalars()
    last = max((int(number[len(prefix):]) for number in taken if number[len(prefix):].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


def _work_folder(parent: Path) -> Path:
    """A private folder beside the share's (or inside the chosen one) where the package is built
    before it has its number: two shares made at once never write into one folder."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=parent))
    except OSError as error:
        raise ArchiveError(f"共享包写入 {parent} 时出错：{error}") from None


def _register(ctx: ArchiveContext, request: ShareRequest, work: Path, folder: Path, number: str, year: int,
              made: dict) -> str | None:
    """Take ``number``, move the package from ``work`` into ``folder`` and register it, in one
    transaction in which the writers of shares take turns; None when done, else (the number was
    taken meanwhile, nothing done) the next free number."""
    moved: list[Path] = []
    try:
        with kept_forms.keeping() as keeping, ctx.engine.begin() as connection:
            serialize_writers(connection, SHARE)
            free = _next_number(connection, year)
            if free != number:
                return free
            moved = _move_into(work, folder)
            ids, files = made["ids"], made["files"]
            share_id = connection.execute(SHARE.insert().values(
                number=number, to_unit=request.to.strip(), purpose=request.purpose.strip(),
                village=(request.village or "").strip(), since_date=request.since,
                since_share=request.since_share or "", households=len(ids), files=len(files), bytes=made["bytes"],
                digest=made["digest"], folder=str(folder), operator=ctx.operator)).inserted_primary_key[0]
            connection.execute(SHARED.insert(), [{"share_id": share_id, "household_id": hid,
                                                  "content_hash": made["hashes"][hid]} for hid in ids])
            kept = kept_forms.keep(connection, ctx, keeping, "share", number, "made",  # the list both sides sign
                                   [folder / "资料清单.pdf", folder / "资料清单.csv"])
            audit.record(connection, operator=ctx.operator, action="share.new", entity="share", key=number,
                         after={"to": request.to.strip(), "purpose": request.purpose.strip(),
                                "households": len(ids), "files": len(files), "bytes": made["bytes"],
                                "digest": made["digest"],
                                "since": request.since.isoformat() if request.since else request.since_share or "",
                                "kept": kept_forms.in_event(kept)})
            kept_forms.bind(connection, kept)
        return None
    except IntegrityError:  # the number, taken by a writer that did not take turns: the next one
        _move_back(moved, work)
        with ctx.engine.connect() as connection:
            free = _next_number(connection, year)
        if free != number:
            return free
        raise ArchiveError("登记共享时数据库拒绝了这些数据（生成期间承包户有改动？）；未生成共享包，请重试") from None
    except BaseException:
        _move_back(moved, work)
        raise


def _move_into(work: Path, folder: Path) -> list[Path]:
    """Move what was built in ``work`` into ``folder`` (new, or empty: never over anything)."""
    if folder.exists() and any(not entry.name.startswith(WORK_PREFIX) for entry in folder.iterdir()):
        raise ArchiveError(f"{folder} 已存在且不是空文件夹，未覆盖")
    moved: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for entry in sorted(work.iterdir()):
            entry.rename(folder / entry.name)
            moved.append(folder / entry.name)
    except OSError as error:
        _move_back(moved, work)
        raise ArchiveError(f"共享包写入 {folder} 时出错：{error}") from None
    return moved


def _move_back(moved: list[Path], work: Path) -> None:
    """Undo ``_move_into`` (the package is then removed with its work folder)."""
    for path in moved:
        try:
            path.rename(work / path.name)
        except OSError:
            pass


def print_list(engine: Engine, config: Config, number: str, out: Path) -> Path:
    """The 资料清单 of a share (.pdf, or its .csv) as kept when the share was made."""
    out = Path(out)
    if out.suffix.lower() not in (".pdf", ".csv"):
        raise ArchiveError(f"输出文件 {out.name} 应以 .pdf 或 .csv 结尾")
    with engine.connect() as connection:
        share = find_share(connection, number)
    copied = kept_forms.reprint(engine, config, "share", share.number, out)
    if copied is None:
        raise ArchiveError(f"共享 {share.number} 是在保存已签文书之前生成的，没有保存的资料清单；"
                           f"请用共享包文件夹中的 资料清单.pdf（{share.folder}）")
    return copied


def _print_list(config: Config, path: Path, number: str, request: ShareRequest, files: list, households: int,
                digest: str) -> None:
    """资料清单 as both sides sign it: counts per kind, every file with its digest, signature lines."""
    from archive_tui.reports.certificates import SIGN_LINE, sign_lines
    from archive_tui.reports.fonts import font_of
    from archive_tui.reports.grid import Column, Table, draw, lay_out
    from archive_tui.reports.pdf import Sheet, mm

    counts: dict[str, list[int]] = {}
    for kind, _relative, size, _digest_ in files:
        counts.setdefault(kind, [0, 0])
        counts[kind][0] += 1
        counts[kind][1] += size
    scope = f"{request.village} 村，" if request.village else "全乡镇，"
    since = (f"自 {chinese_date(request.since)}以来有变化的" if request.since
             else f"自 {request.since_share} 以来有变化的" if request.since_share else "全部")
    heading = [(f"{config.settings.township.name}农村土地承包经营权确权登记成果共享资料清单", 14),
               (f"{number}　提供单位 {config.settings.township_full_name}　接收单位 {request.to.strip()}", 9),
               (f"范围：{scope}{since}承包户 {households} 户　用途：{request.purpose}　"
                + "；".join(f"{kind} {count} 个文件 {size:,} 字节" for kind, (count, size) in counts.items()), 9),
               (f"资料清单.csv 的 SHA-256：{digest}", 8)]
    body = [[str(index), kind, relative, f"{size:,}", file_digest]
            for index, (kind, relative, size, file_digest) in enumerate(files, start=1)]
    columns = [Column("序号", 10, "right"), Column("类别", 16), Column("文件", 62), Column("字节", 18, "right"),
               Column("SHA-256", 74)]
    signatures = [f"{who}（盖章）经办人（签字）：____________________    日期：______年____月____日"
                  for who in ("提供单位", "接收单位")]
    sheet = Sheet(path, font_of(config), heading[0][0])
    layout = lay_out(sheet, Table(heading, columns, body, size=7, after=3 * SIGN_LINE))
    sheet.begin_section(layout.page_count)
    y = draw(sheet, layout)
    sign_lines(sheet, y - 2 * mm, signatures)
    sheet.next_page()
    sheet.save()
    private_file(path)


def list_shares(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(select(SHARE).order_by(SHARE.c.id)).all()
    return [{"number": row.number, "to": row.to_unit, "purpose": row.purpose, "village": row.village,
             "since": row.since_date.isoformat() if row.since_date else row.since_share,
             "households": row.households, "files": row.files, "bytes": row.bytes, "digest": row.digest,
             "folder": row.folder, "operator": row.operator,
             "created_at": local_time(row.created_at).isoformat(timespec="seconds")} for row in rows]
