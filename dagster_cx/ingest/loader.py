"""Load raw files into the `raw` schema, one atomic transaction per file.

Every row read ends in exactly one place: the entity's raw table (typed, with its lineage)
or `raw.quarantine` (the original record and the reasons it broke the contract). A file is
identified by its content hash, so loading it again adds nothing. A file whose path, size
and modification time equal a loaded one's is known without reading it (as make and rsync
decide), so a run with no new data does not hash gigabytes of files it has seen. The loader
is plain Python over a DuckDB connection, so Dagster, the CLI and the tests share it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_cx.contract import Entity
from dagster_cx.ingest import validation

RAW_SCHEMA = "raw"
FILE_LOADS_TABLE = f"{RAW_SCHEMA}._file_loads"
QUARANTINE_TABLE = f"{RAW_SCHEMA}.quarantine"
# Written by dagster_cx.build_state after each successful dbt build; read by the int_changes_* models.
BUILD_LOG_TABLE = f"{RAW_SCHEMA}._dbt_builds"
# Written after each successful dbt staging step: the raw loads the staging tables hold, which the
# GX suites on staged data validate through (dagster_cx.quality.validation_scope).
STAGING_LOG_TABLE = f"{RAW_SCHEMA}._dbt_staging_builds"
SUPPORTED_SUFFIXES = (".csv", ".parquet")
LINEAGE_COLUMNS = (
    ("_load_id", "bigint"),
    ("_source_file", "varchar"),
    ("_source_row", "bigint"),
    ("_loaded_at", "timestamptz"),
)


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


@dataclass
class EntityLoadResult:
    entity: str
    files: list[FileLoadResult] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

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
    def files_loaded(self) -> int:
        return sum(not f.skipped for f in self.files)

    @property
    def files_skipped(self) -> int:
        return sum(f.skipped for f in self.files)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, entities: tuple[Entity, ...]) -> None:
    """Create the raw schema, the file log, the quarantine, the dbt build log and one table per entity."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {FILE_LOADS_TABLE} (
            load_id bigint primary key,
            entity varchar not null,
            source_file varchar not null,
            file_hash varchar not null,
            file_bytes bigint not null,
            rows_read bigint not null,
            rows_loaded bigint not null,
            rows_quarantined bigint not null,
            loaded_at timestamptz not null,
            file_mtime_ns bigint,
            unique (entity, file_hash)
        )
        """
    )
    # A warehouse from before the column: its files are hashed once more, then known by stat.
    con.execute(f"alter table {FILE_LOADS_TABLE} add column if not exists file_mtime_ns bigint")
    con.execute(
        f"""
        create table if not exists {QUARANTINE_TABLE} (
            entity varchar not null,
            _load_id bigint not null,
            _source_file varchar not null,
            _source_row bigint not null,
            _loaded_at timestamptz not null,
            record json not null,
            reasons varchar[] not null,
            reason varchar not null
        )
        """
    )
    con.execute(
        f"""
        create table if not exists {BUILD_LOG_TABLE} (
            build_id bigint primary key,
            changes_through_load_id bigint not null,
            mode varchar not null,
            project_fingerprint varchar not null,
            rebuild_from date,
            rebuild_to date,
            started_at timestamptz not null,
            finished_at timestamptz not null,
            dagster_run_id varchar
        )
        """
    )
    con.execute(
        f"""
        create table if not exists {STAGING_LOG_TABLE} (
            staging_build_id bigint primary key,
            staged_through_load_id bigint not null,
            mode varchar not null,
            finished_at timestamptz not null,
            dagster_run_id varchar
        )
        """
    )
    for entity in entities:
        columns = [f"{c.name} {c.type}" for c in entity.columns]
        columns += [f"{name} {type_} not null" for name, type_ in LINEAGE_COLUMNS]
        con.execute(f"create table if not exists {RAW_SCHEMA}.{entity.name} ({', '.join(columns)})")
        for column in entity.columns:
            if column.may_be_absent:  # a warehouse built before the column joined the contract
                con.execute(f"alter table {RAW_SCHEMA}.{entity.name} add column if not exists {column.name} {column.type}")


def discover_files(data_dir: Path, entity: Entity) -> list[Path]:
    """The entity's files in load order: sorted by name, so dated file names load in time order."""
    folder = data_dir / entity.name
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def load_entity(con: duckdb.DuckDBPyConnection, entity: Entity, data_dir: Path) -> EntityLoadResult:
    """Load every new file of one entity; a file that cannot be read is reported, not half-loaded."""
    result = EntityLoadResult(entity=entity.name)
    for path in discover_files(data_dir, entity):
        try:
            result.files.append(load_file(con, entity, path, data_dir))
        except FileLoadError as error:
            result.failures[_display_path(path, data_dir)] = str(error)
    return result


def load_file(con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, data_dir: Path) -> FileLoadResult:
    """Validate one file and write its rows to the raw table or the quarantine, atomically."""
    source_file = _display_path(path, data_dir)
    stat = path.stat()
    seen = con.execute(
        f"select file_hash from {FILE_LOADS_TABLE} where entity = ? and source_file = ? and file_bytes = ? "
        "and file_mtime_ns = ?",
        [entity.name, source_file, stat.st_size, stat.st_mtime_ns],
    ).fetchall()
    if seen:
        return FileLoadResult(source_file=source_file, file_hash=seen[0][0], skipped=True)
    file_hash = _sha256(path)
    already = con.execute(
        f"select source_file from {FILE_LOADS_TABLE} where entity = ? and file_hash = ?", [entity.name, file_hash]
    ).fetchall()
    if already:
        if already[0][0] == source_file:  # touched, not changed: known by stat from now on
            con.execute(
                f"update {FILE_LOADS_TABLE} set file_mtime_ns = ? where entity = ? and file_hash = ?",
                [stat.st_mtime_ns, entity.name, file_hash],
            )
        return FileLoadResult(source_file=source_file, file_hash=file_hash, skipped=True)

    con.execute("begin transaction")
    try:
        rejected = _read_into_incoming(con, entity, path)
        load_id = con.execute(f"select coalesce(max(load_id), 0) + 1 from {FILE_LOADS_TABLE}").fetchall()[0][0]
        loaded_at = datetime.now(UTC)
        lineage = [load_id, source_file, loaded_at]
        con.execute(f"create or replace temp table checked as {validation.checked_rows_sql(entity, RAW_SCHEMA)}")
        typed = ", ".join(entity.column_names)
        con.execute(
            f"""
            insert into {RAW_SCHEMA}.{entity.name} ({typed}, _load_id, _source_file, _source_row, _loaded_at)
            select {typed}, $1, $2, _source_row, $3 from checked where len(_reasons) = 0
            """,
            lineage,
        )
        con.execute(
            f"""
            insert into {QUARANTINE_TABLE}
            select $4, $1, $2, _source_row, $3, {validation.record_sql(entity)}, _reasons, array_to_string(_reasons, '; ')
            from (select _source_row, _reasons from checked where len(_reasons) > 0) join incoming using (_source_row)
            """,
            [*lineage, entity.name],
        )
        con.execute(
            f"""
            insert into {QUARANTINE_TABLE}
            select $4, $1, $2, line, $3, to_json(csv_line), [reason], reason from rejected_lines
            """,
            [*lineage, entity.name],
        )
        loaded, quarantined = con.execute(
            "select count(*) filter (where len(_reasons) = 0), count(*) filter (where len(_reasons) > 0) from checked"
        ).fetchall()[0]
        quarantined += rejected
        rows_read = loaded + quarantined
        con.execute(
            f"""
            insert into {FILE_LOADS_TABLE} (load_id, entity, source_file, file_hash, file_bytes, rows_read,
                                            rows_loaded, rows_quarantined, loaded_at, file_mtime_ns)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [load_id, entity.name, source_file, file_hash, stat.st_size, rows_read, loaded, quarantined, loaded_at,
             stat.st_mtime_ns],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return FileLoadResult(source_file, file_hash, False, rows_read, loaded, quarantined)


def _read_into_incoming(con: duckdb.DuckDBPyConnection, entity: Entity, path: Path) -> int:
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

    present = {row[0] for row in con.execute("select column_name from (describe incoming)").fetchall()}
    for column in entity.columns:
        if column.may_be_absent and column.name not in present:
            con.execute(f"alter table incoming add column {column.name} varchar")
    missing = [c.name for c in entity.columns if c.name not in present and not c.may_be_absent]
    if missing:
        raise FileLoadError(
            _cannot_load(path, entity, f"missing column(s) {', '.join(missing)}; expected {', '.join(entity.column_names)}")
        )
    return con.execute("select count(*) from rejected_lines").fetchall()[0][0]


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
