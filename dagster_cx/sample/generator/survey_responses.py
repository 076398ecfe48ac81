"""Survey responses: transactional (after a resolved contact), relationship and delayed ones.

A response's kind, touchpoint and time follow from its customer and, for transactional
ones, its contact; the answers are drawn separately (survey_answers).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from dagster_cx.contract import CHANNELS, JOURNEY_STAGES, SURVEY_KINDS, SURVEY_RESPONSES
from dagster_cx.sample.generator.catalog import (
    _RELATIONSHIP_TP_SHARES,
    _RELATIONSHIP_TPS,
    _SUPPORT_TP_BY_CHANNEL,
    _TP_CHANNEL,
    _TP_INDEX,
    _TP_STAGE,
    TOUCHPOINTS,
)
from dagster_cx.sample.generator.columns import _ids, _pick, _table, _timestamps
from dagster_cx.sample.generator.contacts import _RESPONSE_HOURS, QUEUES, REASONS
from dagster_cx.sample.generator.customers import LANGUAGES
from dagster_cx.sample.generator.period import DAY, Columns, _Period
from dagster_cx.sample.generator.random_streams import _lognormal, _weighted_sample
from dagster_cx.sample.generator.zones import _local_to_utc, _utc_to_local

_KIND_SHARES = {"transactional": 0.55, "relationship": 0.35}  # delayed: the rest
_SURVEY_RESPONSE_PROPENSITY = np.array([0.8, 1.0, 1.2, 0.9, 0.5])  # by contact channel


def _support_touchpoints(con: Columns, contacts: np.ndarray) -> np.ndarray:
    """The touchpoint a contact happened at: the support channel's, or the retention call."""
    touchpoint = _SUPPORT_TP_BY_CHANNEL[con["channel"][contacts]]
    retention_call = ((con["queue"][contacts] == QUEUES.index("retention"))
                      & (con["channel"][contacts] == CHANNELS.index("phone")))
    touchpoint[retention_call] = _TP_INDEX["TP17"]
    return touchpoint


def _responses(rng: np.random.Generator, n: int, cust: Columns, con: Columns, period: _Period) -> Columns:
    """Transactional (after a resolved contact), relationship and delayed responses, sorted by answer time."""
    n_tx = round(n * _KIND_SHARES["transactional"])
    n_rel = round(n * _KIND_SHARES["relationship"])
    cutoff = period.cutoff_s
    resolved_human = ~np.isnan(con["resolved"]) & ~con["ivr_only"]

    churn_day = cust["churn_day"][con["customer"]]
    candidates = np.flatnonzero(resolved_human & (con["resolved"] + 48 * 3600 <= cutoff)
                                & (churn_day > (con["resolved"] - period.start_s) / DAY + 3))
    tx = candidates[_weighted_sample(rng, _SURVEY_RESPONSE_PROPENSITY[con["channel"][candidates]], n_tx)]
    tx_sent = con["resolved"][tx] + np.floor(60 + 3540 * rng.random(len(tx)))
    tx_answered = tx_sent + np.minimum(np.round(_lognormal(rng, 2 * 3600.0, 1.2, len(tx))),
                                       con["resolved"][tx] + 48 * 3600 - tx_sent)

    delay = np.floor((60 + 30 * rng.random(len(con["day"]))) * DAY)
    delayed_at = con["created"] + delay
    candidates = np.flatnonzero(resolved_human & (delayed_at <= cutoff)
                                & (churn_day > con["day"] + delay / DAY + 1))
    moment = (1 + 2 * (con["reason"][candidates] == REASONS.index("complaint"))
              + (con["reason"][candidates] == REASONS.index("cancellation")) + (con["reopen"][candidates] > 0))
    dl = candidates[_weighted_sample(rng, moment.astype(np.float64), n - n_tx - n_rel)]
    dl_answered = delayed_at[dl]
    dl_sent = dl_answered - np.minimum(np.round(_lognormal(rng, 6 * 3600.0, 1.0, len(dl))), 3 * DAY)

    rel_customer = rng.integers(0, len(cust["segment"]), n_rel)
    rel_day = rng.integers(0, period.n_days, n_rel)
    gone = cust["churn_day"][rel_customer] <= rel_day
    active = np.flatnonzero(~cust["churned"])
    rel_customer[gone] = active[rng.integers(0, len(active), gone.sum())]
    rel_hour = rng.choice(24, n_rel, p=_RESPONSE_HOURS / _RESPONSE_HOURS.sum())
    rel_tod = rel_hour * 3600 + np.floor(rng.random(n_rel) * 3600)
    rel_answered = _local_to_utc(period.start_s + rel_day * DAY + rel_tod, cust["zone"][rel_customer])
    rel_sent = rel_answered - np.minimum(np.round(_lognormal(rng, 20 * 3600.0, 1.0, n_rel)), 10 * DAY)
    rel_tp = _RELATIONSHIP_TPS[rng.choice(len(_RELATIONSHIP_TPS), n_rel, p=_RELATIONSHIP_TP_SHARES)]
    rel_tp[rel_day - cust["signup_day"][rel_customer] < 60] = _TP_INDEX["TP07"]

    touchpoint = np.concatenate([_support_touchpoints(con, tx), rel_tp, _support_touchpoints(con, dl)])
    resp: Columns = {
        "kind": np.repeat([SURVEY_KINDS.index(k) for k in ("transactional", "relationship", "delayed")],
                          [len(tx), n_rel, len(dl)]),
        "contact": np.concatenate([tx, np.full(n_rel, -1), dl]),
        "customer": np.concatenate([con["customer"][tx], rel_customer, con["customer"][dl]]),
        "touchpoint": touchpoint,
        "channel": np.concatenate([con["channel"][tx], _TP_CHANNEL[rel_tp], con["channel"][dl]]),
        "sent": np.concatenate([tx_sent, rel_sent, dl_sent]),
        "answered": np.concatenate([tx_answered, rel_answered, dl_answered]),
    }
    resp["zone"] = cust["zone"][resp["customer"]]
    order = np.argsort(resp["answered"], kind="stable")
    resp = {name: values[order] for name, values in resp.items()}
    local_day = np.floor((_utc_to_local(resp["answered"], resp["zone"]) - period.start_s) / DAY).astype(np.int64)
    resp["month"] = period.month_of_day[local_day]
    return resp


def _survey_ids(kind: np.ndarray, month: np.ndarray, period: _Period) -> pa.Array:
    """Survey (questionnaire and wave): REL-2026-Q1, TX-2026-01, DLY-2026-03."""
    labels = []
    for survey_kind in SURVEY_KINDS:
        for label in period.month_labels:
            quarter = f"{label[:4]}-Q{(int(label[5:]) - 1) // 3 + 1}"
            labels.append({"relationship": f"REL-{quarter}", "transactional": f"TX-{label}",
                           "delayed": f"DLY-{label}"}[survey_kind])
    return _pick(labels, kind * period.months + month)


def _responses_table(resp: Columns, cust: Columns, rows: np.ndarray, period: _Period) -> pa.Table:
    """The survey responses file for the given rows."""
    zone, contact, tp = resp["zone"][rows], resp["contact"][rows], resp["touchpoint"][rows]
    return _table(SURVEY_RESPONSES, {
        "response_id": _ids("R", rows + 1, 8),
        "survey_id": _survey_ids(resp["kind"][rows], resp["month"][rows], period),
        "survey_kind": _pick(SURVEY_KINDS, resp["kind"][rows]),
        "customer_id": _ids("C", resp["customer"][rows] + 1, 7),
        "contact_id": _ids("CT", contact + 1, 8, contact < 0),
        "channel": _pick(CHANNELS, resp["channel"][rows]),
        "touchpoint_id": _pick([t[0] for t in TOUCHPOINTS], tp),
        "journey_stage": _pick(JOURNEY_STAGES, _TP_STAGE[tp]),
        "language": _pick(LANGUAGES, cust["language"][resp["customer"][rows]]),
        "sent_at": _timestamps(resp["sent"][rows], zone),
        "answered_at": _timestamps(resp["answered"][rows], zone),
    })
