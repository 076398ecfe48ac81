"""The report's data, read from the published snapshot: additive parts, never precomputed ratios.

Each dataset keeps the dimensions a reader can filter on (month, segment, channel) and the
sums a ratio needs, so the page can filter and re-aggregate in the browser and still show
the marts' numbers. Percentiles do not add up: they come precomputed for every filter
combination ('all' included) with grouping sets.
"""

from __future__ import annotations

import duckdb
import pandas as pd

MONTH = "strftime(cast(date_trunc('month', {column}) as date), '%Y-%m')"

QUERIES: dict[str, str] = {
    "survey_parts": f"""
        with nps as (
            select {MONTH.format(column='date_day')} as month, channel, customer_segment, journey_stage,
                   sum(responses) as nps_responses, sum(promoters) as promoters, sum(detractors) as detractors
            from marts.mart_nps_daily group by all
        ), csat as (
            select {MONTH.format(column='date_day')} as month, channel, customer_segment, journey_stage,
                   sum(responses) as csat_responses, sum(satisfied_responses) as csat_satisfied
            from marts.mart_csat_daily group by all
        ), ces as (
            select {MONTH.format(column='date_day')} as month, channel, customer_segment, journey_stage,
                   sum(responses) as ces_responses, sum(ces_score_sum) as ces_score_sum
            from marts.mart_ces_daily group by all
        )
        select month, channel, customer_segment, journey_stage,
               coalesce(nps_responses, 0) as nps_responses, coalesce(promoters, 0) as promoters,
               coalesce(detractors, 0) as detractors, coalesce(csat_responses, 0) as csat_responses,
               coalesce(csat_satisfied, 0) as csat_satisfied, coalesce(ces_responses, 0) as ces_responses,
               coalesce(ces_score_sum, 0) as ces_score_sum
        from nps full join csat using (month, channel, customer_segment, journey_stage)
        full join ces using (month, channel, customer_segment, journey_stage)
        order by all
    """,
    "construct_parts": f"""
        select {MONTH.format(column='month_start_date')} as month, customer_segment, channel, 'forces' as framework,
               force as construct, sum(responses) as responses, sum(score_sum) as score_sum,
               sum(score_sum_of_squares) as score_sum_of_squares
        from marts.mart_force_scores group by all
        union all
        select {MONTH.format(column='month_start_date')}, customer_segment, channel, 'pillars', pillar,
               sum(responses), sum(score_sum), sum(score_sum_of_squares)
        from marts.mart_pillar_scores group by all
        order by all
    """,
    "scorecard": f"""
        select {MONTH.format(column='month_start_date')} as month, measure, measure_label, unit, comparator,
               target_value, actual_value, status, trend, denominator
        from marts.mart_scorecard order by all
    """,
    "drivers": """
        select framework, scope_type, customer_segment, driver, n_responses, r_squared,
               100 * lmg_share as importance_pct, performance, quadrant, importance_rank,
               strftime(period_start, '%Y-%m-%d') as period_start, strftime(period_end, '%Y-%m-%d') as period_end
        from marts.mart_driver_importance where scope_type in ('all', 'segment') order by all
    """,
    "journey": """
        select journey_stage, journey_stage_order, touchpoint_id, touchpoint_name, responses, nps_responses,
               nps, contacts, pain_point_rank, strftime(first_date, '%Y-%m-%d') as first_date,
               strftime(last_date, '%Y-%m-%d') as last_date
        from marts.mart_journey order by journey_stage_order, touchpoint_id
    """,
    "emotions": """
        select channel, emotion, wheel_position, valence, sum(emotion_responses) as emotion_responses,
               sum(intensity_sum) as intensity_sum
        from marts.mart_emotions group by all order by all
    """,
    "polarization": """
        select channel, touchpoint_id, touchpoint_name, responses, csat_stddev, csat_mean, low_share_pct,
               high_share_pct, is_polarized, strftime(first_answered_date, '%Y-%m-%d') as first_date,
               strftime(last_answered_date, '%Y-%m-%d') as last_date
        from marts.mart_csat_polarization order by all
    """,
    "contact_parts": f"""
        select {MONTH.format(column='date_day')} as month, channel,
               sum(contacts_offered) as contacts_offered, sum(contacts_abandoned) as contacts_abandoned,
               sum(contacts_handled) as contacts_handled, sum(handle_seconds_sum) as handle_seconds_sum,
               sum(fcr_eligible_contacts) as fcr_eligible_contacts,
               sum(first_contact_resolutions) as first_contact_resolutions,
               sum(case when service_level_pct is not null then contacts_offered else 0 end) as sl_offered,
               sum(case when service_level_pct is not null then contacts_answered_within_service_level else 0 end)
                   as sl_answered
        from marts.mart_contact_center_daily group by all order by all
    """,
    "reply_time_percentiles": f"""
        select {MONTH.format(column='created_date')} as month,
               coalesce(channel, 'all') as channel, coalesce(customer_segment, 'all') as customer_segment,
               count(first_reply_time_calendar_minutes) as first_replies,
               quantile_cont(cast(first_reply_time_calendar_minutes as double), 0.5) as frt_median,
               quantile_cont(cast(first_reply_time_calendar_minutes as double), 0.9) as frt_p90
        from marts.fct_contacts
        group by grouping sets ((month, channel, customer_segment), (month, channel), (month, customer_segment), (month))
        having count(first_reply_time_calendar_minutes) > 0
        order by all
    """,
    "followups": """
        select customer_segment, channel, days_waiting, followup_reasons, has_comment, priority_points,
               strftime(as_of_date, '%Y-%m-%d') as as_of_date
        from marts.detractor_followups order by all
    """,
}


def read_datasets(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """Every dataset of the report, as DataFrames with plain JSON-able columns."""
    frames = {}
    for name, sql in QUERIES.items():
        frame = con.execute(sql).df()
        # Python objects with None for nulls: JSON has no NaN, and Vega reads null as missing.
        frames[name] = frame.astype(object).where(frame.notna(), None)
    return frames


def snapshot_info(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """When and by which run the snapshot was built (shown on the page)."""
    built_at, run_id = con.execute("select built_at, run_id from main.snapshot_info").fetchall()[0]
    return built_at.isoformat(timespec="seconds"), run_id
