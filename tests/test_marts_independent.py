"""Every daily mart on the bundled sample equals an independent pandas/numpy implementation.

The reference reads the staged rows (what passed the contract) and recomputes each metric
from DOMAIN.md's definitions with pandas, numpy percentiles and a plain loop for repeat
contacts, sharing no SQL with the dbt models. A contact's first reply, resolutions and
reopens come from its messages and status history where it has them (the events win over
its own record, which in the sample sometimes missed a reopen or took a bot for the first
reply). Business minutes and SLA verdicts per contact are tested against a minute-by-minute
walk (tests/test_business_hours.py); here their daily roll-ups are recomputed from the facts.
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


def _percentile(series: pd.Series, q: float) -> float:
    """numpy's linear interpolation (SQL's percentile_cont) over the non-null values; NaN for none."""
    values = series.dropna().to_numpy(dtype=float)
    return float(np.percentile(values, q)) if len(values) else np.nan


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


def _lifecycle_from_events(con) -> pd.DataFrame:
    """Each staged contact with its first reply, first and final resolution and reopens, events first.

    First reply: the first public message by a human agent. From the status history (`reopened`
    is a working status): first resolution = the first solved, final = the last solved if the
    latest status is solved or closed, reopens = moves out of solved or closed.
    """
    contacts = _frame(con, "select * from staging.stg_cx__contacts")
    messages = _frame(con, "select contact_id, author_role, is_public, sent_at from staging.stg_cx__contact_messages")
    changes = _frame(con, "select contact_id, status_change_id, status, changed_at from staging.stg_cx__contact_status_changes")
    for frame, columns in ((contacts, ("created_at", "queue_entered_at", "first_replied_at", "first_resolved_at",
                                       "resolved_at", "closed_at")), (messages, ("sent_at",)), (changes, ("changed_at",))):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column], utc=True)
    replies = messages[(messages["author_role"] == "agent") & messages["is_public"]].groupby("contact_id")["sent_at"].min()
    changes = changes.sort_values(["contact_id", "changed_at", "status_change_id"])
    finished = changes["status"].isin(["solved", "closed"])
    changes["is_reopen"] = finished.groupby(changes["contact_id"]).shift(1, fill_value=False) & ~finished
    solved = changes[changes["status"] == "solved"].groupby("contact_id")["changed_at"]
    history = pd.DataFrame({
        "first_solved": solved.min(), "last_solved": solved.max(),
        "finished_now": changes.groupby("contact_id")["status"].last().isin(["solved", "closed"]),
        "reopens": changes.groupby("contact_id")["is_reopen"].sum(),
    })
    history["final_solved"] = history["last_solved"].where(history["finished_now"])
    out = contacts.set_index("contact_id")
    out["record_first_replied_at"], out["record_resolved_at"] = out["first_replied_at"], out["resolved_at"]
    out["record_reopen_count"] = out["reopen_count"]
    out["has_message_history"] = out.index.isin(messages["contact_id"])
    out["has_status_history"] = out.index.isin(history.index)
    out["first_replied_at"] = out["first_replied_at"].where(~out["has_message_history"], replies.reindex(out.index))
    on_history = history.reindex(out.index)
    for column, source in (("first_resolved_at", "first_solved"), ("resolved_at", "final_solved"),
                           ("reopen_count", "reopens")):
        out[column] = out[column].where(~out["has_status_history"], on_history[source])
    return out.reset_index()


def test_events_win_over_the_contacts_own_records(sample_db):
    """The sample's histories disagree with their records where helpdesks do; the facts follow the events."""
    expected = _lifecycle_from_events(sample_db).set_index("contact_id")
    facts = _frame(sample_db, "select contact_id, first_replied_at, first_resolved_at, resolved_at, reopen_count, "
                              "has_message_history, has_status_history from marts.fct_contacts").set_index("contact_id")
    facts = facts.reindex(expected.index)
    for column in ("first_replied_at", "first_resolved_at", "resolved_at"):
        left, right = pd.to_datetime(facts[column], utc=True), expected[column]
        assert ((left == right) | (left.isna() & right.isna())).all(), column
    for column in ("reopen_count", "has_message_history", "has_status_history"):
        np.testing.assert_array_equal(facts[column].astype(int), expected[column].astype(int), err_msg=column)
    # Where the record and the events differ: enough that ignoring the events could not pass.
    bot_first = expected["has_message_history"] & (expected["first_replied_at"] != expected["record_first_replied_at"])
    missed_reopen = expected["has_status_history"] & (expected["reopen_count"] != expected["record_reopen_count"])
    later_resolution = expected["resolved_at"].notna() & (expected["resolved_at"] != expected["record_resolved_at"])
    assert bot_first.sum() > 100 and missed_reopen.sum() > 100 and later_resolution.sum() > 100


def test_contact_center_daily_matches_reference(sample_db):
    contacts = _lifecycle_from_events(sample_db)
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

    rows = []
    for (day, channel, queue), g in contacts.groupby(["date_day", "channel", "queue"]):
        offered = int(g["offered"].sum())
        eligible = g["fcr"].notna()
        rows.append({
            "date_day": day, "channel": channel, "queue": queue,
            "contacts_created": len(g), "contacts_offered": offered, "contacts_handled": int(g["handled"].sum()),
            "contacts_abandoned": int(g["abandoned_in_queue"].sum()),
            "first_reply_time_median_minutes": _percentile(g["frt"], 50),
            "first_reply_time_p90_minutes": _percentile(g["frt"], 90),
            "full_resolution_time_median_minutes": _percentile(g["resolution"], 50),
            "average_handle_time_seconds": g["handle"].sum() / g["handled"].sum() if g["handled"].any() else np.nan,
            "abandonment_rate_pct": 100 * g["abandoned_in_queue"].sum() / offered if offered else np.nan,
            "service_level_pct": 100 * g["within_sl"].sum() / offered if offered and channel in real_time else np.nan,
            "fcr_rate_pct": 100 * g.loc[eligible, "fcr"].astype(bool).mean() if eligible.any() else np.nan,
        })
    expected = pd.DataFrame(rows)
    mart = _frame(sample_db, "select * from marts.mart_contact_center_daily")
    assert len(mart) > 500
    _compare(expected, mart, ["date_day", "channel", "queue"], [c for c in expected.columns if c not in ("date_day", "channel", "queue")])


def test_contact_center_daily_business_and_sla_columns_roll_up_from_the_facts(sample_db):
    """Business-minute medians and p90 and the SLA columns, recomputed from fct_contacts and
    fct_contact_sla_policies: per contact, an SLA is achieved when met in time, breached when its
    breach time passed before it was met (or while it still runs)."""
    contacts = _frame(sample_db, "select contact_id, created_date as date_day, channel, queue, "
                                 "first_reply_time_business_minutes, full_resolution_time_business_minutes "
                                 "from marts.fct_contacts")
    contacts["date_day"] = contacts["date_day"].dt.date
    slas = _frame(sample_db, "select contact_id, metric, is_achieved, is_sla_breach from marts.fct_contact_sla_policies")
    slas["achieved"] = slas["is_achieved"].astype(bool) & (slas["is_sla_breach"] == False)  # noqa: E712 (null: no)
    slas["breached"] = slas["is_sla_breach"] == True  # noqa: E712
    per_contact = slas.pivot_table(index="contact_id", columns="metric", values=["achieved", "breached"], aggfunc="max")
    for verdict in ("achieved", "breached"):
        for metric, prefix in (("first_reply_time", "first_reply"), ("full_resolution_time", "full_resolution")):
            column = per_contact.get((verdict, metric), pd.Series(dtype=bool))
            contacts[f"{prefix}_sla_{verdict}"] = contacts["contact_id"].map(column).fillna(False).astype(int)
    rows = []
    for (day, channel, queue), g in contacts.groupby(["date_day", "channel", "queue"]):
        row = {"date_day": day, "channel": channel, "queue": queue,
               "first_reply_time_business_median_minutes": _percentile(g["first_reply_time_business_minutes"], 50),
               "first_reply_time_business_p90_minutes": _percentile(g["first_reply_time_business_minutes"], 90),
               "full_resolution_time_business_median_minutes": _percentile(g["full_resolution_time_business_minutes"], 50)}
        for prefix in ("first_reply", "full_resolution"):
            achieved, breached = g[f"{prefix}_sla_achieved"].sum(), g[f"{prefix}_sla_breached"].sum()
            row |= {f"{prefix}_sla_achieved": achieved, f"{prefix}_sla_breached": breached,
                    f"{prefix}_sla_attainment_pct": 100 * achieved / (achieved + breached) if achieved + breached else np.nan}
        rows.append(row)
    expected = pd.DataFrame(rows)
    assert expected["first_reply_sla_breached"].sum() > 100 and expected["full_resolution_sla_breached"].sum() > 100
    assert expected["first_reply_time_business_p90_minutes"].gt(expected["first_reply_time_business_median_minutes"]).any()
    mart = _frame(sample_db, "select * from marts.mart_contact_center_daily")
    keys = ["date_day", "channel", "queue"]
    _compare(expected, mart, keys, [c for c in expected.columns if c not in keys])


def test_sla_attainment_daily_rolls_up_from_the_facts(sample_db):
    slas = _frame(sample_db, "select created_date as date_day, queue, priority, metric, is_achieved, is_sla_breach, "
                             "is_sla_active, is_business_hours, sla_elapsed_minutes from marts.fct_contact_sla_policies")
    slas["date_day"] = slas["date_day"].dt.date
    achieved, breach = slas["is_achieved"].astype(bool), slas["is_sla_breach"]
    slas["within"] = achieved & (breach == False)  # noqa: E712
    slas["late"] = achieved & (breach == True)  # noqa: E712
    slas["missed"] = ~achieved & (breach == True)  # noqa: E712
    slas["no_breach_time"] = breach.isna()
    grouped = slas.groupby(["date_day", "queue", "priority", "metric"])
    expected = pd.DataFrame({
        "contacts_with_sla": grouped.size(), "achieved_within_target": grouped["within"].sum(),
        "achieved_after_breach": grouped["late"].sum(), "breached_not_achieved": grouped["missed"].sum(),
        "still_active": grouped["is_sla_active"].sum(), "without_breach_time": grouped["no_breach_time"].sum(),
        "on_business_hours_policies": grouped["is_business_hours"].sum(),
        "sla_elapsed_minutes_sum": grouped["sla_elapsed_minutes"].sum(min_count=1),
    }).reset_index()
    expected["breached"] = expected["achieved_after_breach"] + expected["breached_not_achieved"]
    measured = expected["achieved_within_target"] + expected["breached"]
    expected["sla_attainment_pct"] = (100 * expected["achieved_within_target"] / measured).where(measured > 0)
    assert expected["achieved_after_breach"].sum() > 0 and expected["still_active"].sum() > 0
    mart = _frame(sample_db, "select * from marts.mart_sla_attainment_daily")
    keys = ["date_day", "queue", "priority", "metric"]
    _compare(expected, mart, keys, [c for c in expected.columns if c not in keys])


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
