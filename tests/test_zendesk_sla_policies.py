"""Zendesk SLA policies -> the project's SLA policies: each condition and metric applied or reported with why.

Hand-made policies cover every operator kind, an `any` list, conditions and metrics the project
cannot express, business vs calendar hours; the landing runs against the fake API.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_cx.sample.zendesk_api import FakeZendesk
from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.sla_policies import NOT_APPLIED_POLICY, mapped_policies
from dagster_cx.sources.zendesk.source import ZendeskSource
from dagster_cx.warehouse import connect

EMAIL = "admin@example.com"
TOKEN = "Zd8kQ2mN7xR4vT9pL3sW6yB1cF5hJ0gE8aU2iO4e"
GROUPS = {1: "pl_support", 2: "billing"}
CHANNELS = ("app", "chat", "email", "messenger", "phone", "social", "web")  # what the mapping's CHANNELS reach


def condition(field: str, operator: str, value: object) -> dict:
    return {"field": field, "operator": operator, "value": value}


def target(priority: str, minutes: int, business: bool = True, metric: str = "first_reply_time") -> dict:
    return {"priority": priority, "metric": metric, "target": minutes, "business_hours": business}


def policy(id_: int, position: int, all_: list[dict], any_: list[dict], *metrics: dict) -> dict:
    return {"id": id_, "title": f"policy {id_}", "position": position, "filter": {"all": all_, "any": any_},
            "policy_metrics": list(metrics), "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}


def targets_of(policies: list[dict]) -> set[tuple]:
    """The targets of the applied policies (not the priorities they claim without one)."""
    targets, _ = mapped_policies(policies, GROUPS, "unassigned")
    return {(t["zendesk_policy_id"], t["metric"], t["channel"], t["priority"], t["queue"], t["target_minutes"],
             t["is_business_hours"]) for t in targets if t["metric"]}


def report_of(policies: list[dict]) -> list[tuple]:
    _, report = mapped_policies(policies, GROUPS, "unassigned")
    return [(r["part"], r["detail"], r["is_applied"], r["reason"]) for r in report]


def test_priority_operators_select_priorities_in_zendesk_order():
    cases = {"is": {"high"}, "is_not": {"low", "normal", "urgent"}, "less_than": {"low", "normal"},
             "greater_than": {"urgent"}}
    for operator, expected in cases.items():
        metrics = [target(p, 60) for p in ("low", "normal", "high", "urgent")]
        rows = targets_of([policy(1, 1, [condition("priority", operator, "high")], [], *metrics)])
        assert {r[3] for r in rows} == expected, operator
        assert {(r[2], r[4]) for r in rows} == {("*", "*")}  # no channel or group condition: any


def test_an_any_list_matches_either_condition_and_all_with_it_narrows():
    # all: group billing; any: email, or priority urgent. Rows: billing x (email x every priority, any channel x urgent).
    rows = targets_of([policy(2, 1, [condition("group_id", "is", 2)],
                              [condition("via_id", "is", 4), condition("priority", "is", "urgent")],
                              target("normal", 240), target("urgent", 30, business=False))])
    assert rows == {(2, "first_reply_time", "email", "normal", "billing", 240, True)} | {
        (2, "first_reply_time", channel, "urgent", "billing", 30, False) for channel in CHANNELS}
    # Priorities it matches without a target (low, high on email) are claimed: no metric, no target (Zendesk applies
    # no later policy to them).
    claimed, _ = mapped_policies([policy(2, 1, [condition("group_id", "is", 2)], [condition("via_id", "is", 4)],
                                         target("normal", 240))], GROUPS, "unassigned")
    assert {(t["priority"], t["metric"]) for t in claimed} == {("normal", "first_reply_time"), ("low", None),
                                                                ("high", None), ("urgent", None)}


def test_is_not_on_a_group_includes_tickets_in_no_group():
    rows = targets_of([policy(3, 1, [condition("group_id", "is_not", "1")], [], target("high", 60))])
    assert {r[4] for r in rows} == {"billing", "unassigned"}


def test_an_inexpressible_condition_leaves_the_whole_policy_out_and_says_why():
    report = report_of([policy(4, 1, [condition("priority", "is", "urgent"), condition("current_tags", "includes", "vip")],
                               [], target("urgent", 15))])
    assert report == [
        ("condition", "all: priority is urgent", False, NOT_APPLIED_POLICY),
        ("condition", "all: current_tags includes vip", False,
         "the project's SLA policies cannot filter on 'current_tags' (only priority, channel and queue)"),
        ("metric", "first_reply_time urgent: 15 minutes, business hours", False, NOT_APPLIED_POLICY),
    ]
    assert targets_of([policy(4, 1, [condition("current_tags", "includes", "vip")], [], target("urgent", 15))]) == set()


def test_a_condition_on_part_of_a_project_channel_is_not_applied():
    # Web form (via 0) alone: the project's web channel also holds API tickets (via 5), which Zendesk would not match.
    report = report_of([policy(5, 1, [condition("via_id", "is", 0)], [], target("normal", 60))])
    assert report[0][2] is False and "holds via types ['api', 'help_center', 'web']" in report[0][3]
    # An unknown via id, an unknown group, an operator priority has not: each reported.
    for bad, reason in ((condition("via_id", "is", 77), "via id 77 is not among"),
                        (condition("group_id", "is", 9), "group 9 is not among"),
                        (condition("priority", "includes", "high"), "operator 'includes' on priority")):
        assert report_of([policy(6, 1, [bad], [], target("normal", 60))])[0][3].startswith(reason)


def test_metrics_the_project_does_not_measure_are_reported_and_business_or_calendar_hours_kept():
    metrics = [target("high", 60), target("high", 120, metric="next_reply_time"),
               target("high", 480, business=False, metric="requester_wait_time"),
               target("high", 240, metric="agent_work_time"), target("high", 90, metric="periodic_update_time"),
               target("high", 90, metric="pausable_update_time")]
    report = report_of([policy(7, 1, [], [], *metrics)])
    assert [(detail, applied) for _, detail, applied, _ in report] == [
        ("first_reply_time high: 60 minutes, business hours", True),
        ("next_reply_time high: 120 minutes, business hours", False),
        ("requester_wait_time high: 480 minutes, calendar hours", False),
        ("agent_work_time high: 240 minutes, business hours", False),
        ("periodic_update_time high: 90 minutes, business hours", False),
        ("pausable_update_time high: 90 minutes, business hours", False),
    ]
    assert all(reason for _, _, applied, reason in report if not applied)
    assert targets_of([policy(7, 1, [], [], *metrics)]) == {(7, "first_reply_time", "*", "high", "*", 60, True)}


@pytest.fixture
def zendesk(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CX_ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
    records = {"groups": [{"id": 1, "name": "pl_support"}, {"id": 2, "name": "billing"}],
               "sla_policies": [policy(8, 2, [condition("via_id", "is", 4)], [], target("high", 120)),
                                policy(9, 1, [condition("current_tags", "includes", "vip")], [], target("high", 15))]}
    api = FakeZendesk(records, EMAIL, TOKEN)
    with api.serving() as url:
        yield api, ZendeskSource(ZendeskAccount(url))


def _landed(warehouse: Path) -> tuple[list, list]:
    with connect(warehouse) as con:
        targets = con.execute("select zendesk_policy_id, metric, channel, priority, target_minutes "
                              "from zendesk.sla_policy_targets order by all").fetchall()
        report = con.execute("select zendesk_policy_id, part, is_applied from zendesk.sla_policy_mapping "
                             "order by all").fetchall()
    return targets, report


def test_policies_land_with_their_mapping_and_are_replaced_on_each_run(zendesk, tmp_path: Path,
                                                                       capfd: pytest.CaptureFixture):
    api, source = zendesk
    warehouse = tmp_path / "cx.duckdb"
    api.rate_limited["/api/v2/slas/policies"] = 1  # a 429 with Retry-After first
    source.land(warehouse)
    targets, report = _landed(warehouse)
    assert targets == [(8, "first_reply_time", "email", "high", 120), (8, None, "email", "low", None),
                       (8, None, "email", "normal", None), (8, None, "email", "urgent", None)]
    assert report == [(8, "condition", True), (8, "metric", True), (9, "condition", False), (9, "metric", False)]
    assert sum(r.startswith("/api/v2/slas/policies") for r in api.requests) == 2
    # Policy 9 is deleted in Zendesk: gone here too; an account without SLA policies (403) lands none.
    api.records["sla_policies"] = api.records["sla_policies"][:1]
    source.land(warehouse)
    assert {row[0] for row in _landed(warehouse)[1]} == {8}
    del api.records["sla_policies"]
    source.land(warehouse)
    assert _landed(warehouse) == ([], [])
    captured = capfd.readouterr()
    assert TOKEN not in captured.out + captured.err
    assert all(TOKEN.encode() not in path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
