"""The generated sample's contact center in the vendors' shapes: calls as Amazon Connect CTR
deliveries, the other contacts as a Zendesk account for the fake API.

`cx-warehouse generate --format vendors` writes the sample in the contract's shape, then moves
its contact center out of it: ended phone contacts into `amazon_connect/` (Firehose
deliveries), every other contact with its status changes and messages into `zendesk_api.json`
(what `cx-warehouse fake-zendesk` serves) with example SLA policies, and the CSAT answers of transactional responses on
those tickets into Zendesk CSAT survey responses (dagster_cx/sample/zendesk_csat.py; read with
CX_ZENDESK_CSAT_SCALE_POINTS=5). Rows planted as bad (MANIFEST.json) stay in the
contract files, so the quarantine still shows them; customers and surveys stay too (the CRM
and the survey tool). What a vendor cannot say is lost on the way (a CTR knows no resolution
after the call, a ticket no talk time), so the marts of this shape differ from the
contract-shaped sample's where that mattered.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dagster_cx.sample.amazon_connect_ctrs import write_deliveries
from dagster_cx.sample.zendesk_csat import csat_survey_responses
from dagster_cx.sample.zendesk_records import write_records, zendesk_records
from dagster_cx.sample.zendesk_sla_policies import sample_sla_policies

CTR_FOLDER = "amazon_connect"
ZENDESK_RECORDS = "zendesk_api.json"
KEYS = {"contacts": "contact_id", "contact_status_changes": "status_change_id", "contact_messages": "message_id"}


def write_vendor_shapes(out_dir: Path) -> dict[str, int]:
    """Move the sample's contact center into the vendors' shapes; how many contacts went where."""
    con = duckdb.connect()
    planted = _planted_keys(out_dir)
    rows = {entity: [r for r in _read(con, out_dir / entity) if r[key] not in planted]
            for entity, key in (*KEYS.items(), ("customers", "customer_id"))}
    contacts = rows["contacts"]
    calls = [c for c in contacts if c["channel"] == "phone" and c["closed_at"]]
    tickets = [c for c in contacts if c["channel"] != "phone"]
    moved = {c["contact_id"] for c in calls + tickets}
    write_deliveries(calls, out_dir / CTR_FOLDER)
    history = {entity: [r for r in rows[entity] if r["contact_id"] in moved]
               for entity in ("contact_status_changes", "contact_messages")}
    records = zendesk_records(rows["customers"], tickets, history["contact_status_changes"],
                              history["contact_messages"])
    surveys = {entity: [r for r in _read(con, out_dir / entity) if r["response_id"] not in planted]
               for entity in ("survey_responses", "survey_answers")}
    records["survey_responses"], carried = csat_survey_responses(surveys["survey_responses"],
                                                                 surveys["survey_answers"], records)
    records["sla_policies"] = sample_sla_policies(records["groups"])
    write_records(records, out_dir / ZENDESK_RECORDS)
    _drop_rows(con, out_dir / "survey_answers", "response_id || '|' || question_id", carried)
    for entity, key in KEYS.items():
        gone = moved if entity == "contacts" else {r[key] for r in history[entity]}
        _drop_rows(con, out_dir / entity, key, gone)
    return {"amazon_connect_contacts": len(calls), "zendesk_tickets": len(tickets),
            "zendesk_csat_responses": len(records["survey_responses"])}


def _planted_keys(out_dir: Path) -> set[str]:
    manifest = json.loads((out_dir / "MANIFEST.json").read_text())
    return {row["key"] for entity in manifest["entities"].values() for row in entity["bad_rows"]
            if isinstance(row["key"], str)}


def _read(con: duckdb.DuckDBPyConnection, folder: Path) -> list[dict]:
    """Every row of an entity's files as text (None for empty), in file order."""
    rows = []
    for path in sorted(folder.iterdir()):
        reader = (f"read_csv('{path}', all_varchar = true, header = true)" if path.suffix == ".csv"
                  else f"read_parquet('{path}')")
        cursor = con.execute(f"select * from {reader}")
        names = [c[0] for c in cursor.description]
        rows += [{n: (None if v is None or v == "" else str(v).lower() if isinstance(v, bool) else
                      v.isoformat() if hasattr(v, "isoformat") else str(v)) for n, v in zip(names, row, strict=True)}
                 for row in cursor.fetchall()]
    return rows


def _drop_rows(con: duckdb.DuckDBPyConnection, folder: Path, key: str, gone: set[str]) -> None:
    """Rewrite each file of the entity without the moved rows (CSV stays text, Parquet keeps its types)."""
    con.execute("create or replace temp table gone (k varchar)")
    con.executemany("insert into gone values (?)", [[k] for k in gone])
    for path in sorted(folder.iterdir()):
        kept = path.with_suffix(".kept" + path.suffix)
        if path.suffix == ".csv":
            con.execute(f"copy (select * from read_csv('{path}', all_varchar = true, header = true) "
                        f"where {key} not in (select k from gone)) to '{kept}' (header, delimiter ',')")
        else:
            con.execute(f"copy (select * from read_parquet('{path}') where {key} not in (select k from gone)) "
                        f"to '{kept}' (format parquet)")
        kept.replace(path)
