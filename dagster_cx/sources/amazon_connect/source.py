"""The Amazon Connect source: new Firehose deliveries of CTRs, landed as they are, one contacts batch per pull.

Configured by CX_AMAZON_CONNECT_CTR_DIR (the folder the bucket syncs to). Each delivery not
loaded yet is read and landed in `amazon_connect.contact_records` (one row per CTR, the record
as JSON, with the batch it went into); the pull's deliveries are mapped together with every
landed leg of their chains, so a transfer leg that arrives in a later delivery gives its
contact a newer, fuller version. One batch per pull, not per delivery: Firehose delivers a
file every few minutes, and each batch costs the gate's checks. A delivery that cannot be read
loads nothing and fails the step naming it; the others load.
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
from dagster_cx.sources.batches import Batch, Unreadable, text_table

NAME = "amazon_connect"
LANDING_TABLE = f"{NAME}.contact_records"
FOLDER_VARIABLE = "CX_AMAZON_CONNECT_CTR_DIR"


@dataclass(frozen=True)
class AmazonConnectSource:
    """CTR deliveries under `folder` (Firehose's YYYY/MM/DD/HH/ layout, or any nesting)."""

    folder: Path
    settings: CtrSettings = field(default_factory=CtrSettings)
    name: str = NAME
    feeds: tuple[str, ...] = ("contacts",)

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

    def batches(self, con: duckdb.DuckDBPyConnection) -> Iterator[Batch | Unreadable]:
        """The pull's new deliveries as one contacts batch; then each unreadable delivery as a refused one."""
        if not self.folder.is_dir():
            raise FileNotFoundError(f"{FOLDER_VARIABLE}={self.folder} is not a folder: point it at the folder your "
                                    "Firehose bucket syncs to, or unset it.")
        _create_landing(con)
        done = _loaded_deliveries(con)
        readable: list[tuple[str, list[dict]]] = []
        unreadable: list[Unreadable] = []
        for path in delivered_files(self.folder):
            name = f"{NAME}/{path.relative_to(self.folder).as_posix()}"
            if name in done:
                continue
            try:
                readable.append((name, read_records(path)))
            except UnreadableCtrFile as error:
                unreadable.append(Unreadable("contacts", name, f"{error}. Nothing of it was loaded: "
                                             f"re-deliver the file (or move it out of {FOLDER_VARIABLE}) and run again."))
        if readable:
            batch = readable[0][0] if len(readable) == 1 else (
                f"{readable[0][0]} .. {readable[-1][0].removeprefix(NAME + '/')} ({len(readable)} deliveries)")
            for name, records in readable:
                _land(con, name, batch, records)
            records = [record for _, delivery in readable for record in delivery]
            rows = map_delivery(records, _landed_legs(con, records), self.settings)
            yield Batch("contacts", batch, text_table(rows, ROW_COLUMNS), records_fetched=len(records))
        yield from unreadable


def _create_landing(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {NAME}")
    con.execute(f"""
        create table if not exists {LANDING_TABLE} (
            source_file varchar, batch varchar, record_index integer, contact_id varchar, chain_key varchar,
            last_update_at varchar, is_customer_contact boolean, record json
        )""")


def _loaded_deliveries(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Deliveries whose batch is in the load log (one landed by a run that failed before loading is not)."""
    return {row[0] for row in con.execute(f"""
        select distinct source_file from {LANDING_TABLE}
        where batch in (select source_file from {FILE_LOADS_TABLE} where entity = 'contacts')""").fetchall()}


def _land(con: duckdb.DuckDBPyConnection, name: str, batch: str, records: list[dict]) -> None:
    """The delivery's CTRs as they are, replacing an earlier landing of the same file (a re-run)."""
    con.execute(f"delete from {LANDING_TABLE} where source_file = ?", [name])
    rows = pa.table({
        "source_file": [name] * len(records), "batch": [batch] * len(records),
        "record_index": pa.array(range(len(records)), pa.int32()),
        "contact_id": pa.array([r.get("ContactId") for r in records], pa.string()),
        "chain_key": pa.array([chain_key(r) for r in records], pa.string()),
        "last_update_at": pa.array([r.get("LastUpdateTimestamp") for r in records], pa.string()),
        "is_customer_contact": [exclusion(r) is None for r in records],
        "record": [json.dumps(r, ensure_ascii=False) for r in records],
    })
    con.register("landing_rows", rows)
    con.execute(f"insert into {LANDING_TABLE} select * from landing_rows")
    con.unregister("landing_rows")


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
