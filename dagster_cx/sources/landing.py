"""Where an API source's vendor records land: a schema of the warehouse named after the source, via dlt.

dlt keeps the source's incremental state (cursors, the last export's position) in that schema
too (`_dlt_pipeline_state`), committed with the data it describes: a run killed half-way starts
again from the last committed state, and merge write dispositions on the vendor's keys leave no
duplicate. Its working folder sits beside the warehouse, one per warehouse file. The schema
keeps the vendor's shape, personal data included: it is never published (publish copies marts).
"""

from __future__ import annotations

import os
from pathlib import Path

import dlt
import duckdb

from dagster_cx.ingest.raw_tables import FILE_LOADS_TABLE


def landing_pipeline(source: str, warehouse: Path) -> dlt.Pipeline:
    """The dlt pipeline that lands `source` into the warehouse's schema of the same name."""
    # dlt would otherwise send usage telemetry from every run.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    return dlt.pipeline(
        pipeline_name=f"cx_{source}",
        pipelines_dir=str(warehouse.parent / f".dlt_{warehouse.stem}"),
        destination=dlt.destinations.duckdb(credentials=str(warehouse)),
        dataset_name=source,
    )


def unmapped_load_ids(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """The source's completed dlt loads that no batch came from yet (a batch is named `<source>/<load id>`)."""
    landed = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = '_dlt_loads'", [source]
    ).fetchall()[0][0]
    if not landed:
        return []
    return [row[0] for row in con.execute(
        f"""
        select load_id from {source}._dlt_loads
        where status = 0 and load_id not in (
            select split_part(source_file, '/', 2) from {FILE_LOADS_TABLE} where source_file like ? || '/%'
        )
        order by load_id
        """,
        [source],
    ).fetchall()]
