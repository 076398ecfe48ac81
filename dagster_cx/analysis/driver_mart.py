"""The rows of marts.mart_driver_importance: key-driver analysis per framework and scope.

Scopes are the whole sample, each customer segment and each calendar quarter, for the
Forces and for the Pillars separately (each framework is its own regression of NPS). A
scope with fewer complete cases than `min_responses`, or whose data cannot support the
analysis, gets no rows and a reason instead: a missing row is honest, a noisy one is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from dagster_cx.analysis.driver_importance import DegenerateDriverInput, complete_cases, driver_importance
from dagster_cx.contract import FORCES, PILLARS

OUTCOME = "nps_score"
FRAMEWORKS: dict[str, dict[str, str]] = {
    "forces": {c: f"force_{c}_score" for c in FORCES},
    "pillars": {c: f"pillar_{c}_score" for c in PILLARS},
}
SCOPE_COLUMNS = ("customer_segment", "answered_date")
INPUT_COLUMNS = (*SCOPE_COLUMNS, OUTCOME, *(c for columns in FRAMEWORKS.values() for c in columns.values()))
# The mart's columns and DuckDB types: the table is cast to these, so its schema does not
# depend on pandas dtypes and is the same when every scope is skipped. `min_responses` is the
# threshold of the run that wrote the row, so the quality suite can check n_responses against
# it whatever an operator set in the launchpad.
MART_COLUMNS: dict[str, str] = {
    "framework": "varchar",
    "scope_type": "varchar",
    "customer_segment": "varchar",
    "period_start": "date",
    "period_end": "date",
    "driver": "varchar",
    "n_responses": "integer",
    "r_squared": "double",
    "johnson_weight": "double",
    "johnson_share": "double",
    "lmg_weight": "double",
    "lmg_share": "double",
    "importance_rank": "integer",
    "performance": "double",
    "quadrant": "varchar",
    "min_responses": "integer",
    "computed_at": "timestamptz",
}

# Written to the warehouse as table and column comments (BI tools and `describe` show them)
# and to the asset's column schema in Dagster: the dbt YAML of a Python-built mart.
TABLE_DESCRIPTION = (
    "Key-driver analysis of NPS: per framework (Forces, Pillars) and scope (all responses, each segment, "
    "each quarter), R^2 of the 0-10 recommendation score on the six construct scores and each driver's "
    "Johnson relative weight and Shapley/LMG weight (each set sums to R^2), share, performance and quadrant. "
    "Complete cases only; scopes below min_responses get no rows."
)
COLUMN_DESCRIPTIONS: dict[str, str] = {
    "framework": "forces or pillars; each is its own regression of NPS.",
    "scope_type": "all, segment (one customer_segment) or quarter (one calendar quarter).",
    "customer_segment": "The segment for scope_type segment, else 'all'.",
    "period_start": "First day of the quarter (quarter scopes), else the first answered_date analysed.",
    "period_end": "Last day of the quarter (quarter scopes), else the last answered_date analysed.",
    "driver": "The Force or Pillar (e.g. fairness, integrity).",
    "n_responses": "Complete cases analysed (NPS and all six construct scores present).",
    "r_squared": "Share of NPS variance the framework's six scores explain (OLS), 0-1.",
    "johnson_weight": "Johnson's relative weight; the six sum to r_squared.",
    "johnson_share": "johnson_weight / r_squared; the six sum to 1.",
    "lmg_weight": "Shapley/LMG average R^2 gain over all entry orders; the six sum to r_squared.",
    "lmg_share": "lmg_weight / r_squared; the six sum to 1.",
    "importance_rank": "Rank by lmg_weight within the scope, 1 = most important.",
    "performance": "Mean construct score (0-100) over the same complete cases.",
    "quadrant": "fix first (important, low score), keep (important, high), low priority (less important, low), "
    "possible overkill (less important, high); important = lmg_share >= 1/6, high = performance >= the "
    "scope's mean performance.",
    "min_responses": "The threshold in force when the row was written; n_responses >= min_responses.",
    "computed_at": "When the run computed the row (UTC); the same for every row of a run.",
}


@dataclass(frozen=True)
class Scope:
    """One slice of responses analysed on its own."""

    framework: str
    scope_type: str  # all, segment or quarter
    customer_segment: str  # the segment, or 'all'
    quarter: pd.Period | None = None

    @property
    def label(self) -> str:
        detail = {"all": "", "segment": f"={self.customer_segment}", "quarter": f"={self.quarter}"}[self.scope_type]
        return f"{self.framework}/{self.scope_type}{detail}"


@dataclass(frozen=True)
class DriverMart:
    """The mart's rows, and which scopes were computed or skipped (label -> reason)."""

    rows: pd.DataFrame
    computed: list[str]
    skipped: dict[str, str]


def _scopes(framework: str, responses: pd.DataFrame, quarters: pd.Series) -> Iterator[tuple[Scope, pd.Series]]:
    """Every scope with its row mask; enumerated from all responses so empty ones are reported too."""
    yield Scope(framework, "all", "all"), pd.Series(True, index=responses.index)
    for segment in sorted(responses["customer_segment"].dropna().unique()):
        yield Scope(framework, "segment", segment), responses["customer_segment"] == segment
    for quarter in sorted(quarters.unique()):
        yield Scope(framework, "quarter", "all", quarter), quarters == quarter


def _period(scope: Scope, answered: pd.Series) -> tuple[date, date]:
    """A quarter's first and last day; otherwise the first and last answer date analysed."""
    if scope.quarter is not None:
        return scope.quarter.start_time.date(), scope.quarter.end_time.date()
    return answered.min().date(), answered.max().date()


def driver_mart(responses: pd.DataFrame, min_responses: int, computed_at: datetime) -> DriverMart:
    """Key-driver rows for every framework x scope with at least `min_responses` complete cases.

    `responses` holds INPUT_COLUMNS, one row per survey response (marts.fct_survey_responses).
    """
    answered = pd.to_datetime(responses["answered_date"])
    quarters = answered.dt.to_period("Q")
    frames: list[pd.DataFrame] = []
    computed: list[str] = []
    skipped: dict[str, str] = {}
    for framework, columns in FRAMEWORKS.items():
        for scope, mask in _scopes(framework, responses, quarters):
            scoped = complete_cases(responses[mask], OUTCOME, list(columns.values()))
            if len(scoped) < min_responses:
                skipped[scope.label] = f"{len(scoped)} complete cases, fewer than min_responses={min_responses}"
                continue
            try:
                drivers = driver_importance(scoped, OUTCOME, list(columns.values()))
            except DegenerateDriverInput as reason:
                skipped[scope.label] = str(reason)
                continue
            period_start, period_end = _period(scope, answered[scoped.index])
            frames.append(drivers.assign(
                driver=drivers["driver"].map({column: name for name, column in columns.items()}),
                framework=framework,
                scope_type=scope.scope_type,
                customer_segment=scope.customer_segment,
                period_start=period_start,
                period_end=period_end,
                min_responses=min_responses,
                computed_at=computed_at,
            )[list(MART_COLUMNS)])
            computed.append(scope.label)
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(MART_COLUMNS))
    return DriverMart(rows, computed, skipped)
