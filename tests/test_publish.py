"""The published copy for BI tools: complete snapshots only, swapped in atomically."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from dagster_cx.analysis.driver_mart import COLUMN_DESCRIPTIONS
from dagster_cx.publish import snapshot
from dagster_cx.publish.snapshot import mask_personal_data_sql, parquet_dir_for, publish
from tests.pipeline import failed_checks, materialized_keys, published_path_for, run_pipeline

HANDMADE = Path(__file__).parent / "fixtures" / "handmade"
READER = Path(__file__).parent / "snapshot_reader.py"


def _snapshot(database: Path) -> tuple[str, dict]:
    with duckdb.connect(str(database), read_only=True) as con:
        run_id, counts = con.execute("select run_id, row_counts from main.snapshot_info").fetchall()[0]
    return run_id, json.loads(counts)


def test_published_copy_holds_only_marts_with_their_data(handmade_warehouse):
    published = published_path_for(handmade_warehouse)
    with duckdb.connect(str(published), read_only=True) as con:
        tables = {tuple(r) for r in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()}
        assert {schema for schema, _ in tables} == {"marts", "main"}
        assert ("main", "snapshot_info") in tables
        assert not {t for _, t in tables if t.startswith(("stg_", "int_")) or t in ("quarantine", "contacts")}
        columns = {r[0] for r in con.execute("select column_name from duckdb_columns() where schema_name = 'marts'").fetchall()}
        assert not columns & {"full_name", "email"}
        published_nps = con.execute("select * from marts.mart_nps_daily order by all").fetchall()
        built_at, run_id = con.execute("select built_at, run_id from main.snapshot_info").fetchall()[0]
    with duckdb.connect(str(handmade_warehouse), read_only=True) as con:
        assert published_nps == con.execute("select * from marts.mart_nps_daily order by all").fetchall()
        marts = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    assert {t for s, t in tables if s == "marts"} == marts
    assert run_id and built_at is not None
    current = parquet_dir_for(published) / "current"
    assert {p.stem for p in current.glob("*.parquet")} == marts
    assert len(pd.read_parquet(current / "mart_nps_daily.parquet")) == len(published_nps)


def test_published_copy_carries_every_table_and_column_description(handmade_warehouse):
    # dbt's persist_docs and the Python marts write comments; BI tools read them from the snapshot.
    sql = ("select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts' "
           "union all select table_name, null, comment from duckdb_tables() where schema_name = 'marts'")
    with duckdb.connect(str(handmade_warehouse), read_only=True) as con:
        documented = set(con.execute(sql).fetchall())
    with duckdb.connect(str(published_path_for(handmade_warehouse)), read_only=True) as con:
        published = set(con.execute(sql).fetchall())
    assert published == documented
    assert all(comment for _, _, comment in published)
    assert ("mart_driver_importance", "quadrant", COLUMN_DESCRIPTIONS["quadrant"]) in published


def test_comments_have_emails_and_phone_numbers_masked():
    con = duckdb.connect()
    masked = con.execute(
        f"select {mask_personal_data_sql('t')} from (values "
        "('Пишите на ivan.petrov@mail.ru или звоните +7 (495) 123-45-67'), "
        "('Proszę o kontakt: 601 234 567, dziękuję'), ('Call (212) 555-0100 or +44 7700 900397.'), "
        "('Order 12345 arrived on 2026-03-01 10:00')) as v(t)"
    ).fetchall()
    assert masked == [
        ("Пишите на [email] или звоните [phone]",),
        ("Proszę o kontakt: [phone], dziękuję",),
        ("Call [phone] or [phone].",),
        ("Order 12345 arrived on 2026-03-01 10:00",),
    ]


def test_sample_comments_are_masked_in_the_published_copy(sample_warehouse, sample_db):
    email = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
    raw_hits = sample_db.execute(f"select count(*) from marts.fct_survey_responses where regexp_matches(comment_text, '{email}')").fetchall()[0][0]
    assert raw_hits > 0  # the sample plants e-mails in comments
    with duckdb.connect(str(published_path_for(sample_warehouse)), read_only=True) as con:
        hits = con.execute(f"select count(*) from marts.fct_survey_responses where regexp_matches(comment_text, '{email}')").fetchall()[0][0]
        masked = con.execute("select count(*) from marts.fct_survey_responses where comment_text like '%[email]%'").fetchall()[0][0]
    assert hits == 0 and masked == raw_hits


def _materialize_snapshot(warehouse: Path, instance: dg.DagsterInstance, checks_of: str | None = None):
    """Run the snapshot asset alone (as a UI re-materialisation does), or only the checks of one mart."""
    from dagster_cx.defs.publish import bi_snapshot
    from dagster_cx.defs.quality import gx_checks
    from dagster_cx.defs.resources import build_resources
    from tests.pipeline import pipeline_environment

    with pipeline_environment(HANDMADE, warehouse):
        if checks_of is None:
            return dg.materialize([bi_snapshot], resources=build_resources(), instance=instance, raise_on_error=False)
        return dg.materialize(
            [bi_snapshot, *gx_checks], selection=dg.AssetSelection.checks_for_assets(dg.AssetKey(["marts", checks_of])),
            resources=build_resources(), instance=instance, raise_on_error=False,
        )


def test_failing_expectation_keeps_the_last_good_snapshot(tmp_path, handmade_warehouse):
    """Checks pass, the snapshot publishes; a mart then fails its check: the snapshot asset refuses."""
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    instance = dg.DagsterInstance.ephemeral()
    passing = _materialize_snapshot(warehouse, instance, checks_of="mart_nps_daily")
    assert passing.success and not failed_checks(passing)
    assert "published/bi_snapshot" in materialized_keys(_materialize_snapshot(warehouse, instance))
    published = published_path_for(warehouse)
    good = _snapshot(published)
    with duckdb.connect(str(warehouse)) as con:  # a mart row no expectation allows
        con.execute("update marts.mart_nps_daily set nps = 250 where channel = 'chat'")
    checks_only = _materialize_snapshot(warehouse, instance, checks_of="mart_nps_daily")
    assert "marts/mart_nps_daily:gx_mart_nps_daily" in failed_checks(checks_only)
    publish_only = _materialize_snapshot(warehouse, instance)
    assert not publish_only.success
    assert "published/bi_snapshot" not in materialized_keys(publish_only)
    assert _snapshot(published) == good


def test_failing_expectation_in_a_full_run_publishes_nothing(tmp_path, handmade_warehouse):
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    published = published_path_for(warehouse)
    publish(warehouse, published, "initial")  # the last good snapshot
    good = _snapshot(published)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.survey_responses (response_id, survey_id, survey_kind, customer_id, channel, sent_at, "
            "answered_at, _load_id, _source_file, _source_row, _loaded_at) values ('r_bad', 's', 'transactional', "
            "'u1', 'phone', '2026-03-05 10:00:00+00', '2026-03-04 10:00:00+00', 999, 'manual', 1, now())"
        )
    result = run_pipeline(HANDMADE, warehouse, report=False)
    assert "staging/stg_cx__survey_responses:gx_stg_survey_responses" in failed_checks(result)
    assert "published/bi_snapshot" not in materialized_keys(result)
    assert _snapshot(published) == good


def test_reader_never_sees_an_error_or_a_partial_snapshot_while_the_pipeline_republishes(tmp_path, handmade_warehouse):
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    published = published_path_for(warehouse)
    publish(warehouse, published, "initial")
    stop, out = tmp_path / "stop", tmp_path / "reads.jsonl"
    reader = subprocess.Popen([sys.executable, str(READER), str(published), str(stop), str(out), "300"])
    try:
        time.sleep(1)
        instance = dg.DagsterInstance.ephemeral()
        for _ in range(2):  # the pipeline's own publishing step, which updates the snapshot by key
            result = _materialize_snapshot(warehouse, instance)
            [metadata] = [e.event_specific_data.materialization.metadata for e in result.all_events
                          if e.event_type_value == "ASSET_MATERIALIZATION"
                          and e.asset_key == dg.AssetKey(["published", "bi_snapshot"])]
            assert metadata["snapshot_mode"].value == "updated", metadata["snapshot_mode_reason"].value
            assert metadata["replaced_keys"].value == {table: 0 for table in snapshot.DELTA_KEYS}
        for attempt in range(15):  # and many more swaps, back to back
            publish(warehouse, published, f"republish-{attempt}")
    finally:
        stop.touch()
        reader.wait(timeout=60)
    reads = [json.loads(line) for line in out.read_text().splitlines()]
    errors = [r for r in reads if "error" in r]
    assert not errors, errors[:3]
    assert len(reads) > 20
    assert all(r["consistent"] and r["tables"] >= 9 for r in reads)
    assert len({r["run_id"] for r in reads}) >= 3


def test_bi_tools_open_the_snapshot_read_only_through_sqlalchemy(handmade_warehouse):
    published = published_path_for(handmade_warehouse)
    engine = sa.create_engine(f"duckdb:///{published}", connect_args={"read_only": True})
    with engine.connect() as connection:
        assert "mart_nps_daily" in sa.inspect(connection).get_table_names(schema="marts")
        rows = connection.execute(sa.text("select sum(responses) from marts.mart_nps_daily")).scalar()
        assert rows == 9
        with pytest.raises(sa.exc.DBAPIError):
            connection.execute(sa.text("create table marts.scratch as select 1"))
    engine.dispose()


def _tables_of(database: Path) -> dict[str, list[tuple]]:
    """Every published table's rows (sorted) and the snapshot's column descriptions."""
    with duckdb.connect(str(database), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()]
        tables = {name: sorted(con.execute(f"select * from marts.{name}").fetchall(), key=repr) for name in names}
        tables["(comments)"] = sorted(con.execute(
            "select table_name, column_name, data_type, comment from duckdb_columns() where schema_name = 'marts'"
        ).fetchall(), key=repr)
    return tables


def _change_the_marts(warehouse: Path) -> None:
    """What a build does to the marts: facts updated, removed and added by key, a table dropped."""
    with duckdb.connect(str(warehouse)) as con:
        contacts = [r[0] for r in con.execute(
            "select contact_id from marts.fct_contacts order by 1 limit 2").fetchall()]
        con.execute("update marts.fct_contacts set talk_seconds = 4321 where contact_id = ?", [contacts[0]])
        con.execute("delete from marts.fct_contacts where contact_id = ?", [contacts[1]])
        con.execute("insert into marts.fct_contacts select * replace ('c_new' as contact_id) from marts.fct_contacts "
                    "where contact_id = ?", [contacts[0]])
        # A comment that gains an e-mail address: the published row must be masked, as in a new file.
        con.execute("update marts.fct_survey_responses set comment_text = 'write me: ann@example.com' "
                    "where response_id = (select min(response_id) from marts.fct_survey_responses)")
        con.execute("drop table marts.mart_scorecard")
        con.execute("create table marts.mart_new as select 1 as n")


def test_an_updated_snapshot_equals_a_new_one_and_links_unchanged_parquet(tmp_path, handmade_warehouse):
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    published = tmp_path / "published" / "cx.duckdb"
    first = publish(warehouse, published, "first")
    assert (first.mode, first.reason) == ("new file", "no snapshot was published yet")
    previous_parquet = (parquet_dir_for(published) / "current").resolve()
    _change_the_marts(warehouse)

    updated = publish(warehouse, published, "second")
    assert (updated.mode, updated.reason) == ("updated", "the published snapshot was updated by key")
    assert updated.replaced_keys == {"fct_contacts": 3, "fct_survey_responses": 1, "fct_contact_sla_policies": 0}
    fresh = publish(warehouse, tmp_path / "fresh" / "cx.duckdb", "fresh")
    assert fresh.mode == "new file"
    assert _tables_of(published) == _tables_of(fresh.database)
    assert "mart_scorecard" not in updated.row_counts and updated.row_counts["mart_new"] == 1
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_survey_responses where comment_text like '%[email]%'"
                           ).fetchall() == [(1,)]

    # Parquet: the unchanged fact is the previous snapshot's file, linked; the changed ones are new.
    current = (parquet_dir_for(published) / "current").resolve()
    assert current != previous_parquet
    assert {p.stem for p in current.glob("*.parquet")} == set(updated.row_counts)
    def same_file(name: str) -> bool:
        return (current / name).stat().st_ino == (previous_parquet / name).stat().st_ino
    assert same_file("fct_contact_sla_policies.parquet")
    assert not same_file("fct_contacts.parquet") and not same_file("mart_nps_daily.parquet")
    for name, rows in updated.row_counts.items():
        assert len(pd.read_parquet(current / f"{name}.parquet")) == rows


def test_a_snapshot_is_written_anew_when_it_cannot_be_updated(tmp_path, handmade_warehouse, monkeypatch):
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    published = tmp_path / "published" / "cx.duckdb"
    publish(warehouse, published, "first")
    assert publish(warehouse, published, "asked", reuse_previous=False).reason == "a new file was asked for"

    # The Parquet folder was not switched to the published file's (a publish stopped between the two).
    current = parquet_dir_for(published) / "current"
    older = sorted((parquet_dir_for(published) / "snapshots").iterdir())[0]
    current.unlink()
    current.symlink_to(older.relative_to(current.parent), target_is_directory=True)
    result = publish(warehouse, published, "mismatch")
    assert (result.mode, result.reason) == ("new file", "the current Parquet folder is not the published snapshot's")

    monkeypatch.setattr(snapshot, "MAX_FREE_BLOCK_SHARE", -1.0)
    assert publish(warehouse, published, "small").mode == "updated"  # free blocks, but too few bytes to matter
    monkeypatch.setattr(snapshot, "FREE_BYTES_WORTH_REWRITING", -1)
    result = publish(warehouse, published, "bloated")
    assert result.mode == "new file"
    assert result.reason.endswith("of the published file's blocks are free (rows replaced before)")
    monkeypatch.undo()
    assert publish(warehouse, published, "again").mode == "updated"


def test_an_update_that_loses_count_of_rows_publishes_nothing(tmp_path, handmade_warehouse, monkeypatch):
    warehouse = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, warehouse)
    published = tmp_path / "published" / "cx.duckdb"
    publish(warehouse, published, "good")
    good = _snapshot(published)
    replace = snapshot._replace_changed_keys

    def replace_and_duplicate(con, table, select, keys):  # a defect: every row of one key twice
        changed = replace(con, table, select, keys)
        con.execute(f"insert into marts.{table} select * from marts.{table} limit 1")
        return changed

    monkeypatch.setattr(snapshot, "_replace_changed_keys", replace_and_duplicate)
    with pytest.raises(RuntimeError, match="nothing was published and the last snapshot stays. Run a full refresh"):
        publish(warehouse, published, "broken")
    assert _snapshot(published) == good
    assert not list(published.parent.glob(".*.tmp"))
