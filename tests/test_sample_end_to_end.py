"""The README's main command on the bundled sample, and the generator behind the sample."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from dagster_cx.sample.generator import generate

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE = REPO_ROOT / "data" / "sample"


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_cx.cli", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=900
    )


def test_cli_run_builds_the_sample_prints_headlines_and_reruns_idempotently(tmp_path):
    warehouse = tmp_path / "cli.duckdb"
    published = tmp_path / "published.duckdb"
    env = {**os.environ, "CX_WAREHOUSE": str(warehouse), "CX_DATA_DIR": str(SAMPLE), "CX_PUBLISHED": str(published)}
    first = _cli("run", "--log-level", "WARNING", env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert f"Warehouse: {warehouse}" in first.stdout
    for name in ("nps ", "csat_pct", "ces_mean", "first_reply_time_median_minutes", "fcr_rate_pct", "service_level_pct",
                 "first_reply_time_business_median_minutes", "sla_attainment_pct"):
        assert name in first.stdout
    assert f"For BI tools (read-only snapshot): {published}" in first.stdout

    tables = ["raw.contacts", "raw.contact_status_changes", "raw.contact_messages", "raw.survey_answers",
              "raw.quarantine", "raw._file_loads", "marts.fct_contacts", "marts.fct_contact_sla_policies",
              "marts.fct_survey_responses", "marts.mart_nps_daily", "marts.mart_contact_center_daily"]

    def counts() -> dict[str, int]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables}

    before = counts()
    second = _cli("run", "--log-level", "WARNING", env=env)  # no new data: dbt and all after it skip
    assert second.returncode == 0, second.stderr[-3000:]
    assert counts() == before
    backfill = _cli("backfill", "--from", "2026-03-30", "--to", "2026-03-31", "--log-level", "WARNING", env=env)
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    assert counts() == before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        builds = con.execute("select mode, rebuild_from, rebuild_to from raw._dbt_builds order by build_id").fetchall()
    assert builds == [("full_refresh", None, None), ("backfill", date(2026, 3, 30), date(2026, 3, 31))]
    wrong = _cli("backfill", "--from", "2026-03-31", "--to", "2026-03-30", env=env)
    assert wrong.returncode == 1 and "rebuild_from 2026-03-31 is after rebuild_to 2026-03-30; swap them" in wrong.stderr


def test_cli_run_reports_an_unreadable_file_and_says_what_to_do(tmp_path):
    data = tmp_path / "data"
    (data / "contacts").mkdir(parents=True)
    (data / "contacts" / "broken.csv").write_bytes(b"contact_id,customer_id\nc1,u1\n")
    env = {**os.environ, "CX_WAREHOUSE": str(tmp_path / "cx.duckdb"), "CX_DATA_DIR": str(data),
           "CX_PUBLISHED": str(tmp_path / "published.duckdb")}
    result = _cli("run", "--log-level", "ERROR", env=env)
    assert result.returncode == 1
    assert "broken.csv" in result.stderr and "missing column(s)" in result.stderr and "re-run" in result.stderr


def test_every_planted_bad_row_is_quarantined_with_its_reason_and_counts_reconcile(sample_db):
    manifest = json.loads((SAMPLE / "MANIFEST.json").read_text(encoding="utf-8"))
    planted = [row for entity in manifest["entities"].values() for row in entity.get("bad_rows", [])]
    assert len(planted) >= 10
    quarantined = sample_db.execute("select entity, _source_file, reason from raw.quarantine").fetchall()
    assert len(quarantined) == len(planted)
    for row in planted:
        matches = [q for q in quarantined if q[0] == row["entity"] and q[1] == row["file"] and row["reason_contains"] in q[2]]
        assert matches, f"planted bad row not quarantined as expected: {row}"
    for entity, spec in manifest["entities"].items():
        read, loaded, quarantined_rows = sample_db.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw._file_loads where entity = ?", [entity]
        ).fetchall()[0]
        assert read == spec["rows"] == loaded + quarantined_rows


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_matches_the_bundled_sample(tmp_path):
    generate(tmp_path / "a", size="sample")
    assert _digests(tmp_path / "a") == _digests(SAMPLE)


def test_ingestion_asset_metadata_reports_reconciled_counts(sample_run):
    _, result = sample_run
    manifest = json.loads((SAMPLE / "MANIFEST.json").read_text(encoding="utf-8"))
    for entity, spec in manifest["entities"].items():
        [materialization] = result.asset_materializations_for_node(f"raw__{entity}")
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        assert metadata["rows_read"] == spec["rows"] == metadata["rows_loaded"] + metadata["rows_quarantined"]
        assert metadata["rows_quarantined"] == len(spec.get("bad_rows", []))
        assert metadata["files_loaded"] == len(spec["files"])
        assert sum(metadata["top_quarantine_reasons"].values()) >= metadata["rows_quarantined"]
