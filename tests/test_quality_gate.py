"""The quality gate: Great Expectations suites block what lies downstream of a failure."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_cx import settings
from dagster_cx.quality import gx_suites
from dagster_cx.quality.gx_suites import SuiteSpec, _read_columns, load_suites, run_suite
from dagster_cx.quality.validation_scope import LEDGER_TABLE
from tests.pipeline import failed_checks, materialized_keys, run_pipeline

HANDMADE = Path(__file__).parent / "fixtures" / "handmade"


def test_failing_expectation_on_staged_data_blocks_the_marts(tmp_path, handmade_warehouse):
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    insert_contact = """
        insert into raw.contacts (contact_id, customer_id, channel, queue, contact_reason, created_at,
                                  queue_entered_at, first_replied_at, is_abandoned, status,
                                  _load_id, _source_file, _source_row, _loaded_at)
        values (?, 'u1', 'phone', 'pl_support', 'billing', '2026-03-10 10:00:00+00', ?, ?, false, 'closed', ?,
                'manual', 1, now())
    """
    # A good contact first, so that the suite passes once after a recorded build.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(insert_contact, ["c_good", "2026-03-10 10:00:00+00", "2026-03-10 10:01:00+00", 998])
    assert run_pipeline(HANDMADE, warehouse, report=False).success
    with duckdb.connect(str(warehouse)) as con:
        nps_before = con.execute("select sum(responses) from marts.mart_nps_daily").fetchall()
        # A row the contract would quarantine, written straight into raw (a contract gap):
        # answered a day before it was created.
        con.execute(insert_contact, ["c_bad", "2026-03-09 10:00:00+00", "2026-03-09 10:01:00+00", 999])
    result = run_pipeline(HANDMADE, warehouse, report=False)

    assert not result.success
    assert "staging/stg_cx__contacts:gx_stg_contacts" in failed_checks(result)
    [evaluation] = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
                    and e.event_specific_data.asset_check_key.name == "gx_stg_contacts"]
    assert "(rows of the contact_ids loaded after raw load 998)" in evaluation.description  # says what was validated
    assert evaluation.metadata["rows_validated"].value == 1  # c_bad: c_good passed when it was staged
    built = materialized_keys(result)
    assert "staging/stg_cx__contacts" in built
    assert not {key for key in built if key.startswith(("intermediate/", "marts/"))}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select sum(responses) from marts.mart_nps_daily").fetchall() == nps_before
        assert con.execute("select count(*) from marts.fct_contacts where contact_id = 'c_bad'").fetchall() == [(0,)]
        # The copy's build checked the whole table; each run after it only the contacts loaded since
        # the staging step before its last pass: c_good's run passed on c_good, this one failed on c_bad.
        first, good, bad = con.execute(
            f"select scope, rows_validated, success from {LEDGER_TABLE} where suite = 'stg_contacts' "
            "order by validation_id"
        ).fetchall()
        assert first[0].startswith("the whole table") and first[2]
        assert good[0].startswith("rows of the contact_ids loaded after raw load ") and good[1:] == (1, True)
        assert bad == ("rows of the contact_ids loaded after raw load 998", 1, False)


@pytest.fixture
def toy_table():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.mart_nps_daily as
        select * from (values
            (date '2026-01-01', 10, 120.0, 50.0, 10.0),
            (date '2026-01-02', 0, -20.0, 150.0, 0.0),
            (null, 5, 0.0, 10.0, 10.0)
        ) as t(date_day, responses, nps, promoter_pct, detractor_pct)
        """
    )
    con.execute("create table marts.fct_survey_responses as select 9 as nps_score from range(15)")
    yield con
    con.close()


def test_suite_reports_each_broken_expectation(toy_table):
    [spec] = [s for s in load_suites(settings.EXPECTATIONS_DIR) if s.name == "mart_nps_daily"]
    outcome = run_suite(toy_table, spec)
    assert not outcome.success
    failed = {f["expectation"]: f for f in outcome.failures}
    assert failed["expect_column_values_to_be_between"]["unexpected_count"] >= 1
    assert "expect_column_values_to_not_be_null" in failed
    # responses sum to 15, as many as the NPS answers: the reconciliation passes.
    assert "expect_column_sum_to_be_between" not in failed


@pytest.mark.parametrize(("min_repeats", "dtype"), [(1, "category"), (10**6, "str")])
def test_text_columns_fail_their_expectations_with_counts_and_examples(tmp_path, monkeypatch, min_repeats, dtype):
    """Repeating text reaches GX as categoricals, the rest as plain text: both must fail exactly alike."""
    monkeypatch.setattr(gx_suites, "CATEGORY_MIN_REPEATS", min_repeats)
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute(
        """
        create table staging.toy as select * from (values
            ('a', 'q1', 'chat'), ('b', 'q1', 'phone'), ('b', 'q2', 'fax'), ('c', 'q1', null), ('c', 'q1', 'chat')
        ) as t(response_id, question_id, channel)
        """
    )
    expectations = [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "response_id"}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["response_id", "question_id"]}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "channel", "value_set": ["chat", "phone"]}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "channel"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "question_id", "value_set": ["q1", "q2"]}},
    ]
    spec = SuiteSpec("toy", "staging.toy", ("staging", "toy"), {}, {"name": "toy", "expectations": expectations},
                     tmp_path / "toy.json")
    frame = _read_columns(con, spec)
    # response_id is expected unique, so it stays plain text whatever its repeats.
    assert [str(t) for t in frame.dtypes] == ["str", dtype, dtype]
    outcome = run_suite(con, spec)
    failed = {(f["expectation"], f["kwargs"].get("column")): f for f in outcome.failures}
    assert outcome.rows == 5 and outcome.evaluated == 5 and len(failed) == 4
    assert failed["expect_column_values_to_be_unique", "response_id"]["unexpected_count"] == 4
    assert sorted(failed["expect_column_values_to_be_unique", "response_id"]["examples"]) == ["b", "b", "c", "c"]
    assert failed["expect_compound_columns_to_be_unique", None]["unexpected_count"] == 2
    assert failed["expect_column_values_to_be_in_set", "channel"]["examples"] == ["fax"]
    assert failed["expect_column_values_to_not_be_null", "channel"]["unexpected_count"] == 1


def test_small_integer_columns_reach_gx_as_int64_and_fail_ranges_exactly(tmp_path):
    """GX vectorises a range check only for int64 and float64; int32 took a Python call per value."""
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute(
        """
        create table staging.toy as select * from (values
            (-5::integer, 1::smallint, 3::tinyint), (0, 2, null), (7, 300, 4), (12, 4, 1)
        ) as t(talk_seconds, reopen_count, score)
        """
    )
    expectations = [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "talk_seconds", "min_value": 0}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "reopen_count", "min_value": 0, "max_value": 100}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "score", "min_value": 1, "max_value": 3}},
    ]
    spec = SuiteSpec("toy", "staging.toy", ("staging", "toy"), {}, {"name": "toy", "expectations": expectations},
                     tmp_path / "toy.json")
    frame = _read_columns(con, spec)
    assert [str(t) for t in frame.dtypes] == ["int64", "int64", "float64"]  # a null turns the column float
    outcome = run_suite(con, spec)
    failed = {f["kwargs"]["column"]: f for f in outcome.failures}
    assert sorted(failed) == ["reopen_count", "score", "talk_seconds"]
    assert (failed["talk_seconds"]["unexpected_count"], failed["talk_seconds"]["examples"]) == (1, [-5])
    assert (failed["reopen_count"]["unexpected_count"], failed["reopen_count"]["examples"]) == (1, [300])
    assert (failed["score"]["unexpected_count"], failed["score"]["examples"]) == (1, [4.0])


def test_pair_and_list_expectations_run_on_their_own_columns_and_report_in_suite_order(tmp_path, monkeypatch):
    """Pair and multicolumn expectations are validated apart from the rest; the outcome is one suite's."""
    hashed = []
    monkeypatch.setattr(pd.util, "hash_pandas_object", lambda *a, **k: hashed.append(a) or pd.Series([0]))
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute(
        """
        create table staging.toy as select * from (values
            ('a', 'q1', timestamp '2026-01-01 10:00', timestamp '2026-01-01 09:00', 4),
            ('a', 'q1', timestamp '2026-01-01 10:00', timestamp '2026-01-01 11:00', null),
            ('b', 'q1', null, timestamp '2026-01-01 11:00', 9),
            ('c', 'q2', timestamp '2026-01-02 10:00', null, 2)
        ) as t(response_id, question_id, created_at, replied_at, score)
        """
    )
    expectations = [
        {"type": "expect_column_pair_values_a_to_be_greater_than_b",
         "kwargs": {"column_A": "replied_at", "column_B": "created_at", "or_equal": True,
                    "ignore_row_if": "either_value_is_missing"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "score"}},
        {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 4}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["response_id", "question_id"]}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "score", "min_value": 0, "max_value": 5}},
    ]
    spec = SuiteSpec("toy", "staging.toy", ("staging", "toy"), {}, {"name": "toy", "expectations": expectations},
                     tmp_path / "toy.json")
    outcome = run_suite(con, spec)
    assert not outcome.success and outcome.rows == 4 and outcome.evaluated == 5
    assert [(f["expectation"], f["unexpected_count"]) for f in outcome.failures] == [
        ("expect_column_pair_values_a_to_be_greater_than_b", 1),  # rows with a missing side are ignored
        ("expect_column_values_to_not_be_null", 1),
        ("expect_compound_columns_to_be_unique", 2),
        ("expect_column_values_to_be_between", 1),
    ]
    assert hashed == []  # GX's fingerprint of each frame (a hash of every value) is switched off


@pytest.mark.parametrize(("kwargs", "field"), [({"column_A": "a"}, "column_B"), ({"column_list": "a"}, "column_list")])
def test_a_malformed_pair_or_list_gets_gx_s_own_error_naming_the_field(tmp_path, kwargs, field):
    from pydantic.v1 import ValidationError

    con = duckdb.connect()
    con.execute("create table toy as select 1 as a, 2 as b")
    expectation_type = ("expect_column_pair_values_a_to_be_greater_than_b" if "column_A" in kwargs
                        else "expect_compound_columns_to_be_unique")
    spec = SuiteSpec("toy", "toy", ("toy",), {},
                     {"name": "toy", "expectations": [{"type": expectation_type, "kwargs": kwargs}]}, tmp_path / "toy.json")
    with pytest.raises(ValidationError, match=field):
        run_suite(con, spec)


def test_every_stored_suite_names_a_real_asset_and_only_known_columns(handmade_db):
    specs = load_suites(settings.EXPECTATIONS_DIR)
    assert len(specs) >= 22
    for spec in specs:
        assert spec.relation == ".".join(spec.asset_key)
        source = f"({spec.query})" if spec.query else spec.relation
        columns = {r[0] for r in handmade_db.execute(f"select column_name from (describe {source})").fetchall()}
        assert set(spec.columns) <= columns, f"{spec.path.name} names columns {set(spec.columns) - columns}"
        assert run_suite(handmade_db, spec).success, spec.name


def test_on_the_spark_target_the_checks_refuse_and_name_the_job_to_run(monkeypatch, tmp_path):
    import dagster as dg

    from dagster_cx.defs.quality import gx_checks
    from dagster_cx.defs.resources import BuildOptionsResource, WarehouseResource

    monkeypatch.setenv("CX_DBT_TARGET", "spark")
    check = next(c for c in gx_checks if "gx_stg_contacts" in str(next(iter(c.check_keys))))
    with pytest.raises(dg.Failure, match="CX_DBT_TARGET=spark.*cx_spark_build"):
        check(dg.build_asset_check_context(), WarehouseResource(database=str(tmp_path / "cx.duckdb")),
              BuildOptionsResource())


def test_gx_can_be_imported_ahead_on_another_thread():
    """dbt_staging starts the import while dbt runs, so the first suite does not wait for it."""
    gx_suites._great_expectations.cache_clear()
    gx_suites.import_in_background().join()
    assert gx_suites._great_expectations.cache_info().currsize == 1  # the suites' next call finds it done

    from great_expectations.execution_engine import pandas_execution_engine
    assert pandas_execution_engine.HASH_THRESHOLD == 0


def _column_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    schema, table = relation.split(".")
    return dict(con.execute("select column_name, data_type from information_schema.columns "
                            "where table_schema = ? and table_name = ?", [schema, table]).fetchall())


def _pair(data_type: str) -> tuple[str, str]:
    """Two SQL literals of the type, the first below the second."""
    if data_type in ("DATE",) or data_type.startswith("TIMESTAMP"):
        return f"cast('2026-01-01' as {data_type})", f"cast('2026-01-02' as {data_type})"
    if data_type == "VARCHAR":
        return "'a'", "'b'"
    return "0", "1"


def _plantings(con: duckdb.DuckDBPyConnection, spec: SuiteSpec, expectation: dict, parameters: dict) -> dict[str, list[str]]:
    """For one expectation, each way to break it with rows written into its table (SQL statements).

    Derived from the expectation's own arguments and the table's column types, so every stored
    expectation gets one without a hand-written bad row per suite.
    """
    table, kind, kwargs = spec.relation, expectation["type"], expectation["kwargs"]
    types = _column_types(con, table)

    def bound(name: str) -> float | None:
        value = kwargs.get(name)
        return parameters[value["$PARAMETER"]] if isinstance(value, dict) else value

    def rows(count: int, **values: str) -> str:  # `count` rows holding the values, null elsewhere
        columns = ", ".join(values) or next(iter(types))
        return f"insert into {table} ({columns}) select {', '.join(values.values()) or 'null'} from range({count})"

    if kind == "expect_column_values_to_be_between":
        low, high = bound("min_value"), bound("max_value")
        bad = (low if kwargs.get("strict_min") else low - 1) if low is not None else high + 1
        return {f"{kwargs['column']} = {bad}": [rows(1, **{kwargs["column"]: repr(bad)})]}
    if kind == "expect_column_values_to_not_be_null":
        count = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        return {"nulls": [rows(count + 1 if "mostly" in kwargs else 1, **{kwargs["column"]: "null"})]}
    if kind == "expect_column_values_to_be_in_set":
        return {"a value outside the set": [rows(1, **{kwargs["column"]: "'not in the set'"})]}
    if kind in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        columns = kwargs.get("column_list") or [kwargs["column"]]
        return {"a repeated key": [rows(2, **{c: _pair(types[c])[0] for c in columns})]}
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        smaller, larger = _pair(types[kwargs["column_A"]])
        return {"a below b": [rows(1, **{kwargs["column_A"]: smaller, kwargs["column_B"]: larger})]}
    if kind == "expect_column_sum_to_be_between":
        one = "1" if "INT" in types[kwargs["column"]] else "0.5"  # 0.5: a share sum counting its own scopes
        return {"one more in the sum": [rows(1, **{kwargs["column"]: one})]}
    if kind in ("expect_table_row_count_to_equal", "expect_table_row_count_to_be_between"):
        plantings = {}
        most = bound("value") if kind.endswith("_equal") else bound("max_value")
        if most is not None:
            count = con.execute(f"select count(*) from {table}").fetchall()[0][0]
            plantings["a row too many"] = [rows(int(most) - count + 1)]
        if (bound("value") if kind.endswith("_equal") else bound("min_value")):
            plantings["no rows"] = [f"delete from {table}"]
        return plantings
    raise AssertionError(f"{spec.name}: no planting for {kind}; teach _plantings how to break it")


def _as_table(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """A view (staging of small reference tables) becomes a table, inside the caller's transaction."""
    schema, table = relation.split(".")
    kind = con.execute("select table_type from information_schema.tables where table_schema = ? and table_name = ?",
                       [schema, table]).fetchall()[0][0]
    if kind == "VIEW":
        con.execute(f"create table {relation}_planted as select * from {relation}")
        con.execute(f"drop view {relation}")
        con.execute(f"alter table {relation}_planted rename to {table}")


def _query_as_table(con: duckdb.DuckDBPyConnection, spec: SuiteSpec) -> SuiteSpec:
    """A suite validating a query (a weekly roll-up) gets its rows as a table to plant rows in."""
    if not spec.query:
        return spec
    relation = f"{spec.relation.split('.')[0]}.{spec.name}_rows"
    con.execute(f"create or replace table {relation} as {spec.query}")
    return replace(spec, relation=relation, query=None)


def test_every_expectation_of_every_suite_fails_on_planted_rows(tmp_path, handmade_warehouse):
    """No expectation passes whatever the data: each one, alone, fails on rows written to break it.

    Run on the hand-made build, where every suite passes, inside a transaction rolled back after
    each planting. Sums and row counts compare with `$PARAMETER`s read from other tables.
    """
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    missed, planted = [], set()
    with duckdb.connect(str(warehouse)) as con:
        for spec in map(partial(_query_as_table, con), load_suites(settings.EXPECTATIONS_DIR)):
            parameters = {name: con.execute(sql).fetchall()[0][0] for name, sql in spec.parameters.items()}
            for position, expectation in enumerate(spec.suite_json["expectations"]):
                alone = replace(spec, suite_json={"name": spec.name, "expectations": [expectation]})
                plantings = _plantings(con, spec, expectation, parameters)
                assert plantings, f"{spec.name} #{position} {expectation['type']}: nothing can break it"
                for label, statements in plantings.items():
                    con.begin()
                    _as_table(con, spec.relation)
                    for statement in statements:
                        con.execute(statement)
                    outcome = run_suite(con, alone)
                    con.rollback()
                    planted.add(expectation["type"])
                    if outcome.success:
                        missed.append(f"{spec.name} #{position} {expectation['type']} {expectation['kwargs']}: {label}")
    assert missed == []
    assert {"expect_column_sum_to_be_between", "expect_table_row_count_to_be_between"} <= planted


def _unchecked_sources(spec: SuiteSpec, checked: set[str]) -> set[str]:
    """The tables a suite's parameters read that no suite checks and ingestion does not fill."""
    read = {m.group(0) for sql in spec.parameters.values()
            for m in re.finditer(r"\b(staging|intermediate|marts)\.\w+", sql)}
    return read - checked - {spec.relation}


def test_an_empty_mart_fails_its_suite_while_raw_data_it_needs_exists(tmp_path, sample_warehouse):
    """On the sample: every mart's suite fails on its table emptied, and on it emptied with every
    unchecked table its counts reconcile with (an intermediate model, a dimension) emptied too.

    A suite reconciles its row count or a sum with a table some other suite checks (whose own
    emptiness that suite catches), or, where the table it reconciles with has no suite, needs a
    row once its raw entities hold one (`meta.nonempty_when_loaded`). Only the key-driver mart
    may be empty: a scope below `min_responses` gets no rows (tests/test_driver_importance.py).
    With those raw entities emptied too (a deployment without them) an empty mart passes.
    """
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(sample_warehouse, warehouse)
    specs = load_suites(settings.EXPECTATIONS_DIR)
    checked = {spec.relation for spec in specs}
    passed_when_empty, passed_without_data = [], []
    with duckdb.connect(str(warehouse)) as con:
        for spec in specs:
            if not spec.relation.startswith("marts.") or spec.severity == "warn":  # a warning watches drift
                continue
            entities = spec.suite_json["meta"].get(gx_suites.NONEMPTY_WHEN_LOADED, [])
            unchecked = _unchecked_sources(spec, checked)
            assert entities or not unchecked, f"{spec.name} reconciles with {unchecked} only: name its raw entities"
            con.begin()
            for relation in (spec.relation, *sorted(unchecked)):
                _as_table(con, relation)
                con.execute(f"delete from {relation}")
            if run_suite(con, spec).success:
                passed_when_empty.append(spec.name)
            for entity in entities:
                con.execute(f"delete from raw.{entity}")
            rule = [e for e in spec.suite_json["expectations"]
                    if e["kwargs"].get("min_value") == {"$PARAMETER": gx_suites.NONEMPTY_WHEN_LOADED}]
            if rule and run_suite(con, replace(spec, suite_json={"name": spec.name, "expectations": rule})).success:
                passed_without_data.append(spec.name)
            con.rollback()
    assert passed_when_empty == ["mart_driver_importance"]
    assert passed_without_data == ["fct_contact_sla_policies", "mart_journey", "mart_loyalty_economics", "mart_scorecard"]


def test_a_suite_naming_an_unknown_entity_for_its_rows_is_refused(tmp_path):
    suite = {"name": "toy", "meta": {"relation": "marts.toy", "dagster_asset_key": ["marts", "toy"],
                                     "nonempty_when_loaded": ["contact"]}, "expectations": []}
    (tmp_path / "toy.json").write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(ValueError, match=r"names \['contact'\], which are not raw entities of the contract"):
        load_suites(tmp_path)
