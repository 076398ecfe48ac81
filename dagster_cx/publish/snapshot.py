"""Write a complete snapshot of the marts to a new DuckDB file and Parquet folder, then swap it in.

BI tools must never open the file the pipeline writes (DuckDB's one-writer lock would block
one side) and must never see half a snapshot. So each publish builds a new DuckDB file beside
the published one and renames it over it (atomic on one filesystem: a reader holds the old
file or opens the new one), and writes Parquet into a new versioned folder that a `current`
symlink is switched to, also by an atomic rename.

A one-day build changes a few thousand of the large facts' millions of rows, so copying them
whole was most of an incremental run's publish (25 s of 40 s at size L). The new file therefore
starts as a copy of the published one, and each large fact (DELTA_KEYS) has only the keys whose
rows differ replaced, found by comparing a hash of every published column per key. Every other
table is copied whole. Replaced rows leave free blocks in the file, so a snapshot with too many
(MAX_FREE_BLOCK_SHARE, FREE_BYTES_WORTH_REWRITING) is written anew instead, as is the first one.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_cx import warehouse
from dagster_cx.warehouse import sql_literal

PUBLISHED_SCHEMA = "marts"
SNAPSHOT_TABLE = "main.snapshot_info"
PARQUET_SNAPSHOTS_KEPT = 3
# Free text can hold what a respondent typed about themselves: mask the obvious identifiers.
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# International numbers (+ and 8+ digits) and local 3-3-3/4 groups; dates (2026-03-01) are left alone.
PHONE_PATTERN = r"\+\d[\d ().-]{6,}\d|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{3,4}\b"
# The large facts, updated by key from the previous snapshot: table -> the columns that identify a row.
DELTA_KEYS = {
    "fct_contacts": ("contact_id",),
    "fct_contact_sla_policies": ("contact_id", "metric"),
    "fct_survey_responses": ("response_id",),
}
# A previous snapshot whose file has more free blocks than this share (rows replaced by earlier
# updates), and more free space than FREE_BYTES_WORTH_REWRITING, is not reused: the publish
# writes every table into a new file. (A small new file has free blocks too: 44% of the
# hand-made fixture's.)
MAX_FREE_BLOCK_SHARE = 0.25
FREE_BYTES_WORTH_REWRITING = 64 * 2**20
MASKED_TEXT_COLUMNS = {
    ("fct_survey_responses", "comment_text"),
    ("detractor_followups", "comment_text"),
    ("mart_memorable_experiences", "delayed_comment_text"),
}


@dataclass(frozen=True)
class PublishResult:
    database: Path
    parquet_dir: Path
    built_at: datetime
    run_id: str
    row_counts: dict[str, int]
    # How the DuckDB snapshot was made: "new file" or "updated" (and why not, in `reason`).
    mode: str = "new file"
    reason: str = ""
    # Per large fact updated by key: how many keys had their rows replaced.
    replaced_keys: dict[str, int] = field(default_factory=dict)


def mask_personal_data_sql(column: str) -> str:
    """SQL that replaces e-mail addresses and phone numbers in a text column."""
    return (
        f"regexp_replace(regexp_replace({column}, '{EMAIL_PATTERN}', '[email]', 'g'), "
        f"'{PHONE_PATTERN}', '[phone]', 'g')"
    )


def publish(source: Path, published: Path, run_id: str, reuse_previous: bool = True) -> PublishResult:
    """Copy every table of the source's marts schema into a new snapshot and swap it in.

    With `reuse_previous`, the new snapshot starts from the published one when it can (module
    docstring); the result is the same table for table, and the Parquet file of a large fact
    that did not change is linked from the previous snapshot rather than written again.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    built_at = datetime.now(UTC)
    staging_file = published.with_name(f".{published.name}.{uuid.uuid4().hex}.tmp")
    parquet_root = parquet_dir_for(published)
    parquet_snapshot = parquet_root / "snapshots" / f"{built_at:%Y%m%dT%H%M%S%fZ}_{run_id[:8]}"
    parquet_snapshot.mkdir(parents=True)
    previous_parquet, reason = (
        _reusable_snapshot(published, parquet_root) if reuse_previous else (None, "a new file was asked for")
    )
    try:
        if previous_parquet is not None:
            shutil.copyfile(published, staging_file)
        with warehouse.connect(staging_file) as con:
            # A table's rows have no order to keep, and keeping it makes each Parquet write wait
            # for the row groups in sequence: at L, 13.6 → 7.6 s for fct_contact_sla_policies.
            con.execute("set preserve_insertion_order = false")
            con.execute(f"attach {sql_literal(str(source))} as source (read_only)")
            tables = _tables(con, "source")
            if not tables:
                raise RuntimeError(f"{source} has no {PUBLISHED_SCHEMA} tables: build the marts before publishing.")
            con.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
            previous_tables = set(_tables(con, _database_name(con)))
            for gone in sorted(previous_tables - set(tables)):
                con.execute(f"drop table {PUBLISHED_SCHEMA}.{gone}")
            row_counts, replaced_keys = {}, {}
            for table in tables:
                select = published_select(con, table)
                if table in DELTA_KEYS and table in previous_tables and _same_columns(con, table):
                    replaced_keys[table] = _replace_changed_keys(con, table, select, DELTA_KEYS[table])
                else:
                    con.execute(f"create or replace table {PUBLISHED_SCHEMA}.{table} as {select}")
                _copy_comments(con, table)
                parquet_file = parquet_snapshot / f"{table}.parquet"
                unchanged = previous_parquet is not None and replaced_keys.get(table) == 0
                if not (unchanged and _link(previous_parquet / parquet_file.name, parquet_file)):
                    con.execute(f"copy {PUBLISHED_SCHEMA}.{table} to {sql_literal(str(parquet_file))} (format parquet)")
                row_counts[table] = con.execute(f"select count(*) from {PUBLISHED_SCHEMA}.{table}").fetchall()[0][0]
            _check_row_counts(con, replaced_keys, row_counts)
            con.execute(
                f"create or replace table {SNAPSHOT_TABLE} as select ?::timestamptz as built_at, ? as run_id, "
                "?::json as row_counts, ? as parquet_snapshot",
                [built_at, run_id, json.dumps(row_counts, sort_keys=True), parquet_snapshot.name],
            )
            con.execute("detach source")
            con.execute("checkpoint")
        os.replace(staging_file, published)
    except BaseException:
        staging_file.unlink(missing_ok=True)
        shutil.rmtree(parquet_snapshot, ignore_errors=True)
        raise
    _switch_current(parquet_root, parquet_snapshot)
    mode = "updated" if previous_parquet is not None else "new file"
    return PublishResult(published, parquet_root / "current", built_at, run_id, row_counts, mode, reason, replaced_keys)


def _database_name(con) -> str:
    return con.execute("select current_database()").fetchall()[0][0]


def _tables(con, database: str) -> list[str]:
    return [row[0] for row in con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by table_name",
        [database, PUBLISHED_SCHEMA],
    ).fetchall()]


def _reusable_snapshot(published: Path, parquet_root: Path) -> tuple[Path | None, str]:
    """The previous snapshot's Parquet folder when the published file can be updated, else None;
    and why (for the asset's metadata)."""
    if not published.exists():
        return None, "no snapshot was published yet"
    try:
        with warehouse.connect(published, read_only=True) as con:
            free, total, block_size = con.execute(
                "select free_blocks, total_blocks, block_size from pragma_database_size() "
                "where database_name = current_database()"
            ).fetchall()[0]
            info = con.execute(
                "select column_name from duckdb_columns() where schema_name = 'main' and table_name = 'snapshot_info'"
            ).fetchall()
            parquet_name = (con.execute(f"select parquet_snapshot from {SNAPSHOT_TABLE}").fetchall()[0][0]
                            if ("parquet_snapshot",) in info else None)
    except duckdb.Error as error:
        return None, f"the published file could not be read ({error})"
    if parquet_name is None:
        return None, "the published snapshot predates updating by key"
    # The DuckDB file and the Parquet folder are swapped one after the other: both must be this snapshot.
    if (parquet_root / "current").resolve() != (parquet_root / "snapshots" / parquet_name).resolve():
        return None, "the current Parquet folder is not the published snapshot's"
    if total and free / total > MAX_FREE_BLOCK_SHARE and free * block_size > FREE_BYTES_WORTH_REWRITING:
        return None, f"{free / total:.0%} of the published file's blocks are free (rows replaced before)"
    return parquet_root / "snapshots" / parquet_name, "the published snapshot was updated by key"


def _same_columns(con, table: str) -> bool:
    """Whether the published table has the source's columns, names and types, in order."""
    sql = ("select list(column_name || ' ' || data_type order by column_index) from duckdb_columns() "
           "where database_name = ? and schema_name = ? and table_name = ?")
    source = con.execute(sql, ["source", PUBLISHED_SCHEMA, table]).fetchall()[0][0]
    return source == con.execute(sql, [_database_name(con), PUBLISHED_SCHEMA, table]).fetchall()[0][0]


def _replace_changed_keys(con, table: str, select: str, keys: tuple[str, ...]) -> int:
    """Replace the rows of every key whose rows differ between the source and the published table;
    return how many keys. Rows are compared by a 64-bit hash of all their columns (after masking),
    so a change goes unseen only if the old and the new row's hashes collide. A key with several
    rows (which the quality gate does not let through) pairs each with each, so it is replaced too."""
    key_list = ", ".join(keys)
    columns = [row[0] for row in con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ? "
        "order by column_index", [_database_name(con), PUBLISHED_SCHEMA, table],
    ).fetchall()]
    row_hash = f"hash({', '.join(columns)})"
    con.execute(
        f"""
        create or replace temp table changed_keys as
        with
        source_rows as (select {key_list}, {row_hash} as row_hash from ({select})),
        published_rows as (select {key_list}, {row_hash} as row_hash from {PUBLISHED_SCHEMA}.{table})
        select distinct {key_list}
        from source_rows
        full join published_rows using ({key_list})
        where source_rows.row_hash is distinct from published_rows.row_hash
        """
    )
    changed = con.execute("select count(*) from changed_keys").fetchall()[0][0]
    if changed:
        is_changed = f"({key_list}) in (select ({key_list}) from changed_keys)"
        con.execute(f"delete from {PUBLISHED_SCHEMA}.{table} where {is_changed}")
        con.execute(f"insert into {PUBLISHED_SCHEMA}.{table} select * from ({select}) where {is_changed}")
    con.execute("drop table changed_keys")
    return changed


def _check_row_counts(con, updated: dict[str, int], row_counts: dict[str, int]) -> None:
    """An updated table must hold as many rows as its source, or the update missed something."""
    for table in updated:
        expected = con.execute(f"select count(*) from source.{PUBLISHED_SCHEMA}.{table}").fetchall()[0][0]
        if row_counts[table] != expected:
            raise RuntimeError(
                f"Publishing {table} by key left {row_counts[table]} rows where the marts hold {expected}, so "
                "nothing was published and the last snapshot stays. Run a full refresh (`cx-warehouse run "
                "--full-refresh`), which publishes a new file, and report this as a bug."
            )


def _link(previous: Path, new: Path) -> bool:
    """Hard-link an unchanged table's Parquet file from the previous snapshot; False if not possible."""
    if not previous.is_file():
        return False
    try:
        os.link(previous, new)
    except OSError:
        return False
    return True


def parquet_dir_for(published: Path) -> Path:
    """Parquet lives beside the published file: `<stem>_parquet/current/<table>.parquet`."""
    return published.with_name(f"{published.stem}_parquet")


def published_select(con, table: str) -> str:
    """The query publishing copies a mart with, from the warehouse attached as `source`: every
    column, free text masked."""
    columns = [row[0] for row in con.execute(
        "select column_name from duckdb_columns() where database_name = 'source' and schema_name = ? "
        "and table_name = ? order by column_index",
        [PUBLISHED_SCHEMA, table],
    ).fetchall()]
    expressions = [
        f"{mask_personal_data_sql(c)} as {c}" if (table, c) in MASKED_TEXT_COLUMNS else c for c in columns
    ]
    return f"select {', '.join(expressions)} from source.{PUBLISHED_SCHEMA}.{table}"


def _copy_comments(con, table: str) -> None:
    """Carry the table and column descriptions over, so BI tools reading the snapshot see the docs."""
    described = con.execute(
        "select null, comment from duckdb_tables() where database_name = 'source' and schema_name = ? "
        "and table_name = ? and comment is not null "
        "union all select column_name, comment from duckdb_columns() where database_name = 'source' "
        "and schema_name = ? and table_name = ? and comment is not null",
        [PUBLISHED_SCHEMA, table, PUBLISHED_SCHEMA, table],
    ).fetchall()
    for column, comment in described:
        target = f"table {PUBLISHED_SCHEMA}.{table}" if column is None else f"column {PUBLISHED_SCHEMA}.{table}.{column}"
        con.execute(f"comment on {target} is {sql_literal(comment)}")


def _switch_current(parquet_root: Path, snapshot: Path) -> None:
    """Point `current` at the new snapshot with one rename, then drop all but the newest few."""
    link_tmp = parquet_root / f".current.{uuid.uuid4().hex}"
    link_tmp.symlink_to(snapshot.relative_to(parquet_root), target_is_directory=True)
    os.replace(link_tmp, parquet_root / "current")
    snapshots = sorted((parquet_root / "snapshots").iterdir())
    for old in snapshots[:-PARQUET_SNAPSHOTS_KEPT]:
        shutil.rmtree(old, ignore_errors=True)
