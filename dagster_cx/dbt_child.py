"""`cx-dbt`: dbt, bound to the life of the process that started it.

dagster-dbt runs dbt as a child process. When the process running the pipeline dies (killed, out
of memory), an unbound dbt child goes on writing the warehouse for seconds or minutes and holds
DuckDB's lock, so the next writer fails with "Could not set lock". On Linux this asks the kernel
to end it with its parent (PR_SET_PDEATHSIG), then becomes dbt itself (exec, same process id).
Elsewhere it only becomes dbt.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def main() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            sys.exit(f"cx-dbt: the process that started dbt (pid {parent}) has exited; not running dbt.")
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *sys.argv[1:]])
