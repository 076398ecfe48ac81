"""The contract between a source and the ingestion step: vendor records land with dlt, a mapping
turns each dlt load into batches of contract rows, and the batches pass the files' gate."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dlt
import pyarrow as pa

from dagster_cx.contract import CONTACTS, ENTITIES
from dagster_cx.ingest.plausibility import Limits
from dagster_cx.ingest.raw_tables import ensure_raw_schema
from dagster_cx.ingest.reconcile import mismatches
from dagster_cx.sources.batches import Batch, load_batches, text_table
from dagster_cx.sources.landing import landing_pipeline, unmapped_load_ids
from dagster_cx.warehouse import connect

TICKETS = [
    {"id": 1, "requester": "u1", "created": "2026-03-02T10:00:00Z", "state": "open", "kind": "chat"},
    {"id": 2, "requester": "u2", "created": "2026-03-02T11:00:00Z", "state": "deleted", "kind": "chat"},
    {"id": 3, "requester": "u1", "created": "2026-03-02T12:00:00Z", "state": "open", "kind": "fax"},
]


def _map(con, source: str, load_id: str) -> Batch:
    """A toy mapping: one contact per ticket, deleted tickets excluded with why."""
    tickets = con.execute(f"select id, requester, created, state, kind from {source}.tickets "
                          "where _dlt_load_id = ? order by id", [load_id]).fetchall()
    rows = [{
        "contact_id": f"T{i}", "customer_id": requester, "channel": kind, "queue": "support",
        "contact_reason": "other", "created_at": created, "is_abandoned": False, "status": "open",
        "_exclude_reason": "deleted in the ticketing tool" if state == "deleted" else None,
        "_source_record": json.dumps({"id": i, "state": state}),
    } for i, requester, created, state, kind in tickets]
    columns = (*CONTACTS.column_names, "_exclude_reason", "_source_record")
    return Batch("contacts", f"{source}/{load_id}", text_table(rows, columns), records_fetched=len(tickets))


def test_landed_records_map_to_batches_that_pass_the_gate_once(tmp_path: Path):
    warehouse = tmp_path / "cx.duckdb"
    pipeline = landing_pipeline("toydesk", warehouse)
    pipeline.run(dlt.resource(TICKETS, name="tickets", primary_key="id", write_disposition="merge"))
    with connect(warehouse) as con:
        ensure_raw_schema(con, ENTITIES)
        [load_id] = unmapped_load_ids(con, "toydesk")
        [result] = load_batches(con, "contacts", [_map(con, "toydesk", load_id)], Limits()).results
        assert (result.rows_read, result.rows_loaded, result.rows_excluded, result.rows_quarantined) == (3, 1, 1, 1)
        assert con.execute("select reason from raw.excluded").fetchall() == [("deleted in the ticketing tool",)]
        [(record,)] = con.execute("select record from raw.quarantine").fetchall()
        assert json.loads(json.loads(record)["_source_record"]) == {"id": 3, "state": "open"}
        assert mismatches(con, CONTACTS) == []
        # Mapped once: the load is no longer new, and the same batch again adds nothing.
        assert unmapped_load_ids(con, "toydesk") == []
        [again] = load_batches(con, "contacts", [_map(con, "toydesk", load_id)], Limits()).results
        assert again.skipped and con.execute("select count(*) from raw.contacts").fetchall() == [(1,)]


def test_a_mapping_that_loses_a_record_loads_nothing_of_its_batch(tmp_path: Path):
    with connect(tmp_path / "cx.duckdb") as con:
        ensure_raw_schema(con, ENTITIES)
        rows = text_table([{"contact_id": "T1"}], CONTACTS.column_names)
        good = text_table([{"contact_id": "T2"}], CONTACTS.column_names)
        loaded = load_batches(con, "contacts", [Batch("contacts", "toydesk/1", rows, records_fetched=2),
                                                Batch("contacts", "toydesk/2", good, records_fetched=1)], Limits())
        assert list(loaded.refused) == ["toydesk/1"]
        assert "2 vendor records were mapped to 1 contacts rows" in loaded.refused["toydesk/1"]
        # The batch after the refused one still loads.
        assert con.execute("select source_file from raw._file_loads").fetchall() == [("toydesk/2",)]


def test_a_batch_lacking_a_contract_column_is_refused_whole(tmp_path: Path):
    with connect(tmp_path / "cx.duckdb") as con:
        ensure_raw_schema(con, ENTITIES)
        rows = pa.table({"contact_id": ["T1"]})
        loaded = load_batches(con, "contacts", [Batch("contacts", "toydesk/1", rows)], Limits())
        assert re.search("missing column.*customer_id.*The source's mapping onto the contract is wrong",
                         loaded.refused["toydesk/1"])
        assert con.execute("select count(*) from raw._file_loads").fetchall() == [(0,)]
