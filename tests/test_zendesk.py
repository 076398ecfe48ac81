"""Zendesk Support through its API: dlt lands the fake API's pages, one tested mapping loads them.

The fake API (dagster_cx/sample/zendesk_api.py) pages as Zendesk's reference documents:
cursor exports with end_of_stream, a time-based event export, 429 with Retry-After.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.plausibility import Limits
from dagster_cx.ingest.raw_tables import ensure_raw_schema
from dagster_cx.ingest.reconcile import mismatches
from dagster_cx.sample.zendesk_api import FakeZendesk
from dagster_cx.sources.batches import load_batches
from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.mapping import Directory, ZendeskSettings, contact_row, customer_row, event_rows
from dagster_cx.sources.zendesk.source import ZendeskSource
from dagster_cx.warehouse import connect

EMAIL = "admin@example.com"
TOKEN = "Zd8kQ2mN7xR4vT9pL3sW6yB1cF5hJ0gE8aU2iO4e"  # looks like a Zendesk API token (40 characters)
SETTINGS = ZendeskSettings(reason_tags=("billing", "delivery"))


def user(id_: int, role: str, name: str, created: str = "2026-01-05T09:00:00Z") -> dict:
    return {"id": id_, "role": role, "name": name, "email": f"{name.lower()}@example.com", "locale": "pl-PL",
            "created_at": created, "updated_at": created, "user_fields": {"segment": "smb", "region": "PL"}}


def ticket(id_: int, channel: str, status: str, created: str, updated: str, requester: int = 101,
           group: int | None = 1, tags: tuple[str, ...] = ("billing",)) -> dict:
    return {"id": id_, "via": {"channel": channel, "source": {"rel": None}}, "status": status, "priority": "high",
            "requester_id": requester, "submitter_id": requester, "assignee_id": 201, "group_id": group,
            "tags": list(tags), "custom_fields": [], "subject": "Invoice", "created_at": created, "updated_at": updated}


def event(id_: int, ticket_id: int, at: str, updater: int, *children: dict, via: str = "web") -> dict:
    from datetime import datetime
    return {"id": id_, "ticket_id": ticket_id, "timestamp": int(datetime.fromisoformat(at).timestamp()),
            "created_at": at, "updater_id": updater, "via": {"channel": via}, "event_type": "Audit",
            "child_events": list(children)}


def status(id_: int, value: str, previous: str | None = None) -> dict:
    return {"id": id_, "event_type": "Create" if previous is None else "Change", "field_name": "status",
            "value": value, "previous_value": previous}


def comment(id_: int, author: int, public: bool = True) -> dict:
    return {"id": id_, "event_type": "Comment", "type": "Comment", "author_id": author, "public": public,
            "body": "Dzień dobry", "attachments": []}


def account_records() -> dict[str, list[dict]]:
    return {
        "users": [user(101, "end-user", "Ala"), user(102, "end-user", "Jan"), user(201, "agent", "Ewa"),
                  user(202, "admin", "Olek")],
        "groups": [{"id": 1, "name": "pl_support"}, {"id": 2, "name": "billing"}],
        "tickets": [
            ticket(1, "email", "solved", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"),
            ticket(2, "chat", "open", "2026-03-02T10:05:00Z", "2026-03-02T10:10:00Z", requester=102,
                   tags=("delivery",)),
            ticket(3, "web", "deleted", "2026-03-02T10:20:00Z", "2026-03-02T10:40:00Z"),
            ticket(4, "sample_ticket", "open", "2026-03-02T10:30:00Z", "2026-03-02T10:31:00Z", group=None, tags=()),
        ],
        "metric_sets": [{"id": 9001, "ticket_id": 1, "reopens": 0, "replies": 1,
                         "reply_time_in_minutes": {"calendar": 30, "business": 30}}],
        "ticket_events": [
            event(11, 1, "2026-03-02T10:00:00Z", 101, status(111, "new"), comment(112, 101)),
            event(12, 1, "2026-03-02T10:30:00Z", 201, status(121, "open", "new"), comment(122, 201)),
            event(13, 1, "2026-03-02T11:00:00Z", 201, status(131, "solved", "open")),
            event(21, 2, "2026-03-02T10:05:00Z", 102, status(211, "new"), comment(212, 102)),
            event(22, 2, "2026-03-02T10:06:00Z", -1, comment(221, -1), via="rule"),
            event(23, 2, "2026-03-02T10:10:00Z", 201, status(231, "open", "new"), comment(232, 201, public=False)),
            event(31, 3, "2026-03-02T10:20:00Z", 101, status(311, "new"), comment(312, 101)),
            event(41, 4, "2026-03-02T10:30:00Z", 101, status(411, "new")),
        ],
    }


def test_a_ticket_maps_channel_queue_reason_and_status_and_a_deleted_one_is_left_out_with_why():
    records = account_records()
    groups = Directory(group_names={g["id"]: g["name"] for g in records["groups"]})
    row = contact_row(records["tickets"][1], groups, SETTINGS)
    assert (row["contact_id"], row["customer_id"], row["channel"], row["queue"], row["contact_reason"]) == (
        "2", "102", "chat", "pl_support", "delivery")
    assert contact_row({**records["tickets"][1], "status": "hold"}, groups, SETTINGS)["status"] == "on_hold"
    assert contact_row(records["tickets"][3], groups, SETTINGS)["queue"] == "unassigned"
    assert contact_row(records["tickets"][2], groups, SETTINGS)["_exclude_reason"].startswith("deleted in Zendesk")


def test_comment_authors_are_customers_agents_or_bots_and_internal_notes_stay_internal():
    records = account_records()
    users = Directory(users={u["id"]: u for u in records["users"]})
    events = {e["id"]: e for e in records["ticket_events"]}
    _, messages = event_rows(events[22], users)
    assert [(m["author_role"], m["author_id"]) for m in messages] == [("bot", None)]
    statuses, messages = event_rows(events[23], users)
    assert [(s["status"], s["agent_id"]) for s in statuses] == [("open", "201")]
    assert [(m["author_role"], m["is_public"]) for m in messages] == [("agent", False)]
    assert event_rows(events[21], users)[1][0]["author_role"] == "customer"


def test_external_ids_key_contacts_customers_and_agents_and_crm_customers_are_left_to_the_crm():
    records = account_records()
    linked = Directory(users={101: {**records["users"][0], "external_id": "C0001"},
                              201: {**records["users"][2], "external_id": "AG7"}},
                       ticket_keys={1: "CT0009"})
    row = contact_row({**records["tickets"][0], "external_id": "CT0009"}, linked, SETTINGS)
    assert (row["contact_id"], row["customer_id"], row["agent_id"]) == ("CT0009", "C0001", "AG7")
    statuses, messages = event_rows(records["ticket_events"][1], linked)
    assert (statuses[0]["contact_id"], statuses[0]["agent_id"], messages[0]["author_id"]) == ("CT0009", "AG7", "AG7")
    assert customer_row({**records["users"][0], "external_id": "C0001"}, SETTINGS)["_exclude_reason"].startswith(
        "known to your CRM as C0001")
    assert customer_row(records["users"][0], SETTINGS)["customer_id"] == "101"


@pytest.fixture
def zendesk(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CX_ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
    api = FakeZendesk(account_records(), EMAIL, TOKEN, page_size=2)
    with api.serving() as url:
        yield api, ZendeskSource(ZendeskAccount(url), SETTINGS)


def _pull(source: ZendeskSource, warehouse: Path) -> dict[str, list]:
    """Land what changed, then map and load it; the load results per entity."""
    source.land(warehouse)
    with connect(warehouse) as con:
        ensure_raw_schema(con, ENTITIES)
        batches = list(source.batches(con))
        loaded = {entity.name: load_batches(con, entity.name, batches, Limits()) for entity in ENTITIES}
        assert not any(result.refused for result in loaded.values())
        return {entity: result.results for entity, result in loaded.items()}


def test_two_pulls_page_retry_and_fetch_only_the_changes(zendesk, tmp_path: Path, capfd: pytest.CaptureFixture):
    api, source = zendesk
    warehouse = tmp_path / "cx.duckdb"
    api.rate_limited["/api/v2/incremental/tickets/cursor.json"] = 1  # the first request gets 429, Retry-After: 1
    first = _pull(source, warehouse)
    counts = {name: [(r.rows_read, r.rows_loaded, r.rows_waiting, r.rows_excluded, r.rows_quarantined)
                     for r in results] for name, results in first.items() if results}
    assert counts == {  # read, loaded, waiting, excluded, quarantined
        "customers": [(4, 2, 0, 2, 0)],  # the agent and the admin are left out
        "contacts": [(4, 2, 0, 1, 1)],  # ticket 3 was deleted; ticket 4's channel sample_ticket is quarantined
        "contact_status_changes": [(7, 5, 1, 1, 0)],  # ticket 3's is excluded; ticket 4's waits for its contact
        "contact_messages": [(6, 5, 0, 1, 0)],
    }
    ticket_requests = [r for r in api.requests if r.startswith("/api/v2/incremental/tickets")]
    assert len(ticket_requests) == 3  # the 429, then 4 tickets in pages of 2 (the second ends the stream)
    assert "start_time=946684800" in ticket_requests[0] and "cursor=" in ticket_requests[-1]

    # Between the pulls the customer writes again: ticket 1 is reopened and solved again; ticket 5 is new.
    api.requests.clear()
    api.upsert("tickets", ticket(1, "email", "solved", "2026-03-02T10:00:00Z", "2026-03-04T09:00:00Z"))
    api.upsert("tickets", ticket(5, "email", "new", "2026-03-04T08:00:00Z", "2026-03-04T08:00:00Z", requester=102))
    for record in (event(14, 1, "2026-03-04T08:30:00Z", 101, status(141, "open", "solved"), comment(142, 101)),
                   event(15, 1, "2026-03-04T09:00:00Z", 201, status(151, "solved", "open"), comment(152, 201)),
                   event(51, 5, "2026-03-04T08:00:00Z", 102, status(511, "new"), comment(512, 102))):
        api.upsert("ticket_events", record)
    second = _pull(source, warehouse)
    assert [r.rows_read for r in second["contacts"]] == [2]  # only tickets 1 and 5 were fetched again
    # (The ratings list and the organization export, empty here, have no newer position to resume from: they
    # ask from the start again.)
    assert all("start_time=946684800" not in r for r in api.requests
               if "satisfaction_ratings" not in r and "organizations" not in r)
    with connect(warehouse) as con:
        newest = con.execute("""select status from raw.contacts where contact_id = '1'
                                qualify row_number() over (order by _load_id desc) = 1""").fetchall()
        assert newest == [("solved",)]
        # The event export resumes at the last second it returned, so event 13 came twice: one key, two versions.
        history = con.execute("""select string_agg(status, ',' order by changed_at) from (
                                     select distinct status_change_id, status, changed_at from raw.contact_status_changes
                                     where contact_id = '1')""").fetchall()
        assert history == [("new,open,solved,open,solved",)]
        assert all(mismatches(con, entity) == [] for entity in ENTITIES)
    # The token appears nowhere: not in the console, the warehouse, or dlt's working folder.
    captured = capfd.readouterr()
    assert TOKEN not in captured.out + captured.err
    for path in [warehouse, *tmp_path.rglob("*")]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_a_wrong_token_fails_the_landing_and_says_so(zendesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    api, source = zendesk
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", "not-the-token")
    with pytest.raises(Exception, match="401"):
        source.land(tmp_path / "cx.duckdb")
    monkeypatch.delenv("CX_ZENDESK_API_TOKEN")
    with pytest.raises(Exception, match="Set CX_ZENDESK_EMAIL .* and CX_ZENDESK_API_TOKEN"):
        source.land(tmp_path / "cx.duckdb")


def test_the_fake_serves_what_it_holds(zendesk):
    api, _ = zendesk
    assert json.loads(json.dumps(api.records))["groups"][0]["name"] == "pl_support"


def test_dagster_lands_then_ingests_and_no_secret_reaches_its_event_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture):
    import dagster as dg

    from dagster_cx.defs.ingest import raw_checks, raw_files
    from dagster_cx.defs.resources import build_resources
    from dagster_cx.defs.sources import landing_assets, landings_feeding

    api = FakeZendesk(account_records(), EMAIL, TOKEN, page_size=2)
    warehouse, home = tmp_path / "cx.duckdb", tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("CX_ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
    monkeypatch.setenv("CX_ZENDESK_REASON_TAGS", "billing,delivery")
    monkeypatch.setenv("CX_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "no_files"))
    with api.serving() as url:
        monkeypatch.setenv("CX_ZENDESK_BASE_URL", url)
        landings = landing_assets()
        assert {k.to_user_string() for k in landings_feeding("contacts")} == {"zendesk/tickets", "zendesk/groups",
                                                                                "zendesk/schedules"}
        with dg.instance_for_test(temp_dir=str(home)) as instance:
            # Two runs: raw_files' dependencies on the landings are fixed when dagster_cx.defs.ingest is imported,
            # which happened before this test configured Zendesk.
            assert dg.materialize(landings, resources=build_resources(), instance=instance).success
            result = dg.materialize([raw_files, *raw_checks], resources=build_resources(), instance=instance,
                                    raise_on_error=False)
            assert result.success
            loaded = {e.asset_key.to_user_string(): e.materialization.metadata["rows_loaded"].value
                      for e in result.get_asset_materialization_events() if e.asset_key.path[0] == "raw"}
            assert (loaded["raw/customers"], loaded["raw/contacts"], loaded["raw/contact_messages"]) == (2, 2, 5)
            assert all(c.passed for c in result.get_asset_check_evaluations() if c.check_name == "rows_reconcile")
    captured = capfd.readouterr()
    assert TOKEN not in captured.out + captured.err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
