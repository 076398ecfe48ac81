"""Records mapped before their ticket landed, keyed again when it lands with an external_id.

A ticket event or a satisfaction rating whose ticket has not landed yet is mapped under the
Zendesk ticket id (the only key known then) and waits for that contact in `raw.waiting`. A
ticket with an external_id becomes the contact of that key instead, so those rows would wait
forever. The load that lands the ticket maps them again: the waiting rows' records with the
ticket's external_id as contact_id, in a batch of their own (`zendesk/<load id>/rekeyed`). They
pass the gate with the ticket; the next settling of waiting rows (dagster_cx.ingest.waiting)
finds the old ones superseded by these newer versions of their keys, so every record ends in
one place and the load log still reconciles.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

import duckdb

from dagster_cx.contract import ENTITIES_BY_NAME
from dagster_cx.ingest.raw_tables import WAITING_TABLE
from dagster_cx.sources.batches import Batch, text_table
from dagster_cx.sources.zendesk.mapping import COLUMNS

# The entities whose rows name a ticket's contact (a rating's answers name its response, which keeps its id).
KEYED_BY_TICKET = ("contact_status_changes", "contact_messages", "survey_responses")


def rekeyed_batches(con: duckdb.DuckDBPyConnection, load_name: str, tickets: list[Mapping]) -> Iterator[Batch]:
    """Waiting rows of this source keyed by the Zendesk id of a ticket this load landed with an external_id,
    once each (the newest version of each key), under that external_id."""
    external = {str(t["id"]): t["external_id"] for t in tickets
                if t.get("external_id") and t.get("status") != "deleted" and t["external_id"] != str(t["id"])}
    if not external:
        return
    source = load_name.split("/")[0]
    for entity in KEYED_BY_TICKET:
        key = ", ".join(f"record->>'{column}'" for column in ENTITIES_BY_NAME[entity].key)
        waiting = con.execute(
            f"""
            select record from {WAITING_TABLE}
            where entity = ? and _source_file like ? || '/%' and list_contains(?, record->>'contact_id')
            qualify row_number() over (partition by {key} order by _load_id desc, _source_row desc) = 1
            order by _load_id, _source_row
            """,
            [entity, source, list(external)],
        ).fetchall()
        rows = [json.loads(record) for (record,) in waiting]
        if rows:
            rekeyed = [{**row, "contact_id": external[row["contact_id"]]} for row in rows]
            yield Batch(entity, f"{load_name}/rekeyed", text_table(rekeyed, COLUMNS[entity]))
