"""Key-driver analysis: Johnson and Shapley (LMG) against independent computations, and
recovery of the driver model planted in the bundled sample.

The small cases use other algorithms than the code: closed forms for two drivers, an SVD of
the raw data for Johnson, and OLS refits on the raw data over every order of entry for LMG.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime
from math import factorial

import duckdb
import numpy as np
import pandas as pd
import pytest

from dagster_cx.analysis.driver_importance import (
    QUADRANTS,
    SHARE_TOLERANCE,
    DegenerateDriverInput,
    correlations,
    driver_importance,
    johnson_weights,
    lmg_weights,
    quadrant,
    r_squared,
)
from dagster_cx import settings
from dagster_cx.analysis.driver_mart import (
    COLUMN_DESCRIPTIONS,
    FRAMEWORKS,
    INPUT_COLUMNS,
    MART_COLUMNS,
    OUTCOME,
    TABLE_DESCRIPTION,
    driver_mart,
)
from dagster_cx.defs.drivers import DriverImportanceConfig
from tests.conftest import SAMPLE
from tests.pipeline import published_path_for

SCOPE_KEY = ["framework", "scope_type", "customer_segment", "period_start"]
PLANTED = json.loads((SAMPLE / "MANIFEST.json").read_text())["drivers"]
PLANTED_R2 = {"forces": PLANTED["r2"]["nps_on_force_scores"], "pillars": PLANTED["r2"]["nps_on_pillar_scores"]}
# Measured on the bundled sample and five other seeds of the same size (about 3,450 complete
# cases): the all-scope R^2 exceeds the planted one by +0.028 to +0.052 (mean +0.043, both
# frameworks), with a bootstrap standard error of 0.01. The offset is systematic: the planted
# R^2 is the generator's population model without its context shifts (channel, contact
# reason, reopened, wait, agent), which move NPS and every construct together. 0.07 = mean
# offset + 2.5 standard errors; the suggested 0.05 fails on a third of the seeds.
R2_TOLERANCE = 0.07


def _ols_r_squared(x: np.ndarray, y: np.ndarray) -> float:
    """R^2 of an OLS fit with intercept on raw data (lstsq), 0 for no predictors."""
    design = np.column_stack([np.ones(len(y)), x])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(1 - residual @ residual / ((y - y.mean()) @ (y - y.mean())))


def _lmg_by_refits(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Shapley/LMG by brute force: OLS refits of every subset, averaged over every order of entry."""
    p = x.shape[1]
    fits = {subset: _ols_r_squared(x[:, list(subset)], y)
            for size in range(p + 1) for subset in itertools.combinations(range(p), size)}
    weights = np.zeros(p)
    for order in itertools.permutations(range(p)):
        for position, driver in enumerate(order):
            before = tuple(sorted(order[:position]))
            weights[driver] += fits[tuple(sorted((*before, driver)))] - fits[before]
    return weights / factorial(p)


def _johnson_by_svd(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson from the data's SVD: X_s = U S V' gives the closest orthonormal Z = U V'; regress y on
    Z (beta) and each driver on Z (Lambda), then split each Z's beta^2 by Lambda^2."""
    standardised = (x - x.mean(axis=0)) / x.std(axis=0)
    u, _, vt = np.linalg.svd(standardised, full_matrices=False)
    z = u @ vt
    beta = z.T @ ((y - y.mean()) / y.std())
    lam = z.T @ standardised
    return (lam**2).T @ (beta**2) / len(y) ** 2


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho of two rankings without ties."""
    p = len(a)
    return float(1 - 6 * ((a - b) ** 2).sum() / (p * (p**2 - 1)))


def _correlated_data(rng: np.random.Generator, n: int, coefficients: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Drivers sharing a common factor (as survey constructs do) and an outcome with noise."""
    p = len(coefficients)
    x = rng.normal(size=(n, 1)) + rng.normal(size=(n, p)) * np.linspace(0.5, 1.5, p)
    return x, x @ np.array(coefficients) + rng.normal(scale=2.0, size=n)


# ------------------------------------------------------------------ small, independent cases


@pytest.mark.parametrize(("r12", "r1y", "r2y"), [(0.5, 0.6, 0.3), (-0.4, 0.2, 0.5), (0.8, 0.7, 0.65)])
def test_two_drivers_match_closed_forms(r12, r1y, r2y):
    r_xx, r_xy = np.array([[1.0, r12], [r12, 1.0]]), np.array([r1y, r2y])
    total = (r1y**2 + r2y**2 - 2 * r1y * r2y * r12) / (1 - r12**2)
    # LMG: driver 1 enters first (gain r1y^2) or second (gain R^2 - r2y^2), each in half the orders.
    lmg_1 = (r1y**2 + total - r2y**2) / 2
    # Johnson: the symmetric square root of [[1, r], [r, 1]] is [[a, b], [b, a]] with a^2 + b^2 = 1 and
    # 2ab = r; its inverse is [[a, -b], [-b, a]] / sqrt(1 - r^2).
    a, b = (np.sqrt(1 + r12) + np.sqrt(1 - r12)) / 2, (np.sqrt(1 + r12) - np.sqrt(1 - r12)) / 2
    beta_1, beta_2 = (a * r1y - b * r2y) / np.sqrt(1 - r12**2), (a * r2y - b * r1y) / np.sqrt(1 - r12**2)
    johnson = [a**2 * beta_1**2 + b**2 * beta_2**2, b**2 * beta_1**2 + a**2 * beta_2**2]

    assert r_squared(r_xx, r_xy) == pytest.approx(total)
    assert lmg_weights(r_xx, r_xy) == pytest.approx([lmg_1, total - lmg_1])
    assert johnson_weights(r_xx, r_xy) == pytest.approx(johnson)
    assert sum(johnson) == pytest.approx(total)


def test_orthogonal_drivers_get_their_squared_correlation_from_both_methods():
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(200, 3))
    x = np.linalg.qr(raw - raw.mean(axis=0))[0]  # orthonormal columns spanning centred ones: centred too
    y = x @ [3.0, 2.0, 1.0] + rng.normal(size=200) * 0.05
    r_xx, r_xy = correlations(x, y)
    assert r_xx == pytest.approx(np.eye(3), abs=1e-12)
    assert johnson_weights(r_xx, r_xy) == pytest.approx(r_xy**2, abs=1e-12)
    assert lmg_weights(r_xx, r_xy) == pytest.approx(r_xy**2, abs=1e-12)


def test_four_correlated_drivers_match_ols_refits_over_every_order():
    rng = np.random.default_rng(11)
    x, y = _correlated_data(rng, 300, [1.0, 0.5, 0.0, -0.7])
    brute, johnson_svd = _lmg_by_refits(x, y), _johnson_by_svd(x, y)

    r_xx, r_xy = correlations(x, y)
    ols = _ols_r_squared(x, y)
    assert lmg_weights(r_xx, r_xy) == pytest.approx(brute, abs=1e-10)
    assert johnson_weights(r_xx, r_xy) == pytest.approx(johnson_svd, abs=1e-10)
    assert lmg_weights(r_xx, r_xy).sum() == pytest.approx(ols, abs=1e-10)
    assert johnson_weights(r_xx, r_xy).sum() == pytest.approx(ols, abs=1e-10)
    assert r_squared(r_xx, r_xy) == pytest.approx(ols, abs=1e-10)


def test_driver_importance_uses_complete_cases_and_applies_the_quadrant_rule():
    rng = np.random.default_rng(5)
    x, y = _correlated_data(rng, 400, [2.0, 1.5, 0.1, 0.1])
    means = {"a": 30, "b": 90, "c": 80, "d": 40}  # mean of the means: 60
    frame = pd.DataFrame({name: mean + 5 * x[:, j] for j, (name, mean) in enumerate(means.items())} | {"y": y})
    frame.loc[:9, "c"] = np.nan  # ten incomplete responses
    result = driver_importance(frame, "y", list(means)).set_index("driver")

    complete = frame.dropna()
    assert (result["n_responses"] == len(complete)).all()
    ols = _ols_r_squared(complete[list(means)].to_numpy(), complete["y"].to_numpy())
    assert result["r_squared"].iloc[0] == pytest.approx(ols)
    assert result["performance"].to_dict() == pytest.approx(complete[list(means)].mean().to_dict())
    # Importance: share >= 1/4 (a, b); performance: mean >= the mean of the four means (b, c).
    assert result["quadrant"].to_dict() == {
        "a": "fix first", "b": "keep", "c": "possible overkill", "d": "low priority"}
    assert result["importance_rank"].to_dict() == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert [quadrant(True, True), quadrant(True, False), quadrant(False, False), quadrant(False, True)] == [
        "keep", "fix first", "low priority", "possible overkill"]


STEPS = np.arange(50.0)


@pytest.mark.parametrize(
    ("drivers", "message"),
    [
        (np.column_stack([STEPS, np.full(50, 70.0)]), "constant"),
        (np.column_stack([STEPS, STEPS % 7, STEPS + 2 * (STEPS % 7)]), "singular"),
        (np.column_stack([STEPS[:3], STEPS[:3] ** 2]), "complete cases"),
    ],
    ids=["constant column", "redundant driver", "too few rows"],
)
def test_degenerate_input_is_refused_not_turned_into_nan(drivers, message):
    outcome = np.random.default_rng(0).normal(size=len(drivers))
    with pytest.raises(DegenerateDriverInput, match=message):
        correlations(drivers, outcome)


# ------------------------------------------------------------------ scopes and grain


def _responses(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Synthetic fct_survey_responses columns: two segments, Q1 and Q2 2026, some skipped answers."""
    frame = pd.DataFrame({
        "customer_segment": rng.choice(["consumer", "smb"], n),
        "answered_date": pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 170, n), unit="D"),
    })
    for columns in FRAMEWORKS.values():
        x, y = _correlated_data(rng, n, list(np.linspace(1.0, 0.2, len(columns))))
        frame = frame.assign(**{c: 60 + 8 * x[:, j] for j, c in enumerate(columns.values())})
    frame[OUTCOME] = np.clip(np.round(7 + y), 0, 10)
    frame.loc[rng.random(n) < 0.05, "pillar_empathy_score"] = np.nan
    return frame[list(INPUT_COLUMNS)]


def test_driver_mart_grain_periods_and_skipped_scopes():
    responses = _responses(np.random.default_rng(2), 1200)
    smb_q = responses["customer_segment"] == "smb"
    # Make every smb answer the same Pillars empathy score: that scope must be skipped, not computed.
    responses.loc[smb_q, "pillar_empathy_score"] = 50.0
    mart = driver_mart(responses, min_responses=100, computed_at=datetime(2026, 7, 1, tzinfo=UTC))
    rows = mart.rows

    assert list(rows.columns) == list(MART_COLUMNS)
    assert not rows.isna().any().any()
    assert not rows.duplicated(SCOPE_KEY + ["driver"]).any()
    assert mart.skipped.keys() == {"pillars/segment=smb"} and "constant" in mart.skipped["pillars/segment=smb"]
    assert rows.query("framework == 'pillars' and customer_segment == 'smb'").empty
    quarters = rows[rows["scope_type"] == "quarter"].drop_duplicates("period_start")
    assert sorted(zip(quarters["period_start"], quarters["period_end"], strict=True)) == [
        (date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 6, 30))]
    pillars_all = rows.query("framework == 'pillars' and scope_type == 'all'")
    complete = responses.dropna(subset=[OUTCOME, *FRAMEWORKS["pillars"].values()])
    assert (pillars_all["n_responses"] == len(complete)).all()
    assert pillars_all["period_start"].iloc[0] == complete["answered_date"].min().date()
    assert pillars_all["period_end"].iloc[0] == complete["answered_date"].max().date()

    everything_skipped = driver_mart(responses, min_responses=len(responses) + 1, computed_at=datetime.now(UTC))
    assert everything_skipped.rows.empty and not everything_skipped.computed
    assert set(everything_skipped.skipped) == set(mart.computed) | set(mart.skipped)


def test_quality_suite_allows_exactly_what_the_code_writes():
    suite = json.loads((settings.EXPECTATIONS_DIR / "mart_driver_importance.json").read_text())
    value_sets = {e["kwargs"]["column"]: set(e["kwargs"]["value_set"])
                  for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_in_set"}
    assert value_sets == {"framework": set(FRAMEWORKS), "scope_type": {"all", "segment", "quarter"},
                          "quadrant": set(QUADRANTS.values())}
    [rank] = [e["kwargs"] for e in suite["expectations"] if e["kwargs"].get("column") == "importance_rank"]
    assert (rank["min_value"], rank["max_value"]) == (1, max(len(columns) for columns in FRAMEWORKS.values()))


# ------------------------------------------------------------------ the bundled sample


@pytest.fixture
def sample_mart(sample_db) -> pd.DataFrame:
    return sample_db.execute("select * from marts.mart_driver_importance").df()


@pytest.mark.parametrize("framework", ["forces", "pillars"])
def test_sample_recovers_planted_r_squared_and_driver_order(sample_mart, framework):
    """The all-scope rows recover the planted R^2 within R2_TOLERANCE and the planted order.

    The top three drivers (weights .35 / .25 / .17) are far apart: in order on all six
    measured samples and in at least 96% of bootstrap resamples of each. The two smallest
    (.07 / .04) are not: LMG swapped them on the Pillars of one seed, and resampling the
    bundled sample swaps them in about a quarter of resamples. So: top three in order and
    Spearman's rho >= 0.9 (one swap of neighbours gives 0.94), for LMG and for Johnson.
    """
    rows = sample_mart.query("framework == @framework and scope_type == 'all'").set_index("driver")
    planted_order = PLANTED["importance_order"][framework]
    planted_rank = np.arange(1, len(planted_order) + 1)

    assert abs(rows["r_squared"].iloc[0] - PLANTED_R2[framework]) <= R2_TOLERANCE
    for column in ("lmg_weight", "johnson_weight"):
        order = rows[column].sort_values(ascending=False).index.tolist()
        assert order[:3] == planted_order[:3], column
        rank = np.array([order.index(driver) + 1 for driver in planted_order])
        assert _spearman(rank, planted_rank) >= 0.9, column
    assert rows.loc[planted_order, "importance_rank"].tolist()[:3] == [1, 2, 3]


def test_sample_weights_sum_to_r_squared_in_every_scope(sample_mart):
    for _, scope in sample_mart.groupby(SCOPE_KEY):
        assert len(scope) == len(FRAMEWORKS[scope["framework"].iloc[0]])
        assert scope["johnson_weight"].sum() == pytest.approx(scope["r_squared"].iloc[0], abs=1e-9)
        assert scope["lmg_weight"].sum() == pytest.approx(scope["r_squared"].iloc[0], abs=1e-9)
        assert scope["lmg_share"].sum() == pytest.approx(1.0) and scope["johnson_share"].sum() == pytest.approx(1.0)
        assert sorted(scope["importance_rank"]) == list(range(1, len(scope) + 1))


def _expected_scopes(responses: pd.DataFrame, threshold: int) -> tuple[dict[tuple, pd.DataFrame], dict[tuple, int]]:
    """The complete cases of every framework x scope (all, each segment, each calendar quarter),
    split into those with at least `threshold` of them and the counts of the others."""
    answered = pd.to_datetime(responses["answered_date"])
    kept, below = {}, {}
    for framework, columns in FRAMEWORKS.items():
        scopes = [(("all", "all"), answered.notna())]
        scopes += [(("segment", segment), responses["customer_segment"] == segment)
                   for segment in responses["customer_segment"].unique()]
        scopes += [(("quarter", quarter), answered.dt.to_period("Q") == quarter)
                   for quarter in answered.dt.to_period("Q").unique()]
        for (scope_type, value), mask in scopes:
            complete = responses[mask].dropna(subset=[OUTCOME, *columns.values()])
            dates = pd.to_datetime(complete["answered_date"])
            start = value.start_time.date() if scope_type == "quarter" else dates.min().date()
            key = (framework, scope_type, "all" if scope_type != "segment" else value, start)
            if len(complete) >= threshold:
                kept[key] = complete
            else:
                below[key] = len(complete)
    return kept, below


def test_sample_mart_equals_brute_force_references_for_every_scope_over_the_threshold(
    sample_db, sample_warehouse, sample_mart,
):
    """Each scope with at least the configured minimum of complete cases has the rows that OLS refits
    over every order (LMG), the SVD (Johnson) and plain means (performance) give; no other scope has rows."""
    threshold = DriverImportanceConfig.model_fields["min_responses"].default
    assert threshold == 200 and (sample_mart["min_responses"] == threshold).all()
    responses = sample_db.execute(f"select {', '.join(INPUT_COLUMNS)} from marts.fct_survey_responses").df()
    kept, below = _expected_scopes(responses, threshold)
    mart_scopes = {(framework, scope_type, segment, pd.Timestamp(start).date())
                   for framework, scope_type, segment, start in sample_mart[SCOPE_KEY].drop_duplicates().itertuples(index=False)}
    assert mart_scopes == set(kept) and len(kept) >= 10
    assert not set(below) & mart_scopes

    for (framework, scope_type, segment, start), complete in kept.items():
        names = list(FRAMEWORKS[framework])
        x = complete[list(FRAMEWORKS[framework].values())].to_numpy(float)
        y = complete[OUTCOME].to_numpy(float)
        r2, lmg, johnson, performance = _ols_r_squared(x, y), _lmg_by_refits(x, y), _johnson_by_svd(x, y), x.mean(axis=0)
        rows = sample_mart[(sample_mart["framework"] == framework) & (sample_mart["scope_type"] == scope_type)
                           & (sample_mart["customer_segment"] == segment)
                           & (pd.to_datetime(sample_mart["period_start"]).dt.date == start)].set_index("driver").loc[names]
        label = f"{framework}/{scope_type}/{segment}/{start}"
        assert (rows["n_responses"] == len(complete)).all(), label
        np.testing.assert_allclose(rows["r_squared"], r2, rtol=1e-9, err_msg=label)
        np.testing.assert_allclose(rows["lmg_weight"], lmg, rtol=1e-7, atol=1e-12, err_msg=label)
        np.testing.assert_allclose(rows["johnson_weight"], johnson, rtol=1e-7, atol=1e-12, err_msg=label)
        np.testing.assert_allclose(rows["lmg_share"], lmg / r2, rtol=1e-7, err_msg=label)
        np.testing.assert_allclose(rows["johnson_share"], johnson / r2, rtol=1e-7, err_msg=label)
        np.testing.assert_allclose(rows["performance"], performance, rtol=1e-12, err_msg=label)
        assert rows["importance_rank"].tolist() == list(np.argsort(np.argsort(-lmg, kind="stable")) + 1), label
        important, performing = lmg / r2 >= 1 / len(names) - SHARE_TOLERANCE, performance >= performance.mean()
        assert rows["quadrant"].tolist() == [QUADRANTS[(bool(i), bool(p))] for i, p in zip(important, performing)], label

    with duckdb.connect(str(published_path_for(sample_warehouse)), read_only=True) as published:
        count = published.execute("select count(*) from marts.mart_driver_importance").fetchall()
    assert count == [(len(sample_mart),)]


def test_a_scope_just_under_min_responses_is_skipped_and_only_it(sample_db):
    """n >= min_responses computes a scope, n < min_responses skips it: raised just above the smallest
    scope of the sample, only that scope goes."""
    responses = sample_db.execute(f"select {', '.join(INPUT_COLUMNS)} from marts.fct_survey_responses").df()
    default = driver_mart(responses, 200, datetime.now(UTC))
    smallest = int(default.rows["n_responses"].min())
    stricter = driver_mart(responses, smallest + 1, datetime.now(UTC))
    dropped = set(default.computed) - set(stricter.computed)
    assert dropped and dropped <= set(stricter.skipped)
    assert all(stricter.skipped[label].startswith(f"{smallest} complete cases") for label in dropped)
    assert len(stricter.rows) == len(default.rows) - sum(len(FRAMEWORKS[label.split("/")[0]]) for label in dropped)
    assert stricter.rows["n_responses"].min() > smallest
    assert len(driver_mart(responses, smallest, datetime.now(UTC)).rows) == len(default.rows)


def test_sample_mart_documents_its_table_and_every_column(sample_db):
    comments = dict(sample_db.execute(
        "select column_name, comment from duckdb_columns() "
        "where schema_name = 'marts' and table_name = 'mart_driver_importance'"
    ).fetchall())
    assert set(COLUMN_DESCRIPTIONS) == set(MART_COLUMNS) == set(comments)
    assert comments == COLUMN_DESCRIPTIONS
    table_comment = sample_db.execute(
        "select comment from duckdb_tables() where schema_name = 'marts' and table_name = 'mart_driver_importance'"
    ).fetchall()
    assert table_comment == [(TABLE_DESCRIPTION,)]
