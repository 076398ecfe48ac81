"""Business minutes and SLA breach times from dbt equal a minute-by-minute zoneinfo walk.

Hypothesis draws whole scenarios: schedules in Europe/Warsaw, Europe/Moscow (no DST),
America/New_York and Australia/Sydney with several (overlapping) intervals a day, 24/7
schedules, full and partial holidays, queues whose schedule changes on a date and queues on
the default schedule; contacts around the 2026 DST changes of all three hemispheres' rules,
created outside working hours and spanning weeks, some with message and status histories
(a few of which start after the contact's creation, as an export from a later start does).
Each scenario is one real `dbt run` (seeds written into a copy of the project, raw files
through the real loader); every contact's dbt numbers must equal the reference's.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dagster_cx.contract import ENTITIES
from dagster_cx.defs.dbt_project import dbt_executable
from dagster_cx.ingest.loader import load_entity
from dagster_cx.ingest.raw_tables import ensure_raw_schema
from tests.business_hours_reference import Assignment, QueueClock, Schedule
from tests.pipeline import copy_dbt_project

ZONES = ("Europe/Warsaw", "Europe/Moscow", "America/New_York", "Australia/Sydney")
# Windows holding the 2026 DST changes: US 03-08, EU 03-29, AU 04-05 / AU 10-04, EU 10-25, US 11-01.
ANCHORS = (datetime(2026, 3, 4, tzinfo=UTC), datetime(2026, 9, 30, tzinfo=UTC))
CALENDAR_DAYS_AHEAD = 21
SLA_METRICS = ("first_reply_time", "first_resolution_time", "full_resolution_time")
EXAMPLES = int(os.environ.get("CX_BUSINESS_HOURS_EXAMPLES", "5"))
TOLERANCE_MINUTES = 1e-6


@dataclass
class Scenario:
    anchor: datetime
    schedules: list[Schedule]
    assignments: list[Assignment]
    queues: list[str]
    contacts: list[dict]
    status_changes: list[dict]
    messages: list[dict]
    policies: list[dict]


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def intervals(draw, max_count: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(draw(st.integers(0, max_count))):
        start = draw(st.integers(0, 1439))
        end = draw(st.integers(start + 1, 1440))
        out.append((start, end))
    return out


@st.composite
def schedules_for(draw, anchor: datetime, index: int) -> Schedule:
    zone = draw(st.sampled_from(ZONES))
    if draw(st.integers(0, 5)) == 0:  # round the clock: intervals touch across midnight
        hours = {day: [(0, 1440)] for day in range(1, 8)}
    else:
        hours = {day: draw(intervals(3)) for day in range(1, 8)}
    closures: dict[date, list[tuple[int, int]]] = {}
    for _ in range(draw(st.integers(0, 4))):
        holiday = (anchor + timedelta(days=draw(st.integers(0, 60)))).date()
        if draw(st.booleans()):
            closures.setdefault(holiday, []).append((0, 1440))
        else:
            closures.setdefault(holiday, []).extend(draw(intervals(1)) or [(720, 1440)])
    return Schedule(f"s{index}", zone, hours, closures, is_default=index == 0)


@st.composite
def instants(draw, anchor: datetime) -> datetime:
    """Creation times, half of them on a DST-change day of one of the zones, at any second."""
    if draw(st.booleans()):
        day = draw(st.sampled_from(_dst_days(anchor)))
        moment = day + timedelta(seconds=draw(st.integers(-6 * 3600, 30 * 3600)))
    else:
        moment = anchor + timedelta(seconds=draw(st.integers(0, 35 * 86400)))
    return moment


def _dst_days(anchor: datetime) -> list[datetime]:
    spring = [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 3, 29, 1, tzinfo=UTC),
              datetime(2026, 4, 4, 16, tzinfo=UTC)]
    autumn = [datetime(2026, 10, 3, 16, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC),
              datetime(2026, 11, 1, 6, tzinfo=UTC)]
    return spring if anchor.month == 3 else autumn


@st.composite
def scenarios(draw) -> Scenario:
    anchor = draw(st.sampled_from(ANCHORS))
    schedules = [draw(schedules_for(anchor, i)) for i in range(draw(st.integers(2, 5)))]
    queues = [f"q{i}" for i in range(draw(st.integers(2, 5)))]
    assignments = []
    for queue in queues[1:]:  # q0 has no assignment: the default schedule
        first = draw(st.sampled_from(schedules)).schedule_id
        if draw(st.booleans()):
            switch = (anchor + timedelta(days=draw(st.integers(0, 40)))).date()
            second = draw(st.sampled_from(schedules)).schedule_id
            assignments += [Assignment(queue, first, None, switch), Assignment(queue, second, switch, None)]
        elif draw(st.booleans()):  # covered from a date only: the default before it
            assignments.append(Assignment(queue, first, (anchor + timedelta(days=draw(st.integers(0, 30)))).date(), None))
        else:
            assignments.append(Assignment(queue, first, None, None))

    contacts, status_changes, messages = [], [], []
    for n in range(draw(st.integers(30, 60))):
        created = draw(instants(anchor))
        gaps = [timedelta(seconds=draw(st.integers(0, 4 * 86400))) for _ in range(5)]
        if draw(st.integers(0, 9)) == 0:  # a long one: weeks
            gaps[2] = timedelta(seconds=draw(st.integers(7 * 86400, 21 * 86400)))
        replied = created + gaps[0] if draw(st.integers(0, 5)) else None
        first_resolved = (replied or created) + gaps[1] if draw(st.integers(0, 4)) else None
        resolved = first_resolved + gaps[2] if first_resolved and draw(st.booleans()) else first_resolved
        contact_id = f"c{n:03d}"
        contacts.append({
            "contact_id": contact_id, "customer_id": "u1", "channel": "email", "queue": draw(st.sampled_from(queues)),
            "agent_id": "a1", "contact_reason": f"r{n}", "created_at": created,
            "queue_entered_at": created, "first_replied_at": replied, "first_resolved_at": first_resolved,
            "resolved_at": resolved, "closed_at": None, "talk_seconds": 0, "hold_seconds": 0,
            "after_contact_work_seconds": 0, "is_abandoned": "false", "status": "solved" if resolved else "open",
            "reopen_count": 0, "priority": "normal",
        })
        if draw(st.integers(0, 2)) == 0:  # a status history: waits, a pending stretch, maybe a reopen
            moments = sorted({created + timedelta(seconds=draw(st.integers(1, 10 * 86400))) for _ in range(5)})
            statuses = draw(st.lists(st.sampled_from(["open", "pending", "on_hold", "solved", "reopened"]),
                                     min_size=len(moments), max_size=len(moments)))
            # Mostly from the creation; some exports start later, without the contact's `new`.
            start = [(created, "new")] if draw(st.integers(0, 3)) else []
            for k, (moment, status) in enumerate([*start, *zip(moments, statuses)]):
                status_changes.append({"status_change_id": f"{contact_id}-s{k}", "contact_id": contact_id,
                                       "status": status, "changed_at": moment, "agent_id": "a1"})
        if replied and draw(st.integers(0, 2)) == 0:  # messages: an internal note before the public reply
            note = created + (replied - created) / 2
            messages += [
                {"message_id": f"{contact_id}-m0", "contact_id": contact_id, "author_role": "customer",
                 "author_id": None, "is_public": "true", "sent_at": created},
                {"message_id": f"{contact_id}-m1", "contact_id": contact_id, "author_role": "bot",
                 "author_id": None, "is_public": "true", "sent_at": note},
                {"message_id": f"{contact_id}-m2", "contact_id": contact_id, "author_role": "agent",
                 "author_id": "a1", "is_public": "false", "sent_at": note},
                {"message_id": f"{contact_id}-m3", "contact_id": contact_id, "author_role": "agent",
                 "author_id": "a2", "is_public": "true", "sent_at": replied},
            ]
    policies = [
        {"sla_policy_id": metric, "metric": metric, "channel": "*", "priority": "*",
         "target_minutes": draw(st.integers(1, 6000)), "is_business_hours": str(draw(st.booleans())).lower(),
         "valid_from": None, "valid_until": None}
        for metric in SLA_METRICS
    ]
    return Scenario(anchor, schedules, assignments, queues, contacts, status_changes, messages, policies)


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else (row[k].isoformat() if isinstance(row[k], (datetime, date)) else row[k]))
                             for k in columns})


def _write_seeds(seeds: Path, scenario: Scenario) -> None:
    _write_csv(seeds / "business_schedules.csv",
               [{"schedule_id": s.schedule_id, "schedule_name": s.schedule_id, "time_zone": s.time_zone,
                 "is_default": str(s.is_default).lower()} for s in scenario.schedules],
               ["schedule_id", "schedule_name", "time_zone", "is_default"])
    _write_csv(seeds / "business_schedule_hours.csv",
               [{"schedule_id": s.schedule_id, "weekday": day, "start_time": _hhmm(a), "end_time": _hhmm(b)}
                for s in scenario.schedules for day, spans in s.hours.items() for a, b in spans],
               ["schedule_id", "weekday", "start_time", "end_time"])
    _write_csv(seeds / "business_holidays.csv",
               [{"schedule_id": s.schedule_id, "holiday_date": day,
                 "closed_from": None if (a, b) == (0, 1440) else _hhmm(a),
                 "closed_until": None if (a, b) == (0, 1440) else _hhmm(b), "holiday_name": "h"}
                for s in scenario.schedules for day, spans in s.closures.items() for a, b in spans],
               ["schedule_id", "holiday_date", "closed_from", "closed_until", "holiday_name"])
    _write_csv(seeds / "queue_schedules.csv",
               [{"queue": a.queue, "schedule_id": a.schedule_id, "valid_from": a.valid_from, "valid_until": a.valid_until}
                for a in scenario.assignments],
               ["queue", "schedule_id", "valid_from", "valid_until"])
    _write_csv(seeds / "sla_policies.csv", scenario.policies,
               ["sla_policy_id", "metric", "channel", "priority", "target_minutes", "is_business_hours",
                "valid_from", "valid_until"])


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the dbt project whose seeds each scenario overwrites (the real one stays untouched)."""
    return copy_dbt_project(tmp_path_factory.mktemp("dbt"))


def _build(project: Path, work: Path, scenario: Scenario) -> duckdb.DuckDBPyConnection:
    data = work / "data"
    contact_columns = [c.name for c in next(e for e in ENTITIES if e.name == "contacts").columns]
    _write_csv(data / "contacts" / "contacts.csv", scenario.contacts, contact_columns)
    _write_csv(data / "contact_status_changes" / "changes.csv", scenario.status_changes,
               ["status_change_id", "contact_id", "status", "changed_at", "agent_id"])
    _write_csv(data / "contact_messages" / "messages.csv", scenario.messages,
               ["message_id", "contact_id", "author_role", "author_id", "is_public", "sent_at"])
    _write_seeds(project / "seeds", scenario)
    warehouse = work / "cx.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con, ENTITIES)
        for entity in ENTITIES:
            result = load_entity(con, entity, data)
            assert not result.failures, result.failures
        quarantined = con.execute("select entity, reason from raw.quarantine").fetchall()
        assert not quarantined, quarantined
    completed = subprocess.run(
        [dbt_executable(), "build", "--quiet", "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(project / "target"), "--select", "+fct_contacts +fct_contact_sla_policies", "--indirect-selection", "cautious", "--exclude", "resource_type:unit_test",
         "--vars", f"{{cx_business_calendar_days_ahead: {CALENDAR_DAYS_AHEAD}}}"],
        env={**os.environ, "CX_WAREHOUSE": str(warehouse)}, capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return duckdb.connect(str(warehouse), read_only=True)


def _emptied(folder: Path) -> Path:
    """The same folder for every scenario, emptied: to dbt a new warehouse path is a new profile,
    which costs a full parse (11 s), while the same path lets it parse only the rewritten seeds."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def _as_of(scenario: Scenario) -> datetime:
    """The latest timestamp anywhere in the contact data: what is open is measured up to it."""
    stamps = [v for c in scenario.contacts for k, v in c.items() if k.endswith("_at") and v is not None]
    stamps += [c["changed_at"] for c in scenario.status_changes] + [m["sent_at"] for m in scenario.messages]
    return max(stamps)


def _reference_clocks(scenario: Scenario, as_of: datetime) -> dict[str, QueueClock]:
    first_local = (min(c["created_at"] for c in scenario.contacts).date()) - timedelta(days=2)
    last_local = as_of.date() + timedelta(days=CALENDAR_DAYS_AHEAD)
    start = datetime.combine(first_local - timedelta(days=1), datetime.min.time(), UTC)
    end = datetime.combine(last_local + timedelta(days=2), datetime.min.time(), UTC)
    return {q: QueueClock(q, scenario.schedules, scenario.assignments, start, end, first_local, last_local)
            for q in scenario.queues}


def _reference_contact(contact: dict, changes: list[dict], messages: list[dict], clock: QueueClock,
                       as_of: datetime) -> dict:
    """Every duration of one contact by the rules in the docs, measured on the reference clock."""
    replied = contact["first_replied_at"]
    if messages:
        replies = [m["sent_at"] for m in messages if m["author_role"] == "agent" and m["is_public"] == "true"]
        replied = min(replies) if replies else None
    first_resolved, resolved = contact["first_resolved_at"], contact["resolved_at"]
    if changes:
        ordered = sorted(changes, key=lambda c: (c["changed_at"], c["status_change_id"]))
        solved = [c["changed_at"] for c in ordered if c["status"] == "solved"]
        first_resolved = solved[0] if solved else None
        resolved = solved[-1] if solved and ordered[-1]["status"] in ("solved", "closed") else None
        # A history starting after the creation: the contact was new, its initial status, until then.
        waiting = clock.minutes_between(contact["created_at"], ordered[0]["changed_at"])
        for change, following in zip(ordered, [*ordered[1:], None]):
            ended = following["changed_at"] if following else max(as_of, change["changed_at"])
            if change["status"] in ("new", "open", "reopened", "on_hold"):
                waiting += clock.minutes_between(change["changed_at"], ended)
    else:
        waiting = clock.minutes_between(contact["created_at"], resolved or max(as_of, contact["created_at"]))
    created = contact["created_at"]

    def span(end: datetime | None) -> float | None:
        return None if end is None else clock.minutes_between(created, end)

    return {"first_reply": span(replied), "first_resolution": span(first_resolved), "full_resolution": span(resolved),
            "requester_wait": waiting, "achieved": {"first_reply_time": replied or resolved,
                                                    "first_resolution_time": first_resolved,
                                                    "full_resolution_time": resolved}}


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= TOLERANCE_MINUTES)


# No shrinking: every example is a dbt run; the failure message lists each contact that differs.
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_business_minutes_and_sla_breaches_equal_the_minute_walk(scenario: Scenario, project_copy: Path) -> None:
    con = _build(project_copy, _emptied(project_copy.parent / "scenario"), scenario)
    as_of = _as_of(scenario)
    assert con.execute("select as_of_at from intermediate.int_contacts_data_as_of").fetchone()[0] == as_of
    clocks = _reference_clocks(scenario, as_of)
    got = {row[0]: row[1:] for row in con.execute(
        """select contact_id, first_reply_time_business_minutes, first_resolution_time_business_minutes,
                  full_resolution_time_business_minutes, requester_wait_time_business_minutes
           from marts.fct_contacts""").fetchall()}
    slas = {(row[0], row[1]): row[2:] for row in con.execute(
        "select contact_id, metric, sla_breach_at, is_sla_breach, is_sla_active from marts.fct_contact_sla_policies"
    ).fetchall()}
    assert len(got) == len(scenario.contacts)
    mismatches = []
    for contact in scenario.contacts:
        cid, clock = contact["contact_id"], clocks[contact["queue"]]
        expected = _reference_contact(
            contact, [c for c in scenario.status_changes if c["contact_id"] == cid],
            [m for m in scenario.messages if m["contact_id"] == cid], clock, as_of)
        for name, value in zip(("first_reply", "first_resolution", "full_resolution", "requester_wait"), got[cid]):
            if not _close(value, expected[name]):
                mismatches.append(f"{cid} ({contact['queue']}) {name}: dbt {value}, reference {expected[name]}")
        for policy in scenario.policies:
            target, business = policy["target_minutes"], policy["is_business_hours"] == "true"
            breach_at = (clock.instant_after(contact["created_at"], target) if business
                         else contact["created_at"] + timedelta(minutes=target))
            achieved = expected["achieved"][policy["metric"]]
            breached = None if breach_at is None else (achieved > breach_at if achieved else as_of > breach_at)
            dbt_breach_at, dbt_breached, _ = slas[(cid, policy["metric"])]
            if breach_at is None or dbt_breach_at is None:
                same = breach_at is None and dbt_breach_at is None
            else:
                same = abs((dbt_breach_at - breach_at).total_seconds()) < 0.001 and dbt_breached == breached
            if not same:
                mismatches.append(f"{cid} {policy['metric']} ({'business' if business else 'calendar'} {target}): "
                                  f"dbt breach {dbt_breach_at} / {dbt_breached}, reference {breach_at} / {breached}")
    con.close()
    assert not mismatches, "\n".join(mismatches[:40])
