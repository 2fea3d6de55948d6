"""Shared fixtures: a real archive folder (config.toml + SQLite file) per test."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive_tui.core.config import Config, load_config, write_default_config
from archive_tui.audit import anchor_file_for, keep_anchor, server_anchor_file
from archive_tui.db import open_database
from archive_tui.reports.tables import write_csv_folder
from archive_tui.services.exchange.demo import generate_tables
from archive_tui.services.exchange.exporting import _cell
from models import metadata


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path_factory, monkeypatch):
    """Never read the developer's own user config folder or operator."""
    monkeypatch.setattr("archive_tui.core.config.user_config_path",
                        lambda: tmp_path_factory.mktemp("userconf") / "config.toml")
    monkeypatch.delenv("ARCHIVE_TUI_OPERATOR", raising=False)


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory) -> Path:
    """One SQLite file built by the migrations, for the whole session."""
    from archive_tui.db import make_engine, upgrade

    path = tmp_path_factory.mktemp("migrated") / "archive.db"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(autouse=True)
def _new_sqlite_files_start_migrated(request, monkeypatch, _migrated_sqlite):
    """A new SQLite database starts as a copy of the migrated file (0.07 s instead of 0.25 s of
    migrations, in every test that opens one); the tests of the migrations themselves
    (marked ``real_migrations``) build theirs step by step."""
    if request.node.get_closest_marker("real_migrations"):
        return
    import archive_tui.db

    real_upgrade = archive_tui.db.upgrade

    def upgrade(engine):
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and database != ":memory:":
            path = Path(database)
            if not path.exists() or path.stat().st_size == 0:
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(_migrated_sqlite, path)
        return real_upgrade(engine)

    monkeypatch.setattr(archive_tui.db, "upgrade", upgrade)


@pytest.fixture
def archive_dir(tmp_path) -> Path:
    folder = tmp_path / "档案 文件夹"  # Chinese and a space, as on archivists' PCs
    folder.mkdir()
    write_default_config(folder / "config.toml")
    return folder


@pytest.fixture
def config(archive_dir) -> Config:
    return load_config(archive_dir / "config.toml")


@pytest.fixture
def engine(config):
    engine = open_database(config.database_url)
    if engine.dialect.name == "sqlite":  # as the CLI and the app open it (bootstrap): the audit anchor beside it
        keep_anchor(engine, anchor_file_for(Path(engine.url.database)))
    else:  # a server's database: the anchor beside this computer's config.toml
        keep_anchor(engine, server_anchor_file(config.root))
    yield engine
    engine.dispose()


def another_archive(folder: Path) -> tuple[Config, object]:
    """A second, empty archive folder (another township, another workstation): config and engine."""
    folder.mkdir(parents=True)
    write_default_config(folder / "config.toml")
    config = load_config(folder / "config.toml")
    return config, open_database(config.database_url)


def table_counts(engine) -> dict[str, int]:
    """Rows per table: the 'unchanged database' check."""
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }


def folder_counts(folder: Path) -> dict[str, int]:
    """The row count of every table of the archive in ``folder`` (its config.toml's database)."""
    engine = open_database(load_config(folder / "config.toml").database_url)
    try:
        return table_counts(engine)
    finally:
        engine.dispose()


def add_campaign_files(engine, config: Config, codes: list[str], campaign: str = "延包") -> None:
    """These households reached a later campaign, made directly (confirmed, publicised, signed): a
    campaign record each, then their files of the campaign."""
    import datetime as dt

    from archive_tui.db.tables import CAMPAIGN_RECORD, HOUSEHOLD
    from archive_tui.services.households import archive_files

    with engine.begin() as connection:
        for household_id in connection.execute(select(HOUSEHOLD.c.id).where(HOUSEHOLD.c.code.in_(codes))).scalars():
            connection.execute(CAMPAIGN_RECORD.insert().values(
                household_id=household_id, campaign=campaign, confirmed_on=dt.date(2026, 3, 2),
                publicised_on=dt.date(2026, 3, 20), objection="", signed_on=dt.date(2026, 4, 8), members="[]",
                parcels="[]", new_household=False, note=""))
        assert archive_files.create_missing(connection, config, campaign) == len(codes)


def write_tables_csv(config: Config, folder: Path, households: int = 20, seed: int = 7,
                     encoding: str = "utf-8-sig", edit=None) -> Path:
    """A folder of NY/T 2539 CSV files for a synthetic township; ``edit(tables)`` may change rows."""
    tables = {name: (t.columns, [[_cell(v) for v in row] for row in t.rows])
              for name, t in generate_tables(config, households, seed).items()}
    if edit:
        edit(tables)
    write_csv_folder(tables, folder, encoding=encoding)
    return folder


@dataclass
class CliResult:
    code: int
    out: str
    err: str


INTERNALS = ("Traceback (most recent call last)", "sqlalche.me", "[SQL:", "[parameters:")  # never shown to a user


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run the real entry point in-process, in a given folder."""
    from archive_tui.cli import main

    def run(*args: str, cwd: Path) -> CliResult:
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["archive-tui", *map(str, args)])
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        captured = capsys.readouterr()
        leaked = [mark for mark in INTERNALS if mark in captured.out + captured.err]
        assert not leaked, f"internals on the archivist's screen {leaked}: {captured.err[-2000:]}"
        return CliResult(code, captured.out, captured.err)

    return run


os.environ.setdefault("COLUMNS", "120")


def render_pdf_page(path: Path, index: int = 0, dpi: int = 150):
    """One page of a real PDF rendered to a Pillow image (pdfium), to look at or to scan."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return document[index].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
