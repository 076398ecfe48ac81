"""SLA policies for the sample's Zendesk account, in the shape of Zendesk's SLA Policies API.

They show each way a policy maps (dagster_cx/sources/zendesk/sla_policies.py): an urgent
policy first (calendar hours), e-mail targets per priority on business hours with a next-reply
target the project does not measure, a policy per group with an `any` list, and a VIP policy on
tags, which the project cannot express: not applied, and reported.
"""

from __future__ import annotations

from collections.abc import Mapping

CREATED = "2026-01-01T00:00:00Z"
EMAIL_VIA_ID = 4


def _condition(field: str, operator: str, value: object) -> dict:
    return {"field": field, "operator": operator, "value": value}


def _target(priority: str, minutes: int, business_hours: bool, metric: str = "first_reply_time") -> dict:
    return {"priority": priority, "metric": metric, "target": minutes, "business_hours": business_hours}


def _policy(id_: int, title: str, all_: list[dict], any_: list[dict], metrics: list[dict]) -> dict:
    return {"id": id_, "url": f"https://example.zendesk.com/api/v2/slas/policies/{id_}.json", "title": title,
            "description": "", "position": id_, "filter": {"all": all_, "any": any_}, "policy_metrics": metrics,
            "created_at": CREATED, "updated_at": CREATED}


def sample_sla_policies(groups: list[Mapping]) -> list[dict]:
    """The account's policies, by position; the group policy names the first of the account's groups."""
    policies = [
        _policy(1, "VIP customers", [_condition("current_tags", "includes", "vip")], [],
                [_target(p, 15, False) for p in ("high", "urgent")]),
        _policy(2, "Urgent tickets", [_condition("priority", "is", "urgent")], [], [_target("urgent", 30, False)]),
        _policy(3, "E-mail", [_condition("via_id", "is", EMAIL_VIA_ID)], [],
                [_target("low", 480, True), _target("normal", 240, True), _target("high", 60, True),
                 _target("normal", 480, True, "next_reply_time")]),
    ]
    if groups:
        first = groups[0]
        policies.append(_policy(4, f"{first['name']} high priority", [_condition("group_id", "is", first["id"])],
                                [_condition("priority", "is", "high"), _condition("priority", "greater_than", "high")],
                                [_target("high", 60, True), _target("urgent", 30, True)]))
    return policies
