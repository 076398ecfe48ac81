"""One pipeline run in a fresh process, as `cx-warehouse run` does it; writes its timings as JSON.

Run by benchmarks.run (which samples this process tree's memory); CX_DATA_DIR, CX_WAREHOUSE
and CX_PUBLISHED come from the environment. A fresh process per run makes the fixed costs
(Python and Dagster imports, `dbt parse`, loading the definitions) part of what is timed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(out: Path) -> int:
    import psutil

    marks: dict[str, list[float]] = {"process": [psutil.Process().create_time(), 0.0]}
    started = time.time()
    import dagster as dg

    from dagster_cx import settings

    settings.pin_environment()
    marks["imports"] = [started, time.time()]
    started = time.time()
    # Importing it parses the dbt project if its files or the warehouse changed (what
    # `cx-warehouse run` does before it loads the definitions), so the import belongs to this stage.
    from dagster_cx.defs.dbt_project import ensure_manifest

    ensure_manifest()
    marks["dbt_parse"] = [started, time.time()]
    started = time.time()
    from dagster_cx.definitions import defs

    job = defs.resolve_job_def("cx_full_build")
    marks["load_definitions"] = [started, time.time()]
    started = time.time()
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    marks["run"] = [started, time.time()]
    steps: dict[str, dict] = {}
    problems, ingested = [], {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        step = steps.setdefault(event.step_key, {"start": None, "end": None, "status": None})
        kind = event.event_type_value
        if kind == "STEP_START":
            step["start"] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            step["end"], step["status"] = entry.timestamp, kind
            if kind == "STEP_FAILURE":
                data = event.event_specific_data
                cause = data.error.cause.message if data.error.cause else data.error.message
                problems.append(f"step {event.step_key} failed: {cause.strip().splitlines()[0]}")
        elif kind == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
            problems.append(f"check {event.event_specific_data.asset_check_key.to_user_string()} failed")
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.to_user_string()
            if key.startswith("raw/"):
                ingested[key] = {name: materialization.metadata[name].value
                                 for name in ("files_loaded", "files_skipped_already_loaded", "rows_loaded",
                                              "rows_quarantined") if name in materialization.metadata}
    marks["process"][1] = time.time()
    out.write_text(json.dumps({"success": result.success and not problems, "problems": problems,
                               "marks": marks, "steps": steps, "ingested": ingested}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
