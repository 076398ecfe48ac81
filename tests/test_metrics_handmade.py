"""Mart values on the hand-made fixture, each computed by hand in the comments.

The fixture (tests/fixtures/handmade) holds NPS answers on every category border, a
response with no NPS answer, a response answered west of UTC late in the evening, a contact
spanning the 2026-03-29 daylight-saving jump in Europe/Warsaw, a reopened contact, a repeat
contact inside the FCR window, an IVR-only contact, an in-queue abandon, an e-mail (no
service level) and a chat day where nothing was handled (empty groups give null ratios).
"""

from __future__ import annotations

import datetime as dt

import pytest


def _row(con, sql: str, params: list | None = None) -> dict:
    cursor = con.execute(sql, params or [])
    rows = cursor.fetchall()
    assert len(rows) == 1, f"expected one row, got {len(rows)}: {sql}"
    return dict(zip([d[0] for d in cursor.description], rows[0], strict=True))


def test_nps_daily_counts_every_border_score_in_the_right_category(handmade_db):
    # phone / consumer / support on 2026-03-02: scores 0, 6 (detractors), 7, 8 (passives), 9, 10 (promoters).
    row = _row(handmade_db, "select * from marts.mart_nps_daily where date_day = '2026-03-02' and channel = 'phone'")
    assert (row["responses"], row["promoters"], row["passives"], row["detractors"]) == (6, 2, 2, 2)
    assert row["nps"] == pytest.approx(0.0)
    assert row["nps_score_sum"] == 0 + 6 + 7 + 8 + 9 + 10
    assert (row["customer_segment"], row["journey_stage"]) == ("consumer", "support")


def test_response_answered_west_of_utc_counts_on_its_utc_date(handmade_db):
    # r_west: 2026-03-02 23:30 -05:00 = 2026-03-03 04:30 UTC, so it joins the two chat answers of 03-03:
    # scores 10, 3, 10 -> 2 promoters, 1 detractor, NPS = 100 * (2 - 1) / 3.
    row = _row(handmade_db, "select * from marts.mart_nps_daily where channel = 'chat'")
    assert row["date_day"] == dt.date(2026, 3, 3)
    assert (row["responses"], row["promoters"], row["detractors"]) == (3, 2, 1)
    assert row["nps"] == pytest.approx(100 / 3)


def test_response_without_nps_answer_is_not_an_nps_response(handmade_db):
    total = _row(handmade_db, "select sum(responses) as n from marts.mart_nps_daily")["n"]
    assert total == 9  # 10 responses, r_csat_only has no NPS answer
    fact = _row(handmade_db, "select nps_category, csat_score from marts.fct_survey_responses where response_id = 'r_csat_only'")
    assert fact == {"nps_category": None, "csat_score": 5}


def test_csat_daily_top_two_box_and_mean(handmade_db):
    # CSAT answers 1, 3, 4, 5, 5: satisfied (4-5) = 3 of 5 = 60 %, mean = 18 / 5 = 3.6.
    row = _row(handmade_db, "select * from marts.mart_csat_daily")
    assert (row["responses"], row["satisfied_responses"], row["csat_score_sum"]) == (5, 3, 18)
    assert row["csat_pct"] == pytest.approx(60.0)
    assert row["csat_mean"] == pytest.approx(3.6)
    assert row["csat_score_sum_of_squares"] == 1 + 9 + 16 + 25 + 25


def test_ces_daily_mean_and_share_easy(handmade_db):
    # CES answers 1, 4, 5, 7: easy (5-7) = 2 of 4 = 50 %, difficult (1-3) = 1, mean = 17 / 4 = 4.25.
    row = _row(handmade_db, "select * from marts.mart_ces_daily")
    assert (row["responses"], row["easy_responses"], row["difficult_responses"]) == (4, 2, 1)
    assert row["ces_mean"] == pytest.approx(4.25)
    assert row["ces_easy_pct"] == pytest.approx(50.0)


def test_first_reply_time_across_the_dst_jump_is_real_elapsed_time(handmade_db):
    # c1: created 01:59 +01:00, answered 03:00 +02:00 in Warsaw on 2026-03-29 = 1 minute, not 61.
    row = _row(handmade_db, "select * from marts.fct_contacts where contact_id = 'c1'")
    assert row["first_reply_time_calendar_minutes"] == pytest.approx(1.0)
    assert row["full_resolution_time_calendar_minutes"] == pytest.approx(11.0)
    assert row["queue_wait_seconds"] == pytest.approx(50.0)


def test_contact_center_daily_phone_on_the_dst_day(handmade_db):
    # c1..c5 on phone/pl_support. Offered: c1, c2, c3, c5 (c4 never left the IVR). Handled: c1, c2, c5.
    # Abandoned in queue: c3 -> 1 / 4 = 25 %. Within 20 s of queue entry: c2 (10 s), c5 (20 s) -> 2 / 4 = 50 %.
    # FRT minutes: c1 1.0, c2 0.25, c5 0.6667 -> median 0.6667; p90 = 0.6667 + 0.8 * (1.0 - 0.6667).
    # Final resolution minutes: c1 11, c2 1380 (reopened, resolved next day), c5 10 -> median 11.
    # AHT: (130 + 250 + 400) / 3 = 260 s. FCR: eligible c1, c2, c5; c2 reopened, c5 repeated by c6 -> 1 / 3.
    row = _row(handmade_db, "select * from marts.mart_contact_center_daily where channel = 'phone'")
    assert row["date_day"] == dt.date(2026, 3, 29)
    assert (row["contacts_created"], row["contacts_offered"], row["contacts_handled"]) == (5, 4, 3)
    assert (row["contacts_abandoned"], row["contacts_answered_within_service_level"]) == (1, 2)
    assert row["abandonment_rate_pct"] == pytest.approx(25.0)
    assert row["service_level_pct"] == pytest.approx(50.0)
    assert row["first_reply_time_median_minutes"] == pytest.approx(40 / 60)
    assert row["first_reply_time_p90_minutes"] == pytest.approx(40 / 60 + 0.8 * (1.0 - 40 / 60))
    assert row["full_resolution_time_median_minutes"] == pytest.approx(11.0)
    assert row["average_handle_time_seconds"] == pytest.approx(260.0)
    assert (row["fcr_eligible_contacts"], row["first_contact_resolutions"]) == (3, 1)
    assert row["fcr_rate_pct"] == pytest.approx(100 / 3)
    assert row["reopens"] == 1


def test_email_has_no_service_level_and_counts_west_of_utc_timestamps(handmade_db):
    # c6: 05:00 -04:00 = 09:00 UTC on 2026-04-02, first reply two hours later, never repeated -> FCR 100 %.
    row = _row(handmade_db, "select * from marts.mart_contact_center_daily where channel = 'email'")
    assert row["date_day"] == dt.date(2026, 4, 2)
    assert row["service_level_pct"] is None
    assert row["first_reply_time_median_minutes"] == pytest.approx(120.0)
    assert row["average_handle_time_seconds"] == pytest.approx(720.0)
    assert row["fcr_rate_pct"] == pytest.approx(100.0)


def test_day_with_nothing_handled_gives_null_ratios_not_zero(handmade_db):
    # c7: a chat abandoned in the queue. Nothing handled or resolved: AHT, FRT and FCR are null.
    row = _row(handmade_db, "select * from marts.mart_contact_center_daily where channel = 'chat'")
    assert (row["contacts_offered"], row["contacts_handled"], row["contacts_abandoned"]) == (1, 0, 1)
    assert row["abandonment_rate_pct"] == pytest.approx(100.0)
    assert row["service_level_pct"] == pytest.approx(0.0)
    assert row["average_handle_time_seconds"] is None
    assert row["first_reply_time_median_minutes"] is None
    assert row["fcr_rate_pct"] is None


def test_dimensions_cover_every_day_and_drop_personal_data(handmade_db):
    dates = _row(handmade_db, "select min(date_day) as first, max(date_day) as last, count(*) as n from marts.dim_dates")
    assert dates == {"first": dt.date(2026, 3, 2), "last": dt.date(2026, 4, 2), "n": 32}
    columns = {r[0] for r in handmade_db.execute("select column_name from (describe marts.dim_customers)").fetchall()}
    assert not columns & {"full_name", "email"}
    assert _row(handmade_db, "select count(*) as n from marts.dim_channels")["n"] == 8


def test_multilingual_text_survives_unchanged(handmade_db):
    comments = dict(handmade_db.execute("select response_id, comment_text from marts.fct_survey_responses where has_comment").fetchall())
    assert comments == {"r0": "Długo czekałem na odpowiedź, źle.", "r_chat1": "Всё отлично, спасибо!"}


@pytest.mark.parametrize(
    ("channel", "n", "nps", "nps_adjusted", "standard_error"),
    [
        # phone: n 6, P 2, D 2. Adjusted: p = d = 2.75 / 9; var = 0.61111 - 0; SE = 100 * sqrt(0.61111 / 9).
        ("phone", 6, 0.0, 0.0, 26.0578),
        # chat: n 3, P 2, D 1. p = 2.75 / 6 = 0.45833, d = 1.75 / 6 = 0.29167; var = 0.75 - 0.16667^2 = 0.72222.
        ("chat", 3, 100 / 3, 16.6667, 34.6944),
        # all: n 9, P 4, D 3. p = 4.75 / 12, d = 3.75 / 12; var = 0.70833 - 0.08333^2 = 0.70139; SE = 100 * sqrt(0.70139 / 12).
        ("all", 9, 100 / 9, 8.3333, 24.1762),
    ],
)
def test_nps_monthly_adjusted_wald_margin_by_hand(handmade_db, channel, n, nps, nps_adjusted, standard_error):
    row = _row(handmade_db, "select * from marts.mart_nps_monthly where channel = ?", [channel])
    assert row["month_start_date"] == dt.date(2026, 3, 1)
    assert row["responses"] == n
    assert row["nps"] == pytest.approx(nps)
    assert row["nps_adjusted"] == pytest.approx(nps_adjusted, abs=1e-4)
    assert row["nps_standard_error"] == pytest.approx(standard_error, abs=1e-4)
    assert row["nps_margin_of_error_95"] == pytest.approx(1.96 * standard_error, abs=1e-3)
    assert row["previous_nps"] is None and row["nps_change_z"] is None and row["is_change_significant_95"] is None


def test_force_and_pillar_scores_by_hand(handmade_db):
    # r9 (phone, consumer, support, March): fairness items 5 on 1-5 -> 100 and reverse-coded 1 on 1-5 -> 100,
    # so fairness = 100; integrity 4 on 1-7 -> 50. One response: no standard deviation, no interval.
    force = _row(handmade_db, "select * from marts.mart_force_scores")
    assert (force["force"], force["responses"], force["score_mean"], force["is_hygiene_force"]) == ("fairness", 1, 100.0, True)
    assert force["score_stddev"] is None and force["score_ci_lower_95"] is None
    pillar = _row(handmade_db, "select * from marts.mart_pillar_scores")
    assert (pillar["pillar"], pillar["pillar_group"], pillar["score_mean"]) == ("integrity", "foundation", 50.0)
    assert (pillar["month_start_date"], pillar["channel"], pillar["journey_stage"]) == (dt.date(2026, 3, 1), "phone", "support")
