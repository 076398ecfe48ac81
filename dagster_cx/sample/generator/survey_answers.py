"""Survey answers: one row per answered question, drawn from the planted driver model.

What happened to the customer (channel, reason, reopened or repeat contact, wait, agent)
shifts the latent scores before the items are drawn; the population model without these
shifts (driver_model) is the truth the tests hold the warehouse's driver marts to.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from dagster_cx.contract import EMOTIONS, PILLARS, SURVEY_ANSWERS, SURVEY_KINDS
from dagster_cx.sample.generator.catalog import _COMMENT_COL, _CSAT_COL, _EMOTION_COL, _SKIP_RATE, QUESTION_CATALOG
from dagster_cx.sample.generator.columns import _pick, _table
from dagster_cx.sample.generator.comments import _comments
from dagster_cx.sample.generator.contacts import _WAIT_MEDIAN
from dagster_cx.sample.generator.driver_model import _draw_latent, _score_items
from dagster_cx.sample.generator.period import DAY, Columns
from dagster_cx.sample.generator.random_streams import _draw

_CHANNEL_SHIFT = np.array([0.12, 0.08, -0.30, 0.0, -0.35, 0.05, 0.10, 0.0])  # by CHANNELS
_KIND_SHIFT = np.array([-0.15, 0.0, -0.10])  # by SURVEY_KINDS
_SEGMENT_SHIFT = np.array([0.0, 0.0, -0.10])
_REASON_SHIFT = np.array([-0.10, -0.10, -0.05, 0.0, -0.35, -0.40, 0.05])
_CHURNER_SHIFT = -0.35
_AGENT_SD = 0.25
_EMOTION_P = np.array([  # rows: detractor, passive, promoter; columns: EMOTIONS
    [0.02, 0.03, 0.14, 0.06, 0.20, 0.20, 0.33, 0.02],
    [0.12, 0.25, 0.06, 0.14, 0.10, 0.04, 0.06, 0.23],
    [0.42, 0.33, 0.01, 0.10, 0.01, 0.00, 0.01, 0.12],
])
_EMOTION_ANSWER_RATE = 0.70
_COMMENT_RATE = np.array([0.42, 0.25, 0.27])  # by detractor, passive, promoter


def _experience_shift(rng: np.random.Generator, resp: Columns, cust: Columns, con: Columns) -> np.ndarray:
    """How what happened moves each response's six Pillar scores (n x 6, PILLARS order).

    General: channel, survey kind, segment, contact reason, a customer about to churn.
    Specific: a reopened or repeated contact hurts resolution and effort, a long wait hurts
    effort, the agent (each has a fixed quality) moves empathy, personalisation, resolution.
    """
    c = resp["contact"]
    has = c >= 0
    general = (_CHANNEL_SHIFT[resp["channel"]] + _KIND_SHIFT[resp["kind"]]
               + _SEGMENT_SHIFT[cust["segment"][resp["customer"]]]
               + _CHURNER_SHIFT * cust["churned"][resp["customer"]]
               + np.where(has, _REASON_SHIFT[con["reason"][c]], 0.0))
    shift = np.repeat(general[:, None], 6, axis=1)
    reopened = has & (con["reopen"][c] > 0)
    repeated = has & con["had_repeat"][c]
    ch = np.where(has, con["channel"][c], 0)
    wait = con["first_replied"][c] - con["queue_entered"][c]
    slow = np.where(has & ~np.isnan(wait), np.clip(np.log(np.maximum(wait, 1) / _WAIT_MEDIAN[ch]), -2, 3), 0.0)
    escalated = has & (con["first_resolved"][c] - con["created"][c] > DAY)
    quality = rng.normal(0.0, _AGENT_SD, int(con["agent"].max()) + 1)
    agent = np.where(has, con["agent"][c], -1)
    agent_effect = np.where(agent >= 0, quality[np.maximum(agent, 0)], 0.0)
    p = {name: PILLARS.index(name) for name in PILLARS}
    shift[:, p["resolution"]] += -0.6 * reopened - 0.6 * repeated + 0.5 * agent_effect
    shift[:, p["time_and_effort"]] += -0.4 * reopened - 0.4 * repeated - 0.25 * slow - 0.3 * escalated
    shift[:, p["expectations"]] += -0.3 * reopened
    shift[:, p["empathy"]] += agent_effect
    shift[:, p["personalisation"]] += 0.7 * agent_effect
    return shift


def _emotions(rng: np.random.Generator, group: np.ndarray, advocacy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Emotion index (-1 = not answered) and intensity 1-3 (stronger for extreme experiences)."""
    n = len(group)
    emotion = _draw(rng, np.cumsum(_EMOTION_P, axis=1)[group])
    emotion[rng.random(n) >= _EMOTION_ANSWER_RATE] = -1
    strength = np.abs(advocacy - 0.3) + 0.5 * rng.standard_normal(n)
    return emotion, 1.0 + (strength > 0.6) + (strength > 1.4)


def _answers_table(rng: np.random.Generator, response_ids: pa.Array, kind: np.ndarray, language: np.ndarray,
                   shift: np.ndarray, email: pa.Array) -> pa.Table:
    """All answers of one month's responses, one row per answered question, response by response."""
    n = len(kind)
    pillars, forces, advocacy = _draw_latent(rng, shift)
    scored = _score_items(rng, pillars, forces, advocacy)
    group = (scored[:, 0] >= 7).astype(np.int64) + (scored[:, 0] >= 9)
    skipped = rng.random(scored.shape) < _SKIP_RATE
    skipped[:, _CSAT_COL] |= kind == SURVEY_KINDS.index("relationship")
    emotion, intensity = _emotions(rng, group, advocacy)
    commented = rng.random(n) < _COMMENT_RATE[group]
    comments = _comments(rng, language[commented], group[commented], email.filter(pa.array(commented)))

    values = np.column_stack([np.where(skipped, np.nan, scored), np.where(emotion >= 0, intensity, np.nan),
                              np.where(commented, 0.0, np.nan)])
    row, col = np.nonzero(~np.isnan(values))
    is_emotion, is_comment = col == _EMOTION_COL, col == _COMMENT_COL
    texts = pa.concat_arrays([_pick(EMOTIONS, emotion[emotion >= 0]), comments])
    text_index = np.where(is_emotion, np.cumsum(emotion >= 0)[row] - 1,
                          (emotion >= 0).sum() + np.cumsum(commented)[row] - 1)
    return _table(SURVEY_ANSWERS, {
        "response_id": response_ids.take(pa.array(row)),
        "question_id": _pick([q.question_id for q in QUESTION_CATALOG], col),
        "answer_value": pa.array(values[row, col], pa.float64(), mask=is_comment),
        "answer_text": texts.take(pa.array(text_index, pa.int64(), mask=~(is_emotion | is_comment))),
    })
