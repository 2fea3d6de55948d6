"""A fixed demo archive for the snapshots (run by pytest-textual-snapshot)."""

import tempfile
from pathlib import Path

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config, write_default_config
from archive_tui.db import open_database
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.quality.checks import run_checks
from archive_tui.services.registers.copies import box_files, move
from archive_tui.services.transfers import transfers
from archive_tui.services.households.search import build_missing
from archive_tui.tui.app import ArchiveApp

folder = Path(tempfile.mkdtemp(prefix="archive-snapshot-"))
write_default_config(folder / "config.toml")
config = load_config(folder / "config.toml", operator="王档案")
engine = open_database(config.database_url)
fill_demo(context_for(engine, config), households=120, seed=9)
build_missing(engine)


def waiting_scans() -> None:
    """Three pages the intake could not link, so the 扫描 section has something to show."""
    import os

    from PIL import Image, ImageDraw

    from archive_tui.services.intake.scans import ingest_once

    config.inbox.mkdir(exist_ok=True)
    for number, colour in enumerate(("#c03030", "#3060c0", "#30a050"), start=1):
        page = Image.new("RGB", (420, 594), "white")
        draw = ImageDraw.Draw(page)
        draw.rectangle((30, 30, 390, 120), fill=colour)
        for line in range(8):
            draw.line((40, 170 + line * 45, 380 - line * 20, 170 + line * 45), fill="black", width=6)
        path = config.inbox / f"扫描 {number:04d}.jpg"
        page.save(path, dpi=(300, 300))
        os.utime(path, (1_700_000_000, 1_700_000_000))
    ingest_once(context_for(engine, config))


waiting_scans()
run_checks(context_for(engine, config))
boxes = box_files(context_for(engine, config), village="001", capacity=10, level="township").boxes
move(context_for(engine, config), boxes[:2], "乡政府/档案室/1/1", level="township")
batch = transfers.new_batch(context_for(engine, config), transfers.Batch("正定县档案馆", handed_over_by="王档案"))
transfers.add(context_for(engine, config), batch, village="001", override="户主外出务工，签字另补")
import datetime as dt  # noqa: E402

from archive_tui.services.registers.record_items import NewItem, add_item, box_items  # noqa: E402

for kind, title, day, pages in (("01", "城关镇农村土地承包经营权确权登记颁证工作实施方案", dt.date(2024, 3, 5), 8),
                                ("05", "宣传动员会照片", dt.date(2024, 4, 1), 3),
                                ("03", "确权登记颁证工作推进会会议纪要", dt.date(2024, 5, 20), 4)):
    add_item(context_for(engine, config), NewItem(kind, title, day, responsible="城关镇人民政府", pages=pages))
box_items(context_for(engine, config), year=2024)
app = ArchiveApp(config, engine)

if __name__ == "__main__":
    app.run()
