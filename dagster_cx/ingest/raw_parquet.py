"""The validated raw tables as Parquet, for an engine other than DuckDB (Spark via dbt-spark).

Spark reads `raw.<entity>` as an external Parquet table (the dbt macro
`register_raw_parquet_sources`), so the Spark build starts from exactly the rows the DuckDB
build loaded; quarantine stays in DuckDB. Each table is written beside its folder and then
swapped in, so a reader of a table sees its previous export or the new one, never half of one.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb

from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.raw_tables import RAW_SCHEMA
from dagster_cx.warehouse import sql_literal

EXPORTED_TABLES: tuple[str, ...] = tuple(entity.name for entity in ENTITIES)


def export_raw_parquet(
    con: duckdb.DuckDBPyConnection, target_dir: Path, tables: Sequence[str] = EXPORTED_TABLES
) -> dict[str, int]:
    """Write each raw entity table to `target_dir/<table>/data.parquet`; return rows per table."""
    unknown = sorted(set(tables) - set(EXPORTED_TABLES))
    if unknown:
        raise ValueError(f"{unknown} are not raw entities; export some of {list(EXPORTED_TABLES)}.")
    target_dir.mkdir(parents=True, exist_ok=True)
    missing = [
        table
        for table in tables
        if not con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [RAW_SCHEMA, table]
        ).fetchone()[0]
    ]
    if missing:
        raise RuntimeError(
            f"raw tables {missing} do not exist in the warehouse yet: run the ingestion "
            "(`cx-warehouse run`, or the ingest assets in Dagster) before exporting them."
        )
    rows: dict[str, int] = {}
    for table in tables:
        incoming = target_dir / f".{table}.{uuid.uuid4().hex}"
        incoming.mkdir()
        target = sql_literal(str(incoming / "data.parquet"))
        rows[table] = con.execute(f"copy {RAW_SCHEMA}.{table} to {target} (format parquet)").fetchone()[0]
        _swap_in(incoming, target_dir / table)
    return rows


def is_current(con: duckdb.DuckDBPyConnection, target_dir: Path, table: str) -> bool:
    """Whether `target_dir/<table>` holds the table's newest load: a failed or skipped export
    since then (or none yet) means it must be written again, even when this run loads nothing."""
    files = target_dir / table / "data.parquet"
    if not files.exists():
        return False
    return con.execute(
        f"select (select max(_load_id) from read_parquet(?)) is not distinct from "
        f"(select max(_load_id) from {RAW_SCHEMA}.{table})",
        [str(files)],
    ).fetchone()[0]


def _swap_in(incoming: Path, published: Path) -> None:
    """Replace `published` by `incoming` with two renames; the old folder is removed afterwards."""
    retired = published.with_name(f".{published.name}.retired.{uuid.uuid4().hex}")
    if published.exists():
        published.rename(retired)
    incoming.rename(published)
    shutil.rmtree(retired, ignore_errors=True)
