"""A worker process for the concurrency and crash tests: ``python tests/worker.py CONFIG JOB [N]``.

Each job does real work through the services, as the app, ``scans watch`` or a CLI command
would, in its own process with its own database connections."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_tui.bootstrap import context_for
from archive_tui.core.config import load_config  # noqa: E402
from archive_tui.db import open_database  # noqa: E402


def die() -> None:
    import os
    import signal

    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def crash_while_filing(after: int) -> None:
    """Die between copying a page into the store and recording it (the nastiest moment)."""
    from archive_tui.services.intake import scans

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
    from archive_tui.services.exchange.importing import writer

    members = writer.ArchiveWriter.members

    def members_then_crash(self, *args, **kwargs):
        members(self, *args, **kwargs)
        die()

    writer.ArchiveWriter.members = members_then_crash


def wait_for(signal: Path, ready: Path) -> None:
    """Tell the test this process got here, then wait until it says go on."""
    import time

    ready.touch()
    for _ in range(600):
        if signal.exists():
            return
        time.sleep(0.05)
    raise SystemExit("no signal")


def pause_import(where: str, signal: Path) -> None:
    """Make the import stop and wait at a fixed point: before it takes the write lock (its
    source read, nothing of the archive yet), or inside its transaction, before certificates."""
    from archive_tui import audit
    from archive_tui.services.exchange.importing import writer

    ready = signal.with_suffix(".ready")
    if where == "before-lock":
        take = audit.take_write_lock

        def wait_then_lock(connection):
            wait_for(signal, ready)
            take(connection)

        audit.take_write_lock = wait_then_lock
    else:
        certificates = writer.ArchiveWriter.certificates

        def wait_then_write(self, *args, **kwargs):
            wait_for(signal, ready)
            certificates(self, *args, **kwargs)

        writer.ArchiveWriter.certificates = wait_then_write


def crash_while_receiving() -> None:
    """Die when the received pages are in the store but their rows not yet committed."""
    import os as _os

    from archive_tui.services.transfers import transfer_bags

    replace, done = _os.replace, []

    def replace_then_die(*args, **kwargs):
        replace(*args, **kwargs)
        done.append(1)
        if len(done) >= 2:
            die()

    transfer_bags.os.replace = replace_then_die


def main() -> None:
    config = load_config(Path(sys.argv[1]), operator=f"进程-{sys.argv[2]}")
    engine = open_database(config.database_url)
    job = sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 20
    if job == "edit":
        from archive_tui.services.households.editing import update_household
        from archive_tui.services.households.households import list_households

        households = list_households(engine)
        for number in range(count):
            update_household(context_for(engine, config), households[number % len(households)]["cbfbm"],
                             {"address": f"第{number}次修改"})
    elif job == "recall":
        from archive_tui.services.registers.certificates import list_certificates, recall

        for certificate in list_certificates(engine, outstanding="old_not_recalled", limit=count):
            recall(context_for(engine, config), certificate["serial"], by="户主")
    elif job == "check":
        from archive_tui.services.quality.checks import run_checks

        for _ in range(count):
            run_checks(context_for(engine, config))
    elif job == "move":
        from archive_tui.services.registers.copies import move
        from archive_tui.services.households.households import list_households

        households = list_households(engine)
        for number in range(count):
            move(context_for(engine, config), [households[number % len(households)]["cbfbm"]],
                 f"乡政府/档案室/{number % 5 + 1}",
                 level="county")
    elif job in ("ingest", "ingest-crash"):
        from archive_tui.services.intake.scans import ingest_once

        if job == "ingest-crash":
            crash_while_filing(after=count)
            count = 1
        for _ in range(count):
            ingest_once(context_for(engine, config))
    elif job in ("import", "import-crash", "import-pause"):
        from archive_tui.services.exchange.importing import run_import

        if job == "import-crash":
            crash_after_members()
        if job == "import-pause":
            pause_import(sys.argv[4], Path(sys.argv[5]))
        run_import(context_for(engine, config), Path(sys.argv[3]))
    elif job in ("receive", "receive-crash"):
        from archive_tui.services.transfers.transfer_bags import receive

        if job == "receive-crash":
            crash_while_receiving()
        receive(context_for(engine, config), Path(sys.argv[3]))
    elif job == "new-batch":
        from archive_tui.services.transfers.transfers import Batch, new_batch

        print(new_batch(context_for(engine, config), Batch("县档案馆")))
    elif job == "issue":
        from archive_tui.services.registers.certificates import Collector, issue

        issue(context_for(engine, config), sys.argv[3], Collector(sys.argv[4], sys.argv[5]))
    elif job in ("package", "package-crash"):
        from archive_tui.services.transfers.transfer_bags import package

        if job == "package-crash":
            crash_while_bagging()
        package(context_for(engine, config), sys.argv[3], Path(sys.argv[4]), processes=1)
    else:
        raise SystemExit(f"unknown job {job}")
    print("done")


if __name__ == "__main__":
    main()
