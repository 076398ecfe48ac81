"""Benchmark the pipeline at one data size: full build per stage, the DuckDB floor, fixed overhead, incremental.

    python -m benchmarks.run --size M

Generates the data once into benchmarks/work/<size>/data (reused while its MANIFEST.json says
the same size and seed and lists every contract entity; generation is never timed), then, each
pipeline run and the floor in a fresh process whose process tree's memory is sampled:
1. full build into a new warehouse, timed per stage;
2. no new data: the same run again on that warehouse;
3. floor: benchmarks/floor.sql on the same raw files, reconciled with the pipeline's marts;
4. incremental: a warehouse built from the data minus its last day, then the run that adds
   that day's files (reported as a share of the full build).
Writes benchmarks/results/<size>_<UTC timestamp>.json and .md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from benchmarks import floor, holdback
from benchmarks.memory import TreeSampler
from dagster_cx.contract import ENTITIES
from dagster_cx.sample.generator import DEFAULT_SEED, SIZES, generate

BENCH_DIR = Path(__file__).resolve().parent
GIB = 1024**3

# Stages in build order; a step key maps to one of them (see _stage_of).
STAGES = ["startup", "dbt_parse", "load_definitions", "ingestion", "ingestion_checks", "dbt_staging",
          "quality_checks", "dbt_marts", "driver_importance", "publish", "report", "other_steps", "orchestration", "exit"]
STEP_STAGES = STAGES[3:12]  # the stages made of Dagster steps
STAGE_NOTES = {
    "startup": "Python start and imports (dagster, dagster_cx)",
    "dbt_parse": "`dbt parse` subprocess, as `cx-warehouse run` does first",
    "load_definitions": "importing dagster_cx.definitions (dbt manifest, GX suites) and resolving the job",
    "ingestion": "raw/* assets: hash, read, validate, load or quarantine each new file",
    "ingestion_checks": "raw/* rows-reconcile asset checks",
    "dbt_staging": "dbt build of seeds + staging views, with their dbt tests",
    "quality_checks": "Great Expectations suites on staged data and on marts (blocking checks)",
    "dbt_marts": "dbt build of intermediate models and marts, with dbt tests and unit tests",
    "driver_importance": "Python mart marts/mart_driver_importance",
    "publish": "published/bi_snapshot: DuckDB copy + Parquet",
    "report": "published/cx_report: HTML report and chart exports",
    "other_steps": "any other step of cx_full_build (listed in the results' `steps`)",
    "orchestration": "Dagster time inside the run between steps (planning, events, IO managers)",
    "exit": "after the run until the process ends",
}
TARGETS = {"size_L_seconds": 600, "size_L_peak_gib": 8, "full_over_floor": 3.0, "incremental_share": 0.10,
           "no_new_data_seconds": 20}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="M", choices=list(SIZES))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work",
                        help="data and warehouses go to <work-dir>/<size>/ (default: benchmarks/work)")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--skip-no-new-data", action="store_true", help="skip the second run on the same warehouse")
    parser.add_argument("--skip-incremental", action="store_true", help="skip the one-day incremental run")
    parser.add_argument("--sample-interval", type=float, default=0.1, help="seconds between memory samples")
    args = parser.parse_args(argv)
    results = benchmark(args.size, args.seed, args.work_dir.resolve(), not args.skip_no_new_data,
                        not args.skip_incremental, args.sample_interval)
    json_path, md_path = write_results(results, args.results_dir.resolve())
    print(f"\n{render_markdown(results)}\nResults: {json_path}\nSummary: {md_path}", flush=True)
    return 0 if results["ok"] else 1


def benchmark(size: str, seed: int, work_dir: Path, no_new_data: bool, incremental: bool,
              interval: float) -> dict:
    """Every phase in order; returns the results as one JSON-ready dict."""
    root = work_dir / size
    data_dir = root / "data"
    results: dict = {"size": size, "seed": seed, "spec": SIZES[size], "code": code_version(),
                     "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine_info(),
                     "data": prepare_data(data_dir, size, seed), "runs": {}, "ok": True}

    full_wh = root / "full" / "cx.duckdb"
    shutil.rmtree(full_wh.parent, ignore_errors=True)
    results["runs"]["full"] = pipeline_run("full build", data_dir, full_wh, root, interval)
    if no_new_data:
        results["runs"]["no_new_data"] = pipeline_run("no new data", data_dir, full_wh, root, interval)

    results["floor"] = floor_run(data_dir, root / "floor" / "floor.duckdb", root, interval)
    progress("reconciling the floor with the pipeline's marts ...")
    results["reconciliation"] = floor.reconcile(root / "floor" / "floor.duckdb", full_wh)
    results["row_counts"] = row_counts(full_wh)

    if incremental:
        base_dir, day_dir = root / "incremental" / "data", root / "incremental" / "last_day"
        progress("holding back the last day ...")
        held = holdback.prepare(data_dir, base_dir, day_dir)
        incr_wh = root / "incremental" / "cx.duckdb"
        for path in (incr_wh, *incr_wh.parent.glob("cx_published*"), *incr_wh.parent.glob("cx.duckdb.wal")):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        results["runs"]["incremental_base"] = pipeline_run("base build without the last day", base_dir, incr_wh,
                                                           root, interval)
        held["added_files"] = holdback.add_day(day_dir, base_dir)
        results["runs"]["incremental"] = pipeline_run(f"incremental: add {held['last_day']}", base_dir, incr_wh,
                                                      root, interval)
        results["holdback"] = held
        progress("checking the incremental warehouse equals the full one ...")
        results["incremental_equals_full"] = same_marts(incr_wh, full_wh)
        # The incremental run updated the base build's snapshot by key: it must hold its marts all the same.
        progress("checking the incremental run's published copy holds its marts ...")
        results["incremental_published_equals_its_marts"] = published_holds_marts(published_for(incr_wh), incr_wh)

    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["ratios"] = ratios(results)
    results["targets"] = targets(results)
    results["ok"] = (all(run["success"] for run in results["runs"].values())
                     and all(r["reconciled"] for r in results["reconciliation"].values())
                     and results.get("incremental_equals_full", True)
                     and results.get("incremental_published_equals_its_marts", True))
    return results


def prepare_data(data_dir: Path, size: str, seed: int) -> dict:
    """Generate the size into data_dir unless MANIFEST.json says it is there already (never timed)."""
    manifest_path = data_dir / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    wanted = {"size": size, "seed": seed, "bad_rows_planted": False}
    # Data generated before an entity joined the contract (and the generator) is made again.
    complete = {e.name for e in ENTITIES} <= set(manifest.get("entities", {}))
    if complete and all(manifest.get(key) == value for key, value in wanted.items()):
        progress(f"data: reusing {data_dir} ({size}, seed {seed})")
    else:
        progress(f"data: generating size {size} (seed {seed}) into {data_dir}; not timed ...")
        # No planted bad rows: the floor does not validate, so both must see the same clean rows.
        manifest = generate(data_dir, size=size, seed=seed, bad_rows=False,
                            progress=lambda line: progress(f"  {line}"))
    files = [p for p in data_dir.rglob("*") if p.is_file() and p.name != "MANIFEST.json"]
    return {"dir": str(data_dir), "files": len(files), "bytes": sum(p.stat().st_size for p in files),
            "rows": {entity: spec["rows"] for entity, spec in manifest["entities"].items()},
            "period": manifest["period"]}


def pipeline_run(label: str, data_dir: Path, warehouse: Path, root: Path, interval: float) -> dict:
    """One `cx_full_build` run in a fresh process; per-stage seconds and peak tree RSS."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CX_DATA_DIR": str(data_dir), "CX_WAREHOUSE": str(warehouse),
           "CX_PUBLISHED": str(published_for(warehouse))}
    env.pop("CX_REPORT_DIR", None)
    env.pop("DAGSTER_HOME", None)
    out = root / "logs" / f"{_slug(label)}.json"
    outcome = _child(label, [sys.executable, "-m", "benchmarks.pipeline_child", str(out)], env, out, interval)
    child, sampler = outcome["child"], outcome["sampler"]
    stages = _stages(child, sampler)
    run = {"label": label, "success": child["success"] and outcome["returncode"] == 0,
           "problems": child["problems"], "load_avg_before": outcome["load_avg_before"],
           "seconds": stages["total"]["seconds"], "peak_rss_mib": sampler.peak_mib(),
           "stages": stages, "steps": {key: round(s["end"] - s["start"], 3) for key, s in child["steps"].items()
                                       if s["start"] and s["end"]},
           "ingested": child["ingested"], "log": str(outcome["log"])}
    if not run["success"]:
        progress(f"  {label} FAILED: {run['problems'] or 'see ' + str(outcome['log'])}")
    for stage in STAGES:
        progress(f"  {stage:<18} {stages[stage]['seconds']:8.2f} s   peak {stages[stage]['peak_rss_mib']} MiB")
    return run


def floor_run(data_dir: Path, database: Path, root: Path, interval: float) -> dict:
    """benchmarks/floor.sql in a fresh process, sampled the same way."""
    database.parent.mkdir(parents=True, exist_ok=True)
    out = root / "logs" / "floor.json"
    outcome = _child("floor", [sys.executable, "-m", "benchmarks.floor", str(data_dir), str(database), str(out)],
                     dict(os.environ), out, interval)
    marks, sampler = outcome["child"]["marks"], outcome["sampler"]
    process = marks["process"]
    sql = marks["floor_sql"]
    return {"success": outcome["returncode"] == 0, "load_avg_before": outcome["load_avg_before"],
            "seconds": round(process[1] - process[0], 3), "sql_seconds": round(sql[1] - sql[0], 3),
            "peak_rss_mib": sampler.peak_mib(), "sql_peak_rss_mib": sampler.peak_mib(*sql)}


def _child(label: str, command: list[str], env: dict, out: Path, interval: float) -> dict:
    """Start a child with its output in a log, sample its tree's memory until it ends, read its JSON."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    log = out.with_suffix(".log")
    load = [round(x, 2) for x in os.getloadavg()]
    progress(f"{label}: starting (load average {load[0]} {load[1]} {load[2]}) ...")
    with log.open("w") as log_file:
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=BENCH_DIR.parent)
        with TreeSampler(process.pid, interval) as sampler:
            returncode = process.wait()
    if not out.exists():
        raise RuntimeError(f"{label}: the child process ended ({returncode}) without results; see {log}")
    child = json.loads(out.read_text())
    seconds = child["marks"]["process"][1] - child["marks"]["process"][0]
    progress(f"{label}: finished in {seconds:.1f} s, peak {sampler.peak_mib()} MiB")
    return {"child": child, "sampler": sampler, "returncode": returncode, "log": log, "load_avg_before": load}


def _stage_of(step_key: str) -> str:
    if step_key == "raw_files":
        return "ingestion"
    if step_key.startswith("raw__"):
        return "ingestion_checks"
    if step_key in ("dbt_staging", "dbt_marts"):
        return step_key
    if "_gx_" in step_key:
        return "quality_checks"
    return {"marts__mart_driver_importance": "driver_importance", "published__bi_snapshot": "publish",
            "published__cx_report": "report"}.get(step_key, "other_steps")


def _stages(child: dict, sampler: TreeSampler) -> dict:
    """Seconds and peak RSS per stage; stages partition the process's wall time."""
    marks, windows = child["marks"], {stage: [] for stage in STAGES}
    process, run = marks["process"], marks["run"]
    windows["startup"].append((process[0], marks["dbt_parse"][0]))
    windows["dbt_parse"].append(tuple(marks["dbt_parse"]))
    windows["load_definitions"].append(tuple(marks["load_definitions"]))
    for key, step in child["steps"].items():
        if step["start"] and step["end"]:
            windows[_stage_of(key)].append((step["start"], step["end"]))
    stages = {}
    for stage in STAGES:
        if stage in ("orchestration", "exit"):
            continue
        stages[stage] = {"seconds": round(sum(end - start for start, end in windows[stage]), 3),
                         "peak_rss_mib": _peak(sampler, windows[stage])}
    in_steps = sum(stages[s]["seconds"] for s in STEP_STAGES)
    # Between steps: the run window minus the steps.
    known = sorted(w for stage in STEP_STAGES for w in windows[stage])
    edges = [run[0], *[t for window in known for t in window], run[1]]
    gaps = [(edges[i], edges[i + 1]) for i in range(0, len(edges) - 1, 2) if edges[i + 1] > edges[i]]
    stages["orchestration"] = {"seconds": round(run[1] - run[0] - in_steps, 3), "peak_rss_mib": _peak(sampler, gaps)}
    stages["exit"] = {"seconds": round(process[1] - run[1], 3), "peak_rss_mib": _peak(sampler, [(run[1], process[1])])}
    stages["total"] = {"seconds": round(process[1] - process[0], 3), "peak_rss_mib": sampler.peak_mib()}
    return stages


def _peak(sampler: TreeSampler, windows: list[tuple[float, float]]) -> float | None:
    peaks = [p for p in (sampler.peak_mib(start, end) for start, end in windows) if p is not None]
    return max(peaks) if peaks else None


def row_counts(warehouse: Path) -> dict:
    """Rows of every table in the raw and marts schemas of the built warehouse."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    tables = con.execute("select schema_name, table_name from duckdb_tables() where schema_name in "
                         "('raw', 'marts') order by all").fetchall()
    counts = {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}
    con.close()
    return counts


def published_for(warehouse: Path) -> Path:
    """The published copy of a benchmark warehouse, beside it."""
    return warehouse.with_name("cx_published.duckdb")


def same_marts(left: Path, right: Path) -> bool:
    """The headline marts of two warehouses hold the same rows (the split lost and doubled nothing)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"attach '{left}' as l (read_only)")
    con.execute(f"attach '{right}' as r (read_only)")
    same = True
    for table in ("mart_nps_daily", "mart_csat_daily", "mart_ces_daily", "mart_contact_center_daily"):
        differ = con.execute(f"select count(*) from ((from l.marts.{table} except all from r.marts.{table}) "
                             f"union all (from r.marts.{table} except all from l.marts.{table}))").fetchone()[0]
        same = same and differ == 0
    con.close()
    return same


def published_holds_marts(published: Path, warehouse: Path) -> bool:
    """The published copy has the warehouse's mart tables, each with the same rows (free text masked
    as publishing masks it), compared by row count and an order-free checksum: the sum of row hashes."""
    import duckdb

    from dagster_cx.publish.snapshot import published_select

    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as source (read_only)")  # the name published_select reads from
    con.execute(f"attach '{published}' as p (read_only)")
    tables_sql = "select table_name from duckdb_tables() where database_name = ? and schema_name = 'marts' order by 1"
    tables = [r[0] for r in con.execute(tables_sql, ["source"]).fetchall()]
    same = tables == [r[0] for r in con.execute(tables_sql, ["p"]).fetchall()]
    for table in tables if same else []:
        checksum = "select count(*), sum(hash(*columns(*))::hugeint) from ({})"
        same = (con.execute(checksum.format(published_select(con, table))).fetchall()
                == con.execute(checksum.format(f"from p.marts.{table}")).fetchall())
        if not same:
            break
    con.close()
    return same


def ratios(results: dict) -> dict:
    runs, floor_ = results["runs"], results["floor"]
    full = runs["full"]["seconds"]
    steps = sum(runs["full"]["stages"][s]["seconds"] for s in STEP_STAGES)
    out = {"full_over_floor": round(full / floor_["seconds"], 2),
           "steps_over_floor_sql": round(steps / floor_["sql_seconds"], 2)}
    if "incremental" in runs:
        out["incremental_share_of_full"] = round(runs["incremental"]["seconds"] / full, 3)
    if "no_new_data" in runs:
        out["no_new_data_share_of_full"] = round(runs["no_new_data"]["seconds"] / full, 3)
    return out


def targets(results: dict) -> dict:
    """Each of the issue's targets this run can speak to: the measured value and met / missed."""
    runs, r, out = results["runs"], results["ratios"], {}
    if results["size"] == "L":
        out["size L end to end within 10 min"] = _verdict(runs["full"]["seconds"], TARGETS["size_L_seconds"], "s")
        out["size L peak within 8 GiB"] = _verdict(runs["full"]["peak_rss_mib"] / 1024, TARGETS["size_L_peak_gib"],
                                                   "GiB")
    out["full build within 3x floor"] = _verdict(r["full_over_floor"], TARGETS["full_over_floor"], "x")
    if "incremental_share_of_full" in r:
        out["one-day incremental within 10% of full"] = _verdict(100 * r["incremental_share_of_full"],
                                                                 100 * TARGETS["incremental_share"], "%")
    if "no_new_data" in runs:
        out["no-new-data run within 20 s"] = _verdict(runs["no_new_data"]["seconds"],
                                                      TARGETS["no_new_data_seconds"], "s")
    return out


def _verdict(value: float, limit: float, unit: str) -> dict:
    return {"measured": round(value, 3), "limit": limit, "unit": unit, "met": value <= limit}


def code_version() -> str | None:
    """The commit benchmarked: BENCH_COMMIT in a snapshot made with `git archive`, else git's HEAD (+ dirty)."""
    snapshot = BENCH_DIR.parent / "BENCH_COMMIT"
    if snapshot.exists():
        return snapshot.read_text().strip()
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=BENCH_DIR, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=BENCH_DIR,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + (" (with uncommitted changes)" if dirty else "")


def package_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    return {"cores": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / GIB, 1),
            "platform": platform.platform(), "python": platform.python_version(),
            **{name: package_version(name) for name in ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt",
                                                 "great-expectations", "pandas")}}


def write_results(results: dict, results_dir: Path) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = results_dir / f"{results['size']}_{stamp}.json"
    json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
    md_path = json_path.with_suffix(".md")
    md_path.write_text(render_markdown(results))
    return json_path, md_path


def render_markdown(results: dict) -> str:
    runs, machine = results["runs"], results["machine"]
    names = [name for name in ("full", "no_new_data", "incremental_base", "incremental") if name in runs]
    lines = [f"# Benchmark, size {results['size']} ({results['started_at']})", "",
             f"Machine: {machine['cores']} cores, {machine['ram_gib']} GiB; Python {machine['python']}, "
             f"DuckDB {machine['duckdb']}, dbt-core {machine['dbt-core']}, dbt-duckdb {machine['dbt-duckdb']}, "
             f"Dagster {machine['dagster']}. Code: {results['code']}.",
             f"Data: {results['data']['files']} files, {results['data']['bytes'] / 2**20:.1f} MiB; rows "
             + ", ".join(f"{k} {v:,}" for k, v in results["data"]["rows"].items()) + ".", "",
             "Seconds and peak RSS (MiB, whole process tree) per stage:", "",
             "| stage | " + " | ".join(f"{runs[n]['label']} s | MiB" for n in names) + " |",
             "|---|" + "---:|---:|" * len(names)]
    for stage in [*STAGES, "total"]:
        cells = " | ".join(f"{runs[n]['stages'][stage]['seconds']:.2f} | {runs[n]['stages'][stage]['peak_rss_mib']}"
                           for n in names)
        lines.append(f"| {stage} | {cells} |")
    fl = results["floor"]
    lines += ["", f"Floor (benchmarks/floor.sql, fresh process): {fl['seconds']:.2f} s end to end "
              f"({fl['sql_seconds']:.2f} s of SQL), peak {fl['peak_rss_mib']} MiB.",
              f"Ratios: full build / floor = {results['ratios']['full_over_floor']}; "
              f"pipeline steps / floor SQL = {results['ratios']['steps_over_floor_sql']}."]
    if "incremental_share_of_full" in results["ratios"]:
        lines.append(f"Incremental (adds {results['holdback']['last_day']}): {runs['incremental']['seconds']:.2f} s "
                     f"= {100 * results['ratios']['incremental_share_of_full']:.1f}% of the full build; "
                     f"its marts equal the full build's: {results['incremental_equals_full']}; "
                     "its published copy, updated by key, holds every row of its marts: "
                     f"{results.get('incremental_published_equals_its_marts', 'not checked')}.")
    recon = results["reconciliation"]
    lines.append("Floor reconciles with the marts: " + ", ".join(
        f"{name} {'yes' if r['reconciled'] else 'NO'} ({r['groups']} groups, {r['mismatched_groups']} differ)"
        for name, r in recon.items()) + ".")
    lines += ["", "| target | measured | limit | |", "|---|---:|---:|---|"]
    for name, t in results["targets"].items():
        lines.append(f"| {name} | {t['measured']} {t['unit']} | {t['limit']} {t['unit']} | "
                     f"{'met' if t['met'] else 'missed'} |")
    return "\n".join(lines) + "\n"


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in label).strip("_")


def progress(line: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {line}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
