"""Key-driver analysis: how much of NPS each construct explains, when the constructs correlate.

Plain regression coefficients mislead here: the Forces (and the Pillars) correlate, so a
coefficient depends on which other drivers are in the model and can even flip sign. Both
methods below split the model's R^2 into non-negative parts that sum to it:

- Johnson's relative weights (1966/2000; Qualtrics Stats iQ's "relative importance"):
  regress on the orthogonal variables closest to the drivers, then map back.
- Shapley values / LMG (Lindeman, Merenda and Gold 1980; R package relaimpo): a driver's
  average R^2 gain over every order of entering the drivers; exact, 2^p regressions.

Both work from the correlation matrix alone, so they are invariant to the 0-100 and 0-10
scales and need one pass over the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial

import numpy as np
import pandas as pd

# Below this ratio of smallest to largest eigenvalue of R_xx a driver is (nearly) a linear
# combination of the others: the split of R^2 would be noise, so the input is refused.
MIN_EIGENVALUE_RATIO = 1e-10
# 2^p subset regressions: instant for a framework's 6 drivers, 4,096 at 12, prohibitive soon after.
MAX_LMG_DRIVERS = 12

# Equal shares (1/p each) must all count as important, whatever the last bit of rounding.
SHARE_TOLERANCE = 1e-12

# (important, performing) -> what to do about the driver.
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, False): "fix first",
    (True, True): "keep",
    (False, False): "low priority",
    (False, True): "possible overkill",
}


class DegenerateDriverInput(ValueError):
    """The data cannot support a driver analysis (too few rows, a constant or redundant column)."""


def correlations(
    drivers: np.ndarray, outcome: np.ndarray, names: Sequence[str] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Correlation matrix of the drivers (R_xx) and their correlations with the outcome (r_xy).

    Refuses what would give NaN or arbitrary weights: fewer rows than p + 2 (no residual
    degree of freedom), a constant column (correlation undefined) or a singular R_xx.
    `names` (drivers, then outcome) only label the reason.
    """
    n, p = drivers.shape
    labels = list(names) or [*(f"driver {j}" for j in range(p)), "outcome"]
    if n < p + 2:
        raise DegenerateDriverInput(f"{n} complete cases for {p} drivers: at least {p + 2} are needed")
    data = np.column_stack([drivers, outcome]).astype(np.float64)
    constant = np.flatnonzero(data.std(axis=0) == 0)
    if constant.size:
        raise DegenerateDriverInput(f"constant column(s): {', '.join(labels[j] for j in constant)}")
    full = np.corrcoef(data, rowvar=False)
    r_xx, r_xy = full[:p, :p], full[:p, p]
    eigenvalues = np.linalg.eigvalsh(r_xx)
    if eigenvalues[0] <= MIN_EIGENVALUE_RATIO * eigenvalues[-1]:
        raise DegenerateDriverInput("the drivers' correlation matrix is singular (a driver is redundant)")
    return r_xx, r_xy


def r_squared(r_xx: np.ndarray, r_xy: np.ndarray) -> float:
    """R^2 of the standardised regression: r_xy' R_xx^-1 r_xy."""
    return float(r_xy @ np.linalg.solve(r_xx, r_xy))


def johnson_weights(r_xx: np.ndarray, r_xy: np.ndarray) -> np.ndarray:
    """Johnson's relative weights eps_j; they sum to R^2.

    R_xx = Q L Q' and Lambda = Q L^(1/2) Q' (the symmetric square root) relates the drivers
    to their closest orthogonal counterparts Z; beta = Lambda^-1 r_xy regresses the outcome
    on Z, and eps_j = sum_k Lambda_jk^2 beta_k^2 gives each Z's share back to the drivers
    in proportion to how much of Z each driver holds.
    """
    eigenvalues, eigenvectors = np.linalg.eigh(r_xx)
    lam = eigenvectors @ np.diag(np.sqrt(eigenvalues)) @ eigenvectors.T
    beta = np.linalg.solve(lam, r_xy)
    return (lam**2) @ (beta**2)


def subset_r_squared(r_xx: np.ndarray, r_xy: np.ndarray) -> np.ndarray:
    """R^2 of the regression on every subset of drivers, indexed by bitmask (bit j = driver j).

    From correlations: R^2(S) = r_S' R_SS^-1 r_S, so no data pass per subset.
    """
    p = len(r_xy)
    if p > MAX_LMG_DRIVERS:
        raise ValueError(f"LMG needs 2^p regressions: {p} drivers is more than {MAX_LMG_DRIVERS}")
    result = np.zeros(2**p)
    for mask in range(1, 2**p):
        members = [j for j in range(p) if mask >> j & 1]
        result[mask] = r_squared(r_xx[np.ix_(members, members)], r_xy[members])
    return result


def lmg_weights(r_xx: np.ndarray, r_xy: np.ndarray) -> np.ndarray:
    """Shapley values of R^2 (LMG); they sum to R^2.

    Averaging driver j's gain over all p! entry orders equals weighting its gain over each
    subset S without j by |S|! (p - |S| - 1)! / p!, the share of orders in which exactly S
    comes before j.
    """
    p = len(r_xy)
    subsets = subset_r_squared(r_xx, r_xy)
    weight = [factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)]
    result = np.zeros(p)
    for mask in range(2**p):
        size = mask.bit_count()
        for j in range(p):
            if not mask >> j & 1:
                result[j] += weight[size] * (subsets[mask | 1 << j] - subsets[mask])
    return result


def quadrant(important: bool, performing: bool) -> str:
    """Importance x performance action grid: act first where a driver matters and scores low."""
    return QUADRANTS[(important, performing)]


def complete_cases(frame: pd.DataFrame, outcome: str, drivers: Sequence[str]) -> pd.DataFrame:
    """Listwise deletion: the rows with the outcome and every driver present.

    Every R^2 (full model and each subset) must come from the same respondents for the parts
    to add up; pairwise deletion can even give a correlation matrix that is not positive
    definite. The price: a respondent who skipped one construct question drops out entirely.
    """
    return frame.dropna(subset=[outcome, *drivers])


def driver_importance(frame: pd.DataFrame, outcome: str, drivers: Sequence[str]) -> pd.DataFrame:
    """Relative importance and performance of each driver, one row per driver.

    Runs on the complete cases of `frame` (see complete_cases); `n_responses` is their count.
    `importance_rank` (1 = most important) follows LMG, the exact Shapley split of R^2, of
    which Johnson's weights are a fast approximation; shares are weights / R^2.

    Quadrant rule: a driver is important when its share of R^2 is at least the average share
    1/p, and performs well when its mean score (0-100, same complete cases) is at least the
    mean of the drivers' mean scores.

    Raises DegenerateDriverInput when the complete cases cannot support the analysis.
    """
    complete = complete_cases(frame, outcome, drivers)
    x = complete[list(drivers)].to_numpy(np.float64)
    y = complete[outcome].to_numpy(np.float64)
    r_xx, r_xy = correlations(x, y, [*drivers, outcome])
    explained = r_squared(r_xx, r_xy)
    if explained <= 0:
        raise DegenerateDriverInput("the drivers explain none of the outcome's variance: no shares to split")
    johnson = johnson_weights(r_xx, r_xy)
    lmg = lmg_weights(r_xx, r_xy)
    performance = x.mean(axis=0)
    lmg_share = lmg / explained
    p = len(drivers)
    rank = np.empty(p, dtype=np.int64)
    rank[np.argsort(-lmg, kind="stable")] = np.arange(1, p + 1)
    return pd.DataFrame({
        "driver": list(drivers),
        "n_responses": len(complete),
        "r_squared": explained,
        "johnson_weight": johnson,
        "johnson_share": johnson / explained,
        "lmg_weight": lmg,
        "lmg_share": lmg_share,
        "importance_rank": rank,
        "performance": performance,
        "quadrant": [
            quadrant(bool(s >= 1 / p - SHARE_TOLERANCE), bool(m >= performance.mean()))
            for s, m in zip(lmg_share, performance, strict=True)
        ],
    })
