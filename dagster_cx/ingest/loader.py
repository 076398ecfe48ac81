"""Load raw files into the `raw` schema, one atomic transaction per file.

Every row read ends in exactly one place: the entity's raw table (typed, with its lineage),
`raw.quarantine` (the original record and the reasons it broke the contract), `raw.waiting`
(its parent, a contact or a survey response, is not loaded yet: it loads when the parent
arrives, dagster_cx.ingest.waiting) or `raw.excluded` (a source left it out on purpose, with
why). A file is identified by its content hash, so loading it again adds nothing. A file
whose path, size and modification time equal a loaded one's is known without reading it (as
make and rsync decide), so a run with no new data does not hash gigabytes of files it has
seen. Sources that are not files in the contract's shape (a vendor's API or export) map their
records onto the contract and pass them through the same gate with `load_batch`. The loader is
plain Python over a DuckDB connection, so Dagster, the CLI and the tests share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_cx.contract import Entity
from dagster_cx.ingest import validation
from dagster_cx.ingest.file_scan import csv_problem, parquet_problem, scan_file
from dagster_cx.ingest.plausibility import Limits, configured_limits
from dagster_cx.ingest.raw_tables import (
    EXCLUDED_TABLE,
    FILE_LOADS_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    WAITING_TABLE,
    next_load_id,
)
from dagster_cx.ingest.waiting import release_waiting

SUPPORTED_SUFFIXES = (".csv", ".parquet")
# Optional columns of a source's batch (load_batch): why a record is left out on purpose, the
# vendor's own record, kept with a quarantined or waiting row, and what the source's mapping
# could not make of it (a label it has no value for): a quarantine reason beside the contract's.
EXCLUDE_REASON_COLUMN = "_exclude_reason"
SOURCE_RECORD_COLUMN = "_source_record"
MAPPING_PROBLEM_COLUMN = "_mapping_problem"


class FileLoadError(RuntimeError):
    """A file that cannot be loaded at all; nothing of it was written."""


@dataclass(frozen=True)
class FileLoadResult:
    source_file: str
    file_hash: str
    skipped: bool  # already loaded: same content hash
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_waiting: int = 0
    rows_excluded: int = 0
    row_flags: dict[str, int] = field(default_factory=dict)


@dataclass
class EntityLoadResult:
    entity: str
    files: list[FileLoadResult] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    # Rows that waited for a parent and were settled in this load (dagster_cx.ingest.waiting).
    released: int = 0
    released_to_quarantine: int = 0
    released_superseded: int = 0

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rows_waiting(self) -> int:
        return sum(f.rows_waiting for f in self.files)

    @property
    def rows_excluded(self) -> int:
        return sum(f.rows_excluded for f in self.files)

    @property
    def row_flags(self) -> dict[str, int]:
        flags: dict[str, int] = {}
        for loaded in self.files:
            for reason, count in loaded.row_flags.items():
                flags[reason] = flags.get(reason, 0) + count
        return flags

    @property
    def files_loaded(self) -> int:
        return sum(not f.skipped for f in self.files)

    @property
    def files_skipped(self) -> int:
        return sum(f.skipped for f in self.files)


def discover_files(data_dir: Path, entity: Entity) -> list[Path]:
    """The entity's files in load order: sorted by name, so dated file names load in time order."""
    folder = data_dir / entity.name
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def load_entity(
    con: duckdb.DuckDBPyConnection, entity: Entity, data_dir: Path, limits: Limits | None = None,
) -> EntityLoadResult:
    """Load every new file of one entity; a file that cannot be read is reported, not half-loaded.

    Rows that waited for a parent are settled first: parents loaded since (by an earlier entity
    of this run, or of a past one) let them load, before this entity's new files are read.
    """
    limits = limits or configured_limits()
    result = EntityLoadResult(entity=entity.name)
    released = release_waiting(con, entity, limits)
    result.released, result.released_to_quarantine, result.released_superseded = (
        released.loaded, released.quarantined, released.superseded)
    for path in discover_files(data_dir, entity):
        try:
            result.files.append(load_file(con, entity, path, data_dir, limits))
        except FileLoadError as error:
            result.failures[_display_path(path, data_dir)] = str(error)
    return result


def load_file(
    con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, data_dir: Path, limits: Limits | None = None,
) -> FileLoadResult:
    """Validate one file and write its rows to their places, atomically."""
    source_file = _display_path(path, data_dir)
    stat = path.stat()
    seen = con.execute(
        f"select file_hash from {FILE_LOADS_TABLE} where entity = ? and source_file = ? and file_bytes = ? "
        "and file_mtime_ns = ?",
        [entity.name, source_file, stat.st_size, stat.st_mtime_ns],
    ).fetchall()
    if seen:
        return FileLoadResult(source_file=source_file, file_hash=seen[0][0], skipped=True)
    scan = scan_file(path)
    already = con.execute(
        f"select source_file from {FILE_LOADS_TABLE} where entity = ? and file_hash = ?", [entity.name, scan.sha256]
    ).fetchall()
    if already:
        if already[0][0] == source_file:  # touched, not changed: known by stat from now on
            con.execute(
                f"update {FILE_LOADS_TABLE} set file_mtime_ns = ? where entity = ? and file_hash = ?",
                [stat.st_mtime_ns, entity.name, scan.sha256],
            )
        return FileLoadResult(source_file=source_file, file_hash=scan.sha256, skipped=True)
    problem = csv_problem(path, scan) if path.suffix.lower() == ".csv" else parquet_problem(path, scan)
    if problem:
        raise FileLoadError(_cannot_load(path, entity, problem))

    con.execute("begin transaction")
    try:
        _read_into_incoming(con, entity, path)
        result = _gate(con, entity, source_file, scan.sha256, stat.st_size, stat.st_mtime_ns, limits)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def load_batch(
    con: duckdb.DuckDBPyConnection, entity: Entity, source_name: str, batch_hash: str, rows: pa.Table,
    limits: Limits | None = None,
) -> FileLoadResult:
    """Gate rows a source mapped onto the contract, as a file's rows are, in one transaction.

    `rows` holds the entity's columns as text (a missing optional column reads as empty), in
    the source's order (`_source_row` is the position), optionally `_exclude_reason` (left out
    on purpose: a survey preview, a deleted ticket), `_source_record` (the vendor's record,
    kept with a quarantined or waiting row) and `_mapping_problem` (a quarantine reason the
    source's mapping found, beside the contract's own). `source_name` names the batch in the load log
    (`qualtrics/SV_1/2026-12-07T05:00:00Z`); a batch whose hash was loaded before adds nothing.
    """
    already = con.execute(
        f"select source_file from {FILE_LOADS_TABLE} where entity = ? and file_hash = ?", [entity.name, batch_hash]
    ).fetchall()
    if already:
        return FileLoadResult(source_file=source_name, file_hash=batch_hash, skipped=True)
    con.execute("begin transaction")
    try:
        con.register("incoming_batch", rows)
        con.execute("create or replace temp table incoming as select *, row_number() over () as _source_row "
                    "from incoming_batch")
        con.unregister("incoming_batch")
        con.execute("create or replace temp table rejected_lines (line bigint, csv_line varchar, reason varchar)")
        _require_columns(con, entity, lambda problem: f"Cannot load the batch {source_name} as {entity.name}: "
                         f"{problem}. The source's mapping onto the contract is wrong; report it with this message.")
        result = _gate(con, entity, source_name, batch_hash, rows.nbytes, None, limits)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def _gate(
    con: duckdb.DuckDBPyConnection, entity: Entity, source_file: str, file_hash: str, file_bytes: int,
    file_mtime_ns: int | None, limits: Limits | None,
) -> FileLoadResult:
    """Send each row of temp table `incoming` to its place and log the load; inside the caller's transaction."""
    limits = limits or configured_limits()
    load_id = next_load_id(con)
    loaded_at = datetime.now(UTC)
    lineage = [load_id, source_file, loaded_at]
    con.execute(f"create or replace temp table checked as {validation.checked_rows_sql(entity, RAW_SCHEMA, limits, loaded_at)}")
    columns = {row[0] for row in con.execute("select column_name from (describe incoming)").fetchall()}
    excluded = f"incoming.{EXCLUDE_REASON_COLUMN}" if EXCLUDE_REASON_COLUMN in columns else "cast(null as varchar)"
    record = validation.record_sql(entity, with_source_record=SOURCE_RECORD_COLUMN in columns)
    # The mapping's problem first: it is the cause of any contract reason that follows from it.
    reasons = (f"list_concat(list_filter([incoming.{MAPPING_PROBLEM_COLUMN}], lambda r: r is not null), checked._reasons)"
               if MAPPING_PROBLEM_COLUMN in columns else "checked._reasons")
    con.execute(
        f"""
        create or replace temp table routed as
        with held as (
            select checked.* replace ({reasons} as _reasons), {record} as _record, {excluded} as _excluded
            from checked join incoming using (_source_row)
        )
        select * exclude (_excluded),
               case when _excluded is not null then 'excluded'
                    when len(_reasons) > 0 then 'quarantine'
                    when len(_waits) > 0 then 'waiting'
                    else 'loaded' end as _place,
               case when _excluded is not null then [_excluded] else list_concat(_reasons, _waits) end as _held_for
        from held
        """
    )
    typed = ", ".join(entity.column_names)
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.{entity.name} ({typed}, _load_id, _source_file, _source_row, _loaded_at)
        select {typed}, $1, $2, _source_row, $3 from routed where _place = 'loaded'
        """,
        lineage,
    )
    for place, table in (("quarantine", QUARANTINE_TABLE), ("waiting", WAITING_TABLE), ("excluded", EXCLUDED_TABLE)):
        con.execute(
            f"""
            insert into {table}
            select $4, $1, $2, _source_row, $3, _record, _held_for, array_to_string(_held_for, '; ')
            from routed where _place = $5
            """,
            [*lineage, entity.name, place],
        )
    con.execute(
        f"""
        insert into {QUARANTINE_TABLE}
        select $4, $1, $2, line, $3, to_json(csv_line), [reason], reason from rejected_lines
        """,
        [*lineage, entity.name],
    )
    counts = dict(con.execute("select _place, count(*) from routed group by 1").fetchall())
    counts["quarantine"] = counts.get("quarantine", 0) + con.execute("select count(*) from rejected_lines").fetchall()[0][0]
    flags = dict(con.execute(
        "select flag, count(*) from (select unnest(_flags) as flag from routed where _place = 'loaded') "
        "group by 1 order by 1"
    ).fetchall())
    result = FileLoadResult(
        source_file, file_hash, False, rows_read=sum(counts.values()), rows_loaded=counts.get("loaded", 0),
        rows_quarantined=counts["quarantine"], rows_waiting=counts.get("waiting", 0),
        rows_excluded=counts.get("excluded", 0), row_flags=flags,
    )
    con.execute(
        f"""
        insert into {FILE_LOADS_TABLE} (load_id, entity, source_file, file_hash, file_bytes, rows_read, rows_loaded,
                                        rows_quarantined, loaded_at, file_mtime_ns, rows_waiting, rows_excluded,
                                        row_flags)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [load_id, entity.name, source_file, file_hash, file_bytes, result.rows_read, result.rows_loaded,
         result.rows_quarantined, loaded_at, file_mtime_ns, result.rows_waiting, result.rows_excluded,
         _json(flags)],
    )
    return result


def _json(flags: dict[str, int]) -> str | None:
    return json.dumps(flags, ensure_ascii=False) if flags else None


def _read_into_incoming(con: duckdb.DuckDBPyConnection, entity: Entity, path: Path) -> None:
    """Read the file as text into temp table `incoming`; malformed CSV lines go to `rejected_lines`.

    Everything is read as VARCHAR so that typing happens in one place (validation), where a
    bad value becomes a quarantine reason instead of a failed read.
    """
    con.execute("drop table if exists incoming_rejects")
    con.execute("drop table if exists incoming_scans")
    try:
        if path.suffix.lower() == ".csv":
            con.execute(
                """
                create or replace temp table incoming as
                select *, row_number() over () as _source_row
                from read_csv(?, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"',
                              encoding = 'utf-8', store_rejects = true,
                              rejects_table = 'incoming_rejects', rejects_scan = 'incoming_scans')
                """,
                [str(path)],
            )
            encoding_errors = con.execute(
                "select min(line) from incoming_rejects where error_type = 'INVALID ENCODING'"
            ).fetchall()[0][0]
            if encoding_errors is not None:
                raise FileLoadError(
                    _cannot_load(path, entity, f"Invalid unicode on line {encoding_errors}: the file is not UTF-8; "
                                 "re-export it as UTF-8")
                )
            con.execute(
                """
                create or replace temp table rejected_lines as
                select line, any_value(csv_line) as csv_line,
                       'malformed CSV line ' || line || ': ' || string_agg(error_message, '; ') as reason
                from incoming_rejects group by line
                """
            )
        else:
            con.execute(
                """
                create or replace temp table incoming as
                select columns(* exclude (file_row_number))::varchar, file_row_number + 1 as _source_row
                from read_parquet(?, file_row_number = true)
                """,
                [str(path)],
            )
            con.execute(
                "create or replace temp table rejected_lines (line bigint, csv_line varchar, reason varchar)"
            )
    except duckdb.Error as error:
        raise FileLoadError(_cannot_load(path, entity, str(error).splitlines()[0])) from error
    _require_columns(con, entity, lambda problem: _cannot_load(path, entity, problem))


def _require_columns(con: duckdb.DuckDBPyConnection, entity: Entity, message) -> None:
    """Every contract column in `incoming`; one that joined the contract late may be absent (empty)."""
    present = {row[0] for row in con.execute("select column_name from (describe incoming)").fetchall()}
    for column in entity.columns:
        if column.may_be_absent and column.name not in present:
            con.execute(f"alter table incoming add column {column.name} varchar")
    missing = [c.name for c in entity.columns if c.name not in present and not c.may_be_absent]
    if missing:
        raise FileLoadError(message(f"missing column(s) {', '.join(missing)}; expected {', '.join(entity.column_names)}"))


def _cannot_load(path: Path, entity: Entity, problem: str) -> str:
    return (
        f"Cannot load {path} as {entity.name}: {problem}. Nothing from this file was loaded; "
        f"fix or replace the file (see data/README.md for the contract) and re-run."
    )


def _display_path(path: Path, data_dir: Path) -> str:
    try:
        return path.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())
