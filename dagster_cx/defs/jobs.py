"""The full-build job and its daily schedule."""

from __future__ import annotations

import dagster as dg

# Every asset, ingestion to marts, in dependency order. The in-process executor runs one
# step at a time: DuckDB takes one writer per file and dbt writes from a subprocess.
full_build_job = dg.define_asset_job(
    name="cx_full_build",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest new raw files, build every dbt model and run every quality check.",
)

daily_full_build = dg.ScheduleDefinition(
    job=full_build_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuilds the warehouse every day at 05:00 UTC; enable it in the UI.",
)
