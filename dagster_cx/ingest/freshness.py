"""Source freshness: has each entity received new data as often as it should?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from dagster_cx.contract import Entity
from dagster_cx.ingest.raw_tables import FILE_LOADS_TABLE


@dataclass(frozen=True)
class Freshness:
    entity: str
    expected_every_hours: int
    last_new_data_at: datetime | None  # the latest load of a file holding rows
    hours_since: float | None

    @property
    def is_fresh(self) -> bool:
        return self.hours_since is not None and self.hours_since <= self.expected_every_hours

    def describe(self) -> str:
        if self.last_new_data_at is None:
            return (f"{self.entity}: no file with rows has ever been loaded; expected one every "
                    f"{self.expected_every_hours} h. Check the export feeding CX_DATA_DIR/{self.entity}/.")
        verdict = "fresh" if self.is_fresh else "STALE"
        advice = "" if self.is_fresh else f" Check the export feeding CX_DATA_DIR/{self.entity}/."
        return (f"{self.entity}: {verdict}, last new data {self.hours_since:.1f} h ago "
                f"({self.last_new_data_at.isoformat(timespec='seconds')}); expected every "
                f"{self.expected_every_hours} h.{advice}")


def freshness(con: duckdb.DuckDBPyConnection, entity: Entity, now: datetime) -> Freshness:
    """When the entity last received a file with rows (re-sent or empty files don't count)."""
    if entity.expected_every_hours is None:
        raise ValueError(f"{entity.name} has no freshness expectation in the contract")
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = '_file_loads'"
    ).fetchall()[0][0]
    last = None
    if exists:
        last = con.execute(
            f"select max(loaded_at) from {FILE_LOADS_TABLE} where entity = ? and rows_read > 0", [entity.name]
        ).fetchall()[0][0]
    hours = None if last is None else (now - last).total_seconds() / 3600
    return Freshness(entity.name, entity.expected_every_hours, last, hours)
