"""Every daily mart on the bundled sample equals an independent pandas/numpy implementation.

The reference reads the staged rows (what passed the contract) and recomputes each metric
from DOMAIN.md's definitions with pandas, numpy percentiles and a plain loop for repeat
contacts, sharing no SQL with the dbt models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dagster_cx.contract import FORCES, PILLARS
from dagster_cx.settings import DBT_PROJECT_DIR

FCR_WINDOW = pd.Timedelta(days=7)
SERVICE_LEVEL_SECONDS = 20


def _frame(con, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _utc_date(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.date


def _survey_facts(con) -> pd.DataFrame:
    responses = _frame(con, "select * from staging.stg_cx__survey_responses")
    answers = _frame(con, "select a.*, q.measure from staging.stg_cx__survey_answers a join staging.stg_cx__questions q using (question_id)")
    customers = _frame(con, "select customer_id, customer_segment from staging.stg_cx__customers")
    touchpoints = _frame(con, "select touchpoint_id, journey_stage as tp_stage from staging.stg_cx__journey_touchpoints")
    scores = answers[answers["measure"].isin(["nps", "csat", "ces"])].pivot(index="response_id", columns="measure", values="answer_value")
    facts = responses.merge(scores, left_on="response_id", right_index=True, how="left")
    facts = facts.merge(customers, on="customer_id", how="left").merge(touchpoints, on="touchpoint_id", how="left")
    facts["customer_segment"] = facts["customer_segment"].fillna("unknown")
    facts["journey_stage"] = facts["journey_stage"].fillna(facts["tp_stage"]).fillna("unknown")
    facts["date_day"] = _utc_date(facts["answered_at"])
    return facts


KEYS = ["date_day", "channel", "customer_segment", "journey_stage"]


def _compare(expected: pd.DataFrame, mart: pd.DataFrame, keys: list[str], columns: list[str]) -> None:
    mart = mart.copy()
    mart["date_day"] = pd.to_datetime(mart["date_day"]).dt.date
    merged = expected.merge(mart, on=keys, how="outer", suffixes=("_expected", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][keys + ["_merge"]].head()
    for column in columns:
        left = merged[f"{column}_expected"].astype(float)
        right = merged[f"{column}_mart"].astype(float)
        np.testing.assert_allclose(right, left, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=column)


def test_nps_daily_matches_reference(sample_db):
    facts = _survey_facts(sample_db).dropna(subset=["nps"])
    grouped = facts.groupby(KEYS)["nps"]
    expected = pd.DataFrame(
        {
            "responses": grouped.size(),
            "promoters": grouped.apply(lambda s: (s >= 9).sum()),
            "passives": grouped.apply(lambda s: s.between(7, 8).sum()),
            "detractors": grouped.apply(lambda s: (s <= 6).sum()),
        }
    ).reset_index()
    expected["nps"] = 100 * (expected["promoters"] - expected["detractors"]) / expected["responses"]
    mart = _frame(sample_db, "select * from marts.mart_nps_daily")
    assert len(mart) > 100
    _compare(expected, mart, KEYS, ["responses", "promoters", "passives", "detractors", "nps"])


def test_csat_and_ces_daily_match_reference(sample_db):
    facts = _survey_facts(sample_db)
    csat = facts.dropna(subset=["csat"]).groupby(KEYS)["csat"]
    expected = pd.DataFrame({"responses": csat.size(), "csat_mean": csat.mean(),
                             "csat_pct": csat.apply(lambda s: 100 * (s >= 4).mean())}).reset_index()
    _compare(expected, _frame(sample_db, "select * from marts.mart_csat_daily"), KEYS, ["responses", "csat_mean", "csat_pct"])
    ces = facts.dropna(subset=["ces"]).groupby(KEYS)["ces"]
    expected = pd.DataFrame({"responses": ces.size(), "ces_mean": ces.mean(),
                             "ces_easy_pct": ces.apply(lambda s: 100 * (s >= 5).mean())}).reset_index()
    _compare(expected, _frame(sample_db, "select * from marts.mart_ces_daily"), KEYS, ["responses", "ces_mean", "ces_easy_pct"])


def _first_contact_resolution(contacts: pd.DataFrame) -> pd.Series:
    """True/False for eligible contacts (resolved, not abandoned), NaN otherwise.

    In (customer, reason) order by creation, a later contact inside the window exists exactly
    when the next one is inside it, so one shift replaces the pairwise scan.
    """
    ordered = contacts.sort_values(["customer_id", "contact_reason", "created_at", "contact_id"])
    next_created = ordered.groupby(["customer_id", "contact_reason"])["created_at"].shift(-1)
    repeated = next_created.notna() & (next_created <= ordered["resolved_at"] + FCR_WINDOW)
    eligible = ordered["resolved_at"].notna() & ~ordered["is_abandoned"].astype(bool)
    verdict = ((ordered["reopen_count"] == 0) & ~repeated).astype(object).where(eligible, np.nan)
    return verdict.reindex(contacts.index)


def test_contact_center_daily_matches_reference(sample_db):
    contacts = _frame(sample_db, "select * from staging.stg_cx__contacts")
    for column in ("created_at", "queue_entered_at", "first_replied_at", "resolved_at"):
        contacts[column] = pd.to_datetime(contacts[column], utc=True)
    real_time = set(pd.read_csv(DBT_PROJECT_DIR / "seeds" / "channels.csv").query("is_real_time")["channel"])
    contacts["offered"] = contacts["queue_entered_at"].notna()
    contacts["handled"] = ~contacts["is_abandoned"] & contacts["first_replied_at"].notna()
    contacts["abandoned_in_queue"] = contacts["offered"] & contacts["is_abandoned"]
    wait = (contacts["first_replied_at"] - contacts["queue_entered_at"]).dt.total_seconds()
    contacts["within_sl"] = contacts["offered"] & contacts["handled"] & (wait <= SERVICE_LEVEL_SECONDS)
    contacts["frt"] = (contacts["first_replied_at"] - contacts["created_at"]).dt.total_seconds() / 60
    contacts["resolution"] = (contacts["resolved_at"] - contacts["created_at"]).dt.total_seconds() / 60
    contacts["handle"] = (contacts["talk_seconds"] + contacts["hold_seconds"] + contacts["after_contact_work_seconds"]).where(contacts["handled"])
    contacts["fcr"] = _first_contact_resolution(contacts)
    contacts["date_day"] = _utc_date(contacts["created_at"])

    def percentile(series: pd.Series, q: float) -> float:
        values = series.dropna().to_numpy()
        return float(np.percentile(values, q)) if len(values) else np.nan

    rows = []
    for (day, channel, queue), g in contacts.groupby(["date_day", "channel", "queue"]):
        offered = int(g["offered"].sum())
        eligible = g["fcr"].notna()
        rows.append({
            "date_day": day, "channel": channel, "queue": queue,
            "contacts_created": len(g), "contacts_offered": offered, "contacts_handled": int(g["handled"].sum()),
            "contacts_abandoned": int(g["abandoned_in_queue"].sum()),
            "first_reply_time_median_minutes": percentile(g["frt"], 50),
            "first_reply_time_p90_minutes": percentile(g["frt"], 90),
            "full_resolution_time_median_minutes": percentile(g["resolution"], 50),
            "average_handle_time_seconds": g["handle"].sum() / g["handled"].sum() if g["handled"].any() else np.nan,
            "abandonment_rate_pct": 100 * g["abandoned_in_queue"].sum() / offered if offered else np.nan,
            "service_level_pct": 100 * g["within_sl"].sum() / offered if offered and channel in real_time else np.nan,
            "fcr_rate_pct": 100 * g.loc[eligible, "fcr"].astype(bool).mean() if eligible.any() else np.nan,
        })
    expected = pd.DataFrame(rows)
    mart = _frame(sample_db, "select * from marts.mart_contact_center_daily")
    assert len(mart) > 500
    _compare(expected, mart, ["date_day", "channel", "queue"], [c for c in expected.columns if c not in ("date_day", "channel", "queue")])


@pytest.mark.parametrize("table", ["fct_contacts", "fct_survey_responses"])
def test_facts_hold_exactly_the_staged_keys(sample_db, table):
    staged = {"fct_contacts": "stg_cx__contacts", "fct_survey_responses": "stg_cx__survey_responses"}[table]
    missing = sample_db.execute(
        f"select count(*) from (select * exclude (loaded_at) from staging.{staged}) s "
        f"anti join marts.{table} f using ({'contact_id' if 'contacts' in table else 'response_id'})"
    ).fetchall()[0][0]
    assert missing == 0
    assert sample_db.execute(f"select count(*) from marts.{table}").fetchall() == sample_db.execute(
        f"select count(*) from staging.{staged}").fetchall()


def test_nps_monthly_statistics_match_reference(sample_db):
    facts = _survey_facts(sample_db).dropna(subset=["nps"])
    facts["month_start_date"] = pd.to_datetime(facts["date_day"]).dt.to_period("M").dt.start_time.dt.date
    frames = [facts.assign(scope="channel"), facts.assign(scope="all", channel="all")]
    grouped = pd.concat(frames).groupby(["month_start_date", "scope", "channel"])["nps"]
    expected = pd.DataFrame({
        "responses": grouped.size(),
        "promoters": grouped.apply(lambda s: (s >= 9).sum()),
        "detractors": grouped.apply(lambda s: (s <= 6).sum()),
    }).reset_index()
    n, p, d = expected["responses"], expected["promoters"], expected["detractors"]
    expected["nps"] = 100 * (p - d) / n
    p_adj, d_adj = (p + 0.75) / (n + 3), (d + 0.75) / (n + 3)
    expected["nps_adjusted"] = 100 * (p_adj - d_adj)
    expected["nps_standard_error"] = 100 * np.sqrt((p_adj + d_adj - (p_adj - d_adj) ** 2) / (n + 3))
    previous = expected.copy()
    previous["month_start_date"] = (pd.to_datetime(previous["month_start_date"]) + pd.DateOffset(months=1)).dt.date
    expected = expected.merge(previous, on=["month_start_date", "scope", "channel"], how="left", suffixes=("", "_prev"))
    expected["nps_change_z"] = (expected["nps_adjusted"] - expected["nps_adjusted_prev"]) / np.sqrt(
        expected["nps_standard_error"] ** 2 + expected["nps_standard_error_prev"] ** 2)
    mart = _frame(sample_db, "select * from marts.mart_nps_monthly")
    mart["month_start_date"] = pd.to_datetime(mart["month_start_date"]).dt.date
    merged = expected.merge(mart, on=["month_start_date", "scope", "channel"], how="outer", indicator=True, suffixes=("", "_mart"))
    assert (merged["_merge"] == "both").all()
    assert len(merged) == facts.groupby(["month_start_date", "channel"]).ngroups + facts["month_start_date"].nunique()
    assert merged["nps_change_z"].notna().sum() > 30  # most rows have a previous month to compare with
    for column in ("responses", "nps", "nps_adjusted", "nps_standard_error", "nps_change_z"):
        np.testing.assert_allclose(merged[f"{column}_mart"].astype(float), merged[column].astype(float),
                                   rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=column)
    significant = merged["nps_change_z"].abs() > 1.96
    assert (merged["is_change_significant_95"].astype("boolean") == significant).where(merged["nps_change_z"].notna(), True).all()


@pytest.mark.parametrize(("measure", "constructs"), [("force", FORCES), ("pillar", PILLARS)])
def test_force_and_pillar_scores_match_reference(sample_db, measure, constructs):
    # Item scores rescaled to 0-100 and flipped when reverse-coded, averaged per response and construct.
    items = _frame(sample_db, """
        select a.response_id, q.construct, a.answer_value, q.scale_min, q.scale_max, q.is_reverse_coded
        from staging.stg_cx__survey_answers a join staging.stg_cx__questions q using (question_id)
        where q.measure = '""" + measure + "'")
    span = items["scale_max"] - items["scale_min"]
    items["score"] = np.where(items["is_reverse_coded"], items["scale_max"] - items["answer_value"],
                              items["answer_value"] - items["scale_min"]) * 100.0 / span
    per_response = items.dropna(subset=["score"]).groupby(["response_id", "construct"])["score"].mean().reset_index()
    facts = _survey_facts(sample_db)[["response_id", "date_day", "channel", "customer_segment", "journey_stage"]]
    scores = per_response.merge(facts, on="response_id")
    scores["month_start_date"] = pd.to_datetime(scores["date_day"]).dt.to_period("M").dt.start_time.dt.date
    keys = ["month_start_date", "customer_segment", "channel", "journey_stage", "construct"]
    grouped = scores.groupby(keys)["score"]
    expected = pd.DataFrame({"responses": grouped.size(), "score_mean": grouped.mean(), "score_stddev": grouped.std(ddof=1)}).reset_index()
    expected["score_ci_lower_95"] = expected["score_mean"] - 1.96 * expected["score_stddev"] / np.sqrt(expected["responses"])
    assert set(expected["construct"]) == set(constructs)
    mart = _frame(sample_db, f"select * from marts.mart_{measure}_scores").rename(columns={measure: "construct"})
    mart["month_start_date"] = pd.to_datetime(mart["month_start_date"]).dt.date
    merged = expected.merge(mart, on=keys, how="outer", indicator=True, suffixes=("", "_mart"))
    assert (merged["_merge"] == "both").all()
    for column in ("responses", "score_mean", "score_stddev", "score_ci_lower_95"):
        np.testing.assert_allclose(merged[f"{column}_mart"].astype(float), merged[column].astype(float),
                                   rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=column)
