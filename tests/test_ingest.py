"""Ingestion: every row read ends loaded or quarantined with its reasons; re-loads add nothing."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_cx.contract import (
    CONTACTS,
    CSAT_SCALES,
    ENTITIES,
    ENTITIES_BY_NAME,
    QUESTIONS,
    SURVEY_ANSWERS,
    SURVEY_RESPONSES,
)
from dagster_cx.ingest.loader import FileLoadError, load_entity, load_file
from dagster_cx.ingest.raw_tables import ensure_raw_schema
from dagster_cx.warehouse import connect
from tests.raw_files import CONTACT_COLUMNS, CONTACT_HEADER
from tests.raw_files import write_raw_file as _write

HANDMADE = Path(__file__).parent / "fixtures" / "handmade"
REPO_ROOT = Path(__file__).resolve().parent.parent
GOOD_CONTACT = "c1,u1,phone,pl,a1,billing,2026-03-29T01:59:00+01:00,,,,,,100,10,20,false,closed,0,normal"


@pytest.fixture
def con(tmp_path: Path):
    with connect(tmp_path / "cx.duckdb") as connection:
        ensure_raw_schema(connection, ENTITIES)
        yield connection


def _quarantine(con) -> list[tuple[str, str]]:
    return con.execute("select record->>'contact_id', reason from raw.quarantine order by _source_row").fetchall()


def _contact(**overrides: str) -> str:
    values = dict(zip(CONTACT_COLUMNS, GOOD_CONTACT.split(","), strict=True))
    values.update(overrides)
    return ",".join(values[c] for c in CONTACT_COLUMNS)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"created_at": "2026-02-30 25:00"}, "created_at is not a valid timestamptz: 2026-02-30 25:00"),
        ({"created_at": "2026-03-29 01:59:00"}, "created_at has no UTC offset: 2026-03-29 01:59:00"),
        ({"contact_id": ""}, "contact_id is missing"),
        ({"channel": "fax"}, "channel 'fax' is not one of phone, chat, email"),
        ({"talk_seconds": "-5"}, "talk_seconds -5 is below the minimum 0"),
        ({"talk_seconds": "ten"}, "talk_seconds is not a valid integer: ten"),
        ({"is_abandoned": "maybe"}, "is_abandoned is not a valid boolean: maybe"),
        ({"resolved_at": "2026-03-29T00:30:00+01:00"}, "resolved_at is before first_resolved_at or created_at"),
        ({"status": "lost"}, "status 'lost' is not one of"),
        ({"is_abandoned": "true", "first_replied_at": "2026-03-29T02:30:00+01:00"}, "an abandoned contact cannot have a reply"),
    ],
)
def test_contract_breaking_row_is_quarantined_with_its_reason(con, tmp_path, overrides, reason):
    _write(tmp_path, "contacts", "c.csv", f"{CONTACT_HEADER}\nc0,u1,chat,pl,a1,billing,2026-03-01T10:00:00Z,,,,,,,,,false,open,,\n{_contact(**overrides)}\n")
    result = load_entity(con, CONTACTS, tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    [(_, quarantined_reason)] = _quarantine(con)
    assert reason in quarantined_reason


def test_every_reason_of_a_row_is_listed(con, tmp_path):
    _write(tmp_path, "contacts", "c.csv", f"{CONTACT_HEADER}\n{_contact(channel='fax', talk_seconds='-1', created_at='x')}\n")
    load_entity(con, CONTACTS, tmp_path)
    [reasons] = con.execute("select reasons from raw.quarantine").fetchall()[0]
    assert len(reasons) == 3


def test_duplicate_key_in_a_file_quarantines_the_later_row(con, tmp_path):
    _write(tmp_path, "contacts", "c.csv", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n{_contact(customer_id='u2')}\n")
    result = load_entity(con, CONTACTS, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert con.execute("select customer_id from raw.contacts").fetchall() == [("u1",)]
    assert "duplicate key c1 in this file (first at row 1)" in _quarantine(con)[0][1]


def test_a_key_repeated_three_times_quarantines_both_later_rows(con, tmp_path):
    rows = [GOOD_CONTACT, _contact(contact_id="c2"), _contact(customer_id="u2"), _contact(customer_id="u3")]
    _write(tmp_path, "contacts", "c.csv", CONTACT_HEADER + "\n" + "\n".join(rows) + "\n")
    result = load_entity(con, CONTACTS, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    assert con.execute("select contact_id, customer_id from raw.contacts order by 1").fetchall() == [("c1", "u1"), ("c2", "u1")]
    assert [reason for _, reason in _quarantine(con)] == ["duplicate key c1 in this file (first at row 1)"] * 2


def test_lookups_read_the_newest_loaded_version_of_each_key(con, tmp_path):
    """c1 is re-exported later with a later creation time: a status change is checked against that."""
    _write(tmp_path, "contacts", "a.csv", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n{_contact(contact_id='c2')}\n")
    load_entity(con, CONTACTS, tmp_path)
    _write(tmp_path, "contacts", "b.csv", f"{CONTACT_HEADER}\n{_contact(created_at='2026-03-29T05:00:00+02:00')}\n")
    load_entity(con, CONTACTS, tmp_path)
    changes = ENTITIES_BY_NAME["contact_status_changes"]
    _write(tmp_path, "contact_status_changes", "s.csv", "status_change_id,contact_id,status,changed_at,agent_id\n"
           "s1,c1,open,2026-03-29T02:30:00+01:00,a1\ns2,c2,open,2026-03-29T02:30:00+01:00,a1\n"
           "s3,c9,open,2026-03-29T02:30:00+01:00,a1\n")
    result = load_entity(con, changes, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined, result.rows_waiting) == (1, 1, 1)
    reasons = dict(con.execute("select record->>'status_change_id', reason from raw.quarantine").fetchall())
    assert reasons == {"s1": "changed_at is before the contact was created"}
    waiting = con.execute("select record->>'status_change_id', reason from raw.waiting").fetchall()
    assert waiting == [("s3", "unknown contact_id (no loaded contact)")]


def test_malformed_csv_line_is_quarantined_not_dropped(con, tmp_path):
    _write(tmp_path, "contacts", "c.csv", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n{_contact(contact_id='c2')},extra\nc3,u1\n")
    result = load_entity(con, CONTACTS, tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    reasons = [r for _, r in _quarantine(con)]
    assert all(r.startswith("malformed CSV line") for r in reasons)


def test_reloading_the_same_content_adds_nothing(con, tmp_path):
    first = _write(tmp_path, "contacts", "a.csv", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n{_contact(contact_id='c2', channel='fax')}\n")
    load_entity(con, CONTACTS, tmp_path)
    shutil.copy(first, first.with_name("a_copy.csv"))  # same bytes under a new name
    again = load_entity(con, CONTACTS, tmp_path)
    assert again.files_skipped == 2 and again.rows_read == 0
    assert con.execute("select count(*) from raw.contacts").fetchall() == [(1,)]
    assert con.execute("select count(*) from raw.quarantine").fetchall() == [(1,)]
    assert con.execute("select count(*) from raw._file_loads").fetchall() == [(1,)]


def test_a_file_is_known_by_path_size_and_modification_time_or_else_by_its_hash(con, tmp_path):
    path = _write(tmp_path, "contacts", "a.csv", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n")
    load_entity(con, CONTACTS, tmp_path)

    def recorded_mtime() -> int:
        return con.execute("select file_mtime_ns from raw._file_loads").fetchall()[0][0]

    assert recorded_mtime() == path.stat().st_mtime_ns
    # Touched, not changed: hashed, known by its hash, and its new time is recorded.
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    touched = load_entity(con, CONTACTS, tmp_path)
    assert (touched.files_skipped, touched.rows_read) == (1, 0) and recorded_mtime() == path.stat().st_mtime_ns
    # Other bytes of the same size under the recorded time are taken as seen, without reading
    # them (the trade-off of make and rsync); a write that moves the time loads them.
    changed = f"{CONTACT_HEADER}\n{_contact(contact_id='c2')}\n"
    assert len(changed) == len(path.read_text())
    seen_at = path.stat().st_mtime_ns
    path.write_text(changed)
    os.utime(path, ns=(seen_at, seen_at))
    assert load_entity(con, CONTACTS, tmp_path).rows_read == 0
    os.utime(path, ns=(seen_at, seen_at + 1_000_000_000))
    rewritten = load_entity(con, CONTACTS, tmp_path)
    assert (rewritten.files_loaded, rewritten.rows_loaded) == (1, 1)
    assert con.execute("select contact_id from raw.contacts order by 1").fetchall() == [("c1",), ("c2",)]


def test_new_file_adds_only_its_rows_and_counts_reconcile(con, tmp_path):
    _write(tmp_path, "contacts", "a.csv", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n")
    load_entity(con, CONTACTS, tmp_path)
    _write(tmp_path, "contacts", "b.csv", f"{CONTACT_HEADER}\n{_contact(contact_id='c2')}\n{_contact(contact_id='c3', channel='x')}\n")
    result = load_entity(con, CONTACTS, tmp_path)
    assert (result.files_loaded, result.files_skipped, result.rows_loaded, result.rows_quarantined) == (1, 1, 1, 1)
    logged = con.execute(
        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw._file_loads"
    ).fetchall()[0]
    actual = (
        con.execute("select count(*) from raw.contacts").fetchall()[0][0],
        con.execute("select count(*) from raw.quarantine").fetchall()[0][0],
    )
    assert logged == (3, 2, 1) and actual == (2, 1)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"contact_id,customer_id\nc1,u1\n", "missing column(s) channel"),
        (CONTACT_HEADER.encode() + b"\n" + GOOD_CONTACT.replace("pl", "\xff\xfe").encode("latin-1") + b"\n", "Invalid unicode"),
        (b"", "Cannot load"),
    ],
)
def test_unreadable_file_fails_loudly_and_loads_nothing(con, tmp_path, content, problem):
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "bad.csv").write_bytes(content)
    _write(tmp_path, "contacts", "good.csv", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n")
    result = load_entity(con, CONTACTS, tmp_path)
    assert list(result.failures) == ["contacts/bad.csv"]
    message = result.failures["contacts/bad.csv"]
    assert "bad.csv" in message and problem in message and "re-run" in message
    # The good file still loads; nothing of the bad one does, and it is not logged as loaded.
    assert result.rows_loaded == 1
    assert con.execute("select count(*) from raw._file_loads").fetchall() == [(1,)]
    assert con.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]


def test_parquet_input_with_native_types_and_multilingual_text(con, tmp_path):
    folder = tmp_path / "survey_responses"
    folder.mkdir()
    for entity in (QUESTIONS, SURVEY_RESPONSES):
        src = HANDMADE / entity.name / f"{entity.name}.csv"
        if entity is QUESTIONS:
            _write(tmp_path, entity.name, src.name, src.read_text(encoding="utf-8"))
        else:
            frame = pd.read_csv(src, dtype=str)
            frame["answered_at"] = pd.to_datetime(frame["answered_at"], utc=True, format="ISO8601")
            frame.to_parquet(folder / "responses.parquet", index=False)
    answers = pd.DataFrame(
        {
            "response_id": ["r0", "r0", "r9", "r_missing"],
            "question_id": ["q_nps", "q_comment", "q_nps", "q_nps"],
            "answer_value": [0.0, None, 9.5, 3.0],
            "answer_text": [None, "Żółć i ёлка — ok", None, None],
        }
    )
    (tmp_path / "survey_answers").mkdir()
    answers.to_parquet(tmp_path / "survey_answers" / "answers.parquet", index=False)
    for entity in (QUESTIONS, SURVEY_RESPONSES, SURVEY_ANSWERS):
        load_entity(con, entity, tmp_path)
    assert con.execute("select count(*) from raw.survey_responses").fetchall() == [(10,)]
    text = con.execute("select answer_text from raw.survey_answers where question_id = 'q_comment'").fetchall()
    assert text == [("Żółć i ёлка — ok",)]
    reasons = dict(con.execute("select record->>'response_id', reason from raw.quarantine").fetchall())
    assert reasons == {"r9": "nps, csat, ces and emotion answers must be whole points of the scale"}
    waiting = dict(con.execute("select record->>'response_id', reason from raw.waiting").fetchall())
    assert waiting == {"r_missing": "unknown response_id (no loaded survey response)"}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("r1,q_nps,11,", "answer_value outside the question's scale"),
        # Both at once: a bad value quarantines the row even while it would wait for its question.
        ("r1,q_nope,,", "answer has neither a value nor a text; unknown question_id (not in the question catalog)"),
        ("r1,q_emotion,2,happiness", "emotion answer_text must be one of Plutchik's eight primary emotions"),
        ("r1,q_csat,,", "answer has neither a value nor a text"),
        ("r1,q_ces,,very easy", "a scored question needs answer_value"),
    ],
)
def test_answer_rules_use_the_question_catalog(con, tmp_path, row, reason):
    _write(tmp_path, "questions", "q.csv", (HANDMADE / "questions" / "questions.csv").read_text(encoding="utf-8"))
    _write(tmp_path, "survey_responses", "r.csv",
           ",".join(SURVEY_RESPONSES.column_names) + "\nr1,s1,relationship,u1,,web,,,en,,2026-01-01T10:00:00Z\n")
    _write(tmp_path, "survey_answers", "a.csv", "response_id,question_id,answer_value,answer_text\n" + row + "\n")
    for entity in (QUESTIONS, SURVEY_RESPONSES, SURVEY_ANSWERS):
        load_entity(con, entity, tmp_path)
    [(quarantined_reason,)] = con.execute("select reason from raw.quarantine").fetchall()
    assert reason in quarantined_reason


def test_question_catalog_rejects_a_headline_measure_on_another_scale(con, tmp_path):
    header = ",".join(QUESTIONS.column_names)
    _write(tmp_path, "questions", "q.csv", f"{header}\nq_nps5,Recommend?,nps,,1,5,false\nq_f,Fair?,force,enjoyment,1,5,false\nq_p,Fair?,pillar,fairness,1,5,false\n")
    load_entity(con, QUESTIONS, tmp_path)
    reasons = dict(con.execute("select record->>'question_id', reason from raw.quarantine").fetchall())
    assert "nps must be on 0-10" in reasons["q_nps5"]
    assert reasons["q_p"] == "construct must name a Force for measure force, a Pillar for measure pillar, and be empty otherwise"
    assert "q_f" not in reasons


def test_csat_may_be_asked_on_the_scales_survey_tools_offer_and_no_other(con, tmp_path):
    header = ",".join(QUESTIONS.column_names)
    scales = {"q_2": (1, 2), "q_3": (1, 3), "q_5": (1, 5), "q_7": (1, 7), "q_10": (1, 10), "q_11": (0, 10),
              "q_4": (1, 4), "q_2_6": (2, 6)}
    rows = "\n".join(f"{qid},Satisfied?,csat,,{lo},{hi},false" for qid, (lo, hi) in scales.items())
    _write(tmp_path, "questions", "q.csv", f"{header}\n{rows}\n")
    load_entity(con, QUESTIONS, tmp_path)
    reasons = dict(con.execute("select record->>'question_id', reason from raw.quarantine").fetchall())
    assert reasons == {qid: "csat must be on 1-2, 1-3, 1-5, 1-7, 1-10, 0-10" for qid in ("q_4", "q_2_6")}


def test_every_csat_scale_of_the_contract_has_a_top_box_rule():
    with (REPO_ROOT / "dbt_project" / "seeds" / "csat_scales.csv").open(encoding="utf-8") as seed:
        ruled = {(int(row["scale_min"]), int(row["scale_max"])) for row in csv.DictReader(seed)}
    assert ruled == set(CSAT_SCALES)


def test_a_failed_load_leaves_no_partial_rows(tmp_path):
    """A file's rows, quarantine and log entry commit together or not at all."""
    database = tmp_path / "cx.duckdb"
    with connect(database) as connection:
        ensure_raw_schema(connection, ENTITIES)
        connection.execute("drop table raw.quarantine")  # make the second write of the file fail
        path = _write(tmp_path, "contacts", "c.csv", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n{_contact(contact_id='c2', channel='x')}\n")
        with pytest.raises(duckdb.Error):
            load_file(connection, CONTACTS, path, tmp_path)
        assert connection.execute("select count(*) from raw.contacts").fetchall() == [(0,)]
        assert connection.execute("select count(*) from raw._file_loads").fetchall() == [(0,)]


def test_every_entity_has_a_folder_in_the_handmade_fixture():
    assert {p.name for p in HANDMADE.iterdir()} == set(ENTITIES_BY_NAME)


def test_a_text_column_with_a_pattern_quarantines_what_does_not_match(con, tmp_path):
    """Text is never cast, so only the pattern (ISO 639-1 here) can reject it; blank is 'missing'."""
    customers = ENTITIES_BY_NAME["customers"]
    header = ",".join(customers.column_names)
    good = "u1,Ann,ann@example.com,consumer,emea,{},2025-01-01,10.5,active,"
    rows = [good.format("en"), good.replace("u1", "u2").format("EN"), good.replace("u1", "u3").format("")]
    _write(tmp_path, "customers", "customers.csv", header + "\n" + "\n".join(rows) + "\n")
    result = load_entity(con, customers, tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    assert con.execute("select record->>'customer_id', reason from raw.quarantine order by _source_row").fetchall() == [
        ("u2", "language does not match ^[a-z]{2}$: EN"),
        ("u3", "language is missing"),
    ]


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        (",".join(GOOD_CONTACT.split(",")[:7]), "its last record has 7 of the header's 19 fields"),
        ('c3,u1,phone,pl,a1,"billing, and', "it ends inside a quoted value"),
    ],
)
def test_a_file_cut_mid_record_is_rejected_whole_and_its_complete_version_loads(con, tmp_path, tail, problem):
    complete = f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n{_contact(contact_id='c2')}\n{_contact(contact_id='c3')}\n"
    path = _write(tmp_path, "contacts", "c.csv", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n{_contact(contact_id='c2')}\n{tail}")
    result = load_entity(con, CONTACTS, tmp_path)
    message = result.failures["contacts/c.csv"]
    assert "looks truncated" in message and problem in message and "Nothing from this file was loaded" in message
    assert (result.rows_read, con.execute("select count(*) from raw._file_loads").fetchall()) == (0, [(0,)])
    path.write_text(complete, encoding="utf-8")  # the upload completes
    assert load_entity(con, CONTACTS, tmp_path).rows_loaded == 3


def test_a_file_without_a_final_line_break_but_whole_records_loads(con, tmp_path):
    quoted = _contact(contact_id="c2", contact_reason='"a, b"')
    _write(tmp_path, "contacts", "c.csv", f"{CONTACT_HEADER}\r\n{GOOD_CONTACT}\r\n{quoted}")
    result = load_entity(con, CONTACTS, tmp_path)
    assert (result.failures, result.rows_loaded) == ({}, 2)


def test_a_parquet_file_without_its_footer_is_rejected_as_truncated(con, tmp_path):
    frame = pd.read_csv(HANDMADE / "contacts" / "contacts.csv", dtype=str)
    (tmp_path / "contacts").mkdir()
    whole = tmp_path / "whole.parquet"
    frame.to_parquet(whole, index=False)
    (tmp_path / "contacts" / "c.parquet").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    result = load_entity(con, CONTACTS, tmp_path)
    assert "looks truncated" in result.failures["contacts/c.parquet"] and "no Parquet footer" in result.failures["contacts/c.parquet"]


def test_a_file_with_nul_bytes_is_reported_as_such(con, tmp_path):
    """A UTF-16 export ("Unicode text") is full of NUL bytes; the reader saw only a missing column."""
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "c.csv").write_bytes(f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n".encode("utf-16-le"))
    message = load_entity(con, CONTACTS, tmp_path).failures["contacts/c.csv"]
    assert "NUL byte(s), the first at byte 1" in message and "UTF-16" in message and "missing column" not in message


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"talk_seconds": "999999"}, "talk_seconds 999999 is above the plausible maximum 28800"),
        ({"hold_seconds": "14401"}, "hold_seconds 14401 is above the plausible maximum 14400"),
        ({"created_at": "2099-03-29T01:59:00+01:00"}, "created_at 2099-03-29T01:59:00+01:00 is more than 24 h after the load (20"),
        ({"created_at": "1970-01-01T00:00:00Z"}, "created_at 1970-01-01T00:00:00Z is more than 30 years before the load"),
        ({"first_replied_at": "2026-05-29T01:59:00+01:00"},
         "first_reply_wait (first_replied_at - coalesce(queue_entered_at, created_at)) of 1464.0 h is above the plausible maximum 720 h"),
    ],
)
def test_a_value_past_a_plausibility_limit_is_quarantined_with_the_limit(con, tmp_path, overrides, reason):
    _write(tmp_path, "contacts", "c.csv", f"{CONTACT_HEADER}\n{_contact(contact_id='c0', talk_seconds='28800')}\n{_contact(**overrides)}\n")
    result = load_entity(con, CONTACTS, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    [(_, quarantined_reason)] = _quarantine(con)
    assert quarantined_reason.startswith(reason)
    assert quarantined_reason.endswith(" (a plausibility limit; CX_PLAUSIBILITY_LIMITS changes it)")


def test_plausibility_limits_are_configurable_and_a_wrong_file_says_so(con, tmp_path, monkeypatch):
    limits = tmp_path / "limits.yml"
    limits.write_text("columns:\n  contacts:\n    talk_seconds: 100000\n    hold_seconds: null\n"
                      "timestamps:\n  max_years_in_past: 60\n")
    monkeypatch.setenv("CX_PLAUSIBILITY_LIMITS", str(limits))
    rows = [_contact(contact_id="c1", talk_seconds="99999", hold_seconds="99999"),
            _contact(contact_id="c2", talk_seconds="100001"), _contact(contact_id="c3", created_at="1970-01-01T00:00:00Z")]
    _write(tmp_path, "contacts", "c.csv", CONTACT_HEADER + "\n" + "\n".join(rows) + "\n")
    result = load_entity(con, CONTACTS, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert "above the plausible maximum 100000" in _quarantine(con)[0][1]
    limits.write_text("columns:\n  contacts:\n    talk_secs: 10\n")
    with pytest.raises(ValueError, match="columns.contacts.talk_secs is not a column of the contract"):
        load_entity(con, CONTACTS, tmp_path)
