"""Wide exports (one row per response, one column per question) mapped by YAML: a SurveyMonkey export with two
header rows and a Google Forms export without response ids, non-standard scales, N/A answers, offset-less times."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from dagster_cx.sources.surveys.exports import FOLDER_VARIABLE
from tests.pipeline import failed_checks
from tests.survey_ingest import ingest, loads, raw_rows, step_failure

FIXTURES = Path(__file__).parent / "fixtures" / "survey_exports"
GOOGLE_FORMS = "Customer feedback (Responses) - Form responses 1.csv"


def _ingest(root: Path, exports: Path):
    result = ingest(root / "cx.duckdb", root / "files", **{FOLDER_VARIABLE: str(exports)})
    return result


def _drop(root: Path, survey: str) -> Path:
    shutil.copytree(FIXTURES / survey, root / "drop" / survey)
    return root / "drop"


def test_a_surveymonkey_export_with_two_header_rows(tmp_path):
    result = _ingest(tmp_path, _drop(tmp_path, "surveymonkey"))
    assert result.success and not failed_checks(result), step_failure(result)
    source = "survey_exports/surveymonkey/Support_survey_SurveyMonkey.csv"
    # 3 responses; 10 answered cells: 5 + 4 + 1, one an N/A.
    assert loads(tmp_path / "cx.duckdb")[("survey_responses", source)] == (3, 3, 0, 0, 0)
    assert loads(tmp_path / "cx.duckdb")[("survey_answers", source)] == (10, 9, 0, 0, 1)
    responses = raw_rows(tmp_path / "cx.duckdb", "survey_responses", "response_id")
    assert [(r[0], r[1], r[3], r[5], str(r[10])) for r in responses] == [
        # Times on New York's clock: 10:15:32 AM in winter is 15:15:32 UTC; 1:30 AM on the 1st of November
        # happens twice (the clocks go back at 2:00) and the earlier, still summer time, is taken.
        ("114230001", "sm_support_2026", "u1", "phone", "2026-03-02 15:15:32+00:00"),
        ("114230002", "sm_support_2026", "u2", "email", "2026-11-01 05:30:00+00:00"),
        ("114230003", "sm_support_2026", "u3", "chat", "2026-03-03 19:00:00+00:00"),
    ]
    answers = {(r[0], r[1]): (r[2], r[3]) for r in raw_rows(tmp_path / "cx.duckdb", "survey_answers", "response_id")}
    assert answers == {
        ("114230001", "q_sm_nps"): (10.0, None), ("114230001", "q_sm_csat"): (3.0, None),  # "Satisfied" of 3
        ("114230001", "q_sm_integrity"): (5.0, None),
        ("114230001", "q_sm_comment"): (None, 'Szybko i "bez problemu",\nвсё понятно — спасибо!'),
        ("114230002", "q_sm_nps"): (6.0, None), ("114230002", "q_sm_csat"): (1.0, None),
        ("114230002", "q_sm_integrity"): (2.0, None), ("114230002", "q_sm_empathy"): (1.0, None),
        ("114230003", "q_sm_csat"): (2.0, None),  # "Neutral": the other questions were skipped
    }
    questions = {r[0]: r[2:6] for r in raw_rows(tmp_path / "cx.duckdb", "questions", "question_id")}
    assert questions["q_sm_csat"] == ("csat", None, 1, 3)
    assert questions["q_sm_empathy"] == ("pillar", "empathy", 1, 5)


def test_a_google_forms_export_gets_stable_ids_so_a_new_download_adds_only_the_new_row(tmp_path):
    drop = _drop(tmp_path, "google_forms")
    first = _ingest(tmp_path, drop)
    assert first.success, step_failure(first)
    ids = [r[0] for r in raw_rows(tmp_path / "cx.duckdb", "survey_responses", "answered_at")]
    assert len(ids) == 3 and all(i.startswith("h_") for i in ids)
    # The form's sheet downloaded again a day later: the same three rows and a new one.
    export = (FIXTURES / "google_forms" / GOOGLE_FORMS).read_text(encoding="utf-8")
    (drop / "google_forms" / "responses_day2.csv").write_text(
        export + '"3/5/2026 9:00:00","olga@example.com","u4","7","No","Disagree",""\r\n', encoding="utf-8")
    again = _ingest(tmp_path, drop)
    assert again.success, step_failure(again)
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        versions = con.execute("select response_id, count(*) from raw.survey_responses group by 1 order by 1"
                               ).fetchall()
        csat = con.execute("select answer_value from raw.survey_answers where question_id = 'q_gf_csat' "
                           "order by _load_id, _source_row").fetchall()
    counts = dict(versions)
    assert {response_id: counts[response_id] for response_id in ids} == dict.fromkeys(ids, 2)  # same keys again
    assert len(counts) == 4  # and one new response
    assert csat == [(2.0,), (1.0,), (2.0,), (2.0,), (1.0,), (2.0,), (1.0,)]  # Yes = 2, No = 1 on the 2-point scale


def test_an_export_outside_a_survey_folder_fails_the_step_and_is_not_loaded(tmp_path):
    drop = _drop(tmp_path, "surveymonkey")
    shutil.copy(FIXTURES / "surveymonkey" / "Support_survey_SurveyMonkey.csv", drop / "stray.csv")
    result = _ingest(tmp_path, drop)
    assert not result.success
    assert "stray.csv: an export belongs in its survey's folder" in step_failure(result)
    assert ("survey_responses", "survey_exports/surveymonkey/Support_survey_SurveyMonkey.csv") in loads(
        tmp_path / "cx.duckdb")
