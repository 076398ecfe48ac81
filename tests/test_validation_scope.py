"""Validating only the changed rows: what it still catches, and when it falls back to the whole table."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_cx.build_state import BuildPlan, record_staging_build
from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.raw_tables import BUILD_LOG_TABLE, ensure_raw_schema
from dagster_cx.quality.gx_suites import SuiteSpec, check_suite
from dagster_cx.quality.validation_scope import (
    LEDGER_TABLE,
    ChangedKeys,
    can_check_changed_rows_only,
    decide_scope,
    record_validation,
)

PROJECT = "project-fingerprint"
EXPECTATIONS = [
    {"type": "expect_table_row_count_to_equal", "kwargs": {"value": {"$PARAMETER": "raw_keys"}}},
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "contact_id"}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "talk_seconds", "min_value": 0}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "channel", "mostly": 0.5}},
]


def _spec(tmp_path: Path, since: str = "load", expectations: list | None = None) -> SuiteSpec:
    sql = ("select contact_id from raw.contacts where _load_id > {after_load_id}" if since == "load"
           else "select contact_id from main.changed_contacts")
    return SuiteSpec(
        "toy", "staging.toy", ("staging", "toy"), {"raw_keys": "select count(distinct contact_id) from raw.contacts"},
        {"name": "toy", "expectations": expectations or EXPECTATIONS}, tmp_path / "toy.json",
        ChangedKeys(column="contact_id", since=since, sql=sql),
    )


@pytest.fixture
def warehouse(tmp_path):
    con = duckdb.connect(str(tmp_path / "cx.duckdb"))
    ensure_raw_schema(con, ENTITIES)
    con.execute("create schema staging")
    con.execute("create table staging.toy (contact_id varchar, talk_seconds integer, channel varchar)")
    con.execute("create table main.changed_contacts (contact_id varchar)")
    yield con
    con.close()


def _load(con, load_id: int, rows: list[tuple[str, int | None, str | None]]) -> None:
    """Raw rows of one load, and the staged rows they become."""
    for contact_id, talk_seconds, channel in rows:
        con.execute("insert into raw.contacts (contact_id, _load_id, _source_file, _source_row, _loaded_at) "
                    "values (?, ?, 'test.csv', 1, now())", [contact_id, load_id])
        con.execute("insert into staging.toy values (?, ?, ?)", [contact_id, talk_seconds, channel])


def _build(con, build_id: int, mode: str, through: int, project: str = PROJECT) -> None:
    now = datetime.now(UTC)
    con.execute(f"insert into {BUILD_LOG_TABLE} values (?, ?, ?, ?, null, null, ?, ?, null)",
                [build_id, through, mode, project, now, now])


def _check(con, spec: SuiteSpec, full_refresh: bool = False):
    outcome = check_suite(lambda: nullcontext(con), spec, lambda c: decide_scope(c, spec, PROJECT, full_refresh))
    record_validation(con, spec, PROJECT, outcome)
    return outcome


def _stage(con, through: int) -> None:
    """Record a successful staging step, as dbt_staging does before the checks on staged data."""
    record_staging_build(con, BuildPlan("incremental", "test", through, PROJECT), datetime.now(UTC))


def _run(con, spec: SuiteSpec, load_id: int, rows: list, full_refresh: bool = False, staging_log: bool = True):
    """One pipeline run: load, stage, check the staged table, then record the dbt build.
    Without `staging_log`, a warehouse built before the staging log existed."""
    _load(con, load_id, rows)
    if staging_log:
        _stage(con, load_id)
    outcome = _check(con, spec, full_refresh)
    if outcome.success:
        _build(con, load_id, "full_refresh" if load_id == 1 else "incremental", load_id)
    return outcome


def test_after_a_pass_only_rows_loaded_since_are_checked_and_their_faults_still_fail(tmp_path, warehouse):
    spec = _spec(tmp_path)
    first = _run(warehouse, spec, 1, [("c1", 5, "chat"), ("c2", 7, "phone")])
    assert first.success and first.rows == 2
    assert first.scope.reason == "the whole table: no validation is recorded in this warehouse yet"
    second = _run(warehouse, spec, 2, [("c3", 1, "chat")])
    # The first check ran after load 1 was staged: the second reads only what load 2 brought.
    assert second.success and second.rows == 1
    assert second.scope.reason == "rows of the contact_ids loaded after raw load 1"

    # Behind the ledger's back, a row of load 1 goes bad: no later load names it, so no check sees it.
    warehouse.execute("update staging.toy set talk_seconds = -1 where contact_id = 'c2'")
    # Load 3: a bad new row, and a new row whose key collides with an old one.
    third = _run(warehouse, spec, 3, [("c4", -4, "chat"), ("c1", 3, None)])
    assert not third.success
    assert third.scope.reason == "rows of the contact_ids loaded after raw load 2"
    assert third.rows == 3  # c4, and both rows of c1: the collision is among the changed keys
    failed = {f["expectation"]: f for f in third.failures}
    assert sorted(failed) == ["expect_column_values_to_be_between", "expect_column_values_to_be_unique",
                              "expect_table_row_count_to_equal"]
    assert (failed["expect_column_values_to_be_between"]["unexpected_count"],
            failed["expect_column_values_to_be_between"]["examples"]) == (1, [-4])  # not c2's -1
    assert failed["expect_column_values_to_be_unique"]["unexpected_count"] == 2
    # Whole-table expectations still see the whole table: 5 staged rows, 4 raw keys.
    assert failed["expect_table_row_count_to_equal"]["observed"] == 5

    # The failure is recorded and nothing was built: the next check starts again from the last pass.
    warehouse.execute("delete from staging.toy where contact_id = 'c1' and talk_seconds = 3")
    warehouse.execute("update staging.toy set talk_seconds = 4 where contact_id = 'c4'")
    fourth = _run(warehouse, spec, 4, [("c5", 2, "chat")])
    assert fourth.success and fourth.scope.reason == "rows of the contact_ids loaded after raw load 2"
    assert fourth.rows == 3  # load 3's rows, never passed, are checked again with load 4's
    assert _run(warehouse, spec, 5, []).scope.reason == "rows of the contact_ids loaded after raw load 4"

    # A full refresh validates everything again, and finds the old bad row.
    whole = _check(warehouse, spec, full_refresh=True)
    assert whole.scope.reason == "the whole table: a full refresh was asked for"
    assert [f["examples"] for f in whole.failures] == [[-1]]


def test_a_check_run_before_its_loads_are_staged_leaves_them_to_the_next_check(tmp_path, warehouse):
    """Loads the staged table did not hold yet when the suite passed are checked the next time."""
    spec = _spec(tmp_path)
    _run(warehouse, spec, 1, [("c1", 5, "chat")])
    _run(warehouse, spec, 2, [("c2", 5, "chat")])
    # Load 3, a new version of c1, arrives in raw; the check is run on its own before dbt stages it.
    warehouse.execute("insert into raw.contacts (contact_id, _load_id, _source_file, _source_row, _loaded_at) "
                      "values ('c1', 3, 'test.csv', 1, now())")
    alone = _check(warehouse, spec)
    assert alone.success and alone.scope.reason == "rows of the contact_ids loaded after raw load 2"
    assert alone.scope.through_load_id == 2  # what was staged, not what raw holds
    warehouse.execute("update staging.toy set talk_seconds = -7 where contact_id = 'c1'")  # now staged, and bad
    _stage(warehouse, 3)
    later = _check(warehouse, spec)
    assert later.scope.reason == "rows of the contact_ids loaded after raw load 2"
    assert [f["examples"] for f in later.failures] == [[-7]]


def test_a_warehouse_without_a_staging_log_validates_through_the_last_recorded_build(tmp_path, warehouse):
    """A warehouse from before the staging log: the loads of the last recorded build were staged."""
    spec = _spec(tmp_path)
    first = _run(warehouse, spec, 1, [("c1", 5, "chat")], staging_log=False)
    assert first.scope.is_whole_table and first.scope.through_load_id == -1
    second = _run(warehouse, spec, 2, [("c2", 5, "chat")], staging_log=False)
    assert second.scope.reason == "the whole table: it last passed before any staging build was recorded"
    third = _run(warehouse, spec, 3, [("c3", -1, "chat")], staging_log=False)
    assert third.scope.reason == "rows of the contact_ids loaded after raw load 1"
    assert third.rows == 2 and [f["examples"] for f in third.failures] == [[-1]]
    # The first staging step logged takes over: the next check starts from what it staged.
    warehouse.execute("update staging.toy set talk_seconds = 1 where contact_id = 'c3'")
    fourth = _run(warehouse, spec, 4, [("c4", 5, "chat")])
    assert fourth.success and fourth.scope.reason == "rows of the contact_ids loaded after raw load 1"
    fifth = _run(warehouse, spec, 5, [("c5", 5, "chat")])
    assert fifth.scope.reason == "rows of the contact_ids loaded after raw load 4"


def test_a_changed_suite_or_dbt_project_validates_the_whole_table(tmp_path, warehouse):
    spec = _spec(tmp_path)
    _load(warehouse, 1, [("c1", 5, "chat")])
    assert _check(warehouse, spec).success
    stricter_range = {"type": "expect_column_values_to_be_between", "kwargs": {"column": "talk_seconds", "min_value": 6}}
    stricter = _spec(tmp_path, expectations=[*EXPECTATIONS[:2], stricter_range])
    outcome = _check(warehouse, stricter)
    assert outcome.scope.reason == "the whole table: the suite changed since it last passed"
    assert not outcome.success and outcome.rows == 1
    scope = decide_scope(warehouse, spec, "another project")
    assert scope.reason == "the whole table: the dbt project changed since the suite last passed"


@pytest.mark.parametrize(
    ("builds", "scoped"),
    [
        ([(2, "incremental")], True),  # passed on build 1; build 2 recomputed what it lists
        ([(2, "backfill")], True),
        ([], True),  # validated again on the same build
        ([(2, "full_refresh")], False),  # build 2 rewrote every row
        ([(2, "incremental"), (3, "incremental")], False),  # build 2's changes were never validated
    ],
)
def test_a_mart_suite_checks_only_the_last_build_s_changes_when_it_passed_on_the_build_before(
    tmp_path, warehouse, builds, scoped,
):
    spec = _spec(tmp_path, since="build")
    _load(warehouse, 1, [("c1", 5, "chat"), ("c2", 7, "chat")])
    _build(warehouse, 1, "full_refresh", 1)
    assert _check(warehouse, spec).scope.is_whole_table
    for build_id, mode in builds:
        _build(warehouse, build_id, mode, build_id)
    warehouse.execute("insert into main.changed_contacts values ('c2')")
    outcome = _check(warehouse, spec)
    assert outcome.success
    if scoped:
        last = builds[-1][0] if builds else 1
        assert outcome.scope.reason == f"rows of the contact_ids dbt build {last} recomputed"
        assert outcome.rows == 1
    else:
        assert outcome.scope.is_whole_table and "does not list every row changed since" in outcome.scope.reason
        assert outcome.rows == 2


def test_only_row_level_expectations_and_uniqueness_of_the_key_are_decided_on_changed_rows():
    decided = [can_check_changed_rows_only(e, "contact_id") for e in EXPECTATIONS]
    assert decided == [False, True, True, False]  # a row count, the key, a range, a share of all rows
    assert not can_check_changed_rows_only(
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "email"}}, "contact_id")
    assert can_check_changed_rows_only(
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["contact_id", "metric"]}},
        "contact_id")
    assert not can_check_changed_rows_only(
        {"type": "expect_column_sum_to_be_between", "kwargs": {"column": "talk_seconds"}}, "contact_id")


def test_the_ledger_records_every_validation(tmp_path, warehouse):
    spec = _spec(tmp_path)
    _run(warehouse, spec, 1, [("c1", -5, "chat")])
    _build(warehouse, 1, "full_refresh", 1)
    _run(warehouse, spec, 2, [("c2", 5, "chat")])
    rows = warehouse.execute(f"select validation_id, suite, relation, build_id, through_load_id, rows_validated, "
                             f"success, scope from {LEDGER_TABLE} order by validation_id").fetchall()
    assert rows == [
        (1, "toy", "staging.toy", 0, 1, 1, False, "the whole table: no validation is recorded in this warehouse yet"),
        (2, "toy", "staging.toy", 1, 2, 2, False, "the whole table: the suite has not passed on this warehouse yet"),
    ]
