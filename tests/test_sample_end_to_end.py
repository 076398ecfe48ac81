"""The README's main command on the bundled sample, and the generator behind the sample."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
from dagster._core.instance.ref import InstanceRef

from dagster_cx.publish.snapshot import parquet_dir_for
from dagster_cx.sample.generator import generate
from tests.conftest import cli
from tests.pipeline import published_path_for

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE = REPO_ROOT / "data" / "sample"


FACTS = ("marts.fct_contacts", "marts.fct_contact_sla_policies", "marts.fct_survey_responses")


def _replaced_keys(home: Path) -> dict[str, int]:
    """How many keys of each large fact the latest publish replaced (its materialization's metadata)."""
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    event = instance.get_latest_materialization_event(dg.AssetKey(["published", "bi_snapshot"]))
    return event.asset_materialization.metadata["replaced_keys"].value


def test_cli_run_builds_the_sample_prints_headlines_and_reruns_idempotently(tmp_path, sample_run):
    """`sample_run` is the README's `cx-warehouse run` on the sample; here it runs twice more on a copy."""
    assert f"Warehouse: {sample_run.warehouse}" in sample_run.stdout
    for name in ("nps ", "csat_pct", "ces_mean", "first_reply_time_median_minutes", "fcr_rate_pct", "service_level_pct",
                 "first_reply_time_business_median_minutes", "sla_attainment_pct"):
        assert name in sample_run.stdout
    assert f"For BI tools (read-only snapshot): {published_path_for(sample_run.warehouse)}" in sample_run.stdout

    warehouse, published = tmp_path / "cli.duckdb", tmp_path / "cli_published.duckdb"
    shutil.copy(sample_run.warehouse, warehouse)
    shutil.copy(published_path_for(sample_run.warehouse), published)
    # With its Parquet folder (`current` links within it), so the backfill updates the copy by key.
    shutil.copytree(parquet_dir_for(published_path_for(sample_run.warehouse)), parquet_dir_for(published), symlinks=True)
    env = {**sample_run.env, "CX_WAREHOUSE": str(warehouse), "CX_PUBLISHED": str(published),
           "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    (tmp_path / "dagster_home").mkdir()
    tables = ["raw.contacts", "raw.contact_status_changes", "raw.contact_messages", "raw.survey_answers",
              "raw.quarantine", "raw._file_loads", "marts.fct_contacts", "marts.fct_contact_sla_policies",
              "marts.fct_survey_responses", "marts.mart_nps_daily", "marts.mart_contact_center_daily"]

    def state() -> tuple[dict[str, int], list[tuple], list[tuple], dict[str, list[tuple]]]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            counts = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables}
            daily = con.execute("select * from marts.mart_contact_center_daily order by all").fetchall()
            builds = con.execute("select mode, rebuild_from, rebuild_to from raw._dbt_builds order by build_id").fetchall()
            # Every column of every fact, compared exactly: the same data must give the same bits.
            facts = {t: con.execute(f"select * from {t} order by all").fetchall() for t in FACTS}
        return counts, daily, builds, facts

    counts, daily, builds, facts = state()
    assert builds == [("full_refresh", None, None)]
    published_at = published.stat().st_mtime_ns
    second = cli("run", env=env)  # no new data: dbt and all after it skip
    assert second.returncode == 0, second.stderr[-3000:]
    assert state() == (counts, daily, builds, facts)
    assert published.stat().st_mtime_ns == published_at  # nothing was republished
    # A calm console: no line per skipped step or check, no long line, what did not run said once.
    output = second.stdout + second.stderr
    assert "Skipping step" not in output and "emitted no result" not in output and second.stderr == ""
    assert max(map(len, output.splitlines())) < 300
    assert re.search(r"^  dbt staging +nothing to build: no raw data loaded and no dbt change", output, re.MULTILINE)
    assert len(re.findall(r"not run: .*publish, report", output)) == 1, output

    backfill = cli("backfill", "--from", "2026-03-30", "--to", "2026-03-31", env=env)
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        dates = con.execute("select distinct created_date from intermediate.int_changes_contacts order by 1").fetchall()
    assert dates == [(date(2026, 3, 30),), (date(2026, 3, 31),)]  # those dates' contacts were recomputed
    assert state() == (counts, daily, [*builds, ("backfill", date(2026, 3, 30), date(2026, 3, 31))], facts)
    assert published.stat().st_mtime_ns > published_at
    assert _replaced_keys(tmp_path / "dagster_home") == {t.split(".")[1]: 0 for t in FACTS}  # no float noise
    wrong = cli("backfill", "--from", "2026-03-31", "--to", "2026-03-30", env=env)
    assert wrong.returncode == 2 and "--from 2026-03-31 is after --to 2026-03-30; swap them." in wrong.stderr


def test_cli_run_reports_an_unreadable_file_once_and_what_did_not_run(tmp_path):
    data = tmp_path / "data"
    (data / "contacts").mkdir(parents=True)
    (data / "contacts" / "broken.csv").write_bytes(b"contact_id,customer_id\nc1,u1\n")
    env = {**os.environ, "CX_WAREHOUSE": str(tmp_path / "cx.duckdb"), "CX_DATA_DIR": str(data),
           "CX_PUBLISHED": str(tmp_path / "published.duckdb")}
    result = cli("run", env=env)
    assert result.returncode == 1
    assert "broken.csv" in result.stderr and "missing column(s)" in result.stderr and "re-run" in result.stderr
    output = result.stdout + result.stderr
    assert output.count("missing column(s)") == 1 and "Traceback" not in output and "Dependencies for step" not in output
    assert re.search(r"^  ingest .*FAILED", result.stdout, re.MULTILINE)
    assert re.search(r"^Not run because of that: .*dbt staging, .*publish, report\.$", result.stderr, re.MULTILINE)
    log = Path(re.search(r"^Full log: (.+)$", result.stderr, re.MULTILINE).group(1)).read_text(encoding="utf-8")
    assert "Stack Trace" in log or "Traceback" in log  # the trace is in the log, not on the console


def test_every_planted_bad_row_is_quarantined_or_waits_with_its_reason_and_counts_reconcile(sample_db):
    """Bad values go to the quarantine; a row whose parent never arrived waits for it (raw.waiting)."""
    manifest = json.loads((SAMPLE / "MANIFEST.json").read_text(encoding="utf-8"))
    planted = [row for entity in manifest["entities"].values() for row in entity.get("bad_rows", [])]
    assert len(planted) >= 10 and {row["outcome"] for row in planted} == {"quarantined", "waiting"}
    held = {
        "quarantined": sample_db.execute("select entity, _source_file, reason from raw.quarantine").fetchall(),
        "waiting": sample_db.execute("select entity, _source_file, reason from raw.waiting").fetchall(),
    }
    for outcome, rows in held.items():
        assert len(rows) == sum(row["outcome"] == outcome for row in planted), outcome
    for row in planted:
        matches = [q for q in held[row["outcome"]]
                   if q[0] == row["entity"] and q[1] == row["file"] and row["reason_contains"] in q[2]]
        assert matches, f"planted bad row not {row['outcome']} as expected: {row}"
    assert sample_db.execute("select count(*) from raw.excluded").fetchall() == [(0,)]
    for entity, spec in manifest["entities"].items():
        read, loaded, waiting, quarantined_rows = sample_db.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_waiting), sum(rows_quarantined) from raw._file_loads "
            "where entity = ?", [entity]
        ).fetchall()[0]
        assert read == spec["rows"] == loaded + waiting + quarantined_rows
        in_raw = sample_db.execute(f"select count(*) from raw.{entity}").fetchall()[0][0]
        assert in_raw == loaded == spec["rows"] - len(spec["bad_rows"])


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_matches_the_bundled_sample(tmp_path):
    generate(tmp_path / "a", size="sample")
    assert _digests(tmp_path / "a") == _digests(SAMPLE)


def test_ingestion_asset_metadata_reports_reconciled_counts(sample_run):
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(sample_run.dagster_home)))
    manifest = json.loads((SAMPLE / "MANIFEST.json").read_text(encoding="utf-8"))
    for entity, spec in manifest["entities"].items():
        event = instance.get_latest_materialization_event(dg.AssetKey(["raw", entity]))
        metadata = {k: v.value for k, v in event.asset_materialization.metadata.items()}
        assert metadata["rows_read"] == spec["rows"] == (
            metadata["rows_loaded"] + metadata["rows_quarantined"] + metadata["rows_waiting"])
        outcomes = [row["outcome"] for row in spec["bad_rows"]]
        assert (metadata["rows_quarantined"], metadata["rows_waiting"]) == (
            outcomes.count("quarantined"), outcomes.count("waiting"))
        assert metadata["waiting_now"] == outcomes.count("waiting")
        assert metadata["files_loaded"] == len(spec["files"])
        assert sum(metadata["top_quarantine_reasons"].values()) >= metadata["rows_quarantined"]
