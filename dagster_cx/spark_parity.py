"""Does the Spark build of the dbt project give the DuckDB build's marts, row for row?

A local Spark (the dbt `spark` target, method session) keeps each table as Parquet files under
`<CX_SPARK_WAREHOUSE_DIR>/<schema>.db/<table>/`; DuckDB reads those directly, so the check
needs no second JVM beside the metastore. Rows are matched as multisets: both sides are sorted
on every column (doubles rounded for the sort only) and then compared within a tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

# Computed by the Dagster asset `mart_driver_importance` in Python from the DuckDB build
# (README, "Scaling out"); dbt does not build it on any engine.
DUCKDB_ONLY_MARTS = frozenset({"mart_driver_importance"})


@dataclass(frozen=True)
class MartParity:
    """One mart on both engines: rows on each side, and the first difference found (None = equal)."""

    mart: str
    duckdb_rows: int
    spark_rows: int | None
    difference: str | None


def spark_table_dir(spark_warehouse_dir: Path, schema: str, table: str) -> Path:
    return spark_warehouse_dir / f"{schema}.db" / table


def compare_marts(
    con: duckdb.DuckDBPyConnection, spark_warehouse_dir: Path, schema: str = "marts", tolerance: float = 1e-9
) -> list[MartParity]:
    """Every table of `schema` in the DuckDB warehouse `con` against the Spark build's table of that name."""
    marts = [
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by 1", [schema]
        ).fetchall()
        if name not in DUCKDB_ONLY_MARTS
    ]
    return [_compare(con, schema, mart, spark_table_dir(spark_warehouse_dir, schema, mart), tolerance) for mart in marts]


def _compare(con: duckdb.DuckDBPyConnection, schema: str, mart: str, spark_dir: Path, tolerance: float) -> MartParity:
    duck = _normalised(con.execute(f"select * from {schema}.{mart}").df())
    if not any(spark_dir.glob("*.parquet")):
        return MartParity(mart, len(duck), None, f"no Spark table at {spark_dir}")
    spark = _normalised(con.execute("select * from read_parquet(?)", [str(spark_dir / "*.parquet")]).df())
    if sorted(duck.columns) != sorted(spark.columns):
        only = sorted(set(duck.columns) ^ set(spark.columns))
        return MartParity(mart, len(duck), len(spark), f"columns differ: {only}")
    spark = spark[list(duck.columns)]
    if len(duck) != len(spark):
        return MartParity(mart, len(duck), len(spark), f"{len(duck)} rows on DuckDB, {len(spark)} on Spark")
    duck, spark = _sorted(duck), _sorted(spark)
    try:
        pd.testing.assert_frame_equal(duck, spark, check_dtype=False, rtol=tolerance, atol=tolerance)
    except AssertionError as error:
        return MartParity(mart, len(duck), len(spark), " ".join(str(error).split())[:500])
    return MartParity(mart, len(duck), len(spark), None)


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """One representation per value on both engines: numbers as float, instants as naive UTC, text as str."""
    columns = {}
    for name, column in frame.items():
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            columns[name] = column.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
        elif pd.api.types.is_datetime64_any_dtype(column):
            columns[name] = column.astype("datetime64[us]")
        elif pd.api.types.is_bool_dtype(column):
            columns[name] = column.astype(object)
        elif pd.api.types.is_numeric_dtype(column):
            columns[name] = column.astype("float64")
        else:  # text, dates and decimals read as objects: compare their text
            columns[name] = column.map(lambda value: None if pd.isna(value) else str(value))
    return pd.DataFrame(columns)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    sort_keys = frame.assign(
        **{name: frame[name].round(6) for name in frame.columns if frame[name].dtype == "float64"}
    )
    order = sort_keys.sort_values(list(frame.columns), na_position="first", kind="stable").index
    return frame.loc[order].reset_index(drop=True)
