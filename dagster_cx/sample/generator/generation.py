"""generate(): every entity's files in a fixed order, then MANIFEST.json.

The steps' order and each one's random stream are fixed, so the same size and seed give
byte-identical files; the manifest lists the rows, the planted bad rows and the driver model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from dagster_cx.sample.generator.bad_rows import _bad_answers, _bad_contacts, _bad_responses
from dagster_cx.sample.generator.catalog import _questions_table, _touchpoints_table
from dagster_cx.sample.generator.columns import _ids
from dagster_cx.sample.generator.contacts import _PRIORITY_SINCE_MONTH, _contacts, _contacts_table, _priorities
from dagster_cx.sample.generator.csv_files import _write_csv
from dagster_cx.sample.generator.customers import _churn, _customers, _customers_table, _names, _opt_outs_table
from dagster_cx.sample.generator.driver_model import (
    FORCE_WEIGHTS,
    ITEM_LOADING,
    NPS_INTERCEPT,
    NPS_SLOPE,
    PILLAR_SHARED,
    PILLAR_WEIGHTS,
    PLANTED_R2,
    R2_SIMULATION_DRAWS,
    R2_SIMULATION_SEED,
)
from dagster_cx.sample.generator.monthly_files import Planter, _write_history, _write_months
from dagster_cx.sample.generator.period import PERIOD_START, SIZES, _Period
from dagster_cx.sample.generator.random_streams import DEFAULT_SEED, _rng
from dagster_cx.sample.generator.survey_answers import _answers_table, _experience_shift
from dagster_cx.sample.generator.survey_responses import _responses, _responses_table


def _clear(out_dir: Path) -> None:
    """Remove files an earlier run wrote, so a smaller run leaves no stale months behind."""
    for entity in ("customers", "journey_touchpoints", "questions", "contacts", "contact_status_changes",
                   "contact_messages", "survey_responses", "survey_answers", "survey_opt_outs"):
        for old in sorted((out_dir / entity).glob(f"{entity}*.*")):
            old.unlink()
    (out_dir / "MANIFEST.json").unlink(missing_ok=True)


def _manifest(size: str, seed: int, bad_rows: bool, period: _Period, entities: dict[str, dict]) -> dict:
    """What was written, what was planted, and the true driver model."""
    return {
        "generator": "dagster_cx.sample.generator",
        "size": size,
        "seed": seed,
        "bad_rows_planted": bad_rows,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "entities": entities,
        "drivers": {
            "pillar_weights": PILLAR_WEIGHTS,
            "force_weights": FORCE_WEIGHTS,
            "importance_order": {"pillars": sorted(PILLAR_WEIGHTS, key=PILLAR_WEIGHTS.get, reverse=True),
                                 "forces": sorted(FORCE_WEIGHTS, key=FORCE_WEIGHTS.get, reverse=True)},
            "r2": PLANTED_R2,
            "nps_model": {"intercept": NPS_INTERCEPT, "slope": NPS_SLOPE, "item_loading": ITEM_LOADING,
                          "pillar_shared_variance": PILLAR_SHARED,
                          "r2_simulation": {"draws": R2_SIMULATION_DRAWS, "seed": R2_SIMULATION_SEED}},
        },
    }


def generate(out_dir: Path, size: str = "sample", seed: int = DEFAULT_SEED, bad_rows: bool = True,
             progress: Callable[[str], None] | None = None) -> dict:
    """Write every entity's files under out_dir and MANIFEST.json; return the manifest.

    Same arguments, byte-identical files. Bad rows (if asked for) are extra rows inside the
    normal monthly files; the manifest lists each with a substring of its quarantine reason.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size!r}")
    spec, period, out_dir = SIZES[size], _Period(PERIOD_START, SIZES[size]["months"]), Path(out_dir)
    _clear(out_dir)
    entities: dict[str, dict] = {}
    bad_rng = _rng(seed, "bad_rows")

    def record(entity: str, files: dict[str, int], planted: list[dict], started: float) -> None:
        entities[entity] = {"files": files, "rows": sum(files.values()), "bad_rows": planted}
        if progress is not None:
            progress(f"{entity}: {sum(files.values()):,} rows in {len(files)} file(s), "
                     f"{time.perf_counter() - started:.1f} s")

    def planter(plant: Callable[..., tuple[pa.Table, list[dict]]], *args: int) -> Planter | None:
        return (lambda table, month: plant(bad_rng, table, month, *args)) if bad_rows else None

    started = time.perf_counter()
    cust = _customers(_rng(seed, "customers"), spec["customers"])
    _churn(_rng(seed, "churn"), cust, period)
    full_names, emails = _names(cust)
    rel = "customers/customers.csv"
    record("customers", {rel: _write_csv(_customers_table(cust, full_names, emails, period), out_dir / rel)}, [],
           started)
    for entity, table in (("journey_touchpoints", _touchpoints_table()), ("questions", _questions_table())):
        started, rel = time.perf_counter(), f"{entity}/{entity}.csv"
        record(entity, {rel: _write_csv(table, out_dir / rel)}, [], started)

    started = time.perf_counter()
    con = _contacts(_rng(seed, "contacts"), spec["contacts"], cust, period)
    con["priority"] = _priorities(_rng(seed, "priority"), con["reason"])
    month_of_contact = period.month_of_day[con["day"]]

    def contacts(month: int) -> pa.Table:
        table = _contacts_table(con, np.flatnonzero(month_of_contact == month))
        return table if month >= _PRIORITY_SINCE_MONTH else table.drop_columns(["priority"])

    record("contacts", *_write_months(out_dir, "contacts", period, contacts,
                                      planter(_bad_contacts, spec["contacts"])), started)

    started = time.perf_counter()
    history = _write_history(out_dir, period, con, month_of_contact, _rng(seed, "contact_history"),
                             _rng(seed, "history_bad_rows") if bad_rows else None, _rng(seed, "record_misses"))
    for entity, (files, planted) in history.items():
        record(entity, files, planted, started)  # seconds: both entities together

    started = time.perf_counter()
    resp = _responses(_rng(seed, "survey_responses"), spec["responses"], cust, con, period)
    record("survey_responses", *_write_months(
        out_dir, "survey_responses", period,
        lambda m: _responses_table(resp, cust, np.flatnonzero(resp["month"] == m), period),
        planter(_bad_responses, spec["responses"])), started)

    started = time.perf_counter()
    answer_rng = _rng(seed, "survey_answers")
    shift = _experience_shift(answer_rng, resp, cust, con)

    def answers(month: int) -> pa.Table:
        rows = np.flatnonzero(resp["month"] == month)
        customer = resp["customer"][rows]
        return _answers_table(answer_rng, _ids("R", rows + 1, 8), resp["kind"][rows], cust["language"][customer],
                              shift[rows], emails.take(pa.array(customer)))

    record("survey_answers", *_write_months(out_dir, "survey_answers", period, answers, planter(_bad_answers)),
           started)

    started, rel = time.perf_counter(), "survey_opt_outs/survey_opt_outs.csv"
    record("survey_opt_outs", {rel: _write_csv(_opt_outs_table(_rng(seed, "survey_opt_outs"), cust, period),
                                               out_dir / rel)}, [], started)

    manifest = _manifest(size, seed, bad_rows, period, entities)
    (out_dir / "MANIFEST.json").write_text(json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    return manifest
