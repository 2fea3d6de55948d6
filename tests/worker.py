"""A worker process for the concurrency and crash tests: ``python tests/worker.py CONFIG JOB [N]``.

Each job does real work through the services, as the app, ``scans watch`` or a CLI command
would, in its own process with its own database connections."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.config import load_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402


def die() -> None:
    import os
    import signal

    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def crash_while_filing(after: int) -> None:
    """Die between copying a page into the store and recording it (the nastiest moment)."""
    from archive_tui.services import scans

    copy, done = scans.copy_verified, []

    def copy_then_maybe_die(*args, **kwargs):
        copy(*args, **kwargs)
        done.append(1)
        if len(done) > after:
            die()

    scans.copy_verified = copy_then_maybe_die


def crash_while_bagging() -> None:
    """Die when the pages are in ``<bag>.part`` but before bagit writes the manifests."""
    import bagit

    bagit.make_bag = lambda *args, **kwargs: die()


def crash_after_members() -> None:
    """Kill this very process (SIGKILL; TerminateProcess on Windows) once the import has
    written households and members but not yet committed: a crash in mid-transaction."""
    from archive_tui.services.importing import writer

    members = writer.ArchiveWriter.members

    def members_then_crash(self, *args, **kwargs):
        members(self, *args, **kwargs)
        die()

    writer.ArchiveWriter.members = members_then_crash


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
    elif job in ("ingest", "ingest-crash"):
        from archive_tui.services.scans import ingest_once

        if job == "ingest-crash":
            crash_while_filing(after=count)
            count = 1
        for _ in range(count):
            ingest_once(engine, config)
    elif job in ("import", "import-crash"):
        from archive_tui.services.importing import run_import

        if job == "import-crash":
            crash_after_members()
        run_import(engine, config, Path(sys.argv[3]))
    elif job in ("package", "package-crash"):
        from archive_tui.services.transfer_bags import package

        if job == "package-crash":
            crash_while_bagging()
        package(engine, config, sys.argv[3], Path(sys.argv[4]), processes=1)
    else:
        raise SystemExit(f"unknown job {job}")
    print("done")


if __name__ == "__main__":
    main()
