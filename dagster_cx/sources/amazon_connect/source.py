"""The Amazon Connect source: new Firehose deliveries of CTRs, landed as they are, one contacts batch each.

Configured by CX_AMAZON_CONNECT_CTR_DIR (the folder the bucket syncs to). Each delivery not
in the load log yet is read, landed in `amazon_connect.contact_records` (one row per CTR,
the record as JSON), and mapped with every landed leg of its chains, so a transfer leg that
arrives in a later delivery gives its contact a newer, fuller version. A delivery that cannot
be read loads nothing and fails the step naming it; the others load.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_cx.ingest.raw_tables import FILE_LOADS_TABLE
from dagster_cx.sources.amazon_connect.mapping import ROW_COLUMNS, CtrSettings, chain_key, exclusion, map_delivery
from dagster_cx.sources.amazon_connect.records import UnreadableCtrFile, delivered_files, read_records
from dagster_cx.sources.batches import Batch, text_table

NAME = "amazon_connect"
LANDING_TABLE = f"{NAME}.contact_records"
FOLDER_VARIABLE = "CX_AMAZON_CONNECT_CTR_DIR"


@dataclass(frozen=True)
class AmazonConnectSource:
    """CTR deliveries under `folder` (Firehose's YYYY/MM/DD/HH/ layout, or any nesting)."""

    folder: Path
    settings: CtrSettings = field(default_factory=CtrSettings)
    name: str = NAME

    @classmethod
    def from_environment(cls) -> AmazonConnectSource | None:
        """The source as the environment configures it; None when CX_AMAZON_CONNECT_CTR_DIR is unset."""
        folder = os.environ.get(FOLDER_VARIABLE)
        if not folder:
            return None
        defaults = CtrSettings()
        return cls(Path(folder).expanduser().resolve(), CtrSettings(
            customer_attribute=os.environ.get("CX_AMAZON_CONNECT_CUSTOMER_ATTRIBUTE") or defaults.customer_attribute,
            reason_attribute=os.environ.get("CX_AMAZON_CONNECT_REASON_ATTRIBUTE") or defaults.reason_attribute,
        ))

    def batches(self, con: duckdb.DuckDBPyConnection) -> Iterator[Batch]:
        """One contacts batch per delivery not loaded yet, in delivery order."""
        if not self.folder.is_dir():
            raise FileNotFoundError(f"{FOLDER_VARIABLE}={self.folder} is not a folder: point it at the folder your "
                                    "Firehose bucket syncs to, or unset it.")
        done = {row[0] for row in con.execute(
            f"select source_file from {FILE_LOADS_TABLE} where entity = 'contacts' and source_file like ?",
            [f"{NAME}/%"]).fetchall()}
        deliveries: list[tuple[str, list[dict] | str]] = []
        for path in delivered_files(self.folder):
            name = f"{NAME}/{path.relative_to(self.folder).as_posix()}"
            if name in done:
                continue
            try:
                records = read_records(path)
            except UnreadableCtrFile as error:
                deliveries.append((name, f"{error}. Nothing of it was loaded: re-deliver the file (or move it out "
                                         f"of {FOLDER_VARIABLE}) and run again."))
                continue
            _land(con, name, records)
            deliveries.append((name, records))
        for name, records in deliveries:
            if isinstance(records, str):
                yield Batch("contacts", name, pa.table({}), problem=records)
                continue
            rows = map_delivery(records, _landed_legs(con, records), self.settings)
            yield Batch("contacts", name, text_table(rows, ROW_COLUMNS), records_fetched=len(records))


def _land(con: duckdb.DuckDBPyConnection, name: str, records: list[dict]) -> None:
    """The delivery's CTRs as they are, replacing an earlier landing of the same file (a re-run)."""
    con.execute(f"create schema if not exists {NAME}")
    con.execute(f"""
        create table if not exists {LANDING_TABLE} (
            source_file varchar, record_index integer, contact_id varchar, chain_key varchar,
            last_update_at varchar, is_customer_contact boolean, record json
        )""")
    con.execute(f"delete from {LANDING_TABLE} where source_file = ?", [name])
    con.executemany(
        f"insert into {LANDING_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
        [[name, index, record.get("ContactId"), chain_key(record),
          record.get("LastUpdateTimestamp"), exclusion(record) is None, json.dumps(record, ensure_ascii=False)]
         for index, record in enumerate(records)],
    )


def _landed_legs(con: duckdb.DuckDBPyConnection, records: list[dict]) -> dict[str, list[dict]]:
    """Every landed customer-contact leg of the delivery's chains, the newest version of each CTR."""
    keys = sorted({key for r in records if (key := chain_key(r)) and exclusion(r) is None})
    legs: dict[str, list[dict]] = {}
    for key, record in con.execute(
        f"""
        select chain_key, record from {LANDING_TABLE}
        where is_customer_contact and chain_key in (select unnest(?))
        qualify row_number() over (partition by contact_id order by try_cast(last_update_at as timestamptz) desc
                                   nulls last, source_file desc, record_index desc) = 1
        order by source_file, record_index
        """, [keys]).fetchall():
        legs.setdefault(key, []).append(json.loads(record))
    return legs
