"""The parity check between builds (dagster_cx.spark_parity) and the raw Parquet export, on toy
tables: a difference beyond the tolerance, a missing row or column is reported; noise is not."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_cx.ingest.raw_parquet import export_raw_parquet, is_current
from dagster_cx.spark_parity import compare_marts, spark_table_dir


def _spark_table(con: duckdb.DuckDBPyConnection, warehouse: Path, table: str, select: str) -> None:
    folder = spark_table_dir(warehouse, "marts", table)
    folder.mkdir(parents=True)
    con.execute(f"copy ({select}) to '{folder / 'part-00000.parquet'}' (format parquet)")


@pytest.fixture
def duck(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "cx.duckdb"))
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema marts")
    con.execute("""create table marts.daily as select * from (values
        (date '2026-03-29', 'phone', 10::bigint, 33.333333333333336, timestamptz '2026-03-29 01:30:00+00', true),
        (date '2026-03-29', 'chat', null, null, null, false),
        (date '2026-03-30', 'phone', 10::bigint, 33.333333333333336, timestamptz '2026-03-30 01:30:00+00', null)
    ) as t(date_day, channel, responses, nps, first_at, is_met)""")
    yield con
    con.close()


def test_equal_builds_match_in_any_row_order_and_within_float_noise(duck, tmp_path: Path) -> None:
    _spark_table(duck, tmp_path / "spark", "daily", """
        select date_day, channel, cast(responses as integer) as responses,
               case when nps is not null then 33.33333333333333 end as nps, first_at, is_met
        from marts.daily order by channel, date_day desc""")
    [parity] = compare_marts(duck, tmp_path / "spark")
    assert (parity.mart, parity.duckdb_rows, parity.spark_rows, parity.difference) == ("daily", 3, 3, None)


@pytest.mark.parametrize("spark_select, expected", [
    ("select * replace (case when channel = 'chat' then 0.0 else nps end as nps) from marts.daily", "nps"),
    ("select * from marts.daily where channel = 'phone'", "3 rows on DuckDB, 2 on Spark"),
    ("select * exclude (is_met) from marts.daily", "columns differ: ['is_met']"),
    ("select * replace (first_at + interval 1 hour as first_at) from marts.daily", "first_at"),
    ("select * from marts.daily union all select * from marts.daily where channel = 'chat'", "3 rows on DuckDB, 4"),
])
def test_a_difference_is_reported(duck, tmp_path: Path, spark_select: str, expected: str) -> None:
    _spark_table(duck, tmp_path / "spark", "daily", spark_select)
    [parity] = compare_marts(duck, tmp_path / "spark")
    assert parity.difference is not None and expected in parity.difference, parity


def test_a_mart_missing_on_spark_is_reported(duck, tmp_path: Path) -> None:
    [parity] = compare_marts(duck, tmp_path / "spark")
    assert parity.spark_rows is None and "no Spark table" in parity.difference


def test_raw_export_replaces_a_table_whole_and_names_what_is_missing(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.questions as select range as question_id from range(5)")
    target = tmp_path / "raw_parquet"
    assert export_raw_parquet(con, target, ["questions"]) == {"questions": 5}
    con.execute("insert into raw.questions values (5), (6)")
    assert export_raw_parquet(con, target, ["questions"]) == {"questions": 7}
    assert [p.name for p in target.iterdir()] == ["questions"]  # no staging or retired folder left
    assert con.execute(f"select count(*) from read_parquet('{target}/questions/*.parquet')").fetchone()[0] == 7
    with pytest.raises(RuntimeError, match="contacts.*run the ingestion"):
        export_raw_parquet(con, target, ["contacts"])
    with pytest.raises(ValueError, match="quarantine"):
        export_raw_parquet(con, target, ["quarantine"])


def test_an_export_is_current_only_while_it_holds_the_newest_load(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.questions as select range as question_id, 1 as _load_id from range(3)")
    target = tmp_path / "raw_parquet"
    assert not is_current(con, target, "questions")  # never exported
    export_raw_parquet(con, target, ["questions"])
    assert is_current(con, target, "questions")
    con.execute("insert into raw.questions values (3, 2)")  # a load the export has not seen
    assert not is_current(con, target, "questions")
