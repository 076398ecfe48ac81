"""Zendesk business hours: schedules and holidays land with dlt from the fake API and are replaced each
run; a ticket is on its group's configured schedule, else Zendesk's default.

The fake serves both lists unpaged, as Zendesk's Schedules reference has them; a 429 with
Retry-After on the schedules list is retried. Business minutes on these schedules, by hand:
tests/test_zendesk_business_hours.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dagster_cx.ingest.loader import MAPPING_PROBLEM_COLUMN
from dagster_cx.sample.zendesk_api import FakeZendesk
from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.mapping import Directory, ZendeskSettings, ticket_schedule
from dagster_cx.sources.zendesk.source import ZendeskSource
from dagster_cx.warehouse import connect
from tests.test_zendesk import EMAIL, SETTINGS, TOKEN, account_records

NEW_YORK, BERLIN = 360000000101, 360000000102


def schedule_records() -> dict[str, list[dict]]:
    """Two schedules: New York, Monday to Friday 9-17, with a split Wednesday and a Friday to midnight;
    Berlin (created first: Zendesk's default), Monday 8-16."""
    weekdays = [{"start_time": day * 1440 + 540, "end_time": day * 1440 + 1020} for day in (1, 2, 4)]
    return {
        "schedules": [
            {"id": NEW_YORK, "name": "US support", "time_zone": "Eastern Time (US & Canada)",
             "created_at": "2025-02-01T00:00:00Z", "updated_at": "2025-02-01T00:00:00Z",
             "intervals": [*weekdays, {"start_time": 3 * 1440 + 540, "end_time": 3 * 1440 + 720},
                           {"start_time": 3 * 1440 + 780, "end_time": 3 * 1440 + 1020},
                           {"start_time": 5 * 1440 + 540, "end_time": 6 * 1440}]},
            {"id": BERLIN, "name": "DACH", "time_zone": "Berlin", "created_at": "2024-06-01T00:00:00Z",
             "updated_at": "2024-06-01T00:00:00Z", "intervals": [{"start_time": 1440 + 480, "end_time": 1440 + 960}]},
        ],
        "schedule_holidays": [
            {"id": 71, "schedule_id": NEW_YORK, "name": "Spring break", "start_date": "2026-03-11",
             "end_date": "2026-03-12"},
        ],
    }


@pytest.fixture
def zendesk(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CX_ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
    api = FakeZendesk(account_records() | schedule_records(), EMAIL, TOKEN, page_size=2)
    with api.serving() as url:
        yield api, ZendeskSource(ZendeskAccount(url), SETTINGS)


def _landed(warehouse: Path, table: str, columns: str) -> list[tuple]:
    with connect(warehouse) as con:
        return con.execute(f"select {columns} from zendesk.{table} order by id").fetchall()


def test_schedules_and_holidays_land_as_zendesk_gives_them_and_are_replaced_on_the_next_run(zendesk, tmp_path: Path):
    api, source = zendesk
    warehouse = tmp_path / "cx.duckdb"
    api.rate_limited["/api/v2/business_hours/schedules.json"] = 1
    source.land(warehouse)
    assert sum("business_hours/schedules.json" in r for r in api.requests) == 2  # the 429, then the list
    schedules = _landed(warehouse, "schedules", "id, time_zone, intervals")
    assert [(id_, zone) for id_, zone, _ in schedules] == [(NEW_YORK, "Eastern Time (US & Canada)"), (BERLIN, "Berlin")]
    assert json.loads(schedules[1][2]) == [{"start_time": 1920, "end_time": 2400}]  # the vendor's shape
    assert _landed(warehouse, "schedule_holidays", "id, schedule_id, start_date, end_date") == [
        (71, NEW_YORK, "2026-03-11", "2026-03-12")]

    # The holiday is deleted in Zendesk and another added: the next run's lists replace the landed ones.
    api.records["schedule_holidays"] = [{"id": 72, "schedule_id": BERLIN, "name": "Tag der Arbeit",
                                         "start_date": "2026-05-01", "end_date": "2026-05-01"}]
    source.land(warehouse)
    assert _landed(warehouse, "schedule_holidays", "id, schedule_id") == [(72, BERLIN)]


def test_the_fake_answers_an_unknown_schedules_holidays_with_404(zendesk):
    api, _ = zendesk
    assert api.respond("/api/v2/business_hours/schedules/1/holidays.json", {}, "http://x")[0] == 404
    status, _, body = api.respond(f"/api/v2/business_hours/schedules/{NEW_YORK}/holidays.json", {}, "http://x")
    assert (status, [h["id"] for h in body["holidays"]]) == (200, [71])
    assert "schedule_id" not in body["holidays"][0]  # Zendesk's holiday does not name its schedule


def test_a_ticket_is_on_its_group_s_configured_schedule_else_zendesk_s_default():
    directory = Directory(group_names={1: "us_support", 2: "billing", 3: "pl_support", 4: "mars"},
                          schedule_ids=frozenset({NEW_YORK, BERLIN}), default_schedule=BERLIN)
    settings = ZendeskSettings(group_schedules={"us_support": str(NEW_YORK), "billing": "pl_office", "mars": "999"})
    schedule = {group: ticket_schedule(name, directory, settings) for group, name in directory.group_names.items()}
    assert schedule[1] == {"schedule_id": f"zendesk_{NEW_YORK}"}
    assert schedule[2] == {"schedule_id": "pl_office"}  # a seed schedule
    assert schedule[3] == {"schedule_id": f"zendesk_{BERLIN}"}  # no map: Zendesk's default
    assert schedule[4]["schedule_id"] is None
    assert schedule[4][MAPPING_PROBLEM_COLUMN].startswith("group 'mars' is on Zendesk schedule 999")
    # An account without schedules: the queue's schedule (as for files).
    assert ticket_schedule("pl_support", Directory(), ZendeskSettings()) == {"schedule_id": None}


def test_the_group_map_comes_from_the_environment_as_json_and_a_bad_one_says_how_to_write_it(
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CX_ZENDESK_BASE_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CX_ZENDESK_GROUP_SCHEDULES", f'{{"US support": {NEW_YORK}, "Billing": "pl_office"}}')
    assert ZendeskSource.from_environment().settings.group_schedules == {"US support": str(NEW_YORK),
                                                                        "Billing": "pl_office"}
    monkeypatch.setenv("CX_ZENDESK_GROUP_SCHEDULES", "US support=1")
    with pytest.raises(ValueError, match='CX_ZENDESK_GROUP_SCHEDULES is not JSON .* e.g. {"US support"'):
        ZendeskSource.from_environment()
