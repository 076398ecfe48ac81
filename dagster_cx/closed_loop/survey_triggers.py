"""Delayed-survey invitations: who to ask, 60-90 days after a key moment, without over-surveying.

Gartner's salient-experience practice (DOMAIN.md): a survey months after a key moment, once
memory has settled, predicts loyalty. Each day this lists the customers due, under the
contact-frequency rules, writes the list as a CSV a survey tool imports, and records it in
the ledger `ops.survey_invitations`, so the rules hold across days:

- a key moment is due from `delay_min_days` to `delay_max_days` days after it (both included);
- no customer is invited twice for the same moment;
- at most one invitation per customer per `min_days_between_surveys` days, counting every
  survey kind: our invitations and any survey the warehouse has seen sent (or answered);
- customers who opted out, or have churned, are never invited;
- a customer with several moments due the same day gets one invitation, for the oldest moment.

Re-running a day lists the same invitations again and records nothing new.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from dagster_cx.warehouse import sql_literal

LEDGER = "ops.survey_invitations"

# Key moments: the SQL giving (customer_id, moment_type, moment_key, moment_date) for each kind.
MOMENT_SQL: dict[str, str] = {
    # A complaint the contact center resolved: the date of its resolution.
    "resolved_complaint": """
        select customer_id, 'resolved_complaint' as moment_type, contact_id as moment_key,
               cast(resolved_at as date) as moment_date
        from marts.fct_contacts where contact_reason = 'complaint' and resolved_at is not null
    """,
    # The first purchase: the contract has no orders, so the first day as a customer stands in.
    "first_purchase": """
        select customer_id, 'first_purchase', customer_id, signup_date
        from marts.dim_customers where signup_date is not null
    """,
    # A contact the customer rated hard to deal with (CES at most high_effort_max_ces on 1-7).
    "high_effort_contact": """
        select customer_id, 'high_effort_contact', coalesce(contact_id, response_id), answered_date
        from marts.fct_survey_responses
        where survey_kind = 'transactional' and ces_score <= $high_effort_max_ces
    """,
}


@dataclass(frozen=True)
class TriggerRules:
    """The invitation rules; every field is documented in the module docstring."""

    moments: tuple[str, ...] = tuple(MOMENT_SQL)
    delay_min_days: int = 60
    delay_max_days: int = 90
    min_days_between_surveys: int = 30
    high_effort_max_ces: int = 2

    def __post_init__(self) -> None:
        unknown = set(self.moments) - set(MOMENT_SQL)
        if unknown:
            raise ValueError(f"unknown key moments {sorted(unknown)}: choose from {sorted(MOMENT_SQL)}")
        if not 0 <= self.delay_min_days <= self.delay_max_days:
            raise ValueError(f"need 0 <= delay_min_days <= delay_max_days, got {self.delay_min_days} and "
                             f"{self.delay_max_days}")
        if self.min_days_between_surveys < 1:
            raise ValueError("min_days_between_surveys must be at least 1")


@dataclass(frozen=True)
class InvitationDay:
    as_of: date
    newly_invited: int
    listed: int  # the day's whole list (a re-run lists what the first run recorded)
    csv_path: Path


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        f"""
        create table if not exists {LEDGER} (
            customer_id varchar not null,
            moment_type varchar not null,
            moment_key varchar not null,
            moment_date date not null,
            due_until date not null,
            invited_on date not null,
            run_id varchar not null,
            primary key (moment_type, moment_key)
        )
        """
    )


def _due_sql(rules: TriggerRules) -> str:
    moments = "\nunion all\n".join(MOMENT_SQL[m] for m in rules.moments) if rules.moments else (
        "select null::varchar, null::varchar, null::varchar, null::date where false")
    return f"""
        with moments(customer_id, moment_type, moment_key, moment_date) as ({moments}),
        due as (
            select *, moment_date + {rules.delay_max_days} as due_until
            from moments
            where $as_of between moment_date + {rules.delay_min_days} and moment_date + {rules.delay_max_days}
        ),
        eligible as (
            select due.*
            from due
            inner join marts.dim_customers as customers on customers.customer_id = due.customer_id
            where (customers.churn_date is null or customers.churn_date > $as_of)
              and not exists (
                  select 1 from staging.stg_cx__survey_opt_outs as consent
                  where consent.customer_id = due.customer_id and consent.is_opted_out
                    and cast(consent.consent_changed_at as date) <= $as_of)
              and not exists (
                  select 1 from {LEDGER} as sent
                  where sent.moment_type = due.moment_type and sent.moment_key = due.moment_key)
              and not exists (
                  select 1 from {LEDGER} as sent
                  where sent.customer_id = due.customer_id
                    and abs(sent.invited_on - $as_of) < {rules.min_days_between_surveys})
              and not exists (
                  select 1 from marts.fct_survey_responses as surveyed
                  where surveyed.customer_id = due.customer_id
                    and abs(coalesce(cast(surveyed.sent_at as date), surveyed.answered_date) - $as_of)
                        < {rules.min_days_between_surveys})
        )
        select customer_id, moment_type, moment_key, moment_date, due_until
        from eligible
        qualify row_number() over (partition by customer_id order by moment_date, moment_type, moment_key) = 1
    """


def invite(con: duckdb.DuckDBPyConnection, as_of: date, rules: TriggerRules, run_id: str,
           out_dir: Path) -> InvitationDay:
    """Record the day's new invitations and write the day's list as CSV (atomically)."""
    ensure_ledger(con)
    parameters = {"as_of": as_of}
    if "high_effort_contact" in rules.moments:
        parameters["high_effort_max_ces"] = rules.high_effort_max_ces
    con.execute("begin transaction")
    try:
        new = con.execute(
            f"insert into {LEDGER} select *, $as_of as invited_on, $run_id as run_id from ({_due_sql(rules)})",
            {**parameters, "run_id": run_id},
        ).fetchall()[0][0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"survey_invitations_{as_of.isoformat()}.csv"
    temporary = out_dir / f".{target.name}.{uuid.uuid4().hex}.tmp"
    listed = con.execute(
        f"""
        copy (
            select sent.customer_id, customers.customer_language as language, customers.customer_segment as segment,
                   'delayed' as survey_kind, sent.moment_type, sent.moment_key, sent.moment_date, sent.due_until,
                   sent.invited_on
            from {LEDGER} as sent
            left join marts.dim_customers as customers on customers.customer_id = sent.customer_id
            where sent.invited_on = $as_of
            order by sent.customer_id
        ) to {sql_literal(str(temporary))} (header, delimiter ',')
        """,
        {"as_of": as_of},
    ).fetchall()[0][0]
    os.replace(temporary, target)
    return InvitationDay(as_of, int(new), int(listed), target)
