"""Publishing: the BI snapshot, built only from marts that passed every blocking check."""

from pathlib import Path

import dagster as dg

from dagster_cx.defs.dbt import dbt_marts
from dagster_cx.defs.drivers import mart_driver_importance
from dagster_cx.defs.quality import gx_checks
from dagster_cx.defs.resources import BuildOptionsResource, PublishedCopyResource, WarehouseResource
from dagster_cx.publish.snapshot import PUBLISHED_SCHEMA, publish

GROUP = "publish"
# Every asset writing a table of the marts schema (the dbt marts and the Python ones):
# exactly the tables the snapshot copies.
PUBLISHED_ASSETS = sorted(
    (key for key in [*dbt_marts.keys, *mart_driver_importance.keys] if key.path[0] == PUBLISHED_SCHEMA), key=str
)


# The quality gate on what gets published: every blocking Great Expectations check on those marts
# (a warning suite reports, it does not hold the snapshot back).
GATE_CHECKS = sorted(
    (key for check in gx_checks for key in check.check_keys
     if key.asset_key in PUBLISHED_ASSETS and check.get_spec_for_check_key(key).blocking), key=str
)


def _unpassed_checks(context: dg.AssetExecutionContext) -> list[str]:
    """Gate checks whose latest execution failed.

    Within one run, blocking checks already stop this asset. This also covers a run that
    materialises only the snapshot after an earlier run's check failed on a mart.
    """
    latest = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(GATE_CHECKS)
    return [key.to_user_string() for key in GATE_CHECKS if key in latest and latest[key].status.value == "FAILED"]


@dg.asset(
    key=["published", "bi_snapshot"],
    group_name=GROUP,
    kinds={"duckdb", "parquet"},
    deps=PUBLISHED_ASSETS,
    description="Read-only DuckDB snapshot (CX_PUBLISHED) and Parquet copies of every mart and dimension, "
    "swapped in atomically; no raw tables, no quarantine, no names or e-mails, masked comments. The large facts "
    "are updated by key from the previous snapshot; a full refresh writes a new file.",
)
def bi_snapshot(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, published_copy: PublishedCopyResource,
    build_options: BuildOptionsResource,
) -> dg.MaterializeResult:
    failed = _unpassed_checks(context)
    if failed:
        raise dg.Failure(
            description="Not publishing: these checks failed on their latest run, so the last good snapshot stays: "
            + ", ".join(failed) + ". Fix the data and re-run the full build.",
        )
    result = publish(Path(warehouse.database), published_copy.path, context.run_id,
                     reuse_previous=not build_options.full_refresh)
    context.log.info(f"Snapshot: {result.mode} ({result.reason}); keys replaced: {result.replaced_keys or 'none'}.")
    return dg.MaterializeResult(
        metadata={
            "published_database": dg.MetadataValue.path(str(result.database)),
            "parquet_folder": dg.MetadataValue.path(str(result.parquet_dir)),
            "built_at": result.built_at.isoformat(),
            "tables": len(result.row_counts),
            "row_counts": dg.MetadataValue.json(result.row_counts),
            "snapshot_mode": result.mode,
            "snapshot_mode_reason": result.reason,
            "replaced_keys": dg.MetadataValue.json(result.replaced_keys),
        }
    )
