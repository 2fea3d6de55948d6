"""四性检测 (DA/T 70-2018): a transfer bag checked for authenticity (真实性), integrity (完整性),
usability (可用性) and security (安全性), item by item, by the township before sending and by
the county archive on receipt. Nothing in the bag is trusted: every file is read once (digest,
then a full decode of each image and PDF), and each item reports 通过, 不通过, 警告 or 未检
(with why it could not be checked, e.g. no ClamAV on this computer).

The bag is bound to its signed paper: the 交接文据 prints the SHA-256 of the bag's tag manifest
(which names every manifest, which names every file); given that digest, ZS-04 fails for a bag
altered and re-manifested after printing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from archive_tui.core.config import PRIMARY_CAMPAIGN, Config
from archive_tui.core.errors import ArchiveError
from archive_tui.scanning.probe import Probe, ProbeProblem, probe, sha256_of
from archive_tui.scanning.workers import worker_count, worker_pool
from archive_tui.services.transfers.bag_files import CATALOGUE, _special_files, bound_digest, tag_digest
from archive_tui.services.transfers.bag_catalogue import parse_catalogue, read_catalogue_json

PASS, FAIL, WARN, SKIP = "通过", "不通过", "警告", "未检"
PROPERTIES = {"ZS": "真实性", "WZ": "完整性", "KY": "可用性", "AQ": "安全性"}
PAYLOAD_FOLDERS = ("scans", "items", "catalogue")
ALLOWED_SUFFIXES = {".jpg", ".jpeg", ".tif", ".tiff", ".jp2", ".pdf", ".png", ".csv", ".json"}
EXECUTABLE_SUFFIXES = {".exe", ".dll", ".com", ".bat", ".cmd", ".ps1", ".vbs", ".js", ".jar", ".sh", ".msi", ".scr",
                       ".lnk", ".py"}
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"PK\x03\x04", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
TIFF_COMPRESSIONS = {"raw", "tiff_lzw", "group3", "group4", "packbits", "tiff_deflate", "tiff_adobe_deflate", "jpeg",
                     "tiff_ccitt"}
RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?$", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FORMAT_OF_SUFFIX = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".jp2": "JPEG2000",
                    ".pdf": "PDF", ".png": "PNG"}


@dataclass
class ItemResult:
    code: str
    property: str
    name: str
    result: str
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"code": self.code, "property": self.property, "name": self.name, "result": self.result,
                "count": len(self.details), "details": self.details}


@dataclass
class Report:
    bag: str
    items: list[ItemResult]
    digest: str  # SHA-256 of the tag manifest
    files: int
    bytes: int
    checked_at: str

    def by_property(self) -> dict[str, str]:
        """Per property: 不通过 when any item failed, else 通过 (警告 and 未检 noted)."""
        out = {}
        for prefix, label in PROPERTIES.items():
            results = [item.result for item in self.items if item.code.startswith(prefix)]
            out[label] = FAIL if FAIL in results else WARN if WARN in results else PASS
        return out

    def conclusion(self, separator: str = "，") -> str:
        """结论 as a person reads it: each property, and the items not checked named, so that
        "安全性通过" never hides a virus scan that was not done (未检 AQ-04)."""
        text = separator.join(f"{name}{result}" for name, result in self.by_property().items())
        skipped = [item.code for item in self.items if item.result == SKIP]
        return text + (f"（另有 {len(skipped)} 项未检：{'、'.join(skipped)}）" if skipped else "")

    @property
    def failed(self) -> list[ItemResult]:
        return [item for item in self.items if item.result == FAIL]

    def as_dict(self) -> dict:
        return {"bag": self.bag, "digest": self.digest, "algorithm": "SHA-256", "files": self.files,
                "bytes": self.bytes, "checked_at": self.checked_at, "properties": self.by_property(),
                "items": [item.as_dict() for item in self.items]}


@dataclass
class Bag:
    """What the checks look at, read once."""

    path: Path
    config: Config
    expected_digest: tuple[str, str] | None  # (algorithm, hex) as printed on the 交接文据
    payload: dict[str, tuple[int, str]] = field(default_factory=dict)  # data/… → (size, sha256)
    manifest: dict[str, str] = field(default_factory=dict)  # data/… → sha256
    tag_manifest: dict[str, str] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    catalogue: dict | None = None
    catalogue_problem: str = ""
    probes: dict[str, Probe] = field(default_factory=dict)  # data/… → probe of a scan
    unreadable: dict[str, str] = field(default_factory=dict)  # data/… → why it does not decode
    special: list[str] = field(default_factory=list)
    tiff_compressions: dict[str, str] = field(default_factory=dict)
    encrypted: list[str] = field(default_factory=list)

    @property
    def pages(self) -> list[tuple[dict, dict]]:
        """(file or item, page) for every page the catalogue names."""
        if not self.catalogue:
            return []
        out = [(entry, page) for entry in self.catalogue.get("files", []) for page in entry.get("pages", [])]
        out += [(item, page) for item in self.catalogue.get("items", []) for page in item.get("page_files", [])]
        return out


def _manifest(path: Path) -> dict[str, str]:
    entries = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            digest, _space, name = line.strip().partition(" ")
            if name.strip():
                entries[name.strip().lstrip("*")] = digest.lower()
    return entries


def read_bag(path: Path, config: Config, expected_digest: tuple[str, str] | None = None,
             progress: Callable[[int, int], None] | None = None) -> Bag:
    """Read the bag once: listing, manifests, info, catalogue, each file's digest and decode."""
    bag = Bag(path, config, expected_digest)
    bag.special = _special_files(path)
    bag.manifest = _manifest(path / "manifest-sha256.txt")
    bag.tag_manifest = _manifest(path / "tagmanifest-sha256.txt")
    info = path / "bag-info.txt"
    if info.is_file():
        for line in info.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _colon, value = line.partition(":")
            if _colon:
                bag.info[key.strip()] = value.strip()
    files = [entry for entry in sorted((path / "data").rglob("*")) if entry.is_file() and not entry.is_symlink()]
    max_pixels = config.settings.scan.max_pixels
    for index, (entry, read) in enumerate(zip(files, _read_all(files, max_pixels)), start=1):
        relative = entry.relative_to(path).as_posix()
        bag.payload[relative] = (read.size, read.sha256)
        if read.encrypted:
            bag.encrypted.append(relative)  # not decoded: an encrypted file is reported as such (KY-05)
        if read.probe is not None:
            bag.probes[relative] = read.probe
        if read.problem:
            bag.unreadable[relative] = read.problem
        if read.compression:
            bag.tiff_compressions[relative] = read.compression
        if progress:
            progress(index, len(files))
    catalogue = path / "data" / CATALOGUE / "catalogue.json"
    try:
        bag.catalogue = read_catalogue_json(catalogue)
    except ValueError as error:
        bag.catalogue, bag.catalogue_problem = None, f"catalogue.json 无法读取：{error}"
    return bag


@dataclass
class _Read:
    size: int
    sha256: str
    probe: Probe | None = None
    problem: str = ""
    compression: str = ""
    encrypted: bool = False


IN_MEMORY = 256 << 20  # bytes: a file up to this size is read once and hashed and decoded from memory


def read_file(path: Path, max_pixels: int) -> _Read:
    """One file of the bag, read once: its digest, and for a scan a full decode (a TIFF's
    compression, a PDF's encryption noted)."""
    data = path.read_bytes() if path.stat().st_size <= IN_MEMORY else None
    if path.suffix.lower() == ".pdf" and _encrypted(path if data is None else io.BytesIO(data)):
        return _Read(*_digest(path, data), encrypted=True)
    if path.suffix.lower() not in FORMAT_OF_SUFFIX:
        return _Read(*_digest(path, data))
    try:
        found = probe(path, max_pixels=max_pixels, thumbnail=False, full_decode=True, data=data)
    except ProbeProblem as problem:
        return _Read(*_digest(path, data), problem=problem.reason)
    compression = ""
    if found.format == "TIFF":
        from PIL import Image  # loaded late: Pillow, only when reading images

        with Image.open(path if data is None else io.BytesIO(data)) as image:
            compression = str(image.info.get("compression", "raw"))
    return _Read(found.size, found.sha256, found, compression=compression)


def _digest(path: Path, data: bytes | None) -> tuple[int, str]:
    """(size, SHA-256) of the bytes read, or of the file read in chunks (a very large one)."""
    if data is None:
        sha256, size = sha256_of(path)
        return size, sha256
    return len(data), hashlib.sha256(data).hexdigest()


def _read_all(files: list[Path], max_pixels: int):
    """The files read in order, in one worker process per core when there are many (decoding
    dominates: two cores nearly halve the time)."""
    workers = worker_count()
    if len(files) < 50 or workers < 2:
        for path in files:
            yield read_file(path, max_pixels)
        return
    with worker_pool(workers) as pool:
        yield from pool.map(partial(read_file, max_pixels=max_pixels), files, chunksize=16)


def _encrypted(source: Path | io.BytesIO) -> bool:
    from pypdf import PdfReader  # loaded late: pypdf takes 0.2 s

    try:
        return bool(PdfReader(source).is_encrypted)
    except Exception:  # noqa: BLE001 - an unreadable PDF is KY-02's finding, not this one's
        return False


# ---- the items --------------------------------------------------------------------------------

def _ok(problems: list[str], warn: bool = False) -> tuple[str, list[str]]:
    """An item's result with every problem it found (the report states the true count)."""
    return ((WARN if warn else FAIL) if problems else PASS), problems


def zs01_declaration(bag: Bag):
    text = (bag.path / "bagit.txt").read_text(encoding="utf-8", errors="replace") if (
        bag.path / "bagit.txt").is_file() else ""
    ok = (re.search(r"BagIt-Version:\s*(0\.97|1\.0)\s*$", text, re.MULTILINE)
          and re.search(r"Tag-File-Character-Encoding:\s*UTF-8", text))
    return _ok([] if ok else ["bagit.txt 缺失，或不是 BagIt-Version 1.0、UTF-8"])


def zs02_payload_digests(bag: Bag):
    return _ok([f"{name} 的 SHA-256 与清单不符（内容被改动）" for name, digest in bag.manifest.items()
                if name in bag.payload and bag.payload[name][1] != digest])


def zs03_tag_digests(bag: Bag):
    problems = []
    for name, digest in bag.tag_manifest.items():
        file = bag.path / name
        if not file.is_file():
            problems.append(f"标签文件 {name} 缺失")
        elif sha256_of(file)[0] != digest:
            problems.append(f"标签文件 {name} 的 SHA-256 与 tagmanifest 不符")
    if not bag.tag_manifest:
        problems.append("没有 tagmanifest-sha256.txt")
    return _ok(problems)


def zs04_bound_digest(bag: Bag):
    if not bag.expected_digest:
        return SKIP, ["未输入交接文据上印的摘要（--digest），无法核对移交包是否为签字时的那一个"]
    algorithm, expected = bag.expected_digest
    tag = bag.path / "tagmanifest-sha256.txt"
    actual = tag_digest(tag, algorithm) if tag.is_file() else ""
    return _ok([] if actual == expected else [
        f"tagmanifest-sha256.txt 的 {algorithm} 为 {actual or '（无）'}，交接文据上为 {expected}："
        "移交包在签字后被改动"])


def zs05_catalogue(bag: Bag):
    if bag.catalogue is None:
        return FAIL, [bag.catalogue_problem]
    try:
        parse_catalogue(bag.catalogue, bag.path.name)
    except ArchiveError as error:
        return FAIL, [error.message, *error.details]
    return PASS, []


def zs06_archive_codes(bag: Bag):
    problems = []
    for entry in (bag.catalogue or {}).get("files", []):
        code = str(entry.get("archive_code", ""))
        folder = {Path(page.get("path", "")).parent.name for page in entry.get("pages", [])}
        if folder and folder != {code}:
            problems.append(f"{code} 的扫描件不在以档号命名的文件夹中：{'、'.join(sorted(folder))}")
        if not code.startswith(str((bag.catalogue or {}).get("fonds", {}).get("code", "")) + "-"):
            problems.append(f"档号 {code} 不以全宗号开头")
    return _ok(problems)


def zs07_csv_households(bag: Bag):
    """The CSV catalogue says the same households as the JSON one, record by record."""
    wanted = {(str(entry.get("cbfbm")), str(entry.get("household")))
              for entry in (bag.catalogue or {}).get("files", [])}
    try:
        with (bag.path / "data" / "catalogue" / "households.csv").open(encoding="utf-8-sig", newline="") as handle:
            found = {(row.get("cbfbm", ""), row.get("household", "")) for row in csv.DictReader(handle)}
    except (OSError, UnicodeDecodeError) as error:
        return FAIL, [f"households.csv 无法读取：{error}"]
    return _ok([f"承包方 {code}（{name}）只在 catalogue.json 中" for code, name in sorted(wanted - found)]
               + [f"承包方 {code}（{name}）只在 households.csv 中" for code, name in sorted(found - wanted)])


def zs08_dates(bag: Bag):
    today = dt.date.today().isoformat()
    problems = []
    for entry in [*(bag.catalogue or {}).get("files", []), *(bag.catalogue or {}).get("items", [])]:
        for doc in [*entry.get("documents", []), entry]:
            dated = doc.get("dated")
            if dated and (not isinstance(dated, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", dated)
                          or dated > today):
                problems.append(f"{entry.get('archive_code')} 的日期“{dated}”格式不对或晚于今天")
        year = entry.get("year")
        if not isinstance(year, int) or not 1949 <= year <= dt.date.today().year:
            problems.append(f"{entry.get('archive_code')} 的年度“{year}”不对")
    return _ok(problems)


def zs09_sizes(bag: Bag):
    return _ok([f"{page.get('path')}：目录记 {page.get('size')} 字节，实为 {bag.payload[name][0]} 字节"
                for _entry, page, name in _located(bag) if name in bag.payload
                and bag.payload[name][0] != page.get("size")])


def zs10_formats(bag: Bag):
    return _ok([f"{page.get('path')}：目录记 {page.get('format')}，实为 {bag.probes[name].format}"
                for _entry, page, name in _located(bag) if name in bag.probes
                and bag.probes[name].format != page.get("format")])


def zs11_resolution(bag: Bag):
    return _ok([f"{page.get('path')}：目录记 {page.get('dpi')} dpi，实为 {bag.probes[name].dpi} dpi"
                for _entry, page, name in _located(bag) if name in bag.probes
                and bag.probes[name].dpi != page.get("dpi")])


def zs12_pages_have_files(bag: Bag):
    return _ok([f"目录中的 {page.get('path')} 在包中没有文件" for _entry, page, name in _located(bag)
                if name not in bag.payload])


def zs13_files_have_records(bag: Bag):
    listed = {name for _entry, _page, name in _located(bag)}
    return _ok([f"{name} 不在目录中" for name in bag.payload
                if name.split("/")[1:2] in (["scans"], ["items"]) and name not in listed])


def zs14_batch(bag: Bag):
    catalogue = bag.catalogue or {}
    problems = []
    if bag.info.get("External-Identifier") != catalogue.get("batch"):
        problems.append(f"bag-info.txt 的批次号 {bag.info.get('External-Identifier')} "
                        f"与目录的 {catalogue.get('batch')} 不同")
    township = catalogue.get("township", {}).get("name") if isinstance(catalogue.get("township"), dict) else None
    if bag.info.get("Source-Organization") != township:
        problems.append(f"bag-info.txt 的移交单位 {bag.info.get('Source-Organization')} 与目录的 {township} 不同")
    return _ok(problems)


def wz01_oxum(bag: Bag):
    oxum = bag.info.get("Payload-Oxum", "")
    size, _dot, count = oxum.partition(".")
    actual = (sum(size for size, _digest in bag.payload.values()), len(bag.payload))
    if not (size.isdigit() and count.isdigit()):
        return FAIL, [f"Payload-Oxum“{oxum}”写法不对"]
    return _ok([] if (int(size), int(count)) == actual else [
        f"Payload-Oxum 为 {count} 个文件 {size} 字节，包中实有 {actual[1]} 个 {actual[0]} 字节"])


def wz02_manifest_coverage(bag: Bag):
    problems = [f"清单之外多出文件 {name}" for name in bag.payload if name not in bag.manifest]
    problems += [f"清单中的 {name} 缺失" for name in bag.manifest if name not in bag.payload]
    return _ok(problems)


def wz03_archive_code_unique(bag: Bag):
    """档号 once in the bag; 案卷号 once within each campaign (each numbers its own volumes); a household
    one file per campaign, its 相关案卷 in the bag being that household's files of the other campaigns."""
    files = (bag.catalogue or {}).get("files", [])
    codes = Counter(str(entry.get("archive_code")) for entry in files)
    volumes = Counter((_campaign(entry), entry.get("volume_no")) for entry in files)
    held = Counter((str(entry.get("cbfbm")), _campaign(entry)) for entry in files)
    problems = [f"档号 {code} 出现 {count} 次" for code, count in codes.items() if count > 1]
    problems += [f"{_campaign_label(campaign)}案卷号 {number} 出现 {count} 次"
                 for (campaign, number), count in volumes.items() if count > 1 and number]
    problems += [f"承包方 {code} 有 {count} 卷{campaign}卷" for (code, campaign), count in held.items() if count > 1]
    by_code = {str(entry.get("archive_code")): entry for entry in files}
    for entry in files:
        for other in entry.get("related") or []:
            found = by_code.get(str(other.get("archive_code"))) if isinstance(other, dict) else None
            if found is not None and (found.get("cbfbm") != entry.get("cbfbm")
                                      or _campaign(found) != other.get("campaign")):
                problems.append(f"{entry.get('archive_code')} 的相关案卷 {other.get('archive_code')} "
                                f"不是同一户的{other.get('campaign')}卷")
    return _ok(problems)


def _campaign(entry: dict) -> str:
    """A file's campaign in the catalogue (a bag made before campaigns: 确权)."""
    return str(entry.get("campaign") or PRIMARY_CAMPAIGN)


def _campaign_label(campaign: str) -> str:
    return "" if campaign == PRIMARY_CAMPAIGN else campaign


def wz04_page_numbers(bag: Bag):
    problems = []
    for entry in (bag.catalogue or {}).get("files", []):
        seqs = sorted(page.get("seq") or 0 for page in entry.get("pages", []))
        if seqs and seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"{entry.get('archive_code')} 的页号不连续或重复：{_short(seqs)}")
    return _ok(problems)


def wz05_piece_numbers(bag: Bag):
    groups = defaultdict(list)
    for item in (bag.catalogue or {}).get("items", []):
        groups[(item.get("year"), item.get("retention"))].append(item.get("piece_no") or 0)
    problems = []
    for (year, retention), pieces in groups.items():
        if len(set(pieces)) != len(pieces):
            problems.append(f"{year} 年度{retention}件号重复：{_short(sorted(pieces))}")
    gaps = [f"{year} 年度{retention}件号不连续：{_short(sorted(p))}" for (year, retention), p in groups.items()
            if len(set(p)) == len(p) and sorted(p) != list(range(min(p), min(p) + len(p)))]
    if problems:
        return FAIL, problems
    return (WARN, gaps) if gaps else (PASS, [])  # a batch may leave out pieces kept back


def wz06_required_documents(bag: Bag):
    """Each file holds the required documents of its own campaign's list (确权 01…, 延包 Y01…)."""
    settings = bag.config.settings
    lists = {PRIMARY_CAMPAIGN: settings.documents, **{campaign.name: campaign.documents
                                                      for campaign in settings.campaigns}}
    problems = []
    for entry in (bag.catalogue or {}).get("files", []):
        campaign = _campaign(entry)
        if campaign not in lists:
            problems.append(f"{entry.get('archive_code')} 的工作阶段“{campaign}”不在本机 config.toml 的 "
                            "[[campaigns]] 中，无法核对其必备文件")
            continue
        present = {doc.get("doc_type") for doc in entry.get("documents", [])}
        missing = [doc.name for doc in lists[campaign] if doc.required and doc.code not in present]
        if missing:
            problems.append(f"{entry.get('archive_code')} 缺少：{'、'.join(missing)}")
    return _ok(problems)


def wz07_document_pages(bag: Bag):
    problems = []
    for entry in (bag.catalogue or {}).get("files", []):
        scanned = Counter(page.get("doc_type") for page in entry.get("pages", []))
        for doc in entry.get("documents", []):
            count = doc.get("page_count") or 0
            if count and scanned.get(doc.get("doc_type"), 0) != count:
                problems.append(f"{entry.get('archive_code')} 的 {doc.get('title') or doc.get('doc_type')}："
                                f"目录记 {count} 页，扫描件 {scanned.get(doc.get('doc_type'), 0)} 页")
    return _ok(problems)


def wz08_file_pages(bag: Bag):
    return _ok([f"{entry.get('archive_code')}：案卷页数 {entry.get('page_count')}，"
                f"扫描件 {len(entry.get('pages', []))} 页"
                for entry in (bag.catalogue or {}).get("files", [])
                if entry.get("page_count") and entry.get("page_count") != len(entry.get("pages", []))])


def wz09_metadata(bag: Bag):
    problems = []
    for entry in (bag.catalogue or {}).get("files", []):
        empty = [label for key, label in (("title", "题名"), ("household", "承包方"), ("retention", "保管期限"))
                 if not str(entry.get(key) or "").strip()]
        if empty:
            problems.append(f"{entry.get('archive_code')} 缺少著录项：{'、'.join(empty)}")
    for item in (bag.catalogue or {}).get("items", []):
        if not str(item.get("title") or "").strip():
            problems.append(f"{item.get('archive_code')} 缺少题名")
    return _ok(problems)


def wz10_bag_info(bag: Bag):
    wanted = ("Source-Organization", "External-Identifier", "Bagging-Date", "Payload-Oxum")
    return _ok([f"bag-info.txt 缺少 {key}" for key in wanted if not bag.info.get(key)])


def wz11_csv_matches_json(bag: Bag):
    folder = bag.path / "data" / "catalogue"
    problems = []
    expected = {"files.csv": len((bag.catalogue or {}).get("files", [])),
                "pages.csv": sum(len(entry.get("pages", [])) for entry in (bag.catalogue or {}).get("files", []))}
    for name, count in expected.items():
        try:
            with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
                rows = sum(1 for _row in csv.reader(handle)) - 1
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{name} 无法读取：{error}")
            continue
        if rows != count:
            problems.append(f"{name} 有 {rows} 行，catalogue.json 中为 {count}")
    return _ok(problems)


def ky01_images_decode(bag: Bag):
    return _ok([f"{name}：{why}" for name, why in bag.unreadable.items() if not name.endswith(".pdf")])


def ky02_pdfs_open(bag: Bag):
    return _ok([f"{name}：{why}" for name, why in bag.unreadable.items() if name.endswith(".pdf")])


def ky03_allowed_formats(bag: Bag):
    allowed = set(bag.config.settings.scan.formats)
    return _ok([f"{name}：格式 {found.format} 不在允许的 {'、'.join(sorted(allowed))} 中"
                for name, found in bag.probes.items() if found.format not in allowed])


def ky04_text_files(bag: Bag):
    problems = []
    for name in bag.payload:
        if name.endswith((".csv", ".json", ".txt")):
            raw = (bag.path / name).read_bytes()
            for encoding in ("utf-8", "gb18030"):
                try:
                    raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                problems.append(f"{name} 既不是 UTF-8 也不是 GB18030 文本")
    return _ok(problems)


def ky05_no_encryption(bag: Bag):
    return _ok([f"{name} 已加密" for name in bag.encrypted])


def ky06_open_compression(bag: Bag):
    return _ok([f"{name}：TIFF 压缩方式 {how} 不是公开通用的" for name, how in bag.tiff_compressions.items()
                if how not in TIFF_COMPRESSIONS])


def ky07_resolution_floor(bag: Bag):
    floor = bag.config.settings.scan.min_dpi
    return _ok([f"{name}：{found.dpi} dpi，低于 {floor} dpi" for name, found in bag.probes.items()
                if found.format != "PDF" and found.dpi and found.dpi < floor], warn=True)


def aq01_no_executables(bag: Bag):
    problems = []
    for name in bag.payload:
        with (bag.path / name).open("rb") as handle:
            head = handle.read(4)
        magic = any(head.startswith(mark) for mark in EXECUTABLE_MAGIC)
        if Path(name).suffix.lower() in EXECUTABLE_SUFFIXES or magic:
            problems.append(f"{name} 是可执行文件或压缩包")
    return _ok(problems)


def aq02_expected_files(bag: Bag):
    problems = []
    for name in bag.payload:
        parts = name.split("/")
        if len(parts) < 3 or parts[1] not in PAYLOAD_FOLDERS or Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
            problems.append(f"{name} 不是移交包应有的文件")
    top = {entry.name for entry in bag.path.iterdir()} - {"data", "bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                                                          "tagmanifest-sha256.txt"}
    problems += [f"包的顶层多出 {name}" for name in sorted(top)]
    return _ok(problems)


def aq03_special_files(bag: Bag):
    return _ok([f"{name} 不是普通文件（链接、管道或设备）" for name in bag.special])


def aq04_virus_scan(bag: Bag):
    scanner = shutil.which("clamscan") or shutil.which("clamdscan")
    if scanner is None:
        return SKIP, ["本机未安装 ClamAV（clamscan），未做病毒扫描；请在装有杀毒软件的电脑上扫描移交包"]
    done = subprocess.run([scanner, "-r", "--infected", "--no-summary", str(bag.path / "data")],
                          capture_output=True, text=True, check=False)
    if done.returncode == 1:
        return FAIL, [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        return SKIP, [f"ClamAV 未能完成扫描：{done.stderr.strip()[:200]}"]
    return PASS, []


def aq05_permissions(bag: Bag):
    if os.name != "posix":
        return SKIP, ["Windows 上文件权限由文件夹的访问控制决定，未逐个检查"]
    problems = []
    for name in bag.payload:
        mode = (bag.path / name).stat().st_mode
        if mode & (stat.S_IWOTH | stat.S_ISUID | stat.S_ISGID) or mode & stat.S_IXUSR:
            problems.append(f"{name} 的权限 {stat.filemode(mode)} 过宽（他人可写、可执行或 setuid）")
    return _ok(problems)


def aq06_paths(bag: Bag):
    problems = []
    names = [*bag.manifest, *(page.get("path", "") for _entry, page in bag.pages)]
    for name in names:
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or re.match(r"^[A-Za-z]:", name):
            problems.append(f"路径 {name} 指向包外")
        elif len(str(bag.path / name)) > 250:
            problems.append(f"路径 {name} 过长（Windows 上超过 260 个字符无法打开）")
    return _ok(problems)


def aq07_names(bag: Bag):
    return _ok([f"文件名 {name} 含控制字符或 Windows 保留名" for name in bag.payload
                if CONTROL.search(name) or any(RESERVED.match(part) for part in name.split("/"))])


def _located(bag: Bag) -> list[tuple[dict, dict, str]]:
    return [(entry, page, f"data/{page.get('path', '')}") for entry, page in bag.pages]


def _short(numbers: list) -> str:
    return "、".join(map(str, numbers[:12])) + ("……" if len(numbers) > 12 else "")


ITEMS: list[tuple[str, str, Callable]] = [
    ("ZS-01", "BagIt 声明文件（版本、编码）", zs01_declaration),
    ("ZS-02", "每个文件的 SHA-256 与清单一致", zs02_payload_digests),
    ("ZS-03", "标签文件的 SHA-256 与标签清单一致", zs03_tag_digests),
    ("ZS-04", "移交包摘要与交接文据上印的一致", zs04_bound_digest),
    ("ZS-05", "目录（catalogue.json）字段、代码、长度合规", zs05_catalogue),
    ("ZS-06", "档号格式：以全宗号开头，扫描件在以档号命名的文件夹中", zs06_archive_codes),
    ("ZS-07", "CSV 目录与 JSON 目录的承包方逐户一致", zs07_csv_households),
    ("ZS-08", "日期和年度合法", zs08_dates),
    ("ZS-09", "文件大小与目录一致", zs09_sizes),
    ("ZS-10", "文件格式与目录一致", zs10_formats),
    ("ZS-11", "分辨率与目录一致", zs11_resolution),
    ("ZS-12", "目录中的每一页都有文件", zs12_pages_have_files),
    ("ZS-13", "每个扫描件都在目录中", zs13_files_have_records),
    ("ZS-14", "批次号、移交单位与目录一致", zs14_batch),
    ("WZ-01", "文件数和字节数（Payload-Oxum）", wz01_oxum),
    ("WZ-02", "清单与包内文件一一对应", wz02_manifest_coverage),
    ("WZ-03", "档号、案卷号不重复", wz03_archive_code_unique),
    ("WZ-04", "卷内页号连续", wz04_page_numbers),
    ("WZ-05", "综合档案件号连续、不重复", wz05_piece_numbers),
    ("WZ-06", "每卷必备文件齐全", wz06_required_documents),
    ("WZ-07", "每份文件的页数与扫描件一致", wz07_document_pages),
    ("WZ-08", "案卷页数与扫描件一致", wz08_file_pages),
    ("WZ-09", "著录项完整（题名、承包方、保管期限）", wz09_metadata),
    ("WZ-10", "bag-info.txt 必填项", wz10_bag_info),
    ("WZ-11", "CSV 目录与 JSON 目录一致", wz11_csv_matches_json),
    ("KY-01", "每个图像完整解码", ky01_images_decode),
    ("KY-02", "每个 PDF 可打开", ky02_pdfs_open),
    ("KY-03", "格式在允许的列表中", ky03_allowed_formats),
    ("KY-04", "文本文件可读（UTF-8 或 GB18030）", ky04_text_files),
    ("KY-05", "没有加密的文件", ky05_no_encryption),
    ("KY-06", "没有非公开的压缩方式", ky06_open_compression),
    ("KY-07", "分辨率不低于要求", ky07_resolution_floor),
    ("AQ-01", "没有可执行文件", aq01_no_executables),
    ("AQ-02", "没有移交包不应有的文件", aq02_expected_files),
    ("AQ-03", "没有链接、管道或设备文件", aq03_special_files),
    ("AQ-04", "病毒扫描（ClamAV）", aq04_virus_scan),
    ("AQ-05", "文件权限", aq05_permissions),
    ("AQ-06", "路径都在包内、长度可用", aq06_paths),
    ("AQ-07", "文件名合规（无控制字符、Windows 保留名）", aq07_names),
]


def check_bag(path: Path, config: Config, *, digest: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> Report:
    """Run every item on the bag at ``path``; ``digest``: the one printed on the 交接文据."""
    path = Path(path)
    if not path.is_dir():
        raise ArchiveError(f"找不到移交包文件夹 {path}")
    bag = read_bag(path, config, bound_digest(digest) if digest else None, progress)
    items = []
    for code, name, check in ITEMS:
        try:
            result, details = check(bag)
        except (OSError, ValueError, TypeError, AttributeError, KeyError) as error:
            result, details = FAIL, [f"无法检查：{error}"]  # a malformed bag fails the item, never the run
        items.append(ItemResult(code, PROPERTIES[code[:2]], name, result, details))
    tag = path / "tagmanifest-sha256.txt"
    return Report(path.name, items, sha256_of(tag)[0] if tag.is_file() else "", len(bag.payload),
                  sum(size for size, _digest in bag.payload.values()),
                  dt.datetime.now().astimezone().isoformat(timespec="seconds"))
