"""dbt unit tests (the tricky SQL: category borders, FCR windows, business-hours intervals, SLA
policy choice, ...) run here, once, rather than in every scheduled build of the pipeline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from dagster_cx.defs.dbt_project import dbt_executable, dbt_project


def test_every_dbt_unit_test_passes(tmp_path: Path, handmade_warehouse: Path) -> None:
    # Unit tests read their inputs' column types from the warehouse: a built copy serves.
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    target = tmp_path / "target"
    completed = subprocess.run(
        [dbt_executable(), "test", "--quiet", "--select", "test_type:unit", "--project-dir", str(dbt_project.project_dir),
         "--profiles-dir", str(dbt_project.profiles_dir), "--target-path", str(target)],
        env={**os.environ, "CX_WAREHOUSE": str(warehouse)}, capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads((target / "run_results.json").read_text())["results"]
    # The project's on-run-start hook is a result too (on DuckDB it renders nothing).
    unit_tests = {r["unique_id"].split(".")[-1]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert len(unit_tests) == 25 and set(unit_tests.values()) == {"pass"}, unit_tests
