"""The planted key-driver model of the survey answers: the known truth the warehouse is tested against.

Latent model of the survey answers (one structure, two frameworks):
- Six Pillar scores per response: a shared general factor plus a specific part, shifted by
  what happened (channel, contact reason, reopened, repeat contact, wait, agent).
- Latent advocacy = sum of PILLAR_WEIGHTS * pillar + "mood" noise (KPMG's outside third);
  the 0-10 recommendation score is clip(round(NPS_INTERCEPT + NPS_SLOPE * advocacy)).
- Six Force scores = FORCE_LOADINGS * advocacy + correlated noise, with the loadings chosen
  so that the population regression of advocacy (and, since the noise is independent of it,
  of any function of it such as the 0-10 score) on the Forces is proportional to
  FORCE_WEIGHTS.
- Every Likert item is its construct plus item noise, cut into the scale's categories and
  flipped when reverse-coded. The three most important constructs of each framework get two
  items, the others one, so measurement error widens rather than blurs the planted order.
  Johnson's relative weights on the item-based scores reproduce the full order about 9 in
  10 times per framework at the bundled sample's size (~3,500 complete responses), the two
  smallest drivers being the ones that can swap (in the bundled sample the two smallest
  Pillars, empathy and personalisation, do), and the full order in every larger size.

The weights and R^2 are written to MANIFEST.json; simulate_r2 recomputes PLANTED_R2.
"""

from __future__ import annotations

import numpy as np

from dagster_cx.contract import FORCES, PILLARS
from dagster_cx.sample.generator.catalog import _SCORED

# Relative weights (sum 1): the population regression of the recommendation score on the
# latent construct scores has coefficients in this proportion, so this is the true order.
PILLAR_WEIGHTS: dict[str, float] = {
    "integrity": 0.35,
    "resolution": 0.25,
    "expectations": 0.17,
    "time_and_effort": 0.12,
    "empathy": 0.07,
    "personalisation": 0.04,
}
FORCE_WEIGHTS: dict[str, float] = {
    "fairness": 0.35,
    "certainty": 0.25,
    "enjoyment": 0.17,
    "control": 0.12,
    "belonging": 0.07,
    "status": 0.04,
}
PILLAR_SHARED = 0.35  # share of each pillar's variance from the general factor
LATENT_R2_PILLARS = 0.79  # advocacy explained by the six latent pillars (before measurement)
LATENT_R2_FORCES = 0.71  # advocacy explained by the six latent forces
FORCE_NOISE_VAR, FORCE_NOISE_SHARED = 0.45, 0.15
NPS_INTERCEPT, NPS_SLOPE = 8.9, 2.5  # 0-10 score = clip(round(intercept + slope * advocacy))
ITEM_LOADING = 0.9  # an item is loading * construct + noise
R2_SIMULATION_SEED, R2_SIMULATION_DRAWS = 7, 1_000_000

_W_P = np.array([PILLAR_WEIGHTS[p] for p in PILLARS])
_W_F = np.array([FORCE_WEIGHTS[f] for f in FORCES])
_SIGMA_P = (1 - PILLAR_SHARED) * np.eye(6) + PILLAR_SHARED
_EXPLAINED_P = float(_W_P @ _SIGMA_P @ _W_P)
_ADVOCACY_SD = np.sqrt(_EXPLAINED_P / LATENT_R2_PILLARS)
_MOOD_SD = np.sqrt(_EXPLAINED_P / LATENT_R2_PILLARS - _EXPLAINED_P)
_SIGMA_ETA = FORCE_NOISE_VAR * ((1 - FORCE_NOISE_SHARED) * np.eye(6) + FORCE_NOISE_SHARED)
_KAPPA = np.sqrt(LATENT_R2_FORCES / (1 - LATENT_R2_FORCES) / float(_W_F @ _SIGMA_ETA @ _W_F))
FORCE_LOADINGS = _KAPPA * _SIGMA_ETA @ _W_F  # regression of advocacy on forces = Sigma_eta^-1 c ∝ w
_ETA_CHOL = np.linalg.cholesky(_SIGMA_ETA)

# R^2 of the 0-10 score regressed on the construct scores as the warehouse computes them
# (mean of the items rescaled to 0-100): simulate_r2() on R2_SIMULATION_DRAWS draws with
# R2_SIMULATION_SEED, without context shifts; the latent values are exact by construction.
PLANTED_R2: dict[str, float] = {
    "nps_on_pillar_scores": 0.665,
    "nps_on_force_scores": 0.600,
    "advocacy_on_latent_pillars": LATENT_R2_PILLARS,
    "advocacy_on_latent_forces": LATENT_R2_FORCES,
}

# Category cut points on the item's latent scale (about standard normal), skewed to
# agreement; shares are before context shifts, which pull the sample's means down a little.
_CUTS_5 = np.array([-1.751, -1.227, -0.583, 0.305])  # 4 / 7 / 17 / 34 / 38 %
_CUTS_7 = np.array([-1.881, -1.476, -1.126, -0.674, -0.126, 0.674])  # 3/4/6/12/20/30/25 %
_CSAT_CUTS = np.array([-2.0, -1.655, -1.092, -0.25])  # top-2-box 86 % (sample: about 78 %)
_CES_CUTS = np.array([-2.05, -1.705, -1.38, -0.824, -0.174, 0.542])  # 5-7 "easy" 79 % (sample: about 69 %)


def _draw_latent(rng: np.random.Generator, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latent Pillar scores, Force scores and advocacy (standardised) for len(shift) responses."""
    n = len(shift)
    general = rng.standard_normal(n)
    pillars = (np.sqrt(PILLAR_SHARED) * general[:, None]
               + np.sqrt(1 - PILLAR_SHARED) * rng.standard_normal((n, 6)) + shift)
    advocacy = (pillars @ _W_P + _MOOD_SD * rng.standard_normal(n)) / _ADVOCACY_SD
    forces = advocacy[:, None] * FORCE_LOADINGS + rng.standard_normal((n, 6)) @ _ETA_CHOL.T
    return pillars, forces, advocacy


def _likert(rng: np.random.Generator, latent: np.ndarray, cuts: np.ndarray, low: int, reverse: bool) -> np.ndarray:
    """An agreement item: construct plus item noise, cut into categories, flipped if reverse-coded."""
    noisy = ITEM_LOADING * latent + np.sqrt(1 - ITEM_LOADING**2) * rng.standard_normal(len(latent))
    value = low + np.searchsorted(cuts, noisy).astype(np.float64)
    return 2 * low + len(cuts) - value if reverse else value


def _score_items(rng: np.random.Generator, pillars: np.ndarray, forces: np.ndarray,
                 advocacy: np.ndarray) -> np.ndarray:
    """Every scored question's answer (n x len(_SCORED)), before skips."""
    columns = []
    for q in _SCORED:
        if q.measure == "nps":
            columns.append(np.clip(np.rint(NPS_INTERCEPT + NPS_SLOPE * advocacy), 0, 10))
        elif q.measure == "csat":
            columns.append(_likert(rng, advocacy, _CSAT_CUTS, 1, False))
        elif q.measure == "ces":
            columns.append(_likert(rng, pillars[:, PILLARS.index("time_and_effort")], _CES_CUTS, 1, False))
        elif q.measure == "force":
            columns.append(_likert(rng, forces[:, FORCES.index(q.construct)], _CUTS_5, 1, q.reverse))
        else:
            columns.append(_likert(rng, pillars[:, PILLARS.index(q.construct)], _CUTS_7, 1, q.reverse))
    return np.column_stack(columns)


def simulate_r2(draws: int = R2_SIMULATION_DRAWS, seed: int = R2_SIMULATION_SEED) -> dict[str, float]:
    """R^2 of the 0-10 score on the Pillar and on the Force construct scores, as the warehouse computes them.

    Construct score = mean of the construct's items (reverse-coded ones flipped back),
    rescaled to 0-100; no context shifts and no skipped questions (the population model).
    """
    rng = np.random.default_rng(seed)
    scored = _score_items(rng, *_draw_latent(rng, np.zeros((draws, 6))))
    nps = scored[:, 0]
    result = {}
    for measure, constructs in (("pillar", PILLARS), ("force", FORCES)):
        scores = []
        for construct in constructs:
            items = [(j, q) for j, q in enumerate(_SCORED) if q.construct == construct]
            low, high = items[0][1].scale
            values = [low + high - scored[:, j] if q.reverse else scored[:, j] for j, q in items]
            scores.append((np.mean(values, axis=0) - low) / (high - low) * 100)
        design = np.column_stack([np.ones(draws)] + scores)
        residual = nps - design @ np.linalg.lstsq(design, nps, rcond=None)[0]
        result[f"nps_on_{measure}_scores"] = round(float(1 - residual.var() / nps.var()), 3)
    return result
