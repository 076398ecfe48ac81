"""Contact-center contacts: arrivals, queues and agents, waits, handling times, outcomes and priority.

The contacts' own timestamps carry the awkward parts of real exports (IVR-only, abandoned,
reopened and repeat contacts, queue time zones across a daylight-saving change) and feed the
contact history and the transactional surveys.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from dagster_cx.contract import CHANNELS, CONTACT_PRIORITIES, CONTACT_STATUSES, CONTACTS
from dagster_cx.sample.generator.columns import _ids, _ints, _pick, _table, _timestamps
from dagster_cx.sample.generator.customers import _SEGMENT_ACTIVITY
from dagster_cx.sample.generator.period import DAY, Columns, _Period
from dagster_cx.sample.generator.random_streams import _lognormal
from dagster_cx.sample.generator.zones import _local_to_utc

_CONTACT_CHANNEL_SHARES = np.array([0.40, 0.25, 0.20, 0.10, 0.05])  # = CHANNELS[:5]
REASONS = ("billing", "technical_issue", "delivery", "account", "complaint", "cancellation", "other")
_REASON_SHARES = np.array([0.25, 0.22, 0.15, 0.14, 0.08, 0.06, 0.10])
_REASON_TALK = np.array([1.0, 1.4, 0.9, 1.0, 1.3, 1.3, 0.8])  # handling-time factor
_REASON_REPEAT = np.array([1.0, 1.6, 1.2, 0.8, 1.5, 1.0, 0.6])  # propensity to cause a repeat contact
QUEUES = ("pl_support", "ru_support", "en_support", "billing", "retention")
_QUEUE_ZONE = np.array([0, 1, 2, 0, 0])
_CONTACTS_PER_AGENT_MONTH = 700
_REPEAT_SHARE = 0.18  # drawn; a few fall outside the period and stay first contacts
_REPEAT_LAG_DAYS = np.arange(11)
_REPEAT_LAG_P = np.array([0.15, 0.30, 0.20, 0.12, 0.08, 0.06, 0.04, 0.02, 0.01, 0.01, 0.01])
_DOW_WEIGHT = np.array([1.15, 1.05, 1.0, 1.0, 0.95, 0.45, 0.35])  # Monday first
_HOUR_PROFILES = np.array([
    [.1, .05, .05, .05, .05, .1, .3, .8, 1.6, 2.0, 2.1, 2.0, 1.8, 1.9, 2.0, 1.9, 1.7, 1.4, 1.1, .9, .7, .5, .3, .2],
    [.1, .05, .05, .05, .05, .1, .2, .4, .7, 1.0, 1.2, 1.2, 1.1, 1.1, 1.0, 1.0, .9, .8, .8, .7, .6, .4, .3, .2],
    [1.0] * 24,  # e-mail and social posts written at any hour
])
_RESPONSE_HOURS = np.array([.2, .1, .05, .05, .05, .1, .3, .8, 1.2, 1.1, 1.0, 1.0, 1.3, 1.2, 1.0, 1.0, 1.0,
                            1.2, 1.5, 1.8, 1.9, 1.6, 1.0, .5])
# per contact channel: phone, chat, email, messenger, social
_IVR_ONLY = np.array([0.04, 0.04, 0.0, 0.05, 0.0])
_ABANDON = np.array([0.10, 0.07, 0.0, 0.03, 0.0])
_QUEUE_DELAY = np.array([[5, 60], [2, 20], [1, 120], [2, 30], [30, 600]])  # seconds, uniform
_WAIT_MEDIAN = np.array([6.0, 40.0, 4 * 3600.0, 300.0, 5400.0])
_WAIT_SIGMA = np.array([1.2, 1.0, 1.0, 1.2, 1.1])
_ABANDON_WAIT = np.array([45.0, 90.0, 0.0, 300.0, 0.0])
_TALK_MEDIAN = np.array([300.0, 540.0, 240.0, 420.0, 180.0])
_TALK_SIGMA = np.array([0.6, 0.6, 0.7, 0.6, 0.6])
_ACW_MEDIAN = np.array([45.0, 30.0, 60.0, 30.0, 30.0])
_HOLD_SHARE = np.array([0.35, 0.0, 0.0, 0.0, 0.0])
_SYNCHRONOUS = np.array([True, True, False, False, False])
_ASYNC_SPAN = np.array([0.0, 0.0, 0.0, 1200.0, 1800.0])  # reply to end of conversation, median s
_RESOLVED_AT_FIRST = np.array([0.85, 0.85, 0.60, 0.75, 0.70])
_AUTO_CLOSE = 4 * 86_400.0  # asynchronous tickets close four days after solved
_REOPEN_SHARE, _NEVER_RESOLVED_SHARE = 0.08, 0.025

# Priority (CONTACT_PRIORITIES order: low, normal, high, urgent); complaints are more often urgent.
_PRIORITY_SHARES = np.array([0.155, 0.56, 0.215, 0.07])
_COMPLAINT_PRIORITY_SHARES = np.array([0.08, 0.45, 0.27, 0.20])
_PRIORITY_EMPTY = 0.03  # exported without a priority (empty = normal)
_PRIORITY_SINCE_MONTH = 1  # the first month's contacts file was exported before the column existed


def _stop_at_churn(rng: np.random.Generator, con: Columns, cust: Columns) -> None:
    """Give contacts made on or after their customer's churn day to active customers instead.

    A contact moved this way goes to its new customer's queue and is no longer a repeat.
    Half of the churners' last contacts become cancellation requests (most go to retention).
    """
    late = con["day"] >= cust["churn_day"][con["customer"]]
    active = np.flatnonzero(~cust["churned"])
    con["customer"][late] = active[rng.integers(0, len(active), late.sum())]
    con["queue"][late] = _queues(rng, cust["language"][con["customer"][late]], con["reason"][late])
    con["parent"][late] = -1
    key = con["day"] * DAY + con["tod"]
    last = np.full(len(cust["segment"]), -1.0)
    np.maximum.at(last, con["customer"], key)
    final = cust["churned"][con["customer"]] & (key == last[con["customer"]]) & (rng.random(len(key)) < 0.5)
    con["reason"][final] = REASONS.index("cancellation")
    con["queue"][final] = _queues(rng, cust["language"][con["customer"][final]], con["reason"][final])


def _arrivals(rng: np.random.Generator, n: int, channel: np.ndarray, period: _Period) -> tuple[np.ndarray, np.ndarray]:
    """Local day index and second of day: weekday and business-hour peaks, e-mail partly at any hour."""
    dow = period.dow
    weights = _DOW_WEIGHT[dow] * np.where((period.days - period.days.astype("datetime64[M]")).astype(int) < 5,
                                          1.15, 1.0)
    day = rng.choice(period.n_days, n, p=weights / weights.sum())
    profile = (dow[day] >= 5).astype(np.int64)
    any_hour = np.isin(channel, [CHANNELS.index("email"), CHANNELS.index("social")])
    profile[any_hour & (rng.random(n) < 0.5)] = 2
    hour = np.empty(n, np.int64)
    for p, weights_h in enumerate(_HOUR_PROFILES):
        rows = profile == p
        hour[rows] = np.searchsorted(np.cumsum(weights_h) / weights_h.sum(), rng.random(rows.sum()), side="right")
    return day, hour * 3600 + np.floor(rng.random(n) * 3600)


def _queues(rng: np.random.Generator, language: np.ndarray, reason: np.ndarray) -> np.ndarray:
    """Language queue, except most billing contacts go to billing and cancellations to retention."""
    queue = language.copy()  # pl_support, ru_support, en_support follow LANGUAGES
    queue[(reason == REASONS.index("billing")) & (rng.random(len(reason)) < 0.7)] = QUEUES.index("billing")
    queue[(reason == REASONS.index("cancellation")) & (rng.random(len(reason)) < 0.6)] = QUEUES.index("retention")
    return queue


def _plant_repeats(rng: np.random.Generator, con: Columns, n_days: int) -> None:
    """Turn ~15% of contacts into repeats: same customer and reason 0-10 days after a first contact.

    A repeat keeps its own time of day; a same-day repeat earlier than its parent moves to
    the next day. Sets `parent` (the first contact's row, -1 for a first contact).
    """
    n = len(con["day"])
    repeat = rng.random(n) < _REPEAT_SHARE
    first = np.flatnonzero(~repeat)
    rows = np.flatnonzero(repeat)
    weights = _REASON_REPEAT[con["reason"][first]]
    parent = first[rng.choice(len(first), len(rows), p=weights / weights.sum())]
    lag = rng.choice(_REPEAT_LAG_DAYS, len(rows), p=_REPEAT_LAG_P)
    lag += (lag == 0) & (con["tod"][rows] <= con["tod"][parent] + 1800)
    day = con["day"][parent] + lag
    keep = day < n_days
    rows, parent, day = rows[keep], parent[keep], day[keep]
    con["day"][rows] = day
    for name in ("customer", "reason", "queue"):
        con[name][rows] = con[name][parent]
    same_channel = rng.random(len(rows)) < 0.6
    con["channel"][rows[same_channel]] = con["channel"][parent[same_channel]]
    con["parent"] = np.full(n, -1)
    con["parent"][rows] = parent


def _contacts(rng: np.random.Generator, n: int, cust: Columns, period: _Period) -> Columns:
    """Who, when, why and where: customer, channel, reason, queue and creation time, sorted by time."""
    activity = rng.gamma(0.7, 1.0, len(cust["segment"])) * _SEGMENT_ACTIVITY[cust["segment"]]
    con: Columns = {
        "customer": rng.choice(len(activity), n, p=activity / activity.sum()),
        "channel": rng.choice(len(_CONTACT_CHANNEL_SHARES), n, p=_CONTACT_CHANNEL_SHARES),
        "reason": rng.choice(len(REASONS), n, p=_REASON_SHARES),
    }
    con["day"], con["tod"] = _arrivals(rng, n, con["channel"], period)
    con["queue"] = _queues(rng, cust["language"][con["customer"]], con["reason"])
    _plant_repeats(rng, con, period.n_days)
    _stop_at_churn(rng, con, cust)
    parent = con.pop("parent")
    con["had_repeat"] = np.zeros(n, bool)  # not resolved first time: the customer came back
    con["had_repeat"][parent[parent >= 0]] = True
    con["zone"] = _QUEUE_ZONE[con["queue"]]
    con["created"] = _local_to_utc(period.start_s + con["day"] * DAY + con["tod"], con["zone"])
    order = np.argsort(con["created"], kind="stable")
    con = {name: values[order] for name, values in con.items()}
    _contact_flow(rng, con, period)
    return con


def _queue_agents(queue: np.ndarray, period: _Period) -> np.ndarray:
    """Agents per queue (at least five); queue q's agents are numbered after those of queues before it."""
    agents = np.bincount(queue, minlength=len(QUEUES)) / (period.months * _CONTACTS_PER_AGENT_MONTH)
    return np.maximum(5, np.round(agents)).astype(np.int64)


def _priorities(rng: np.random.Generator, reason: np.ndarray) -> np.ndarray:
    """Priority index per contact (CONTACT_PRIORITIES), -1 = exported empty."""
    shares = np.tile(_PRIORITY_SHARES, (len(REASONS), 1))
    shares[REASONS.index("complaint")] = _COMPLAINT_PRIORITY_SHARES
    cumulative = np.cumsum(shares, axis=1)[:, :-1]
    draw, empty = rng.random(len(reason)), rng.random(len(reason)) < _PRIORITY_EMPTY
    priority = np.empty(len(reason), np.int64)
    for r in range(len(REASONS)):
        rows = reason == r
        priority[rows] = np.searchsorted(cumulative[r], draw[rows], side="right")
    priority[empty] = -1
    return priority


def _contact_flow(rng: np.random.Generator, con: Columns, period: _Period) -> None:
    """IVR/bot, queue, answer, handling, resolution, reopening and closing of every contact.

    Events after the export time have not happened yet: they stay empty and the status
    says where the contact is (closed, solved, open or pending).
    """
    n, ch, created = len(con["day"]), con["channel"], con["created"]
    ivr_only = rng.random(n) < _IVR_ONLY[ch]
    ivr_abandoned = ivr_only & (rng.random(n) < 0.4)
    delay = _QUEUE_DELAY[ch, 0] + rng.random(n) * (_QUEUE_DELAY[ch, 1] - _QUEUE_DELAY[ch, 0])
    queue_entered = np.where(ivr_only, np.nan, created + np.floor(delay))
    abandoned_in_queue = ~ivr_only & (rng.random(n) < _ABANDON[ch])
    handled = ~ivr_only & ~abandoned_in_queue

    hour, weekday = con["tod"] // 3600, period.dow[con["day"]] < 5
    busy = np.where(weekday & (hour >= 9) & (hour < 17), 1.5, np.where((hour < 8) | (hour >= 20), 0.8, 1.0))
    wait = np.ceil(_lognormal(rng, _WAIT_MEDIAN[ch] * busy, _WAIT_SIGMA[ch], n))
    first_replied = np.where(handled, queue_entered + wait, np.nan)
    talk = np.round(_lognormal(rng, _TALK_MEDIAN[ch] * _REASON_TALK[con["reason"]], _TALK_SIGMA[ch], n))
    hold = np.where(rng.random(n) < _HOLD_SHARE[ch], np.round(_lognormal(rng, 50.0, 0.8, n)), 0.0)
    acw = np.round(_lognormal(rng, _ACW_MEDIAN[ch], 0.6, n))
    span = np.where(_SYNCHRONOUS[ch], talk + hold, np.round(_lognormal(rng, _ASYNC_SPAN[ch], 0.8, n)))
    escalation = np.where(rng.random(n) < _RESOLVED_AT_FIRST[ch], 0.0, np.round(_lognormal(rng, 20 * 3600.0, 1.0, n)))
    first_resolved = first_replied + span + escalation
    self_served = ivr_only & ~ivr_abandoned
    first_resolved[self_served] = created[self_served] + np.floor(30 + 270 * rng.random(self_served.sum()))
    first_resolved[handled & (rng.random(n) < _NEVER_RESOLVED_SHARE)] = np.nan

    reopen = np.where(~np.isnan(first_resolved) & handled & (rng.random(n) < _REOPEN_SHARE),
                      1 + (rng.random(n) < 0.2), 0)
    gaps = np.round(_lognormal(rng, 1.5 * DAY, 0.6, n) + (reopen == 2) * _lognormal(rng, 1.5 * DAY, 0.6, n))
    resolved = first_resolved + np.where(reopen > 0, gaps, 0.0)
    closed = resolved + np.where(_SYNCHRONOUS[ch] | ivr_only, np.where(ivr_only, 0.0, acw),
                                 _AUTO_CLOSE + np.floor(3600 * rng.random(n)))
    gave_up = np.where(ivr_abandoned, created + np.floor(10 + 110 * rng.random(n)),
                       queue_entered + np.ceil(_lognormal(rng, np.maximum(_ABANDON_WAIT[ch], 1.0), 0.8, n)))
    abandoned = ivr_abandoned | abandoned_in_queue
    closed[abandoned] = gave_up[abandoned]

    export = period.export_s
    first_replied[first_replied > export] = np.nan
    replied = ~np.isnan(first_replied)
    first_resolved[(first_resolved > export) | (handled & ~replied)] = np.nan
    reopen[np.isnan(first_resolved)] = 0
    resolved[np.isnan(first_resolved) | (resolved > export)] = np.nan
    closed[(np.isnan(resolved) & ~abandoned) | (closed > export)] = np.nan
    status = np.where(rng.random(n) < 0.65, CONTACT_STATUSES.index("open"), CONTACT_STATUSES.index("pending"))
    status[~np.isnan(resolved)] = CONTACT_STATUSES.index("solved")
    status[~np.isnan(closed)] = CONTACT_STATUSES.index("closed")

    agents = _queue_agents(con["queue"], period)
    agent = np.cumsum(agents)[con["queue"]] - agents[con["queue"]] + np.floor(rng.random(n) * agents[con["queue"]])
    con.update({
        "queue_entered": queue_entered, "first_replied": first_replied, "first_resolved": first_resolved,
        "resolved": resolved, "closed": closed, "abandoned": abandoned, "ivr_only": ivr_only,
        "talk": np.where(replied, talk, np.nan), "hold": np.where(replied, hold, np.nan),
        "acw": np.where(replied, acw, np.nan), "reopen": reopen.astype(np.float64), "status": status,
        "agent": np.where(replied, agent, -1).astype(np.int64),
    })


def _contacts_table(con: Columns, rows: np.ndarray) -> pa.Table:
    """The contacts file for the given rows (ids are the position in time order)."""
    zone = con["zone"][rows]
    return _table(CONTACTS, {
        "contact_id": _ids("CT", rows + 1, 8),
        "customer_id": _ids("C", con["customer"][rows] + 1, 7),
        "channel": _pick(CHANNELS, con["channel"][rows]),
        "queue": _pick(QUEUES, con["queue"][rows]),
        "agent_id": _ids("AG", con["agent"][rows] + 1, 4, con["agent"][rows] < 0),
        "contact_reason": _pick(REASONS, con["reason"][rows]),
        "created_at": _timestamps(con["created"][rows], zone),
        "queue_entered_at": _timestamps(con["queue_entered"][rows], zone),
        "first_replied_at": _timestamps(con["first_replied"][rows], zone),
        "first_resolved_at": _timestamps(con["first_resolved"][rows], zone),
        "resolved_at": _timestamps(con["resolved"][rows], zone),
        "closed_at": _timestamps(con["closed"][rows], zone),
        "talk_seconds": _ints(con["talk"][rows]),
        "hold_seconds": _ints(con["hold"][rows]),
        "after_contact_work_seconds": _ints(con["acw"][rows]),
        "is_abandoned": pa.array(con["abandoned"][rows]),
        "status": _pick(CONTACT_STATUSES, con["status"][rows]),
        "reopen_count": _ints(con["reopen"][rows]),
        "priority": _pick(CONTACT_PRIORITIES, np.maximum(con["priority"][rows], 0), con["priority"][rows] < 0),
    })
