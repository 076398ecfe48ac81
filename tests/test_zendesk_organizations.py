"""Zendesk organizations -> a customer's segment and region, where the user's own fields give none."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.reconcile import mismatches
from dagster_cx.sample.zendesk_api import FakeZendesk
from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.mapping import Directory, ZendeskSettings, customer_row
from dagster_cx.sources.zendesk.source import ZendeskSource
from dagster_cx.warehouse import connect
from tests.test_zendesk import EMAIL, TOKEN, _pull, user

ORGANIZATIONS = "/api/v2/incremental/organizations.json"
SETTINGS = ZendeskSettings(segment_organization_field="tier", region_organization_field="sales_region",
                           segment_tags=("enterprise", "smb"))


def organization(id_: int, updated: str, fields: dict | None = None, tags: tuple[str, ...] = ()) -> dict:
    return {"id": id_, "name": f"Org {id_}", "organization_fields": fields or {}, "tags": list(tags),
            "created_at": "2026-01-01T09:00:00Z", "updated_at": updated}


def member(id_: int, organization_id: int | None, **own_fields: str) -> dict:
    return {**user(id_, "end-user", f"User{id_}"), "organization_id": organization_id, "user_fields": own_fields}


def test_the_users_own_field_wins_then_the_organizations_field_then_its_tags_and_no_organization_is_unknown():
    directory = Directory(organizations={
        1: organization(1, "2026-01-01T09:00:00Z", {"tier": "enterprise", "sales_region": "DACH"}, tags=("smb",)),
        2: organization(2, "2026-01-01T09:00:00Z", tags=("vip", "smb", "enterprise")),
    })

    def segment_region(user_record: dict) -> tuple[str, str]:
        row = customer_row(user_record, SETTINGS, directory)
        return row["segment"], row["region"]

    assert segment_region(member(1, 1, segment="consumer")) == ("consumer", "DACH")  # own segment, org's region
    assert segment_region(member(2, 1)) == ("enterprise", "DACH")  # the field before the tags
    assert segment_region(member(3, 2)) == ("smb", "unknown")  # the first configured tag; no region anywhere
    assert segment_region(member(4, None)) == ("unknown", "unknown")  # in no organization: as before
    assert segment_region(member(5, 99, region="PL")) == ("unknown", "PL")  # its organization not landed


def test_organizations_page_retry_and_a_changed_one_gives_its_members_a_newer_version(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CX_ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
    records = {
        "users": [member(101, 1), member(102, 1, segment="consumer", region="PL"), member(103, 2), member(104, None),
                  user(201, "agent", "Ewa")],
        "organizations": [organization(1, "2026-03-01T09:00:00Z", {"tier": "smb", "sales_region": "PL"}),
                          organization(2, "2026-03-01T09:00:00Z", tags=("enterprise",)),
                          organization(3, "2026-03-01T10:00:00Z", {"tier": "consumer"})],
    }
    api = FakeZendesk(records, EMAIL, TOKEN, page_size=2)
    warehouse = tmp_path / "cx.duckdb"
    with api.serving() as url:
        source = ZendeskSource(ZendeskAccount(url), SETTINGS)
        api.rate_limited[ORGANIZATIONS] = 1
        first = _pull(source, warehouse)
        assert [(r.rows_read, r.rows_loaded, r.rows_excluded) for r in first["customers"]] == [(5, 4, 1)]
        # The 429, a page of organizations 1 and 2 (same second), then organization 3 ends the stream.
        assert len([r for r in api.requests if r.startswith(ORGANIZATIONS)]) == 3

        # Organization 1 moves to enterprise: user 101 (segment from it) gets a newer version, 102 (its own) not.
        api.requests.clear()
        api.upsert("organizations", organization(1, "2026-03-05T09:00:00Z", {"tier": "enterprise",
                                                                           "sales_region": "PL"}))
        second = _pull(source, warehouse)
        # No user changed (an empty batch of the load's users), and one member's newer version.
        assert [(r.rows_read, r.rows_loaded) for r in second["customers"]] == [(0, 0), (1, 1)]
        assert second["customers"][1].source_file.endswith("/organizations")
        assert all("start_time=1772359200" in r for r in api.requests if r.startswith(ORGANIZATIONS))
    with connect(warehouse) as con:
        latest = con.execute("""
            select customer_id, segment, region from raw.customers
            qualify row_number() over (partition by customer_id order by _load_id desc) = 1 order by 1""").fetchall()
        assert latest == [("101", "enterprise", "PL"), ("102", "consumer", "PL"), ("103", "enterprise", "unknown"),
                          ("104", "unknown", "unknown")]
        assert all(mismatches(con, entity) == [] for entity in ENTITIES)
