"""`cx-dbt`: dbt, bound to the life of the process that started it.

dagster-dbt runs dbt as a child process. When the process running the pipeline dies (killed, out
of memory), an unbound dbt child goes on writing the warehouse for seconds or minutes and holds
DuckDB's lock, so the next writer fails with "Could not set lock". On Linux this asks the kernel
to end it with its parent (PR_SET_PDEATHSIG), then becomes dbt itself (exec, same process id).
Elsewhere it only becomes dbt.

The parent names itself in CX_DBT_PARENT_PID (`parent_environment`): under load the shim's
Python can start after its parent was killed, when getppid() already names whoever adopted it,
and a dbt bound to that process would write on. Run by hand, without the variable, the process
that started the shim is its parent.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
PARENT_PID = "CX_DBT_PARENT_PID"


def dbt_executable() -> str:
    """The dbt installed beside this Python, so an un-activated virtualenv still finds it; through
    `cx-dbt`, this shim, where installed."""
    for name in ("cx-dbt", "dbt"):
        beside = Path(sys.executable).with_name(name)
        if beside.exists():
            return str(beside)
    return shutil.which("dbt") or "dbt"


def parent_environment() -> dict[str, str]:
    """This process's environment, naming this process as the one dbt lives and dies with."""
    return {**os.environ, PARENT_PID: str(os.getpid())}


def main() -> None:
    parent = int(os.environ.get(PARENT_PID) or os.getppid())
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            sys.exit(f"cx-dbt: the process that started dbt (pid {parent}) has exited; not running dbt.")
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *sys.argv[1:]])
