"""Headline numbers of a built warehouse, rolled up from the marts' additive parts."""

from __future__ import annotations

from typing import Any

import duckdb

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
           quantile_cont(first_reply_time_calendar_minutes, 0.9) as p90
    from marts.fct_contacts
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
    round(cc.handle_seconds / nullif(cc.handled, 0), 0) as average_handle_time_seconds,
    round(100.0 * cc.fcr / nullif(cc.fcr_n, 0), 1) as fcr_rate_pct,
    round(100.0 * cc.abandoned / nullif(cc.offered, 0), 1) as abandonment_rate_pct,
    round(100.0 * cc.sl_hits / nullif(cc.sl_offered, 0), 1) as service_level_pct
from nps, csat, ces, cc, frt
"""

LOADS_SQL = """
select entity, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
       sum(rows_quarantined) as rows_quarantined
from raw._file_loads group by entity order by entity
"""


def headline_numbers(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    cursor = con.execute(HEADLINE_SQL)
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))


def load_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(LOADS_SQL).fetchall()


def render(con: duckdb.DuckDBPyConnection) -> str:
    lines = ["Raw files loaded (rows read = loaded + quarantined):"]
    for entity, files, read, loaded, quarantined in load_counts(con):
        lines.append(f"  {entity:<20} {files:>3} files  {read:>9} read  {loaded:>9} loaded  {quarantined:>5} quarantined")
    lines.append("Headline numbers (whole period):")
    lines += [f"  {name:<34} {value}" for name, value in headline_numbers(con).items()]
    return "\n".join(lines)
