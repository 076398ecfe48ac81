"""Ingestion assets: one per raw entity, loading new files into the `raw` schema."""

from datetime import UTC, datetime

import dagster as dg

from dagster_cx.contract import ENTITIES, Entity
from dagster_cx.defs.resources import RawFilesResource, WarehouseResource
from dagster_cx.ingest.freshness import freshness
from dagster_cx.ingest.loader import FILE_LOADS_TABLE, QUARANTINE_TABLE, RAW_SCHEMA, ensure_raw_schema, load_entity
from dagster_cx.ingest.raw_parquet import export_raw_parquet, is_current

GROUP = "ingest"
WRITER_POOL = "duckdb_writer"


def raw_asset_key(entity_name: str) -> dg.AssetKey:
    """Matches dagster-dbt's key for the dbt source `raw.<entity>`, so lineage joins up."""
    return dg.AssetKey([RAW_SCHEMA, entity_name])


def _build_raw_asset(entity: Entity) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(entity.name),
        group_name=GROUP,
        kinds={"duckdb", "python"},
        description=f"{entity.description} Loaded from CX_DATA_DIR/{entity.name}/ (CSV or Parquet).",
        deps=[raw_asset_key(name) for name in entity.depends_on],
        pool=WRITER_POOL,
    )
    def _load(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, raw_files: RawFilesResource
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            ensure_raw_schema(con, ENTITIES)
            result = load_entity(con, entity, raw_files.path)
            reasons = con.execute(
                f"""
                select unnest(reasons) as reason, count(*) from {QUARANTINE_TABLE}
                where entity = ? and _load_id in (select load_id from {FILE_LOADS_TABLE}
                                                  where entity = ? and source_file in (select unnest(?)))
                group by 1 order by 2 desc, 1 limit 20
                """,
                [entity.name, entity.name, [f.source_file for f in result.files if not f.skipped]],
            ).fetchall()
        for loaded in result.files:
            context.log.info(
                f"{loaded.source_file}: "
                + ("already loaded, skipped" if loaded.skipped else
                   f"read {loaded.rows_read}, loaded {loaded.rows_loaded}, quarantined {loaded.rows_quarantined}")
            )
        metadata = {
            "files_loaded": result.files_loaded,
            "files_skipped_already_loaded": result.files_skipped,
            "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded,
            "rows_quarantined": result.rows_quarantined,
            "top_quarantine_reasons": dg.MetadataValue.json(dict(reasons)),
        }
        if result.failures:
            raise dg.Failure(
                description="\n".join(result.failures.values()),
                metadata={**metadata, "files_failed": dg.MetadataValue.json(list(result.failures))},
            )
        if raw_files.parquet_path:
            with warehouse.connect(read_only=True) as con:
                if not is_current(con, raw_files.parquet_path, entity.name):
                    export_raw_parquet(con, raw_files.parquet_path, [entity.name])
            metadata["parquet_export"] = str(raw_files.parquet_path / entity.name)
        return dg.MaterializeResult(metadata=metadata)

    _load.__name__ = f"raw_{entity.name}"
    return _load


def _build_reconciliation_check(entity: Entity) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(entity.name),
        name="rows_reconcile",
        blocking=True,
        description="For every loaded file: rows read = rows loaded + rows quarantined, "
        "and the raw table and the quarantine hold exactly those rows.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            mismatches = con.execute(
                f"""
                with loaded as (
                    select _load_id, count(*) as n from {RAW_SCHEMA}.{entity.name} group by 1
                ),
                quarantined as (
                    select _load_id, count(*) as n from {QUARANTINE_TABLE} where entity = ? group by 1
                )
                select f.source_file, f.rows_read, f.rows_loaded, f.rows_quarantined,
                       coalesce(l.n, 0) as in_raw, coalesce(q.n, 0) as in_quarantine
                from {FILE_LOADS_TABLE} as f
                left join loaded as l on l._load_id = f.load_id
                left join quarantined as q on q._load_id = f.load_id
                where f.entity = ?
                  and not (f.rows_read = f.rows_loaded + f.rows_quarantined
                           and f.rows_loaded = coalesce(l.n, 0)
                           and f.rows_quarantined = coalesce(q.n, 0))
                """,
                [entity.name, entity.name],
            ).fetchall()
            files = con.execute(f"select count(*) from {FILE_LOADS_TABLE} where entity = ?", [entity.name]).fetchall()
        return dg.AssetCheckResult(
            passed=not mismatches,
            metadata={"files_checked": files[0][0], "mismatched_files": dg.MetadataValue.json([list(map(str, m)) for m in mismatches])},
        )

    return _check


def _build_freshness_check(entity: Entity) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(entity.name),
        name="freshness",
        blocking=False,
        description=f"Warns when no file with rows has arrived for {entity.name} in the last "
        f"{entity.expected_every_hours} h (the contract's expectation); the build goes on. Passes, saying so, "
        f"when {entity.name} is not configured (no folder in CX_DATA_DIR and no file of it ever loaded).",
    )
    def _check(warehouse: WarehouseResource, raw_files: RawFilesResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            state = freshness(con, entity, datetime.now(UTC), raw_files.path)
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


raw_assets = [_build_raw_asset(entity) for entity in ENTITIES]
raw_checks = [
    *(_build_reconciliation_check(entity) for entity in ENTITIES),
    *(_build_freshness_check(entity) for entity in ENTITIES if entity.expected_every_hours is not None),
]
