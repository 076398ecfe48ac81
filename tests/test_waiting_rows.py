"""Late parents: a row whose parent is not loaded yet waits, and loads when the parent arrives.

Counts are asserted at every step, and every load reconciles (dagster_cx.ingest.reconcile):
rows read = in the raw table + released + waiting + quarantined + excluded.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from dagster_cx import summary
from dagster_cx.contract import CONTACTS, ENTITIES, ENTITIES_BY_NAME, QUESTIONS, SURVEY_ANSWERS, SURVEY_RESPONSES
from dagster_cx.ingest.loader import load_entity
from dagster_cx.ingest.raw_tables import ensure_raw_schema
from dagster_cx.ingest.reconcile import mismatches
from dagster_cx.ingest.waiting import SUPERSEDED, waiting_rows
from dagster_cx.warehouse import connect
from tests.pipeline import failed_checks, run_pipeline
from tests.raw_files import CONTACT_HEADER
from tests.raw_files import write_raw_file as _write

HANDMADE = Path(__file__).parent / "fixtures" / "handmade"
STATUS_CHANGES = ENTITIES_BY_NAME["contact_status_changes"]
MESSAGES = ENTITIES_BY_NAME["contact_messages"]
CONTACT = "{id},u1,chat,pl,a1,billing,{created},,,,,,100,10,20,false,open,0,normal"
CHANGE_HEADER = "status_change_id,contact_id,status,changed_at,agent_id"
MESSAGE_HEADER = "message_id,contact_id,author_role,author_id,is_public,sent_at"


@pytest.fixture
def con(tmp_path: Path):
    with connect(tmp_path / "cx.duckdb") as connection:
        ensure_raw_schema(connection, ENTITIES)
        yield connection


def _contacts(*rows: tuple[str, str]) -> str:
    return CONTACT_HEADER + "\n" + "".join(CONTACT.format(id=i, created=c) + "\n" for i, c in rows)


def _count(con, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]


def _assert_reconciled(con) -> None:
    for entity in ENTITIES:
        assert mismatches(con, entity) == [], entity.name


def test_children_of_a_late_contact_wait_and_load_in_the_run_that_loads_it(con, tmp_path):
    _write(tmp_path, "contacts", "2026-01.csv", _contacts(("c1", "2026-01-05T09:00:00Z")))
    _write(tmp_path, "contact_status_changes", "2026-01.csv", CHANGE_HEADER + "\n"
           "s1,c1,open,2026-01-05T09:05:00Z,a1\ns2,c2,open,2026-01-06T10:05:00Z,a1\ns3,c2,solved,2026-01-06T11:00:00Z,a1\n")
    _write(tmp_path, "contact_messages", "2026-01.csv", MESSAGE_HEADER + "\n"
           "m1,c2,customer,,true,2026-01-06T10:01:00Z\nm2,c2,agent,a1,true,2026-01-06T10:04:00Z\n")
    first = [load_entity(con, entity, tmp_path) for entity in (CONTACTS, STATUS_CHANGES, MESSAGES)]
    assert [(r.rows_read, r.rows_loaded, r.rows_waiting, r.rows_quarantined) for r in first] == [
        (1, 1, 0, 0), (3, 1, 2, 0), (2, 0, 2, 0)]
    assert _count(con, "select count(*) from raw.quarantine") == 0
    [changes, messages] = sorted(waiting_rows(con), key=lambda w: w.entity)
    assert (changes.entity, changes.rows, changes.top_reasons) == (
        "contact_messages", 2, [("unknown contact_id (no loaded contact)", 2)])
    assert (messages.entity, messages.rows) == ("contact_status_changes", 2)
    _assert_reconciled(con)

    # The complete contacts file arrives: in the same load the waiting rows find their contact.
    _write(tmp_path, "contacts", "2026-01-complete.csv", _contacts(("c2", "2026-01-06T10:00:00Z")))
    second = [load_entity(con, entity, tmp_path) for entity in (CONTACTS, STATUS_CHANGES, MESSAGES)]
    assert [r.released for r in second] == [0, 2, 2]
    assert [r.files_loaded for r in second] == [1, 0, 0]
    assert _count(con, "select count(*) from raw.waiting") == 0
    assert con.execute("select status_change_id from raw.contact_status_changes order by 1").fetchall() == [
        ("s1",), ("s2",), ("s3",)]
    # Released rows keep their file and row, and carry a new load id that the incremental build sees.
    released = con.execute(
        "select _source_file, _source_row, _load_id from raw.contact_messages order by message_id").fetchall()
    contacts_load = _count(con, "select max(load_id) from raw._file_loads where entity = 'contacts'")
    assert [(f, r) for f, r, _ in released] == [("contact_messages/2026-01.csv", 1), ("contact_messages/2026-01.csv", 2)]
    assert all(load_id > contacts_load for _, _, load_id in released)
    assert con.execute("select entity, rows_released, rows_quarantined, rows_excluded from raw._waiting_releases "
                       "order by entity").fetchall() == [("contact_messages", 2, 0, 0), ("contact_status_changes", 2, 0, 0)]
    _assert_reconciled(con)
    # A further load releases nothing twice.
    assert [load_entity(con, entity, tmp_path).released for entity in (STATUS_CHANGES, MESSAGES)] == [0, 0]
    assert _count(con, "select count(*) from raw.contact_messages") == 2


def test_a_released_row_that_breaks_a_rule_once_its_parent_is_known_is_quarantined(con, tmp_path):
    _write(tmp_path, "contact_status_changes", "a.csv", CHANGE_HEADER + "\n"
           "s1,c1,open,2026-01-05T08:00:00Z,a1\ns2,c1,solved,2026-01-05T12:00:00Z,a1\n")
    assert load_entity(con, STATUS_CHANGES, tmp_path).rows_waiting == 2
    _write(tmp_path, "contacts", "a.csv", _contacts(("c1", "2026-01-05T09:00:00Z")))  # created after s1
    load_entity(con, CONTACTS, tmp_path)
    result = load_entity(con, STATUS_CHANGES, tmp_path)
    assert (result.released, result.released_to_quarantine) == (1, 1)
    assert con.execute("select record->>'status_change_id', reason, _source_file, _source_row from raw.quarantine").fetchall() == [
        ("s1", "changed_at is before the contact was created", "contact_status_changes/a.csv", 1)]
    _assert_reconciled(con)


def test_a_newer_version_loaded_while_an_older_one_waited_supersedes_it(con, tmp_path):
    """s1 waits; a later file carries s1 again (its contact now known) and loads. When the wait
    ends, the older version must not overwrite the newer: it is excluded as superseded."""
    _write(tmp_path, "contact_status_changes", "1.csv", CHANGE_HEADER + "\ns1,c1,open,2026-01-05T09:30:00Z,a1\n"
           "s2,c1,open,2026-01-05T09:40:00Z,a1\n")
    load_entity(con, STATUS_CHANGES, tmp_path)
    _write(tmp_path, "contacts", "1.csv", _contacts(("c9", "2026-01-05T09:00:00Z")))
    load_entity(con, CONTACTS, tmp_path)
    _write(tmp_path, "contact_status_changes", "2.csv", CHANGE_HEADER + "\ns1,c9,pending,2026-01-05T10:00:00Z,a2\n"
           "s2,c1,solved,2026-01-05T11:00:00Z,a2\n")
    second = load_entity(con, STATUS_CHANGES, tmp_path)
    assert (second.rows_loaded, second.rows_waiting) == (1, 1)
    # Two versions of s2 wait; once c1 arrives only the newer one loads.
    _write(tmp_path, "contacts", "2.csv", _contacts(("c1", "2026-01-05T09:00:00Z")))
    load_entity(con, CONTACTS, tmp_path)
    third = load_entity(con, STATUS_CHANGES, tmp_path)
    assert (third.released, third.released_superseded) == (1, 2)
    assert con.execute("select status_change_id, contact_id, status from raw.contact_status_changes order by 1").fetchall() == [
        ("s1", "c9", "pending"), ("s2", "c1", "solved")]
    excluded = con.execute("select record->>'status_change_id', _source_file, reason from raw.excluded order by 2, 1").fetchall()
    assert excluded == [("s1", "contact_status_changes/1.csv", SUPERSEDED),
                        ("s2", "contact_status_changes/1.csv", SUPERSEDED)]
    _assert_reconciled(con)


def test_an_answer_waits_for_its_response_and_its_question_and_says_which_it_still_lacks(con, tmp_path):
    response_header = ",".join(SURVEY_RESPONSES.column_names)
    _write(tmp_path, "survey_answers", "a.csv", "response_id,question_id,answer_value,answer_text\n"
           "r1,q_nps,9,\nr1,q_new,4,\nr2,q_nps,12,\n")
    result = load_entity(con, SURVEY_ANSWERS, tmp_path)
    # An out-of-scale value cannot be judged before its question is known, and waits too.
    assert (result.rows_waiting, result.rows_quarantined) == (3, 0)
    _write(tmp_path, "questions", "q.csv", (HANDMADE / "questions" / "questions.csv").read_text(encoding="utf-8"))
    _write(tmp_path, "survey_responses", "r.csv", response_header + "\nr1,s1,relationship,u1,,web,,,en,,2026-01-01T10:00:00Z\n"
           "r2,s1,relationship,u1,,web,,,en,,2026-01-01T11:00:00Z\n")
    load_entity(con, QUESTIONS, tmp_path)
    load_entity(con, SURVEY_RESPONSES, tmp_path)
    released = load_entity(con, SURVEY_ANSWERS, tmp_path)
    assert (released.released, released.released_to_quarantine) == (1, 1)
    assert con.execute("select record->>'question_id', reason from raw.waiting").fetchall() == [
        ("q_new", "unknown question_id (not in the question catalog)")]
    assert con.execute("select record->>'response_id', reason from raw.quarantine").fetchall() == [
        ("r2", "answer_value outside the question's scale")]
    _assert_reconciled(con)


def test_an_opt_out_waits_for_its_customer(con, tmp_path):
    opt_outs, customers = ENTITIES_BY_NAME["survey_opt_outs"], ENTITIES_BY_NAME["customers"]
    _write(tmp_path, "survey_opt_outs", "o.csv", "customer_id,is_opted_out,changed_at\nu9,true,2026-01-01T10:00:00Z\n")
    assert load_entity(con, opt_outs, tmp_path).rows_waiting == 1
    _write(tmp_path, "customers", "c.csv", ",".join(customers.column_names)
           + "\nu9,Ann,ann@example.com,consumer,emea,en,2025-01-01,10.5,active,\n")
    load_entity(con, customers, tmp_path)
    assert load_entity(con, opt_outs, tmp_path).released == 1
    _assert_reconciled(con)


def test_a_contact_of_an_unknown_customer_loads_and_is_counted_in_the_load_log(con, tmp_path):
    """The rule for orphan customers: load (a voice platform's records may come with no customer
    export at all), count it per file, and show it; the marts give it segment 'unknown'."""
    _write(tmp_path, "contacts", "a.csv", _contacts(("c1", "2026-01-05T09:00:00Z"), ("c2", "2026-01-05T10:00:00Z")))
    result = load_entity(con, CONTACTS, tmp_path)
    assert (result.rows_loaded, result.rows_waiting, result.rows_quarantined) == (2, 0, 0)
    [(flags,)] = con.execute("select row_flags from raw._file_loads").fetchall()
    assert flags == '{"customer_id not in the loaded customers (loaded, with segment \'unknown\' until it arrives)": 2}'


# What the contacts' late arrival must not change: compared with the build from complete files.
CONTACT_MARTS = ("fct_contacts", "fct_contact_sla_policies", "mart_contact_center_daily", "mart_sla_attainment_daily")


def _mart(database: Path, table: str):
    con = duckdb.connect(str(database), read_only=True)
    try:
        frame = con.sql(f"select * from marts.{table}").df()
    finally:
        con.close()
    frame = frame.drop(columns=[c for c in frame.columns if c == "loaded_at"])
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_a_contacts_file_cut_short_then_complete_gives_the_complete_marts(tmp_path, handmade_warehouse):
    """Issue 27's case on the hand-made fixture: the contacts file first arrives cut short (its first
    five contacts, whole lines), so the other contacts' status changes and messages wait; the complete
    file replaces it in the next run, which loads them and rebuilds the marts incrementally to what a
    build from complete files gives."""
    data = tmp_path / "data"
    shutil.copytree(HANDMADE, data)
    complete = (data / "contacts" / "contacts.csv").read_text(encoding="utf-8")
    (data / "contacts" / "contacts.csv").write_text("\n".join(complete.splitlines()[:6]) + "\n", encoding="utf-8")
    arrived = set(pd.read_csv(data / "contacts" / "contacts.csv", dtype=str)["contact_id"])
    warehouse = tmp_path / "cx.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    first = run_pipeline(data, warehouse, instance=instance, report=False)
    assert first.success, failed_checks(first)
    expected = {entity: _orphans(HANDMADE / entity / f"{entity}.csv", arrived)
                for entity in ("contact_status_changes", "contact_messages")}
    assert all(expected.values())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert dict(con.execute("select entity, count(*) from raw.waiting group by 1").fetchall()) == expected
        assert con.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]
        assert con.execute("select count(*) from marts.fct_contacts").fetchall() == [(len(arrived),)]
    waiting_check = _check_metadata(first, "raw/contact_status_changes:waiting_rows")
    assert waiting_check["rows_waiting"] == expected["contact_status_changes"]

    (data / "contacts" / "contacts.csv").write_text(complete, encoding="utf-8")
    second = run_pipeline(data, warehouse, instance=instance, report=False)
    assert second.success, failed_checks(second)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.waiting").fetchall() == [(0,)]
        released = dict(con.execute("select entity, sum(rows_released) from raw._waiting_releases group by 1").fetchall())
        assert released == expected
        assert con.execute("select mode from raw._dbt_builds order by build_id").fetchall() == [
            ("full_refresh",), ("incremental",)]
        for entity in ENTITIES:
            assert mismatches(con, entity) == [], entity.name
    for table in CONTACT_MARTS:
        pd.testing.assert_frame_equal(_mart(warehouse, table), _mart(handmade_warehouse, table),
                                      check_exact=False, rtol=1e-9, obj=table)


def _orphans(path: Path, contacts: set[str]) -> int:
    return int((~pd.read_csv(path, dtype=str)["contact_id"].isin(contacts)).sum())


def _check_metadata(result: dg.ExecuteInProcessResult, check: str) -> dict:
    [evaluation] = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
                    and e.event_specific_data.asset_check_key.to_user_string() == check]
    return {key: value.value for key, value in evaluation.metadata.items()}


def test_the_summary_says_what_waits_and_which_rows_name_an_unknown_customer(con, tmp_path):
    _write(tmp_path, "contact_status_changes", "a.csv", CHANGE_HEADER + "\ns1,c9,open,2026-01-05T09:30:00Z,a1\n"
           "s2,c9,solved,2026-01-05T10:30:00Z,a1\n")
    load_entity(con, STATUS_CHANGES, tmp_path)
    con.execute("update raw.waiting set _loaded_at = _loaded_at - interval 50 hours")
    lines = summary.waiting_lines(con, datetime.now(UTC))
    assert lines[0] == "Waiting for a parent (loaded when it arrives; warn after 48 h):"
    assert re.fullmatch(r"  contact_status_changes +2 rows, oldest 50\.0 h: unknown contact_id \(no loaded contact\)", lines[1])
    # Staging as dbt leaves it: one contact and one response of a customer the customers lack.
    con.execute("create schema staging")
    con.execute("create table staging.stg_cx__customers as select 'u1' as customer_id")
    con.execute("create table staging.stg_cx__contacts as select * from (values ('c1', 'u1'), ('c2', 'u9')) t(contact_id, customer_id)")
    con.execute("create table staging.stg_cx__survey_responses as select 'r1' as response_id, 'u7' as customer_id")
    assert summary.customer_flag_lines(con) == [
        "Unknown customers (loaded, flagged):",
        "  contacts                     1 rows name a customer not in customers (segment 'unknown' in the marts)",
        "  survey_responses             1 rows name a customer not in customers (segment 'unknown' in the marts)",
    ]
