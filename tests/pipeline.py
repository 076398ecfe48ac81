"""Run the real pipeline (Dagster + dbt + DuckDB + GX) against a chosen data folder and warehouse."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg


@contextmanager
def environment(**variables: str | None) -> Iterator[None]:
    """Set (or, with None, unset) environment variables for the block, then restore them."""
    saved = {name: os.environ.get(name) for name in variables}
    for name, value in variables.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def pipeline_environment(data_dir: Path, warehouse: Path) -> Iterator[None]:
    """Point Dagster and the dbt subprocess at the given files (published copy beside the warehouse).

    The report goes beside the published copy, alerts only to a test's own local server.
    """
    with environment(CX_DATA_DIR=str(data_dir), CX_WAREHOUSE=str(warehouse),
                     CX_PUBLISHED=str(published_path_for(warehouse)), CX_REPORT_DIR=None, CX_ALERT_WEBHOOK_URL=None,
                     CX_SURVEY_INVITATIONS_DIR=None):
        yield


def copy_dbt_project(folder: Path) -> Path:
    """A copy of the dbt project's sources in `folder/dbt_project`, without dbt's outputs."""
    from dagster_cx.settings import DBT_PROJECT_DIR

    copy = folder / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return copy


def published_path_for(warehouse: Path) -> Path:
    return warehouse.with_name(f"{warehouse.stem}_published.duckdb")


def report_dir_for(warehouse: Path) -> Path:
    published = published_path_for(warehouse)
    return published.with_name(f"{published.stem}_report")


def run_pipeline(
    data_dir: Path, warehouse: Path, instance: dg.DagsterInstance | None = None, report: bool = True,
    full_refresh: bool = False,
) -> dg.ExecuteInProcessResult:
    """Materialise every asset and run every check, exactly as the `cx_full_build` job does.

    `report=False` leaves out the HTML report (the last asset, 10 s of chart rendering) for
    tests about what comes before it. `full_refresh=True` rebuilds and republishes a warehouse
    even when no new raw data arrived (otherwise such a run skips dbt and all after it).
    """
    from dagster_cx.defs.closed_loop import detractor_alerts, survey_invitations
    from dagster_cx.defs.dbt import dbt_marts, dbt_staging
    from dagster_cx.defs.drivers import mart_driver_importance
    from dagster_cx.defs.ingest import raw_checks, raw_files
    from dagster_cx.defs.publish import bi_snapshot
    from dagster_cx.defs.quality import gx_checks
    from dagster_cx.defs.report import cx_report
    from dagster_cx.defs.resources import BuildOptionsResource, build_resources

    with pipeline_environment(data_dir, warehouse):
        return dg.materialize(
            [raw_files, dbt_staging, dbt_marts, mart_driver_importance, bi_snapshot, *([cx_report] if report else []),
             detractor_alerts, survey_invitations, *raw_checks, *gx_checks],
            resources={**build_resources(), "build_options": BuildOptionsResource(full_refresh=full_refresh)},
            instance=instance or dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )


def materialized_keys(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        event.asset_key.to_user_string()
        for event in result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION"
    }


def failed_checks(result: dg.ExecuteInProcessResult, severity: str = "ERROR") -> set[str]:
    """Checks that failed at the given severity (dbt tests configured `warn` fail at WARN)."""
    return {
        event.event_specific_data.asset_check_key.to_user_string()
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
        and not event.event_specific_data.passed
        and event.event_specific_data.severity.value == severity
    }
