"""Ingestion: one step loads every raw entity's new files, in the contract's order, into the `raw` schema.

Each entity is an asset of its own (lineage, checks, metadata), but one step loads them all:
an unreadable file of one entity must not keep another entity's valid files from loading, as
separate assets would (a failed asset skips everything downstream of it, other entities'
assets included). The step fails after loading what it could, naming every unreadable file,
so dbt and everything after it wait for the fix.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from dagster_cx import settings
from dagster_cx.contract import ENTITIES, Entity
from dagster_cx.defs.resources import RawFilesResource, WarehouseResource
from dagster_cx.defs.sources import landings_feeding
from dagster_cx.ingest.freshness import freshness
from dagster_cx.ingest.loader import EntityLoadResult, load_entity
from dagster_cx.ingest.plausibility import configured_limits
from dagster_cx.ingest.raw_parquet import export_raw_parquet, is_current
from dagster_cx.ingest.raw_tables import (
    FILE_LOADS_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    WAITING_TABLE,
    ensure_raw_schema,
)
from dagster_cx.ingest.reconcile import mismatches
from dagster_cx.ingest.waiting import can_wait, waiting_rows
from dagster_cx.sources.batches import load_batches
from dagster_cx.sources.registry import configured_sources, sources_feeding

GROUP = "ingest"
WRITER_POOL = "duckdb_writer"
MAX_LOADS_SHOWN = 100  # per-load counts in an asset's metadata; raw._file_loads has every one


def raw_asset_key(entity_name: str) -> dg.AssetKey:
    """Matches dagster-dbt's key for the dbt source `raw.<entity>`, so lineage joins up."""
    return dg.AssetKey([RAW_SCHEMA, entity_name])


def _spec(entity: Entity) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=raw_asset_key(entity.name),
        group_name=GROUP,
        kinds={"duckdb", "python"},
        description=f"{entity.description} Loaded from CX_DATA_DIR/{entity.name}/ (CSV or Parquet).",
        deps=[*(raw_asset_key(name) for name in entity.depends_on), *landings_feeding(entity.name)],
    )


@dg.multi_asset(specs=[_spec(entity) for entity in ENTITIES], name="raw_files", can_subset=True, pool=WRITER_POOL)
def raw_files(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, raw_files: RawFilesResource
) -> Iterator[dg.MaterializeResult]:
    """Load each selected entity's new files and source batches; rows waiting for a parent load when it has arrived."""
    limits = configured_limits()
    failures: dict[str, str] = {}
    with warehouse.connect() as con:
        ensure_raw_schema(con, ENTITIES)
        batches = [batch for source in configured_sources() for batch in source.batches(con)]
        for entity in ENTITIES:
            if raw_asset_key(entity.name) not in context.selected_asset_keys:
                continue
            result = load_entity(con, entity, raw_files.path, limits)
            loaded = load_batches(con, entity.name, batches, limits)
            result.files += loaded.results
            result.failures.update(loaded.refused)
            _log(context, result)
            metadata = _metadata(con, entity, result)
            if raw_files.parquet_path and not is_current(con, raw_files.parquet_path, entity.name):
                export_raw_parquet(con, raw_files.parquet_path, [entity.name])
            if raw_files.parquet_path:
                metadata["parquet_export"] = str(raw_files.parquet_path / entity.name)
            failures.update(result.failures)
            yield dg.MaterializeResult(asset_key=raw_asset_key(entity.name), metadata=metadata)
    if failures:
        raise dg.Failure(
            description="\n".join(failures.values()),
            metadata={"files_failed": dg.MetadataValue.json(list(failures))},
        )


def _log(context: dg.AssetExecutionContext, result: EntityLoadResult) -> None:
    if result.released or result.released_to_quarantine or result.released_superseded:
        context.log.info(
            f"{result.entity}: rows waiting for a parent: {result.released} loaded now, "
            f"{result.released_to_quarantine} quarantined, {result.released_superseded} superseded"
        )
    for loaded in result.files:
        if loaded.skipped:
            context.log.debug(f"{loaded.source_file}: already loaded, skipped")
        else:
            context.log.info(
                f"{loaded.source_file}: read {loaded.rows_read}, loaded {loaded.rows_loaded}, quarantined "
                f"{loaded.rows_quarantined}, waiting {loaded.rows_waiting}"
                + (f", excluded {loaded.rows_excluded}" if loaded.rows_excluded else "")
            )


def _metadata(con, entity: Entity, result: EntityLoadResult) -> dict:
    """This load's counts, the quarantine's top reasons for its files, and what waits now."""
    reasons = con.execute(
        f"""
        select unnest(reasons) as reason, count(*) from {QUARANTINE_TABLE}
        where entity = ? and _load_id in (select load_id from {FILE_LOADS_TABLE}
                                          where entity = ? and source_file in (select unnest(?)))
        group by 1 order by 2 desc, 1 limit 20
        """,
        [entity.name, entity.name, [f.source_file for f in result.files if not f.skipped]],
    ).fetchall()
    waiting = next((w for w in waiting_rows(con) if w.entity == entity.name), None)
    return {
        "files_loaded": result.files_loaded,
        "files_skipped_already_loaded": result.files_skipped,
        "rows_read": result.rows_read,
        "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
        "rows_waiting": result.rows_waiting,
        "rows_excluded": result.rows_excluded,
        "released_from_waiting": result.released,
        "released_to_quarantine": result.released_to_quarantine,
        "released_superseded": result.released_superseded,
        "row_flags": dg.MetadataValue.json(result.row_flags),
        "top_quarantine_reasons": dg.MetadataValue.json(dict(reasons)),
        "waiting_now": waiting.rows if waiting else 0,
        "oldest_wait_hours": round(waiting.hours_waited(datetime.now(UTC)), 1) if waiting else 0.0,
        # Per file or source pull (a vendor load, an export): read = loaded + waiting + quarantined + excluded.
        "loads": dg.MetadataValue.json([
            {"source": f.source_file, "read": f.rows_read, "loaded": f.rows_loaded, "waiting": f.rows_waiting,
             "quarantined": f.rows_quarantined, "excluded": f.rows_excluded}
            for f in result.files if not f.skipped
        ][:MAX_LOADS_SHOWN]),
    }


def _build_reconciliation_check(entity: Entity) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(entity.name),
        name="rows_reconcile",
        blocking=True,
        description="For every loaded file: rows read = loaded + waiting + quarantined + excluded, as logged; and "
        "every row read is now in exactly one place: the raw table (directly, or released from waiting), the "
        "waiting rows, the quarantine or the excluded rows. Each release of waiting rows matches its raw rows.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            found = mismatches(con, entity)
            files = con.execute(f"select count(*) from {FILE_LOADS_TABLE} where entity = ?", [entity.name]).fetchall()
        return dg.AssetCheckResult(
            passed=not found,
            metadata={"files_checked": files[0][0], "mismatches": dg.MetadataValue.json(found)},
        )

    return _check


def _build_waiting_check(entity: Entity) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(entity.name),
        name="waiting_rows",
        blocking=False,
        description=f"Warns when a {entity.name} row has waited for its parent longer than CX_MAX_WAIT_HOURS "
        f"(default {settings.DEFAULT_MAX_WAIT_HOURS:g} h): its parent's export is late, incomplete or was "
        "quarantined. The build goes on; the row loads when the parent arrives.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        limit = settings.max_wait_hours()
        with warehouse.connect(read_only=True) as con:
            waiting = next((w for w in waiting_rows(con) if w.entity == entity.name), None)
        if waiting is None:
            return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.WARN,
                                       description=f"No {entity.name} row waits for a parent.",
                                       metadata={"rows_waiting": 0})
        hours = waiting.hours_waited(datetime.now(UTC))
        reasons = ", ".join(f"{reason} ({count:,})" for reason, count in waiting.top_reasons)
        knock_on = (f" {waiting.parent_quarantined:,} of them wait for a parent that is in the quarantine: "
                    "fix and re-deliver it." if waiting.parent_quarantined else "")
        return dg.AssetCheckResult(
            passed=hours <= limit,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{waiting.rows:,} {entity.name} row(s) wait for a parent, the oldest for {hours:.1f} h "
            f"(warn after {limit:g} h): {reasons}.{knock_on} `cx-warehouse quarantine` lists them (waiting rows "
            f"are in {WAITING_TABLE}).",
            metadata={"rows_waiting": waiting.rows, "oldest_wait_hours": round(hours, 1),
                      "max_wait_hours": limit, "waiting_for_a_quarantined_parent": waiting.parent_quarantined},
        )

    return _check


def _build_freshness_check(entity: Entity) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(entity.name),
        name="freshness",
        blocking=False,
        description=f"Warns when no file with rows has arrived for {entity.name} in the last "
        f"{entity.expected_every_hours} h (the contract's expectation); the build goes on. Passes, saying so, "
        f"when {entity.name} is not configured (no folder in CX_DATA_DIR, no source system feeding it and no file of "
        "it ever loaded).",
    )
    def _check(warehouse: WarehouseResource, raw_files: RawFilesResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            state = freshness(con, entity, datetime.now(UTC), raw_files.path, sources_feeding(entity.name))
        return dg.AssetCheckResult(
            passed=not state.is_stale,
            severity=dg.AssetCheckSeverity.WARN,
            description=state.describe(),
            metadata={
                "configured": state.is_configured,
                "expected_every_hours": state.expected_every_hours,
                "hours_since_new_data": state.hours_since if state.hours_since is not None else -1.0,
                "last_new_data_at": state.last_new_data_at.isoformat() if state.last_new_data_at else "never",
            },
        )

    return _check


raw_checks = [
    *(_build_reconciliation_check(entity) for entity in ENTITIES),
    *(_build_waiting_check(entity) for entity in ENTITIES if can_wait(entity)),
    *(_build_freshness_check(entity) for entity in ENTITIES if entity.expected_every_hours is not None),
]
