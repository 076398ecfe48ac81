"""The inbox sensor: new files start one build; nothing is picked up twice or missed."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_cx.defs.resources import RawFilesResource
from dagster_cx.defs.sensors import new_raw_files
from dagster_cx.ingest.inbox import SETTLE_SECONDS, scan_inbox

HANDMADE = Path(__file__).parent / "fixtures" / "handmade"
DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A copy of the hand-made fixture whose files were written long enough ago to be settled."""
    data = tmp_path / "data"
    shutil.copytree(HANDMADE, data)
    settled = time.time() - SETTLE_SECONDS - 60
    for path in data.rglob("*.csv"):
        os.utime(path, (settled, settled))
    return data


def _tick(inbox: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(cursor=cursor, resources={"raw_files": RawFilesResource(data_dir=str(inbox))})
    return new_raw_files(context)


def test_first_look_requests_one_build_for_every_file_then_nothing(inbox):
    first = _tick(inbox, None)
    (request,) = first.run_requests
    assert request.tags["cx/new_files"] == "9"  # one file per entity folder of the fixture
    second = _tick(inbox, first.cursor)
    assert not second.run_requests and "No new settled files" in second.skip_reason.skip_message
    assert second.cursor == first.cursor


def test_a_new_file_and_a_replaced_file_are_picked_up_and_only_they(inbox):
    cursor = _tick(inbox, None).cursor
    added = inbox / "contacts" / "contacts_2026-04.csv"
    shutil.copy(inbox / "contacts" / "contacts.csv", added)
    replaced = inbox / "customers" / "customers.csv"
    replaced.write_text(replaced.read_text(encoding="utf-8") + "u4,Zoë,z@example.com,smb,PL-Mazowieckie,pl,2026-01-01,10,active,\n",
                        encoding="utf-8")
    settled = time.time() - SETTLE_SECONDS - 1
    for path in (added, replaced):
        os.utime(path, (settled, settled))
    scan = scan_inbox(inbox, cursor)
    assert scan.new_files == ["contacts/contacts_2026-04.csv", "customers/customers.csv"]
    result = _tick(inbox, cursor)
    assert len(result.run_requests) == 1 and result.run_requests[0].tags["cx/new_files"] == "2"
    assert not _tick(inbox, result.cursor).run_requests


def test_a_file_still_being_written_waits_for_the_next_look(inbox):
    cursor = _tick(inbox, None).cursor
    fresh = inbox / "contacts" / "contacts_2026-05.csv"
    shutil.copy(inbox / "contacts" / "contacts.csv", fresh)  # modified just now
    assert scan_inbox(inbox, cursor).new_files == []
    later = scan_inbox(inbox, cursor, now=time.time() + SETTLE_SECONDS + 1)
    assert later.new_files == ["contacts/contacts_2026-05.csv"]


def test_files_of_other_kinds_and_unknown_folders_are_ignored(inbox):
    cursor = _tick(inbox, None).cursor
    (inbox / "contacts" / "notes.txt").write_text("not data")
    (inbox / "unknown_entity").mkdir()
    (inbox / "unknown_entity" / "x.csv").write_text("a\n1\n")
    assert scan_inbox(inbox, cursor, now=time.time() + 3600).new_files == []


def test_the_deploy_instance_runs_one_build_at_a_time(tmp_path):
    shutil.copy(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        config = instance.get_concurrency_config()
        assert config.run_queue_config.max_concurrent_runs == 1
        assert config.pool_config.default_pool_limit == 1
    finally:
        instance.dispose()


def test_files_in_a_configured_drop_folder_start_a_build_too(inbox, tmp_path, monkeypatch):
    """Amazon Connect CTRs as Firehose delivers them (nested hour folders, no suffix) and a survey export."""
    ctrs, exports = tmp_path / "ctrs", tmp_path / "exports"
    delivery = ctrs / "2026" / "03" / "01" / "09" / "cx-ctr-1-2026-03-01-09-00-00-abc"
    export = exports / "onboarding" / "export_2026-03.csv"
    hidden = ctrs / "2026" / ".upload.tmp"
    for path in (delivery, export, hidden):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}", encoding="utf-8")
        settled = time.time() - SETTLE_SECONDS - 60
        os.utime(path, (settled, settled))
    monkeypatch.setenv("CX_AMAZON_CONNECT_CTR_DIR", str(ctrs))
    monkeypatch.setenv("CX_SURVEY_EXPORTS_DIR", str(exports))
    first = _tick(inbox, None)
    assert first.run_requests[0].tags["cx/new_files"] == "11"  # the 9 inbox files and the 2 deliveries
    cursor = json.loads(first.cursor)
    assert {"amazon_connect:2026/03/01/09/cx-ctr-1-2026-03-01-09-00-00-abc",
            "survey_exports:onboarding/export_2026-03.csv"} <= set(cursor)
    assert not _tick(inbox, first.cursor).run_requests
