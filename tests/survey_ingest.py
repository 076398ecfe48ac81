"""Run the real ingestion step (Dagster's raw_files with its checks) on survey sources, for the survey tests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from dagster_cx.defs.ingest import raw_checks, raw_files
from dagster_cx.defs.resources import RawFilesResource, WarehouseResource
from tests.pipeline import environment

HELD_COLUMNS = ("_load_id", "_source_file", "_source_row", "_loaded_at")


def ingest(warehouse: Path, data_dir: Path, **variables: str | None) -> dg.ExecuteInProcessResult:
    """Materialise every raw entity (files of data_dir, then the configured sources) and run the raw checks."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with environment(**variables):
        return dg.materialize(
            [raw_files, *raw_checks],
            resources={"warehouse": WarehouseResource(database=str(warehouse)),
                       "raw_files": RawFilesResource(data_dir=str(data_dir), parquet_dir="")},
            raise_on_error=False,
        )


def raw_rows(warehouse: Path, entity: str, order_by: str) -> list[tuple]:
    """An entity's raw rows without their lineage, in a fixed order."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * exclude ({', '.join(HELD_COLUMNS)}) from raw.{entity} order by {order_by}"
                           ).fetchall()


def loads(warehouse: Path) -> dict[tuple[str, str], tuple[int, int, int, int, int]]:
    """(entity, source) -> rows read, loaded, quarantined, waiting, excluded, from the load log."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select entity, source_file, rows_read, rows_loaded, rows_quarantined, rows_waiting, "
                           "rows_excluded from raw._file_loads").fetchall()
    return {(entity, source): tuple(counts) for entity, source, *counts in rows}


def step_failure(result: dg.ExecuteInProcessResult) -> str:
    """The description of the failed step's error (empty when nothing failed)."""
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            return (error.cause.message if error.cause else "") + error.message
    return ""
