"""Detractor alerts: each detractor with a comment is surfaced once, and posted where configured.

The ledger `ops.detractor_alerts` records every alert raised, so a re-run raises nothing
twice; a webhook that fails records nothing, so the same alerts go out on the next run.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

import duckdb

from dagster_cx.publish.snapshot import mask_personal_data_sql

LEDGER = "ops.detractor_alerts"
WEBHOOK_TIMEOUT_SECONDS = 10

NEW_ALERTS_SQL = f"""
select
    f.response_id, f.priority_rank, f.priority_points, f.answered_at, f.days_waiting, f.customer_id,
    f.customer_segment, f.customer_value_tier, f.channel, f.touchpoint_id, f.contact_id, f.contact_reason,
    f.nps_score, f.csat_score, f.ces_score, {mask_personal_data_sql('f.comment_text')} as comment_text
from marts.detractor_followups as f
where f.nps_category = 'detractor' and f.has_comment
    and f.response_id not in (select response_id from {LEDGER})
order by f.priority_rank
"""


class WebhookError(RuntimeError):
    """The webhook did not accept the alerts; nothing was recorded as sent."""


@dataclass(frozen=True)
class Alert:
    response_id: str
    priority_rank: int
    priority_points: int
    answered_at: datetime
    days_waiting: int
    customer_id: str
    customer_segment: str
    customer_value_tier: str
    channel: str
    touchpoint_id: str | None
    contact_id: str | None
    contact_reason: str | None
    nps_score: int
    csat_score: int | None
    ces_score: int | None
    comment_text: str

    def as_json(self) -> dict:
        return {**self.__dict__, "answered_at": self.answered_at.isoformat()}


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        f"create table if not exists {LEDGER} (response_id varchar primary key, alerted_at timestamptz not null, "
        "run_id varchar not null, delivered_to varchar not null)"
    )


def new_alerts(con: duckdb.DuckDBPyConnection) -> list[Alert]:
    """Detractors with a comment in the follow-up queue not alerted before, most urgent first."""
    return [Alert(*row) for row in con.execute(NEW_ALERTS_SQL).fetchall()]


def payload(alerts: list[Alert]) -> dict:
    """Slack-style `text` for chat tools, plus the alerts as data for anything else."""
    lines = [f"{len(alerts)} new detractor(s) with a comment to call back:"]
    lines += [f"#{a.priority_rank} {a.customer_id} ({a.customer_segment}, {a.channel}), NPS {a.nps_score}: "
              f"{a.comment_text[:140]}" for a in alerts[:10]]
    return {"text": "\n".join(lines), "alerts": [a.as_json() for a in alerts]}


def post(url: str, body: dict) -> None:
    """POST the alerts as JSON; any answer but 2xx raises WebhookError saying what to check."""
    request = urllib.request.Request(
        url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, TimeoutError) as error:
        raise WebhookError(f"could not reach the webhook {url}: {error}. Check CX_ALERT_WEBHOOK_URL; "
                           "the alerts stay unsent and go out on the next run.") from error
    if not 200 <= status < 300:
        raise WebhookError(f"the webhook {url} answered HTTP {status}. Check CX_ALERT_WEBHOOK_URL and the "
                           "receiving service; the alerts stay unsent and go out on the next run.")


def record(con: duckdb.DuckDBPyConnection, alerts: list[Alert], run_id: str, delivered_to: str, at: datetime) -> None:
    if not alerts:
        return
    con.executemany(
        f"insert into {LEDGER} values (?, ?, ?, ?)",
        [[a.response_id, at, run_id, delivered_to] for a in alerts],
    )
