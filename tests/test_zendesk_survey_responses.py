"""Zendesk's updated CSAT (CSAT survey responses, scaled ratings) -> survey responses on the question's own scale.

The daily CSAT mart over 2-point ratings and 5-point responses together is computed by hand in
tests/test_contact_center_sources.py (the pipeline through the sources, built once).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.loader import MAPPING_PROBLEM_COLUMN
from dagster_cx.ingest.reconcile import mismatches
from dagster_cx.sample.zendesk_api import FakeZendesk
from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.mapping import Directory, ZendeskSettings, survey_question_rows, survey_response_rows
from dagster_cx.sources.zendesk.source import ZendeskSource
from dagster_cx.warehouse import connect
from tests.test_zendesk import EMAIL, TOKEN, _pull, account_records
from tests.test_zendesk_ratings import rating

SURVEY_RESPONSES = "/api/v2/guide/survey_responses"
SETTINGS = ZendeskSettings(reason_tags=("billing", "delivery"), csat_scale_points=5)
AT = "2026-03-02T12:00:00.000Z"


def csat(rating_: int, options: tuple[int, ...] = ()) -> dict:
    question = {"id": "01CSAT", "type": "rating_scale_numeric", "sub_type": "customer_satisfaction"}
    if options:
        question["options"] = [{"rating": r, "label": {"type": "static", "value": str(r)}} for r in options]
    return {"type": "rating_scale", "rating": rating_, "rating_category": "good", "question": question,
            "created_at": AT, "updated_at": AT}


def comment(text: str) -> dict:
    return {"type": "open_ended", "value": text, "created_at": AT, "updated_at": "2026-03-02T12:05:00.000Z",
            "question": {"id": "01OPEN", "type": "open_ended",
                         "headline": {"type": "static", "value": "Anything else you would like to share?"}}}


def other(kind: str) -> dict:
    return {"type": kind, "created_at": AT, "updated_at": AT, "selections": [{"option_id": "01X", "type": "predefined"}],
            "question": {"id": "01REASON", "type": "closed_ended"}}


def survey_response(id_: str, ticket_id: int | None, *answers: dict, offered: str = "2026-03-02T11:00:00Z") -> dict:
    subject = ({"id": str(ticket_id), "type": "ticket", "zrn": f"zen:ticket:{ticket_id}"} if ticket_id is not None
               else {"id": "4295a81b", "type": "conversation", "zrn": "zen:conversation:4295a81b"})
    return {"id": id_, "responder_id": 101, "answers": list(answers), "expires_at": "2026-03-09T11:00:00.000Z",
            "subject_zrns": [subject["zrn"]], "subjects": [subject],
            "survey": {"id": "01SURVEY", "state": "enabled", "version": 3}, "_offered_at": offered}


def test_a_scaled_rating_keeps_its_scale_comments_are_comments_and_the_rest_is_left_out_with_why():
    directory = Directory(users={101: {"id": 101, "role": "end-user", "locale": "pl-PL"}}, ticket_keys={1: "CT1"})
    response, answers = survey_response_rows(
        survey_response("01R1", 1, csat(4), comment("Szybko"), other("closed_ended"), other("skipped")),
        directory, SETTINGS)
    assert (response["response_id"], response["contact_id"], response["customer_id"], response["channel"],
            response["sent_at"], response["answered_at"]) == (
        "zendesk_csat_response_01R1", "CT1", "101", None, AT, "2026-03-02T12:05:00.000Z")
    assert [(a.get("question_id"), a.get("answer_value"), a.get("answer_text"), a.get("_exclude_reason", "")[:30])
            for a in answers] == [
        ("zendesk_csat_1_to_5", 4, None, ""), ("zendesk_csat_question_01OPEN", None, "Szybko", ""),
        (None, None, None, "a closed-ended CSAT survey ans"), (None, None, None, "a CSAT survey question the cus")]
    # A response that lists its question's options says its own scale (3 points here), whatever is configured.
    _, [three] = survey_response_rows(survey_response("01R2", 1, csat(3, options=(1, 2, 3))), directory, SETTINGS)
    assert (three["question_id"], three["answer_value"], three[MAPPING_PROBLEM_COLUMN]) == ("zendesk_csat_1_to_3", 3, None)
    _, [beyond] = survey_response_rows(survey_response("01R3", 1, csat(7)), directory, SETTINGS)
    assert "CSAT rating 7 is not on a 1-5 scale: set CX_ZENDESK_CSAT_SCALE_POINTS" in beyond[MAPPING_PROBLEM_COLUMN]
    left_out, [its_answer] = survey_response_rows(survey_response("01R4", None, csat(5)), directory, SETTINGS)
    assert left_out["_exclude_reason"] == "a CSAT survey response on conversation, not on a ticket: no contact"
    assert its_answer["_exclude_reason"].startswith("an answer of a CSAT survey response on conversation")
    unanswered, _ = survey_response_rows(survey_response("01R5", 1, other("skipped")), directory, SETTINGS)
    assert unanswered["_exclude_reason"].startswith("a CSAT survey response offered and not answered")
    assert [(q["question_id"], q.get("scale_max"), q["measure"]) for q in survey_question_rows(
        [survey_response("01R1", 1, csat(4), comment("x")), survey_response("01R2", 1, csat(3, options=(1, 2, 3)))],
        SETTINGS)] == [("zendesk_csat_1_to_3", 3, "csat"), ("zendesk_csat_1_to_5", 5, "csat"),
                       ("zendesk_csat_question_01OPEN", None, "comment")]


def test_survey_responses_page_retry_and_load_beside_legacy_ratings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CX_ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
    records = account_records() | {
        "satisfaction_ratings": [rating(701, 1, "good", "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z")],
        "survey_responses": [
            survey_response("01R1", 1, csat(4), comment("Szybko")),
            survey_response("01R2", 2, csat(2), other("closed_ended")),
            survey_response("01R3", None, csat(5)),
            survey_response("01R0", 2, csat(1), offered="2026-02-01T11:00:00Z"),  # before CX_ZENDESK_START_DATE
        ]}
    api = FakeZendesk(records, EMAIL, TOKEN, page_size=2)
    warehouse = tmp_path / "cx.duckdb"
    with api.serving() as url:
        from datetime import date
        # A look-back reaching back to the fixture's March, so the second pull asks for every response again.
        source = ZendeskSource(ZendeskAccount(url), SETTINGS, date(2026, 3, 1), survey_lookback_days=3650)
        api.rate_limited[SURVEY_RESPONSES] = 1
        loaded = _pull(source, warehouse)
        requests = [r for r in api.requests if r.startswith(SURVEY_RESPONSES)]
        assert len(requests) == 3 and all("filter%5Bcreated_at_start%5D=1772323200000" in r for r in requests)
        # The customer changes 01R2 from 2 to 4; 01R1 and 01R3 come again unchanged and are not landed again.
        api.upsert("survey_responses", survey_response("01R2", 2, {**csat(4), "updated_at": "2026-03-03T09:00:00.000Z"},
                                                       other("closed_ended")))
        again = _pull(source, warehouse)
        # 01R2's newer version; then the legacy rating 701 again (its list resumes at its newest change, inclusive).
        assert [(r.source_file.endswith("/survey_responses"), r.rows_read, r.rows_loaded)
                for r in again["survey_responses"]] == [(True, 1, 1), (False, 1, 1)]
    counts = {name: [(r.rows_read, r.rows_loaded, r.rows_excluded, r.rows_quarantined) for r in loaded[name]]
              for name in ("questions", "survey_responses", "survey_answers")}
    assert counts == {  # read, loaded, excluded, quarantined; the survey responses' batch, then the legacy rating's
        "questions": [(2, 2, 0, 0), (2, 2, 0, 0)],  # the legacy survey's two; the 5-point CSAT and the comment
        "survey_responses": [(3, 2, 1, 0), (1, 1, 0, 0)],  # 01R3 is on a conversation; 01R0 was not fetched
        "survey_answers": [(5, 3, 2, 0), (1, 1, 0, 0)],  # 01R2's reason and 01R3's rating are left out
    }
    with connect(warehouse) as con:
        answers = con.execute("""
            select distinct a.response_id, q.scale_min, q.scale_max, a.answer_value from raw.survey_answers a
            join raw.questions q using (question_id) where q.measure = 'csat' order by 1, 4""").fetchall()
        assert answers == [("zendesk_csat_response_01R1", 1, 5, 4.0), ("zendesk_csat_response_01R2", 1, 5, 2.0),
                           ("zendesk_csat_response_01R2", 1, 5, 4.0), ("zendesk_satisfaction_701", 1, 2, 2.0)]
        assert con.execute("""select response_id, channel from raw.survey_responses where survey_id = 'zendesk_csat_survey'
                              order by 1, _load_id""").fetchall() == [("zendesk_csat_response_01R1", "email"),
                                                                      ("zendesk_csat_response_01R2", "chat"),
                                                                      ("zendesk_csat_response_01R2", "chat")]
        assert all(mismatches(con, entity) == [] for entity in ENTITIES)


def test_a_wrong_scale_or_look_back_setting_says_what_to_set(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CX_ZENDESK_BASE_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CX_ZENDESK_CSAT_SCALE_POINTS", "10")
    with pytest.raises(ValueError, match="set it to 2, 3 or 5"):
        ZendeskSource.from_environment()
    monkeypatch.setenv("CX_ZENDESK_CSAT_SCALE_POINTS", "5")
    monkeypatch.setenv("CX_ZENDESK_SURVEY_LOOKBACK_DAYS", "two weeks")
    with pytest.raises(ValueError, match="set it to a whole number of days"):
        ZendeskSource.from_environment()
    monkeypatch.setenv("CX_ZENDESK_SURVEY_LOOKBACK_DAYS", "30")
    assert ZendeskSource.from_environment().survey_lookback_days == 30


def test_the_samples_csat_answers_on_tickets_become_survey_responses_that_map_back_to_the_same_answers():
    from dagster_cx.sample.zendesk_csat import csat_survey_responses

    records = {"tickets": [{"id": 5000001, "external_id": "CT1", "requester_id": 1000001},
                           {"id": 5000002, "external_id": "CT2", "requester_id": 1000002}]}
    responses = [
        {"response_id": "R1", "survey_kind": "transactional", "contact_id": "CT1",
         "sent_at": "2026-01-01T01:20:22+01:00", "answered_at": "2026-01-01T03:23:06+01:00"},
        {"response_id": "R2", "survey_kind": "transactional", "contact_id": "CT2",
         "sent_at": "2026-01-02T10:00:00+00:00", "answered_at": "2026-01-02T11:00:00+00:00"},
        {"response_id": "R3", "survey_kind": "relationship", "contact_id": None, "sent_at": None, "answered_at": None},
        {"response_id": "R4", "survey_kind": "transactional", "contact_id": "CALL9",  # a call: not a ticket
         "sent_at": "2026-01-02T10:00:00+00:00", "answered_at": "2026-01-02T11:00:00+00:00"},
    ]
    answers = [{"response_id": r, "question_id": q, "answer_value": v, "answer_text": t} for r, q, v, t in (
        ("R1", "q_csat", "4.0", None), ("R1", "q_comment", None, "Fast"), ("R1", "q_nps", "9.0", None),
        ("R2", "q_csat", "2.0", None), ("R3", "q_csat", "5.0", None), ("R4", "q_csat", "5.0", None))]
    zendesk, carried = csat_survey_responses(responses, answers, records)
    assert carried == {"R1|q_csat", "R1|q_comment", "R2|q_csat"}  # R1's NPS stays with the survey tool
    directory = Directory(ticket_keys={5000001: "CT1", 5000002: "CT2"}, users={1000001: {"external_id": "C1"}})
    mapped = [survey_response_rows(response, directory, ZendeskSettings(csat_scale_points=5)) for response in zendesk]
    assert [(r["contact_id"], r["customer_id"], r["sent_at"], r["answered_at"],
             [(a["question_id"], a.get("answer_value"), a.get("answer_text")) for a in answers_])
            for r, answers_ in mapped] == [
        ("CT1", "C1", "2026-01-01T00:20:22Z", "2026-01-01T02:23:06Z",
         [("zendesk_csat_1_to_5", 4, None), ("zendesk_csat_question_01SAMPLECSATCOMMENT00000000", None, "Fast")]),
        ("CT2", "1000002", "2026-01-02T10:00:00Z", "2026-01-02T11:00:00Z", [("zendesk_csat_1_to_5", 2, None)]),
    ]
