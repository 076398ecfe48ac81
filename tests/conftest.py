"""Shared fixtures: warehouses built once per session by the real pipeline."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_cx.defs.dbt_project import ensure_manifest
from tests.pipeline import failed_checks, run_pipeline

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


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dg.ExecuteInProcessResult]:
    """The bundled sample (data/sample), with its planted bad rows."""
    return _build(SAMPLE, tmp_path_factory.mktemp("sample") / "cx.duckdb")


@pytest.fixture(scope="session")
def sample_warehouse(sample_run) -> Path:
    return sample_run[0]


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
