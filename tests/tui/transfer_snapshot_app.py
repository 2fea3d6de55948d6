"""The 移交 dialogs' snapshots (run by pytest-textual-snapshot): a township whose village refuses
five files for a transfer (tests/tui/transfer_township.py), a batch ready to send and an empty one."""

import tempfile
from pathlib import Path

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config
from archive_tui.db import open_database
from archive_tui.services.households.search import build_missing
from archive_tui.services.transfers import transfers
from archive_tui.tui.app import ArchiveApp
from tests.tui.transfer_township import refusing_township

folder = Path(tempfile.mkdtemp(prefix="archive-snapshot-"))
write_default_config(folder / "config.toml")
config = load_config(folder / "config.toml", operator="王档案")
engine = open_database(config.database_url)
rows = refusing_township(engine, config)["households"]  # the first batch holds the first file
build_missing(engine)
ctx = context_for(engine, config)
sending = transfers.new_batch(ctx, transfers.Batch("正定县档案馆", handed_over_by="王档案"))  # the second: to send
transfers.add(ctx, sending, [row["archive_code"] for row in rows[3:4]], override="户主外出务工，签字另补")
transfers.add(ctx, sending, [row["archive_code"] for row in rows[5:]])
transfers.new_batch(ctx, transfers.Batch("正定县档案馆"))  # the third: a village to add
app = ArchiveApp(config, engine, section="transfers")

if __name__ == "__main__":
    app.run()
