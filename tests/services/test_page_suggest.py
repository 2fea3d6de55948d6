"""Pages that file themselves: real OCR (the wheel's models, no network) of pages rendered the
way the forms are printed, the evidence weighed into a household and a document, and linking
only above the threshold — every accepted suggestion audited as such."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select, update

from archive_tui.bootstrap import context_for
from archive_tui.core.errors import ArchiveError
from archive_tui.scanning.ocr import Line
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.intake.page_suggest import Township, accept_suggestion, list_suggestions, suggest_pages
from archive_tui.services.intake.scans import ingest_once, list_scans
from archive_tui.services.quality.checks import list_findings
from models import ArchiveFile, AuditEvent, Document, Household, Member, ScanPage
from tests.conftest import table_counts
from tests.fixtures.seeded_pages import A4, font, saved, scanned

HOUSEHOLD, MEMBER, AUDIT = Household.__table__, Member.__table__, AuditEvent.__table__


def form(title: str, lines: list[str]) -> Image.Image:
    """A printed form: its title, then label and value lines, scanned slightly turned."""
    page = Image.new("L", A4, 250)
    draw = ImageDraw.Draw(page)
    draw.text((A4[0] // 2 - 36 * len(title) // 2, 140), title, font=font(44), fill=20)
    for number, line in enumerate(lines):
        draw.text((130, 300 + 64 * number), line, font=font(30), fill=30)
    return scanned(page, len(title) + len(lines), angle=0.6)


def drop(config, image: Image.Image, name: str) -> None:
    path = saved(image, config.inbox / name, quality=80)
    os.utime(path, (time.time() - 60,) * 2)


@pytest.fixture
def township(engine, config):
    fill_demo(context_for(engine, config), households=6, seed=31)
    config.inbox.mkdir(exist_ok=True)
    with engine.connect() as connection:
        rows = connection.execute(select(HOUSEHOLD.c.id, HOUSEHOLD.c.code, HOUSEHOLD.c.name)
                                  .order_by(HOUSEHOLD.c.code)).all()
        member_ids = {row.household_id: row.id_number for row in connection.execute(
            select(MEMBER.c.household_id, MEMBER.c.id_number).where(MEMBER.c.id_number != "")
            .order_by(MEMBER.c.position.desc()))}
    return [{"id": row.id, "cbfbm": row.code, "name": row.name, "member_id": member_ids.get(row.id)} for row in rows]


@pytest.mark.sqlite_only  # OCR is the same on both databases; the storing is tested on both below
def test_pages_are_read_and_filed_by_their_evidence_only_above_the_threshold(engine, config, township):
    first, second, third = township[0], township[1], township[2]
    drop(config, form("承包方调查表", [f"身份证号码：{first['member_id']}", "地址：东庄村"]), "IMG_0001.jpg")
    drop(config, form("承包合同", ["发包方：第一村民小组", f"承包方编码：{second['cbfbm']}"]), "IMG_0002.jpg")
    drop(config, form("户主声明书", [f"本人{third['name']}声明如下"]), "IMG_0003.jpg")
    ingest_once(context_for(engine, config))
    report = suggest_pages(context_for(engine, config))
    rows = {row["path"].rsplit("/", 1)[-1]: row for row in report.rows}
    assert report.read == 3 and report.unreadable == 0
    assert (rows["IMG_0001.jpg"]["cbfbm"], rows["IMG_0001.jpg"]["doc_type"]) == (first["cbfbm"], "03")
    assert (rows["IMG_0002.jpg"]["cbfbm"], rows["IMG_0002.jpg"]["doc_type"]) == (second["cbfbm"], "07")
    assert rows["IMG_0001.jpg"]["confidence"] >= 0.95 and rows["IMG_0002.jpg"]["confidence"] >= 0.95
    weak = rows["IMG_0003.jpg"]  # a name alone is weak evidence, never enough to file by itself
    assert weak["cbfbm"] in (third["cbfbm"], None) and (weak["confidence"] or 0) < 0.9
    assert any(item["kind"] == "id_number" and item["box"] for item in rows["IMG_0001.jpg"]["evidence"])
    again = suggest_pages(context_for(engine, config), apply=True, min_confidence=0.9)
    assert again.read == 0 and again.linked == 2  # read once; linked above the threshold only
    assert [row["path"].rsplit("/", 1)[-1] for row in list_scans(engine, "unassigned")] == ["IMG_0003.jpg"]
    with engine.connect() as connection:
        accepted = connection.execute(select(AUDIT.c.after).where(AUDIT.c.action == "suggest.accept")).scalars().all()
    assert len(accepted) == 2 and all('"automatic": true' in after for after in accepted)


def test_the_models_come_from_the_wheel_with_the_network_cut(tmp_path):
    """A fresh process with every socket refused reads a page: nothing is downloaded."""
    saved(form("承包合同", ["承包方：张建国"]), tmp_path / "page.jpg")
    script = textwrap.dedent(f"""
        import socket, sys
        tried = []
        def refuse(*args, **kwargs):
            tried.append(args)
            raise OSError("network cut off for this test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        from pathlib import Path
        from archive_tui.scanning.ocr import read_page
        text = "".join(line.text for line in read_page(Path({str(tmp_path / 'page.jpg')!r})))
        print(text)
        sys.exit(3 if tried else 0)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "承包合同" in result.stdout and "张建国" in result.stdout


def line(text: str, top: float = 0.5) -> Line:
    return Line(text, 0.99, (0.1, top, 0.9, top + 0.02))


def test_a_name_two_heads_share_suggests_nobody_and_a_number_outweighs_a_name(engine, config, township):
    first, second = township[0], township[1]
    with engine.begin() as connection:
        connection.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == second["id"]).values(name=first["name"]))
    place = Township(engine, config)
    shared = place.suggest([line("承包方调查表", 0.05), line(f"户主：{first['name']}")])
    assert shared.file_id is None and shared.doc_type == "03"
    number = place.suggest([line(f"户主：{first['name']}"), line(f"身份证号码：{second['member_id']}")])
    assert number.file_id == place.files[second["id"]] and number.confidence >= 0.95
    nothing = place.suggest([line("会议纪要", 0.05), line("今天开会")])
    assert (nothing.file_id, nothing.doc_type, nothing.confidence) == (None, "", 0.0)


@pytest.mark.parametrize("threshold", [0.0, -1.0, 1.5])
def test_a_threshold_outside_0_to_1_is_refused_before_anything_is_read(engine, config, township, threshold):
    before = table_counts(engine)
    with pytest.raises(ArchiveError, match="置信度下限"):
        suggest_pages(context_for(engine, config), apply=True, min_confidence=threshold)
    assert table_counts(engine) == before


def test_accepting_a_page_without_a_suggestion_is_refused(engine, config, township):
    Image.new("L", (400, 560), 250).save(config.inbox / "空白.jpg", dpi=(150, 150))
    os.utime(config.inbox / "空白.jpg", (time.time() - 60,) * 2)
    ingest_once(context_for(engine, config))
    [page] = list_suggestions(engine)
    with pytest.raises(ArchiveError, match="没有可接受的挂接建议"):
        accept_suggestion(context_for(engine, config), page["path"])
    assert list_scans(engine, "unassigned")[0]["path"] == page["path"]


@pytest.mark.sqlite_only
def test_an_upside_down_page_is_read_turned_suggested_and_a_finding_once_filed(engine, config, township):
    first = township[0]
    upright = form("承包合同", [f"承包方编码：{first['cbfbm']}", f"承包方：{first['name']}"])
    drop(config, upright.rotate(180), "IMG_0009.jpg")  # fed into the scanner the wrong way round
    ingest_once(context_for(engine, config))
    report = suggest_pages(context_for(engine, config), apply=True)
    assert report.linked == 1  # read the right way up, its evidence found
    with engine.connect() as connection:
        assert connection.execute(select(ScanPage.__table__.c.orientation)).scalar_one() == 180
    [finding] = list_findings(engine, rules=["page_orientation"])
    assert "上下颠倒" in finding["message"] and finding["cbfbm"] == first["cbfbm"]


@pytest.mark.sqlite_only
def test_a_name_read_only_on_a_filed_page_finds_the_household(engine, config, township):
    """A witness named only on the scanned page: after the page is filed, the search finds it."""
    from archive_tui.services.households.households import count_households, list_households

    first = township[0]
    drop(config, form("委托书", [f"承包方编码：{first['cbfbm']}", "受托人：欧阳明月", "电话：13912345678"]),
         "IMG_0020.jpg")
    ingest_once(context_for(engine, config))
    suggest_pages(context_for(engine, config))
    assert list_households(engine, search="欧阳明月") == []  # not filed yet: not that household's page
    suggest_pages(context_for(engine, config), apply=True)
    assert [row["cbfbm"] for row in list_households(engine, search="欧阳明月")] == [first["cbfbm"]]
    assert [row["cbfbm"] for row in list_households(engine, search="13912345678")] == [first["cbfbm"]]
    assert count_households(engine, search="欧阳明月") == 1


@pytest.mark.sqlite_only
def test_unsorted_pages_of_a_file_go_to_the_documents_their_titles_name(engine, config, tmp_path):
    """Pages named 档号-页号 of an imported household (no page ranges in the catalogue) wait as
    未分类; OCR reads a title on the first page of each document, and --apply files that page and
    the untitled pages after it; a page before any title stays 未分类."""
    from archive_tui.services.exchange.importing import run_import
    from tests.fixtures.real_sources import write_access_text_export

    run_import(context_for(engine, config), write_access_text_export(tmp_path / "县导出"))
    config.inbox.mkdir(exist_ok=True)
    with engine.connect() as connection:
        code = connection.execute(select(ArchiveFile.archive_code).join(
            Household, Household.id == ArchiveFile.household_id)
            .where(Household.code == "130123101001020001")).scalar_one()
    drop(config, form("", ["附：身份证复印件"]), f"{code}-0001.jpg")
    drop(config, form("承包合同", ["发包方（甲方）：东里村第二村民小组", "承包方（乙方）：王振华"]), f"{code}-0002.jpg")
    drop(config, form("", ["第三条 承包期限为三十年", "第四条 双方的权利和义务"]), f"{code}-0003.jpg")
    drop(config, form("农村土地承包经营权登记簿", ["承包方：王振华"]), f"{code}-0004.jpg")
    assert ingest_once(context_for(engine, config)).linked == 4
    report = suggest_pages(context_for(engine, config), apply=True)
    assert report.read == 4 and report.sorted == 3
    with engine.connect() as connection:
        placed = dict(connection.execute(select(ScanPage.seq, Document.doc_type)
                                         .outerjoin(Document, Document.id == ScanPage.document_id)).all())
    assert placed == {1: None, 2: "07", 3: "07", 4: "08"}
