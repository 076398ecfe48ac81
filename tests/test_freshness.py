"""Source freshness: a warning when an entity has received no new data for too long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_cx.contract import CONTACTS, ENTITIES, QUESTIONS
from dagster_cx.ingest.freshness import freshness, unconfigured_entities
from dagster_cx.ingest.raw_tables import FILE_LOADS_TABLE, ensure_raw_schema
from dagster_cx.sources.registry import sources_feeding
from tests.pipeline import failed_checks

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NO_FOLDERS = Path("/nonexistent/cx-data")  # a data directory holding no entity folder


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
    state = freshness(_warehouse_with_loads(("contacts", 10, age)), CONTACTS, NOW, NO_FOLDERS)
    assert state.is_fresh is fresh
    assert state.hours_since == pytest.approx(age.total_seconds() / 3600)
    assert ("STALE" in state.describe()) is not fresh


def test_a_later_empty_or_other_entity_file_does_not_count_as_new_data():
    con = _warehouse_with_loads(("contacts", 10, timedelta(days=3)), ("contacts", 0, timedelta(hours=1)),
                                ("survey_responses", 5, timedelta(hours=1)))
    state = freshness(con, CONTACTS, NOW, NO_FOLDERS)
    assert not state.is_fresh and state.hours_since == pytest.approx(72)


def test_an_entity_never_loaded_is_stale_and_says_where_to_look(tmp_path):
    (tmp_path / "contacts").mkdir()  # the feed is set up: its folder exists, nothing came
    for con in (_warehouse_with_loads(), duckdb.connect()):  # an empty log, and no raw schema at all
        state = freshness(con, CONTACTS, NOW, tmp_path)
        assert state.is_configured and state.is_stale and state.last_new_data_at is None
        assert "CX_DATA_DIR/contacts/" in state.describe()


def test_an_entity_never_configured_is_not_stale_and_says_so(tmp_path):
    (tmp_path / "survey_responses").mkdir()
    for con in (_warehouse_with_loads(("survey_responses", 5, timedelta(hours=1))), duckdb.connect()):
        state = freshness(con, CONTACTS, NOW, tmp_path)
        assert not state.is_configured and not state.is_stale and not state.is_fresh
        assert state.describe().startswith("contacts: not configured (no folder CX_DATA_DIR/contacts/, no source system")


@pytest.mark.parametrize("rows", [0, 10])
def test_a_feed_that_ever_loaded_a_file_stays_configured_when_its_folder_goes(rows):
    """An inbox emptied after loading, or an export that sent only empty files, is a feed: stale when late."""
    con = _warehouse_with_loads(("contacts", rows, timedelta(days=3)))
    state = freshness(con, CONTACTS, NOW, NO_FOLDERS)
    assert state.is_configured and state.is_stale
    assert unconfigured_entities(con, NO_FOLDERS, ["contacts", "survey_responses"]) == ["survey_responses"]


def test_an_entity_a_configured_source_feeds_is_configured_before_its_first_data():
    """A Zendesk account set up, nothing landed yet: contacts are late, not 'not configured'."""
    state = freshness(duckdb.connect(), CONTACTS, NOW, NO_FOLDERS, sources=("zendesk",))
    assert state.is_configured and state.is_stale
    assert state.describe() == ("contacts: no file with rows has ever been loaded; expected one every 24 h. "
                                "Check the export feeding CX_DATA_DIR/contacts/ and the zendesk source.")


def test_the_configured_file_drops_say_which_entities_they_feed(tmp_path, monkeypatch):
    for variable in ("CX_ZENDESK_SUBDOMAIN", "CX_ZENDESK_BASE_URL", "QUALTRICS_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CX_AMAZON_CONNECT_CTR_DIR", str(tmp_path / "ctrs"))
    monkeypatch.setenv("CX_SURVEY_EXPORTS_DIR", str(tmp_path / "exports"))
    assert sources_feeding("contacts") == ("amazon_connect",)
    assert sources_feeding("contact_messages") == ()
    assert sources_feeding("survey_answers") == ("survey_exports",)


def test_reference_data_has_no_expectation():
    with pytest.raises(ValueError, match="no freshness expectation"):
        freshness(duckdb.connect(), QUESTIONS, NOW, NO_FOLDERS)


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
