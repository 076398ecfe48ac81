"""Seeded random streams, one per part, and the draws every entity builder shares.

Each part of the data draws from a stream of its own, numbered by its place in
_ENTITY_PARTS, so adding or changing one part leaves the other parts' files byte-identical.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 20260101

# Each part draws from its own stream; a new part goes last, so the others' files stay byte-identical.
_ENTITY_PARTS = ("customers", "contacts", "churn", "survey_responses", "survey_answers", "bad_rows",
                 "survey_opt_outs", "priority", "contact_history", "history_bad_rows", "record_misses")


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent random stream per part, so changing one part leaves the others unchanged."""
    return np.random.default_rng([seed, _ENTITY_PARTS.index(part)])


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float,
               n: int) -> np.ndarray:
    """Lognormal draws given the median and the log-scale sigma."""
    return median * np.exp(sigma * rng.standard_normal(n))


def _draw(rng: np.random.Generator, cumulative: np.ndarray) -> np.ndarray:
    """One category per row from row-wise cumulative probabilities (n x k)."""
    return (rng.random(len(cumulative))[:, None] > cumulative[:, :-1]).sum(axis=1)


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k indices drawn without replacement with probability proportional to weights (Efraimidis-Spirakis).

    Returned in ascending order: the order argpartition leaves them in depends on the CPU's
    SIMD sort, and the caller's later draws follow this order.
    """
    keys = np.log(rng.random(len(weights))) / weights
    return np.sort(np.argpartition(-keys, k - 1)[:k]) if k < len(weights) else np.arange(len(weights))
