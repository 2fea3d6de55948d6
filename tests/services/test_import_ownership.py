"""Re-import never erases what the archive recorded itself: certificate handovers, fields
corrected in the app, waivers — and an import racing a 发证 never undoes it."""

from __future__ import annotations

from sqlalchemy import select

from archive_tui.bootstrap import context_for
from archive_tui.services.registers.certificates import Collector, issue, list_certificates
from archive_tui.services.quality.checks import waive
from archive_tui.services.households.editing import update_household
from archive_tui.services.exchange.importing import run_import
from models import Certificate, Finding, Household
from tests.conftest import table_counts, write_tables_csv


def _edit(tables, name, row, column, value):
    columns, rows = tables[name]
    rows[row][columns.index(column)] = value


def _head(engine, cbfbm):
    with engine.connect() as connection:
        return connection.execute(select(Household.name, Household.id_number).where(Household.code == cbfbm)).one()


def test_a_certificate_issued_here_keeps_its_collector_through_a_reimport(engine, config, tmp_path):
    def not_yet_collected(tables):
        for column, value in (("QZSFLQ", "2"), ("QZLQRQ", ""), ("QZLQRXM", ""), ("QZLQRZJLX", ""),
                              ("QZLQRZJHM", "")):
            _edit(tables, "CBJYQZ", 0, column, value)

    folder = write_tables_csv(config, tmp_path / "csv", households=6, edit=not_yet_collected)
    run_import(context_for(engine, config), folder)
    waiting = list_certificates(engine, status="printed")[0]
    name, id_number = _head(engine, waiting["cbfbm"])
    issue(context_for(engine, config), waiting["serial"], Collector(name, id_number))
    before = table_counts(engine)
    report = run_import(context_for(engine, config), folder)  # the county's database still says: not collected
    assert not report.changed and table_counts(engine) == before
    with engine.connect() as connection:
        kept = connection.execute(select(Certificate).where(Certificate.serial == waiting["serial"])).one()
    assert (kept.status, kept.collector_name, kept.collector_id_number, kept.collected) == (
        "issued", name, id_number, "1")
    assert kept.collected_on is not None
    conflict = next(c for c in report.conflicts if c.key == waiting["code"])
    assert conflict.line() == (f"承包经营权证 {waiting['code']} 是否已领取：保留本档案的“1”"
                               "（本档案已登记该证的发放等事件），数据源为“2”")


def test_a_handover_the_county_recorded_follows_the_county(engine, config, tmp_path):
    """No event of it recorded here: the source's 领取 fields are the source's to correct."""
    first = write_tables_csv(config, tmp_path / "v1", households=8)
    run_import(context_for(engine, config), first)
    collected = next(c for c in list_certificates(engine, status="issued") if c["generation"] == "new")
    code = collected["code"]

    def corrected(tables):
        columns, rows = tables["CBJYQZ"]
        row = next(r for r in rows if r[0] == code)
        row[columns.index("QZLQRXM")] = "王大山"

    report = run_import(context_for(engine, config), write_tables_csv(config, tmp_path / "v2", households=8,
                                                                      edit=corrected))
    assert [c.line() for c in report.changes] == [
        f"承包经营权证 {code} 领证人姓名：“{collected['collector']}” → “王大山”"]
    assert report.conflicts == []


def test_a_field_corrected_in_the_app_survives_a_reimport_and_the_difference_is_listed(engine, config, tmp_path):
    folder = write_tables_csv(config, tmp_path / "csv", households=6)
    run_import(context_for(engine, config), folder)
    cbfbm = "130123101001010001"
    old_name, old_id = _head(engine, cbfbm)
    update_household(context_for(engine, config), cbfbm, {"name": "张改正", "phone": "13911112222"})
    report = run_import(context_for(engine, config), folder)
    assert _head(engine, cbfbm) == ("张改正", old_id)
    assert not report.changed
    lines = sorted(c.line() for c in report.conflicts)
    assert f"承包方 {cbfbm} 承包方名称：保留本档案的“张改正”（本档案中修改过），数据源为“{old_name}”" in lines
    assert any(line.startswith(f"承包方 {cbfbm} 联系电话：保留本档案的“139****2222”") for line in lines)


def test_a_waived_finding_stays_waived_when_the_import_finds_it_again(engine, config, tmp_path):
    folder = write_tables_csv(config, tmp_path / "csv", households=5,
                              edit=lambda t: _edit(t, "CBF_JTCY", 0, "CYZJHM", ""))
    run_import(context_for(engine, config), folder)
    with engine.connect() as connection:
        finding = connection.execute(select(Finding).where(Finding.rule == "id_number")).one()
    waive(context_for(engine, config), finding.id, "本人无身份证，户口簿已核对")
    report = run_import(context_for(engine, config), folder)
    assert report.findings_opened == 0 and report.findings_resolved == 0
    with engine.connect() as connection:
        rows = connection.execute(select(Finding.id, Finding.status).where(Finding.rule == "id_number")).all()
    assert rows == [(finding.id, "waived")]


def test_a_source_with_only_some_tables_adds_without_erasing(engine, config, tmp_path):
    """A later delivery of just FBF and CBF (the county corrected addresses): members, parcels,
    certificates and the members' findings stay as they were."""
    full = write_tables_csv(config, tmp_path / "full", households=5,
                            edit=lambda t: _edit(t, "CBF_JTCY", 1, "CYZJHM", ""))
    run_import(context_for(engine, config), full)
    before = table_counts(engine)
    with engine.connect() as connection:
        member_findings = connection.execute(select(Finding.id, Finding.status)).all()

    def moved(tables):
        _edit(tables, "CBF", 0, "CBFDZ", "城关镇新村路8号")

    partial = write_tables_csv(config, tmp_path / "partial", households=5, edit=moved)
    for path in partial.iterdir():
        if path.stem not in ("FBF", "CBF"):
            path.unlink()
    report = run_import(context_for(engine, config), partial)
    assert [c.field for c in report.changes] == ["地址"]
    assert table_counts(engine) == {**before, "audit_event": before["audit_event"] + 1}
    with engine.connect() as connection:
        assert connection.execute(select(Finding.id, Finding.status)).all() == member_findings
