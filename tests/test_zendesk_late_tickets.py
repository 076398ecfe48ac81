"""A ticket that lands after its events and rating, keyed by its external_id: they load under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_cx.contract import ENTITIES, ENTITIES_BY_NAME
from dagster_cx.ingest.plausibility import Limits
from dagster_cx.ingest.reconcile import mismatches
from dagster_cx.ingest.waiting import release_waiting
from dagster_cx.sample.zendesk_api import FakeZendesk
from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.source import ZendeskSource
from dagster_cx.warehouse import connect
from tests.test_zendesk import EMAIL, SETTINGS, TOKEN, _pull, account_records, comment, event, status, ticket
from tests.test_zendesk_ratings import rating

LATE = ("contact_status_changes", "contact_messages", "survey_responses", "survey_answers")


def _counts(results: dict[str, list]) -> dict[str, list[tuple[int, int, int]]]:
    """Per entity and batch: rows read, loaded, waiting."""
    return {name: [(r.rows_read, r.rows_loaded, r.rows_waiting) for r in results[name]] for name in LATE}


def test_events_and_a_rating_before_their_ticket_load_under_its_external_id_when_it_lands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CX_ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
    records = account_records()
    records["tickets"] = records["tickets"][:1]  # ticket 1 only; ticket 7 lands in the second pull
    records["ticket_events"] = [
        *records["ticket_events"][:3],
        event(71, 7, "2026-03-03T09:00:00Z", 101, status(711, "new"), comment(712, 101)),
        event(72, 7, "2026-03-03T09:30:00Z", 201, status(721, "solved", "new"), comment(722, 201)),
        # Later than ticket 7's, so the next pull (resuming at the last second seen) does not fetch those again.
        event(14, 1, "2026-03-03T11:00:00Z", 201, comment(142, 201)),
    ]
    records["satisfaction_ratings"] = [
        rating(770, 7, "bad", "2026-03-03T09:30:00Z", "2026-03-03T10:00:00Z", "Za wolno"),
        rating(701, 1, "good", "2026-03-02T11:00:00Z", "2026-03-03T11:00:00Z"),
    ]
    api = FakeZendesk(records, EMAIL, TOKEN, page_size=2)
    warehouse = tmp_path / "cx.duckdb"
    with api.serving() as url:
        source = ZendeskSource(ZendeskAccount(url), SETTINGS)
        first = _pull(source, warehouse)
        assert _counts(first) == {  # ticket 7's records wait (under Zendesk's id: the only key known then)
            "contact_status_changes": [(5, 3, 2)], "contact_messages": [(5, 3, 2)],
            "survey_responses": [(2, 1, 1)], "survey_answers": [(3, 1, 2)],
        }
        api.upsert("tickets", {**ticket(7, "email", "solved", "2026-03-03T09:00:00Z", "2026-03-03T09:30:00Z"),
                               "external_id": "CT0007"})
        second = _pull(source, warehouse)
    # The pull that lands the ticket loads them under its external_id (answers follow their response when
    # the next run settles waiting rows; the old waiting rows are then superseded by these versions).
    assert _counts(second) == {
        "contact_status_changes": [(0, 0, 0), (2, 2, 0)], "contact_messages": [(1, 1, 0), (2, 2, 0)],
        "survey_responses": [(1, 1, 0), (1, 1, 0)], "survey_answers": [(1, 1, 0)],
    }
    with connect(warehouse) as con:
        settled = {name: release_waiting(con, ENTITIES_BY_NAME[name], Limits()) for name in LATE}
        assert {name: (r.loaded, r.superseded) for name, r in settled.items()} == {
            "contact_status_changes": (0, 2), "contact_messages": (0, 2), "survey_responses": (0, 1),
            "survey_answers": (2, 0)}
        assert con.execute("select count(*) from raw.waiting").fetchall() == [(0,)]
        for table, key in (("contact_status_changes", "status_change_id"), ("contact_messages", "message_id"),
                           ("survey_responses", "response_id")):
            assert con.execute(f"select distinct contact_id from raw.{table} where {key} like '7%' "
                               f"or {key} = 'zendesk_satisfaction_770'").fetchall() == [("CT0007",)], table
        assert con.execute("""select distinct r.channel, a.answer_value from raw.survey_responses r
                              join raw.survey_answers a using (response_id)
                              where a.question_id = 'zendesk_csat' and response_id = 'zendesk_satisfaction_770'
                              """).fetchall() == [("email", 1.0)]
        assert all(mismatches(con, entity) == [] for entity in ENTITIES)
