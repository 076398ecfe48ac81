"""The raw layer's tables: one per entity, the load logs, and where rows that did not load are kept.

Shared by the loader, the waiting rows and the build log, which all write here.
"""

from __future__ import annotations

import duckdb

from dagster_cx.contract import Entity

RAW_SCHEMA = "raw"
FILE_LOADS_TABLE = f"{RAW_SCHEMA}._file_loads"
QUARANTINE_TABLE = f"{RAW_SCHEMA}.quarantine"
WAITING_TABLE = f"{RAW_SCHEMA}.waiting"
EXCLUDED_TABLE = f"{RAW_SCHEMA}.excluded"
# One row per release of waiting rows: the load id their raw rows carry, and where they came from.
RELEASES_TABLE = f"{RAW_SCHEMA}._waiting_releases"
# Written by dagster_cx.build_state after each successful dbt build; read by the int_changes_* models.
BUILD_LOG_TABLE = f"{RAW_SCHEMA}._dbt_builds"
# Written after each successful dbt staging step: the raw loads the staging tables hold, which the
# GX suites on staged data validate through (dagster_cx.quality.validation_scope).
STAGING_LOG_TABLE = f"{RAW_SCHEMA}._dbt_staging_builds"
LINEAGE_COLUMNS = (
    ("_load_id", "bigint"),
    ("_source_file", "varchar"),
    ("_source_row", "bigint"),
    ("_loaded_at", "timestamptz"),
)
# Rows that did not load: their place, with the row as read and every reason.
HELD_ROWS_COLUMNS = """
    entity varchar not null,
    _load_id bigint not null,
    _source_file varchar not null,
    _source_row bigint not null,
    _loaded_at timestamptz not null,
    record json not null,
    reasons varchar[] not null,
    reason varchar not null
"""


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, entities: tuple[Entity, ...]) -> None:
    """Create the raw schema, the load logs, the quarantine, the waiting and excluded rows, the
    dbt build logs and one table per entity."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {FILE_LOADS_TABLE} (
            load_id bigint primary key,
            entity varchar not null,
            source_file varchar not null,
            file_hash varchar not null,
            file_bytes bigint not null,
            rows_read bigint not null,
            rows_loaded bigint not null,
            rows_quarantined bigint not null,
            loaded_at timestamptz not null,
            file_mtime_ns bigint,
            unique (entity, file_hash)
        )
        """
    )
    # Columns added after warehouses were in use: their earlier loads had none of these rows.
    con.execute(f"alter table {FILE_LOADS_TABLE} add column if not exists file_mtime_ns bigint")
    for column in ("rows_waiting", "rows_excluded"):
        con.execute(f"alter table {FILE_LOADS_TABLE} add column if not exists {column} bigint default 0")
    con.execute(f"alter table {FILE_LOADS_TABLE} add column if not exists row_flags json")
    for table in (QUARANTINE_TABLE, WAITING_TABLE, EXCLUDED_TABLE):
        con.execute(f"create table if not exists {table} ({HELD_ROWS_COLUMNS})")
    con.execute(
        f"""
        create table if not exists {RELEASES_TABLE} (
            load_id bigint not null,
            entity varchar not null,
            from_load_id bigint not null,
            rows_released bigint not null,
            rows_quarantined bigint not null,
            rows_excluded bigint not null,
            released_at timestamptz not null,
            primary key (load_id, from_load_id)
        )
        """
    )
    con.execute(
        f"""
        create table if not exists {BUILD_LOG_TABLE} (
            build_id bigint primary key,
            changes_through_load_id bigint not null,
            mode varchar not null,
            project_fingerprint varchar not null,
            rebuild_from date,
            rebuild_to date,
            started_at timestamptz not null,
            finished_at timestamptz not null,
            dagster_run_id varchar
        )
        """
    )
    con.execute(
        f"""
        create table if not exists {STAGING_LOG_TABLE} (
            staging_build_id bigint primary key,
            staged_through_load_id bigint not null,
            mode varchar not null,
            finished_at timestamptz not null,
            dagster_run_id varchar
        )
        """
    )
    for entity in entities:
        columns = [f"{c.name} {c.type}" for c in entity.columns]
        columns += [f"{name} {type_} not null" for name, type_ in LINEAGE_COLUMNS]
        con.execute(f"create table if not exists {RAW_SCHEMA}.{entity.name} ({', '.join(columns)})")
        for column in entity.columns:
            if column.may_be_absent:  # a warehouse built before the column joined the contract
                con.execute(f"alter table {RAW_SCHEMA}.{entity.name} add column if not exists {column.name} {column.type}")


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """File loads and releases of waiting rows share one sequence: raw rows carry either."""
    return con.execute(
        f"select greatest((select max(load_id) from {FILE_LOADS_TABLE}), "
        f"(select max(load_id) from {RELEASES_TABLE}), 0) + 1"
    ).fetchall()[0][0]
