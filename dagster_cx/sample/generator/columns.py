"""Numpy columns to the Arrow arrays and tables the contract's files are written from.

Ids, nullable integers, dates and zoned ISO 8601 timestamps are built column-wise with
pyarrow compute, which is what keeps the L size (10M contacts) within minutes; _table
holds every table to the contract's columns and order.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_cx.contract import Entity
from dagster_cx.sample.generator.period import _Period
from dagster_cx.sample.generator.zones import _utc_to_local


def _pick(values: tuple[str, ...] | list[str], index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Strings by index (null where missing)."""
    return pc.take(pa.array(values, pa.string()), pa.array(index, pa.int64(), mask=missing))


def _ids(prefix: str, numbers: np.ndarray, width: int, missing: np.ndarray | None = None) -> pa.Array:
    """Zero-padded ids such as C0000042 (null where missing)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64(), mask=missing), pa.string()), width=width,
                          padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _ints(values: np.ndarray) -> pa.Array:
    """Float seconds or counts to nullable integers (NaN = null)."""
    missing = np.isnan(values)
    return pa.array(np.where(missing, 0, values).astype(np.int64), pa.int64(), mask=missing)


def _timestamps(utc_s: np.ndarray, zone: np.ndarray) -> pa.Array:
    """ISO 8601 strings with the row's zone offset, e.g. 2026-03-29T03:30:00+02:00 (NaN = null).

    The local wall clock printed by Arrow's cast, then the offset (local minus UTC): the same
    text as strftime("%Y-%m-%dT%H:%M:%S%Ez") in the zone, several times faster.
    """
    missing = np.isnan(utc_s)
    seconds = np.where(missing, 0, utc_s).astype(np.int64)
    local = _utc_to_local(seconds.astype(np.float64), zone).astype(np.int64)
    offsets, index = np.unique((local - seconds) // 60, return_inverse=True)
    labels = [f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in offsets.tolist()]
    wall = pc.utf8_replace_slice(pc.cast(pa.array(local, pa.timestamp("s")), pa.string()), 10, 11, "T")
    stamps = pc.binary_join_element_wise(wall, _pick(labels, index.ravel()), "")
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), stamps)


def _dates(day_index: np.ndarray, period: _Period, missing: np.ndarray | None = None) -> pa.Array:
    """Day numbers relative to the period start as YYYY-MM-DD strings (null where missing)."""
    days = (np.datetime64(period.start, "D") + day_index.astype(np.int64)).astype("datetime64[D]")
    return pa.array(days, pa.date32(), mask=missing).cast(pa.string())


def _table(entity: Entity, columns: dict[str, pa.Array]) -> pa.Table:
    """A table with the entity's columns in contract order; a column a file may lack (may_be_absent) may be left out."""
    required = {c.name for c in entity.columns if not c.may_be_absent}
    if not required <= set(columns) <= set(entity.column_names):
        raise ValueError(f"{entity.name}: columns {sorted(columns)} do not match the contract")
    return pa.table({name: columns[name] for name in entity.column_names if name in columns})


def _insert_rows(table: pa.Table, inserts: list[tuple[int, dict]]) -> pa.Table:
    """Insert single rows (position, row as a dict) into a table; positions refer to the original."""
    pieces, last = [], 0
    for position, row in sorted(inserts, key=lambda item: item[0]):
        pieces += [table.slice(last, position - last), pa.Table.from_pylist([row], schema=table.schema)]
        last = position
    return pa.concat_tables(pieces + [table.slice(last)])
