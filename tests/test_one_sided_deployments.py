"""A team with one side only: contact-center data and no surveys, or surveys and no contact center.

`cx-warehouse run` on a copy of the sample holding one side's entities must build, check and
publish what that data supports, say once which entities are not configured, and exit 0:
an entity nobody set up is not stale, and its empty marts are not an error.
"""

from __future__ import annotations

import os
import shutil
import dagster as dg
import duckdb
import pytest

from dagster_cx.defs.ingest import raw_checks, raw_files
from dagster_cx.defs.resources import build_resources
from dagster_cx.run_command import not_configured_note
from dagster_cx.run_outcome import read_outcome
from tests.conftest import HANDMADE, SAMPLE, cli
from tests.pipeline import failed_checks, pipeline_environment
from tests.test_report import _open, chromium_path, headless

SHARED = ("customers", "journey_touchpoints")
CONTACT_SIDE = ("contacts", "contact_status_changes", "contact_messages")
SURVEY_SIDE = ("questions", "survey_responses", "survey_answers", "survey_opt_outs")
CONTACT_MARTS = ("fct_contacts", "fct_contact_sla_policies", "mart_contact_center_daily", "mart_sla_attainment_daily")
SURVEY_MARTS = (
    "fct_survey_responses", "mart_nps_daily", "mart_nps_monthly", "mart_csat_daily", "mart_ces_daily",
    "mart_force_scores", "mart_pillar_scores", "mart_driver_importance", "mart_emotions", "mart_csat_polarization",
    "mart_memorable_experiences", "mart_memorable_touchpoints", "detractor_followups",
)
# Built from the shared entities (or either side), so never empty.
SHARED_MARTS = ("dim_customers", "mart_journey", "mart_loyalty_economics", "mart_scorecard")


@pytest.fixture(scope="module")
def browser():
    """This module's own: the report tests' session fixture would put these builds on the sample's worker."""
    with headless(chromium_path()) as launched:
        yield launched


@pytest.mark.slow
@pytest.mark.parametrize(("fed", "missing", "empty_marts", "built_marts"), [
    (CONTACT_SIDE, SURVEY_SIDE, SURVEY_MARTS, CONTACT_MARTS),
    (SURVEY_SIDE, CONTACT_SIDE, CONTACT_MARTS, SURVEY_MARTS),
], ids=["contact_center_only", "surveys_only"])
def test_a_one_sided_deployment_builds_publishes_and_says_once_what_is_not_configured(
    tmp_path, browser, fed, missing, empty_marts, built_marts,
):
    data = tmp_path / "data"
    for entity in (*SHARED, *fed):
        shutil.copytree(SAMPLE / entity, data / entity)
    published = tmp_path / "published" / "cx.duckdb"
    env = {**os.environ, "CX_DATA_DIR": str(data), "CX_WAREHOUSE": str(tmp_path / "cx.duckdb"),
           "CX_PUBLISHED": str(published)}
    for key in ("CX_REPORT_DIR", "CX_ALERT_WEBHOOK_URL", "CX_SURVEY_INVITATIONS_DIR", "DAGSTER_HOME"):
        env.pop(key, None)

    completed = cli("run", env=env)  # at the default log level: Dagster's own lines must not repeat it

    assert completed.returncode == 0, completed.stderr[-4000:]
    output = completed.stdout + completed.stderr
    assert output.lower().count("not configured") == 1
    assert f"no file ever loaded): {', '.join(missing)}. Not checked for freshness" in completed.stdout
    assert "did not complete" not in output and "Warnings" not in output
    report = published.with_name("cx_report") / "cx_report.html"
    assert report.exists() and f"CX report (opens offline in any browser): {report}" in completed.stdout
    with duckdb.connect(str(published), read_only=True) as con:
        rows = {t: con.execute(f"select count(*) from marts.{t}").fetchall()[0][0]
                for t in (*empty_marts, *built_marts, *SHARED_MARTS)}
    assert {t: rows[t] for t in empty_marts} == dict.fromkeys(empty_marts, 0)
    assert [t for t in (*built_marts, *SHARED_MARTS) if rows[t] == 0] == []

    page, messages, requested = _open(browser, report)
    try:
        assert page.evaluate("() => window.cxReport.errors") == []
        assert [m for m in messages if m[0] in ("error", "pageerror")] == [] and requested == []
        # The side that has data is drawn: its charts have marks beyond their captions and axes.
        drawn = "contact_center" if "fct_contacts" in built_marts else "nps_monthly"
        assert page.locator(f"#chart-{drawn} svg .role-mark path, #chart-{drawn} svg .role-mark rect").count() > 0
    finally:
        page.close()


def test_a_stale_feed_is_a_warning_the_cli_prints_not_a_failure(tmp_path):
    """A contacts folder set up but empty: its freshness check fails at WARN, and the run still succeeds."""
    data = tmp_path / "data"
    for entity in (*SHARED, *SURVEY_SIDE):
        shutil.copytree(HANDMADE / entity, data / entity)
    (data / "contacts").mkdir()
    with pipeline_environment(data, tmp_path / "cx.duckdb"):
        instance = dg.DagsterInstance.ephemeral()
        result = dg.materialize([raw_files, *raw_checks], resources=build_resources(), raise_on_error=False,
                                instance=instance)

    assert result.success
    assert read_outcome(instance, result.run_id).problems == []
    assert failed_checks(result, "WARN") == {"raw/contacts:freshness"}
    [evaluation] = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert evaluation.description == ("contacts: no file with rows has ever been loaded; expected one every 24 h. "
                                      "Check the export feeding CX_DATA_DIR/contacts/.")
    with pipeline_environment(data, tmp_path / "cx.duckdb"):
        assert not_configured_note().startswith(
            f"Not configured (no folder in {data}, no source system and no file ever loaded): contact_status_changes, "
            "contact_messages.")
