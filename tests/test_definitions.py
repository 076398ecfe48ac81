"""The Dagster graph and the dbt docs: snapshot of what exists, and every column documented."""

from __future__ import annotations

import json
import re
import subprocess

from dagster_cx.definitions import defs
from dagster_cx.defs.dbt_project import dbt_cli, dbt_executable, dbt_project

EXPECTED_ASSETS = {
    *(f"raw/{e}" for e in ("customers", "journey_touchpoints", "questions", "contacts", "contact_status_changes",
                            "contact_messages", "survey_responses", "survey_answers", "survey_opt_outs")),
    *(f"reference/{s}" for s in ("channels", "emotions", "csat_scales", "scorecard_targets", "business_schedules", "business_schedule_hours",
                                 "business_holidays", "queue_schedules", "sla_policies")),
    "pipeline/_dbt_builds",  # the build log, a dbt source the changes models read
    "zendesk/tickets", "zendesk/ticket_metric_sets",  # dbt sources, read only where Zendesk lands them
    "staging/stg_zendesk__ticket_metric_sets",
    # Zendesk business hours: landed sources, their staging, the seed of zone names, the union models
    "zendesk/schedules", "zendesk/schedule_holidays", "reference/zendesk_time_zones",
    *(f"staging/stg_zendesk__{m}" for m in ("schedules", "schedule_intervals", "schedule_holidays")),
    *(f"intermediate/int_business_hours_{m}" for m in ("schedules", "schedule_hours", "holidays")),
    "zendesk/sla_policy_targets", "zendesk/sla_policy_mapping",  # written by the zendesk/sla_policies landing
    "staging/stg_zendesk__sla_policy_targets", "staging/stg_zendesk__sla_policy_mapping",
    "marts/mart_zendesk_metric_reconciliation",
    "published/bi_snapshot",
    "published/cx_report",
    "closed_loop/detractor_alerts",
    "closed_loop/survey_invitations",
    *(f"staging/stg_cx__{e}" for e in ("customers", "journey_touchpoints", "questions", "contacts", "contact_status_changes",
                                       "contact_messages", "survey_responses", "survey_answers", "survey_opt_outs")),
    *(f"intermediate/int_business_hours_{m}" for m in ("calendar_bounds", "wall_intervals", "utc_offsets", "schedule_intervals",
                                                       "queue_intervals", "queue_clock", "queue_clock_by_minutes")),
    *(f"intermediate/int_contacts_{m}" for m in ("data_as_of", "message_metrics", "status_periods", "status_metrics",
                                                 "lifecycle", "handling_times")),
    "intermediate/int_sla_policies_applied",
    "intermediate/int_changes_contacts",
    "intermediate/int_changes_survey_responses",
    "intermediate/int_survey_answers_scored",
    "intermediate/int_survey_responses_scored",
    "intermediate/int_survey_construct_scores",
    "intermediate/int_contacts_repeat_contacts",
    "intermediate/int_contacts_touchpoints",
    "intermediate/int_scorecard_monthly_actuals",
    *(f"marts/{m}" for m in ("dim_customers", "dim_channels", "dim_dates", "fct_contacts", "fct_survey_responses",
                             "mart_nps_daily", "mart_nps_monthly", "mart_force_scores", "mart_pillar_scores", "mart_csat_daily", "mart_ces_daily", "mart_contact_center_daily",
                             "mart_csat_polarization", "mart_emotions", "mart_journey", "mart_memorable_experiences",
                             "mart_memorable_touchpoints", "mart_scorecard", "mart_loyalty_economics", "detractor_followups",
                             "mart_driver_importance", "metricflow_time_spine", "fct_contact_sla_policies",
                             "mart_sla_attainment_daily")),
}


def test_asset_graph_snapshot():
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == EXPECTED_ASSETS
    checks = {c.to_user_string() for c in graph.asset_check_keys}
    assert {c for c in checks if ":gx_" in c} == {
        "staging/stg_cx__contacts:gx_stg_contacts",
        "staging/stg_cx__customers:gx_stg_customers",
        "staging/stg_cx__survey_answers:gx_stg_survey_answers",
        "staging/stg_cx__survey_responses:gx_stg_survey_responses",
        "marts/fct_contacts:gx_fct_contacts",
        "marts/fct_contacts:gx_fct_contacts_drift",
        "marts/fct_survey_responses:gx_fct_survey_responses",
        "marts/mart_nps_daily:gx_mart_nps_daily",
        "marts/mart_nps_monthly:gx_mart_nps_monthly",
        "marts/mart_force_scores:gx_mart_force_scores",
        "marts/mart_pillar_scores:gx_mart_pillar_scores",
        "marts/mart_csat_daily:gx_mart_csat_daily",
        "marts/mart_ces_daily:gx_mart_ces_daily",
        "marts/mart_contact_center_daily:gx_mart_contact_center_daily",
        *(f"marts/{m}:gx_{m}" for m in ("mart_csat_polarization", "mart_emotions", "mart_journey", "mart_memorable_experiences",
                                         "mart_memorable_touchpoints", "mart_scorecard", "mart_loyalty_economics",
                                         "detractor_followups", "mart_driver_importance", "fct_contact_sla_policies",
                                         "mart_sla_attainment_daily")),
    }
    assert {c for c in checks if c.endswith(":rows_reconcile")} == {f"{k}:rows_reconcile" for k in EXPECTED_ASSETS if k.startswith("raw/")}
    assert {c for c in checks if c.endswith(":waiting_rows")} == {
        f"raw/{e}:waiting_rows" for e in ("contact_status_changes", "contact_messages", "survey_responses",
                                          "survey_answers", "survey_opt_outs")
    }
    assert {c for c in checks if c.endswith(":freshness")} == {
        f"raw/{e}:freshness" for e in ("customers", "contacts", "survey_responses", "survey_answers")
    }
    assert sum(1 for c in checks if ":gx_" not in c and not c.endswith((":rows_reconcile", ":freshness", ":waiting_rows"))) > 40  # dbt tests
    assert [j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")] == [
        "cx_full_build", "cx_spark_build", "cx_survey_invitations"]
    assert [s.name for s in defs.schedules] == ["cx_full_build_schedule", "cx_survey_invitations_schedule"]
    assert [s.name for s in defs.sensors] == ["new_raw_files"]


def test_the_spark_job_runs_ingestion_and_dbt_without_the_duckdb_only_steps():
    nodes = set(defs.resolve_job_def("cx_spark_build").graph.node_names())
    entities = {key.split("/")[1] for key in EXPECTED_ASSETS if key.startswith("raw/")}
    assert {"raw_files"} | {f"raw__{e}_rows_reconcile" for e in entities} <= nodes
    assert {"dbt_staging", "dbt_marts"} <= nodes
    assert not {n for n in nodes if "_gx_" in n or "driver" in n or "snapshot" in n or "report" in n
                or "alerts" in n or "invitations" in n}, nodes


def test_gx_checks_are_blocking_but_the_warning_suites():
    graph = defs.resolve_asset_graph()
    for key in graph.asset_check_keys:
        if ":gx_" in key.to_user_string() or key.name == "rows_reconcile":
            assert graph.get_check_spec(key).blocking == (key.name != "gx_fct_contacts_drift"), key


def test_every_model_and_column_is_documented(handmade_db):
    manifest = json.loads(dbt_project.manifest_path.read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert len(models) == 74
    for node in models:
        assert node["description"].strip(), f"{node['name']} has no description"
        documented = {name for name, column in node["columns"].items() if column["description"].strip()}
        relation = f"{node['schema']}.{node['alias']}"
        actual = {r[0] for r in handmade_db.execute(f"select column_name from (describe {relation})").fetchall()}
        assert actual == documented, f"{relation}: undocumented {actual - documented}, stale {documented - actual}"


def test_the_dbt_resource_knows_the_dbt_version_dbt_prints():
    """The resource reads dbt-core's version from the package instead of running `dbt --version`."""
    printed = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True, check=True).stdout
    core = re.search(r"installed:\s*(\d+\.\d+\.\d+)", printed)
    assert core, printed
    assert str(dbt_cli()._cli_version) == core.group(1)
