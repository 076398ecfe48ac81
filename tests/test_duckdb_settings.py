"""DuckDB's memory limit reaches both processes that run DuckDB, and dbt's parse state follows the warehouse."""

from __future__ import annotations

import os
import subprocess

import duckdb
import pytest

from dagster_cx import warehouse
from dagster_cx.defs.dbt_project import _parse_state, dbt_executable, dbt_project


def _limit_of(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_pipeline_connections_take_the_configured_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_DUCKDB_MEMORY_LIMIT", "1GiB")
    with warehouse.connect(tmp_path / "cx.duckdb") as con:
        assert _limit_of(con) == "1.0 GiB"


def test_the_default_limit_is_a_quarter_of_ram(tmp_path, monkeypatch):
    monkeypatch.delenv("CX_DUCKDB_MEMORY_LIMIT", raising=False)
    reference = duckdb.connect(":memory:", config={"memory_limit": "25%"})
    with warehouse.connect(tmp_path / "cx.duckdb") as con:
        assert _limit_of(con) == _limit_of(reference) != _limit_of(duckdb.connect(":memory:"))


def test_a_bad_limit_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match=r"CX_DUCKDB_MEMORY_LIMIT='lots'.*'25%'.*'6GiB'"):
        with warehouse.connect(tmp_path / "cx.duckdb"):
            pass


def test_the_dbt_profile_applies_the_same_limit(tmp_path):
    environment = {**os.environ, "CX_WAREHOUSE": str(tmp_path / "cx.duckdb"), "CX_DUCKDB_MEMORY_LIMIT": "1500MiB"}
    shown = subprocess.run(
        [dbt_executable(), "show", "--quiet", "--output", "json", "--inline",
         "select current_setting('memory_limit') as memory_limit",
         "--project-dir", str(dbt_project.project_dir), "--profiles-dir", str(dbt_project.profiles_dir),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        capture_output=True, text=True, env=environment, check=False,
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert '"memory_limit": "1.4 GiB"' in shown.stdout


def test_parse_state_changes_with_the_warehouse_only(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_WAREHOUSE", str(tmp_path / "a.duckdb"))
    first = _parse_state()
    assert _parse_state() == first
    monkeypatch.setenv("CX_WAREHOUSE", str(tmp_path / "b.duckdb"))
    assert _parse_state() != first
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path))  # not read by the profile
    monkeypatch.setenv("CX_WAREHOUSE", str(tmp_path / "a.duckdb"))
    assert _parse_state() == first
