"""What `cx-warehouse run` shows while Dagster runs: one line per stage, and the warnings that need action.

Every record of the run (Dagster's events, the assets' logs, dbt's output) goes to a log file;
the console gets a line per stage with its counts and seconds, the warnings, and, with
`--log-level debug`, everything the file gets. Errors are the CLI's to print, once, when the
run is over (dagster_cx.run_outcome). This is a Dagster logger, so it sees each event as it happens.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

import dagster as dg
from dagster._core.events import DagsterEventType

from dagster_cx.build_state import PLAN_LOG_PREFIX

LOGGER_NAME = "cx_cli"
FILE_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"
RUN_ENDS = (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE)
STEP_ENDS = (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)
# Dagster builds a run's loggers more than once (the run's end is logged by another instance than
# its steps): one progress handler per run keeps the tally whole.
_PROGRESS_BY_RUN: dict[str, ProgressHandler] = {}


def stage_of(step_key: str) -> str:
    """The stage of the build a Dagster step belongs to, as the console names it."""
    if step_key == "raw_files" or step_key.startswith("raw__"):
        return "ingest"
    if step_key.endswith("_landing"):
        return "sources"
    if "_gx_" in step_key:
        # A suite is named for the stage that built its table, so a mart built after the dbt marts
        # (the driver analysis) gets its own line instead of a second "quality gate (marts)".
        owner = step_key.split("_gx_", 1)[0]
        owner_stage = "staging" if owner.startswith("staging__") else stage_of(owner)
        return f"quality gate ({'marts' if owner_stage == owner else owner_stage})"
    named = {"dbt_staging": "dbt staging", "dbt_marts": "dbt marts", "marts__mart_driver_importance": "driver analysis",
             "published__bi_snapshot": "publish", "published__cx_report": "report"}
    if step_key in named:
        return named[step_key]
    return "closed loop" if step_key.startswith("closed_loop__") else step_key


@dataclass
class StageTally:
    """What the steps of one stage did so far."""

    name: str
    seconds: float = 0.0
    steps: int = 0
    failed_steps: int = 0
    materialized: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    ingested: dict[str, int] = field(default_factory=dict)
    note: str = ""
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.ingested:
            done = (f"{self.ingested.get('files_loaded', 0)} files loaded, "
                    f"{self.ingested.get('files_skipped_already_loaded', 0)} already loaded; "
                    f"{self.ingested.get('rows_read', 0):,} rows read, "
                    f"{self.ingested.get('rows_waiting', 0):,} waiting for a parent, "
                    f"{self.ingested.get('rows_quarantined', 0):,} quarantined")
        elif self.name.startswith("dbt"):
            done = f"{self.materialized} models and seeds built, {self.checks_passed} tests passed"
            done = self.note if self.note.startswith("nothing") else f"{self.note}: {done}" if self.note else done
        elif self.name.startswith("quality gate"):
            done = f"{self.checks_passed} suite{'' if self.checks_passed == 1 else 's'} passed"
        else:
            done = f"{self.materialized} asset{'' if self.materialized == 1 else 's'} written"
        if self.checks_failed:
            done += f", {self.checks_failed} {'tests' if self.name.startswith('dbt') else 'checks'} FAILED"
        elif self.failed_steps:
            done += ", FAILED"
        return f"  {self.name:<23} {done}  ({self.seconds:.1f} s)"


class ProgressHandler(logging.Handler):
    """Prints a stage's line when the run moves past it, and warnings as they come."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(logging.DEBUG)  # Dagster logs step events at DEBUG
        self.stream = stream
        self.stage: StageTally | None = None
        self.started: dict[str, float] = {}
        self.said: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        meta: dict[str, Any] = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            self._message(record, meta)
        elif event.event_type in RUN_ENDS:
            self._flush()
        elif event.step_key:
            self._step_event(record, event)

    def _message(self, record: logging.LogRecord, meta: dict[str, Any]) -> None:
        text = str(meta.get("orig_message") or record.getMessage()).strip()
        if text.startswith(PLAN_LOG_PREFIX) and self.stage:
            mode, reason = text.removeprefix(PLAN_LOG_PREFIX).rstrip(".").split(", because ", 1)
            self.stage.note = f"nothing to build: {reason}" if mode == "skip" else mode
        elif record.levelno == logging.WARNING:
            self._say(f"  warning: {text.splitlines()[0]}")

    def _step_event(self, record: logging.LogRecord, event: Any) -> None:
        name = stage_of(event.step_key)
        if event.event_type == DagsterEventType.STEP_START:
            if self.stage is None or self.stage.name != name:
                self._flush()
                self.stage = StageTally(name)
            self.started[event.step_key] = record.created
            self.stage.steps += 1
            return
        if self.stage is None or self.stage.name != name:
            return  # a step that never started here (skipped): the run's closing lines count it
        if event.event_type in STEP_ENDS:
            self.stage.seconds += record.created - self.started.pop(event.step_key, record.created)
            self.stage.failed_steps += event.event_type == DagsterEventType.STEP_FAILURE
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            self.stage.materialized += 1
            if self.stage.name == "ingest":
                for name_, value in event.event_specific_data.materialization.metadata.items():
                    if isinstance(value.value, int) and not isinstance(value.value, bool):
                        self.stage.ingested[name_] = self.stage.ingested.get(name_, 0) + value.value
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                self.stage.checks_passed += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                self.stage.warnings.append(f"  warning: {evaluation.asset_check_key.to_user_string()}: "
                                           f"{evaluation.description or 'failed (a warning; the build goes on)'}")
            else:
                self.stage.checks_failed += 1

    def _flush(self) -> None:
        if self.stage:
            self._say(self.stage.line())
            for warning in self.stage.warnings:
                self._say(warning)
        self.stage = None

    def _say(self, line: str) -> None:
        if line not in self.said:  # a warning repeated by several steps is said once
            self.said.add(line)
            self.stream.write(line + "\n")
            self.stream.flush()


@dg.logger(
    config_schema={
        "log_file": dg.Field(str, description="The file that gets every record of the run."),
        "console_level": dg.Field(str, default_value="INFO",
                                  description="DEBUG: everything on the console too; INFO: a line per stage and "
                                  "the warnings; WARNING: the warnings; ERROR: nothing (the CLI prints errors)."),
    },
    description="cx-warehouse's console: a line per stage on stdout, every record in a log file.",
)
def cx_cli_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    config = init_context.logger_config
    run_logger = logging.Logger(LOGGER_NAME, logging.DEBUG)
    to_file = logging.FileHandler(config["log_file"], encoding="utf-8")
    to_file.setFormatter(logging.Formatter(FILE_FORMAT))
    run_logger.addHandler(to_file)
    level = logging.getLevelName(config["console_level"].upper())
    # The CLI points sys.stdout at the log file while the run lasts (dbt's lines go there): the console is __stdout__.
    console = sys.__stdout__ or sys.stdout
    if level <= logging.DEBUG:
        plain = logging.StreamHandler(console)
        plain.setFormatter(logging.Formatter(FILE_FORMAT))
        run_logger.addHandler(plain)
    elif level <= logging.INFO:
        run_logger.addHandler(_PROGRESS_BY_RUN.setdefault(init_context.run_id or "", ProgressHandler(console)))
    elif level <= logging.WARNING:
        warnings_only = logging.StreamHandler(console)
        warnings_only.setLevel(logging.WARNING)
        warnings_only.addFilter(lambda record: record.levelno == logging.WARNING)
        run_logger.addHandler(warnings_only)
    return run_logger
