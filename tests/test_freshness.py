"""Source freshness: a warning when an entity has received no new data for too long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from dagster_cx.contract import CONTACTS, ENTITIES, QUESTIONS
from dagster_cx.ingest.freshness import freshness
from dagster_cx.ingest.raw_tables import FILE_LOADS_TABLE, ensure_raw_schema
from tests.pipeline import failed_checks

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _warehouse_with_loads(*loads: tuple[str, int, timedelta]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse whose file log holds (entity, rows_read, age) loads."""
    con = duckdb.connect()
    ensure_raw_schema(con, ENTITIES)
    for load_id, (entity, rows, age) in enumerate(loads, start=1):
        con.execute(
            f"insert into {FILE_LOADS_TABLE} (load_id, entity, source_file, file_hash, file_bytes, rows_read, "
            "rows_loaded, rows_quarantined, loaded_at) values (?, ?, ?, ?, 0, ?, ?, 0, ?)",
            [load_id, entity, f"{entity}/file_{load_id}.csv", f"hash{load_id}", rows, rows, NOW - age],
        )
    return con


@pytest.mark.parametrize(("age", "fresh"), [
    (timedelta(hours=23, minutes=59), True),
    (timedelta(hours=24), True),  # the border counts as fresh
    (timedelta(hours=24, seconds=1), False),
    (timedelta(days=9), False),
])
def test_contacts_are_stale_once_the_expected_interval_has_passed(age, fresh):
    state = freshness(_warehouse_with_loads(("contacts", 10, age)), CONTACTS, NOW)
    assert state.is_fresh is fresh
    assert state.hours_since == pytest.approx(age.total_seconds() / 3600)
    assert ("STALE" in state.describe()) is not fresh


def test_a_later_empty_or_other_entity_file_does_not_count_as_new_data():
    con = _warehouse_with_loads(("contacts", 10, timedelta(days=3)), ("contacts", 0, timedelta(hours=1)),
                                ("survey_responses", 5, timedelta(hours=1)))
    state = freshness(con, CONTACTS, NOW)
    assert not state.is_fresh and state.hours_since == pytest.approx(72)


def test_an_entity_never_loaded_is_stale_and_says_where_to_look():
    for con in (_warehouse_with_loads(), duckdb.connect()):  # an empty log, and no raw schema at all
        state = freshness(con, CONTACTS, NOW)
        assert not state.is_fresh and state.last_new_data_at is None
        assert "CX_DATA_DIR/contacts/" in state.describe()


def test_reference_data_has_no_expectation():
    with pytest.raises(ValueError, match="no freshness expectation"):
        freshness(duckdb.connect(), QUESTIONS, NOW)


def test_freshness_checks_run_in_the_build_and_pass_on_just_loaded_data(handmade_run):
    _, result = handmade_run
    evaluated = {
        event.event_specific_data.asset_check_key.to_user_string()
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert {c for c in evaluated if c.endswith(":freshness")} == {
        f"raw/{e}:freshness" for e in ("customers", "contacts", "survey_responses", "survey_answers")
    }
    assert not {c for c in failed_checks(result, "WARN") if c.endswith(":freshness")}
