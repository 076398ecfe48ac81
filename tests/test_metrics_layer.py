"""The metrics layer: MetricFlow's semantic models validate, the saved queries run, and every
headline metric equals what the marts hold for the same slice of the sample warehouse.

Each `mf` call starts dbt (a few seconds), so metrics are batched into few queries. MetricFlow
opens the warehouse read-write, so it runs on a copy of the sample warehouse while the
expected numbers come from the original (read-only `sample_db`). Expected values are rolled
up from the marts' additive parts; percentiles and construct means are recomputed with
pandas from the facts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dagster_cx.contract import FORCES, PILLARS
from dagster_cx.defs.dbt_project import dbt_executable, dbt_project, ensure_manifest
from tests.pipeline import copy_dbt_project

MF = Path(sys.executable).with_name("mf")
PROJECT_DIR = Path(dbt_project.project_dir)
# Where this process's dbt parse wrote it (DBT_TARGET_PATH: each parallel test worker has its own).
SEMANTIC_MANIFEST = dbt_project.manifest_path.with_name("semantic_manifest.json")
CONSTRUCTS = [f"force_{c}" for c in FORCES] + [f"pillar_{c}" for c in PILLARS]
INDICES = [f"{c}_index" for c in CONSTRUCTS]
SCORES = [f"{c}_score" for c in CONSTRUCTS]
HEADLINE_METRICS = {
    "responses", "nps", "promoters", "detractors", "csat_pct", "csat_mean", "ces_mean", "ces_easy_pct",
    *INDICES,
    "contacts", "first_reply_time_median_minutes", "first_reply_time_p90_minutes",
    "full_resolution_time_median_minutes", "average_handle_time_seconds", "fcr_rate_pct",
    "abandonment_rate_pct", "service_level_pct", "churn_rate_pct",
}
SAVED_QUERIES = {
    "nps_by_channel_monthly", "survey_scorecard_monthly", "forces_and_pillars_quarterly",
    "contact_center_kpis_by_queue_weekly", "churn_by_segment",
}
NULL_KEY = "<null>"


# ---------------------------------------------------------------------------------------------
# helpers


def _semantic_manifest(project: Path | None = None) -> dict:
    """This process's semantic manifest, or the copy a project made for `mf` (see `mf_project`)."""
    path = project / "target" / "semantic_manifest.json" if project else SEMANTIC_MANIFEST
    return json.loads(path.read_text())


def _run(command: list[str], warehouse: Path, project: Path = PROJECT_DIR) -> str:
    """Run mf or dbt in a dbt project against the given warehouse; fail with its output."""
    env = {**os.environ, "CX_WAREHOUSE": str(warehouse), "DO_NOT_TRACK": "1"}
    completed = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                               timeout=600, check=False)
    assert completed.returncode == 0, f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


def _mf_query(warehouse: Path, project: Path, out: Path, *arguments: str) -> pd.DataFrame:
    """`mf query ... --csv out`, read back with metric_time columns as dates."""
    _run([str(MF), "query", *arguments, "--csv", str(out), "--quiet"], warehouse, project)
    assert out.exists(), f"mf query {' '.join(arguments)} returned no rows"
    frame = pd.read_csv(out)
    for column in [c for c in frame.columns if c.startswith("metric_time")]:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def _as_dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.date


def _week_start(series: pd.Series) -> pd.Series:
    """Monday of the ISO week, computed without SQL's date_trunc."""
    days = pd.to_datetime(series)
    return (days - pd.to_timedelta(days.dt.weekday, unit="D")).dt.date


def _quarter_start(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.to_period("Q").dt.start_time.dt.date


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], values: list[str]) -> None:
    """The same groups on both sides, each with equal values (float tolerance, null only where null)."""
    assert len(expected) > 0, "nothing to compare"
    sides = []
    for frame in (actual, expected):
        frame = frame[keys + values].copy()
        for key in keys:
            frame[key] = frame[key].astype(object).where(frame[key].notna(), NULL_KEY)
        assert not frame.duplicated(keys).any(), f"duplicate groups:\n{frame[frame.duplicated(keys)]}"
        sides.append(frame)
    merged = sides[0].merge(sides[1], on=keys, how="outer", suffixes=("_mf", "_mart"), indicator=True)
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, f"groups on one side only:\n{unmatched[keys + ['_merge']]}"
    for value in values:
        got = pd.to_numeric(merged[f"{value}_mf"]).astype(float).to_numpy()
        want = pd.to_numeric(merged[f"{value}_mart"]).astype(float).to_numpy()
        same = np.isclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert same.all(), f"{value} differs:\n{merged.loc[~same, keys + [f'{value}_mf', f'{value}_mart']]}"
        assert not np.isnan(want).all(), f"{value} is null in every group: the comparison proves nothing"


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def mf_warehouse(sample_warehouse: Path, mf_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample warehouse, named like the database the semantic manifest refers to.

    dbt-duckdb names the database after the file, and MetricFlow queries the relations
    recorded at parse time (`cx.marts.fct_contacts` by default), so the copy keeps that name.
    """
    database = _semantic_manifest(mf_project)["semantic_models"][0]["node_relation"]["database"]
    copy = tmp_path_factory.mktemp("metrics_layer") / f"{database}.duckdb"
    shutil.copyfile(sample_warehouse, copy)
    wal = sample_warehouse.with_name(sample_warehouse.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    return copy


@pytest.fixture(scope="module")
def mf_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the dbt project holding this process's semantic manifest in `target/`.

    `mf` reads `target/semantic_manifest.json` under the directory it runs in, whatever
    DBT_TARGET_PATH says, so under parallel test workers it needs a project of its own.
    """
    ensure_manifest()  # parsed for this process's DuckDB target again if a subprocess parsed for another
    copy = copy_dbt_project(tmp_path_factory.mktemp("mf_project"))
    (copy / "target").mkdir()
    shutil.copyfile(SEMANTIC_MANIFEST, copy / "target" / "semantic_manifest.json")
    return copy


@pytest.fixture
def mf_query(mf_warehouse: Path, mf_project: Path, tmp_path: Path):
    def query(*arguments: str) -> pd.DataFrame:
        return _mf_query(mf_warehouse, mf_project, tmp_path / f"query_{len(list(tmp_path.iterdir()))}.csv", *arguments)
    return query


# ---------------------------------------------------------------------------------------------
# definitions


def test_semantic_manifest_defines_the_headline_metrics_dimensions_and_saved_queries():
    manifest = _semantic_manifest()
    metrics = {m["name"]: m for m in manifest["metrics"]}
    assert HEADLINE_METRICS <= set(metrics), f"missing metrics: {HEADLINE_METRICS - set(metrics)}"
    assert all(m["description"] and m["label"] for m in metrics.values())
    assert {q["name"] for q in manifest["saved_queries"]} == SAVED_QUERIES
    dimensions = {
        f"{model['name']}.{d['name']}" for model in manifest["semantic_models"] for d in model["dimensions"]
    }
    for needed in ("survey_responses.customer_segment", "survey_responses.customer_region",
                   "survey_responses.response_language", "survey_responses.journey_stage",
                   "survey_responses.touchpoint_id", "survey_responses.survey_kind", "contacts.queue",
                   "customers.customer_segment", "customers.customer_region", "customers.customer_language"):
        assert needed in dimensions, needed
    time_spines = manifest["project_configuration"]["time_spines"]
    assert [(t["node_relation"]["alias"], t["primary_column"]["time_granularity"]) for t in time_spines] == [
        ("metricflow_time_spine", "day")
    ]


def test_mf_validate_configs_passes_against_the_warehouse_and_lists_every_metric(mf_warehouse, mf_project):
    # Semantic checks plus the data-warehouse checks (every dimension, entity, measure and metric queried).
    _run([str(MF), "validate-configs"], mf_warehouse, mf_project)
    listed = _run([str(MF), "list", "metrics"], mf_warehouse, mf_project)
    missing = {m for m in HEADLINE_METRICS if f"• {m}:" not in listed}
    assert not missing, f"`mf list metrics` does not list {missing}"


def test_construct_score_columns_follow_the_contract(handmade_db):
    columns = [r[0] for r in handmade_db.execute(
        "select column_name from (describe marts.fct_survey_responses) where column_name like '%\\_score' escape '\\'"
    ).fetchall()]
    assert set(columns) - {"nps_score", "csat_score", "ces_score"} == set(SCORES)


def test_construct_scores_on_the_handmade_fixture(handmade_db):
    # r9: fairness items 5 on 1-5 (100) and reverse-coded 1 on 1-5 (flipped: 100) -> 100;
    # integrity 4 on 1-7 -> 50; no other construct answered -> null. r0 answered no item -> all null.
    rows = handmade_db.execute(
        f"select response_id, {', '.join(SCORES)} from marts.fct_survey_responses where response_id in ('r9', 'r0')"
    ).fetchall()
    scores = {r[0]: dict(zip(SCORES, r[1:], strict=True)) for r in rows}
    assert scores["r9"].pop("force_fairness_score") == pytest.approx(100.0)
    assert scores["r9"].pop("pillar_integrity_score") == pytest.approx(50.0)
    assert set(scores["r9"].values()) == {None}
    assert set(scores["r0"].values()) == {None}


# ---------------------------------------------------------------------------------------------
# MetricFlow = marts


def test_saved_query_nps_by_channel_monthly_equals_mart_nps_daily(mf_query, sample_db):
    got = mf_query("--saved-query", "nps_by_channel_monthly")
    no_nps_answer = got["nps_responses"] == 0
    assert got.loc[no_nps_answer, "nps"].isna().all()
    expected = sample_db.sql("""
        select
            date_trunc('month', date_day) as metric_time__month,
            channel,
            sum(responses) as nps_responses,
            sum(promoters) as promoters,
            sum(passives) as passives,
            sum(detractors) as detractors,
            100.0 * (sum(promoters) - sum(detractors)) / sum(responses) as nps
        from marts.mart_nps_daily
        group by all
    """).df()
    expected["metric_time__month"] = _as_dates(expected["metric_time__month"])
    assert expected["metric_time__month"].nunique() >= 6 and expected["channel"].nunique() >= 5
    assert_same(got[~no_nps_answer], expected, ["metric_time__month", "channel"],
                ["nps", "nps_responses", "promoters", "passives", "detractors"])


def test_csat_ces_and_construct_indices_at_the_daily_mart_grain(mf_query, sample_db):
    keys = ["metric_time__day", "channel", "response__customer_segment", "response__journey_stage"]
    got = mf_query(
        "--metrics", ",".join(["csat_responses", "csat_pct", "csat_mean", "ces_responses", "ces_mean",
                               "ces_easy_pct", *INDICES]),
        "--group-by", ",".join(keys),
    )
    mart_keys = "date_day as metric_time__day, channel, customer_segment as response__customer_segment, " \
                "journey_stage as response__journey_stage"
    csat = sample_db.sql(f"select {mart_keys}, responses as csat_responses, csat_pct, csat_mean "
                         "from marts.mart_csat_daily").df()
    ces = sample_db.sql(f"select {mart_keys}, responses as ces_responses, ces_mean, ces_easy_pct "
                        "from marts.mart_ces_daily").df()
    for frame in (csat, ces):
        frame["metric_time__day"] = _as_dates(frame["metric_time__day"])
    assert_same(got[got["csat_responses"] > 0], csat, keys, ["csat_responses", "csat_pct", "csat_mean"])
    assert_same(got[got["ces_responses"] > 0], ces, keys, ["ces_responses", "ces_mean", "ces_easy_pct"])
    assert got.loc[got["csat_responses"] == 0, "csat_pct"].isna().all()

    responses = sample_db.sql(
        f"select answered_date, channel, customer_segment, journey_stage, {', '.join(SCORES)} "
        "from marts.fct_survey_responses").df()
    responses["metric_time__day"] = _as_dates(responses["answered_date"])
    responses = responses.rename(columns={"customer_segment": "response__customer_segment",
                                          "journey_stage": "response__journey_stage"})
    indices = responses.groupby(keys, dropna=False)[SCORES].mean().reset_index()
    indices.columns = keys + INDICES
    assert_same(got, indices, keys, INDICES)


def test_saved_query_forces_and_pillars_quarterly_equals_mean_construct_scores(mf_query, sample_db):
    got = mf_query("--saved-query", "forces_and_pillars_quarterly")
    responses = sample_db.sql(f"select answered_date, channel, {', '.join(SCORES)} "
                              "from marts.fct_survey_responses").df()
    responses["metric_time__quarter"] = _quarter_start(responses["answered_date"])
    expected = responses.groupby(["metric_time__quarter", "channel"])[SCORES].mean().reset_index()
    expected.columns = ["metric_time__quarter", "channel", *INDICES]
    assert expected["metric_time__quarter"].nunique() == 2
    assert_same(got, expected, ["metric_time__quarter", "channel"], INDICES)


def test_saved_query_survey_scorecard_monthly_equals_the_fact(mf_query, sample_db):
    got = mf_query("--saved-query", "survey_scorecard_monthly")
    expected = sample_db.sql("""
        select
            date_trunc('month', answered_date) as metric_time__month,
            survey_kind as response__survey_kind,
            count(*) as responses,
            100.0 * (sum(is_promoter) - sum(is_detractor)) / nullif(count(nps_score), 0) as nps,
            100.0 * sum(is_csat_satisfied) / nullif(count(csat_answer_value), 0) as csat_pct,
            sum(csat_score) / nullif(count(csat_score), 0) as csat_mean,
            sum(ces_score) / nullif(count(ces_score), 0) as ces_mean,
            100.0 * sum(is_ces_easy) / nullif(count(ces_score), 0) as ces_easy_pct
        from marts.fct_survey_responses
        group by all
    """).df()
    expected["metric_time__month"] = _as_dates(expected["metric_time__month"])
    assert expected["response__survey_kind"].nunique() == 3
    assert_same(got, expected, ["metric_time__month", "response__survey_kind"],
                ["responses", "nps", "csat_pct", "csat_mean", "ces_mean", "ces_easy_pct"])


def test_saved_query_contact_center_kpis_by_queue_weekly_equals_the_marts(mf_query, sample_db):
    got = mf_query("--saved-query", "contact_center_kpis_by_queue_weekly")
    keys = ["metric_time__week", "contact__queue"]
    # Additive parts of the daily mart, summed and recomputed; service level over real-time channels only.
    expected = sample_db.sql("""
        select
            daily.date_day,
            daily.queue as contact__queue,
            daily.contacts_created,
            daily.contacts_offered,
            daily.contacts_abandoned,
            daily.contacts_handled,
            daily.handle_seconds_sum,
            daily.fcr_eligible_contacts,
            daily.first_contact_resolutions,
            case when channels.is_real_time then daily.contacts_offered else 0 end as sl_offered,
            case when channels.is_real_time then daily.contacts_answered_within_service_level else 0 end
                as sl_answered
        from marts.mart_contact_center_daily as daily
        inner join marts.dim_channels as channels
            on daily.channel = channels.channel
    """).df()
    expected["metric_time__week"] = _week_start(expected["date_day"])
    sums = expected.groupby(keys, dropna=False).sum(numeric_only=True)
    ratios = pd.DataFrame({
        "contacts": sums["contacts_created"],
        "contacts_offered": sums["contacts_offered"],
        "abandonment_rate_pct": 100.0 * sums["contacts_abandoned"] / sums["contacts_offered"].replace(0, np.nan),
        "service_level_pct": 100.0 * sums["sl_answered"] / sums["sl_offered"].replace(0, np.nan),
        "average_handle_time_seconds": sums["handle_seconds_sum"] / sums["contacts_handled"].replace(0, np.nan),
        "fcr_rate_pct": 100.0 * sums["first_contact_resolutions"] / sums["fcr_eligible_contacts"].replace(0, np.nan),
    })
    # Percentiles do not add up: recompute them from the contacts of each week x queue.
    contacts = sample_db.sql("select created_date, queue as contact__queue, first_reply_time_calendar_minutes, "
                             "full_resolution_time_calendar_minutes from marts.fct_contacts").df()
    contacts["metric_time__week"] = _week_start(contacts["created_date"])
    per_group = contacts.groupby(keys, dropna=False)
    ratios["first_reply_time_median_minutes"] = per_group["first_reply_time_calendar_minutes"].quantile(0.5)
    ratios["first_reply_time_p90_minutes"] = per_group["first_reply_time_calendar_minutes"].quantile(0.9)
    ratios["full_resolution_time_median_minutes"] = per_group["full_resolution_time_calendar_minutes"].quantile(0.5)
    expected = ratios.reset_index()
    assert expected["metric_time__week"].nunique() >= 25 and expected["contact__queue"].nunique() >= 4
    assert_same(got, expected, keys, [c for c in expected.columns if c not in keys])


def test_survey_and_contact_metrics_by_customer_region_and_language(mf_query, sample_db):
    # Two facts reached through the customer entity, in one query joined on metric_time.
    keys = ["metric_time__quarter", "customer__customer_region", "customer__customer_language"]
    got = mf_query("--metrics", "nps,nps_responses,contacts,fcr_rate_pct", "--group-by", ",".join(keys))
    surveys = sample_db.sql("""
        select
            responses.answered_date as day,
            customers.customer_region as customer__customer_region,
            customers.customer_language as customer__customer_language,
            count(responses.nps_score) as nps_responses,
            sum(responses.is_promoter) as promoters,
            sum(responses.is_detractor) as detractors
        from marts.fct_survey_responses as responses
        left join marts.dim_customers as customers
            on responses.customer_id = customers.customer_id
        group by all
    """).df()
    contacts = sample_db.sql("""
        select
            contacts.created_date as day,
            customers.customer_region as customer__customer_region,
            customers.customer_language as customer__customer_language,
            count(*) as contacts,
            count(contacts.is_first_contact_resolution) as fcr_eligible_contacts,
            sum(case when contacts.is_first_contact_resolution then 1 else 0 end) as first_contact_resolutions
        from marts.fct_contacts as contacts
        left join marts.dim_customers as customers
            on contacts.customer_id = customers.customer_id
        group by all
    """).df()
    frames = []
    for frame in (surveys, contacts):
        frame["metric_time__quarter"] = _quarter_start(frame.pop("day"))
        for key in keys:
            frame[key] = frame[key].astype(object).where(frame[key].notna(), NULL_KEY)
        frames.append(frame.groupby(keys).sum(numeric_only=True))
    expected = frames[0].join(frames[1], how="outer").reset_index()
    expected["nps"] = 100.0 * (expected["promoters"] - expected["detractors"]) / expected["nps_responses"].replace(0, np.nan)
    expected["fcr_rate_pct"] = 100.0 * expected["first_contact_resolutions"] / expected["fcr_eligible_contacts"].replace(0, np.nan)
    assert expected["customer__customer_region"].nunique() >= 5 and expected["contacts"].notna().sum() >= 10
    assert_same(got, expected, keys, ["nps", "nps_responses", "contacts", "fcr_rate_pct"])


def test_churn_metrics_equal_dim_customers(mf_query, sample_db):
    by_segment = mf_query("--saved-query", "churn_by_segment")
    expected = sample_db.sql("""
        select
            customer_segment as customer__customer_segment,
            count(*) as customers,
            count(*) filter (where is_churned) as churned_customers,
            100.0 * count(*) filter (where is_churned) / count(*) as churn_rate_pct
        from marts.dim_customers
        group by all
    """).df()
    assert_same(by_segment, expected, ["customer__customer_segment"], ["customers", "churned_customers", "churn_rate_pct"])

    # Cohort churn by signup quarter, and customers lost by churn quarter, in one query.
    keys = ["metric_time__quarter", "customer__customer_segment"]
    got = mf_query("--metrics", "customers,churn_rate_pct,customers_lost", "--group-by", ",".join(keys))
    customers = sample_db.sql("select customer_segment as customer__customer_segment, signup_date, churn_date, "
                              "is_churned from marts.dim_customers").df()
    customers["signup_quarter"] = _quarter_start(customers["signup_date"])
    cohorts = customers.groupby(["signup_quarter", "customer__customer_segment"]).agg(
        customers=("is_churned", "size"), churned=("is_churned", "sum"))
    cohorts["churn_rate_pct"] = 100.0 * cohorts["churned"] / cohorts["customers"]
    churned = customers[customers["is_churned"]].copy()
    churned["churn_quarter"] = _quarter_start(churned["churn_date"])
    lost = churned.groupby(["churn_quarter", "customer__customer_segment"]).size().rename("customers_lost")
    cohorts.index.names = lost.index.names = keys
    expected = cohorts.join(lost, how="outer").reset_index()
    assert expected["customers_lost"].notna().sum() >= 4 and expected["customers"].notna().sum() >= 12
    assert_same(got, expected, keys, ["customers", "churn_rate_pct", "customers_lost"])


def test_dbt_docs_catalog_documents_every_mart_column(mf_warehouse, tmp_path):
    # The README's `dbt docs generate`, into a private target folder: every column the
    # warehouse holds in marts has a description in the docs (and, via persist_docs, in DuckDB).
    target = tmp_path / "target"
    _run([dbt_executable(), "docs", "generate", "--quiet", "--target-path", str(target)], mf_warehouse)
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    marts = [key for key, node in catalog["nodes"].items() if node["metadata"]["schema"] == "marts"]
    assert len(marts) == 24
    for key in marts:
        documented = manifest["nodes"][key]["columns"]
        for name, column in catalog["nodes"][key]["columns"].items():
            assert documented.get(name, {}).get("description", "").strip(), f"{key}.{name} has no description"
            assert column["comment"] == documented[name]["description"], f"{key}.{name}: comment not persisted"
