"""Delayed-survey invitations: every rule, with the edges of its window, on a small real DuckDB warehouse."""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_cx.closed_loop.survey_triggers import LEDGER, TriggerRules, ensure_ledger, invite
from dagster_cx.defs.closed_loop import survey_invitations
from dagster_cx.defs.resources import SurveyInvitationsResource, WarehouseResource

AS_OF = date(2026, 9, 1)
COMPLAINTS_ONLY = TriggerRules(moments=("resolved_complaint",))


def _days_ago(days: int) -> str:
    return (AS_OF - timedelta(days=days)).isoformat()


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """The marts and staging tables the triggers read, with only the columns they use."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema marts")
    con.execute("create schema staging")
    con.execute("create table marts.dim_customers (customer_id varchar, customer_segment varchar, "
                "customer_language varchar, signup_date date, churn_date date)")
    con.execute("create table marts.fct_contacts (contact_id varchar, customer_id varchar, contact_reason varchar, "
                "resolved_at timestamptz)")
    con.execute("create table marts.fct_survey_responses (response_id varchar, customer_id varchar, contact_id varchar, "
                "survey_kind varchar, ces_score integer, sent_at timestamptz, answered_at timestamptz, answered_date date)")
    con.execute("create table staging.stg_cx__survey_opt_outs (customer_id varchar, is_opted_out boolean, "
                "consent_changed_at timestamptz)")
    return con


def _customer(con, customer_id: str, signup_days_ago: int = 1000, churned_days_ago: int | None = None) -> None:
    churn = _days_ago(churned_days_ago) if churned_days_ago is not None else None
    con.execute("insert into marts.dim_customers values (?, 'smb', 'pl', ?, ?)",
                [customer_id, _days_ago(signup_days_ago), churn])


def _complaint(con, contact_id: str, customer_id: str, resolved_days_ago: int) -> None:
    con.execute("insert into marts.fct_contacts values (?, ?, 'complaint', ?::timestamptz)",
                [contact_id, customer_id, f"{_days_ago(resolved_days_ago)} 15:00:00+00"])


def _invited(con) -> list[tuple]:
    return con.execute(f"select customer_id, moment_key, invited_on from {LEDGER} order by all").fetchall()


@pytest.mark.parametrize(("resolved_days_ago", "due"), [(59, False), (60, True), (90, True), (91, False)])
def test_a_resolved_complaint_is_due_from_60_to_90_days_after(con, tmp_path, resolved_days_ago, due):
    _customer(con, "u1")
    _complaint(con, "c1", "u1", resolved_days_ago)
    day = invite(con, AS_OF, COMPLAINTS_ONLY, "run-1", tmp_path)
    assert (day.newly_invited == 1) is due
    assert _invited(con) == ([("u1", "c1", AS_OF)] if due else [])


def test_churned_and_opted_out_customers_are_never_invited(con, tmp_path):
    for customer in ("stays", "churned", "opted_out", "opted_back_in", "opts_out_later"):
        _customer(con, customer, churned_days_ago=10 if customer == "churned" else None)
        _complaint(con, f"c_{customer}", customer, 70)
    con.execute("insert into staging.stg_cx__survey_opt_outs values "
                f"('opted_out', true, '{_days_ago(200)} 09:00:00+00'), "
                f"('opted_back_in', false, '{_days_ago(5)} 09:00:00+00'), "
                f"('opts_out_later', true, '{(AS_OF + timedelta(days=3)).isoformat()} 09:00:00+00')")
    invite(con, AS_OF, COMPLAINTS_ONLY, "run-1", tmp_path)
    assert [c for c, _, _ in _invited(con)] == ["opted_back_in", "opts_out_later", "stays"]


def test_at_most_one_invitation_per_customer_per_30_days_across_survey_kinds(con, tmp_path):
    for customer in ("invited_29_days_ago", "invited_30_days_ago", "surveyed_10_days_ago", "answered_29_days_ago"):
        _customer(con, customer)
        _complaint(con, f"c_{customer}", customer, 75)
    ensure_ledger(con)
    con.execute(f"insert into {LEDGER} values "
                f"('invited_29_days_ago', 'first_purchase', 'x1', '{_days_ago(120)}', '{_days_ago(30)}', '{_days_ago(29)}', 'r0'), "
                f"('invited_30_days_ago', 'first_purchase', 'x2', '{_days_ago(120)}', '{_days_ago(30)}', '{_days_ago(30)}', 'r0')")
    con.execute("insert into marts.fct_survey_responses values "
                f"('r1', 'surveyed_10_days_ago', null, 'relationship', null, '{_days_ago(10)} 08:00:00+00', "
                f"'{_days_ago(9)} 08:00:00+00', '{_days_ago(9)}'), "
                f"('r2', 'answered_29_days_ago', null, 'transactional', 6, null, '{_days_ago(29)} 08:00:00+00', '{_days_ago(29)}')")
    invite(con, AS_OF, COMPLAINTS_ONLY, "run-1", tmp_path)
    today = [c for c, _, invited_on in _invited(con) if invited_on == AS_OF]
    assert today == ["invited_30_days_ago"]


def test_one_invitation_a_day_per_customer_and_never_twice_for_a_moment(con, tmp_path):
    _customer(con, "u1", signup_days_ago=80)  # first purchase due too
    _complaint(con, "c_old", "u1", 85)
    _complaint(con, "c_new", "u1", 62)
    rules = TriggerRules(moments=("resolved_complaint", "first_purchase"))
    invite(con, AS_OF, rules, "run-1", tmp_path)
    assert _invited(con) == [("u1", "c_old", AS_OF)]  # the oldest of the three due moments
    # 28 days later c_new (now 90 days old) is still due, but u1 was invited 28 < 30 days ago.
    assert invite(con, AS_OF + timedelta(days=28), rules, "run-2", tmp_path).newly_invited == 0
    # With the frequency rule relaxed, c_new goes out; c_old, already invited, never again.
    assert invite(con, AS_OF + timedelta(days=5), TriggerRules(moments=("resolved_complaint",), delay_max_days=200,
                                                               min_days_between_surveys=1), "run-3", tmp_path
                  ).newly_invited == 1  # c_new only: c_old is already invited
    assert sorted(k for _, k, _ in _invited(con)) == ["c_new", "c_old"]


def test_a_high_effort_transactional_answer_is_a_key_moment(con, tmp_path):
    _customer(con, "u1")
    _customer(con, "u2")
    con.execute("insert into marts.fct_survey_responses values "
                f"('r1', 'u1', 'c9', 'transactional', 2, null, '{_days_ago(70)} 10:00:00+00', '{_days_ago(70)}'), "
                f"('r2', 'u2', 'c8', 'transactional', 3, null, '{_days_ago(70)} 10:00:00+00', '{_days_ago(70)}')")
    invite(con, AS_OF, TriggerRules(moments=("high_effort_contact",)), "run-1", tmp_path)
    assert _invited(con) == [("u1", "c9", AS_OF)]


def test_a_rerun_lists_the_same_day_and_records_nothing_new(con, tmp_path):
    _customer(con, "u1")
    _customer(con, "u2")
    _complaint(con, "c1", "u1", 60)
    _complaint(con, "c2", "u2", 90)
    first = invite(con, AS_OF, COMPLAINTS_ONLY, "run-1", tmp_path)
    rerun = invite(con, AS_OF, COMPLAINTS_ONLY, "run-2", tmp_path)
    assert (first.newly_invited, first.listed, rerun.newly_invited, rerun.listed) == (2, 2, 0, 2)
    with rerun.csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["customer_id"], r["moment_key"], r["survey_kind"], r["language"]) for r in rows] == [
        ("u1", "c1", "delayed", "pl"), ("u2", "c2", "delayed", "pl")]
    assert rerun.csv_path.name == "survey_invitations_2026-09-01.csv"
    assert not list(tmp_path.glob(".*.tmp"))


def test_rules_that_make_no_sense_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="unknown key moments"):
        TriggerRules(moments=("birthday",))
    with pytest.raises(ValueError, match="delay_min_days <= delay_max_days"):
        TriggerRules(delay_min_days=90, delay_max_days=60)


def test_the_asset_invites_on_the_sample_as_of_a_replayed_day(sample_warehouse, tmp_path):
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(sample_warehouse, warehouse)
    folder = tmp_path / "invitations"
    result = dg.materialize(
        [survey_invitations],
        resources={"warehouse": WarehouseResource(database=str(warehouse)),
                   "survey_invitations_folder": SurveyInvitationsResource(folder=str(folder))},
        run_config={"ops": {"closed_loop__survey_invitations": {"config": {"as_of_date": "2026-06-30"}}}},
    )
    assert result.success
    metadata = result.asset_materializations_for_node("closed_loop__survey_invitations")[0].metadata
    # `cx-warehouse run` on the sample invited as of its last day already: the replay lists them, adds none.
    assert metadata["newly_invited"].value == 0 and metadata["listed_for_the_day"].value > 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        invited = con.execute(f"select count(*), count(distinct customer_id) from {LEDGER}").fetchall()[0]
        breaking = con.execute(f"""
            select count(*) from {LEDGER} as sent
            left join staging.stg_cx__survey_opt_outs as consent using (customer_id)
            left join marts.dim_customers as customers using (customer_id)
            where (consent.is_opted_out and consent.consent_changed_at < '2026-07-01')
               or customers.churn_date <= '2026-06-30'
               or sent.invited_on - sent.moment_date not between 60 and 90""").fetchall()[0][0]
        opted_out = con.execute("select count(*) from staging.stg_cx__survey_opt_outs where is_opted_out").fetchall()
    assert invited[0] == invited[1] == metadata["listed_for_the_day"].value
    assert breaking == 0 and opted_out[0][0] > 0  # the sample has opt-outs, and none was invited
    assert (folder / "survey_invitations_2026-06-30.csv").exists()
