"""One browser tab's app process (started by ``archive-tui serve``, never by hand).

It reads the archive folder and the account from its environment, checks the account
again against the database and runs the app as that account: the account is the
operator of everything it does, its role decides the keys. No inbox intake and no daily
backup here: those belong to the workstation that scans.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from archive_tui.core.config import load_config
from archive_tui.bootstrap import open_engine
from archive_tui.core.errors import ArchiveError
from archive_tui.services.admin.accounts import session_user
from archive_tui.web.sessions import SESSION_ENV

# SQLite's own page cache per connection. Ten tabs are ten processes: 64 MiB each (the
# terminal's, sized for imports) made a tab take 249 MiB at 100,000 households, 8 MiB makes
# it 126 MiB; the pages they all read stay in the operating system's file cache, which the
# processes share (bench/serve_bench.py).
CACHE_MIB = 8


def main() -> int:
    try:
        config = load_config(Path(os.environ[SESSION_ENV["config"]]))
        engine = open_engine(config, cache_mib=CACHE_MIB)
        user = session_user(engine, os.environ[SESSION_ENV["account"]])
    except KeyError:
        print("错误：此程序由 archive-tui serve 启动，不能直接运行", file=sys.stderr)
        return 2
    except ArchiveError as error:
        print(f"错误：{error.message}", file=sys.stderr)
        return 1
    from archive_tui.tui.app import ArchiveApp

    ArchiveApp(config, engine, user=user).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
