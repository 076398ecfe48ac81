"""Read `raw.quarantine` the way a user asks about it: which rows of which file, why, and the top reasons.

The rows waiting for a parent (`raw.waiting`) and those left out on purpose (`raw.excluded`) read
the same way. A row can be held because of another rejected row: a message whose contact was
quarantined waits for it ("unknown contact_id"). Such knock-on rows are marked, so the user
fixes the parent row first. Reasons carry the offending value ("talk_seconds -42 is below the minimum 0");
the top reasons group them with the values masked, so one bad column counts once, not per value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.raw_tables import FILE_LOADS_TABLE, QUARANTINE_TABLE

# (RE2 pattern, replacement) applied in order: each masks the value a reason quotes.
VALUE_MASKS = (
    (r"^duplicate key .* in this file .*$", "duplicate key … in this file"),
    (r": .*$", ": …"),
    (r"'[^']*'", "'…'"),
    (r"^(\S+) \S+ is (below|above) the", r"\1 … is \2 the"),
)


@dataclass(frozen=True)
class QuarantinedRow:
    entity: str
    source_file: str
    source_row: int
    reasons: list[str]
    record: dict
    knock_on: str  # empty, or why the row is collateral damage of another quarantined row


@dataclass(frozen=True)
class ReasonCount:
    entity: str
    reason: str  # values masked
    rows: int
    knock_on_rows: int  # of them, rows whose parent was quarantined too
    files: list[str]


def _knock_on_sql() -> str:
    """A CASE naming the parent a quarantined row points at when that parent was quarantined too (else '')."""
    cases = []
    for entity in ENTITIES:
        for lookup in entity.lookups:
            parent = next(e for e in ENTITIES if e.name == lookup.entity)
            if len(parent.key) != 1 or parent.key[0] not in entity.column_names:
                continue
            key = parent.key[0]
            cases.append(
                f"when q.entity = '{entity.name}' and list_contains(q.reasons_text, 'unknown {key}') "
                f"and q.record->>'{key}' in (select record->>'{key}' from {QUARANTINE_TABLE} where entity = '{parent.name}') "
                f"then 'its {key} was quarantined in {parent.name}'"
            )
    return "case " + " ".join(cases) + " else '' end" if cases else "''"


def _masked(column: str) -> str:
    sql = column
    for pattern, replacement in VALUE_MASKS:
        sql = f"regexp_replace({sql}, '{pattern.replace(chr(39), chr(39) * 2)}', '{replacement.replace(chr(39), chr(39) * 2)}')"
    return sql


def _marked(where: str, table: str = QUARANTINE_TABLE) -> str:
    """Held rows (quarantined by default) with their knock-on mark; `reasons_text` lets the mark match a reason's start."""
    return f"""
        with q as (
            select *, list_transform(reasons, lambda r: split_part(r, ' (', 1)) as reasons_text
            from {table} {where}
        )
        select q.*, {_knock_on_sql()} as knock_on from q
    """


def quarantined_rows(con: duckdb.DuckDBPyConnection, entity: str | None = None, file: str | None = None,
                     limit: int | None = None, table: str = QUARANTINE_TABLE) -> list[QuarantinedRow]:
    """Rows in file order; `file` matches the stored path (`contacts/x.csv`) or just its name; `table`:
    raw.quarantine, raw.waiting or raw.excluded."""
    conditions, parameters = ["true"], []
    if entity:
        conditions.append("entity = ?")
        parameters.append(entity)
    if file:
        conditions.append("(_source_file = ? or _source_file like '%/' || ?)")
        parameters += [file, file]
    query = (f"select entity, _source_file, _source_row, reasons, record, knock_on "
             f"from ({_marked('where ' + ' and '.join(conditions), table)}) "
             f"order by entity, _source_file, _source_row" + (f" limit {int(limit)}" if limit else ""))
    return [QuarantinedRow(entity_, source_file, row, list(reasons), json.loads(record), knock_on)
            for entity_, source_file, row, reasons, record, knock_on in con.execute(query, parameters).fetchall()]


def top_reasons(con: duckdb.DuckDBPyConnection, loaded_since: datetime | None = None,
                limit: int = 5) -> tuple[int, list[ReasonCount]]:
    """The quarantined rows (of the files loaded since a moment, or all) and their commonest reasons."""
    where, parameters = "", []
    if loaded_since is not None:
        where = f"where _load_id in (select load_id from {FILE_LOADS_TABLE} where loaded_at >= ?)"
        parameters.append(loaded_since)
    total = con.execute(f"select count(*) from {QUARANTINE_TABLE} {where}", parameters).fetchone()[0]
    rows = con.execute(
        f"""
        with marked as ({_marked(where)}),
        reasons as (select entity, _source_file, knock_on, unnest(reasons) as reason from marked)
        select entity, {_masked('reason')} as masked, count(*) as n,
               count(*) filter (where knock_on <> '') as knock_on_rows,
               list(distinct _source_file order by _source_file) as files
        from reasons group by all order by n desc, entity, masked limit {int(limit)}
        """,
        parameters,
    ).fetchall()
    return total, [ReasonCount(entity, reason, n, knock_on, list(files)) for entity, reason, n, knock_on, files in rows]
