"""One file per entity and month, with the planted bad rows put into each month's file.

Real exports arrive month by month (the first month's contacts file even lacks the priority
column the contract added later), and the loader is tested on them as they arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from dagster_cx.sample.generator.bad_rows import _bad_messages, _bad_status_changes
from dagster_cx.sample.generator.contact_history import _HISTORY_SHARE, _TICKET_CHANNELS, _history_tables
from dagster_cx.sample.generator.contacts import _queue_agents
from dagster_cx.sample.generator.csv_files import _write_csv
from dagster_cx.sample.generator.parquet_files import _PARQUET_SCHEMAS, _write_parquet
from dagster_cx.sample.generator.period import Columns, _Period

Planter = Callable[[pa.Table, int], tuple[pa.Table, list[dict]]]  # (month's table, month) -> table, planted


def _write_months(out_dir: Path, entity: str, period: _Period, build: Callable[[int], pa.Table],
                  plant: Planter | None) -> tuple[dict[str, int], list[dict]]:
    """Write one file per month (Parquet for answers, CSV otherwise); returns rows per file and planted rows."""
    files: dict[str, int] = {}
    planted: list[dict] = []
    for month, label in enumerate(period.month_labels):
        table = build(month)
        parquet = entity == "survey_answers"
        rel = f"{entity}/{entity}_{label}.{'parquet' if parquet else 'csv'}"
        if plant is not None:
            table, bad = plant(table, month)
            planted += [{"entity": entity, "file": rel, **b} for b in bad]
        files[rel] = (_write_parquet if parquet else _write_csv)(table, out_dir / rel)
    return files, planted


def _write_history(out_dir: Path, period: _Period, con: Columns, month_of_contact: np.ndarray,
                   rng: np.random.Generator, bad_rng: np.random.Generator | None, miss_rng: np.random.Generator,
                   ) -> dict[str, tuple[dict[str, int], list[dict]]]:
    """Status changes (CSV) and messages (Parquet) per month, filed in their contact's month."""
    history = np.isin(con["channel"], _TICKET_CHANNELS) & (rng.random(len(con["day"])) < _HISTORY_SHARE)
    queue_agents = _queue_agents(con["queue"], period)
    out: dict[str, tuple[dict[str, int], list[dict]]] = {"contact_status_changes": ({}, []),
                                                         "contact_messages": ({}, [])}
    first_ids = (0, 0)
    for month, label in enumerate(period.month_labels):
        rows = np.flatnonzero((month_of_contact == month) & history)
        tables = _history_tables(rng, con, rows, queue_agents, period, first_ids, miss_rng)
        first_ids = (first_ids[0] + tables[0].num_rows, first_ids[1] + tables[1].num_rows)
        for (entity, (files, planted)), table, plant in zip(out.items(), tables, (_bad_status_changes, _bad_messages)):
            parquet = entity in _PARQUET_SCHEMAS
            rel = f"{entity}/{entity}_{label}.{'parquet' if parquet else 'csv'}"
            if bad_rng is not None:
                table, bad = plant(bad_rng, table, month)
                planted += [{"entity": entity, "file": rel, **b} for b in bad]
            files[rel] = (_write_parquet(table, out_dir / rel, _PARQUET_SCHEMAS[entity]) if parquet
                          else _write_csv(table, out_dir / rel))
    return out
