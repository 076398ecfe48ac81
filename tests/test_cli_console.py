"""What a user sees from `cx-warehouse`: a calm console, early configuration errors, help with defaults,
the quarantine by file with knock-on rows marked, and dbt failures that name the test and its rows."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.instance.ref import InstanceRef

from dagster_cx import cli
from dagster_cx.contract import ENTITIES
from dagster_cx.dbt_failures import build_failure, describe_test_result
from dagster_cx.ingest.loader import load_entity
from dagster_cx.ingest.raw_tables import WAITING_TABLE, ensure_raw_schema
from dagster_cx.ingest.quarantine import quarantined_rows, top_reasons
from dagster_cx.preflight import configuration_problems
from tests.conftest import SAMPLE, cli as run_cli

ANSI = re.compile(r"\x1b\[[0-9;]*m")
STAGES = ("ingest", "dbt staging", "quality gate (staging)", "dbt marts", "quality gate (marts)", "driver analysis",
          "quality gate (driver analysis)", "publish", "report", "closed loop")


def _log_file(stdout: str) -> Path:
    return Path(re.search(r"^Full log: (.+)$", stdout, re.MULTILINE).group(1))


def test_the_sample_run_prints_a_line_per_stage_and_keeps_the_rest_in_its_log(sample_run):
    out = sample_run.stdout
    for stage in STAGES:
        assert re.search(rf"^  {re.escape(stage)} +.+\(\d+\.\d s\)$", out, re.MULTILINE), (stage, out)
    stage_lines = re.findall(r"^  \S.+\(\d+\.\d s\)$", out, re.MULTILINE)
    assert len(stage_lines) == len(STAGES), stage_lines  # each stage once, a second gate line was a defect
    assert len(out.splitlines()) < 90, out  # 817 lines before: dbt's START/PASS lines, Dagster's warnings
    assert not ANSI.search(out) and " START " not in out and "AssetObservation" not in out, out
    assert re.search(r"^  dbt marts +full_refresh: \d+ models and seeds built, \d+ tests passed", out, re.MULTILINE), out
    log = _log_file(out).read_text(encoding="utf-8")
    assert "Completed successfully" in log and " PASS " in log  # dbt's lines went to the log, without colours
    assert not ANSI.search(log)
    assert "AssetObservation" not in log and "emitted no result" not in log


def test_the_sample_run_says_where_its_runs_are_in_the_ui(sample_run):
    match = re.search(r"^This run in the UI: DAGSTER_HOME=(\S+) (\S+) dev -m dagster_cx.definitions, then open "
                      r"http://localhost:3000/runs/(\S+)$", sample_run.stdout, re.MULTILINE)
    assert match, sample_run.stdout
    home, executable, run_id = match.groups()
    assert Path(home) == sample_run.dagster_home and Path(executable).name == "dg" and Path(executable).exists()
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(home))
    assert instance.get_run_by_id(run_id).is_success


def test_the_sample_run_shows_the_quarantines_top_reasons_and_the_samples_invitations(sample_run):
    out = sample_run.stdout
    top = out[out.index("Quarantined by this run: 14 rows;"):].splitlines()[:6]
    # MANIFEST.json plants 17 bad rows, one per reason: 14 are quarantined (3 wait for a parent that
    # never comes); the first five, values masked, in name order.
    assert top == [
        "Quarantined by this run: 14 rows; top reasons (`cx-warehouse quarantine` lists every row):",
        "       1  contact_messages: an agent message needs author_id; contact_messages/contact_messages_2026-02.parquet",
        "       1  contact_messages: author_role '…' is not one of customer, agent, bot; "
        "contact_messages/contact_messages_2026-05.parquet",
        "       1  contact_status_changes: changed_at is before the contact was created; "
        "contact_status_changes/contact_status_changes_2026-04.csv",
        "       1  contacts: channel '…' is not one of phone, chat, email, messenger, social, web, app, store; "
        "contacts/contacts_2026-05.csv",
        "       1  contacts: contact_id is missing; contacts/contacts_2026-03.csv"]
    invited = re.search(r"^Survey invitations as of 2026-06-30: (\d+) customers, (\S+)$", out, re.MULTILINE)
    assert invited and int(invited.group(1)) > 0, out  # the sample's last day, not today (after the sample ends)
    assert Path(invited.group(2)).exists()


def test_the_quarantine_command_lists_rows_by_file_with_reasons(sample_run):
    listed = run_cli("quarantine", "--file", "contacts_2026-03.csv", env=sample_run.env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "contacts/contacts_2026-03.csv (contacts): 2 rows quarantined"
    assert lines[1] == "  row 1905: contact_id is missing"
    assert lines[3] == "  row 2036: duplicate key CT00005943 in this file (first at row 2033)"
    assert "customer_id=C0000520" in lines[2]
    everything = run_cli("quarantine", "--entity", "survey_answers", env=sample_run.env)
    assert everything.stdout.count("\n  row ") == 3
    assert "survey_answers_2026-03.parquet (survey_answers): 1 row quarantined\n" in everything.stdout
    assert "survey_answers_2026-03.parquet (survey_answers): 2 rows waiting for a parent\n" in everything.stdout
    none = run_cli("quarantine", "--entity", "customers", env=sample_run.env)
    assert none.stdout.strip() == f"No quarantined rows for --entity customers in {sample_run.warehouse}."


def _load(data: Path, warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con, ENTITIES)
        for entity in ENTITIES:
            load_entity(con, entity, data)


def test_knock_on_rows_are_marked_and_counted(tmp_path):
    """A contact quarantined for its timestamp holds its two messages back: they wait for it ("unknown contact_id"), marked."""
    (tmp_path / "contacts").mkdir()
    (tmp_path / "contact_messages").mkdir()
    header = next(e for e in ENTITIES if e.name == "contacts").column_names
    good = {"contact_id": "C1", "customer_id": "U1", "channel": "chat", "queue": "q", "contact_reason": "billing",
            "created_at": "2026-01-05T10:00:00+00:00", "is_abandoned": "false", "status": "closed"}
    bad = {**good, "contact_id": "C2", "created_at": "yesterday"}
    bad_copy = {**good, "created_at": "yesterday"}  # quarantined, while C1 itself loads
    rows = [",".join(row.get(column, "") for column in header) for row in (good, bad, bad_copy)]
    (tmp_path / "contacts" / "contacts.csv").write_text("\n".join([",".join(header), *rows]) + "\n")
    (tmp_path / "contact_messages" / "messages.csv").write_text(
        "message_id,contact_id,author_role,author_id,is_public,sent_at\n"
        "M1,C1,customer,,true,2026-01-05T10:01:00+00:00\n"
        "M2,C2,customer,,true,2026-01-05T10:01:00+00:00\n"
        "M3,C2,agent,A1,true,2026-01-05T10:02:00+00:00\n"
        "M4,C9,customer,,true,2026-01-05T10:01:00+00:00\n"  # unknown for no reason of ours
        "M5,C1,agent,,true,2026-01-05T10:03:00+00:00\n"  # its own fault, though a copy of C1 was quarantined
    )
    warehouse = tmp_path / "cx.duckdb"
    _load(tmp_path, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        total, reasons = top_reasons(con)
        quarantined = quarantined_rows(con, entity="contact_messages")
        waiting = quarantined_rows(con, entity="contact_messages", table=WAITING_TABLE)
    assert total == 3
    by_reason = {(r.entity, r.reason): (r.rows, r.knock_on_rows) for r in reasons}
    assert by_reason == {("contact_messages", "an agent message needs author_id"): (1, 0),
                         ("contacts", "created_at is not a valid timestamptz: …"): (2, 0),
                         ("contacts", "duplicate key … in this file"): (1, 0)}
    assert [(r.record["message_id"], r.knock_on) for r in quarantined] == [("M5", "")]
    assert [(r.record["message_id"], r.reasons, r.knock_on) for r in waiting] == [
        ("M2", ["unknown contact_id (no loaded contact)"], "its contact_id was quarantined in contacts"),
        ("M3", ["unknown contact_id (no loaded contact)"], "its contact_id was quarantined in contacts"),
        ("M4", ["unknown contact_id (no loaded contact)"], "")]


def test_a_mistyped_data_folder_stops_at_once_naming_the_option(tmp_path):
    (tmp_path / "exports" / "contacts").mkdir(parents=True)
    (tmp_path / "exports" / "contacts" / "c.csv").write_text("contact_id\n")
    env = {**os.environ, "CX_WAREHOUSE": str(tmp_path / "wh" / "cx.duckdb"), "CX_PUBLISHED": str(tmp_path / "p.duckdb")}
    typo = run_cli("run", "--data-dir", str(tmp_path / "exprots"), env=env)
    assert typo.returncode == 2 and typo.stdout == ""
    assert typo.stderr.splitlines() == [
        "Not started: the configuration has problems:",
        f"  - --data-dir {tmp_path / 'exprots'} is not a folder: point it at the folder of raw files, one sub-folder "
        f"per entity (customers/, journey_touchpoints/, questions/ ...), e.g. {SAMPLE}."]
    parent = run_cli("run", env={**env, "CX_DATA_DIR": str(tmp_path)})
    assert parent.returncode == 2 and f"CX_DATA_DIR {tmp_path} has no raw files" in parent.stderr
    assert f"Did you mean {tmp_path / 'exports'}?" in parent.stderr
    assert not (tmp_path / "wh" / "cx.duckdb").exists()


def test_configuration_problems_name_each_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("CX_DATA_DIR", str(SAMPLE))
    monkeypatch.setenv("CX_WAREHOUSE", str(tmp_path / "raw.duckdb"))
    monkeypatch.setenv("CX_PUBLISHED", str(tmp_path / "published.duckdb"))
    monkeypatch.setenv("CX_DBT_TARGET", "snowflake")
    monkeypatch.setenv("CX_DUCKDB_MEMORY_LIMIT", "lots")
    monkeypatch.setenv("CX_ALERT_WEBHOOK_URL", "hooks.example/x")
    problems = configuration_problems()
    assert [p.split(" ", 1)[0].split("=")[0] for p in problems] == [
        "CX_WAREHOUSE", "CX_DBT_TARGET", "CX_DUCKDB_MEMORY_LIMIT", "CX_ALERT_WEBHOOK_URL"], problems
    monkeypatch.setenv("CX_WAREHOUSE", str(tmp_path / "cx.duckdb"))
    monkeypatch.setenv("CX_PUBLISHED", str(tmp_path / "cx.duckdb"))
    assert [p.split(" ", 1)[0] for p in configuration_problems()] == [
        "CX_PUBLISHED", "CX_DBT_TARGET='snowflake'", "CX_DUCKDB_MEMORY_LIMIT='lots'", "CX_ALERT_WEBHOOK_URL='hooks.example/x'"]
    monkeypatch.setenv("CX_PUBLISHED", str(tmp_path / "published.duckdb"))
    for name in ("CX_DBT_TARGET", "CX_DUCKDB_MEMORY_LIMIT", "CX_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name)
    assert configuration_problems() == []


@pytest.mark.parametrize(("variable", "value", "start"), [
    ("CX_ZENDESK_GROUP_SCHEDULES", "{bad", "CX_ZENDESK_GROUP_SCHEDULES is not JSON"),
    ("CX_ZENDESK_CSAT_SCALE_POINTS", "10", "CX_ZENDESK_CSAT_SCALE_POINTS is '10': set it to 2, 3 or 5"),
    ("CX_ZENDESK_REASON_FIELD_ID", "reason", "CX_ZENDESK_REASON_FIELD_ID is 'reason': set it to the numeric id"),
])
def test_a_bad_source_setting_stops_before_the_run_naming_the_variable(tmp_path, variable, value, start):
    """Read as the Dagster definitions load, a bad one used to end `cx-warehouse run` in a traceback."""
    env = {**os.environ, "CX_WAREHOUSE": str(tmp_path / "wh" / "cx.duckdb"), "CX_PUBLISHED": str(tmp_path / "p.duckdb"),
           "CX_ZENDESK_BASE_URL": "http://127.0.0.1:9", "CX_ZENDESK_EMAIL": "a@example.com",
           "CX_ZENDESK_API_TOKEN": "not-used", variable: value}
    stopped = run_cli("run", env=env)
    assert stopped.returncode == 2 and stopped.stdout == "" and "Traceback" not in stopped.stderr, stopped.stderr
    lines = stopped.stderr.splitlines()
    assert lines[0] == "Not started: the configuration has problems:" and lines[1].startswith(f"  - {start}"), lines
    assert not (tmp_path / "wh" / "cx.duckdb").exists()


def test_every_option_of_every_command_says_what_it_does_and_its_default():
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == {"run", "backfill", "summary", "quarantine", "export-raw", "generate",
                                     "fake-zendesk", "survey-mapping"}
    pending = list(commands.choices.items())
    while pending:
        name, command = pending.pop()
        assert command.description, name
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            text = (action.help or "") % {"default": action.default}
            assert "default" in text or "required" in text, (name, action.dest, text)
            if isinstance(action, argparse._SubParsersAction):
                pending += [(f"{name} {sub}", parser) for sub, parser in action.choices.items()]


def test_backfill_errors_name_the_options_typed(capsys):
    with pytest.raises(SystemExit):
        cli.main(["backfill", "--from", "2026-02-30", "--to", "2026-03-01"])
    assert "--from '2026-02-30' is not a date: give it as YYYY-MM-DD" in capsys.readouterr().err


def test_a_failing_dbt_test_names_itself_its_model_its_rows_and_how_to_see_them():
    result = describe_test_result(dg.AssetCheckResult(
        passed=False, asset_key=dg.AssetKey(["marts", "fct_contacts"]), check_name="not_null_fct_contacts_channel",
        metadata={"dagster_dbt/failed_row_count": 3}))
    assert result.description.startswith("dbt test not_null_fct_contacts_channel on marts/fct_contacts: 3 failing rows; "
                                         "see them: cd ")
    assert result.description.endswith("test --select not_null_fct_contacts_channel --store-failures")
    manifest = {"nodes": {
        "test.cx.t1": {"resource_type": "test", "name": "t1", "depends_on": {"nodes": ["model.cx.fct_contacts"]}},
        "model.cx.fct_contacts": {"resource_type": "model", "name": "fct_contacts"},
        "model.cx.mart": {"resource_type": "model", "name": "mart"},
        "model.cx.broken": {"resource_type": "model", "name": "broken"}}}
    run_results = {"results": [
        {"unique_id": "test.cx.t1", "status": "fail", "failures": 1234},
        {"unique_id": "model.cx.mart", "status": "skipped"},
        {"unique_id": "model.cx.broken", "status": "error", "message": "Binder Error:\n  column x not found"},
    ]}
    lines = build_failure(run_results, manifest, [], Path("/t/dbt.log")).splitlines()
    assert lines[0].startswith("dbt test t1 on fct_contacts: 1,234 failing rows; see them: cd ")
    assert lines[1:] == ["dbt model broken: Binder Error: column x not found",
                         "dbt skipped 1 models and tests that depend on it", "dbt's own log: /t/dbt.log"]
    assert build_failure({}, manifest, ["Compilation Error in model x"], Path("/t/dbt.log")).splitlines()[0] == (
        "dbt stopped before running any model: Compilation Error in model x")
