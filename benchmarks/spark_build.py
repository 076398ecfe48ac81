"""What the dbt build costs on a local Spark against DuckDB, on the raw data of one benchmark size.

    python -m benchmarks.spark_build --size M     (needs the `spark` extra and Java 17)

Starts from the warehouse that `python -m benchmarks.run --size M` built
(benchmarks/work/<size>/full/cx.duckdb) and, each in a fresh process whose tree's memory is
sampled:
1. exports its validated raw tables as Parquet (`cx-warehouse export-raw`);
2. DuckDB: `dbt build --full-refresh` of a copy of that warehouse (the project's every model and
   data test; unit tests excluded, as in the pipeline);
3. Spark: the same `dbt build` on the `spark` target (dbt-spark session, local[2]) from the Parquet.
Then compares every mart of the two builds (dagster_cx.spark_parity) and writes
benchmarks/results/spark_<size>_<UTC timestamp>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benchmarks.memory import TreeSampler
from benchmarks.run import code_version, machine_info, package_version, progress
from dagster_cx.defs.dbt_project import dbt_executable
from dagster_cx.settings import DBT_PROJECT_DIR
from dagster_cx.spark_parity import compare_marts

BENCH_DIR = Path(__file__).resolve().parent
DBT_BUILD = ["build", "--exclude-resource-type", "unit_test"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="M")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--spark-driver-memory", default="8g")
    args = parser.parse_args(argv)
    started = datetime.now(UTC).isoformat(timespec="seconds")

    source = args.work_dir / args.size / "full" / "cx.duckdb"
    if not source.exists():
        print(f"No warehouse at {source}: run `python -m benchmarks.run --size {args.size}` first.", file=sys.stderr)
        return 1
    root = args.work_dir / args.size / "spark"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    warehouse = root / "cx.duckdb"
    shutil.copyfile(source, warehouse)
    raw_parquet, spark_dir = root / "raw_parquet", root / "spark_warehouse"
    base_env = {**os.environ, "CX_WAREHOUSE": str(warehouse), "CX_RAW_PARQUET_DIR": str(raw_parquet)}

    steps = {
        "export_raw": _timed("export_raw", [sys.executable, "-m", "dagster_cx.cli", "export-raw",
                                            "--warehouse", str(warehouse), "--to", str(raw_parquet)],
                             base_env, root / "export_raw.log"),
        "duckdb_dbt_build": _timed("duckdb_dbt_build", [dbt_executable(), *DBT_BUILD, "--full-refresh",
                                                        "--target-path", str(root / "target_duckdb")],
                                   {**base_env, "CX_DBT_TARGET": "duckdb"}, root / "duckdb_dbt_build.log"),
        "spark_dbt_build": _timed("spark_dbt_build", [dbt_executable(), *DBT_BUILD,
                                                      "--target-path", str(root / "target_spark")],
                                  {**base_env, "CX_DBT_TARGET": "spark", "CX_SPARK_WAREHOUSE_DIR": str(spark_dir),
                                   "CX_SPARK_DRIVER_MEMORY": args.spark_driver_memory},
                                  root / "spark_dbt_build.log"),
    }
    progress("comparing every mart of the two builds ...")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        parity = compare_marts(con, spark_dir)
    results = {
        "size": args.size, "started": started, "code": code_version(),
        "machine": {**machine_info(), "pyspark": package_version("pyspark"), "dbt-spark": package_version("dbt-spark")},
        "steps": steps,
        "spark_over_duckdb": round(steps["spark_dbt_build"]["seconds"] / steps["duckdb_dbt_build"]["seconds"], 2),
        "marts": [{"mart": p.mart, "rows": p.duckdb_rows, "spark_rows": p.spark_rows, "difference": p.difference}
                  for p in parity],
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = args.results_dir / f"spark_{args.size}_{stamp}.json"
    json_path.write_text(json.dumps(results, indent=1) + "\n")
    summary = _markdown(results)
    json_path.with_suffix(".md").write_text(summary)
    progress(f"wrote {json_path} and its .md")
    print(summary)
    return 0 if all(step["returncode"] == 0 for step in steps.values()) else 1


def _timed(label: str, command: list[str], env: dict[str, str], log: Path) -> dict:
    progress(f"{label}: starting ...")
    started = time.time()
    with log.open("w") as log_file:
        process = subprocess.Popen(command, env=env, cwd=DBT_PROJECT_DIR, stdout=log_file, stderr=subprocess.STDOUT)
        with TreeSampler(process.pid, 0.2) as sampler:
            returncode = process.wait()
    seconds = round(time.time() - started, 2)
    progress(f"{label}: exit {returncode} after {seconds} s, peak {sampler.peak_mib()} MiB (log: {log})")
    return {"seconds": seconds, "peak_mib": sampler.peak_mib(), "returncode": returncode, "log": str(log)}


def _markdown(results: dict) -> str:
    equal = sum(1 for m in results["marts"] if m["difference"] is None)
    lines = [
        f"# dbt build on Spark against DuckDB, size {results['size']} ({results['started']})", "",
        f"Code: {results['code']}; pyspark {results['machine']['pyspark']}, dbt-spark {results['machine']['dbt-spark']}, "
        f"duckdb {results['machine']['duckdb']}; {results['machine']['cores']} cores.", "",
        "| step | s | peak MiB | exit |", "|---|---:|---:|---:|",
        *[f"| {name} | {step['seconds']} | {step['peak_mib']} | {step['returncode']} |"
          for name, step in results["steps"].items()],
        "", f"Spark / DuckDB (dbt build): {results['spark_over_duckdb']}x.",
        f"Marts equal on both engines: {equal} of {len(results['marts'])}.",
        *[f"- {m['mart']}: {m['difference']}" for m in results["marts"] if m["difference"]],
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
