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


def handmade_account() -> dict[str, list[dict]]:
    """The hand-made fixture's queues as groups, and three policies for its contacts.

    Policy 1 (position 1): en_support's normal tickets, 90 calendar minutes. Policy 2 (position 2): normal
    e-mails, 180 calendar minutes, more specific by the project's rule (it names a channel). Policy 3: VIP tags,
    which the project cannot express: not applied, reported.
    """
    return {"groups": [{"id": 1, "name": "pl_support"}, {"id": 2, "name": "en_support"}, {"id": 3, "name": "ru_support"}],
            "sla_policies": [policy(1, 1, [condition("group_id", "is", 2)], [], target("normal", 90, business=False)),
                             policy(2, 2, [condition("via_id", "is", 4), condition("priority", "is", "normal")], [],
                                    target("normal", 180, business=False)),
                             policy(3, 3, [condition("current_tags", "includes", "vip")], [], target("urgent", 10))]}


@pytest.mark.slow  # a dbt build of the SLA models on a copy of the hand-made warehouse: about 30 s
def test_sla_attainment_per_ticket_under_zendesk_policies_by_hand(handmade_warehouse: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch):
    """c6 (e-mail, en_support, normal; created 09:00Z, first reply 11:00Z) matches policies 1 and 2: Zendesk's
    first by position, 1, applies (90 minutes: breached at 10:30, 120 elapsed), where the project's specificity
    would have chosen 2 (180: met). Its first resolution keeps the seed's policy (Zendesk sets none). c5 (phone,
    pl_support) matches no Zendesk policy: the seed's frt_any, met. h3 (social, en_support, no priority: normal)
    is policy 1's, replied in 20 minutes: met. en_support's first replies on 2026-04-02: 1 of 2 met, 50%."""
    import os
    import shutil
    import subprocess

    from dagster_cx.defs.dbt_project import dbt_executable, dbt_project
    from dagster_cx.summary import render

    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    monkeypatch.setenv("CX_ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
    with FakeZendesk(handmade_account(), EMAIL, TOKEN).serving() as url:
        ZendeskSource(ZendeskAccount(url)).land(warehouse)
    models = ("stg_zendesk__sla_policy_targets stg_zendesk__sla_policy_mapping int_sla_policies_applied "
              "fct_contact_sla_policies mart_sla_attainment_daily")
    completed = subprocess.run(
        [dbt_executable(), "build", "--quiet", "--full-refresh", "--exclude-resource-type", "unit_test",
         "--select", *models.split(), "--project-dir", str(dbt_project.project_dir),
         "--profiles-dir", str(dbt_project.profiles_dir), "--target-path", str(tmp_path / "target")],
        env={**os.environ, "CX_WAREHOUSE": str(warehouse)}, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with connect(warehouse) as con:
        rows = con.execute("""
            select contact_id, metric, sla_policy_id, target_minutes, is_business_hours, sla_breach_at,
                   sla_elapsed_minutes, is_sla_breach
            from marts.fct_contact_sla_policies where contact_id in ('c5', 'c6', 'h3') order by all""").fetchall()
        day = con.execute("""
            select contacts_with_sla, achieved_within_target, breached, sla_attainment_pct
            from marts.mart_sla_attainment_daily
            where queue = 'en_support' and date_day = date '2026-04-02' and metric = 'first_reply_time'""").fetchall()
        report = con.execute("""select sla_policy_id, part, is_applied from staging.stg_zendesk__sla_policy_mapping
                                order by all""").fetchall()
        summary = render(con)
    by_key = {(r[0], r[1]): r[2:] for r in rows}
    c6 = by_key[("c6", "first_reply_time")]
    assert (c6[0], c6[1], c6[2], str(c6[3])[:16], c6[4], c6[5]) == (
        "zendesk_1", 90, False, "2026-04-02 10:30", 120.0, True)
    assert by_key[("c6", "first_resolution_time")][0] == "first_resolution_any"
    assert by_key[("c5", "first_reply_time")][0] == "frt_any" and by_key[("c5", "first_reply_time")][-1] is False
    h3 = by_key[("h3", "first_reply_time")]
    assert (h3[0], h3[1], h3[4], h3[5]) == ("zendesk_1", 90, 20.0, False)
    assert day == [(2, 1, 1, 50.0)]
    assert report == [("zendesk_1", "condition", True), ("zendesk_1", "metric", True),
                      ("zendesk_2", "condition", True), ("zendesk_2", "condition", True),
                      ("zendesk_2", "metric", True), ("zendesk_3", "condition", False), ("zendesk_3", "metric", False)]
    assert "Zendesk SLA policies: 1 of 3 not applied, 2 conditions or metrics not applied in all" in summary


def test_the_landing_asset_counts_what_is_not_applied_and_keeps_no_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture):
    import dagster as dg

    from dagster_cx.defs.resources import build_resources
    from dagster_cx.defs.sources import landing_assets

    warehouse, home = tmp_path / "cx.duckdb", tmp_path / "dagster_home"
    home.mkdir()
    for name, value in {"CX_ZENDESK_EMAIL": EMAIL, "CX_ZENDESK_API_TOKEN": TOKEN, "CX_WAREHOUSE": str(warehouse),
                        "CX_DATA_DIR": str(tmp_path / "no_files")}.items():
        monkeypatch.setenv(name, value)
    with FakeZendesk(handmade_account(), EMAIL, TOKEN).serving() as url:
        monkeypatch.setenv("CX_ZENDESK_BASE_URL", url)
        with dg.instance_for_test(temp_dir=str(home)) as instance:
            result = dg.materialize(landing_assets(), resources=build_resources(), instance=instance)
            [metadata] = [e.materialization.metadata for e in result.get_asset_materialization_events()
                          if e.asset_key.to_user_string() == "zendesk/sla_policies"]
    assert (metadata["sla_policies"].value, metadata["sla_policies_not_applied"].value,
            metadata["sla_conditions_or_metrics_not_applied"].value) == (3, 1, 2)
    captured = capfd.readouterr()
    assert TOKEN not in captured.out + captured.err
    assert all(TOKEN.encode() not in path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
