"""The floor: benchmarks/floor.sql in a fresh process, and its reconciliation with the pipeline's marts.

`python -m benchmarks.floor <data_dir> <floor.duckdb> <out.json>` is what benchmarks.run
starts (and samples, like a pipeline run); `reconcile` compares the two afterwards.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

FLOOR_SQL = Path(__file__).with_name("floor.sql")

# (floor table, pipeline side as SQL over the attached warehouse `wh`, grain, measures)
SURVEY_PIPELINE = """
    select date_day, channel, customer_segment, journey_stage,
           sum(nps_responses) as nps_responses, sum(promoters) as promoters, sum(passives) as passives,
           sum(detractors) as detractors, sum(nps_score_sum) as nps_score_sum,
           sum(csat_responses) as csat_responses, sum(csat_satisfied) as csat_satisfied,
           sum(csat_score_sum) as csat_score_sum,
           sum(ces_responses) as ces_responses, sum(ces_easy) as ces_easy, sum(ces_score_sum) as ces_score_sum
    from (
        select date_day, channel, customer_segment, journey_stage, responses as nps_responses, promoters,
               passives, detractors, nps_score_sum, 0 as csat_responses, 0 as csat_satisfied,
               0 as csat_score_sum, 0 as ces_responses, 0 as ces_easy, 0 as ces_score_sum
        from wh.marts.mart_nps_daily
        union all
        select date_day, channel, customer_segment, journey_stage, 0, 0, 0, 0, 0,
               responses, satisfied_responses, csat_score_sum, 0, 0, 0
        from wh.marts.mart_csat_daily
        union all
        select date_day, channel, customer_segment, journey_stage, 0, 0, 0, 0, 0, 0, 0, 0,
               responses, easy_responses, ces_score_sum
        from wh.marts.mart_ces_daily
    )
    group by all
"""
CONTACT_PIPELINE = """
    select date_day, channel, queue, contacts_created, contacts_offered, contacts_abandoned, contacts_handled,
           coalesce(handle_seconds_sum, 0) as handle_seconds_sum, contacts_answered_within_service_level
    from wh.marts.mart_contact_center_daily
"""
COMPARISONS = {
    "survey_daily": ("floor_survey_daily", SURVEY_PIPELINE, ["date_day", "channel", "customer_segment", "journey_stage"],
                     ["nps_responses", "promoters", "passives", "detractors", "nps_score_sum", "csat_responses",
                      "csat_satisfied", "csat_score_sum", "ces_responses", "ces_easy", "ces_score_sum"]),
    "contact_center_daily": ("floor_contact_center_daily", CONTACT_PIPELINE, ["date_day", "channel", "queue"],
                             ["contacts_created", "contacts_offered", "contacts_abandoned", "contacts_handled",
                              "handle_seconds_sum", "contacts_answered_within_service_level"]),
}


def run(data_dir: Path, database: Path, out: Path) -> None:
    """Run floor.sql on the raw files into a new DuckDB file, as the warehouse would be written."""
    import psutil

    marks = {"process": [psutil.Process().create_time(), 0.0]}
    started = time.time()
    import duckdb

    marks["imports"] = [started, time.time()]
    started = time.time()
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    con.execute("set enable_progress_bar = false")
    con.execute("set variable data_dir = ?", [str(data_dir)])
    con.execute(FLOOR_SQL.read_text())
    con.close()
    marks["floor_sql"] = [started, time.time()]
    marks["process"][1] = time.time()
    out.write_text(json.dumps({"marks": marks}, indent=1))


def reconcile(floor_db: Path, warehouse: Path) -> dict:
    """Totals of every measure on both sides and the groups where any measure differs."""
    import duckdb

    con = duckdb.connect(str(floor_db), read_only=True)
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    report = {}
    for name, (floor_table, pipeline_sql, grain, measures) in COMPARISONS.items():
        totals = ", ".join(f"sum({m})::bigint as {m}" for m in measures)
        floor_totals = dict(zip(measures, con.execute(f"select {totals} from {floor_table}").fetchone()))
        pipeline_totals = dict(zip(measures, con.execute(f"select {totals} from ({pipeline_sql})").fetchone()))
        on = " and ".join(f"f.{g} is not distinct from p.{g}" for g in grain)
        differs = " or ".join(f"coalesce(f.{m}, 0) <> coalesce(p.{m}, 0)" for m in measures)
        mismatched_groups = con.execute(
            f"select count(*) from {floor_table} f full join ({pipeline_sql}) p on {on} where {differs}"
        ).fetchone()[0]
        groups = con.execute(f"select count(*) from {floor_table}").fetchone()[0]
        report[name] = {"groups": groups, "mismatched_groups": mismatched_groups,
                        "floor_totals": floor_totals, "pipeline_totals": pipeline_totals,
                        "reconciled": mismatched_groups == 0 and floor_totals == pipeline_totals}
    con.close()
    return report


if __name__ == "__main__":
    run(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
