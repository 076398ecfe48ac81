"""Zendesk satisfaction ratings -> survey responses of their ticket's contact, through the fake API and the gate.

The marts' side (mart_csat_daily per day by hand) is in tests/test_contact_center_sources.py,
which builds the pipeline through the sources once for every contact-center check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_cx.contract import ENTITIES, ENTITIES_BY_NAME
from dagster_cx.ingest.loader import MAPPING_PROBLEM_COLUMN
from dagster_cx.ingest.plausibility import Limits
from dagster_cx.ingest.reconcile import mismatches
from dagster_cx.ingest.waiting import release_waiting
from dagster_cx.sample.zendesk_api import FakeZendesk
from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.mapping import Directory, rating_rows
from dagster_cx.sources.zendesk.source import ZendeskSource
from dagster_cx.warehouse import connect
from tests.test_zendesk import EMAIL, SETTINGS, TOKEN, _pull, account_records, event, status, ticket

RATINGS = "/api/v2/satisfaction_ratings.json"


def rating(id_: int, ticket_id: int, score: str, created: str, updated: str, comment: str | None = None) -> dict:
    return {"id": id_, "ticket_id": ticket_id, "requester_id": 101, "assignee_id": 201, "group_id": 1,
            "score": score, "comment": comment, "created_at": created, "updated_at": updated,
            "url": f"https://example.zendesk.com/api/v2/satisfaction_ratings/{id_}.json"}


def test_a_rating_is_a_response_with_a_two_point_csat_and_its_comment_and_an_unanswered_one_is_left_out():
    directory = Directory(users={101: {"id": 101, "role": "end-user", "locale": "pl-PL"}}, ticket_keys={1: "CT1"})
    response, answers = rating_rows(rating(7, 1, "good", "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z",
                                           "Szybko i miło"), directory)
    assert (response["response_id"], response["contact_id"], response["customer_id"], response["channel"],
            response["language"], response["sent_at"], response["answered_at"]) == (
        "zendesk_satisfaction_7", "CT1", "101", None, "pl", "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z")
    assert [(a["question_id"], a.get("answer_value"), a.get("answer_text")) for a in answers] == [
        ("zendesk_csat", 2, None), ("zendesk_csat_comment", None, "Szybko i miło")]
    _, [bad] = rating_rows(rating(8, 1, "bad", "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z"), directory)
    assert bad["answer_value"] == 1
    for unanswered in ("offered", "unoffered"):
        left_out, none = rating_rows(rating(9, 1, unanswered, "2026-03-02T11:00:00Z", "2026-03-02T11:00:00Z"),
                                     directory)
        assert none == [] and f"score {unanswered}" in left_out["_exclude_reason"]
    _, [odd] = rating_rows(rating(10, 1, "great", "2026-03-02T11:00:00Z", "2026-03-02T11:00:00Z"), directory)
    assert "'great' is not good, bad, offered or unoffered" in odd[MAPPING_PROBLEM_COLUMN]


def test_ratings_page_retry_wait_for_their_ticket_and_a_changed_rating_is_a_newer_version(tmp_path: Path,
                                                                                        monkeypatch):
    monkeypatch.setenv("CX_ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
    records = account_records() | {"satisfaction_ratings": [
        rating(701, 1, "good", "2026-03-02T11:00:00Z", "2026-03-04T09:00:00Z", "Szybko i miło"),
        rating(702, 2, "bad", "2026-03-02T10:20:00Z", "2026-03-02T13:00:00Z"),
        rating(703, 5, "bad", "2026-03-04T08:10:00Z", "2026-03-04T08:20:00Z"),  # ticket 5 lands in the next pull
        rating(704, 4, "offered", "2026-03-02T10:31:00Z", "2026-03-02T10:31:00Z"),
        rating(705, 3, "unoffered", "2026-03-02T10:21:00Z", "2026-03-02T10:21:00Z"),
    ]}
    api = FakeZendesk(records, EMAIL, TOKEN, page_size=2)
    warehouse = tmp_path / "cx.duckdb"
    with api.serving() as url:
        source = ZendeskSource(ZendeskAccount(url), SETTINGS)
        api.rate_limited[RATINGS] = 1
        first = _pull(source, warehouse)
        counts = {name: [(r.rows_read, r.rows_loaded, r.rows_waiting, r.rows_excluded, r.rows_quarantined)
                         for r in first[name]] for name in ("questions", "survey_responses", "survey_answers")}
        assert counts == {  # read, loaded, waiting, excluded, quarantined
            "questions": [(2, 2, 0, 0, 0)],
            "survey_responses": [(5, 2, 1, 2, 0)],  # 703 waits for ticket 5; 704 and 705 are no answer
            "survey_answers": [(4, 3, 1, 0, 0)],  # 703's waits for its response
        }
        rating_requests = [r for r in api.requests if r.startswith(RATINGS)]
        assert len(rating_requests) == 4  # the 429, then 5 ratings in pages of 2

        api.requests.clear()
        api.upsert("tickets", ticket(5, "email", "new", "2026-03-04T08:00:00Z", "2026-03-04T08:00:00Z",
                                     requester=102))
        api.upsert("ticket_events", event(51, 5, "2026-03-04T08:00:00Z", 102, status(511, "new")))
        api.upsert("satisfaction_ratings", rating(702, 2, "good", "2026-03-02T10:20:00Z", "2026-03-05T09:00:00Z"))
        _pull(source, warehouse)
        # From the newest change seen (701's), so 703 is not fetched again: its waiting row is released.
        assert all("start_time=1772614800" in r for r in api.requests if r.startswith(RATINGS))
    with connect(warehouse) as con:
        released = [release_waiting(con, ENTITIES_BY_NAME[name], Limits()).loaded
                    for name in ("survey_responses", "survey_answers")]
        assert released == [1, 1]
        latest = con.execute("""
            select r.response_id, r.channel, r.answered_at::varchar, a.answer_value
            from raw.survey_responses r join raw.survey_answers a using (response_id)
            where a.question_id = 'zendesk_csat'
            qualify row_number() over (partition by r.response_id order by r._load_id desc, a._load_id desc) = 1
            order by 1""").fetchall()
        assert latest == [
            ("zendesk_satisfaction_701", "email", "2026-03-04 09:00:00+00", 2.0),
            ("zendesk_satisfaction_702", "chat", "2026-03-05 09:00:00+00", 2.0),  # bad, then good
            ("zendesk_satisfaction_703", "email", "2026-03-04 08:20:00+00", 1.0),  # released with ticket 5's channel
        ]
        assert con.execute("select count(*) from raw.waiting where entity like 'survey%'").fetchall() == [(0,)]
        assert all(mismatches(con, entity) == [] for entity in ENTITIES)


@pytest.mark.parametrize("score", ["offered", "unoffered"])
def test_the_fake_lists_unanswered_ratings_too(score: str):
    api = FakeZendesk({"satisfaction_ratings": [rating(1, 1, score, "2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z")]},
                      EMAIL, TOKEN)
    status_code, _, body = api.respond(RATINGS, {"start_time": "0"}, "http://127.0.0.1")
    assert status_code == 200 and [r["score"] for r in body["satisfaction_ratings"]] == [score]
