"""Source freshness: has each entity received new data as often as it should?

An entity the deployment never set up (a team with contact-center data and no surveys, or
the reverse) is not stale: it has no folder in the data directory, no configured source
system feeds it and no file of it was ever loaded. Freshness says so instead of warning
every run, and its marts stay empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from dagster_cx.contract import Entity
from dagster_cx.ingest.raw_tables import FILE_LOADS_TABLE


@dataclass(frozen=True)
class Freshness:
    entity: str
    expected_every_hours: int
    last_new_data_at: datetime | None  # the latest load of a file holding rows
    hours_since: float | None
    is_configured: bool = True  # False: no folder CX_DATA_DIR/<entity>/, no source feeding it, nothing ever loaded
    sources: tuple[str, ...] = ()  # the configured source systems that feed it (zendesk, survey_exports, ...)

    @property
    def is_fresh(self) -> bool:
        return self.hours_since is not None and self.hours_since <= self.expected_every_hours

    @property
    def is_stale(self) -> bool:
        """What the check warns about: late data of an entity the deployment feeds."""
        return self.is_configured and not self.is_fresh

    def describe(self) -> str:
        if not self.is_configured:
            return (f"{self.entity}: not configured (no folder CX_DATA_DIR/{self.entity}/, no source system feeding "
                    "it and no file of it ever loaded), so not checked; its marts stay empty. To feed it, put its "
                    "export in that folder or configure a source system (README, \"Connect ...\").")
        feeds = f"CX_DATA_DIR/{self.entity}/" + "".join(f" and the {name} source" for name in self.sources)
        if self.last_new_data_at is None:
            return (f"{self.entity}: no file with rows has ever been loaded; expected one every "
                    f"{self.expected_every_hours} h. Check the export feeding {feeds}.")
        verdict = "fresh" if self.is_fresh else "STALE"
        advice = "" if self.is_fresh else f" Check what feeds {feeds}."
        return (f"{self.entity}: {verdict}, last new data {self.hours_since:.1f} h ago "
                f"({self.last_new_data_at.isoformat(timespec='seconds')}); expected every "
                f"{self.expected_every_hours} h.{advice}")


def freshness(con: duckdb.DuckDBPyConnection, entity: Entity, now: datetime, data_dir: Path,
              sources: tuple[str, ...] = ()) -> Freshness:
    """When the entity last received a file with rows (re-sent or empty files don't count); `sources`:
    the configured source systems that feed it."""
    if entity.expected_every_hours is None:
        raise ValueError(f"{entity.name} has no freshness expectation in the contract")
    last = None
    if _has_load_log(con):
        last = con.execute(
            f"select max(loaded_at) from {FILE_LOADS_TABLE} where entity = ? and rows_read > 0", [entity.name]
        ).fetchall()[0][0]
    hours = None if last is None else (now - last).total_seconds() / 3600
    configured = bool(sources) or entity.name not in unconfigured_entities(con, data_dir, [entity.name])
    return Freshness(entity.name, entity.expected_every_hours, last, hours, configured, sources)


def unconfigured_entities(con: duckdb.DuckDBPyConnection, data_dir: Path, names: list[str]) -> list[str]:
    """Those of `names` with no folder in data_dir and no file ever loaded (an empty one counts as loaded).

    A folder that exists but stays empty is a feed set up and not delivering: stale, not unconfigured.
    So is a feed whose folder went away after files of it were loaded.
    """
    loaded = set()
    if _has_load_log(con):
        loaded = {row[0] for row in con.execute(f"select distinct entity from {FILE_LOADS_TABLE}").fetchall()}
    return [name for name in names if name not in loaded and not (data_dir / name).is_dir()]


def _has_load_log(con: duckdb.DuckDBPyConnection) -> bool:
    """A warehouse that never ran ingestion has no raw._file_loads yet."""
    return con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = '_file_loads'"
    ).fetchall()[0][0] > 0
