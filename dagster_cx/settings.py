"""Where the pipeline reads and writes, from environment variables with repo-local defaults.

Dagster and the dbt profile both read CX_DATA_DIR and CX_WAREHOUSE; CX_PUBLISHED names the
copy BI tools read. dbt runs as a subprocess
whose working directory is the dbt project, so a relative path would name another file
there: `pin_environment` makes both absolute before any subprocess starts.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "sample"
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "warehouse" / "cx.duckdb"
DEFAULT_PUBLISHED = REPO_ROOT / "data" / "published" / "cx.duckdb"
# Where `cx-warehouse export-raw` writes when CX_RAW_PARQUET_DIR is unset (the dbt Spark target's default too).
DEFAULT_RAW_PARQUET_DIR = REPO_ROOT / "data" / "raw_parquet"
# The Dagster instance `cx-warehouse run` records its runs in when DAGSTER_HOME is unset; `dg dev` shows them.
DEFAULT_DAGSTER_HOME = REPO_ROOT / ".dagster_home"
# DuckDB names a database after its file, so `raw.duckdb` would make `raw.contacts` ambiguous.
RESERVED_FILE_STEMS = {"raw", "staging", "intermediate", "marts", "reference", "main"}


def data_dir() -> Path:
    """Folder of raw files, one sub-folder per entity (CX_DATA_DIR)."""
    return Path(os.environ.get("CX_DATA_DIR") or DEFAULT_DATA_DIR).expanduser().resolve()


def warehouse_path() -> Path:
    """The DuckDB file the pipeline writes (CX_WAREHOUSE)."""
    path = Path(os.environ.get("CX_WAREHOUSE") or DEFAULT_WAREHOUSE).expanduser().resolve()
    if path.stem in RESERVED_FILE_STEMS:
        raise ValueError(
            f"CX_WAREHOUSE={path}: a DuckDB file named '{path.stem}' clashes with the warehouse's "
            f"'{path.stem}' schema; name it otherwise, e.g. {path.with_stem('cx_warehouse')}."
        )
    return path


def published_path() -> Path:
    """The read-only snapshot BI tools open (CX_PUBLISHED); Parquet copies sit beside it."""
    path = Path(os.environ.get("CX_PUBLISHED") or DEFAULT_PUBLISHED).expanduser().resolve()
    if path == warehouse_path():
        raise ValueError(f"CX_PUBLISHED and CX_WAREHOUSE both name {path}: BI tools must read a separate copy.")
    return path


def report_dir() -> Path:
    """Where the HTML report and its chart exports go (CX_REPORT_DIR); default: beside the published copy."""
    configured = os.environ.get("CX_REPORT_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    published = published_path()
    return published.with_name(f"{published.stem}_report")


def survey_invitations_dir() -> Path:
    """Where the daily survey-invitation CSVs go (CX_SURVEY_INVITATIONS_DIR); default: beside the published copy."""
    configured = os.environ.get("CX_SURVEY_INVITATIONS_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return published_path().with_name("survey_invitations")


def dagster_home() -> Path:
    """The Dagster instance folder (DAGSTER_HOME): runs, event logs, schedules' state; default .dagster_home/."""
    return Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).expanduser().resolve()


def run_logs_dir() -> Path:
    """Where `cx-warehouse run` keeps each run's full log: logs/ beside the warehouse file."""
    return warehouse_path().parent / "logs"


def alert_webhook_url() -> str:
    """Where detractor alerts are POSTed as JSON (CX_ALERT_WEBHOOK_URL); empty: only shown in Dagster."""
    return os.environ.get("CX_ALERT_WEBHOOK_URL", "").strip()


DEFAULT_MAX_WAIT_HOURS = 48.0


def max_wait_hours() -> float:
    """How long a row may wait for its parent before the waiting check warns (CX_MAX_WAIT_HOURS)."""
    configured = os.environ.get("CX_MAX_WAIT_HOURS", "").strip()
    if not configured:
        return DEFAULT_MAX_WAIT_HOURS
    try:
        hours = float(configured)
    except ValueError:
        hours = -1.0
    if hours < 0:
        raise ValueError(f"CX_MAX_WAIT_HOURS={configured!r} is not a number of hours >= 0; set it to e.g. 48, or unset it.")
    return hours


DEFAULT_DUCKDB_MEMORY_LIMIT = "25%"


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit per process (CX_DUCKDB_MEMORY_LIMIT: '25%' of RAM, '6GiB', ...).

    The dbt subprocess and the Dagster process each run DuckDB; DuckDB's own default (80% of
    RAM each) lets the pair outgrow the machine on large data, where a limit makes DuckDB spill
    sorts, joins and aggregates to disk instead.
    """
    return os.environ.get("CX_DUCKDB_MEMORY_LIMIT", "").strip() or DEFAULT_DUCKDB_MEMORY_LIMIT


def dbt_target() -> str:
    """The engine dbt builds on (CX_DBT_TARGET, an output of dbt_project/profiles.yml): duckdb or spark."""
    return os.environ.get("CX_DBT_TARGET") or "duckdb"


def raw_parquet_dir() -> Path | None:
    """Where ingestion also writes the validated raw tables as Parquet, which dbt on Spark reads
    (CX_RAW_PARQUET_DIR; on the spark target data/raw_parquet, as the profile); None = not written."""
    configured = os.environ.get("CX_RAW_PARQUET_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return DEFAULT_RAW_PARQUET_DIR if dbt_target() == "spark" else None


def pin_environment() -> None:
    """Export absolute CX_DATA_DIR, CX_WAREHOUSE (and CX_RAW_PARQUET_DIR) and the memory limit, so every subprocess sees the same."""
    os.environ["CX_DATA_DIR"] = str(data_dir())
    os.environ["CX_WAREHOUSE"] = str(warehouse_path())
    os.environ["CX_DUCKDB_MEMORY_LIMIT"] = duckdb_memory_limit()
    if raw_parquet_dir():
        os.environ["CX_RAW_PARQUET_DIR"] = str(raw_parquet_dir())
    warehouse_path().parent.mkdir(parents=True, exist_ok=True)
