"""What the last successful dbt build saw, and what the next one has to do.

The incremental dbt models recompute only the keys touched by raw loads after the last
recorded build (`raw._dbt_builds`, read by the `int_changes_*` models). A build is recorded
only after `dbt build` succeeded, so a failed or interrupted run leaves the next one to
reprocess the same loads: re-running is always safe. A build runs as a full refresh when no
build is recorded yet or the dbt project changed since the last one (its logic may differ
for old rows too), and is skipped when neither the project nor the raw data changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.raw_tables import BUILD_LOG_TABLE, FILE_LOADS_TABLE, RAW_SCHEMA, STAGING_LOG_TABLE

# What decides the marts' contents: the SQL, its macros, the seeded config and the vars.
FINGERPRINTED = ("models", "macros", "seeds", "dbt_project.yml")
PLAN_LOG_PREFIX = "dbt build plan: "


@dataclass(frozen=True)
class BuildPlan:
    mode: str  # "full_refresh", "incremental", "backfill" or "skip"
    reason: str
    latest_load_id: int
    fingerprint: str
    rebuild_from: date | None = None
    rebuild_to: date | None = None

    def describe(self) -> str:
        """The plan as the run's log and the CLI's progress line say it."""
        return f"{PLAN_LOG_PREFIX}{self.mode}, because {self.reason}."

    @property
    def dbt_args(self) -> list[str]:
        """Arguments added to `dbt build` for this plan."""
        if self.mode == "full_refresh":
            return ["--full-refresh"]
        if self.mode == "backfill":
            dates = {"cx_rebuild_from": _iso(self.rebuild_from), "cx_rebuild_to": _iso(self.rebuild_to)}
            return ["--vars", "{" + ", ".join(f"{k}: '{v}'" for k, v in dates.items()) + "}"]
        return []


def project_fingerprint(project_dir: Path, parts: tuple[str, ...] = FINGERPRINTED) -> str:
    """sha256 over the dbt files that decide the marts' rows (the data tests do not)."""
    digest = hashlib.sha256()
    for name in parts:
        root = project_dir / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def plan_build(
    con: duckdb.DuckDBPyConnection,
    fingerprint: str,
    *,
    full_refresh: bool = False,
    rebuild_from: date | None = None,
    rebuild_to: date | None = None,
) -> BuildPlan:
    """Decide how the next dbt build runs, from the build log and the raw file log."""
    latest = latest_load_id(con)
    last = con.execute(
        f"select changes_through_load_id, project_fingerprint from {BUILD_LOG_TABLE} order by build_id desc limit 1"
    ).fetchall()
    if full_refresh:
        return BuildPlan("full_refresh", "a full refresh was asked for", latest, fingerprint)
    if not last:
        return BuildPlan("full_refresh", "no build is recorded in this warehouse yet", latest, fingerprint)
    seen_load_id, seen_fingerprint = last[0]
    if seen_fingerprint != fingerprint:
        return BuildPlan(
            "full_refresh", "the dbt project (models, macros, seeds or vars) changed since the last build",
            latest, fingerprint,
        )
    if rebuild_from or rebuild_to:
        return BuildPlan(
            "backfill", f"a backfill of {_iso(rebuild_from) or 'the start'} to {_iso(rebuild_to) or 'the end'} "
            f"was asked for, with the raw loads after {seen_load_id}", latest, fingerprint,
            rebuild_from, rebuild_to,
        )
    if latest > seen_load_id:
        return BuildPlan(
            "incremental", f"raw loads {seen_load_id + 1} to {latest} are new since the last build",
            latest, fingerprint,
        )
    return BuildPlan(
        "skip", f"no raw data loaded and no dbt change since the last build (raw loads up to {seen_load_id})",
        latest, fingerprint,
    )


def record_build(
    con: duckdb.DuckDBPyConnection, plan: BuildPlan, started_at: datetime, finished_at: datetime,
    dagster_run_id: str | None = None,
) -> None:
    """Log a successful build; the next build's changes start after `plan.latest_load_id`."""
    con.execute(
        f"""
        insert into {BUILD_LOG_TABLE}
        select coalesce((select max(build_id) from {BUILD_LOG_TABLE}), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?
        """,
        [plan.latest_load_id, plan.mode, plan.fingerprint, plan.rebuild_from, plan.rebuild_to,
         started_at, finished_at, dagster_run_id],
    )


def record_staging_build(
    con: duckdb.DuckDBPyConnection, plan: BuildPlan, finished_at: datetime, dagster_run_id: str | None = None,
) -> None:
    """Log a successful staging step: the staging tables now hold every raw load up to
    `plan.latest_load_id`. The build log cannot say so: it is written after the marts, and the
    checks on staged data run before them."""
    con.execute(
        f"""
        insert into {STAGING_LOG_TABLE}
        select coalesce((select max(staging_build_id) from {STAGING_LOG_TABLE}), 0) + 1, ?, ?, ?, ?
        """,
        [plan.latest_load_id, plan.mode, finished_at, dagster_run_id],
    )


def staged_through_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """The newest raw load the staging tables are known to hold (-1 before any build): from the
    staging log, or from the build log of a warehouse built before the staging log existed."""
    return con.execute(
        f"select greatest((select max(staged_through_load_id) from {STAGING_LOG_TABLE}), "
        f"(select max(changes_through_load_id) from {BUILD_LOG_TABLE}), -1)"
    ).fetchall()[0][0]


def latest_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """The highest load id in the file log or on any raw row (a row written around the loader
    carries one too, and the changes models would see it)."""
    raw_tables = " union all ".join(
        f"select max(_load_id) from {RAW_SCHEMA}.{entity.name}" for entity in ENTITIES
    )
    return con.execute(
        f"select coalesce(greatest((select max(load_id) from {FILE_LOADS_TABLE}), "
        f"(select max(m) from ({raw_tables}) as t(m))), 0)"
    ).fetchall()[0][0]


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
