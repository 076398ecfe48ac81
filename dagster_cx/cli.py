"""`cx-warehouse`: build and publish the warehouse from the command line, generate sample data, show numbers."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    """Materialise every asset and run every check, in-process, then print the headline numbers."""
    if args.data_dir:
        os.environ["CX_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if args.warehouse:
        os.environ["CX_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    if args.published:
        os.environ["CX_PUBLISHED"] = str(Path(args.published).resolve())
    from dagster_cx import settings

    settings.pin_environment()
    if getattr(args, "rebuild_from", None) or getattr(args, "rebuild_to", None):
        import dagster as dg

        from dagster_cx.defs.resources import BuildOptionsResource

        try:
            BuildOptionsResource(rebuild_from=args.rebuild_from, rebuild_to=args.rebuild_to).dates()
        except dg.Failure as error:
            print(error.description, file=sys.stderr)
            return 1
    print(f"Raw data:  {settings.data_dir()}\nWarehouse: {settings.warehouse_path()}\nChecking the dbt project ...", flush=True)
    from dagster_cx.defs.dbt_project import ensure_manifest

    ensure_manifest()  # parses only when the project or the warehouse changed since the last parse

    import dagster as dg

    from dagster_cx.definitions import defs

    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    on_duckdb = settings.dbt_target() == "duckdb"
    # The GX suites, publish and report read the DuckDB build: on Spark, ingestion and dbt only.
    job = defs.resolve_job_def("cx_full_build" if on_duckdb else "cx_spark_build")
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={
            "loggers": {"console": {"config": {"log_level": args.log_level}}},
            "resources": {"build_options": {"config": {
                "full_refresh": getattr(args, "full_refresh", False),
                "rebuild_from": getattr(args, "rebuild_from", None) or "",
                "rebuild_to": getattr(args, "rebuild_to", None) or "",
            }}},
        },
    )
    problems = _problems(result)
    if note := _not_configured_note():
        print(f"\n{note}")
    if problems or not result.success:
        print("\nThe build did not complete:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(
            "Nothing downstream of a failed step or blocking check was built. Fix the input (quarantined rows are in "
            "raw.quarantine with their reasons), then re-run: loaded files are skipped, so a re-run is safe.",
            file=sys.stderr,
        )
        return 1
    if warnings := _failed_checks(result, "WARN"):
        print("\nWarnings (the build went on):", *(f"  - {warning}" for warning in warnings), sep="\n", file=sys.stderr)
    if not on_duckdb:
        print(f"\nBuilt every dbt model with its tests on the {settings.dbt_target()} target (marts in its `marts` "
              "schema). The quality suites, the published copy and the report are DuckDB-only: README, 'Scaling out'.")
        return 0
    return _summary(args)


def _problems(result) -> list[str]:
    """Failed steps and failed checks of severity ERROR; a WARN check (freshness) lets the run succeed."""
    problems = []
    for event in result.all_events:
        data = event.event_specific_data
        if event.event_type_value == "STEP_FAILURE":
            cause = data.error.cause.message if data.error.cause else data.error.message
            problems.append(f"step {event.step_key} failed: {cause.strip().splitlines()[0]}")
    return problems + _failed_checks(result, "ERROR")


def _failed_checks(result, severity: str) -> list[str]:
    """Checks that failed at `severity`: ERROR ones fail the run, WARN ones are only listed."""
    return [
        f"check {event.event_specific_data.asset_check_key.to_user_string()} failed: "
        f"{event.event_specific_data.description or ''}"
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed
        and event.event_specific_data.severity.value == severity
    ]


def _not_configured_note() -> str | None:
    """One line naming the entities this deployment does not feed (surveys or contacts only), if any."""
    from dagster_cx import settings, warehouse
    from dagster_cx.contract import ENTITIES
    from dagster_cx.ingest.freshness import unconfigured_entities

    if not settings.warehouse_path().exists():
        return None
    with warehouse.connect(settings.warehouse_path(), read_only=True) as con:
        names = unconfigured_entities(con, settings.data_dir(), [entity.name for entity in ENTITIES])
    if not names:
        return None
    return (f"Not configured (no folder in {settings.data_dir()} and no file ever loaded): {', '.join(names)}. "
            "Not checked for freshness; the marts built from them are empty. To feed one, put its export in "
            "its folder and re-run.")


def _summary(args: argparse.Namespace) -> int:
    from dagster_cx import settings, summary, warehouse

    path = Path(args.warehouse).resolve() if getattr(args, "warehouse", None) else settings.warehouse_path()
    if not path.exists():
        print(f"No warehouse at {path}: run `cx-warehouse run` first.", file=sys.stderr)
        return 1
    with warehouse.connect(path, read_only=True) as con:
        print(f"\nWarehouse: {path}\n{summary.render(con)}")
    published = settings.published_path()
    if published.exists():
        from dagster_cx.publish.snapshot import parquet_dir_for

        print(f"\nFor BI tools (read-only snapshot): {published}\n  and Parquet: {parquet_dir_for(published) / 'current'}")
    report = settings.report_dir() / "cx_report.html"
    if report.exists():
        print(f"CX report (opens offline in any browser): {report}\n  and chart exports: {report.parent / 'charts'}")
    print("\nBrowse assets, runs and checks: `dagster dev` (then open http://localhost:3000).")
    return 0


def _export_raw(args: argparse.Namespace) -> int:
    from dagster_cx import settings, warehouse
    from dagster_cx.ingest.raw_parquet import export_raw_parquet

    path = Path(args.warehouse).resolve() if args.warehouse else settings.warehouse_path()
    if not path.exists():
        print(f"No warehouse at {path}: run `cx-warehouse run` first.", file=sys.stderr)
        return 1
    target = Path(args.to).resolve() if args.to else settings.raw_parquet_dir() or settings.DEFAULT_RAW_PARQUET_DIR
    with warehouse.connect(path, read_only=True) as con:
        rows = export_raw_parquet(con, target)
    for table, count in rows.items():
        print(f"{target / table}: {count:,} rows")
    print(f"\nBuild on Spark: cd dbt_project && CX_DBT_TARGET=spark CX_RAW_PARQUET_DIR={target} dbt build")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from dagster_cx.sample.generator import generate

    generate(Path(args.out), size=args.size, seed=args.seed, progress=lambda line: print(line, flush=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cx-warehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="ingest, build every model, run every check, print headline numbers")
    run.add_argument("--data-dir", help="raw files (default: CX_DATA_DIR or the bundled sample)")
    run.add_argument("--warehouse", help="DuckDB file to write (default: CX_WAREHOUSE or data/warehouse/cx.duckdb)")
    run.add_argument("--published", help="snapshot for BI tools (default: CX_PUBLISHED or data/published/cx.duckdb)")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild every dbt model from all raw data instead of only what new data changed")
    run.set_defaults(handler=_run)

    backfill = commands.add_parser(
        "backfill", help="run the build and recompute every contact and survey response of a date range",
        description="Ingests new files like `run`, then recomputes the contacts created and the responses "
        "answered on the given reporting dates (and their daily marts), e.g. after a fix to their raw data.",
    )
    backfill.add_argument("--from", dest="rebuild_from", required=True, help="first reporting date, YYYY-MM-DD")
    backfill.add_argument("--to", dest="rebuild_to", required=True, help="last reporting date, YYYY-MM-DD")
    for option, text in (("--data-dir", "raw files"), ("--warehouse", "DuckDB file to write"),
                         ("--published", "snapshot for BI tools")):
        backfill.add_argument(option, help=f"{text} (default as for `run`)")
    backfill.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    backfill.set_defaults(handler=_run)

    show = commands.add_parser("summary", help="print the headline numbers of a built warehouse")
    show.add_argument("--warehouse", help="DuckDB file (default: CX_WAREHOUSE or data/warehouse/cx.duckdb)")
    show.set_defaults(handler=_summary)

    export = commands.add_parser(
        "export-raw", help="write the validated raw tables as Parquet, for the dbt build on Spark",
        description="Copies every raw entity table of the warehouse to <folder>/<entity>/data.parquet, "
        "which the dbt `spark` target reads as its raw sources (README, 'Scaling out').",
    )
    export.add_argument("--warehouse", help="DuckDB file (default: CX_WAREHOUSE or data/warehouse/cx.duckdb)")
    export.add_argument("--to", help="folder to write (default: CX_RAW_PARQUET_DIR or data/raw_parquet)")
    export.set_defaults(handler=_export_raw)

    gen = commands.add_parser("generate", help="write deterministic sample raw data in the contract's shape")
    gen.add_argument("--out", required=True, help="folder to write (one sub-folder per entity)")
    gen.add_argument("--size", default="sample", help="sample, S, M or L")
    gen.add_argument("--seed", type=int, default=20260101)
    gen.set_defaults(handler=_generate)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
