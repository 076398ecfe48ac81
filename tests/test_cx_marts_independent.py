"""The CX measurement marts on the bundled sample equal an independent pandas implementation.

The reference starts from the facts and dimensions (themselves checked against the staged
rows in test_marts_independent) and recomputes each mart from its documented rule with
pandas and numpy, sharing no SQL with the dbt models. The rules' edge cases (borders, ties,
empty groups, minimum n) are pinned by the dbt unit tests beside each model.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.pipeline import published_path_for

POSITIVE = {"joy", "trust"}
NEGATIVE = {"fear", "sadness", "disgust", "anger"}


def _frame(con, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _assert_frames_equal(expected: pd.DataFrame, mart: pd.DataFrame, keys: list[str], columns: list[str]) -> None:
    merged = expected.merge(mart, on=keys, how="outer", suffixes=("_expected", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][keys + ["_merge"]].head()
    for column in columns:
        left, right = merged[f"{column}_expected"], merged[f"{column}_mart"]
        if not (pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right)):
            assert left.fillna("<null>").tolist() == right.fillna("<null>").tolist(), column
        else:
            np.testing.assert_allclose(right.astype(float), left.astype(float), rtol=1e-9, atol=1e-9,
                                       equal_nan=True, err_msg=column)


@pytest.fixture
def responses(sample_db) -> pd.DataFrame:
    facts = _frame(sample_db, "select * from marts.fct_survey_responses")
    facts["touchpoint_id"] = facts["touchpoint_id"].fillna("unknown")
    return facts


def test_csat_polarization_matches_reference(sample_db, responses):
    csat = responses.dropna(subset=["csat_score"])
    rows = []
    for (channel, touchpoint), group in csat.groupby(["channel", "touchpoint_id"]):
        scores = group["csat_score"].to_numpy(dtype=float)
        low, high = np.mean(scores <= 2) * 100, np.mean(scores >= 4) * 100
        sd = np.std(scores, ddof=1) if len(scores) > 1 else np.nan
        rows.append({
            "channel": channel, "touchpoint_id": touchpoint, "responses": len(scores),
            "csat_mean": scores.mean(), "csat_stddev": sd, "extreme_share_pct": np.mean((scores == 1) | (scores == 5)) * 100,
            "low_share_pct": low, "high_share_pct": high,
            "is_polarized": float(len(scores) >= 30 and sd >= 1.2 and low >= 20 and high >= 20),
        })
    mart = _frame(sample_db, "select *, cast(is_polarized as double) as polarized from marts.mart_csat_polarization")
    mart["is_polarized"] = mart.pop("polarized")
    _assert_frames_equal(pd.DataFrame(rows), mart, ["channel", "touchpoint_id"],
                         ["responses", "csat_mean", "csat_stddev", "extreme_share_pct", "low_share_pct", "high_share_pct",
                          "is_polarized"])
    assert len(mart) >= 5


def test_emotions_match_reference(sample_db, responses):
    felt = responses.dropna(subset=["emotion"]).copy()
    felt["valence"] = felt["emotion"].map(lambda e: 1 if e in POSITIVE else -1 if e in NEGATIVE else 0)
    rows = []
    for (channel, touchpoint), group in felt.groupby(["channel", "touchpoint_id"]):
        intensity = group["emotion_intensity"].astype(float)
        valence_index = 100 * (group["valence"] * intensity).sum() / intensity.sum()
        for emotion in sorted(POSITIVE | NEGATIVE | {"surprise", "anticipation"}):
            chosen = group[group["emotion"] == emotion]
            nps = chosen["nps_score"].dropna()
            rows.append({
                "channel": channel, "touchpoint_id": touchpoint, "emotion": emotion,
                "emotion_responses": len(chosen), "emotion_share_pct": 100 * len(chosen) / len(group),
                "strong_responses": int((chosen["emotion_intensity"] == 3).sum()),
                "mean_intensity": chosen["emotion_intensity"].mean() if len(chosen) else np.nan,
                "avg_nps_score": nps.mean() if len(nps) else np.nan,
                "nps": 100 * ((nps >= 9).sum() - (nps <= 6).sum()) / len(nps) if len(nps) else np.nan,
                "valence_index": valence_index,
            })
    mart = _frame(sample_db, "select * from marts.mart_emotions")
    _assert_frames_equal(pd.DataFrame(rows), mart, ["channel", "touchpoint_id", "emotion"],
                         ["emotion_responses", "emotion_share_pct", "strong_responses", "mean_intensity", "avg_nps_score",
                          "nps", "valence_index"])
    # What a CX lead reads off it: joy comes with far higher NPS than anger.
    joy, anger = (mart[mart["emotion"] == e]["nps_score_sum"].sum() / mart[mart["emotion"] == e]["nps_responses"].sum()
                  for e in ("joy", "anger"))
    assert joy > anger + 2


def _contact_touchpoints(sample_db) -> pd.Series:
    """Each contact's touchpoint: the catalog's renewal (retention queue) or support touchpoint of its channel."""
    contacts = _frame(sample_db, "select contact_id, channel, queue from staging.stg_cx__contacts")
    catalog = _frame(sample_db, "select touchpoint_id, journey_stage, touchpoint_channel from staging.stg_cx__journey_touchpoints")
    first_by = catalog.sort_values("touchpoint_id").groupby(["journey_stage", "touchpoint_channel"])["touchpoint_id"].first()
    mapped = {}
    for contact in contacts.itertuples():
        stages = ["renewal", "support"] if contact.queue == "retention" else ["support"]
        found = [first_by.get((stage, contact.channel)) for stage in stages]
        mapped[contact.contact_id] = next((t for t in found if t is not None), None)
    return pd.Series(mapped, name="touchpoint_id")


def test_journey_matches_reference(sample_db, responses):
    contacts = _frame(sample_db, "select contact_id, customer_id, contact_reason, created_date from marts.fct_contacts")
    contacts["touchpoint_id"] = contacts["contact_id"].map(_contact_touchpoints(sample_db))
    customers = _frame(sample_db, "select * from marts.dim_customers")
    rated = responses[responses["touchpoint_id"] != "unknown"]
    first = min(responses["answered_date"].min(), contacts["created_date"].min())
    last = max(responses["answered_date"].max(), contacts["created_date"].max())
    base = ((customers["signup_date"] <= last) & (customers["churn_date"].isna() | (customers["churn_date"] >= first))).sum()
    rows = []
    for touchpoint in _frame(sample_db, "select touchpoint_id from staging.stg_cx__journey_touchpoints")["touchpoint_id"]:
        said = rated[rated["touchpoint_id"] == touchpoint]
        nps = said["nps_score"].dropna()
        came = contacts[contacts["touchpoint_id"] == touchpoint]
        reasons = came["contact_reason"].value_counts()
        reasons = reasons.sort_index().sort_values(ascending=False, kind="stable").head(3)
        top = ", ".join(f"{r} ({round(100 * n / len(came))}%)" for r, n in reasons.items()) or None
        rows.append({
            "touchpoint_id": touchpoint, "responses": len(said), "contacts": len(came),
            "nps": 100 * ((nps >= 9).sum() - (nps <= 6).sum()) / len(nps) if len(nps) else np.nan,
            "contacts_per_100_customers": 100 * len(came) / base, "top_contact_reasons": top,
            "pain_point_score": (len(said) + len(came)) * (nps <= 6).sum() / len(nps) if len(nps) >= 30 else np.nan,
        })
    expected = pd.DataFrame(rows)
    expected["pain_point_rank"] = expected["pain_point_score"].rank(method="min", ascending=False)
    mart = _frame(sample_db, "select * from marts.mart_journey")
    _assert_frames_equal(expected, mart, ["touchpoint_id"],
                         ["responses", "contacts", "nps", "contacts_per_100_customers", "top_contact_reasons",
                          "pain_point_score", "pain_point_rank"])
    assert mart["pain_point_rank"].notna().sum() >= 5


def test_memorable_experiences_match_reference(sample_db, responses):
    keyed = responses.dropna(subset=["contact_id"]).sort_values(["answered_at", "response_id"])
    immediate = keyed[keyed["survey_kind"] == "transactional"].drop_duplicates("contact_id")
    delayed = keyed[keyed["survey_kind"] == "delayed"].drop_duplicates("contact_id")
    pairs = immediate.merge(delayed, on="contact_id", suffixes=("_now", "_later"))
    churn = _frame(sample_db, "select customer_id, churn_date from marts.dim_customers").set_index("customer_id")["churn_date"]
    churn_date = pd.to_datetime(pairs["customer_id_now"].map(churn))
    expected = pd.DataFrame({
        "contact_id": pairs["contact_id"],
        "immediate_nps_score": pairs["nps_score_now"], "delayed_nps_score": pairs["nps_score_later"],
        "is_churned_after_delayed_survey": (churn_date > pd.to_datetime(pairs["answered_date_later"])).astype(float),
    })
    mart = _frame(sample_db, "select *, cast(is_churned_after_delayed_survey as double) as churned from marts.mart_memorable_experiences")
    mart["is_churned_after_delayed_survey"] = mart.pop("churned")
    _assert_frames_equal(expected, mart, ["contact_id"],
                         ["immediate_nps_score", "delayed_nps_score", "is_churned_after_delayed_survey"])
    assert len(mart) >= 50
    summary = _frame(sample_db, "select * from marts.mart_memorable_touchpoints where scope = 'all'")
    assert summary["key_moments"].item() == len(expected)
    assert summary["churned_customers"].item() == expected["is_churned_after_delayed_survey"].sum()
    # The sample has churners and stayers among the moments rated both times, so each correlation is defined.
    stayed = 1.0 - expected["is_churned_after_delayed_survey"]
    for kind in ("immediate", "delayed"):
        answered = expected[f"{kind}_nps_score"].notna()
        assert stayed[answered].nunique() == 2, kind
        assert summary[f"{kind}_score_retention_correlation"].item() == pytest.approx(
            np.corrcoef(expected.loc[answered, f"{kind}_nps_score"].astype(float), stayed[answered])[0, 1]), kind


def test_loyalty_economics_matches_reference(sample_db, responses):
    customers = _frame(sample_db, "select * from marts.dim_customers")
    answered = responses.dropna(subset=["nps_score"]).sort_values(["answered_at", "response_id"])
    latest = answered.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    customers["nps_category"] = customers["customer_id"].map(latest["nps_category"]).fillna("not surveyed")
    asked_on = pd.to_datetime(customers["customer_id"].map(latest["answered_date"])).fillna(pd.Timestamp(answered["answered_date"].min()))
    churn = pd.to_datetime(customers["churn_date"])
    customers["after"] = churn > asked_on
    customers["before"] = churn <= asked_on
    customers["revenue"] = customers["annual_revenue"].fillna(0.0)
    rows = []
    for (segment, category), group in customers.groupby(["customer_segment", "nps_category"]):
        at_start = len(group) - group["before"].sum()
        kept = group[~group["after"] & ~group["before"]]["revenue"].sum()
        rate = group["after"].sum() / at_start if at_start else np.nan
        rows.append({
            "customer_segment": segment, "nps_category": category, "customers": len(group),
            "churned_customers": group["after"].sum(), "churn_rate_pct": 100 * rate, "annual_revenue": group["revenue"].sum(),
            "retained_annual_revenue": kept, "revenue_at_risk": kept if category == "detractor" else 0.0,
            "expected_annual_revenue_loss": kept * (rate if at_start else 0.0),
        })
    mart = _frame(sample_db, "select * from marts.mart_loyalty_economics")
    _assert_frames_equal(pd.DataFrame(rows), mart, ["customer_segment", "nps_category"],
                         ["customers", "churned_customers", "churn_rate_pct", "annual_revenue", "retained_annual_revenue",
                          "revenue_at_risk", "expected_annual_revenue_loss"])
    assert mart["customers"].sum() == len(customers)
    # The planted story: promoters churn less than detractors.
    by_category = mart.groupby("nps_category")[["churned_customers", "customers"]].sum()
    rates = by_category["churned_customers"] / by_category["customers"]
    assert rates["promoter"] < rates["detractor"]


def test_scorecard_actuals_match_facts(sample_db, responses):
    contacts = _frame(sample_db, "select * from marts.fct_contacts")
    channels = _frame(sample_db, "select channel, is_real_time from marts.dim_channels")
    contacts = contacts.merge(channels, on="channel", how="left")
    customers = _frame(sample_db, "select * from marts.dim_customers")
    responses = responses.assign(month=pd.to_datetime(responses["answered_date"]).dt.to_period("M"))
    contacts["month"] = pd.to_datetime(contacts["created_date"]).dt.to_period("M")
    mart = _frame(sample_db, "select * from marts.mart_scorecard")
    mart["month"] = pd.to_datetime(mart["month_start_date"]).dt.to_period("M")
    checked = 0
    for row in mart.itertuples():
        said = responses[responses["month"] == row.month]
        came = contacts[contacts["month"] == row.month]
        offered = came[came["is_offered"]]
        start = row.month.start_time
        end = (row.month + 1).start_time
        signup, churn = pd.to_datetime(customers["signup_date"]), pd.to_datetime(customers["churn_date"])
        at_start = customers[(signup < start) & (churn.isna() | (churn >= start))]
        left = ((pd.to_datetime(at_start["churn_date"]) >= start) & (pd.to_datetime(at_start["churn_date"]) < end)).mean()
        nps = said["nps_score"].dropna()
        fcr = came["is_first_contact_resolution"].dropna().astype(bool)
        real_time = offered[offered["is_real_time"]]
        expected = {
            "nps": 100 * ((nps >= 9).sum() - (nps <= 6).sum()) / len(nps),
            "csat_pct": 100 * (said["csat_score"].dropna() >= 4).mean(),
            "ces_mean": said["ces_score"].dropna().mean(),
            "fcr_rate_pct": 100 * fcr.mean(),
            "abandonment_rate_pct": 100 * offered["is_abandoned"].mean(),
            "service_level_pct": 100 * real_time["is_answered_within_service_level"].mean(),
            "annualized_churn_rate_pct": 100 * (1 - (1 - left) ** 12),
        }[row.measure]
        assert row.actual_value == pytest.approx(expected, rel=1e-9), (row.month, row.measure)
        margin = row.actual_value - row.target_value if row.comparator == ">=" else row.target_value - row.actual_value
        status = "on track" if margin >= 0 else "at risk" if margin >= -row.at_risk_margin else "off track"
        assert row.status == status, (row.month, row.measure)
        checked += 1
    assert checked == 7 * 6  # seven measures x January-June 2026


def test_detractor_followups_match_reference(sample_db, responses):
    """Every row's priority points and rank: points by DECISIONLOG.md, then rank by points, revenue
    (unknown last), answer time and response id."""
    as_of = pd.Timestamp(responses["answered_date"].max())
    recent = responses[pd.to_datetime(responses["answered_date"]) > as_of - pd.Timedelta(days=30)]
    unhappy = recent[(recent["nps_score"] <= 6) | (recent["csat_score"] <= 2) | (recent["ces_score"] <= 2)]
    customers = _frame(sample_db, "select customer_id, annual_revenue from marts.dim_customers")
    median, top = np.percentile(customers["annual_revenue"].dropna(), [50, 75])
    expected = unhappy.merge(customers, on="customer_id", how="left")
    nps, csat, ces, revenue = (expected[c].astype(float) for c in ("nps_score", "csat_score", "ces_score", "annual_revenue"))
    expected["priority_points"] = (
        np.select([nps <= 3, nps <= 6], [3, 2], 0) + np.select([csat == 1, csat == 2], [2, 1], 0)
        + np.select([ces == 1, ces == 2], [2, 1], 0) + np.where(expected["has_comment"].astype(bool), 2, 0)
        + np.select([revenue >= top, revenue >= median], [2, 1], 0))
    expected = expected.assign(revenue_order=revenue.fillna(-np.inf)).sort_values(
        ["priority_points", "revenue_order", "answered_at", "response_id"], ascending=[False, False, True, True])
    expected["priority_rank"] = np.arange(1, len(expected) + 1)
    mart = _frame(sample_db, "select * from marts.detractor_followups")
    _assert_frames_equal(expected[["response_id", "priority_points", "priority_rank"]], mart, ["response_id"],
                         ["priority_points", "priority_rank"])
    # The tie-breaks are exercised: equal points with different revenue, and equal points and revenue.
    ties = expected.groupby("priority_points")["revenue_order"]
    assert (ties.nunique() > 1).any() and expected.duplicated(["priority_points", "revenue_order"]).any()


CX_MARTS = ("mart_driver_importance", "mart_csat_polarization", "mart_emotions", "mart_journey", "mart_memorable_experiences",
            "mart_memorable_touchpoints", "mart_scorecard", "mart_loyalty_economics", "detractor_followups")


@pytest.mark.parametrize("mart", CX_MARTS)
def test_every_cx_mart_is_built_on_the_sample_and_published(sample_db, sample_warehouse, mart):
    assert sample_db.execute(f"select count(*) from marts.{mart}").fetchall()[0][0] > 0
    with duckdb.connect(str(published_path_for(sample_warehouse)), read_only=True) as published:
        assert published.execute(f"select count(*) from marts.{mart}").fetchall()[0][0] > 0
