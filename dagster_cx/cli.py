"""`cx-warehouse`: build and publish the warehouse from the command line, generate sample data, show numbers."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]
LOG_LEVEL_HELP = ("console output: INFO a line per stage and the warnings, DEBUG everything the log file gets "
                  "(Dagster, dbt), WARNING only warnings, ERROR only errors (default: %(default)s; the full log "
                  "always goes to logs/ beside the warehouse)")
# The option a user typed for each variable, so a configuration problem names what they wrote.
PATH_OPTIONS = {"data_dir": ("CX_DATA_DIR", "--data-dir"), "warehouse": ("CX_WAREHOUSE", "--warehouse"),
                "published": ("CX_PUBLISHED", "--published")}


def _configure(args: argparse.Namespace) -> list[str]:
    """Point the environment at the options given; return the configuration's problems, one line each."""
    typed = {}
    for attribute, (variable, option) in PATH_OPTIONS.items():
        if getattr(args, attribute, None):
            os.environ[variable] = str(Path(getattr(args, attribute)).resolve())
            typed[variable] = option
    from dagster_cx.preflight import configuration_problems

    problems = configuration_problems(typed)
    if getattr(args, "rebuild_from", None) and args.rebuild_from > args.rebuild_to:
        problems.append(f"--from {args.rebuild_from} is after --to {args.rebuild_to}; swap them.")
    return problems


def _run(args: argparse.Namespace) -> int:
    """Materialise every asset and run every check, in-process, then print the headline numbers."""
    problems = _configure(args)
    if problems:
        print("\n".join(["Not started: the configuration has problems:", *(f"  - {p}" for p in problems)]),
              file=sys.stderr)
        return 2
    from dagster_cx import settings
    from dagster_cx.run_command import execute, report, where_to_look

    settings.pin_environment()
    from dagster_cx import writer_lock

    try:
        with writer_lock.writing(settings.warehouse_path(), f"cx-warehouse {args.command}", say=_say):
            return _build(args)
    except writer_lock.WarehouseBusy as error:
        print(f"\n{error}", file=sys.stderr)
        return 1


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _build(args: argparse.Namespace) -> int:
    """The run itself, holding the warehouse: materialise, check, publish, summarise."""
    from dagster_cx import settings
    from dagster_cx.run_command import execute, report, where_to_look

    started = datetime.now(UTC)
    result, instance, log_path, home, seconds = execute(args)
    if not report(result, instance, log_path, home, seconds):
        return 1
    if settings.dbt_target() != "duckdb":
        print(f"\nBuilt every dbt model with its tests on the {settings.dbt_target()} target (marts in its `marts` "
              "schema). The quality suites, the published copy and the report are DuckDB-only: README, 'Scaling out'.")
    else:
        _summary(args, loaded_since=started)
    print(f"\n{where_to_look(log_path, home, result.run_id)}")
    return 0


def _summary(args: argparse.Namespace, loaded_since: datetime | None = None) -> int:
    """The headline numbers; after a run, the quarantine's top reasons are those of the files it loaded."""
    from dagster_cx import settings, summary, warehouse

    path = Path(args.warehouse).resolve() if getattr(args, "warehouse", None) else settings.warehouse_path()
    if not path.exists():
        print(f"No warehouse at {path}: run `cx-warehouse run` first.", file=sys.stderr)
        return 1
    with warehouse.connect(path, read_only=True) as con:
        print(f"\nWarehouse: {path}\n{summary.render(con, loaded_since)}")
    published = settings.published_path()
    if published.exists():
        from dagster_cx.publish.snapshot import parquet_dir_for

        print(f"\nFor BI tools (read-only snapshot): {published}\n  and Parquet: {parquet_dir_for(published) / 'current'}")
    report = settings.report_dir() / "cx_report.html"
    if report.exists():
        print(f"CX report (opens offline in any browser): {report}\n  and chart exports: {report.parent / 'charts'}")
    if loaded_since is None:
        from dagster_cx.run_command import ui_command

        print(f"\nBrowse assets, runs and checks: {ui_command(settings.dagster_home())}, then open http://localhost:3000")
    return 0


def _quarantine(args: argparse.Namespace) -> int:
    """Quarantined rows by file, each with its reasons and its original record; then the rows that wait
    for a parent and those a source left out, the same way."""
    from dagster_cx import settings, warehouse
    from dagster_cx.ingest.quarantine import quarantined_rows
    from dagster_cx.ingest.raw_tables import EXCLUDED_TABLE, QUARANTINE_TABLE, WAITING_TABLE

    path = Path(args.warehouse).resolve() if args.warehouse else settings.warehouse_path()
    if not path.exists():
        print(f"No warehouse at {path}: run `cx-warehouse run` first.", file=sys.stderr)
        return 1
    with warehouse.connect(path, read_only=True) as con:
        held = {place: quarantined_rows(con, args.entity, args.file, table=table)
                for place, table in (("quarantined", QUARANTINE_TABLE), ("waiting for a parent", WAITING_TABLE),
                                     ("excluded", EXCLUDED_TABLE))}
    if not held["quarantined"]:
        asked = " and ".join(f"{name} {value}" for name, value in (("--entity", args.entity), ("--file", args.file)) if value)
        print(f"No quarantined rows{' for ' + asked if asked else ''} in {path}.")
    for place, rows in held.items():
        by_file: dict[tuple[str, str], list] = {}
        for row in rows:
            by_file.setdefault((row.entity, row.source_file), []).append(row)
        for (entity, source_file), file_rows in by_file.items():
            print(f"{source_file} ({entity}): {len(file_rows)} row{'' if len(file_rows) == 1 else 's'} {place}")
            for row in file_rows[: args.limit]:
                knock_on = f" [{row.knock_on}: fix that row first]" if row.knock_on else ""
                print(f"  row {row.source_row}: {'; '.join(row.reasons)}{knock_on}\n    {_record(row.record)}")
            if len(file_rows) > args.limit:
                print(f"  ... and {len(file_rows) - args.limit} more (--limit)")
    return 0


def _record(record: dict) -> str:
    return ", ".join(f"{name}={value}" for name, value in record.items() if value is not None)


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
    if args.format == "vendors":
        from dagster_cx.sample.vendor_shapes import write_vendor_shapes

        moved = write_vendor_shapes(Path(args.out))
        print(f"contact center in the vendors' shapes: {moved['amazon_connect_contacts']:,} calls as Amazon Connect "
              f"CTRs in {Path(args.out) / 'amazon_connect'}, {moved['zendesk_tickets']:,} tickets for the fake "
              f"Zendesk API in {Path(args.out) / 'zendesk_api.json'}"
              f" (with {moved['zendesk_csat_responses']:,} CSAT survey responses)")
    elif args.format == "qualtrics":
        from dagster_cx.sample.qualtrics import surveys_as_qualtrics

        for path in surveys_as_qualtrics(Path(args.out)):
            print(f"wrote {path}")
        out = Path(args.out).resolve()
        print(f"Build it: CX_DATA_DIR={out} CX_SURVEY_EXPORTS_DIR={out / 'survey_exports'} cx-warehouse run")
    return 0


def _fake_zendesk(args: argparse.Namespace) -> int:
    from dagster_cx.sample.zendesk_api import FakeZendesk

    email, token = os.environ.get("CX_ZENDESK_EMAIL"), os.environ.get("CX_ZENDESK_API_TOKEN")
    if not email or not token:
        print("Set CX_ZENDESK_EMAIL and CX_ZENDESK_API_TOKEN (any values): the fake API accepts only those, "
              "as the source will send them.", file=sys.stderr)
        return 2
    api = FakeZendesk.from_file(Path(args.records), email, token)
    with api.serving(args.port) as url:
        print(f"fake Zendesk API on {url} (set CX_ZENDESK_BASE_URL={url}); Ctrl-C stops it", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            return 0
    return 0


def _reporting_date(option: str):
    """An argparse type for a YYYY-MM-DD option whose error names the option."""
    def parse(text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} {text!r} is not a date: give it as YYYY-MM-DD") from None
    return parse


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="FOLDER",
                        help="raw files, one sub-folder per entity (default: CX_DATA_DIR, else the bundled data/sample)")
    parser.add_argument("--warehouse", metavar="FILE",
                        help="DuckDB file to write (default: CX_WAREHOUSE, else data/warehouse/cx.duckdb)")
    parser.add_argument("--published", metavar="FILE",
                        help="read-only snapshot for BI tools (default: CX_PUBLISHED, else data/published/cx.duckdb)")
    parser.add_argument("--log-level", default="INFO", choices=LOG_LEVELS, type=str.upper, help=LOG_LEVEL_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cx-warehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    warehouse_help = "DuckDB file (default: CX_WAREHOUSE, else data/warehouse/cx.duckdb)"

    run = commands.add_parser(
        "run", help="ingest new files, build what they change, run every check, publish, print headline numbers",
        description="Loads new raw files (bad rows go to the quarantine), builds the dbt models they change, runs "
        "every quality check, publishes the snapshot and the report, and prints the headline numbers. "
        "Re-running is safe: loaded files are skipped, and with no new data dbt and all after it do not run.",
    )
    _add_paths(run)
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild every dbt model from all raw data instead of only what new data changed "
                     "(default: incremental)")
    run.set_defaults(handler=_run)

    backfill = commands.add_parser(
        "backfill", help="run the build and recompute every contact and survey response of a date range",
        description="Ingests new files like `run`, then recomputes the contacts created and the responses "
        "answered on the given reporting dates (and their daily marts), e.g. after a fix to their raw data.",
    )
    backfill.add_argument("--from", dest="rebuild_from", required=True, metavar="YYYY-MM-DD",
                          type=_reporting_date("--from"), help="first reporting date to recompute (required)")
    backfill.add_argument("--to", dest="rebuild_to", required=True, metavar="YYYY-MM-DD",
                          type=_reporting_date("--to"), help="last reporting date to recompute, included (required)")
    _add_paths(backfill)
    backfill.set_defaults(handler=_run)

    show = commands.add_parser("summary", help="print the headline numbers of a built warehouse",
                               description="Prints the loads, the headline numbers, what to act on and the "
                               "quarantine's top reasons, from the warehouse's marts (read-only).")
    show.add_argument("--warehouse", metavar="FILE", help=warehouse_help)
    show.set_defaults(handler=_summary)

    quarantine = commands.add_parser(
        "quarantine", help="list the quarantined rows by file, with their reasons and original records",
        description="Lists raw.quarantine: every row a load rejected, by file, with each reason and the record "
        "as read; then the rows waiting for a parent (raw.waiting: they load when it arrives) and those left out on "
        "purpose (raw.excluded). A row held because its parent row was quarantined (a message whose contact was) "
        "says so.",
    )
    quarantine.add_argument("--entity", help="only this raw entity, e.g. contacts (default: all)")
    quarantine.add_argument("--file", help="only this file: its path under the data folder or its name (default: all)")
    quarantine.add_argument("--limit", type=int, default=20, help="rows shown per file (default: %(default)s)")
    quarantine.add_argument("--warehouse", metavar="FILE", help=warehouse_help)
    quarantine.set_defaults(handler=_quarantine)

    export = commands.add_parser(
        "export-raw", help="write the validated raw tables as Parquet, for the dbt build on Spark",
        description="Copies every raw entity table of the warehouse to <folder>/<entity>/data.parquet, "
        "which the dbt `spark` target reads as its raw sources (README, 'Scaling out').",
    )
    export.add_argument("--warehouse", metavar="FILE", help=warehouse_help)
    export.add_argument("--to", metavar="FOLDER", help="folder to write (default: CX_RAW_PARQUET_DIR, else data/raw_parquet)")
    export.set_defaults(handler=_export_raw)

    gen = commands.add_parser("generate", help="write deterministic sample raw data in the contract's shape",
                              description="Writes raw files for every entity, with a MANIFEST.json of their "
                              "rows and planted bad rows; the same size and seed give the same bytes.")
    gen.add_argument("--out", required=True, metavar="FOLDER", help="folder to write, one sub-folder per entity (required)")
    gen.add_argument("--size", default="sample", choices=["XS", "sample", "S", "M", "L"],
                     help="sample (the bundled one), or XS, S, M, L for benchmarks (default: %(default)s)")
    gen.add_argument("--seed", type=int, default=20260101, help="random seed (default: %(default)s)")
    gen.add_argument("--format", choices=["contract", "vendors", "qualtrics"], default="contract",
                     help="contract: files in the raw contract; vendors: the contact center as Amazon Connect CTR "
                     "files and Zendesk API records instead; qualtrics: the surveys as a Qualtrics export (and "
                     "API fixtures) instead (default: %(default)s)")
    gen.set_defaults(handler=_generate)

    fake = commands.add_parser("fake-zendesk", help="serve Zendesk API records (generate --format vendors) on "
                               "127.0.0.1, paged as Zendesk's API pages them, for an offline run",
                               description="A stand-in for Zendesk's API for the README's offline example; it "
                               "serves the records file until stopped (Ctrl-C).")
    fake.add_argument("--records", required=True, metavar="FILE",
                      help="the records file, e.g. data/vendor_sample/zendesk_api.json (required)")
    fake.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default: %(default)s)")
    fake.set_defaults(handler=_fake_zendesk)

    from dagster_cx.sources.surveys.draft_command import add_survey_mapping_command

    add_survey_mapping_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
