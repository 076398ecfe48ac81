"""Amazon Connect CTRs as Firehose delivers them: reading, folding transfer chains, and the gate.

The records follow Amazon Connect's contact record data model (ContactId, InitialContactId,
PreviousContactId, Channel, InitiationMethod, Queue, Agent, Attributes, DisconnectReason).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from dagster_cx.contract import CONTACTS, ENTITIES
from dagster_cx.ingest.plausibility import Limits
from dagster_cx.ingest.raw_tables import ensure_raw_schema
from dagster_cx.ingest.reconcile import mismatches
from dagster_cx.sources.amazon_connect.mapping import CtrSettings, fold, map_delivery
from dagster_cx.sources.amazon_connect.records import UnreadableCtrFile, read_records
from dagster_cx.sources.amazon_connect.source import AmazonConnectSource
from dagster_cx.sources.batches import load_batches
from dagster_cx.warehouse import connect

ARN = "arn:aws:connect:eu-central-1:111122223333:instance/inst-1"


def ctr(contact_id: str, start: str, end: str, *, channel: str = "VOICE", method: str = "INBOUND",
        queue: tuple[str, str] | None = ("pl_support", ""), agent: dict | None = None, initial: str | None = None,
        previous: str | None = None, customer: str = "u1", reason: str = "billing", updated: str | None = None) -> dict:
    """A CTR: queue = (name, enqueue time, default start); agent = ConnectedToAgentTimestamp, durations, id."""
    record = {
        "AWSAccountId": "111122223333", "InstanceARN": ARN, "ContactId": contact_id,
        "InitialContactId": initial, "PreviousContactId": previous, "Channel": channel, "InitiationMethod": method,
        "InitiationTimestamp": start, "DisconnectTimestamp": end, "LastUpdateTimestamp": updated or end,
        "DisconnectReason": "CUSTOMER_DISCONNECT", "Attributes": {"customer_id": customer, "contact_reason": reason},
        "CustomerEndpoint": {"Address": "+48500100200", "Type": "TELEPHONE_NUMBER"},
        "Queue": None, "Agent": None,
    }
    if queue:
        record["Queue"] = {"Name": queue[0], "ARN": f"{ARN}/queue/{queue[0]}",
                           "EnqueueTimestamp": queue[1] or start, "DequeueTimestamp": end, "Duration": 10}
    if agent:
        record["Agent"] = {"ARN": f"{ARN}/agent/{agent['id']}", "Username": f"login.{agent['id']}",
                           "ConnectedToAgentTimestamp": agent["at"], "AgentInteractionDuration": agent["talk"],
                           "CustomerHoldDuration": agent.get("hold", 0), "NumberOfHolds": 1 if agent.get("hold") else 0,
                           "AfterContactWorkDuration": agent.get("acw", 0),
                           "AfterContactWorkEndTimestamp": agent.get("acw_end")}
    return record


ANSWERED = ctr("k1", "2026-03-02T10:00:00Z", "2026-03-02T10:06:00Z",
               queue=("pl_support", "2026-03-02T10:00:30Z"),
               agent={"id": "a1", "at": "2026-03-02T10:00:45Z", "talk": 300, "hold": 15, "acw": 40})
LEG_1 = ctr("t1", "2026-03-02T10:10:00Z", "2026-03-02T10:15:00Z", initial="t1",
            queue=("pl_support", "2026-03-02T10:10:20Z"),
            agent={"id": "a1", "at": "2026-03-02T10:10:50Z", "talk": 240, "hold": 20, "acw": 30})
LEG_2 = ctr("t2", "2026-03-02T10:15:00Z", "2026-03-02T10:25:00Z", method="TRANSFER", initial="t1", previous="t1",
            queue=("billing", "2026-03-02T10:15:01Z"),
            agent={"id": "a2", "at": "2026-03-02T10:16:00Z", "talk": 500, "hold": 0, "acw": 60,
                   "acw_end": "2026-03-02T10:26:00Z"})
ABANDONED = ctr("k2", "2026-03-02T11:00:00Z", "2026-03-02T11:02:00Z", queue=("pl_support", "2026-03-02T11:00:20Z"),
                customer="u2")
IVR_ONLY = ctr("k3", "2026-03-02T11:05:00Z", "2026-03-02T11:06:00Z", queue=None, customer="u2")
CALLBACK = ctr("k4", "2026-03-02T12:00:00Z", "2026-03-02T12:10:00Z", method="CALLBACK", previous="k2",
               initial="k2", queue=("callbacks", "2026-03-02T12:00:00Z"), customer="u2",
               agent={"id": "a3", "at": "2026-03-02T12:03:00Z", "talk": 400})
CHAT = ctr("k5", "2026-03-02T13:00:00Z", "2026-03-02T13:20:00Z", channel="CHAT", method="API",
           queue=("pl_support", "2026-03-02T13:00:05Z"), customer="u3", reason="delivery",
           agent={"id": "a1", "at": "2026-03-02T13:00:25Z", "talk": 1150, "acw": 50})
OUTBOUND = ctr("k6", "2026-03-02T14:00:00Z", "2026-03-02T14:05:00Z", method="OUTBOUND", queue=("outbound", ""),
               customer="u3", agent={"id": "a2", "at": "2026-03-02T14:00:00Z", "talk": 280})
MONITOR = ctr("m1", "2026-03-02T10:11:00Z", "2026-03-02T10:14:00Z", method="MONITOR", initial="t1", queue=None)
TASK = ctr("x1", "2026-03-02T15:00:00Z", "2026-03-02T15:30:00Z", channel="TASK", method="API", queue=None)


def test_a_transfer_chain_is_one_contact_with_handle_time_summed_and_first_answer_from_its_first_leg():
    row = fold("t1", [LEG_2, LEG_1], CtrSettings())
    assert row["contact_id"] == "t1" and row["queue"] == "pl_support" and row["agent_id"] == "a1"
    assert (row["created_at"], row["queue_entered_at"], row["first_replied_at"]) == (
        "2026-03-02T10:10:00Z", "2026-03-02T10:10:20Z", "2026-03-02T10:10:50Z")
    assert (row["resolved_at"], row["closed_at"]) == ("2026-03-02T10:25:00Z", "2026-03-02T10:26:00Z")
    assert (row["talk_seconds"], row["hold_seconds"], row["after_contact_work_seconds"]) == (740, 20, 90)
    assert (row["transfer_count"], row["is_abandoned"], row["direction"]) == (1, False, "inbound")


def test_abandoned_not_offered_callback_chat_and_outbound_map_apart():
    rows = {r["contact_id"]: r for r in (fold(c["ContactId"], [c], CtrSettings())
                                         for c in (ABANDONED, IVR_ONLY, CALLBACK, CHAT, OUTBOUND))}
    assert rows["k2"]["is_abandoned"] and rows["k2"]["queue_entered_at"] == "2026-03-02T11:00:20Z"
    assert rows["k2"]["first_replied_at"] is rows["k2"]["resolved_at"] is rows["k2"]["talk_seconds"] is None
    assert rows["k3"]["queue"] == "ivr" and rows["k3"]["queue_entered_at"] is None and rows["k3"]["is_abandoned"]
    # A callback the customer asked for in k2 is a contact of its own, not a leg of k2.
    assert (rows["k4"]["contact_id"], rows["k4"]["direction"], rows["k4"]["queue"]) == ("k4", "callback", "callbacks")
    assert (rows["k5"]["channel"], rows["k5"]["contact_reason"], rows["k5"]["talk_seconds"]) == ("chat", "delivery", 1150)
    assert rows["k6"]["direction"] == "outbound"


def test_every_record_of_a_delivery_becomes_one_row_legs_and_non_contacts_excluded_with_why():
    records = [LEG_1, MONITOR, LEG_2, TASK, CALLBACK]
    rows = map_delivery(records, {"t1": [LEG_1, LEG_2]}, CtrSettings())
    assert len(rows) == len(records)
    reasons = [row.get("_exclude_reason") for row in rows]
    assert reasons[0] == "a leg of contact t1, whose one row the record of leg t2 in this delivery carries"
    assert "MONITOR" in reasons[1] and "TASK" in reasons[3]
    assert reasons[2] is None and rows[2]["contact_id"] == "t1" and rows[2]["talk_seconds"] == 740
    assert json.loads(rows[1]["_source_record"])["ContactId"] == "m1"


def _deliver(folder: Path, hour: str, name: str, records: list[dict], *, gzipped: bool = False,
             one_per_line: bool = True) -> Path:
    """A Firehose delivery under YYYY/MM/DD/HH/: one record per line, or concatenated; gzip without a suffix."""
    path = folder / "2026" / "03" / "02" / hour / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ("\n" if one_per_line else "").join(json.dumps(r) for r in records)
    path.write_bytes(gzip.compress(text.encode()) if gzipped else text.encode())
    return path


def test_concatenated_and_line_delimited_gzip_or_not_read_alike_and_a_truncated_one_is_refused(tmp_path: Path):
    records = [ANSWERED, CHAT]
    plain = _deliver(tmp_path, "10", "a", records)
    concatenated = _deliver(tmp_path, "10", "b", records, gzipped=True, one_per_line=False)
    assert read_records(plain) == read_records(concatenated) == records
    truncated = tmp_path / "c"
    truncated.write_text(json.dumps(ANSWERED) + json.dumps(CHAT)[:-20])
    with pytest.raises(UnreadableCtrFile, match="record 2 is not valid JSON.*truncated"):
        read_records(truncated)


def _load(con, folder: Path) -> list:
    loaded = load_batches(con, "contacts", list(AmazonConnectSource(folder).batches(con)), Limits())
    assert not loaded.refused, loaded.refused
    return loaded.results


def test_deliveries_pass_the_gate_once_and_a_late_leg_gives_its_contact_a_newer_fuller_version(tmp_path: Path):
    drop = tmp_path / "ctr"
    _deliver(drop, "10", "cx-ctr-1-2026-03-02-10-30-00-a", [ANSWERED, LEG_1, MONITOR])
    _deliver(drop, "12", "cx-ctr-1-2026-03-02-12-30-00-b.gz", [ABANDONED, IVR_ONLY, CALLBACK, CHAT, OUTBOUND, TASK],
             gzipped=True, one_per_line=False)
    with connect(tmp_path / "cx.duckdb") as con:
        ensure_raw_schema(con, ENTITIES)
        [first] = _load(con, drop)  # one batch for the pull's two deliveries
        assert (first.rows_read, first.rows_loaded, first.rows_excluded, first.rows_quarantined) == (9, 7, 2, 0)
        assert first.source_file == ("amazon_connect/2026/03/02/10/cx-ctr-1-2026-03-02-10-30-00-a .. "
                                     "2026/03/02/12/cx-ctr-1-2026-03-02-12-30-00-b.gz (2 deliveries)")
        assert _load(con, drop) == []  # nothing new: every delivery is in the load log
        _deliver(drop, "13", "cx-ctr-1-2026-03-02-13-30-00-c", [LEG_2])
        [late] = _load(con, drop)
        assert (late.rows_read, late.rows_loaded) == (1, 1)
        newest = con.execute("""
            select talk_seconds, transfer_count, resolved_at = timestamptz '2026-03-02 10:25:00+00' from raw.contacts
            where contact_id = 't1' qualify row_number() over (order by _load_id desc) = 1""").fetchall()
        assert newest == [(740, 1, True)]
        assert con.execute("select count(distinct contact_id) from raw.contacts").fetchall() == [(7,)]
        assert mismatches(con, CONTACTS) == []


def test_an_unreadable_delivery_loads_nothing_and_is_named(tmp_path: Path):
    drop = tmp_path / "ctr"
    _deliver(drop, "10", "good", [ANSWERED])
    bad = drop / "2026" / "03" / "02" / "11" / "bad"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(gzip.compress(b"{}")[:-6])
    with connect(tmp_path / "cx.duckdb") as con:
        ensure_raw_schema(con, ENTITIES)
        refused = load_batches(con, "contacts", list(AmazonConnectSource(drop).batches(con)), Limits()).refused
        assert re.search("bad: a gzip file that does not decompress.*re-deliver the file", "".join(refused.values()))
        assert con.execute("select source_file from raw._file_loads").fetchall() == [("amazon_connect/2026/03/02/10/good",)]
        # Fixed and re-delivered: the next pull loads it, and only it.
        bad.write_bytes(gzip.compress(json.dumps(CHAT).encode()))
        [fixed] = _load(con, drop)
        assert (fixed.source_file, fixed.rows_loaded) == ("amazon_connect/2026/03/02/11/bad", 1)
