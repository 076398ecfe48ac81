"""Resources, configured in one place from the environment (see dagster_cx.settings)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dlt import DagsterDltResource

from dagster_cx import settings, warehouse
from dagster_cx.defs.dbt_project import dbt_cli


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file; connections are opened per use and always closed."""

    database: str

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.database, read_only=read_only) as con:
            yield con


class RawFilesResource(dg.ConfigurableResource):
    """The folder of raw files to ingest, one sub-folder per entity; optionally where each
    validated raw table is also written as Parquet, for the dbt build on Spark."""

    data_dir: str
    parquet_dir: str = ""

    @property
    def path(self) -> Path:
        return Path(self.data_dir)

    @property
    def parquet_path(self) -> Path | None:
        return Path(self.parquet_dir) if self.parquet_dir else None


class PublishedCopyResource(dg.ConfigurableResource):
    """Where the BI snapshot goes: a DuckDB file, with its Parquet folder beside it."""

    database: str

    @property
    def path(self) -> Path:
        return Path(self.database)


class ReportFolderResource(dg.ConfigurableResource):
    """Where the self-contained HTML report and its chart exports are written."""

    folder: str
    language: str = "en"

    @property
    def path(self) -> Path:
        return Path(self.folder)


class SurveyInvitationsResource(dg.ConfigurableResource):
    """Where the daily survey-invitation CSVs go, for the survey tool to import."""

    folder: str

    @property
    def path(self) -> Path:
        return Path(self.folder)


class AlertsResource(dg.ConfigurableResource):
    """Where detractor alerts are posted (CX_ALERT_WEBHOOK_URL); empty: only in Dagster."""

    webhook_url: str = ""


class BuildOptionsResource(dg.ConfigurableResource):
    """How this run's dbt build runs; set per run in the Launchpad (resources.build_options) or the CLI.

    By default a run recomputes what the raw loads since the last build changed (or rebuilds
    everything when the dbt project changed, or nothing when neither did). `full_refresh`
    rebuilds every model from all raw data; `rebuild_from` / `rebuild_to` (YYYY-MM-DD,
    reporting dates) backfill a date range: its contacts and responses are recomputed too.
    """

    full_refresh: bool = False
    rebuild_from: str = ""
    rebuild_to: str = ""

    def dates(self) -> tuple[date | None, date | None]:
        try:
            first, last = (date.fromisoformat(d) if d else None for d in (self.rebuild_from, self.rebuild_to))
        except ValueError as error:
            raise dg.Failure(
                f"build_options rebuild_from={self.rebuild_from!r} / rebuild_to={self.rebuild_to!r}: {error}; "
                "give reporting dates as YYYY-MM-DD, or leave both empty."
            ) from error
        if first and last and first > last:
            raise dg.Failure(f"build_options: rebuild_from {first} is after rebuild_to {last}; swap them.")
        return first, last


def build_resources() -> dict[str, dg.ConfigurableResource]:
    settings.pin_environment()
    return {
        "warehouse": WarehouseResource(database=str(settings.warehouse_path())),
        "raw_files": RawFilesResource(
            data_dir=str(settings.data_dir()), parquet_dir=str(settings.raw_parquet_dir() or "")
        ),
        "dbt": dbt_cli(),
        "published_copy": PublishedCopyResource(database=str(settings.published_path())),
        "report_folder": ReportFolderResource(folder=str(settings.report_dir())),
        "alerts": AlertsResource(webhook_url=settings.alert_webhook_url()),
        "survey_invitations_folder": SurveyInvitationsResource(folder=str(settings.survey_invitations_dir())),
        "build_options": BuildOptionsResource(),
        "dlt": DagsterDltResource(),  # runs the landing assets of API sources (defs/sources)
    }
