"""A fixed demo archive for the snapshots (run by pytest-textual-snapshot)."""

import tempfile
from pathlib import Path

from archive_tui.config import load_config, write_default_config
from archive_tui.db import open_database
from archive_tui.services.demo import fill_demo
from archive_tui.services.search import build_missing
from archive_tui.tui.app import ArchiveApp

folder = Path(tempfile.mkdtemp(prefix="archive-snapshot-"))
write_default_config(folder / "config.toml")
config = load_config(folder / "config.toml", operator="王档案")
engine = open_database(config.database_url)
fill_demo(engine, config, households=120, seed=9)
build_missing(engine)
app = ArchiveApp(config, engine)

if __name__ == "__main__":
    app.run()
