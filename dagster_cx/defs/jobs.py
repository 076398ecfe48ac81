"""The full-build job, the daily survey-invitation job and their schedules, and the build on Spark."""

from __future__ import annotations

import dagster as dg

from dagster_cx.defs.dbt import dbt_marts, dbt_staging
from dagster_cx.defs.quality import gx_checks

# Every asset, ingestion to marts, in dependency order. The in-process executor runs one
# step at a time: DuckDB takes one writer per file and dbt writes from a subprocess. A run
# with no new raw data skips dbt and everything after it (dagster_cx.build_state).
full_build_job = dg.define_asset_job(
    name="cx_full_build",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest new raw files, rebuild what they change (dbt, quality checks, driver analysis), "
    "publish and report. Set resources.build_options to force a full refresh or backfill a date range.",
)

daily_full_build = dg.ScheduleDefinition(
    job=full_build_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Runs the full build every day at 05:00 UTC (cheap when nothing arrived); enable it in the UI.",
)

# The day's invitations depend on the calendar, not only on new data: a full build with no
# new data skips them, so they also have a job of their own, after the daily build.
survey_invitations_job = dg.define_asset_job(
    name="cx_survey_invitations",
    selection=dg.AssetSelection.assets(dg.AssetKey(["closed_loop", "survey_invitations"])),
    executor_def=dg.in_process_executor,
    description="Lists today's delayed-survey invitations from the current marts.",
)

daily_survey_invitations = dg.ScheduleDefinition(
    job=survey_invitations_job,
    cron_schedule="30 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Writes the day's survey-invitation list at 05:30 UTC, after the daily build; enable it in the UI.",
)

# With CX_DBT_TARGET=spark the dbt assets build on Spark from the Parquet the ingestion assets
# also write. The GX suites, the Python marts, publish and report read the DuckDB build, so
# this job leaves them out; dbt's own tests still run with every model (README, "Scaling out").
spark_build_job = dg.define_asset_job(
    name="cx_spark_build",
    selection=(dg.AssetSelection.groups("sources", "ingest") | dg.AssetSelection.assets(dbt_staging, dbt_marts))
    - dg.AssetSelection.checks(*gx_checks),
    executor_def=dg.in_process_executor,
    description="With CX_DBT_TARGET=spark: ingest new raw files into DuckDB (and their Parquet export), "
    "then build every dbt model with its tests on Spark.",
)
