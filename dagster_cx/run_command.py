"""`cx-warehouse run` and `backfill`: check the configuration, run the Dagster job in-process, say what happened.

The console gets a line per stage (dagster_cx.run_progress), the warnings, each failure once with
what to do, and what did not run in one line; the full log (Dagster's records with their stack
traces, dbt's output, Python's warnings) goes to a file the closing lines name. The run is
recorded in the Dagster instance `dg dev` shows (DAGSTER_HOME, default .dagster_home/).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from dagster_cx import settings

KEPT_RUN_LOGS = 30
INSTANCE_YAML = """# The Dagster instance `cx-warehouse run` records its runs in, and `dg dev` shows (README, "The UI").
# To run schedules, sensors and queued runs as a service, use deploy/dagster.yaml instead.
telemetry:
  enabled: false
"""


class _Tee:
    """A text stream writing to several: the log file, and the console with --log-level debug."""

    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


@contextlib.contextmanager
def _captured_output(log_path: Path, verbose: bool) -> Iterator[None]:
    """Send what the run prints (dbt's lines via dagster-dbt, Python warnings, stray log records) to the log file."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8", buffering=1) as log:
        target = _Tee(log, sys.stdout) if verbose else log
        handler = logging.StreamHandler(target)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        logging.captureWarnings(True)
        try:
            with contextlib.redirect_stdout(target), contextlib.redirect_stderr(target):
                yield
        finally:
            logging.captureWarnings(False)
            root.removeHandler(handler)


def _new_log_path(started: datetime) -> Path:
    """This run's log file; the oldest beyond the last KEPT_RUN_LOGS are removed."""
    folder = settings.run_logs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("run_*.log"))[:-KEPT_RUN_LOGS + 1]:
        old.unlink(missing_ok=True)
    return folder / f"run_{started:%Y%m%dT%H%M%S}Z_{os.getpid()}.log"


def _prepared_instance_home() -> Path:
    """DAGSTER_HOME, or .dagster_home/ (created, with a dagster.yaml) so the run outlives this process.

    A DAGSTER_HOME that does not exist yet is created: Dagster itself would stop with a traceback.
    """
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DAGSTER_HOME"):
        if not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
        os.environ["DAGSTER_HOME"] = str(home)
    return home


def ui_command(home: Path) -> str:
    """The command that serves the Dagster UI on this instance (`dg dev`: `dagster dev` says it is superseded)."""
    beside = Path(sys.executable).with_name("dg")
    executable = str(beside) if beside.exists() else "dg"
    return f"DAGSTER_HOME={home} {executable} dev -m dagster_cx.definitions"


def _generated_data_last_day(data_dir: Path) -> str:
    """The last day of data the generator wrote (its MANIFEST.json), e.g. the bundled sample's; '' for real data.

    Survey invitations are due 60-90 days after a moment: as of today, a sample that ended
    months ago has none, so the sample's are computed as of its last day.
    """
    manifest = data_dir / "MANIFEST.json"
    if not manifest.exists():
        return ""
    return str(json.loads(manifest.read_text(encoding="utf-8")).get("period", {}).get("end", ""))


def _run_config(args: Any, log_path: Path, on_duckdb: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "loggers": {"cx_cli": {"config": {"log_file": str(log_path), "console_level": args.log_level}}},
        "resources": {"build_options": {"config": {
            "full_refresh": getattr(args, "full_refresh", False),
            "rebuild_from": str(getattr(args, "rebuild_from", None) or ""),
            "rebuild_to": str(getattr(args, "rebuild_to", None) or ""),
        }}},
    }
    invitations_day = _generated_data_last_day(settings.data_dir())
    if on_duckdb and invitations_day:
        config["ops"] = {"closed_loop__survey_invitations": {"config": {"as_of_date": invitations_day}}}
    return config


def execute(args: Any) -> tuple[Any, Any, Path, Path, float]:
    """Run the job with the CLI's logger; returns the result, the instance, the log, the home and the seconds."""
    home = _prepared_instance_home()
    started = datetime.now(UTC)
    log_path = _new_log_path(started)
    print(f"Raw data:  {settings.data_dir()}\nWarehouse: {settings.warehouse_path()}\nLog:       {log_path}", flush=True)
    clock = time.monotonic()
    with _captured_output(log_path, verbose=args.log_level == "DEBUG"):
        from dagster_cx.defs.dbt_project import ensure_manifest

        ensure_manifest()  # parses only when the project or the warehouse changed since the last parse
        import dagster as dg

        from dagster_cx.definitions import defs

        instance = dg.DagsterInstance.get()
        on_duckdb = settings.dbt_target() == "duckdb"
        # The GX suites, publish and report read the DuckDB build: on Spark, ingestion and dbt only.
        job = defs.resolve_job_def("cx_full_build" if on_duckdb else "cx_spark_build")
        result = job.execute_in_process(instance=instance, raise_on_error=False,
                                        run_config=_run_config(args, log_path, on_duckdb))
    return result, instance, log_path, home, time.monotonic() - clock


def _invitations_line(result: Any) -> str:
    """The day's survey invitations, and why the list is empty when it is."""
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION" and \
                event.asset_key.to_user_string() == "closed_loop/survey_invitations":
            metadata = {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}
            line = f"Survey invitations as of {metadata['as_of']}: {metadata['listed_for_the_day']} customers, {metadata['csv']}"
            if not metadata["listed_for_the_day"]:
                line += (" (none due: a key moment is due 60-90 days after it, and the data may end earlier; "
                         "README, 'Survey invitations', replays a past day)")
            return line
    return ""


def where_to_look(log_path: Path, home: Path, run_id: str) -> str:
    return (f"Full log: {log_path}\nThis run in the UI: {ui_command(home)}, "
            f"then open http://localhost:3000/runs/{run_id}")


def not_configured_note() -> str | None:
    """One line naming the entities this deployment does not feed (surveys or contacts only), if any."""
    from dagster_cx import warehouse
    from dagster_cx.contract import ENTITIES
    from dagster_cx.ingest.freshness import unconfigured_entities
    from dagster_cx.sources.registry import sources_feeding

    if not settings.warehouse_path().exists():
        return None
    with warehouse.connect(settings.warehouse_path(), read_only=True) as con:
        names = unconfigured_entities(con, settings.data_dir(),
                                      [entity.name for entity in ENTITIES if not sources_feeding(entity.name)])
    if not names:
        return None
    return (f"Not configured (no folder in {settings.data_dir()}, no source system and no file ever loaded): "
            f"{', '.join(names)}. Not checked for freshness; the marts built from them are empty. To feed one, put "
            "its export in its folder or connect a source system (README), and re-run.")


# What a failure caused by another process holding the warehouse says (dagster_cx.writer_lock, DuckDB).
LOCK_MARKERS = ("still being written by", "stayed locked by another process", "Could not set lock")


def report(result: Any, instance: Any, log_path: Path, home: Path, seconds: float) -> bool:
    """The closing lines: failures once each and what did not run (with where to look), or what a success skipped."""
    from dagster_cx.run_outcome import read_outcome, stages_line

    outcome = read_outcome(instance, result.run_id)
    if outcome.problems or not result.success:
        lines = ["", "The build did not complete:", *(f"  - {problem}".replace("\n", "\n    ") for problem in outcome.problems)]
        if outcome.not_run_after_failure:
            lines.append(f"Not run because of that: {stages_line(outcome.not_run_after_failure)}.")
        if any(marker in problem for problem in outcome.problems for marker in LOCK_MARKERS):
            lines.append("Another process held the warehouse (DuckDB lets one process write a file): let it finish "
                         "or close it, then re-run.")
        lines += ["Nothing downstream of a failure was built, and the published copy and report stay at the last good "
                  "build. Fix the cause, then re-run: loaded files are skipped, so a re-run is safe.",
                  where_to_look(log_path, home, result.run_id)]
        print("\n".join(lines), file=sys.stderr)
        return False
    print(f"\nDone in {seconds:.0f} s.")
    if note := not_configured_note():
        print(note)
    if outcome.not_run_nothing_new:
        print(f"No new raw data and no dbt change since the last build: not run: "
              f"{stages_line(outcome.not_run_nothing_new)}; the published copy and report are unchanged.")
    invitations = _invitations_line(result)
    if invitations:
        print(invitations)
    return True
