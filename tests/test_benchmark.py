"""The benchmark script at its smallest size (XS), so it cannot rot: results exist and reconcile (never a time)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from benchmarks import holdback, run
from dagster_cx.sample.generator import generate


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, progress) -> dict:
    """One benchmark run at size XS, every phase: full build, no-new-data run, floor, incremental."""
    work, results_dir = tmp_path_factory.mktemp("bench_work"), tmp_path_factory.mktemp("bench_results")
    with progress("running the benchmark at size XS (four pipeline runs and the floor)"):
        code = run.main(["--size", "XS", "--work-dir", str(work), "--results-dir", str(results_dir)])
    written = sorted(results_dir.glob("XS_*.json"))
    assert len(written) == 1 and written[0].with_suffix(".md").exists()
    data = json.loads(written[0].read_text())
    assert code == 0, data.get("runs")
    return data


@pytest.mark.slow
def test_every_stage_is_timed_and_measured(results: dict) -> None:
    assert set(results["runs"]) == {"full", "no_new_data", "incremental_base", "incremental"}
    for name, pipeline in results["runs"].items():
        assert pipeline["success"], (name, pipeline["problems"])
        stages = pipeline["stages"]
        assert set(stages) == {*run.STAGES, "total"}
        # With no new data the build plan skips dbt's marts and everything after them.
        ran = ("startup", "load_definitions", "ingestion", "ingestion_checks", "dbt_staging")
        after_dbt = ("quality_checks", "dbt_marts", "driver_importance", "publish", "report")
        for stage in ran + (() if name == "no_new_data" else after_dbt):
            assert stages[stage]["seconds"] > 0, (name, stage)
            assert stages[stage]["peak_rss_mib"] > 0, (name, stage)
        if name == "no_new_data":
            assert all(stages[stage]["seconds"] == 0 for stage in after_dbt), stages
        assert sum(stages[s]["seconds"] for s in run.STAGES) == pytest.approx(stages["total"]["seconds"], abs=0.01)
        assert stages["total"]["peak_rss_mib"] >= max(stages[s]["peak_rss_mib"] or 0 for s in run.STAGES)
    assert results["floor"]["success"] and results["floor"]["seconds"] > 0
    assert results["ratios"]["full_over_floor"] > 0
    assert {"cores", "ram_gib", "python", "duckdb", "dbt-core"} <= set(results["machine"])


@pytest.mark.slow
def test_floor_reconciles_with_the_marts(results: dict) -> None:
    recon = results["reconciliation"]
    survey, contacts = recon["survey_daily"], recon["contact_center_daily"]
    assert survey["reconciled"] and contacts["reconciled"], recon
    assert survey["floor_totals"]["nps_responses"] == survey["pipeline_totals"]["nps_responses"] > 0
    assert survey["floor_totals"]["promoters"] == survey["pipeline_totals"]["promoters"] > 0
    assert contacts["floor_totals"]["contacts_offered"] == contacts["pipeline_totals"]["contacts_offered"] > 0
    assert contacts["floor_totals"]["contacts_created"] == results["data"]["rows"]["contacts"]
    assert results["row_counts"]["raw.contacts"] == results["data"]["rows"]["contacts"]


@pytest.mark.slow
def test_the_second_run_loads_nothing_new(results: dict) -> None:
    full, again = results["runs"]["full"]["ingested"], results["runs"]["no_new_data"]["ingested"]
    assert sum(entity["files_loaded"] for entity in full.values()) == results["data"]["files"]
    assert sum(entity["files_loaded"] for entity in again.values()) == 0


def test_holding_back_the_last_day_splits_rows_without_loss(tmp_path: Path) -> None:
    """The incremental phase's split: base + last day = the generated data, row for row."""
    data = tmp_path / "data"
    generate(data, size="XS", bad_rows=False)
    held = holdback.prepare(data, tmp_path / "base", tmp_path / "day")
    assert held["last_day"] == "2026-03-31"
    added = holdback.add_day(tmp_path / "day", tmp_path / "base")
    assert len(added) == 5
    con = duckdb.connect()
    for entity, spec in held["entities"].items():
        assert spec["rows_held_back"] > 0
        parquet = entity in ("survey_answers", "contact_messages")
        reader, pattern = ("read_parquet", "*.parquet") if parquet else ("read_csv", "*.csv")
        key = {"contacts": "contact_id", "contact_status_changes": "status_change_id", "contact_messages": "message_id",
               "survey_responses": "response_id", "survey_answers": "response_id, question_id"}[entity]
        original, split = (con.execute(f"select count(*), count(distinct ({key})) from {reader}('{root}/{entity}/{pattern}')")
                           .fetchone() for root in (data, tmp_path / "base"))
        assert original == split, entity
    day_answers = con.execute(f"select count(distinct response_id) from read_parquet('{tmp_path}/day/survey_answers/*')").fetchone()[0]
    day_responses = con.execute(f"select count(*) from read_csv('{tmp_path}/day/survey_responses/*')").fetchone()[0]
    assert 0 < day_answers <= day_responses
    # the held-back contacts take their history along; the priority column stays
    day_contacts = f"read_csv('{tmp_path}/day/contacts/*')"
    for entity, reader in (("contact_status_changes", "read_csv"), ("contact_messages", "read_parquet")):
        orphans = con.execute(f"select count(*) from {reader}('{tmp_path}/day/{entity}/*') "
                              f"where contact_id not in (select contact_id from {day_contacts})").fetchone()[0]
        assert orphans == 0, entity
        trimmed = tmp_path / "base" / entity / held["entities"][entity]["file"]
        left = con.execute(f"select count(*) from {reader}('{trimmed}') "
                           f"where contact_id in (select contact_id from {day_contacts})").fetchone()[0]
        assert left == 0, entity
    for path in (tmp_path / "base" / "contacts" / held["entities"]["contacts"]["file"],
                 tmp_path / "day" / "contacts" / held["entities"]["contacts"]["day_file"]):
        assert path.read_text(encoding="utf-8").splitlines()[0].endswith(",priority"), path


@pytest.mark.slow
def test_the_incremental_run_loads_the_last_day_and_equals_the_full_build(results: dict) -> None:
    """The incremental phase: the base build, then a run that loads only the held-back day's files,
    whose headline marts equal the full build's and whose published copy, updated by key, holds them."""
    added = results["holdback"]["added_files"]
    loaded = results["runs"]["incremental"]["ingested"]
    assert len(added) == 5
    assert sum(entity["files_loaded"] for entity in loaded.values()) == len(added)
    assert results["incremental_equals_full"] is True
    assert results["incremental_published_equals_its_marts"] is True
    assert 0 < results["ratios"]["incremental_share_of_full"]
    assert results["ok"]
