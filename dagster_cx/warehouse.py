"""Short-lived DuckDB connections to the warehouse file.

DuckDB allows one writing process per file and dbt writes from a subprocess, so a
connection must be closed before dbt starts, also when the code using it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_cx import settings


def sql_literal(text: str) -> str:
    """A SQL string literal (quotes doubled), for what DuckDB takes no parameter for: paths, comments."""
    return "'" + text.replace("'", "''") + "'"


@contextmanager
def connect(database: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection in UTC with the pipeline's memory limit (as the dbt profile sets), always closed on exit."""
    limit = settings.duckdb_memory_limit()
    try:
        con = duckdb.connect(str(database), read_only=read_only, config={"memory_limit": limit})
    except duckdb.ParserException as error:  # the only text parsed on connect is the config
        raise ValueError(
            f"CX_DUCKDB_MEMORY_LIMIT={limit!r} is not a DuckDB memory limit ({error}); "
            "set it to a share of RAM such as '25%' or a size such as '6GiB'."
        ) from error
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()
