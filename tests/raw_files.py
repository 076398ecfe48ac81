"""Raw files written by hand for the ingestion tests: one folder per entity under a data folder."""

from __future__ import annotations

from pathlib import Path

from dagster_cx.contract import CONTACTS

# The columns of a contacts file written before direction and transfer_count joined the contract
# (both may be absent): the tests' contact rows have these 19 fields.
CONTACT_COLUMNS = CONTACTS.column_names[:CONTACTS.column_names.index("priority") + 1]
CONTACT_HEADER = ",".join(CONTACT_COLUMNS)


def write_raw_file(data_dir: Path, entity: str, name: str, text: str) -> Path:
    """Write `text` as data_dir/entity/name (folders created) and return the file's path."""
    folder = data_dir / entity
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
