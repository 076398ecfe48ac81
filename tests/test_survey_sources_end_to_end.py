"""The same responses loaded as contract files, as a Qualtrics "Export data" file and through the Qualtrics API
(the fake on 127.0.0.1) give identical marts: the hand-made fixture's surveys, written in Qualtrics' shapes by
dagster_cx.sample.qualtrics. The API run also proves the token reaches nothing it writes, the published copy
included."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dlt import DagsterDltResource

from dagster_cx.defs.resources import WarehouseResource
from dagster_cx.defs.sources.qualtrics import qualtrics_landing
from dagster_cx.sample.qualtrics import SURVEY_ID, write_qualtrics
from dagster_cx.sources.qualtrics.client import BASE_URL_VARIABLE, MAPPINGS_VARIABLE, TOKEN_VARIABLE, QualtricsSettings
from dagster_cx.sources.surveys.exports import FOLDER_VARIABLE
from tests.fake_qualtrics import FakeQualtrics, serve
from tests.pipeline import environment, failed_checks, published_path_for, run_pipeline

# Whole pipeline builds, beyond the default suite's time: `pytest -m slow` (README, "Tests").
pytestmark = pytest.mark.slow

HANDMADE = Path(__file__).parent / "fixtures" / "handmade"
SURVEY_ENTITIES = ("questions", "survey_responses", "survey_answers")
TOKEN = "qtk_e2e_Vn4Rq8Lm2Xc7Tb9Kd1Hs5Wz3"
WHEN_COLUMNS = {"loaded_at", "computed_at"}  # when a build ran, not what it computed


def _without_surveys(folder: Path) -> Path:
    """The hand-made fixture's files less its surveys, which come from Qualtrics instead."""
    shutil.copytree(HANDMADE, folder, ignore=lambda _, names: [n for n in names if n in SURVEY_ENTITIES])
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory, handmade_warehouse: Path) -> dict[str, Path]:
    """Warehouses of the three paths: contract files (the session's hand-made build), export file, API."""
    tmp = tmp_path_factory.mktemp("survey_sources")
    write_qualtrics(HANDMADE, tmp / "qualtrics")
    files = _without_surveys(tmp / "files")
    export = tmp / "export" / "cx.duckdb"
    with environment(**{FOLDER_VARIABLE: str(tmp / "qualtrics" / "survey_exports")}):
        result = run_pipeline(files, export, report=False)
    assert result.success and not failed_checks(result), failed_checks(result)

    api = FakeQualtrics(TOKEN)
    fixtures = tmp / "qualtrics" / "qualtrics_api"
    api.add_survey(json.loads((fixtures / f"{SURVEY_ID}_definition.json").read_text(encoding="utf-8")))
    for response in json.loads((fixtures / f"{SURVEY_ID}_responses.json").read_text(encoding="utf-8"))["responses"]:
        api.record(SURVEY_ID, response)
    server = serve(api)
    warehouse, home = tmp / "api" / "cx.duckdb", tmp / "api" / "dagster_home"
    home.mkdir(parents=True)
    variables = {TOKEN_VARIABLE: TOKEN, BASE_URL_VARIABLE: api.base_url, MAPPINGS_VARIABLE: str(fixtures / "mappings")}
    try:
        with environment(**variables), dg.instance_for_test(temp_dir=str(home)) as instance:
            landing = qualtrics_landing(QualtricsSettings(api.base_url, fixtures / "mappings", poll_seconds=0.01))
            landed = dg.materialize([landing], instance=instance, resources={
                "dlt": DagsterDltResource(), "warehouse": WarehouseResource(database=str(warehouse))})
            assert landed.success
            result = run_pipeline(files, warehouse, instance=instance, report=False)
            assert result.success and not failed_checks(result), failed_checks(result)
    finally:
        server.shutdown()
    return {"files": handmade_warehouse, "export": export, "api": warehouse, "api_home": home}


def _marts(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [name for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]
        rows = {}
        for table in tables:
            columns = [c[0] for c in con.execute(f"describe marts.{table}").fetchall() if c[0] not in WHEN_COLUMNS]
            order = ", ".join(f"{c} nulls first" for c in columns)
            rows[table] = con.execute(f"select {', '.join(columns)} from marts.{table} order by {order}").fetchall()
    return rows


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return (math.isnan(left) and math.isnan(right)) or math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    return left == right


@pytest.mark.parametrize("path", ["export", "api"])
def test_a_qualtrics_source_gives_the_marts_the_contract_files_give(built, path):
    expected, got = _marts(built["files"]), _marts(built[path])
    assert got.keys() == expected.keys()
    assert len(expected["fct_survey_responses"]) == 10 and len(expected["mart_nps_daily"]) > 0
    for table, rows in expected.items():
        assert len(got[table]) == len(rows), table
        for want, have in zip(rows, got[table], strict=True):
            assert all(_same(a, b) for a, b in zip(want, have, strict=True)), (table, want, have)


@pytest.mark.parametrize("path", ["export", "api"])
def test_qualtrics_previews_spam_and_unfinished_responses_are_excluded_and_counted(built, path):
    with duckdb.connect(str(built[path]), read_only=True) as con:
        excluded = con.execute("select record->>'response_id', reason from raw.excluded "
                               "where entity = 'survey_responses' order by 1").fetchall()
    assert [(rid, reason.split(" (")[0]) for rid, reason in excluded] == [
        ("R_preview_1", "a survey preview or test"), ("R_spam_1", "marked as spam by Qualtrics"),
        ("R_unfinished_1", "unfinished")]


def test_the_api_token_is_nowhere_the_pipeline_wrote(built):
    warehouse = built["api"]
    published = published_path_for(warehouse)
    places = [built["api_home"], warehouse, warehouse.parent / f".dlt_{warehouse.stem}", published,
              published.with_name(f"{published.stem}_parquet")]
    files = [p for place in places for p in ([place] if place.is_file() else place.rglob("*")) if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any(p.suffix == ".db" for p in files)  # the event log
    assert [str(p) for p in files if TOKEN.encode() in p.read_bytes()] == []
