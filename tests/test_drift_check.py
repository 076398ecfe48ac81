"""The warning suite on handling times: a week far from the channel's typical week is reported, not blocked."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from dagster_cx import settings
from dagster_cx.definitions import defs
from dagster_cx.defs.publish import GATE_CHECKS
from dagster_cx.quality.gx_suites import load_suites, run_suite

SUITE = next(spec for spec in load_suites(settings.EXPECTATIONS_DIR) if spec.name == "fct_contacts_drift")


def _contacts(weeks: int, handle_seconds, first_reply_minutes) -> duckdb.DuckDBPyConnection:
    """40 handled phone contacts a week, each week's handle time and first reply as given per week."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.fct_contacts (contact_id varchar, channel varchar, created_date date, "
                "is_handled boolean, handle_seconds double, first_reply_time_calendar_minutes double)")
    rows = []
    for week in range(weeks):
        monday = date(2026, 1, 5) + timedelta(weeks=week)
        for n in range(40):
            rows.append((f"c{week}-{n}", "phone", monday + timedelta(days=n % 5), True,
                         handle_seconds(week) + n, first_reply_minutes(week) + n / 100))
    con.executemany("insert into marts.fct_contacts values (?, ?, ?, ?, ?, ?)", rows)
    return con


def test_steady_weeks_pass():
    outcome = run_suite(_contacts(10, lambda w: 500, lambda w: 2.0), SUITE)
    assert outcome.success and outcome.rows == 10


@pytest.mark.parametrize(
    ("handle", "reply", "column", "observed"),
    [
        # Handle seconds recorded in tenths from week 7 on (a unit change in the export).
        # Mean handle time of a week: base + 19.5 (n = 0..39); the typical week is the median week.
        (lambda w: 5000 if w == 7 else 500, lambda w: 2.0, "handle_time_vs_typical_week", 5019.5 / 519.5),
        # A first-reply timer stuck for a week.
        # Median first reply of a week: base + 0.195.
        (lambda w: 500, lambda w: 60.0 if w == 3 else 2.0, "first_reply_time_vs_typical_week", 60.195 / 2.195),
    ],
)
def test_a_week_far_from_the_typical_week_warns(handle, reply, column, observed):
    outcome = run_suite(_contacts(10, handle, reply), SUITE)
    assert not outcome.success
    [failure] = outcome.failures
    assert failure["kwargs"]["column"] == column and failure["unexpected_count"] == 1
    assert failure["examples"][0] == pytest.approx(observed, rel=1e-9)


def test_the_drift_check_warns_without_blocking_or_holding_back_the_snapshot():
    graph = defs.resolve_asset_graph()
    [key] = [k for k in graph.asset_check_keys if k.name == "gx_fct_contacts_drift"]
    assert not graph.get_check_spec(key).blocking
    assert key not in GATE_CHECKS
    assert SUITE.severity == "warn"
