"""Amazon Connect contact records (CTRs) -> contract contacts: one contact per transfer chain.

A customer's call that an agent transfers becomes several CTRs (legs), linked by
InitialContactId (the chain's first leg) and PreviousContactId. The customer made one
contact with handoffs, so the chain is one contract contact keyed by its first leg's id:
created, queued and first answered as its first leg was, resolved when its last leg ended
(the customer hung up or left the chat), closed when the last agent's after-contact work
ended, talk, hold and after-contact work summed over the legs, one transfer per later leg that an
agent took. FCR is then judged once per chain (dbt), not once per leg.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from dagster_cx.contract import CONTACTS

ROW_COLUMNS = (*CONTACTS.column_names, "_exclude_reason", "_source_record")
CHANNELS = {"VOICE": "phone", "CHAT": "chat", "EMAIL": "email"}
# InitiationMethod -> the contract's direction. API and WEBRTC_API start chats and calls from the
# customer's side; a chain whose first leg is missing starts with a transfer leg.
DIRECTIONS = {
    "INBOUND": "inbound", "API": "inbound", "WEBRTC_API": "inbound", "TRANSFER": "inbound",
    "QUEUE_TRANSFER": "inbound", "DISCONNECT": "inbound",
    "OUTBOUND": "outbound", "EXTERNAL_OUTBOUND": "outbound", "AGENT_REPLY": "outbound", "FLOW": "outbound",
    "CALLBACK": "callback",
}
TRANSFER_METHODS = {"TRANSFER", "QUEUE_TRANSFER"}
# A contact that never reached an agent queue ended in the contact flow (the IVR or a bot).
NO_QUEUE = "ivr"


@dataclass(frozen=True)
class CtrSettings:
    """Which contact attributes carry the customer and the reason (set in the contact flow)."""

    customer_attribute: str = "customer_id"
    reason_attribute: str = "contact_reason"
    default_reason: str = "unspecified"


def chain_key(record: Mapping) -> str | None:
    """The contact a CTR belongs to: its chain's first leg; a callback is a contact of its own."""
    method = record.get("InitiationMethod")
    if method != "CALLBACK" and record.get("InitialContactId"):
        return record["InitialContactId"]
    if method in TRANSFER_METHODS and record.get("PreviousContactId"):
        return record["PreviousContactId"]
    return record.get("ContactId")


def exclusion(record: Mapping) -> str | None:
    """Why a CTR is no customer contact at all, or None."""
    if record.get("InitiationMethod") == "MONITOR":
        return "a supervisor monitoring a contact (InitiationMethod MONITOR), not a customer contact"
    if record.get("Channel") == "TASK":
        return "an Amazon Connect task (Channel TASK) is an agent's work item, not a customer contact"
    return None


def map_delivery(records: list[dict], legs_by_chain: Mapping[str, list[dict]], settings: CtrSettings) -> list[dict]:
    """One row per record of a delivery: each chain's row rides on its last leg here, other legs are excluded.

    `legs_by_chain` holds every leg landed so far (this delivery's and earlier ones'), the newest
    version of each, so a chain whose legs arrive in several deliveries gets a newer, fuller row.
    """
    keys = [chain_key(record) for record in records]
    carrier = {key: index for index, key in enumerate(keys) if key is not None and not exclusion(records[index])}
    rows = []
    for index, (record, key) in enumerate(zip(records, keys, strict=True)):
        source = json.dumps(record, ensure_ascii=False, sort_keys=True)
        if exclusion(record):
            rows.append({"_exclude_reason": exclusion(record), "_source_record": source})
        elif key is not None and carrier[key] != index:
            carried_by = records[carrier[key]].get("ContactId")
            rows.append({"_exclude_reason": f"a leg of contact {key}, whose one row the record of leg {carried_by} "
                                            "in this delivery carries", "_source_record": source})
        else:
            rows.append({**fold(key, legs_by_chain.get(key) or [record], settings), "_source_record": source})
    return rows


def fold(key: str, legs: list[dict], settings: CtrSettings) -> dict:
    """A chain's legs as one contract contact (see the module docstring)."""
    legs = sorted(legs, key=lambda leg: (leg.get("ContactId") != key, leg.get("InitiationTimestamp") or "",
                                         leg.get("ContactId") or ""))
    first = legs[0]
    queue, agent = first.get("Queue") or {}, first.get("Agent") or {}
    answered_at = agent.get("ConnectedToAgentTimestamp")
    ended_at = _latest([leg.get("DisconnectTimestamp") for leg in legs])
    wrapped_up_at = _latest([ended_at, *((leg.get("Agent") or {}).get("AfterContactWorkEndTimestamp") for leg in legs)])
    attributes = _attributes(legs)
    method = first.get("InitiationMethod") or ""
    return {
        "contact_id": key,
        "customer_id": attributes.get(settings.customer_attribute),
        "channel": CHANNELS.get(first.get("Channel"), str(first.get("Channel")).lower()),
        "queue": queue.get("Name") or NO_QUEUE,
        "agent_id": _agent_id(agent),
        "contact_reason": attributes.get(settings.reason_attribute) or settings.default_reason,
        "created_at": first.get("InitiationTimestamp"),
        "queue_entered_at": queue.get("EnqueueTimestamp"),
        "first_replied_at": answered_at,
        "first_resolved_at": ended_at if answered_at else None,
        "resolved_at": ended_at if answered_at else None,
        "closed_at": wrapped_up_at,
        "talk_seconds": _sum(legs, "AgentInteractionDuration"),
        "hold_seconds": _sum(legs, "CustomerHoldDuration"),
        "after_contact_work_seconds": _sum(legs, "AfterContactWorkDuration"),
        "is_abandoned": answered_at is None,
        "status": "closed",
        "reopen_count": 0,
        "direction": DIRECTIONS.get(method, method.lower()),
        "transfer_count": sum(1 for leg in legs[1:] if (leg.get("Agent") or {}).get("ConnectedToAgentTimestamp"))
        if answered_at else 0,
    }


def _attributes(legs: list[dict]) -> dict[str, str]:
    """Contact attributes over the chain: the first leg's value wins (Connect copies them on a transfer)."""
    merged: dict[str, str] = {}
    for leg in legs:
        for name, value in (leg.get("Attributes") or {}).items():
            if value not in (None, "") and name not in merged:
                merged[name] = value
    return merged


def _agent_id(agent: Mapping) -> str | None:
    """The agent's id, the last part of its ARN (the user name may be a person's login)."""
    arn = agent.get("ARN")
    return arn.rsplit("/", 1)[-1] if arn else None


def _sum(legs: list[dict], duration: str) -> int | None:
    values = [(leg.get("Agent") or {}).get(duration) for leg in legs]
    present = [int(value) for value in values if value is not None]
    return sum(present) if present else None


def _latest(timestamps: list[str | None]) -> str | None:
    """The latest instant; one that does not parse wins, so the gate quarantines the chain naming it."""
    present = [t for t in timestamps if t]
    for timestamp in present:
        try:
            datetime.fromisoformat(timestamp)
        except ValueError:
            return timestamp
    return max(present, key=datetime.fromisoformat) if present else None
