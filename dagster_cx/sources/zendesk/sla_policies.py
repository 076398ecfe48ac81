"""Zendesk SLA policies -> the project's SLA policies, for the conditions the project can express.

A Zendesk policy applies to a ticket whose fields meet every `all` condition and, if `any` has
conditions, at least one of them; the FIRST matching policy by `position` is the ticket's, and
its target for the ticket's priority applies (none if it has none). The project knows three of
the fields Zendesk filters on: priority (is, is_not, less_than, greater_than over low < normal <
high < urgent), the channel (`via_id` is / is_not, through the mapping's CHANNELS table) and the
group (`group_id` is / is_not: the group's name is the contact's queue).

The filter is evaluated here over every combination of those three fields (via type, priority,
group), so `all`, `any` and `is_not` mean exactly what they mean in Zendesk; the matching
combinations become rows of channel x priority x queue ('*' where the policy sets no condition
on the field). A policy is applied only if every condition is expressible and its channels are
whole project channels (`via_id is 0`, web form, alone is not: the project's web channel also
holds API tickets); otherwise it is not applied at all, since applying it more broadly than
Zendesk does would be wrong. Every condition and metric is reported, applied or not, with why.

Metrics: first_reply_time becomes the project's first_reply_time; the others (next reply,
periodic and pausable update, requester wait, agent work) need a clock the project's SLA models
do not run (one that pauses with the status, or restarts at each customer message): reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any

from dagster_cx.sources.zendesk.mapping import CHANNELS

PRIORITIES = ("low", "normal", "high", "urgent")  # Zendesk's order, for less_than / greater_than
# via_id (Zendesk's "Via types" reference) -> the via.channel tickets carry, which CHANNELS maps; only the
# ids whose ticket channel is certain: a condition on another id is reported, not guessed.
VIA_IDS = {0: "web", 4: "email", 5: "api", 29: "chat"}
METRICS = {"first_reply_time": "first_reply_time"}  # Zendesk metric -> the project's SLA metric
UNMEASURED_METRICS = {
    "next_reply_time": "the project measures the first reply only, not each reply after a customer message",
    "periodic_update_time": "the project has no clock restarting at each public agent update",
    "pausable_update_time": "the project has no clock restarting at each public agent update",
    "requester_wait_time": "the project sums requester wait per contact but has no SLA clock that pauses "
                           "in pending and solved (no breach instant to measure against)",
    "agent_work_time": "the project sums time in new and open per contact but has no SLA clock that pauses "
                       "in pending and on hold (no breach instant to measure against)",
}
NOT_APPLIED_POLICY = "the policy is not applied: another of its conditions cannot be expressed"
ANY_CHANNEL = ANY_QUEUE = "*"

Combination = tuple[str, str, int | None]  # (via channel, priority, group id or None: no group)


@dataclass(frozen=True)
class ConditionVerdict:
    """A condition's test over a combination, or why the project cannot express it."""

    test: Any = None  # Combination -> bool
    reason: str | None = None


def mapped_policies(policies: Iterable[Mapping], group_names: Mapping[int, str],
                    unassigned_queue: str) -> tuple[list[dict], list[dict]]:
    """(target rows, report rows) of every policy: targets of the applied ones, one report row per condition and metric."""
    targets, report = [], []
    for policy in policies:
        policy_targets, policy_report = _mapped_policy(policy, group_names, unassigned_queue)
        targets += policy_targets
        report += policy_report
    return targets, report


def _mapped_policy(policy: Mapping, group_names: Mapping[int, str], unassigned_queue: str) -> tuple[list[dict], list[dict]]:
    filter_ = _parsed(policy.get("filter")) or {}
    conditions = [("all", c) for c in filter_.get("all") or []] + [("any", c) for c in filter_.get("any") or []]
    verdicts = [_verdict(condition, group_names) for _, condition in conditions]
    channel_problem = None
    matches: set[tuple[str, str, str]] = set()
    if all(v.reason is None for v in verdicts):
        combinations = _matching(conditions, verdicts, group_names)
        fields = {condition.get("field") for _, condition in conditions}
        matches, channel_problem = _project_rows(combinations, group_names, unassigned_queue,
                                                 "via_id" in fields, "group_id" in fields)
    applied = all(v.reason is None for v in verdicts) and channel_problem is None
    head = {"zendesk_policy_id": policy.get("id"), "title": policy.get("title"), "position": policy.get("position")}
    report = []
    for (kind, condition), verdict in zip(conditions, verdicts, strict=True):
        reason = verdict.reason or (channel_problem if condition.get("field") == "via_id" else None)
        if reason is None and not applied:
            reason = NOT_APPLIED_POLICY
        report.append({**head, "part": "condition",
                       "detail": f"{kind}: {condition.get('field')} {condition.get('operator')} {condition.get('value')}",
                       "is_applied": reason is None, "reason": reason})
    targets = []
    for metric in _parsed(policy.get("policy_metrics")) or []:
        name = metric.get("metric")
        clock = "business hours" if metric.get("business_hours") else "calendar hours"
        reason = (UNMEASURED_METRICS.get(name, f"unknown Zendesk metric {name!r}") if name not in METRICS
                  else None if applied else NOT_APPLIED_POLICY)
        report.append({**head, "part": "metric",
                       "detail": f"{name} {metric.get('priority')}: {metric.get('target')} minutes, {clock}",
                       "is_applied": reason is None, "reason": reason})
        if reason is None:
            targets += [{**head, "metric": METRICS[name], "channel": channel, "priority": priority, "queue": queue,
                         "target_minutes": metric.get("target"), "is_business_hours": bool(metric.get("business_hours"))}
                        for channel, priority, queue in sorted(matches) if priority == metric.get("priority")]
    # The policy claims the tickets it matches even for priorities it sets no target for (Zendesk applies no other).
    claimed = {(c, p, q) for c, p, q in matches} - {(t["channel"], t["priority"], t["queue"]) for t in targets}
    targets += [{**head, "metric": None, "channel": c, "priority": p, "queue": q, "target_minutes": None,
                 "is_business_hours": None} for c, p, q in sorted(claimed)] if applied else []
    return targets, report


def _verdict(condition: Mapping, group_names: Mapping[int, str]) -> ConditionVerdict:
    field, operator, value = condition.get("field"), condition.get("operator"), condition.get("value")
    negate = operator == "is_not"
    if field == "priority" and value in PRIORITIES:
        rank = PRIORITIES.index(value)
        tests = {"is": lambda c: c[1] == value, "is_not": lambda c: c[1] != value,
                 "less_than": lambda c: PRIORITIES.index(c[1]) < rank,
                 "greater_than": lambda c: PRIORITIES.index(c[1]) > rank}
        if operator in tests:
            return ConditionVerdict(tests[operator])
    if field == "via_id" and operator in ("is", "is_not"):
        via = VIA_IDS.get(_integer(value))
        if via is None or via not in CHANNELS:
            return ConditionVerdict(reason=f"via id {value!r} is not among the via types the project maps to channels")
        return ConditionVerdict(lambda c: (c[0] == via) != negate)
    if field == "group_id" and operator in ("is", "is_not"):
        group = _integer(value)
        if group not in group_names:
            return ConditionVerdict(reason=f"group {value!r} is not among the account's groups")
        return ConditionVerdict(lambda c: (c[2] == group) != negate)
    if field in ("priority", "via_id", "group_id"):
        return ConditionVerdict(reason=f"operator {operator!r} on {field} with value {value!r} is not one the project "
                                       "can express")
    return ConditionVerdict(reason=f"the project's SLA policies cannot filter on {field!r} (only priority, channel "
                                   "and queue)")


def _matching(conditions: list[tuple[str, Mapping]], verdicts: list[ConditionVerdict],
              group_names: Mapping[int, str]) -> set[Combination]:
    """The (via channel, priority, group) combinations the filter matches, evaluated as Zendesk does."""
    every = [v.test for (kind, _), v in zip(conditions, verdicts, strict=True) if kind == "all"]
    some = [v.test for (kind, _), v in zip(conditions, verdicts, strict=True) if kind == "any"]
    domain = product(sorted(CHANNELS), PRIORITIES, [*sorted(group_names), None])
    return {c for c in domain if all(t(c) for t in every) and (not some or any(t(c) for t in some))}


def _project_rows(combinations: set[Combination], group_names: Mapping[int, str], unassigned_queue: str,
                  by_channel: bool, by_group: bool) -> tuple[set[tuple[str, str, str]], str | None]:
    """(channel, priority, queue) rows of the matching combinations, or why they are not whole project channels."""
    rows = set()
    for via, priority, group in combinations:
        channel = CHANNELS[via] if by_channel else ANY_CHANNEL
        queue = (group_names[group] if group is not None else unassigned_queue) if by_group else ANY_QUEUE
        if by_channel:
            partners = {v for v, c in CHANNELS.items() if c == channel}
            missing = {v for v in partners if (v, priority, group) not in combinations}
            if missing:
                return set(), (f"the project's channel {channel!r} holds via types {sorted(partners)}; the policy "
                               f"matches only some of them, not {sorted(missing)}")
        rows.add((channel, priority, queue))
    return rows, None


def _integer(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parsed(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
