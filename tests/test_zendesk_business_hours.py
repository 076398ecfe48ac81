"""Business minutes of Zendesk tickets count on the ticket's Zendesk schedule, by hand.

One fake Zendesk account with two schedules: Berlin (the oldest, so Zendesk's default) and New
York (Eastern Time: its Sunday hours hold the 2026-03-08 DST change, Wednesday is split, a
holiday closes Thursday 03-12). Group us_support is on New York by the group map; pl_support's
tickets are on the default. The landing, the mapping, the gate and a real dbt build of
fct_contacts run; the numbers are worked out below in each schedule's local time.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from dagster_cx.contract import ENTITIES
from dagster_cx.defs.dbt_project import dbt_executable, dbt_project
from dagster_cx.ingest.plausibility import Limits
from dagster_cx.ingest.raw_tables import ensure_raw_schema
from dagster_cx.sample.zendesk_api import FakeZendesk
from dagster_cx.sources.batches import load_batches
from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.mapping import ZendeskSettings
from dagster_cx.sources.zendesk.source import ZendeskSource
from dagster_cx.warehouse import connect
from tests.test_zendesk import EMAIL, TOKEN, comment, event, status, ticket, user
from tests.test_zendesk_schedules import BERLIN, NEW_YORK

pytestmark = pytest.mark.slow  # a dbt build of fct_contacts and all before it

SUNDAY, MONDAY, WEDNESDAY, FRIDAY = 0, 1440, 3 * 1440, 5 * 1440


def _hours(day: int, start: str, end: str) -> dict:
    """An interval as Zendesk gives it: minutes since Sunday 00:00."""
    def minutes(hhmm: str) -> int:
        return int(hhmm[:2]) * 60 + int(hhmm[3:])
    return {"start_time": day + minutes(start), "end_time": day + minutes(end)}


def _account() -> dict[str, list[dict]]:
    weekdays = [_hours(d * 1440, "09:00", "17:00") for d in (1, 2, 4)]
    return {
        "users": [user(101, "end-user", "Ala"), user(201, "agent", "Ewa")],
        "groups": [{"id": 1, "name": "pl_support"}, {"id": 2, "name": "us_support"}, {"id": 3, "name": "mars"}],
        "schedules": [
            {"id": NEW_YORK, "name": "US", "time_zone": "Eastern Time (US & Canada)",
             "created_at": "2025-02-01T00:00:00Z", "updated_at": "2025-02-01T00:00:00Z",
             "intervals": [_hours(SUNDAY, "00:00", "06:00"), *weekdays, _hours(WEDNESDAY, "09:00", "12:00"),
                           _hours(WEDNESDAY, "13:00", "17:00"),
                           {"start_time": FRIDAY + 540, "end_time": FRIDAY + 1440}]},  # to midnight
            {"id": BERLIN, "name": "DACH", "time_zone": "Berlin", "created_at": "2024-06-01T00:00:00Z",
             "updated_at": "2024-06-01T00:00:00Z",
             "intervals": [_hours(d * 1440, "08:00", "16:00") for d in range(1, 6)]},
        ],
        "schedule_holidays": [{"id": 71, "schedule_id": NEW_YORK, "name": "Closed", "start_date": "2026-03-12",
                               "end_date": "2026-03-12"}],
        "tickets": [
            ticket(1, "email", "solved", "2026-03-08T04:00:00Z", "2026-03-13T15:00:00Z", group=2),
            ticket(2, "email", "solved", "2026-03-09T06:00:00Z", "2026-03-10T09:00:00Z", group=1),
            ticket(3, "email", "open", "2026-03-09T06:00:00Z", "2026-03-09T06:00:00Z", group=3),
        ],
        "ticket_events": [
            event(11, 1, "2026-03-08T04:00:00Z", 101, status(111, "new"), comment(112, 101)),
            event(12, 1, "2026-03-08T12:00:00Z", 201, status(121, "open", "new"), comment(122, 201)),
            event(13, 1, "2026-03-13T15:00:00Z", 201, status(131, "solved", "open")),
            event(21, 2, "2026-03-09T06:00:00Z", 101, status(211, "new"), comment(212, 101)),
            event(22, 2, "2026-03-09T08:30:00Z", 201, status(221, "open", "new"), comment(222, 201)),
            event(23, 2, "2026-03-10T09:00:00Z", 201, status(231, "solved", "open")),
        ],
    }


def _dbt(warehouse: Path, target: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(dbt_project.project_dir),
         "--profiles-dir", str(dbt_project.profiles_dir), "--target-path", str(target)],
        env={**os.environ, "CX_WAREHOUSE": str(warehouse)}, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("zendesk_hours")
    warehouse = folder / "cx.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CX_ZENDESK_EMAIL", EMAIL)
        env.setenv("CX_ZENDESK_API_TOKEN", TOKEN)
        api = FakeZendesk(_account(), EMAIL, TOKEN)
        settings = ZendeskSettings(group_schedules={"us_support": str(NEW_YORK), "mars": "999"})
        with api.serving() as url:
            source = ZendeskSource(ZendeskAccount(url), settings)
            source.land(warehouse)
            with connect(warehouse) as con:
                ensure_raw_schema(con, ENTITIES)
                batches = list(source.batches(con))
                for entity in ENTITIES:
                    load_batches(con, entity.name, batches, Limits())
    completed = _dbt(warehouse, folder / "target", "build", "--quiet", "--select", "+fct_contacts",
                     "--indirect-selection", "cautious", "--exclude", "resource_type:unit_test")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return warehouse


def test_business_minutes_count_on_the_ticket_s_schedule(built: Path):
    with duckdb.connect(str(built), read_only=True) as con:
        rows = con.execute("""select contact_id, first_reply_time_business_minutes,
                                     full_resolution_time_business_minutes
                              from marts.fct_contacts order by contact_id""").fetchall()
    # Ticket 1, New York. Created Sat 03-07 23:00 EST (04:00Z), replied Sun 08:00 EDT (12:00Z). Sunday's
    # 00:00-06:00 is 5 hours on 03-08: 02:00 EST jumps to 03:00 EDT (05:00Z-10:00Z) -> 300.
    # Solved Fri 03-13 11:00 EDT: Sunday 300 + Monday 480 + Tuesday 480 + Wednesday 180 + 240 (split)
    # + Thursday 0 (holiday) + Friday 09:00-11:00 120 = 1800.
    # Ticket 2, Berlin (the default). Created Mon 03-09 07:00 CET, replied 09:30 -> 90;
    # solved Tue 10:00 CET: Monday 08:00-16:00 480 + Tuesday 08:00-10:00 120 = 600.
    assert rows == [("1", 300.0, 1800.0), ("2", 90.0, 600.0)]


def test_a_group_on_a_schedule_the_account_lacks_is_quarantined_with_why(built: Path):
    with duckdb.connect(str(built), read_only=True) as con:
        [(reason,)] = con.execute("select reason from raw.quarantine where entity = 'contacts'").fetchall()
    assert "group 'mars' is on Zendesk schedule 999 (CX_ZENDESK_GROUP_SCHEDULES)" in reason
    assert "correct the schedule id" in reason


def test_an_unknown_time_zone_name_fails_the_build_and_says_what_to_add(built: Path, tmp_path: Path):
    warehouse = tmp_path / "cx.duckdb"
    warehouse.write_bytes(built.read_bytes())
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update zendesk.schedules set time_zone = 'Olympus Mons' where id = ?", [NEW_YORK])
    completed = _dbt(warehouse, tmp_path / "target", "test", "--select", "assert_zendesk_time_zones_known")
    assert completed.returncode != 0 and "assert_zendesk_time_zones_known" in completed.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(schedule, advice)] = con.execute(
            "select schedule_id, what_to_do from dbt_test__audit.assert_zendesk_time_zones_known").fetchall()
    assert schedule == f"zendesk_{NEW_YORK}"
    assert advice.startswith('add a row to dbt_project/seeds/zendesk_time_zones.csv mapping "Olympus Mons"')
