"""Hold back the last day of a generated data set, to time a one-day incremental run.

The generator writes one file per month. For contacts and survey responses the last month's
file is split by the local date of its rows (created_at, answered_at: the date the generator
files them by) into the month without its last day and a file of the last day alone; the
status changes and messages follow their contacts (the generator files them in their
contact's month) and the answers follow their responses. Every column of a file stays as
it is (the contacts' priority too). The base folder (other files hard-linked, the trimmed
files rewritten) builds the warehouse; copying the day files in is the increment. The
loader knows files by content hash, so the increment loads only the new day files. An
entity without files (an older data set without contact history) is left out.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

# entity -> column whose local date files a row, or the entity whose held-back rows it follows
# (by that entity's key); an entity comes after the one it follows.
SPLIT = {
    "contacts": "created_at",
    "contact_status_changes": "contacts",
    "contact_messages": "contacts",
    "survey_responses": "answered_at",
    "survey_answers": "survey_responses",
}
KEYS = {"contacts": "contact_id", "survey_responses": "response_id"}


def prepare(data_dir: Path, base_dir: Path, day_dir: Path) -> dict:
    """Write base_dir (all data minus the last day) and day_dir (the last day's files); return what moved."""
    for folder in (base_dir, day_dir):
        shutil.rmtree(folder, ignore_errors=True)
    split = {entity: rule for entity, rule in SPLIT.items() if _files(data_dir / entity)}
    for source in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        target = base_dir / source.relative_to(data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.parent.name not in split or source != _last_file(source.parent):
            os.link(source, target)
    moved: dict[str, dict] = {}
    con = duckdb.connect()
    last_day = None
    for entity, rule in split.items():
        source = _last_file(data_dir / entity)
        parquet = source.suffix == ".parquet"
        read = (f"read_parquet('{source}')" if parquet else
                f"read_csv('{source}', header = true, all_varchar = true, quote = '\"', escape = '\"')")
        con.execute(f"create or replace temp table rows as select *, row_number() over () as _row from {read}")
        if rule in KEYS:  # follows the held-back rows of another entity
            con.execute(f"create or replace temp table held as select _row from rows "
                        f"where {KEYS[rule]} in (select {KEYS[rule]} from held_{rule})")
        else:
            # The date as written (local to the row's offset), the way the generator files rows by month.
            con.execute(f"create or replace temp table flag as select _row, left({rule}, 10) as day from rows")
            last_day = last_day or con.execute("select max(day) from flag").fetchone()[0]
            con.execute("create or replace temp table held as select _row from flag where day = ?", [last_day])
        if entity in KEYS:
            con.execute(f"create or replace temp table held_{entity} as "
                        f"select {KEYS[entity]} from rows where _row in (select _row from held)")
        day_file = day_dir / entity / f"{entity}_{last_day}{source.suffix}"
        day_file.parent.mkdir(parents=True, exist_ok=True)
        options = "(format parquet, compression zstd)" if parquet else "(format csv, header true)"
        for path, keep in ((base_dir / entity / source.name, "not in"), (day_file, "in")):
            con.execute(f"copy (select * exclude (_row) from rows where _row {keep} (select _row from held) "
                        f"order by _row) to '{path}' {options}")
        moved[entity] = {"file": source.name, "day_file": day_file.name,
                         "rows_held_back": con.execute("select count(*) from held").fetchone()[0]}
    con.close()
    return {"last_day": last_day, "entities": moved}


def add_day(day_dir: Path, base_dir: Path) -> list[str]:
    """Copy the held-back day's files into the base folder: the new data of the incremental run."""
    added = []
    for source in sorted(p for p in day_dir.rglob("*") if p.is_file()):
        target = base_dir / source.relative_to(day_dir)
        shutil.copy2(source, target)
        added.append(str(source.relative_to(day_dir)))
    return added


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _last_file(folder: Path) -> Path:
    return _files(folder)[-1]
