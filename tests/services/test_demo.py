"""The demo township: deterministic, realistic, with the defects inspections look for."""

from sqlalchemy import func, select

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config
from archive_tui.db import open_database
from archive_tui.services.exchange.demo import fill_demo, generate_tables
from archive_tui.services.exchange.exporting import collect_tables
from models import Document, Finding, Parcel
from models.validators import check_household_code, check_id_number, check_parcel_code


def _tables(config, households, seed):
    return {name: table.rows for name, table in generate_tables(config, households, seed).items()}


def test_same_seed_same_township_other_seed_another(config):
    assert _tables(config, 60, 11) == _tables(config, 60, 11)
    assert _tables(config, 60, 11)["CBF"] != _tables(config, 60, 12)["CBF"]


def test_codes_are_valid_and_villages_have_groups(config):
    tables = generate_tables(config, 800, 3)
    households = [row[0] for row in tables["CBF"].rows]
    assert len(households) == 800 == len(set(households))
    assert all(check_household_code(code) is None for code in households)
    assert all(code.startswith(config.settings.township.code) for code in households)
    parcels = tables["DK"].rows
    assert all(check_parcel_code(row[0]) is None for row in parcels)
    villages = {code[:12] for code in households}
    groups = {code[:14] for code in households}
    assert len(villages) >= 2 and len(groups) > len(villages)
    members = tables["CBF_JTCY"].rows
    assert 2 <= len(members) / len(households) <= 6
    valid = sum(check_id_number(str(row[4])).ok for row in members)
    assert 0.95 < valid / len(members) < 1.0  # mostly valid, with a few realistic defects


def test_demo_holds_defects_for_the_checks(engine, config):
    fill_demo(context_for(engine, config), households=1500, seed=8)
    with engine.connect() as connection:
        rules = set(connection.execute(select(Finding.rule)).scalars())
        unnamed = connection.execute(select(func.count()).where(Parcel.name == "")).scalar_one()
        unsigned = connection.execute(
            select(func.count()).where(Document.signed_by_household.is_(False))).scalar_one()
    assert {"id_number", "id_legacy"} <= rules
    assert unnamed > 0 and unsigned > 0


def test_demo_loads_the_same_as_importing_its_tables(tmp_path, engine, config):
    fill_demo(context_for(engine, config), households=30, seed=5)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    write_default_config(other_dir / "config.toml")
    other_config = load_config(other_dir / "config.toml")
    other = open_database(other_config.database_url)
    fill_demo(context_for(other, other_config), households=30, seed=5)
    assert collect_tables(other, other_config) == collect_tables(engine, config)
