"""Which rows a suite validates: the whole table, or only the rows changed since it last passed.

A row-level expectation (a value in range or in a set, not null, a pair in order) holds for a
table when it holds for every row. Once a suite passed, a later build leaves most rows as they
were, so only the changed ones need checking: at size L the four large suites read and checked
every row of 10-42M-row tables after each one-day load. Uniqueness of the key the changes are
listed by is decided on those rows too, since every row sharing a changed key is among them, and
the unchanged rows were unique when the suite passed. Table-level expectations (row counts,
sums, `mostly`) still read the whole table.

A suite opts in with `meta.changed_keys` (expectations/README.md). The ledger
`raw._gx_validations` records each validation; a suite validates only changed rows when it last
passed with the same suite and the same dbt project, and the rows changed since then are known:
- `"since": "load"` (staging): the keys of raw rows loaded after the last load the staging
  tables held when the suite last passed (`raw._dbt_staging_builds`, written after each staging
  step). A check run on its own may see raw loads dbt has not staged yet: they are after that
  load, so the next check reads them;
- `"since": "build"` (marts): the keys the last dbt build recomputed (its `int_changes_*`
  model), when the suite passed on the build before it and that build was incremental.
Anything else (first run, a failed or skipped validation in between, a full refresh, a changed
suite or dbt project) validates the whole table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from dagster_cx.build_state import staged_through_load_id
from dagster_cx.ingest.raw_tables import BUILD_LOG_TABLE, RAW_SCHEMA

if TYPE_CHECKING:
    from dagster_cx.quality.gx_suites import SuiteOutcome, SuiteSpec

LEDGER_TABLE = f"{RAW_SCHEMA}._gx_validations"
INCREMENTAL_BUILD_MODES = ("incremental", "backfill")

# Row-local: each row passes or fails on its own values, so a subset of rows can be checked alone.
ROW_LEVEL_EXPECTATIONS = frozenset({
    "expect_column_values_to_be_between",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_match_regex_list",
    "expect_column_values_to_match_strftime_format",
    "expect_column_value_lengths_to_be_between",
    "expect_column_value_lengths_to_equal",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_column_pair_values_to_be_equal",
    "expect_column_pair_values_to_be_in_set",
    "expect_multicolumn_sum_to_equal",
    "expect_select_column_values_to_be_unique_within_record",
})


@dataclass(frozen=True)
class ChangedKeys:
    """How a suite's table lists its changed rows: by one key column, from `sql`."""

    column: str
    since: str  # "load" or "build"
    sql: str  # selects the changed keys; "{after_load_id}" stands for the last load validated (since "load")

    @classmethod
    def from_meta(cls, meta: dict | None, suite: str) -> ChangedKeys | None:
        if meta is None:
            return None
        try:
            keys = cls(column=meta["column"], since=meta["since"], sql=meta["sql"])
        except (KeyError, TypeError):
            raise ValueError(
                f"Suite {suite}: meta.changed_keys needs column, since ('load' or 'build') and sql "
                "(see expectations/README.md)."
            ) from None
        if keys.since not in ("load", "build"):
            raise ValueError(f"Suite {suite}: meta.changed_keys.since is {keys.since!r}; use 'load' or 'build'.")
        return keys


@dataclass(frozen=True)
class Scope:
    """What one validation covers; `changed_keys_sql` None means the whole table."""

    reason: str
    build_id: int
    through_load_id: int
    changed_keys_sql: str | None = None
    key_column: str | None = None

    @property
    def is_whole_table(self) -> bool:
        return self.changed_keys_sql is None


def whole_table(reason: str) -> Scope:
    """The scope of a validation with no ledger (tests, ad-hoc runs)."""
    return Scope(reason=f"the whole table: {reason}", build_id=0, through_load_id=0)


def suite_fingerprint(spec: SuiteSpec) -> str:
    return hashlib.sha256(json.dumps(spec.suite_json, sort_keys=True).encode()).hexdigest()


def decide_scope(
    con: duckdb.DuckDBPyConnection, spec: SuiteSpec, project_fingerprint: str, full_refresh: bool = False,
) -> Scope:
    """The rows this validation must read, from the ledger and the build log."""
    build = con.execute(f"select build_id, mode, changes_through_load_id from {BUILD_LOG_TABLE} "
                        "order by build_id desc limit 1").fetchall()
    build_id, build_mode, through = build[0] if build else (0, None, -1)
    keys = spec.changed_keys
    if keys is not None and keys.since == "load":
        through = staged_through_load_id(con)

    def whole(reason: str) -> Scope:
        return Scope(reason=f"the whole table: {reason}", build_id=build_id, through_load_id=through)

    if keys is None:
        return whole("the suite lists no changed_keys")
    if full_refresh:
        return whole("a full refresh was asked for")
    if not _ledger_exists(con):
        return whole("no validation is recorded in this warehouse yet")
    last = con.execute(
        f"select suite_fingerprint, project_fingerprint, build_id, through_load_id from {LEDGER_TABLE} "
        "where suite = ? and success order by validation_id desc limit 1",
        [spec.name],
    ).fetchall()
    if not last:
        return whole("the suite has not passed on this warehouse yet")
    last_suite, last_project, last_build_id, last_through = last[0]
    if last_suite != suite_fingerprint(spec):
        return whole("the suite changed since it last passed")
    if last_project != project_fingerprint:
        return whole("the dbt project changed since the suite last passed")
    if keys.since == "load":
        if last_through < 0:
            return whole("it last passed before any staging build was recorded")
        if last_through > through:
            return whole(f"it last passed at raw load {last_through}, after the last staged one ({through})")
        return Scope(
            reason=f"rows of the {keys.column}s loaded after raw load {last_through}", build_id=build_id,
            through_load_id=through, changed_keys_sql=keys.sql.format(after_load_id=int(last_through)),
            key_column=keys.column,
        )
    if last_build_id == build_id or (last_build_id == build_id - 1 and build_mode in INCREMENTAL_BUILD_MODES):
        return Scope(
            reason=f"rows of the {keys.column}s dbt build {build_id} recomputed", build_id=build_id,
            through_load_id=through, changed_keys_sql=keys.sql, key_column=keys.column,
        )
    return whole(f"it last passed on dbt build {last_build_id}, and build {build_id} ({build_mode}) "
                 "does not list every row changed since")


def can_check_changed_rows_only(expectation: dict, key_column: str) -> bool:
    """Whether the expectation's verdict on the whole table follows from the changed rows alone."""
    kwargs = expectation.get("kwargs", {})
    if "mostly" in kwargs:  # a share of all rows
        return False
    kind = expectation.get("type")
    if kind == "expect_column_values_to_be_unique":
        return kwargs.get("column") == key_column
    if kind == "expect_compound_columns_to_be_unique":
        return key_column in (kwargs.get("column_list") or [])
    return kind in ROW_LEVEL_EXPECTATIONS


def record_validation(con: duckdb.DuckDBPyConnection, spec: SuiteSpec, project_fingerprint: str,
                      outcome: SuiteOutcome) -> None:
    """Append the validation to the ledger (which it creates on first use)."""
    scope = outcome.scope
    con.execute(
        f"""
        create table if not exists {LEDGER_TABLE} (
            validation_id bigint primary key,
            suite varchar not null,
            relation varchar not null,
            suite_fingerprint varchar not null,
            project_fingerprint varchar not null,
            build_id bigint not null,
            through_load_id bigint not null,
            scope varchar not null,
            rows_validated bigint not null,
            success boolean not null,
            validated_at timestamptz not null
        )
        """
    )
    con.execute(
        f"insert into {LEDGER_TABLE} select coalesce((select max(validation_id) from {LEDGER_TABLE}), 0) + 1, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?",
        [spec.name, spec.relation, suite_fingerprint(spec), project_fingerprint, scope.build_id,
         scope.through_load_id, scope.reason, outcome.rows, outcome.success, datetime.now(UTC)],
    )


def _ledger_exists(con: duckdb.DuckDBPyConnection) -> bool:
    schema, table = LEDGER_TABLE.split(".")
    return bool(con.execute(
        "select 1 from duckdb_tables() where database_name = current_database() and schema_name = ? "
        "and table_name = ?", [schema, table],
    ).fetchall())
