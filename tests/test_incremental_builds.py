"""The incremental path gives the same warehouse as a full refresh, on the sample in daily drops.

The sample is split into a base and two daily drops (the last two days, with the contact
histories and answers that belong to them). The second drop also carries late data: new
versions of contacts resolved days after they were created, a survey answered weeks ago that
arrives only now, and customers whose segment changed. One warehouse is built from the base
and then brought up to date drop by drop through the incremental path (the build plan, `dbt
build`, the build log: what the Dagster dbt assets run); the other is built from all files at
once as a full refresh. Every staging table, incremental model and mart must then hold the
same rows.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from benchmarks import holdback
from dagster_cx.build_state import BuildPlan, plan_build, project_fingerprint, record_build
from dagster_cx.contract import ENTITIES
from dagster_cx.defs.dbt import BUILD_ARGS
from dagster_cx.defs.dbt_project import dbt_executable, dbt_project
from dagster_cx.ingest.loader import load_entity
from dagster_cx.ingest.raw_tables import ensure_raw_schema

# Whole pipeline builds, beyond the default suite's time: `pytest -m slow` (README, "Tests").
pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).parents[1] / "data" / "sample"
# The changes models list what a run recomputed: they differ between the two paths by design.
NOT_COMPARED = {"int_changes_contacts", "int_changes_survey_responses"}
# When a row was loaded differs between the paths (one load against three); what was loaded does not.
NOT_COMPARED_COLUMNS = {"loaded_at"}
STAGED_INCREMENTALLY = ("stg_cx__contacts", "stg_cx__contact_status_changes", "stg_cx__contact_messages",
                        "stg_cx__survey_responses", "stg_cx__survey_answers")


def _drops(tmp_path: Path) -> tuple[Path, list[Path]]:
    """The base folder and two drop folders (the second with late updates)."""
    base1, base0 = tmp_path / "base1", tmp_path / "base0"
    day2, day1 = tmp_path / "drop2", tmp_path / "drop1"
    holdback.prepare(SAMPLE, base1, day2)
    holdback.prepare(base1, base0, day1)
    _late_updates(base0, day2)
    return base0, [day1, day2]


def _late_updates(base: Path, drop: Path) -> None:
    """Rows that change keys loaded days or weeks before the drop, written into the drop."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    csv = "header = true, all_varchar = true, quote = '\"', escape = '\"'"
    stamp = "strftime(cast({} as timestamptz), '%Y-%m-%dT%H:%M:%S+00:00')"
    # Open e-mails of January without a status history, resolved and closed now.
    con.execute(f"create table histories as select distinct contact_id from read_csv('{base}/contact_status_changes/*.csv', {csv})")
    (drop / "contacts").mkdir(exist_ok=True)
    con.execute(
        f"""
        copy (
            select * replace (
                'closed' as status,
                {stamp.format("cast(created_at as timestamptz) + interval 3 day")} as first_resolved_at,
                {stamp.format("cast(created_at as timestamptz) + interval 3 day")} as resolved_at,
                {stamp.format("cast(created_at as timestamptz) + interval 4 day")} as closed_at
            )
            from read_csv('{base}/contacts/contacts_2026-01.csv', {csv})
            where coalesce(resolved_at, '') = '' and is_abandoned = 'false' and first_replied_at is not null
                and contact_id not in (select contact_id from histories)
            order by contact_id limit 15
        ) to '{drop}/contacts/contacts_zz_late_updates.csv' (header true)
        """
    )
    # A relationship survey answered in February whose export arrives only with this drop.
    (drop / "survey_responses").mkdir(exist_ok=True)
    (drop / "survey_answers").mkdir(exist_ok=True)
    con.execute(
        f"""
        create table late as
        select * from read_csv('{base}/survey_responses/survey_responses_2026-02.csv', {csv})
        order by response_id limit 25
        """
    )
    con.execute(
        f"copy (select * replace ('LATE' || response_id as response_id) from late) "
        f"to '{drop}/survey_responses/survey_responses_zz_late.csv' (header true)"
    )
    con.execute(
        f"""
        copy (
            select * replace ('LATE' || response_id as response_id)
            from read_parquet('{base}/survey_answers/survey_answers_2026-02.parquet')
            where response_id in (select response_id from late)
        ) to '{drop}/survey_answers/survey_answers_zz_late.parquet' (format parquet)
        """
    )
    # Customers who moved segment: their contacts and responses file under the new one.
    (drop / "customers").mkdir(exist_ok=True)
    con.execute(
        f"""
        copy (
            select * replace (case when segment = 'consumer' then 'smb' else 'consumer' end as segment)
            from read_csv('{base}/customers/customers.csv', {csv})
            order by customer_id limit 40
        ) to '{drop}/customers/customers_zz_segment_changes.csv' (header true)
        """
    )
    con.close()


def _add(drop: Path, data_dir: Path) -> None:
    for source in sorted(p for p in drop.rglob("*") if p.is_file()):
        target = data_dir / source.relative_to(drop)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def _load(data_dir: Path, warehouse: Path) -> int:
    """Load every new file; return how many rows this load quarantined."""
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con, ENTITIES)
        results = [load_entity(con, entity, data_dir) for entity in ENTITIES]
    assert not any(r.failures for r in results), [r.failures for r in results]
    return sum(r.rows_quarantined for r in results)


def _build(warehouse: Path, target: Path, **plan_options) -> BuildPlan:
    """Plan, `dbt build` and record, as the Dagster dbt assets do (without tests, for time)."""
    fingerprint = project_fingerprint(dbt_project.project_dir)
    with duckdb.connect(str(warehouse)) as con:
        plan = plan_build(con, fingerprint, **plan_options)
    if plan.mode == "skip":
        return plan
    started_at = datetime.now(UTC)
    completed = subprocess.run(
        [dbt_executable(), *BUILD_ARGS, "test", "saved_query", *plan.dbt_args, "--quiet",
         "--project-dir", str(dbt_project.project_dir), "--profiles-dir", str(dbt_project.profiles_dir),
         "--target-path", str(target)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "CX_WAREHOUSE": str(warehouse)},
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    with duckdb.connect(str(warehouse)) as con:
        record_build(con, plan, started_at, datetime.now(UTC))
    return plan


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"{schema}.{name}" for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('staging', 'intermediate', 'marts') order by 1, 2"
        ).fetchall() if name not in NOT_COMPARED
    ]


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    columns = [c[0] for c in con.execute(f"describe {table}").fetchall() if c[0] not in NOT_COMPARED_COLUMNS]
    order = ", ".join(f"{c} nulls first" for c in columns)
    return con.execute(f"select {', '.join(columns)} from {table} order by {order}").fetchall()


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return (math.isnan(left) and math.isnan(right)) or math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    return left == right


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory, progress) -> dict:
    with progress("building the sample in full and in three daily drops (dbt only)"):
        return _warehouses(tmp_path_factory.mktemp("incremental"))


def _warehouses(tmp: Path) -> dict:
    base, drops = _drops(tmp)
    everything = tmp / "everything"
    shutil.copytree(base, everything)
    for drop in drops:
        _add(drop, everything)

    full = tmp / "full.duckdb"
    _load(everything, full)
    full_plan = _build(full, tmp / "target_full")

    incremental = tmp / "incremental.duckdb"
    data_dir = tmp / "data"
    shutil.copytree(base, data_dir)
    _load(data_dir, incremental)
    plans = [_build(incremental, tmp / "target_incremental")]
    changes = []
    for drop in drops:
        _add(drop, data_dir)
        _load(data_dir, incremental)
        plans.append(_build(incremental, tmp / "target_incremental"))
        with duckdb.connect(str(incremental), read_only=True) as con:
            changes.append({
                "contacts": con.execute("select count(*) from intermediate.int_changes_contacts").fetchone()[0],
                "responses": con.execute("select count(*) from intermediate.int_changes_survey_responses").fetchone()[0],
            })
    plans.append(_build(incremental, tmp / "target_incremental"))
    return {"full": full, "incremental": incremental, "full_plan": full_plan, "plans": plans,
            "changes": changes, "incremental_target": tmp / "target_incremental"}


def test_plans_follow_the_data(warehouses):
    assert warehouses["full_plan"].mode == "full_refresh"
    assert [plan.mode for plan in warehouses["plans"]] == ["full_refresh", "incremental", "incremental", "skip"]


def test_incremental_runs_recompute_only_what_changed(warehouses):
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        contacts, responses = con.execute(
            "select (select count(*) from marts.fct_contacts), (select count(*) from marts.fct_survey_responses)"
        ).fetchone()
        late = con.execute(
            "select count(*) from marts.fct_survey_responses where response_id like 'LATE%' and answered_date < '2026-03-01'"
        ).fetchone()[0]
    for change in warehouses["changes"]:
        assert 0 < change["contacts"] < contacts / 4, change
        assert 0 < change["responses"] < responses / 4, change
    assert late == 25  # the late survey files under its February date


def test_incremental_runs_merge_the_large_staging_tables(warehouses):
    """The last drop's build replaced the loaded keys in the staging tables instead of rebuilding them."""
    run_sql = warehouses["incremental_target"] / "run" / "cx_warehouse" / "models" / "staging"
    for model in STAGED_INCREMENTALLY:
        statements = " ".join((run_sql / f"{model}.sql").read_text().split()).lower()
        assert statements.startswith(f'delete from "incremental"."staging"."{model}"'), (model, statements[:200])
        assert "create table" not in statements, model


def test_incremental_equals_full_refresh(warehouses):
    with duckdb.connect(str(warehouses["full"]), read_only=True) as full, \
            duckdb.connect(str(warehouses["incremental"]), read_only=True) as incremental:
        tables = _tables(full)
        assert tables == _tables(incremental)
        assert {"staging.stg_cx__contacts", "staging.stg_cx__survey_answers", "marts.fct_contacts",
                "marts.mart_contact_center_daily", "marts.mart_nps_daily", "marts.mart_sla_attainment_daily",
                "intermediate.int_contacts_repeat_contacts"} <= set(tables)
        differences = {}
        for table in tables:
            expected, actual = _rows(full, table), _rows(incremental, table)
            if len(expected) != len(actual):
                differences[table] = f"{len(actual)} rows incrementally, {len(expected)} in the full refresh"
                continue
            bad = [(e, a) for e, a in zip(expected, actual) if not all(map(_same, e, a))]
            if bad:
                differences[table] = f"{len(bad)} rows differ, e.g. full {bad[0][0]} vs incremental {bad[0][1]}"
        assert not differences, differences
