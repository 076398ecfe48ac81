"""Reconciliation: every row read from a file or a source's batch is in exactly one place.

Per load: rows read = loaded + waiting + quarantined + excluded, as logged when it was read;
and now, after releases of waiting rows: rows read = its rows in the raw table + the rows
released from it + those still waiting + quarantined + excluded. Each release's raw rows
equal the count it logged. A row that vanished, or was written twice, breaks one of these.
"""

from __future__ import annotations

import duckdb

from dagster_cx.contract import Entity
from dagster_cx.ingest.raw_tables import (
    EXCLUDED_TABLE,
    FILE_LOADS_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    RELEASES_TABLE,
    WAITING_TABLE,
)


def mismatches(con: duckdb.DuckDBPyConnection, entity: Entity) -> list[list[str]]:
    """Each load of the entity that does not reconcile: [what, rows read or released, loaded as logged,
    rows in the raw table, rows held elsewhere]; empty when everything adds up."""
    rows = con.execute(
        f"""
        with in_raw as (
            select _load_id, count(*) as n from {RAW_SCHEMA}.{entity.name} group by 1
        ),
        held as (
            select place, _load_id, count(*) as n
            from (select 'quarantine' as place, _load_id from {QUARANTINE_TABLE} where entity = $1
                  union all select 'waiting', _load_id from {WAITING_TABLE} where entity = $1
                  union all select 'excluded', _load_id from {EXCLUDED_TABLE} where entity = $1)
            group by all
        ),
        released as (
            select from_load_id, sum(rows_released) as n from {RELEASES_TABLE} where entity = $1 group by 1
        ),
        files as (
            select f.source_file, f.load_id, f.rows_read, f.rows_loaded,
                   coalesce(f.rows_waiting, 0) as rows_waiting, f.rows_quarantined,
                   coalesce(f.rows_excluded, 0) as rows_excluded,
                   coalesce(r.n, 0) as in_raw, coalesce(rel.n, 0) as released,
                   coalesce(sum(h.n) filter (where h.place = 'waiting'), 0) as waiting_now,
                   coalesce(sum(h.n) filter (where h.place = 'quarantine'), 0) as quarantined_now,
                   coalesce(sum(h.n) filter (where h.place = 'excluded'), 0) as excluded_now
            from {FILE_LOADS_TABLE} as f
            left join in_raw as r on r._load_id = f.load_id
            left join released as rel on rel.from_load_id = f.load_id
            left join held as h on h._load_id = f.load_id
            where f.entity = $1
            group by all
        )
        select 'file ' || source_file, rows_read, rows_loaded, in_raw,
               released + waiting_now + quarantined_now + excluded_now
        from files
        where not (rows_read = rows_loaded + rows_waiting + rows_quarantined + rows_excluded
                   and rows_loaded = in_raw
                   and rows_read = in_raw + released + waiting_now + quarantined_now + excluded_now)
        union all
        select 'release ' || rel.load_id, sum(rel.rows_released), null, coalesce(any_value(r.n), 0), null
        from {RELEASES_TABLE} as rel
        left join in_raw as r on r._load_id = rel.load_id
        where rel.entity = $1
        group by rel.load_id
        having sum(rel.rows_released) <> coalesce(any_value(r.n), 0)
        """,
        [entity.name],
    ).fetchall()
    return [[str(value) for value in row] for row in rows]
