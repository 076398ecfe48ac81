"""Contract contacts in Amazon Connect's shape: contact records (CTRs) as Kinesis Data Firehose delivers them.

The inverse of dagster_cx/sources/amazon_connect/mapping.py for what a CTR can say: a call or
chat that ended (a CTR is written when a contact ends), its queue, answer, agent durations and
attributes. A contact with transfers becomes a chain of legs (InitialContactId,
PreviousContactId) that share its handling time; its resolution is the last leg's end and its
closing the end of the last agent's after-contact work.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

INSTANCE_ARN = "arn:aws:connect:eu-central-1:111122223333:instance/sample-instance"
CHANNELS = {"phone": "VOICE", "chat": "CHAT", "email": "EMAIL"}
METHODS = {"inbound": "INBOUND", "outbound": "OUTBOUND", "callback": "CALLBACK"}
STREAM = "cx-contact-records"


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _z(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def contact_records(contact: Mapping[str, str | None]) -> list[dict]:
    """The CTRs of one ended contact (text values as in a contract file), first leg first."""
    created, queued = _instant(contact["created_at"]), _instant(contact.get("queue_entered_at"))
    answered, closed = _instant(contact.get("first_replied_at")), _instant(contact.get("closed_at"))
    ended = _instant(contact.get("resolved_at")) or closed
    legs = 1 + int(contact.get("transfer_count") or 0) if answered else 1
    # Transfers split the answered part of the call evenly; the first leg keeps the rounding.
    starts = [answered + (ended - answered) * k / legs for k in range(legs)] if answered else [created]
    records = []
    for k in range(legs):
        leg_id = contact["contact_id"] if k == 0 else f"{contact['contact_id']}-leg{k + 1}"
        leg_end = ended if k == legs - 1 else starts[k + 1]
        record = {
            "AWSAccountId": "111122223333", "InstanceARN": INSTANCE_ARN, "ContactId": leg_id,
            "InitialContactId": contact["contact_id"], "PreviousContactId": records[-1]["ContactId"] if k else None,
            "Channel": CHANNELS.get(contact["channel"], str(contact["channel"]).upper()),
            "InitiationMethod": "TRANSFER" if k else METHODS[contact.get("direction") or "inbound"],
            "InitiationTimestamp": _z(created if k == 0 else starts[k]),
            "DisconnectTimestamp": _z(leg_end), "LastUpdateTimestamp": _z(closed if k == legs - 1 else leg_end),
            "DisconnectReason": "CUSTOMER_DISCONNECT" if k == legs - 1 else "TRANSFER",
            "Attributes": {"customer_id": contact["customer_id"], "contact_reason": contact["contact_reason"]},
            "Queue": {"Name": contact["queue"], "ARN": f"{INSTANCE_ARN}/queue/{contact['queue']}",
                      "EnqueueTimestamp": _z(queued if k == 0 else starts[k]),
                      "DequeueTimestamp": _z((answered or ended) if k == 0 else starts[k])},
            "Agent": None,
        }
        if answered:
            agent = contact.get("agent_id") if k == 0 else f"{contact.get('agent_id')}-transfer{k}"
            record["Agent"] = {
                "ARN": f"{INSTANCE_ARN}/agent/{agent}", "ConnectedToAgentTimestamp": _z(starts[k]),
                **{name: _share(contact.get(column), legs, k) for name, column in (
                    ("AgentInteractionDuration", "talk_seconds"), ("CustomerHoldDuration", "hold_seconds"),
                    ("AfterContactWorkDuration", "after_contact_work_seconds"))},
                "AfterContactWorkEndTimestamp": _z(closed) if k == legs - 1 else _z(leg_end),
            }
        records.append(record)
    return records


def _share(total: str | None, legs: int, leg: int) -> int | None:
    """Leg `leg`'s part of a duration split over `legs` legs; the first leg takes the remainder."""
    if total in (None, ""):
        return None
    whole = int(total)
    return whole - (whole // legs) * (legs - 1) if leg == 0 else whole // legs


def write_deliveries(contacts: list[Mapping[str, str | None]], folder: Path) -> list[Path]:
    """Every contact's CTRs, delivered per hour of their last leg's end under YYYY/MM/DD/HH/.

    Even hours are gzip with one record per line, odd hours plain concatenated JSON: both of
    Firehose's ways, so a sample exercises each.
    """
    by_hour: dict[datetime, list[dict]] = {}
    for contact in contacts:
        records = contact_records(contact)
        hour = datetime.fromisoformat(records[-1]["DisconnectTimestamp"]).replace(minute=0, second=0)
        by_hour.setdefault(hour, []).extend(records)
    written = []
    for hour, records in sorted(by_hour.items()):
        delivered = hour + timedelta(minutes=5)
        path = folder / hour.strftime("%Y/%m/%d/%H") / f"{STREAM}-1-{delivered:%Y-%m-%d-%H-%M-%S}-sample"
        path.parent.mkdir(parents=True, exist_ok=True)
        if hour.hour % 2 == 0:
            path = path.with_suffix(".gz")
            path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in records).encode(), mtime=0))
        else:
            path.write_text("".join(json.dumps(r) for r in records))
        written.append(path)
    return written
