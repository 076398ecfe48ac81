"""Headline numbers of a built warehouse, rolled up from the marts' additive parts, and what to act on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from dagster_cx import settings
from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.quarantine import top_reasons
from dagster_cx.ingest.waiting import waiting_rows
from dagster_cx.sources.zendesk.sla_report import sla_mapping_lines

HEADLINE_SQL = """
with
nps as (select sum(responses) as n, sum(promoters) as p, sum(detractors) as d from marts.mart_nps_daily),
csat as (select sum(responses) as n, sum(satisfied_responses) as s, sum(csat_score_sum) as total from marts.mart_csat_daily),
ces as (select sum(responses) as n, sum(ces_score_sum) as total, sum(easy_responses) as easy from marts.mart_ces_daily),
cc as (
    select
        sum(contacts_created) as created, sum(contacts_offered) as offered, sum(contacts_handled) as handled,
        sum(contacts_abandoned) as abandoned, sum(first_contact_resolutions) as fcr, sum(fcr_eligible_contacts) as fcr_n,
        sum(handle_seconds_sum) as handle_seconds,
        sum(case when service_level_pct is not null then contacts_answered_within_service_level end) as sl_hits,
        sum(case when service_level_pct is not null then contacts_offered end) as sl_offered
    from marts.mart_contact_center_daily
),
frt as (
    select quantile_cont(first_reply_time_calendar_minutes, 0.5) as median,
           quantile_cont(first_reply_time_calendar_minutes, 0.9) as p90,
           quantile_cont(first_reply_time_business_minutes, 0.5) as business_median
    from marts.fct_contacts
),
sla as (
    select sum(achieved_within_target) as met, sum(breached) as breached
    from marts.mart_sla_attainment_daily
)
select
    nps.n as nps_responses,
    round(100.0 * (nps.p - nps.d) / nullif(nps.n, 0), 1) as nps,
    round(100.0 * csat.s / nullif(csat.n, 0), 1) as csat_pct,
    round(csat.total / nullif(csat.n, 0), 2) as csat_mean,
    round(ces.total / nullif(ces.n, 0), 2) as ces_mean,
    round(100.0 * ces.easy / nullif(ces.n, 0), 1) as ces_easy_pct,
    cc.created as contacts,
    round(frt.median, 1) as first_reply_time_median_minutes,
    round(frt.p90, 1) as first_reply_time_p90_minutes,
    round(frt.business_median, 1) as first_reply_time_business_median_minutes,
    round(cc.handle_seconds / nullif(cc.handled, 0), 0) as average_handle_time_seconds,
    round(100.0 * cc.fcr / nullif(cc.fcr_n, 0), 1) as fcr_rate_pct,
    round(100.0 * cc.abandoned / nullif(cc.offered, 0), 1) as abandonment_rate_pct,
    round(100.0 * cc.sl_hits / nullif(cc.sl_offered, 0), 1) as service_level_pct,
    round(100.0 * sla.met / nullif(sla.met + sla.breached, 0), 1) as sla_attainment_pct
from nps, csat, ces, cc, frt, sla
"""

# Where each row read is now: loaded (directly, or released after waiting for its parent), still
# waiting, quarantined or excluded (left out on purpose by a source).
LOADS_SQL = """
with
files as (
    select entity, count(*) as files, sum(rows_read) as rows_read from raw._file_loads group by entity
),
loaded as (
    select entity, count(*) as n from (
        {loaded}
    ) group by entity
),
held as (
    select entity, count(*) filter (where place = 'waiting') as waiting,
           count(*) filter (where place = 'quarantine') as quarantined,
           count(*) filter (where place = 'excluded') as excluded
    from (select 'waiting' as place, entity from raw.waiting
          union all select 'quarantine', entity from raw.quarantine
          union all select 'excluded', entity from raw.excluded)
    group by entity
)
select files.entity, files.files, files.rows_read, coalesce(loaded.n, 0), coalesce(held.waiting, 0),
       coalesce(held.quarantined, 0), coalesce(held.excluded, 0)
from files left join loaded using (entity) left join held using (entity)
order by files.entity
"""


def headline_numbers(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    cursor = con.execute(HEADLINE_SQL)
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))


def load_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Per entity: files, rows read, loaded, waiting, quarantined, excluded."""
    loaded = " union all ".join(f"select '{e.name}' as entity from raw.{e.name}" for e in ENTITIES)
    return con.execute(LOADS_SQL.format(loaded=loaded)).fetchall()


def waiting_lines(con: duckdb.DuckDBPyConnection, now: datetime) -> list[str]:
    """What waits for a parent, for how long, and why: nothing is lost, but someone should look."""
    waiting = waiting_rows(con)
    if not waiting:
        return []
    lines = [f"Waiting for a parent (loaded when it arrives; warn after {settings.max_wait_hours():g} h):"]
    for rows in waiting:
        reasons = ("; ".join(f"{reason} ({count:,})" for reason, count in rows.top_reasons[:3])
                   if len(rows.top_reasons) > 1 else rows.top_reasons[0][0])
        knock_on = f"; {rows.parent_quarantined:,} of them for a quarantined parent" if rows.parent_quarantined else ""
        noun = "row " if rows.rows == 1 else "rows"
        lines.append(f"  {rows.entity:<22} {rows.rows:>7,} {noun}, oldest {rows.hours_waited(now):.1f} h: {reasons}{knock_on}")
    return lines


def customer_flag_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Contacts and responses whose customer is not loaded: in the marts with segment 'unknown'."""
    unknown = con.execute(UNKNOWN_CUSTOMERS_SQL).fetchall()
    lines = [f"  {entity:<22} {count:>7,} rows name a customer not in customers (segment 'unknown' in the marts)"
             for entity, count in unknown if count]
    return ["Unknown customers (loaded, flagged):", *lines] if lines else []


UNKNOWN_CUSTOMERS_SQL = """
select 'contacts', count(*) from staging.stg_cx__contacts
where customer_id not in (select customer_id from staging.stg_cx__customers)
union all
select 'survey_responses', count(*) from staging.stg_cx__survey_responses
where customer_id not in (select customer_id from staging.stg_cx__customers)
"""


SCORECARD_SQL = """
select measure_label, status, round(actual_value, 1), comparator, target_value, strftime(month_start_date, '%Y-%m')
from marts.mart_scorecard
where month_start_date = (select max(month_start_date) from marts.mart_scorecard)
order by case status when 'off track' then 0 when 'at risk' then 1 else 2 end, measure
"""

PAIN_POINTS_SQL = """
select pain_point_rank, touchpoint_name, journey_stage, round(nps, 1), contacts, top_contact_reasons
from marts.mart_journey where pain_point_rank <= 3 order by pain_point_rank, touchpoint_id
"""

FIX_FIRST_SQL = """
select framework, driver, round(100 * lmg_share, 1), round(performance, 1)
from marts.mart_driver_importance
where scope_type = 'all' and quadrant = 'fix first'
order by framework, importance_rank
"""

FOLLOWUPS_SQL = """
select count(*), count(case when has_comment then 1 end), max(days_waiting), max(as_of_date)
from marts.detractor_followups
"""


def _has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    found = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    return set(names) <= found


def action_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What a CX lead acts on: the scorecard's misses, the pain points, the drivers to fix, the call-back queue."""
    if not _has_tables(con, "mart_scorecard", "mart_journey", "mart_driver_importance", "detractor_followups"):
        return []
    lines = []
    scorecard = con.execute(SCORECARD_SQL).fetchall()
    if scorecard:
        lines.append(f"Scorecard ({scorecard[0][5]}):")
        lines += [f"  {status:<10} {label:<40} {actual} (target {comparator} {target:g})"
                  for label, status, actual, comparator, target, _ in scorecard]
    lines.append("Pain points (fix first = 1):")
    lines += [f"  {rank}. {name} ({stage}): NPS {nps}, {contacts} contacts; {reasons or 'no contacts'}"
              for rank, name, stage, nps, contacts, reasons in con.execute(PAIN_POINTS_SQL).fetchall()] or ["  none"]
    fix_first = con.execute(FIX_FIRST_SQL).fetchall()
    lines.append("Drivers to fix first (high importance, low performance):")
    lines += [f"  {framework:<8} {driver:<16} {share}% of R^2, score {performance}/100"
              for framework, driver, share, performance in fix_first] or ["  none"]
    queued, commented, oldest, as_of = con.execute(FOLLOWUPS_SQL).fetchall()[0]
    if queued:
        lines.append(f"Follow-up queue (detractor_followups, as of {as_of}): {queued} to call back, "
                     f"{commented} with a comment, oldest {oldest} days")
    else:  # no recent detractor, or no survey data at all
        lines.append("Follow-up queue (detractor_followups): nobody to call back")
    return lines


def quarantine_lines(con: duckdb.DuckDBPyConnection, loaded_since: datetime | None = None) -> list[str]:
    """The commonest reasons rows were quarantined (of the files loaded since a moment: a run's), knock-ons marked."""
    total, reasons = top_reasons(con, loaded_since)
    if not total:
        return []
    scope = "by this run" if loaded_since else "in all loads"
    lines = [f"Quarantined {scope}: {total} rows; top reasons (`cx-warehouse quarantine` lists every row):"]
    for reason in reasons:
        knock_on = f" ({reason.knock_on_rows} because their parent row was quarantined too)" if reason.knock_on_rows else ""
        files = reason.files[0] + (f" and {len(reason.files) - 1} more files" if len(reason.files) > 1 else "")
        lines.append(f"  {reason.rows:>6}  {reason.entity}: {reason.reason}{knock_on}; {files}")
    return lines


def render(con: duckdb.DuckDBPyConnection, loaded_since: datetime | None = None) -> str:
    lines = ["Raw files loaded (rows read = loaded + waiting + quarantined + excluded):"]
    for entity, files, read, loaded, waiting, quarantined, excluded in load_counts(con):
        noun = "file " if files == 1 else "files"
        lines.append(f"  {entity:<22} {files:>3} {noun} {read:>9,} read {loaded:>9,} loaded {waiting:>6,} waiting "
                     f"{quarantined:>6,} quarantined" + (f" {excluded:>6,} excluded" if excluded else ""))
    lines += quarantine_lines(con, loaded_since)
    lines += waiting_lines(con, datetime.now(UTC))
    lines += customer_flag_lines(con)
    lines += sla_mapping_lines(con)
    lines.append("Headline numbers (whole period):")
    headlines = headline_numbers(con)
    width = max(map(len, headlines))
    lines += [f"  {name:<{width}} {value}" for name, value in headlines.items()]
    lines += action_lines(con)
    return "\n".join(lines)
