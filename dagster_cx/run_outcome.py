"""What a finished Dagster run did not do, read from its event log: what failed, and what did not run.

Dagster logs a failed step's error with its stack trace, and one "Dependencies for step ...
Not executing." line per step after it; a run with no new data logs one "Skipping step" line per
step after dbt. The CLI says each failure once, with what to do, and what did not run in one line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.events import DagsterEventType

from dagster_cx.run_progress import stage_of

ABANDONED_PREFIX = "Dependencies for step"


@dataclass
class RunOutcome:
    problems: list[str] = field(default_factory=list)  # one per failed step or failed blocking check
    not_run_after_failure: list[str] = field(default_factory=list)  # step keys
    not_run_nothing_new: list[str] = field(default_factory=list)  # step keys skipped: no output upstream


def _failure_text(data) -> str:
    """A step's failure as the code that raised it put it: a Failure's description, else the error's message."""
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description.strip()
    error = data.error.cause or data.error
    return error.message.strip()


def read_outcome(instance: dg.DagsterInstance, run_id: str) -> RunOutcome:
    """A failing dbt test fails its dbt step, whose failure already names it: such checks are not said twice."""
    outcome, failed_steps, check_problems = RunOutcome(), set(), []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            if entry.level >= 40 and entry.user_message.startswith(ABANDONED_PREFIX) and entry.step_key:
                outcome.not_run_after_failure.append(entry.step_key)
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            failed_steps.add(event.step_key)
            outcome.problems.append(f"{stage_of(event.step_key)} ({event.step_key}) failed: "
                                    f"{_failure_text(event.event_specific_data)}")
        elif event.event_type == DagsterEventType.STEP_SKIPPED:
            outcome.not_run_nothing_new.append(event.step_key)
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                check_problems.append((event.step_key, f"check {evaluation.asset_check_key.to_user_string()} failed: "
                                       f"{evaluation.description or 'see its metadata in the UI'}"))
    outcome.problems += [problem for step_key, problem in check_problems if step_key not in failed_steps]
    return outcome


def stages_line(step_keys: list[str]) -> str:
    """'dbt marts, quality gate (marts) (22 steps), publish': the stages of these steps, in run order."""
    counts = Counter(stage_of(key) for key in step_keys)
    return ", ".join(f"{stage} ({count} steps)" if count > 1 else stage for stage, count in counts.items())
