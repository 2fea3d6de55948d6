"""The command line (命令行): thin Typer wrappers over the services, one module per command
group (mirroring ``services/``), shared helpers in ``common``.

User errors print one Chinese message on stderr and exit 1; usage errors exit 2.
"""

from archive_tui.cli.main import app, main

__all__ = ["app", "main"]
