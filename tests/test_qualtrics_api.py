"""The Qualtrics API source against a fake Qualtrics on 127.0.0.1 (tests/fake_qualtrics.py): paging, a 429 with
Retry-After, continuation (a second run fetches only what is new or changed), a failed export and a killed run
that lose nothing, and a token that is never stored, logged or shown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dlt import DagsterDltResource
from dlt.pipeline.exceptions import PipelineStepFailed

from dagster_cx.defs.ingest import raw_files
from dagster_cx.defs.resources import RawFilesResource, WarehouseResource
from dagster_cx.defs.sources.qualtrics import qualtrics_landing
from dagster_cx.sources.landing import landing_pipeline
from dagster_cx.sources.qualtrics.api import qualtrics_source
from dagster_cx.sources.qualtrics.client import BASE_URL_VARIABLE, MAPPINGS_VARIABLE, TOKEN_VARIABLE, QualtricsSettings
from dagster_cx.sources.surveys.exports import FOLDER_VARIABLE
from tests.fake_qualtrics import FakeQualtrics, serve
from tests.pipeline import environment, failed_checks
from tests.survey_ingest import ingest, loads, raw_rows, step_failure

FIXTURES = Path(__file__).parent / "fixtures"
SURVEY = "SV_9AbCdEfGhIjKlMn"
DEFINITION = json.loads((FIXTURES / "qualtrics_api" / f"{SURVEY}_definition.json").read_text(encoding="utf-8"))
RESPONSES = json.loads((FIXTURES / "qualtrics_api" / f"{SURVEY}_responses.json").read_text(encoding="utf-8"))[
    "responses"]
TOKEN = "qtk_7Hc9XwQ2mP4rL8sT1vB6nZ3yD5fJ0aKe"  # real-looking, so a leak of it would be found by grep


@pytest.fixture
def qualtrics():
    """The fake with the support survey and two others (the survey list then takes two pages)."""
    api = FakeQualtrics(TOKEN)
    for definition in (DEFINITION, {**DEFINITION, "SurveyID": "SV_0ther1", "SurveyName": "Onboarding"},
                       {**DEFINITION, "SurveyID": "SV_0ther2", "SurveyName": "Relationship NPS"}):
        api.add_survey(definition)
    server = serve(api)
    yield api
    server.shutdown()


@pytest.fixture
def mappings(tmp_path: Path) -> Path:
    """The support survey's mapping (the file drop's, naming its Qualtrics survey id)."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    text = (FIXTURES / "survey_exports" / "support_csat" / "mapping.yml").read_text(encoding="utf-8")
    (folder / "support_csat.yml").write_text(f"{text}qualtrics_survey_id: {SURVEY}\n", encoding="utf-8")
    return folder


def _settings(api: FakeQualtrics, mappings: Path) -> QualtricsSettings:
    return QualtricsSettings(api.base_url, mappings, poll_seconds=0.01)


def _land(api: FakeQualtrics, mappings: Path, warehouse: Path, token: str = TOKEN):
    with environment(**{TOKEN_VARIABLE: token}):
        return landing_pipeline("qualtrics", warehouse).run(qualtrics_source(_settings(api, mappings)))


def _ingest(api: FakeQualtrics, mappings: Path, warehouse: Path):
    result = ingest(warehouse, warehouse.parent / "files", **{BASE_URL_VARIABLE: api.base_url,
                                                              MAPPINGS_VARIABLE: str(mappings)})
    assert result.success and not failed_checks(result), step_failure(result)
    return result


def _pulls(warehouse: Path, entity: str) -> list[tuple]:
    """(read, loaded, quarantined, waiting, excluded) of each Qualtrics pull of the entity, in load order."""
    return [counts for (logged, source), counts in sorted(loads(warehouse).items(), key=lambda item: item[0][1])
            if logged == entity and source.startswith("qualtrics/1")]


def _landed(warehouse: Path) -> list[tuple[str, int]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select response_id, count(*) from qualtrics.responses group by 1 order by 1").fetchall()


def test_a_first_pull_pages_survives_a_429_and_maps_like_the_export_file(qualtrics, mappings, tmp_path):
    for response in RESPONSES:
        qualtrics.record(SURVEY, response)
    qualtrics.throttled[f"/API/v3/surveys/{SURVEY}/export-responses"] = 1  # Retry-After: 1 s, once
    _land(qualtrics, mappings, tmp_path / "cx.duckdb")
    paths = [(method, url) for method, url, _ in qualtrics.requests]
    assert ("GET", "/API/v3/surveys") in paths and ("GET", "/API/v3/surveys?offset=2") in paths
    assert paths.count(("POST", f"/API/v3/surveys/{SURVEY}/export-responses")) == 2  # 429, then again
    assert ("GET", f"/API/v3/survey-definitions/{SURVEY}") in paths
    assert all(token_ok for _, _, token_ok in qualtrics.requests)
    assert qualtrics.export_requests == [{"format": "json", "allowContinuation": True}]

    _ingest(qualtrics, mappings, tmp_path / "cx.duckdb")
    assert _pulls(tmp_path / "cx.duckdb", "survey_responses") == [(6, 3, 0, 0, 3)]
    assert _pulls(tmp_path / "cx.duckdb", "survey_answers") == [(21, 15, 0, 0, 6)]
    # The same responses downloaded as an "Export data" file give the same raw rows.
    exports = tmp_path / "drop" / "support_csat"
    exports.mkdir(parents=True)
    for name in ("mapping.yml", "Support_CSAT_numeric.csv"):
        (exports / name).write_bytes((FIXTURES / "survey_exports" / "support_csat" / name).read_bytes())
    ingest(tmp_path / "drop.duckdb", tmp_path / "files", **{FOLDER_VARIABLE: str(exports.parent)})
    for entity, order in (("survey_responses", "response_id"), ("survey_answers", "response_id, question_id"),
                          ("questions", "question_id")):
        assert raw_rows(tmp_path / "cx.duckdb", entity, order) == raw_rows(tmp_path / "drop.duckdb", entity, order)


def test_a_second_run_fetches_only_new_or_changed_responses(qualtrics, mappings, tmp_path):
    warehouse = tmp_path / "cx.duckdb"
    for response in RESPONSES[:3]:
        qualtrics.record(SURVEY, response)
    _land(qualtrics, mappings, warehouse)
    _ingest(qualtrics, mappings, warehouse)
    changed = json.loads(json.dumps(RESPONSES[1]))
    changed["values"]["QID1"] = 4  # the respondent corrected the NPS answer
    qualtrics.record(SURVEY, changed)
    qualtrics.record(SURVEY, {**RESPONSES[0], "responseId": "R_new", "values": {**RESPONSES[0]["values"],
                                                                                   "_recordId": "R_new"}})
    _land(qualtrics, mappings, warehouse)
    _ingest(qualtrics, mappings, warehouse)
    _land(qualtrics, mappings, warehouse)  # nothing new: an empty pull, logged too
    _ingest(qualtrics, mappings, warehouse)

    first_token = qualtrics.export_requests[1]["continuationToken"]
    assert [r.get("continuationToken") for r in qualtrics.export_requests] == [None, first_token, "ct_5"]
    assert _pulls(warehouse, "survey_responses") == [(3, 3, 0, 0, 0), (2, 2, 0, 0, 0), (0, 0, 0, 0, 0)]
    assert _landed(warehouse) == [("R_1a2B3c4D5e6F7g8", 1), ("R_2b3C4d5E6f7G8h9", 1), ("R_3c4D5e6F7g8H9i0", 1),
                                  ("R_new", 1)]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        versions = con.execute("select answer_value from raw.survey_answers where response_id = 'R_2b3C4d5E6f7G8h9' "
                               "and question_id = 'q_nps' order by _load_id").fetchall()
    assert versions == [(3.0,), (4.0,)]  # the newer version counts downstream


def test_a_failed_export_fails_the_run_and_the_next_run_loses_nothing(qualtrics, mappings, tmp_path):
    warehouse = tmp_path / "cx.duckdb"
    qualtrics.record(SURVEY, RESPONSES[0])
    _land(qualtrics, mappings, warehouse)
    qualtrics.record(SURVEY, RESPONSES[1])
    qualtrics.failing_exports.add(SURVEY)
    with pytest.raises(PipelineStepFailed, match=f"Qualtrics could not export the responses of {SURVEY} .*failed, "
                                                 "request id .*re-running loses nothing"):
        _land(qualtrics, mappings, warehouse)
    qualtrics.record(SURVEY, RESPONSES[2])
    _land(qualtrics, mappings, warehouse)
    tokens = [r.get("continuationToken") for r in qualtrics.export_requests]
    assert tokens[1] == tokens[2] == "ct_1"  # the failed run committed no new position
    assert _landed(warehouse) == [("R_1a2B3c4D5e6F7g8", 1), ("R_2b3C4d5E6f7G8h9", 1), ("R_3c4D5e6F7g8H9i0", 1)]


def test_a_run_killed_half_way_resumes_without_duplicate_or_gap(qualtrics, mappings, tmp_path):
    warehouse = tmp_path / "cx.duckdb"
    qualtrics.record(SURVEY, RESPONSES[0])
    _land(qualtrics, mappings, warehouse)
    qualtrics.record(SURVEY, RESPONSES[1])
    qualtrics.holding.set()  # the next export stays "inProgress": the run is polling when it is killed
    script = ("from pathlib import Path\nfrom dagster_cx.sources.landing import landing_pipeline\n"
              "from dagster_cx.sources.qualtrics.api import qualtrics_source\n"
              "from dagster_cx.sources.qualtrics.client import QualtricsSettings\n"
              f"settings = QualtricsSettings({qualtrics.base_url!r}, Path({str(mappings)!r}), poll_seconds=0.01)\n"
              f"landing_pipeline('qualtrics', Path({str(warehouse)!r})).run(qualtrics_source(settings))\n")
    run = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, TOKEN_VARIABLE: TOKEN},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert qualtrics.polled_while_holding.wait(timeout=120), "the run never reached the export"
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
    qualtrics.holding.clear()
    qualtrics.record(SURVEY, RESPONSES[2])
    _land(qualtrics, mappings, warehouse)
    tokens = [r.get("continuationToken") for r in qualtrics.export_requests]
    assert tokens == [None, "ct_1", "ct_1"]  # the killed run's export is asked for again
    assert _landed(warehouse) == [("R_1a2B3c4D5e6F7g8", 1), ("R_2b3C4d5E6f7G8h9", 1), ("R_3c4D5e6F7g8H9i0", 1)]
    _ingest(qualtrics, mappings, warehouse)
    assert [counts[0] for counts in _pulls(warehouse, "survey_responses")] == [1, 2]


@pytest.mark.parametrize(("token", "message"), [
    ("qtk_wrong_Zx81", "Qualtrics answered 401 to .*the API token was refused: check QUALTRICS_API_TOKEN"),
    ("", "QUALTRICS_API_TOKEN is not set: put your Qualtrics API token in it"),
])
def test_a_refused_or_missing_token_says_what_to_do_without_quoting_it(qualtrics, mappings, tmp_path, token, message):
    with pytest.raises(PipelineStepFailed, match=message) as failure:
        _land(qualtrics, mappings, tmp_path / "cx.duckdb", token=token)
    assert "qtk_wrong" not in str(failure.value)


def test_the_token_is_never_stored_logged_or_shown(qualtrics, mappings, tmp_path, capfd):
    """Land and ingest through Dagster (a persistent instance, dlt logging at DEBUG), then look for the token
    everywhere it could leak: the console, the instance's event log and storage, the warehouse, dlt's folder."""
    for response in RESPONSES:
        qualtrics.record(SURVEY, response)
    warehouse, home = tmp_path / "cx.duckdb", tmp_path / "dagster_home"
    home.mkdir()
    landing = qualtrics_landing(_settings(qualtrics, mappings))
    variables = {TOKEN_VARIABLE: TOKEN, BASE_URL_VARIABLE: qualtrics.base_url, MAPPINGS_VARIABLE: str(mappings),
                 "RUNTIME__LOG_LEVEL": "DEBUG"}
    with environment(**variables), dg.instance_for_test(temp_dir=str(home)) as instance:
        result = dg.materialize(
            [landing, raw_files], instance=instance, raise_on_error=False,
            resources={"dlt": DagsterDltResource(), "warehouse": WarehouseResource(database=str(warehouse)),
                       "raw_files": RawFilesResource(data_dir=str(tmp_path / "files"), parquet_dir="")},
        )
        assert result.success, step_failure(result)
        metadata = {key.to_user_string(): m for key, m in _materializations(result).items()}
    assert metadata["qualtrics/responses"]["rows_loaded"].value == 6
    [pull] = [load for load in metadata["raw/survey_responses"]["loads"].value if load["source"].startswith("qualtrics/1")]
    assert (pull["read"], pull["loaded"], pull["quarantined"], pull["excluded"]) == (6, 3, 0, 3)
    out, err = capfd.readouterr()
    assert TOKEN not in out + err
    places = [home, warehouse, warehouse.parent / f".dlt_{warehouse.stem}"]
    files = [path for place in places for path in ([place] if place.is_file() else place.rglob("*")) if path.is_file()]
    assert len(files) > 10  # the event log, the warehouse, dlt's state, schema and trace
    leaked = [str(path) for path in files if TOKEN.encode() in path.read_bytes()]
    assert leaked == []


def _materializations(result: dg.ExecuteInProcessResult) -> dict[dg.AssetKey, dict]:
    return {event.asset_key: event.step_materialization_data.materialization.metadata
            for event in result.get_asset_materialization_events()}


def test_a_configured_qualtrics_adds_its_landing_assets_upstream_of_the_raw_survey_tables(qualtrics, mappings):
    from dagster_cx.defs.sources import landing_assets, landings_feeding

    assert landing_assets() == []
    with environment(**{BASE_URL_VARIABLE: qualtrics.base_url, MAPPINGS_VARIABLE: str(mappings)}):
        [landing] = landing_assets()
        assert {key.to_user_string() for key in landing.keys} == {
            "qualtrics/surveys", "qualtrics/survey_definitions", "qualtrics/responses"}
        for entity in ("survey_responses", "survey_answers"):
            assert landings_feeding(entity) == [dg.AssetKey(["qualtrics", "responses"])]
        assert landings_feeding("questions") == []
