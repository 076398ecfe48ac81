"""Rows that wait for their parent: loaded when it arrives, never lost to the quarantine.

A status change or a message names a contact, an answer a survey response and a question, an
opt-out a customer. When that parent is not loaded yet (a contacts file arrived cut short, a
vendor API delivers a ticket's events before the ticket), the row waits in `raw.waiting` with
the record as read. Each time its entity loads, the waiting rows are checked again against
everything loaded by then: a row whose parents are all there loads (under a release load id,
so the incremental dbt build picks it up), one that now breaks another rule (a status change
before its contact's creation) goes to the quarantine, one whose key a newer version took in
the meantime is excluded as superseded, and the rest go on waiting. Every release is logged in
`raw._waiting_releases`, so each file's rows still reconcile: read = loaded + released +
waiting + quarantined + excluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from dagster_cx.contract import WAIT, Entity
from dagster_cx.ingest import validation
from dagster_cx.ingest.raw_tables import (
    EXCLUDED_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    RELEASES_TABLE,
    WAITING_TABLE,
    next_load_id,
)
from dagster_cx.ingest.plausibility import Limits
from dagster_cx.warehouse import sql_literal

SUPERSEDED = "superseded: a newer version of its key was loaded while this one waited for its parent"


@dataclass(frozen=True)
class Release:
    load_id: int | None  # None: nothing waited, or nothing could be settled
    loaded: int = 0
    quarantined: int = 0
    superseded: int = 0
    still_waiting: int = 0


def can_wait(entity: Entity) -> bool:
    return any(rule.on_failure == WAIT for rule in entity.rules)


def release_waiting(con: duckdb.DuckDBPyConnection, entity: Entity, limits: Limits) -> Release:
    """Check the entity's waiting rows again and settle each one it can, in one transaction."""
    if not can_wait(entity):
        return Release(None)
    waiting = con.execute(f"select count(*) from {WAITING_TABLE} where entity = ?", [entity.name]).fetchall()[0][0]
    if not waiting:
        return Release(None)
    con.execute("begin transaction")
    try:
        release = _release(con, entity, limits)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return release


def _release(con: duckdb.DuckDBPyConnection, entity: Entity, limits: Limits) -> Release:
    load_id, now = next_load_id(con), datetime.now(UTC)
    texts = ", ".join(f"record->>{sql_literal(c)} as {c}" for c in entity.column_names)
    key = ", ".join(f"record->>{sql_literal(k)}" for k in entity.key)
    raw_key = " and ".join(f"newer.{k}::varchar = held.{k}" for k in entity.key)
    con.execute(
        f"""
        create or replace temp table held as
        select _load_id as _origin_load_id, _source_file as _origin_file, _source_row as _origin_row,
               _loaded_at as _origin_loaded_at, record, {texts},
               row_number() over (partition by {key} order by _load_id desc, _source_row desc) > 1 as _newer_waits
        from {WAITING_TABLE} where entity = ?
        """,
        [entity.name],
    )
    con.execute(
        f"""
        create or replace temp table held as
        select held.*, _newer_waits or exists (
                   select 1 from {RAW_SCHEMA}.{entity.name} as newer where {raw_key} and newer._load_id > held._origin_load_id
               ) as _superseded,
               row_number() over (order by _origin_load_id, _origin_row) as _source_row
        from held
        """
    )
    con.execute(f"create or replace temp table incoming as select _source_row, {', '.join(entity.column_names)} "
                "from held where not _superseded")
    con.execute(f"create or replace temp table checked as {validation.checked_rows_sql(entity, RAW_SCHEMA, limits, now)}")
    con.execute(
        """
        create or replace temp table settled as
        select held._origin_load_id, held._origin_file, held._origin_row, held._origin_loaded_at, held.record,
               checked.* exclude (_source_row),
               case when held._superseded then 'excluded'
                    when len(checked._reasons) > 0 then 'quarantine'
                    when len(checked._waits) > 0 then 'waiting'
                    else 'loaded' end as _place,
               case when held._superseded then [$1]
                    else list_concat(checked._reasons, checked._waits) end as _held_for
        from held left join checked using (_source_row)
        """,
        [SUPERSEDED],
    )
    typed = ", ".join(entity.column_names)
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.{entity.name} ({typed}, _load_id, _source_file, _source_row, _loaded_at)
        select {typed}, $1, _origin_file, _origin_row, $2 from settled where _place = 'loaded'
        """,
        [load_id, now],
    )
    for place, table in (("quarantine", QUARANTINE_TABLE), ("excluded", EXCLUDED_TABLE)):
        con.execute(
            f"""
            insert into {table}
            select $1, _origin_load_id, _origin_file, _origin_row, _origin_loaded_at, record, _held_for,
                   array_to_string(_held_for, '; ')
            from settled where _place = $2
            """,
            [entity.name, place],
        )
    # What a row still waits for may have changed (an answer's response arrived, its question not).
    con.execute(
        f"""
        update {WAITING_TABLE} as w set reasons = s._held_for, reason = array_to_string(s._held_for, '; ')
        from settled as s
        where w.entity = $1 and w._load_id = s._origin_load_id and w._source_row = s._origin_row
          and s._place = 'waiting'
        """,
        [entity.name],
    )
    con.execute(
        f"""
        delete from {WAITING_TABLE} as w
        where w.entity = $1 and exists (
            select 1 from settled as s
            where s._origin_load_id = w._load_id and s._origin_row = w._source_row and s._place <> 'waiting'
        )
        """,
        [entity.name],
    )
    counts = con.execute(
        f"""
        insert into {RELEASES_TABLE}
        select $1, $2, _origin_load_id, count(*) filter (where _place = 'loaded'),
               count(*) filter (where _place = 'quarantine'), count(*) filter (where _place = 'excluded'), $3
        from settled group by _origin_load_id having count(*) filter (where _place <> 'waiting') > 0
        """,
        [load_id, entity.name, now],
    ).fetchall()
    totals = dict(con.execute("select _place, count(*) from settled group by 1").fetchall())
    return Release(
        load_id if counts and counts[0][0] else None, totals.get("loaded", 0), totals.get("quarantine", 0),
        totals.get("excluded", 0), totals.get("waiting", 0),
    )


@dataclass(frozen=True)
class WaitingRows:
    """What waits for a parent, per entity: how many rows, since when, and for what."""

    entity: str
    rows: int
    oldest_loaded_at: datetime
    top_reasons: list[tuple[str, int]]
    # Rows whose parent did arrive but was quarantined: they wait for its fixed version.
    parent_quarantined: int

    def hours_waited(self, now: datetime) -> float:
        return (now - self.oldest_loaded_at).total_seconds() / 3600


# Per waiting entity: SQL that is true for a waiting row `w` whose parent key sits in the quarantine.
PARENT_IN_QUARANTINE = {
    "contact_status_changes": ("contacts", "contact_id"),
    "contact_messages": ("contacts", "contact_id"),
    "survey_answers": ("survey_responses", "response_id"),
    "survey_opt_outs": ("customers", "customer_id"),
}


def waiting_rows(con: duckdb.DuckDBPyConnection) -> list[WaitingRows]:
    """Every entity with waiting rows, most rows first."""
    found = []
    for entity, rows, oldest in con.execute(
        f"select entity, count(*), min(_loaded_at) from {WAITING_TABLE} group by 1 order by 2 desc, 1"
    ).fetchall():
        reasons = con.execute(
            f"select unnest(reasons) as reason, count(*) from {WAITING_TABLE} where entity = ? "
            "group by 1 order by 2 desc, 1 limit 5",
            [entity],
        ).fetchall()
        parent = 0
        if entity in PARENT_IN_QUARANTINE:
            parent_entity, column = PARENT_IN_QUARANTINE[entity]
            parent = con.execute(
                f"""
                select count(*) from {WAITING_TABLE} as w
                where w.entity = ? and w.record->>'{column}' in (
                    select record->>'{column}' from {QUARANTINE_TABLE} where entity = ?
                )
                """,
                [entity, parent_entity],
            ).fetchall()[0][0]
        found.append(WaitingRows(entity, rows, oldest, reasons, parent))
    return found
