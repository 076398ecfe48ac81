"""Short-lived DuckDB connections to the warehouse file.

DuckDB allows one writing process per file and dbt writes from a subprocess, so a
connection must be closed before dbt starts, also when the code using it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


def sql_literal(text: str) -> str:
    """A SQL string literal (quotes doubled), for what DuckDB takes no parameter for: paths, comments."""
    return "'" + text.replace("'", "''") + "'"


@contextmanager
def connect(database: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection in UTC (as the dbt profile sets), always closed on exit."""
    con = duckdb.connect(str(database), read_only=read_only)
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()
