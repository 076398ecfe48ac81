"""Status histories and conversations (messages) of ticket-like contacts.

Most agree to the second with their contact's own timestamps and some do not (a reopen the
record missed, a bot's answer it took for the first reply), as real exports do: the
warehouse prefers the events and the tests check that it does.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from dagster_cx.contract import (
    CHANNELS,
    CONTACT_MESSAGES,
    CONTACT_STATUS_CHANGES,
    CONTACT_STATUSES,
    MESSAGE_AUTHOR_ROLES,
    STATUS_CHANGE_STATUSES,
)
from dagster_cx.sample.generator.columns import _ids, _pick, _table, _timestamps
from dagster_cx.sample.generator.contacts import _SYNCHRONOUS
from dagster_cx.sample.generator.period import Columns, _Period
from dagster_cx.sample.generator.random_streams import _lognormal

# Ticket-like channels export a status history and the conversation; most of their contacts
# have one, the others fall back to their own timestamps in the warehouse.
_TICKET_CHANNELS = np.array([CHANNELS.index(c) for c in ("chat", "email", "messenger", "social")])
_HISTORY_SHARE = 0.90
# Per contact channel (phone, chat, email, messenger, social), among contacts with at least
# _PERIOD_ROOM seconds between first reply and first resolution. Only about 40% of e-mails
# have that room (the others are solved with the first reply), so 0.75 makes about 30% of them.
_PENDING_P = np.array([0.0, 0.10, 0.75, 0.10, 0.10])  # waiting for the customer, back to open
_ON_HOLD_P = np.array([0.0, 0.05, 0.125, 0.05, 0.05])  # waiting for a third party, back to open
_PERIOD_ROOM = 120.0
_PENDING_LEAD_MEDIAN = 300.0  # seconds from the first reply to setting pending (at most 1/4 of the room)
_BOT_P = np.array([0.0, 0.40, 0.0, 0.40, 0.0])  # a bot message before the first human reply
_BOT_DELAY_MEDIAN = 8.0
_FURTHER_REPLIES_P = np.array([0.35, 0.35, 0.20, 0.10])  # 0-3 public agent replies after the first
_HANDOFF_P = 0.10  # a further reply written by another agent of the same queue
_NOTE_P = 0.15  # an internal note by the contact's agent after the first reply
_OPEN_WINDOW = 2 * 86_400.0  # unresolved contacts: further replies within two days of the first
# Status-change slots in time order: (status, written by the agent?); `closed` is the agent's
# on synchronous channels and the system's (auto-close) otherwise.
_STATUS_SLOTS = (("new", False), ("open", True), ("pending", True), ("open", False), ("on_hold", True),
                 ("open", True), ("solved", True), ("reopened", False), ("solved", True), ("reopened", False),
                 ("solved", True), ("pending", True), ("closed", None))
_STATUS_CODE = np.array([STATUS_CHANGE_STATUSES.index(s) for s, _ in _STATUS_SLOTS])
_OPTIONAL_SLOTS = np.array([2, 3, 4, 5])
# Message slots: customer at creation, bot, first agent reply, three (customer, agent) pairs,
# customer answering pending, customer reopening twice, internal note.
_MESSAGE_ROLE = np.array([MESSAGE_AUTHOR_ROLES.index(r) for r in
                          ("customer", "bot", "agent", "customer", "agent", "customer", "agent", "customer",
                           "agent", "customer", "customer", "customer", "agent")])
_NOTE_SLOT = 12
_ID_WIDTH = 9  # SC000000001, MS000000001
# Where a contact's own record and its events disagree (the events win in the warehouse): a reopen
# after the record was written, and, on bot channels, a bot's answer the record took for the first reply.
_MISSED_REOPEN_P = 0.08
_BOT_AS_FIRST_REPLY_P = 0.30


def _increasing(times: np.ndarray) -> np.ndarray:
    """Per row: do the present (non-NaN) values rise strictly from left to right?"""
    running = np.fmax.accumulate(times, axis=1)
    previous = np.concatenate([np.full((len(times), 1), -np.inf), running[:, :-1]], axis=1)
    previous = np.where(np.isnan(previous), -np.inf, previous)
    return ~np.any(~np.isnan(times) & (times <= previous), axis=1)


def _status_times(rng: np.random.Generator, con: Columns, h: np.ndarray, export: float) -> np.ndarray:
    """Each contact's status changes (n x _STATUS_SLOTS, UTC seconds, NaN = none), consistent with its fields.

    new at created_at; open at first_replied_at (skipped when the first reply solved it);
    optionally pending and on_hold periods between first reply and first resolution; solved
    at first_resolved_at; per reopen a reopened and a solved again, the last at resolved_at
    (a contact reopened but not solved again by the export has its reopens before it);
    pending at the end for an unresolved contact whose status says pending; closed at closed_at.
    A row whose optional periods do not fit loses them; NaN rows are impossible (new is always set).
    """
    n = len(h)
    ch, created, replied_at = con["channel"][h], con["created"][h], con["first_replied"][h]
    first_resolved, resolved, closed = con["first_resolved"][h], con["resolved"][h], con["closed"][h]
    reopen = con["reopen"][h].astype(np.int64)
    u = rng.random((n, 6))
    lead = np.ceil(_lognormal(rng, _PENDING_LEAD_MEDIAN, 0.7, n))
    fractions = np.sort(rng.random((n, 3)), axis=1) * 0.9 + 0.05

    times = np.full((n, len(_STATUS_SLOTS)), np.nan)
    replied = ~np.isnan(replied_at)
    times[:, 0] = created
    with np.errstate(invalid="ignore"):
        times[:, 1] = np.where(replied & ~(first_resolved == replied_at), replied_at, np.nan)
        room = first_resolved - replied_at
        fits = replied & (room >= _PERIOD_ROOM)
    pending = fits & (u[:, 0] < _PENDING_P[ch])
    hold = fits & (u[:, 1] < _ON_HOLD_P[ch])
    start = replied_at + np.maximum(1.0, np.minimum(lead, np.floor(0.25 * np.where(fits, room, 0.0))))
    back = start + np.floor((first_resolved - start) * np.where(hold, 0.2 + 0.25 * u[:, 2], 0.3 + 0.5 * u[:, 2]))
    hold_start = np.where(pending, back + np.floor((first_resolved - back) * (0.1 + 0.3 * u[:, 3])), start)
    hold_end = hold_start + np.floor((first_resolved - hold_start) * (0.2 + 0.4 * u[:, 4]))
    times[:, 2], times[:, 3] = np.where(pending, start, np.nan), np.where(pending, back, np.nan)
    times[:, 4], times[:, 5] = np.where(hold, hold_start, np.nan), np.where(hold, hold_end, np.nan)

    times[:, 6] = first_resolved
    end = np.where(np.isnan(resolved), export - 1, resolved)  # the reopens happened before the export
    span = end - first_resolved
    times[:, 7] = np.where(reopen >= 1, first_resolved + np.ceil(span * np.where(reopen == 2, fractions[:, 0],
                                                                                  fractions[:, 1])), np.nan)
    times[:, 8] = np.where(reopen == 2, first_resolved + np.ceil(span * fractions[:, 1]),
                           np.where(reopen == 1, resolved, np.nan))
    times[:, 9] = np.where(reopen == 2, first_resolved + np.ceil(span * fractions[:, 2]), np.nan)
    times[:, 10] = np.where(reopen == 2, resolved, np.nan)
    times[:, 12] = closed

    last = np.nanmax(times[:, :11], axis=1)
    waiting = replied & np.isnan(resolved) & (con["status"][h] == CONTACT_STATUSES.index("pending"))
    final = last + np.ceil((export - 1 - last) * (0.05 + 0.55 * u[:, 5]))
    times[:, 11] = np.where(waiting & (final < export), final, np.nan)

    unfit = ~_increasing(times)
    times[np.ix_(unfit, _OPTIONAL_SLOTS)] = np.nan
    return times


def _message_times(rng: np.random.Generator, con: Columns, h: np.ndarray, status_times: np.ndarray,
                   queue_agents: np.ndarray, export: float) -> tuple[np.ndarray, np.ndarray]:
    """Each contact's messages (n x _MESSAGE_ROLE, UTC seconds, NaN = none) and their author (agent index, -1).

    The customer writes at created_at; on chat and messenger a bot may answer before the first
    human reply; the contact's agent replies exactly at first_replied_at, then up to three
    more times before the resolution (some by another agent of the queue: handoffs), each
    after a customer message; the customer writes when answering a pending contact and when
    reopening it; an internal note may follow the first reply. No agent writes before it.
    """
    n = len(h)
    ch, created, replied_at = con["channel"][h], con["created"][h], con["first_replied"][h]
    resolved, closed, agent, queue = con["resolved"][h], con["closed"][h], con["agent"][h], con["queue"][h]
    u = rng.random((n, 12))
    bot_delay = np.ceil(_lognormal(rng, _BOT_DELAY_MEDIAN, 0.6, n))
    replies = np.searchsorted(np.cumsum(_FURTHER_REPLIES_P)[:-1], u[:, 0], side="right")
    fractions = np.sort(rng.random((n, 3)), axis=1)
    replied = ~np.isnan(replied_at)

    times = np.full((n, len(_MESSAGE_ROLE)), np.nan)
    author = np.full((n, len(_MESSAGE_ROLE)), -1, np.int64)
    times[:, 0] = created
    bot_until = np.where(replied, replied_at, np.where(np.isnan(closed), export - 1, closed))
    bot = (u[:, 1] < _BOT_P[ch]) & (bot_until - created >= 2)
    times[:, 1] = np.where(bot, created + np.minimum(bot_delay, bot_until - created - 1), np.nan)
    times[:, 2], author[:, 2] = replied_at, agent

    until = np.where(np.isnan(resolved), np.minimum(export - 1, replied_at + _OPEN_WINDOW), resolved)
    window = np.where(replied, until - replied_at, 0.0)
    replies[window < 10] = 0
    first = np.cumsum(queue_agents) - queue_agents
    previous = replied_at
    for j in range(3):
        present = replies > j
        at = replied_at + np.ceil(window * fractions[:, j])
        customer_at = previous + np.floor((at - previous) * (0.2 + 0.6 * u[:, 2 + j]))
        customer_ok = present & (customer_at > previous) & (customer_at < at)
        times[:, 3 + 2 * j] = np.where(customer_ok, customer_at, np.nan)
        times[:, 4 + 2 * j] = np.where(present, at, np.nan)
        count = queue_agents[queue]
        other = first[queue] + (agent - first[queue] + 1 + np.floor(u[:, 5 + j] * (count - 1)).astype(np.int64)) % count
        author[:, 4 + 2 * j] = np.where(u[:, 8 + j] < _HANDOFF_P, other, agent)
        previous = np.where(present, at, previous)
    times[:, 9], times[:, 10], times[:, 11] = status_times[:, 3], status_times[:, 7], status_times[:, 9]
    note = replied_at + np.maximum(1.0, np.ceil(np.maximum(window, 60.0) * u[:, 11]))
    times[:, _NOTE_SLOT] = np.where(replied & (rng.random(n) < _NOTE_P) & (note < export), note, np.nan)
    author[:, _NOTE_SLOT] = agent
    return times, author


def _record_misses(rng: np.random.Generator, con: Columns, h: np.ndarray, status_times: np.ndarray,
                   message_times: np.ndarray, export: float) -> np.ndarray:
    """Make some histories disagree with their contact's record, as helpdesk exports do.

    A solved contact without a reopen on record is reopened and solved again before it closes
    (status slots 7 and 8, and the customer's message at the reopen, set in place): the record
    keeps the first resolution. On bot channels, the record's first reply (message slot 2) is a
    bot's answer when a human answered later. Returns, per contact, whether slot 2 is the bot's.
    """
    n = len(h)
    first_resolved = status_times[:, 6]
    end = np.where(np.isnan(status_times[:, 12]), export - 1, status_times[:, 12])
    gap = end - first_resolved
    with np.errstate(invalid="ignore"):
        reopened = (con["reopen"][h] == 0) & (gap >= 10) & (rng.random(n) < _MISSED_REOPEN_P)
    status_times[:, 7] = np.where(reopened, first_resolved + np.ceil(0.3 * gap), status_times[:, 7])
    status_times[:, 8] = np.where(reopened, first_resolved + np.ceil(0.6 * gap), status_times[:, 8])
    message_times[:, 10] = status_times[:, 7]
    return (_BOT_P[con["channel"][h]] > 0) & ~np.isnan(message_times[:, 4]) & (rng.random(n) < _BOT_AS_FIRST_REPLY_P)


def _history_tables(rng: np.random.Generator, con: Columns, rows: np.ndarray, queue_agents: np.ndarray,
                    period: _Period, first_ids: tuple[int, int], miss_rng: np.random.Generator,
                    ) -> tuple[pa.Table, pa.Table]:
    """The status changes and messages of the given contacts with a history, ids numbered from first_ids.

    A contact whose required status changes would not rise strictly in time (a bot-solved
    chat is solved and closed in the same second) is exported without any history.
    """
    export = period.export_s
    status_times = _status_times(rng, con, rows, export)
    message_times, author = _message_times(rng, con, rows, status_times, queue_agents, export)
    bot_first = _record_misses(miss_rng, con, rows, status_times, message_times, export)
    keep = _increasing(status_times)
    rows, status_times, message_times, author = rows[keep], status_times[keep], message_times[keep], author[keep]
    bot_first = bot_first[keep]

    contact, slot = np.nonzero(~np.isnan(status_times))  # row-major: by contact, then in time order
    agent = con["agent"][rows][contact]
    by_agent = np.array([a is True for _, a in _STATUS_SLOTS])[slot]
    by_agent |= (slot == len(_STATUS_SLOTS) - 1) & _SYNCHRONOUS[con["channel"][rows][contact]]
    agent = np.where(by_agent, agent, -1)
    zone = con["zone"][rows][contact]
    status_changes = _table(CONTACT_STATUS_CHANGES, {
        "status_change_id": _ids("SC", first_ids[0] + np.arange(1, len(slot) + 1), _ID_WIDTH),
        "contact_id": _ids("CT", rows[contact] + 1, 8),
        "status": _pick(STATUS_CHANGE_STATUSES, _STATUS_CODE[slot]),
        "changed_at": _timestamps(status_times[contact, slot], zone),
        "agent_id": _ids("AG", agent + 1, 4, agent < 0),
    })

    contact, slot = np.nonzero(~np.isnan(message_times))
    sent = message_times[contact, slot]
    order = np.lexsort((slot, sent, contact))
    contact, slot, sent = contact[order], slot[order], sent[order]
    writer = author[contact, slot]
    role = np.where(bot_first[contact] & (slot == 2), MESSAGE_AUTHOR_ROLES.index("bot"), _MESSAGE_ROLE[slot])
    messages = _table(CONTACT_MESSAGES, {
        "message_id": _ids("MS", first_ids[1] + np.arange(1, len(slot) + 1), _ID_WIDTH),
        "contact_id": _ids("CT", rows[contact] + 1, 8),
        "author_role": _pick(MESSAGE_AUTHOR_ROLES, role),
        "author_id": _ids("AG", writer + 1, 4, (role != MESSAGE_AUTHOR_ROLES.index("agent")) | (writer < 0)),
        "is_public": pa.array(slot != _NOTE_SLOT),
        "sent_at": _timestamps(sent, con["zone"][rows][contact]),
    })
    return status_changes, messages
