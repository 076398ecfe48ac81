"""Contact events, business minutes, touches and SLAs on the hand-made fixture, computed by hand.

The schedules are the project's seeds: ru_office (Moscow, UTC+3, no DST) works Mon-Fri 09-13
and 14-18; pl_office (Warsaw) Mon-Fri 08-20, Sat 09-15; uk_office (London) Mon-Fri 09:00-17:30,
closed on Good Friday 2026-04-03 and Easter Monday 2026-04-06. The data's as-of moment is the
latest timestamp in it: h3's customer message at 2026-04-02 19:00Z.
"""

from __future__ import annotations

import datetime as dt

import pytest

UTC = dt.UTC


def _contact(db, contact_id: str) -> dict:
    cursor = db.execute("select * from marts.fct_contacts where contact_id = ?", [contact_id])
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone()))


def _slas(db, contact_id: str) -> dict[str, dict]:
    cursor = db.execute("select * from marts.fct_contact_sla_policies where contact_id = ?", [contact_id])
    names = [d[0] for d in cursor.description]
    return {row[names.index("metric")]: dict(zip(names, row)) for row in cursor.fetchall()}


def test_events_win_over_the_contacts_own_timestamps(handmade_db):
    # h1's own record says first reply at 14:31Z (the bot's message) and no reopen; its
    # messages say the first public human reply came Monday 06:30Z, its statuses one reopen.
    h1 = _contact(handmade_db, "h1")
    assert h1["first_replied_at"] == dt.datetime(2026, 3, 30, 6, 30, tzinfo=UTC)
    assert h1["first_resolved_at"] == dt.datetime(2026, 3, 30, 13, 0, tzinfo=UTC)
    assert h1["resolved_at"] == dt.datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    assert h1["reopen_count"] == 1
    assert (h1["has_message_history"], h1["has_status_history"]) == (True, True)


def test_business_minutes_skip_the_weekend_and_the_lunch_break(handmade_db):
    h1 = _contact(handmade_db, "h1")  # created Friday 17:30 Moscow (14:30Z)
    # First reply Monday 09:30 Moscow: calendar 2 d 16 h; business Fri 17:30-18:00 + Mon 09:00-09:30.
    assert (h1["first_reply_time_calendar_minutes"], h1["first_reply_time_business_minutes"]) == (3840, 60)
    # First solved Monday 16:00: + Mon 09:00-13:00 (240) + 14:00-16:00 (120), lunch skipped.
    assert (h1["first_resolution_time_calendar_minutes"], h1["first_resolution_time_business_minutes"]) == (4230, 390)
    # Solved again Tuesday 11:00: Fri 30 + Mon 480 + Tue 09:00-11:00 120.
    assert (h1["full_resolution_time_calendar_minutes"], h1["full_resolution_time_business_minutes"]) == (5370, 630)


def test_waiting_times_split_by_status(handmade_db):
    h1 = _contact(handmade_db, "h1")
    # Requester wait = new (Fri 14:30Z -> Mon 06:30Z: 3840 cal / 60 bus) + open (06:30-07:00: 30/30)
    # + open after the customer answered (12:00-13:00Z: 60/60) + reopened (Tue 07:00-08:00Z: 60/60).
    assert h1["requester_wait_time_calendar_minutes"] == pytest.approx(3990)
    assert h1["requester_wait_time_business_minutes"] == pytest.approx(210)
    # Pending Mon 07:00-12:00Z = 10:00-15:00 Moscow: 300 calendar, 240 business (lunch 13-14 skipped).
    assert (h1["agent_wait_time_calendar_minutes"], h1["agent_wait_time_business_minutes"]) == (300, 240)
    assert (h1["on_hold_time_calendar_minutes"], h1["on_hold_time_business_minutes"]) == (0, 0)
    # h3, still open, created 15:00Z: its status history starts with open at 15:20Z (an export
    # from a later start), so it was new 15:00-15:20Z, then open to the as-of moment 19:00Z;
    # London closes at 17:30 BST (16:30Z), so 20 + 70 business minutes of 20 + 220 calendar ones.
    h3 = _contact(handmade_db, "h3")
    assert (h3["requester_wait_time_calendar_minutes"], h3["requester_wait_time_business_minutes"]) == (240, 90)
    assert h3["has_status_history"]


def test_touches_exclude_bots_and_internal_notes_and_count_handoffs(handmade_db):
    h1, h2, c6 = (_contact(handmade_db, c) for c in ("h1", "h2", "c6"))
    # h1: bot reply and internal note do not count; a5 then a6 replied publicly.
    assert (h1["agent_reply_count"], h1["bot_reply_count"], h1["internal_note_count"]) == (2, 1, 1)
    assert (h1["agent_count"], h1["handoff_count"]) == (2, 1)
    assert (h1["is_one_touch_resolution"], h1["is_two_touch_resolution"], h1["is_multi_touch_resolution"]) == (
        False, True, False)
    # h2: solved by the bot with no human reply: a zero-touch resolution, no first reply.
    assert (h2["is_zero_touch_resolution"], h2["is_one_touch_resolution"], h2["first_replied_at"]) == (True, False, None)
    # Saturday 14:50-15:00 Warsaw is the only working time before it was solved at 15:20.
    assert (h2["first_resolution_time_calendar_minutes"], h2["first_resolution_time_business_minutes"]) == (30, 10)
    assert c6["is_one_touch_resolution"]


def test_contacts_without_events_keep_their_timestamps_and_default_priority(handmade_db):
    # c2 (phone, no events, a file without the priority column) on pl_support: created Sunday
    # 2026-03-29 10:00 CEST, resolved Monday 09:00 CEST: Monday 08:00-09:00 is its only working hour.
    c2 = _contact(handmade_db, "c2")
    assert (c2["has_message_history"], c2["has_status_history"], c2["priority"]) == (False, False, "normal")
    assert c2["reopen_count"] == 1 and c2["agent_reply_count"] == 1
    assert (c2["full_resolution_time_calendar_minutes"], c2["full_resolution_time_business_minutes"]) == (1380, 60)
    assert c2["requester_wait_time_business_minutes"] == 60
    assert c2["agent_wait_time_calendar_minutes"] is None


def test_sla_policy_choice_breach_times_and_verdicts(handmade_db):
    h1 = _slas(handmade_db, "h1")
    # social + high: the priority policy (60 business) beats the catch-all; 30 min left on Friday,
    # 30 on Monday: breach at Monday 06:30Z, the very instant of the reply, which meets it.
    assert h1["first_reply_time"]["sla_policy_id"] == "frt_high"
    assert h1["first_reply_time"]["sla_breach_at"] == dt.datetime(2026, 3, 30, 6, 30, tzinfo=UTC)
    assert (h1["first_reply_time"]["is_sla_breach"], h1["first_reply_time"]["sla_elapsed_minutes"]) == (False, 60)
    # 1440 business minutes: Fri 30 + Mon 480 + Tue 480 + Wed 240 + 210 = Wednesday 17:30 Moscow.
    assert h1["full_resolution_time"]["sla_policy_id"] == "full_resolution_high"
    assert h1["full_resolution_time"]["sla_breach_at"] == dt.datetime(2026, 4, 1, 14, 30, tzinfo=UTC)
    h2 = _slas(handmade_db, "h2")
    # messenger + urgent: channel and priority policies are equally specific; the channel's wins.
    # Solved without a reply: the first-reply clock stops at the resolution, 25 min past the breach.
    assert h2["first_reply_time"]["sla_policy_id"] == "frt_messenger"
    assert h2["first_reply_time"]["sla_breach_at"] == dt.datetime(2026, 3, 28, 13, 55, tzinfo=UTC)
    assert (h2["first_reply_time"]["is_sla_breach"], h2["first_reply_time"]["is_sla_active"]) == (True, False)
    h3 = _slas(handmade_db, "h3")
    # 240 business minutes from Thursday 16:00 BST: 90 that day, then Good Friday, the weekend and
    # Easter Monday are closed: Tuesday 09:00 + 150 = 11:30 BST.
    assert h3["first_reply_time"]["sla_breach_at"] == dt.datetime(2026, 4, 7, 10, 30, tzinfo=UTC)
    # Unresolved, breach time still ahead of the as-of moment: running, with 90 business minutes used.
    full = h3["full_resolution_time"]
    assert (full["is_achieved"], full["is_sla_breach"], full["is_sla_active"], full["sla_elapsed_minutes"]) == (
        False, False, True, 90)


def test_sla_attainment_daily_adds_up(handmade_db):
    rows = handmade_db.execute(
        """select metric, sum(contacts_with_sla), sum(achieved_within_target), sum(breached), sum(still_active)
           from marts.mart_sla_attainment_daily where date_day = '2026-03-28' and queue = 'pl_support'
           group by metric order by metric"""
    ).fetchall()
    # h2 alone: first reply breached, both resolutions met.
    assert rows == [("first_reply_time", 1, 0, 1, 0), ("first_resolution_time", 1, 1, 0, 0),
                    ("full_resolution_time", 1, 1, 0, 0)]
    daily = handmade_db.execute(
        """select first_reply_sla_achieved, first_reply_sla_breached, first_reply_sla_attainment_pct,
                  first_reply_time_business_median_minutes
           from marts.mart_contact_center_daily where date_day = '2026-03-27' and channel = 'social'"""
    ).fetchone()
    assert daily == (1, 0, 100.0, 60.0)
