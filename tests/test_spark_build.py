"""The dbt project on Apache Spark (dbt-spark, a local session), as the README runs it:
`CX_DBT_TARGET=spark cx-warehouse run` executes Dagster's cx_spark_build job. The ingestion
assets load the bundled sample into DuckDB and write its validated rows as Parquet, then the
dbt assets, unchanged, build every model with its tests on Spark. Every mart equals the DuckDB
build of the same sample, row for row.

Marked `spark`: it starts a JVM and takes minutes; `pytest -m "not spark"` skips it for a quick
local run. CI runs it.
"""

from __future__ import annotations

import os

import pytest

from dagster_cx.ingest.raw_parquet import EXPORTED_TABLES
from dagster_cx.spark_parity import DUCKDB_ONLY_MARTS, compare_marts
from tests.conftest import SAMPLE, cli

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory: pytest.TempPathFactory, progress):
    root = tmp_path_factory.mktemp("spark")
    env = {**os.environ, "CX_DATA_DIR": str(SAMPLE), "CX_WAREHOUSE": str(root / "cx.duckdb"),
           "CX_PUBLISHED": str(root / "published.duckdb"),
           "CX_DBT_TARGET": "spark", "CX_RAW_PARQUET_DIR": str(root / "raw_parquet"),
           "CX_SPARK_WAREHOUSE_DIR": str(root / "spark"), "CX_SPARK_DRIVER_MEMORY": "2g"}
    with progress("building the sample on a local Spark with `CX_DBT_TARGET=spark cx-warehouse run`"):
        return root, cli("run", "--log-level", "DEBUG", env=env)


def test_the_spark_job_ingests_and_builds_every_model_with_its_tests(spark_run) -> None:
    _, completed = spark_run
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0 and "RUN_SUCCESS" in output, f"cx_spark_build failed:\n{output[-8000:]}"
    assert "Built every dbt model with its tests on the spark target" in completed.stdout
    # A dbt result Dagster did not see (a log line it could not parse) would skip the steps after it.
    assert "STEP_FAILURE" not in output and "STEP_SKIPPED" not in output, output[-8000:]
    assert output.count('STEP_SUCCESS - Finished execution of step "dbt_') == 2


def test_the_raw_parquet_holds_every_loaded_row(spark_run, sample_db) -> None:
    root, _ = spark_run
    for table in EXPORTED_TABLES:
        loaded = sample_db.execute(f"select count(*) from raw.{table}").fetchone()[0]
        written = sample_db.execute(
            "select count(*) from read_parquet(?)", [str(root / "raw_parquet" / table / "*.parquet")]
        ).fetchone()[0]
        assert written == loaded, table


def test_every_mart_equals_the_duckdb_build(spark_run, sample_db) -> None:
    root, completed = spark_run
    assert completed.returncode == 0, "see test_the_spark_job_ingests_and_builds_every_model_with_its_tests"
    parity = compare_marts(sample_db, root / "spark")
    differences = {p.mart: p.difference for p in parity if p.difference}
    assert not differences, differences
    marts = {name for (name,) in sample_db.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    assert {p.mart for p in parity} == marts - DUCKDB_ONLY_MARTS
    rows = {p.mart: p.spark_rows for p in parity}
    assert rows["fct_contacts"] > 10_000 and rows["mart_nps_daily"] > 0 and rows["mart_contact_center_daily"] > 0
