"""Contract contacts in Zendesk Support's shape: the records the fake Zendesk API serves.

The inverse of dagster_cx/sources/zendesk/mapping.py: customers become end-users and agents
become agents (both with their contract key as `external_id`), queues become groups, contacts
become tickets (`external_id` = contact_id, the reason in a custom field), and status changes
and messages become ticket events with status-change and comment child events. A contact
without a status history or messages gets the events its own timestamps imply (created, first
agent reply, solved, closed), since every Zendesk ticket has them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

REASON_FIELD_ID = 360000000001  # the ticket custom field holding the reason (CX_ZENDESK_REASON_FIELD_ID)
VIA = {"email": "email", "web": "web", "app": "mobile_sdk", "chat": "chat", "messenger": "native_messaging",
       "social": "facebook", "phone": "voice", "store": "web"}
STATUSES = {"on_hold": "hold", "reopened": "open"}
USER_IDS, GROUP_IDS, TICKET_IDS, EVENT_IDS = 1_000_000, 1, 5_000_000, 9_000_000

Row = Mapping[str, str | None]


def _z(text: str | None) -> str | None:
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if text else None


def zendesk_records(customers: list[Row], contacts: list[Row], status_changes: list[Row],
                    messages: list[Row]) -> dict[str, list[dict]]:
    """The account's users, groups, tickets and ticket events (FakeZendesk's `records`)."""
    ids = count(USER_IDS)
    users = {c["customer_id"]: {"id": next(ids), "role": "end-user", "external_id": c["customer_id"],
                                "name": c.get("full_name"), "email": c.get("email"), "locale": c.get("language"),
                                "created_at": f"{c['signup_date']}T00:00:00Z", "updated_at": f"{c['signup_date']}T00:00:00Z"}
             for c in customers}
    agents = sorted({r["agent_id"] for r in contacts if r.get("agent_id")} | {m["author_id"] for m in messages
                    if m["author_role"] == "agent" and m.get("author_id")})
    users |= {a: {"id": next(ids), "role": "agent", "external_id": a, "name": f"Agent {a}", "email": None,
                  "locale": "en", "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}
              for a in agents}
    groups = {q: {"id": GROUP_IDS + n, "name": q} for n, q in enumerate(sorted({c["queue"] for c in contacts}))}
    statuses_of, messages_of = _by_contact(status_changes), _by_contact(messages)
    event_ids, tickets, events = count(EVENT_IDS), [], []
    for n, contact in enumerate(contacts):
        ticket_id = TICKET_IDS + n
        requester = users.setdefault(contact["customer_id"], {"id": next(ids), "role": "end-user",
                                                              "external_id": contact["customer_id"]})
        ticket_events = _status_events(contact, statuses_of.get(contact["contact_id"]), ticket_id, users, requester,
                                       event_ids)
        ticket_events += _comment_events(contact, messages_of.get(contact["contact_id"]), ticket_id, users, requester,
                                         event_ids)
        events += ticket_events
        tickets.append({
            "id": ticket_id, "external_id": contact["contact_id"], "via": {"channel": VIA.get(contact["channel"])},
            "status": STATUSES.get(contact["status"], contact["status"]), "priority": contact.get("priority") or None,
            "requester_id": requester["id"], "submitter_id": requester["id"],
            "assignee_id": users[contact["agent_id"]]["id"] if contact.get("agent_id") else None,
            "group_id": groups[contact["queue"]]["id"], "tags": [],
            "custom_fields": [{"id": REASON_FIELD_ID, "value": contact["contact_reason"]}],
            "created_at": _z(contact["created_at"]),
            "updated_at": max([_z(contact["created_at"])] + [e["created_at"] for e in ticket_events]),
        })
    return {"users": list(users.values()), "groups": list(groups.values()), "tickets": tickets,
            "ticket_events": sorted(events, key=lambda e: (e["timestamp"], e["id"])), "metric_sets": []}


def _status_events(contact: Row, changes: list[Row] | None, ticket_id: int, users: dict, requester: dict,
                   ids: count) -> list[dict]:
    if changes is None:  # the statuses its own timestamps imply
        changes = [{"status": s, "changed_at": t, "agent_id": a} for s, t, a in (
            ("new", contact["created_at"], None), ("solved", contact.get("resolved_at"), contact.get("agent_id")),
            ("closed", contact.get("closed_at"), None)) if t]
    events, previous = [], None
    for change in sorted(changes, key=lambda c: datetime.fromisoformat(c["changed_at"])):
        value = STATUSES.get(change["status"], change["status"])
        updater = users[change["agent_id"]]["id"] if change.get("agent_id") else requester["id"]
        events.append(_event(next(ids), ticket_id, change["changed_at"], updater, "web", {
            "id": next(ids), "event_type": "Create" if previous is None else "Change", "field_name": "status",
            "value": value, "previous_value": previous}))
        previous = value
    return events


def _comment_events(contact: Row, messages: list[Row] | None, ticket_id: int, users: dict, requester: dict,
                    ids: count) -> list[dict]:
    if messages is None:  # the agent's first reply its own timestamps imply
        messages = [{"author_role": "agent", "author_id": contact.get("agent_id"), "is_public": "true",
                     "sent_at": contact["first_replied_at"]}] if contact.get("first_replied_at") else []
    events = []
    for message in messages:
        role = message["author_role"]
        author = -1 if role == "bot" else (users[message["author_id"]]["id"] if role == "agent" else requester["id"])
        events.append(_event(next(ids), ticket_id, message["sent_at"], author, "rule" if role == "bot" else "web", {
            "id": next(ids), "event_type": "Comment", "type": "Comment", "author_id": author,
            "public": str(message["is_public"]).lower() == "true", "created_at": _z(message["sent_at"])}))
    return events


def _event(event_id: int, ticket_id: int, at: str, updater: int, via: str, child: dict) -> dict:
    moment = datetime.fromisoformat(at).astimezone(UTC)
    return {"id": event_id, "ticket_id": ticket_id, "timestamp": int(moment.timestamp()), "created_at": _z(at),
            "updater_id": updater, "via": {"channel": via}, "event_type": "Audit", "child_events": [child]}


def _by_contact(rows: list[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row["contact_id"], []).append(row)
    return grouped


def write_records(records: dict[str, list[dict]], path: Path) -> Path:
    """The records as one JSON file, which `cx-warehouse fake-zendesk --records` serves."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1))
    return path
