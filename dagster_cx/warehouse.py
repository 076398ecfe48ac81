"""Short-lived DuckDB connections to the warehouse file.

DuckDB allows one writing process per file and dbt writes from a subprocess, so a
connection must be closed before dbt starts, also when the code using it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
import logging
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_cx import settings, writer_lock

log = logging.getLogger(__name__)


def sql_literal(text: str) -> str:
    """A SQL string literal (quotes doubled), for what DuckDB takes no parameter for: paths, comments."""
    return "'" + text.replace("'", "''") + "'"


@contextmanager
def connect(database: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection in UTC with the pipeline's memory limit (as the dbt profile sets), always closed on exit.

    When another process holds DuckDB's lock on the file (a `duckdb` shell or `mf query` left open, a
    writer outside the pipeline's own lock), wait for it a bounded time, saying so, instead of failing.
    """
    limit = settings.duckdb_memory_limit()
    con = _open(str(database), read_only, limit)
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def _open(database: str, read_only: bool, memory_limit: str) -> duckdb.DuckDBPyConnection:
    deadline, said = None, False
    while True:
        try:
            return duckdb.connect(database, read_only=read_only, config={"memory_limit": memory_limit})
        except duckdb.ParserException as error:  # the only text parsed on connect is the config
            raise ValueError(
                f"CX_DUCKDB_MEMORY_LIMIT={memory_limit!r} is not a DuckDB memory limit ({error}); "
                "set it to a share of RAM such as '25%' or a size such as '6GiB'."
            ) from error
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            holder = str(error).split("Conflicting lock is held in", 1)[-1].strip()
            deadline = deadline or time.monotonic() + writer_lock.timeout_seconds()
            if time.monotonic() >= deadline:
                raise writer_lock.WarehouseBusy(
                    f"The warehouse {database} stayed locked by another process ({holder}) for "
                    f"{writer_lock.timeout_seconds():g} s (CX_WRITER_LOCK_TIMEOUT). DuckDB lets one process write a "
                    "file: close that process (a duckdb shell, `mf query`, a notebook) and run again."
                ) from error
            if not said:
                log.warning(f"The warehouse {database} is locked by another process ({holder}); waiting for it ...")
                said = True
            time.sleep(0.5)
