"""Run the Great Expectations suites stored in `expectations/` against DuckDB tables.

GX 1.x has no DuckDB datasource, and its SQL datasource through duckdb-engine fails here
(duckdb-engine 0.17, SQLAlchemy 2.1, tried 2026-12-01: a table asset loses its schema, and
every metric query of a table or query asset comes back empty, "list index out of range"),
so each suite validates a pandas DataFrame holding only the columns it names, read with
DuckDB. Suites are GX's own JSON format plus a `meta` block saying which table they check,
which Dagster asset that is, SQL for the run-time parameters (row counts that must reconcile
with another table) and, for large tables, how to list the rows a build changed
(dagster_cx.quality.validation_scope decides whether those are all a validation reads).
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dagster_cx.contract import ENTITIES
from dagster_cx.quality.validation_scope import ChangedKeys, Scope, can_check_changed_rows_only, whole_table

COLUMN_ARGUMENTS = ("column", "column_A", "column_B")
COLUMN_LIST_ARGUMENTS = ("column_list",)
# The meta key naming the raw entities whose data the table needs (see _rows_required).
NONEMPTY_WHEN_LOADED = "nonempty_when_loaded"


@dataclass(frozen=True)
class SuiteSpec:
    """One stored suite: the GX suite JSON and where it applies."""

    name: str
    relation: str  # schema.table in the warehouse
    asset_key: tuple[str, ...]
    parameters: dict[str, str]  # name -> SQL returning one number
    suite_json: dict[str, Any]
    path: Path
    changed_keys: ChangedKeys | None = None
    # "error": a failure blocks what lies downstream; "warn": it is reported and the build goes on.
    severity: str = "error"
    # Validate this SQL's result instead of the relation's rows (a roll-up of it, e.g. per week).
    query: str | None = None

    @property
    def columns(self) -> list[str]:
        """Columns the expectations read, in first-mention order; the only ones fetched."""
        return _columns_of(self.suite_json["expectations"])

    @property
    def unique_columns(self) -> set[str]:
        """Columns expected to hold no repeats, one value per row."""
        return {
            e["kwargs"]["column"] for e in self.suite_json["expectations"]
            if e["type"] == "expect_column_values_to_be_unique"
        }


@dataclass(frozen=True)
class SuiteOutcome:
    success: bool
    rows: int  # validated row by row: the whole table's, or the changed rows' (see scope)
    evaluated: int
    failures: list[dict[str, Any]]
    scope: Scope


def load_suites(directory: Path) -> list[SuiteSpec]:
    """Every `*.json` suite in the folder, sorted by file name."""
    specs = []
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        meta = document.get("meta", {})
        try:
            parameters, expectations = _rows_required(meta.get(NONEMPTY_WHEN_LOADED, []), path)
            specs.append(
                SuiteSpec(
                    name=document["name"],
                    relation=meta["relation"],
                    asset_key=tuple(meta["dagster_asset_key"]),
                    parameters={**meta.get("parameters", {}), **parameters},
                    suite_json={**document, "expectations": [*document["expectations"], *expectations]},
                    path=path,
                    changed_keys=ChangedKeys.from_meta(meta.get("changed_keys"), document["name"]),
                    severity=meta.get("severity", "error"),
                    query=meta.get("query"),
                )
            )
            if specs[-1].severity not in ("error", "warn"):
                raise ValueError(f"Expectation suite {path}: meta.severity is {specs[-1].severity!r}; "
                                 "use 'error' (blocking) or 'warn'.")
        except KeyError as missing:
            raise ValueError(
                f"Expectation suite {path} lacks {missing}: give it a name, expectations, meta.relation and "
                "meta.dagster_asset_key (see expectations/README.md)."
            ) from None
    return specs


def _rows_required(entities: list[str], path: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The parameter and expectation behind `meta.nonempty_when_loaded`.

    The table must hold a row once every named raw entity holds one; a deployment without that
    data (contact-center or surveys only) may leave it empty. Most suites need no such rule: a
    row count or sum that reconciles with the table they are built from fails on an empty table.
    """
    unknown = sorted(set(entities) - {entity.name for entity in ENTITIES})
    if unknown:
        raise ValueError(
            f"Expectation suite {path}: meta.{NONEMPTY_WHEN_LOADED} names {unknown}, which are not raw entities "
            "of the contract (dagster_cx/contract.py); name raw entities, e.g. [\"contacts\"]."
        )
    if not entities:
        return {}, []
    loaded = " and ".join(f"exists (select 1 from raw.{name})" for name in entities)
    parameter = {NONEMPTY_WHEN_LOADED: f"select case when {loaded} then 1 else 0 end"}
    expectation = {"type": "expect_table_row_count_to_be_between",
                   "kwargs": {"min_value": {"$PARAMETER": NONEMPTY_WHEN_LOADED}}}
    return parameter, [expectation]


# A full garbage collection costs about half a second in the Dagster process: worth it only
# for frames this large (at size L, a handful of suites).
COLLECT_ABOVE_BYTES = 64 << 20
# A text column becomes a pandas categorical when each value appears this many times on average.
CATEGORY_MIN_REPEATS = 4
POSITION_META = "cx_suite_position"


def run_suite(con: duckdb.DuckDBPyConnection, spec: SuiteSpec) -> SuiteOutcome:
    """Validate the suite's table through a connection the caller keeps open (tests, ad-hoc use)."""
    return check_suite(lambda: nullcontext(con), spec)


def check_suite(
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]], spec: SuiteSpec,
    decide_scope: Callable[[duckdb.DuckDBPyConnection], Scope] | None = None,
) -> SuiteOutcome:
    """Read what the suite needs, close the connection, validate, and give the memory back.

    `decide_scope` says which rows to read (validation_scope.decide_scope); without it, all of them.

    DuckDB's buffers go with the connection before GX makes its copies. GX's objects refer to
    each other and to the frame, so a large frame outlives the suite until a garbage collection:
    at size L the Dagster process held up to 7 GiB of old frames through the dbt step after
    the checks.
    """
    with connect() as con:
        scope = decide_scope(con) if decide_scope else whole_table("validated without a ledger")
        parameters = {name: con.execute(sql).fetchall()[0][0] for name, sql in spec.parameters.items()}
        frames = _read_frames(con, spec, scope)
    # Shallow: deep=True walks every object.
    large = sum(int(frame.memory_usage().sum()) for frame, _ in frames) > COLLECT_ABOVE_BYTES
    outcome = _validate(spec, parameters, frames, scope)
    del frames
    if large:
        gc.collect()
    pa.default_memory_pool().release_unused()  # else the next step (dbt) runs beside GBs Arrow keeps cached
    return outcome


@functools.cache
def _great_expectations() -> ModuleType:
    """GX, imported when a run is about to validate (or on the first validation), not with the definitions.

    Importing it takes 2-3 s; a run that validates nothing (no new data) should not pay it.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # must precede the import
    import great_expectations
    from great_expectations.execution_engine import pandas_execution_engine

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    # GX fingerprints every frame under 1 GB (a hash of all its values) for the batch's
    # metadata, which nothing here reads: 7.2 of the 15.9 s the fct_contacts suite took at L.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return great_expectations


def _read_frames(con: duckdb.DuckDBPyConnection, spec: SuiteSpec, scope: Scope) -> list[tuple[pd.DataFrame, list[int]]]:
    """The frames to validate, each with the positions of the expectations it is for.

    One frame of the whole table, or, when the scope lists changed keys, one of the changed rows
    for the expectations those decide and one of the whole table for the rest (often just a
    row count, which needs no column at all).
    """
    expectations = spec.suite_json["expectations"]
    if scope.is_whole_table:
        return [(_read_columns(con, spec), list(range(len(expectations))))]
    changed = [p for p, e in enumerate(expectations) if can_check_changed_rows_only(e, scope.key_column)]
    rest = [p for p in range(len(expectations)) if p not in changed]
    where = f'"{scope.key_column}" in ({scope.changed_keys_sql})'
    frames = [(_read_columns(con, spec, _columns_of([expectations[p] for p in changed]), where), changed)]
    if rest:
        frames.insert(0, (_read_columns(con, spec, _columns_of([expectations[p] for p in rest])), rest))
    return frames


def import_in_background() -> threading.Thread:
    """Import GX on another thread while dbt builds staging in its own process.

    The Dagster process only waits for dbt then, and the first suite would otherwise wait for
    the import after dbt finished.
    """
    thread = threading.Thread(target=_great_expectations, name="import-great-expectations")
    thread.start()
    return thread


def _validate(spec: SuiteSpec, parameters: dict[str, Any], frames: list[tuple[pd.DataFrame, list[int]]],
              scope: Scope) -> SuiteOutcome:
    """Run the suite, each column-pair and multicolumn expectation on a frame of its own columns.

    For those, GX's pandas engine first drops the rows with missing values, and it does so by
    copying the whole frame it was given: five times per pair expectation, 9.8 of the 13.8 s
    the stg_contacts suite (15 columns, five pairs) took at L. Each group is its own GX
    validation; the outcome is the suite's, in the suite's order.
    """
    gx = _great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # one bar per metric floods logs
    source = context.data_sources.add_pandas(f"{spec.name}_source")
    batch = source.add_dataframe_asset(spec.relation).add_batch_definition_whole_dataframe("whole_table")
    results: list[Any] = []
    number = 0
    try:
        for frame, frame_positions in frames:
            for columns, positions in _expectation_groups(spec.suite_json["expectations"], frame_positions).items():
                name, number = f"{spec.name}_{number}", number + 1
                # GX orders results by column; the position in meta puts them back in the suite's order.
                expectations = [_with_position(spec.suite_json["expectations"][p], p) for p in positions]
                suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
                validation = context.validation_definitions.add(
                    gx.ValidationDefinition(name=name, data=batch, suite=suite))
                try:
                    result = validation.run(
                        batch_parameters={"dataframe": frame if columns is None else frame[list(columns)]},
                        expectation_parameters=parameters,
                        result_format="SUMMARY",
                    )
                finally:
                    # GX keeps its last context alive, and without these the context keeps the frame.
                    context.validation_definitions.delete(name)
                    context.suites.delete(name)
                results += result.results
    finally:
        context.data_sources.delete(source.name)
    ordered = sorted(results, key=lambda r: r.expectation_config.meta[POSITION_META])
    failures = [
        {
            "expectation": r.expectation_config.type,
            "kwargs": {k: v for k, v in r.expectation_config.kwargs.items() if k != "batch_id"},
            "observed": _jsonable(r.result.get("observed_value")),
            "unexpected_count": r.result.get("unexpected_count"),
            "examples": _jsonable(r.result.get("partial_unexpected_list", [])[:5]),
            "error": (r.exception_info or {}).get("exception_message"),
        }
        for r in ordered
        if not r.success
    ]
    row_frame = frames[-1][0]  # the changed rows' frame when there are two
    return SuiteOutcome(success=not failures, rows=len(row_frame), evaluated=len(ordered), failures=failures,
                        scope=scope)


def _expectation_groups(
    expectations: list[dict[str, Any]], positions: list[int],
) -> dict[tuple[str, ...] | None, list[int]]:
    """The given positions per frame: None for the whole frame, else the columns of a pair or list.

    A malformed pair or list (a side missing, a list that is a string) stays with the whole
    frame, where GX rejects it with its own message naming the field.
    """
    groups: dict[tuple[str, ...] | None, list[int]] = {}
    for position in positions:
        kwargs = expectations[position].get("kwargs", {})
        if "column_A" in kwargs and "column_B" in kwargs:
            columns: tuple[str, ...] | None = (kwargs["column_A"], kwargs["column_B"])
        elif isinstance(kwargs.get("column_list"), list):
            columns = tuple(kwargs["column_list"])
        else:
            columns = None
        groups.setdefault(columns, []).append(position)
    return groups


def _with_position(expectation: dict[str, Any], position: int) -> dict[str, Any]:
    return {**expectation, "meta": {**expectation.get("meta", {}), POSITION_META: position}}


def _columns_of(expectations: list[dict[str, Any]]) -> list[str]:
    """The columns the expectations name, in first-mention order."""
    names: list[str] = []
    for expectation in expectations:
        kwargs = expectation.get("kwargs", {})
        found = [kwargs[a] for a in COLUMN_ARGUMENTS if a in kwargs]
        found += [c for a in COLUMN_LIST_ARGUMENTS for c in kwargs.get(a, [])]
        if kwargs.get("row_condition"):  # `<column> <operator> <value>`, as expectations/README.md says
            found.append(kwargs["row_condition"].split()[0])
        names += [c for c in found if c not in names]
    return names


def _read_columns(con: duckdb.DuckDBPyConnection, spec: SuiteSpec, columns: list[str] | None = None,
                  where: str | None = None) -> pd.DataFrame:
    """The suite's columns (or the given ones) of the rows `where` selects, through Arrow, with
    repeating text columns as pandas categoricals. No columns: a frame of as many rows and none.

    DuckDB's `.df()` holds its own copy of the result too, and GX copies plain string columns
    while it checks them. At 42M answers (size L) the answers suite peaked at 8.8 GiB with
    `.df()`, 7.5 GiB through Arrow, and 4.2 GiB with categoricals (a 615 MiB frame instead
    of 2.0 GiB; the last two with the connection closed before GX ran). A column expected to
    be unique stays plain text: as a category it costs a dictionary as large as itself. So does
    any column whose values repeat fewer than CATEGORY_MIN_REPEATS times on average (DuckDB's
    approximate distinct count says): pandas builds a hash index of the categories, 5.6 s for
    the 9.3M contact ids among the 27.9M SLA rows at L, where plain (Arrow-backed) text costs
    nothing to hand over. Outcomes, failure counts and examples were the same on every suite,
    passing and failing.

    Smaller integers are widened to int64: GX checks a range on pandas with one vectorised
    comparison only for the dtypes `int` and `float`, and calls a Python function per value
    for any other (an int32 column without nulls), which was 2.6 s of the 3.8 s the contacts
    suite took at size M.
    """
    columns = spec.columns if columns is None else columns
    relation = f"({spec.query})" if spec.query else spec.relation
    source = relation if where is None else f"(select * from {relation} where {where})"
    if not columns:  # a row count: GX needs the rows, not 42M values of a dummy column
        return pd.DataFrame(index=pd.RangeIndex(con.execute(f"select count(*) from {source}").fetchall()[0][0]))
    selected = ", ".join(f'"{c}"' for c in columns)
    table = con.sql(f"select {selected} from {source}").to_arrow_table()
    repeating = _repeating_text_columns(con, spec, source, table)
    for position, field in enumerate(table.schema):
        if field.name in repeating:
            table = table.set_column(position, field.name, pc.dictionary_encode(table.column(position)))
        elif pa.types.is_integer(field.type) and field.type.bit_width < 64:
            table = table.set_column(position, field.name, pc.cast(table.column(position), pa.int64()))
    return table.to_pandas(self_destruct=True)


def _repeating_text_columns(con: duckdb.DuckDBPyConnection, spec: SuiteSpec, source: str, table: pa.Table) -> set[str]:
    """Text columns not expected unique whose values repeat enough to be worth a category."""
    candidates = [
        f.name for f in table.schema
        if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)) and f.name not in spec.unique_columns
    ]
    if not candidates:
        return set()
    counts = ", ".join(f'approx_count_distinct("{c}")' for c in candidates)
    distinct = con.execute(f"select {counts} from {source}").fetchall()[0]
    return {c for c, n in zip(candidates, distinct, strict=True) if n * CATEGORY_MIN_REPEATS <= table.num_rows}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
