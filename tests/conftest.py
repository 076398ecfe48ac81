"""Shared fixtures: warehouses built once per session by the real pipeline."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_cx.defs.dbt_project import ensure_manifest
from tests.pipeline import failed_checks, published_path_for, run_pipeline

# Before any test module builds the dbt assets from the manifest: parse if the project
# changed since the last parse, so edited models are never tested against a stale manifest.
ensure_manifest()

FIXTURES = Path(__file__).parent / "fixtures"
HANDMADE = FIXTURES / "handmade"
REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE = REPO_ROOT / "data" / "sample"


def _build(data_dir: Path, warehouse: Path) -> tuple[Path, dg.ExecuteInProcessResult]:
    result = run_pipeline(data_dir, warehouse)
    assert result.success and not failed_checks(result), f"pipeline failed: {failed_checks(result)}"
    return warehouse, result


@pytest.fixture(scope="session")
def handmade_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dg.ExecuteInProcessResult]:
    """The hand-made fixture (tests/fixtures/handmade), whose mart values are computed by hand."""
    return _build(HANDMADE, tmp_path_factory.mktemp("handmade") / "cx.duckdb")


@pytest.fixture(scope="session")
def handmade_warehouse(handmade_run) -> Path:
    return handmade_run[0]


@dataclass(frozen=True)
class CliRun:
    """`cx-warehouse run` on the bundled sample, as the README runs it, in a subprocess."""

    warehouse: Path
    env: dict[str, str]
    stdout: str
    dagster_home: Path  # the run's events persist here, for tests of asset metadata


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_cx.cli", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=900
    )


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """The bundled sample (data/sample), with its planted bad rows, built once by the CLI."""
    folder = tmp_path_factory.mktemp("sample")
    warehouse, home = folder / "cx.duckdb", folder / "dagster_home"
    home.mkdir()
    env = {**os.environ, "CX_WAREHOUSE": str(warehouse), "CX_DATA_DIR": str(SAMPLE),
           "CX_PUBLISHED": str(published_path_for(warehouse)), "DAGSTER_HOME": str(home)}
    for key in ("CX_REPORT_DIR", "CX_ALERT_WEBHOOK_URL", "CX_SURVEY_INVITATIONS_DIR"):
        env.pop(key, None)
    completed = cli("run", "--log-level", "WARNING", env=env)
    assert completed.returncode == 0, f"`cx-warehouse run` failed:\n{completed.stderr[-4000:]}"
    return CliRun(warehouse, env, completed.stdout, home)


@pytest.fixture(scope="session")
def sample_warehouse(sample_run: CliRun) -> Path:
    return sample_run.warehouse


@pytest.fixture
def handmade_db(handmade_warehouse: Path):
    con = duckdb.connect(str(handmade_warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture
def sample_db(sample_warehouse: Path):
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    yield con
    con.close()
