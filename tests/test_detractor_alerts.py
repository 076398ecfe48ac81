"""Detractor alerts: raised once each, posted to a webhook (a local server here), retried after a failure."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_cx.defs.closed_loop import detractor_alerts
from dagster_cx.defs.resources import AlertsResource, WarehouseResource


class _Receiver(BaseHTTPRequestHandler):
    status = 200
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"content_type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[type[_Receiver]]:
    receiver = type("Receiver", (_Receiver,), {"status": 200, "received": []})
    server = HTTPServer(("127.0.0.1", 0), receiver)
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/cx"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


def test_the_build_surfaces_each_detractor_with_a_comment(handmade_warehouse):
    # r0 (NPS 0, a comment) is the hand-made fixture's one detractor with a comment; no webhook in tests.
    assert _ledger(handmade_warehouse) == [("r0", "dagster")]


@pytest.fixture
def warehouse(handmade_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the hand-made warehouse, its alert ledger emptied: r0 is new again."""
    copy = tmp_path / "cx.duckdb"
    shutil.copy(handmade_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("delete from ops.detractor_alerts")
    return copy


def _run(warehouse: Path, url: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [detractor_alerts],
        resources={"warehouse": WarehouseResource(database=str(warehouse)), "alerts": AlertsResource(webhook_url=url)},
        raise_on_error=False,
    )


def _failure(result: dg.ExecuteInProcessResult) -> str:
    """What the failed step said (a dg.Failure's description)."""
    return " ".join(
        (event.step_failure_data.user_failure_data.description or "") if event.step_failure_data.user_failure_data
        else event.step_failure_data.error.to_string()
        for event in result.get_step_failure_events()
    )


def _ledger(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select response_id, delivered_to from ops.detractor_alerts order by all").fetchall()


def test_alerts_are_posted_once_and_a_failed_post_is_retried(warehouse, webhook):
    webhook.status = 500
    failed = _run(warehouse, webhook.url)
    assert not failed.success
    assert "HTTP 500" in _failure(failed) and "CX_ALERT_WEBHOOK_URL" in _failure(failed)
    assert _ledger(warehouse) == [] and len(webhook.received) == 1

    webhook.status = 204
    assert _run(warehouse, webhook.url).success
    assert _ledger(warehouse) == [("r0", "webhook")]
    posted = webhook.received[-1]
    assert posted["content_type"].startswith("application/json")
    (alert,) = posted["body"]["alerts"]
    assert (alert["response_id"], alert["customer_id"], alert["nps_score"]) == ("r0", "u1", 0)
    assert alert["comment_text"] == "Długo czekałem na odpowiedź, źle."
    assert "1 new detractor(s)" in posted["body"]["text"] and "Długo czekałem" in posted["body"]["text"]

    again = _run(warehouse, webhook.url)
    assert again.success and len(webhook.received) == 2  # nothing new: nothing posted
    assert again.asset_materializations_for_node("closed_loop__detractor_alerts")[0].metadata["new_alerts"].value == 0


def test_an_unreachable_webhook_fails_the_asset_and_records_nothing(warehouse):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    result = _run(warehouse, f"http://127.0.0.1:{closed}/hook")
    assert not result.success and "could not reach the webhook" in _failure(result)
    assert _ledger(warehouse) == []


def test_without_a_webhook_alerts_are_surfaced_in_dagster_only(warehouse):
    result = _run(warehouse, "")
    assert result.success and _ledger(warehouse) == [("r0", "dagster")]
    metadata = result.asset_materializations_for_node("closed_loop__detractor_alerts")[0].metadata
    assert metadata["new_alerts"].value == 1 and "Długo czekałem" in metadata["most_urgent"].value
