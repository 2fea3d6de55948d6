"""A worker process for the concurrency and crash tests: ``python tests/worker.py CONFIG JOB [N]``.

Each job does real work through the services, as the app, ``scans watch`` or a CLI command
would, in its own process with its own database connections."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.config import load_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402


def main() -> None:
    config = load_config(Path(sys.argv[1]), operator=f"进程-{sys.argv[2]}")
    engine = open_database(config.database_url)
    job = sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 20
    if job == "edit":
        from archive_tui.services.editing import update_household
        from archive_tui.services.households import list_households

        households = list_households(engine)
        for number in range(count):
            update_household(engine, config, households[number % len(households)]["cbfbm"],
                             {"address": f"第{number}次修改"})
    elif job == "recall":
        from archive_tui.services.certificates import list_certificates, recall

        for certificate in list_certificates(engine, outstanding="old_not_recalled", limit=count):
            recall(engine, config, certificate["serial"], by="户主")
    elif job == "check":
        from archive_tui.services.checks import run_checks

        for _ in range(count):
            run_checks(engine, config)
    elif job == "move":
        from archive_tui.services.copies import move
        from archive_tui.services.households import list_households

        households = list_households(engine)
        for number in range(count):
            move(engine, config, [households[number % len(households)]["cbfbm"]], f"乡政府/档案室/{number % 5 + 1}",
                 level="county")
    elif job == "ingest":
        from archive_tui.services.scans import ingest_once

        for _ in range(count):
            ingest_once(engine, config)
    elif job == "import":
        from archive_tui.services.importing import run_import

        run_import(engine, config, Path(sys.argv[3]))
    elif job == "package":
        from archive_tui.services.transfer_bags import package

        package(engine, config, sys.argv[3], Path(sys.argv[4]), processes=1)
    else:
        raise SystemExit(f"unknown job {job}")
    print("done")


if __name__ == "__main__":
    main()
