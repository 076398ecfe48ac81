"""The one Dagster entry point: it assembles the definitions of each concern."""

import dagster as dg

from dagster_cx.defs.closed_loop import detractor_alerts, survey_invitations
from dagster_cx.defs.dbt import dbt_marts, dbt_staging
from dagster_cx.defs.drivers import mart_driver_importance
from dagster_cx.defs.ingest import raw_checks, raw_files
from dagster_cx.defs.jobs import (
    daily_full_build,
    daily_survey_invitations,
    full_build_job,
    spark_build_job,
    survey_invitations_job,
)
from dagster_cx.defs.publish import bi_snapshot
from dagster_cx.defs.quality import gx_checks
from dagster_cx.defs.report import cx_report
from dagster_cx.defs.resources import build_resources
from dagster_cx.defs.sources import landing_assets
from dagster_cx.defs.sensors import new_raw_files
from dagster_cx.run_progress import cx_cli_logger

defs = dg.Definitions(
    assets=[*landing_assets(), raw_files, dbt_staging, dbt_marts, mart_driver_importance, bi_snapshot, cx_report, detractor_alerts, survey_invitations],
    asset_checks=[*raw_checks, *gx_checks],
    jobs=[full_build_job, survey_invitations_job, spark_build_job],
    schedules=[daily_full_build, daily_survey_invitations],
    sensors=[new_raw_files],
    resources=build_resources(),
    executor=dg.in_process_executor,
    # Dagster's console logger (its default) for runs from the UI; `cx-warehouse run` picks cx_cli.
    loggers={"console": dg.colored_console_logger, "cx_cli": cx_cli_logger},
)
