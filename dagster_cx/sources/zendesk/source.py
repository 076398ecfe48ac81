"""The Zendesk source: each dlt load of the `zendesk` schema not mapped yet becomes one batch per entity.

Landing (`land`, the Dagster landing asset) and mapping (`ZendeskSource.batches`, in the
ingestion step) are separate: a load is mapped once, named `zendesk/<dlt load id>` in the
load log. A ticket updated later lands again (merge on its id) in a later load and becomes
a newer version of its contact. Configured by CX_ZENDESK_SUBDOMAIN (or CX_ZENDESK_BASE_URL),
CX_ZENDESK_EMAIL and CX_ZENDESK_API_TOKEN; the reason by CX_ZENDESK_REASON_FIELD_ID or
CX_ZENDESK_REASON_TAGS; a customer's segment and region from its organization by
CX_ZENDESK_ORGANIZATION_SEGMENT_FIELD, CX_ZENDESK_ORGANIZATION_REGION_FIELD and
CX_ZENDESK_SEGMENT_TAGS; the first run's start by CX_ZENDESK_START_DATE; the schedule a group's
tickets are on by CX_ZENDESK_GROUP_SCHEDULES (else Zendesk's default schedule).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import dlt
import duckdb

from dagster_cx.sources.batches import Batch, text_table
from dagster_cx.sources.landing import landing_pipeline, unmapped_load_ids
from dagster_cx.sources.zendesk.api import zendesk_support
from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.late_tickets import rekeyed_batches
from dagster_cx.sources.zendesk.mapping import (
    COLUMNS,
    Directory,
    ZendeskSettings,
    contact_row,
    customer_row,
    event_rows,
    rating_question_rows,
    rating_rows,
    survey_question_rows,
    survey_response_rows,
    takes_from_organization,
)

NAME = "zendesk"
GROUP_SCHEDULES_VARIABLE = "CX_ZENDESK_GROUP_SCHEDULES"


@dataclass(frozen=True)
class ZendeskSource:
    """A Zendesk Support account: what lands from it, and how its loads map onto the contract."""

    account: ZendeskAccount
    settings: ZendeskSettings = field(default_factory=ZendeskSettings)
    start_date: date = date(2000, 1, 1)
    survey_lookback_days: int = 14  # how long after its creation a CSAT survey response is fetched again
    name: str = NAME
    feeds: tuple[str, ...] = tuple(COLUMNS)

    @classmethod
    def from_environment(cls) -> ZendeskSource | None:
        """The source the environment configures; None when no Zendesk account is named."""
        account = ZendeskAccount.from_environment()
        if account is None:
            return None
        field_id = os.environ.get("CX_ZENDESK_REASON_FIELD_ID", "")
        if field_id and not field_id.isdigit():
            raise ValueError(f"CX_ZENDESK_REASON_FIELD_ID is {field_id!r}: set it to the numeric id of the ticket field "
                             "holding the contact reason (Admin Center > Objects and rules > Ticket fields), or unset it.")
        start = os.environ.get("CX_ZENDESK_START_DATE")
        settings = ZendeskSettings(
            reason_field_id=int(field_id) if field_id else None, reason_tags=_listed("CX_ZENDESK_REASON_TAGS"),
            segment_organization_field=os.environ.get("CX_ZENDESK_ORGANIZATION_SEGMENT_FIELD", "segment"),
            region_organization_field=os.environ.get("CX_ZENDESK_ORGANIZATION_REGION_FIELD", "region"),
            segment_tags=_listed("CX_ZENDESK_SEGMENT_TAGS"), csat_scale_points=_csat_scale_points(),
            group_schedules=_group_schedules())
        return cls(account, settings, date.fromisoformat(start) if start else date(2000, 1, 1), _lookback_days())

    def dlt_source(self) -> dlt.sources.DltSource:
        """The dlt source of this account (it holds the account's address, never its secrets)."""
        start = int(datetime.combine(self.start_date, datetime.min.time(), UTC).timestamp())
        lookback = self.survey_lookback_days if self.settings.csat_scale_points else None
        return zendesk_support(self.account, start_time=start, survey_lookback_days=lookback,
                               unassigned_queue=self.settings.unassigned_queue)

    def land(self, warehouse: Path) -> dlt.common.pipeline.LoadInfo:
        """Fetch what changed since the last landing into the warehouse's `zendesk` schema."""
        return landing_pipeline(NAME, warehouse).run(self.dlt_source())

    def batches(self, con: duckdb.DuckDBPyConnection) -> Iterator[Batch]:
        """For each landed load not mapped yet: its customers, contacts, status changes, messages and
        satisfaction ratings (survey responses and answers); first the ratings' questions, once any landed."""
        if _rows_exist(con, "satisfaction_ratings"):
            questions = rating_question_rows()
            yield Batch("questions", f"{NAME}/questions", text_table(questions, COLUMNS["questions"]),
                        records_fetched=len(questions))
        if scaled := survey_question_rows(_rows(con, "survey_responses"), self.settings):
            yield Batch("questions", f"{NAME}/survey_questions", text_table(scaled, COLUMNS["questions"]),
                        records_fetched=len(scaled))
        for load_id in unmapped_load_ids(con, NAME):
            yield from self._map_load(con, load_id)

    def _map_load(self, con: duckdb.DuckDBPyConnection, load_id: str) -> Iterator[Batch]:
        name = f"{NAME}/{load_id}"
        users = _rows(con, "users", load_id)
        tickets = _rows(con, "tickets", load_id)
        events = _rows(con, "ticket_events", load_id)
        every_ticket = _rows(con, "tickets")
        directory = Directory(
            users={row["id"]: row for row in _rows(con, "users")},
            group_names={row["id"]: row["name"] for row in _rows(con, "groups")},
            ticket_keys={row["id"]: row["external_id"] for row in every_ticket if row.get("external_id")},
            deleted_tickets=frozenset(row["id"] for row in every_ticket if row.get("status") == "deleted"),
            organizations={row["id"]: row for row in _rows(con, "organizations")},
            **_schedules(con),
        )
        ratings = _rows(con, "satisfaction_ratings", load_id)
        responses, answers = [], []
        for rating in ratings:
            response, rating_answers = rating_rows(rating, directory)
            responses.append(response)
            answers += rating_answers
        statuses, messages = [], []
        for event in events:
            event_statuses, event_messages = event_rows(event, directory)
            statuses += event_statuses
            messages += event_messages
        status_records, comment_records = _child_event_counts(con, load_id)
        for entity, rows, records in (("customers", [customer_row(u, self.settings, directory) for u in users],
                                       len(users)),
                                      ("contacts", [contact_row(t, directory, self.settings) for t in tickets], len(tickets)),
                                      ("contact_status_changes", statuses, status_records),
                                      ("contact_messages", messages, comment_records)):
            yield Batch(entity, name, text_table(rows, COLUMNS[entity]), records_fetched=records)
        yield from self._organization_members(con, load_id, directory, {user["id"] for user in users})
        yield from rekeyed_batches(con, name, tickets)
        yield from self._survey_responses(con, load_id, directory)
        if not ratings:
            return
        yield Batch("survey_responses", name, text_table(responses, COLUMNS["survey_responses"]),
                    records_fetched=len(ratings))
        # A rating gives one or two answers (its comment): no record count stands behind them.
        yield Batch("survey_answers", name, text_table(answers, COLUMNS["survey_answers"]))


    def _survey_responses(self, con: duckdb.DuckDBPyConnection, load_id: str, directory: Directory) -> Iterator[Batch]:
        """The load's CSAT survey responses (the updated CSAT) and their answers, in batches of their own."""
        landed = _rows(con, "survey_responses", load_id)
        if not landed:
            return
        responses, answers = [], []
        for response in landed:
            row, response_answers = survey_response_rows(response, directory, self.settings)
            responses.append(row)
            answers += response_answers
        name = f"{NAME}/{load_id}/survey_responses"
        yield Batch("survey_responses", name, text_table(responses, COLUMNS["survey_responses"]),
                    records_fetched=len(landed))
        yield Batch("survey_answers", name, text_table(answers, COLUMNS["survey_answers"]),
                    records_fetched=_answer_count(con, load_id))

    def _organization_members(self, con: duckdb.DuckDBPyConnection, load_id: str, directory: Directory,
                              mapped: set[int]) -> Iterator[Batch]:
        """Customers whose segment or region comes from an organization this load changed: a newer
        version of each, beside the load's own users (their user records did not change, so no count)."""
        changed = {row["id"] for row in _rows(con, "organizations", load_id)}
        members = [user for user in _rows(con, "users") if user["id"] not in mapped
                   and user.get("organization_id") in changed and takes_from_organization(user, self.settings)]
        if members:
            yield Batch("customers", f"{NAME}/{load_id}/organizations",
                        text_table([customer_row(u, self.settings, directory) for u in members], COLUMNS["customers"]))


def _group_schedules() -> dict[str, str]:
    """CX_ZENDESK_GROUP_SCHEDULES: a JSON object, group name -> Zendesk schedule id or project schedule id."""
    text = os.environ.get(GROUP_SCHEDULES_VARIABLE, "").strip()
    if not text:
        return {}
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{GROUP_SCHEDULES_VARIABLE} is not JSON ({error}): set it to an object of group name -> "
                         'schedule id, e.g. {"US support": 360000000101, "Billing": "pl_office"}') from error
    if not isinstance(mapping, dict):
        raise ValueError(f"{GROUP_SCHEDULES_VARIABLE} must be a JSON object of group name -> schedule id, "
                         'e.g. {"US support": 360000000101}')
    return {str(group): str(schedule) for group, schedule in mapping.items()}


def _schedules(con: duckdb.DuckDBPyConnection) -> dict:
    """The account's schedule ids and its default schedule (the oldest: Zendesk's documented default)."""
    schedules = sorted(_rows(con, "schedules"), key=lambda row: (row["created_at"], row["id"]))
    return {"schedule_ids": frozenset(row["id"] for row in schedules),
            "default_schedule": schedules[0]["id"] if schedules else None}


def _child_event_counts(con: duckdb.DuckDBPyConnection, load_id: str) -> tuple[int, int]:
    """The load's status-change and comment child events, counted in SQL apart from the mapping that maps them."""
    if not _rows_exist(con, "ticket_events"):
        return 0, 0
    [(statuses, comments)] = con.execute(f"""
        select count(*) filter (where child ->> 'field_name' = 'status' and child ->> 'event_type' in ('Create', 'Change')),
               count(*) filter (where child ->> 'event_type' = 'Comment')
        from (select unnest(cast(child_events as json[])) as child from {NAME}.ticket_events where _dlt_load_id = ?)
        """, [load_id]).fetchall()
    return statuses, comments


def _answer_count(con: duckdb.DuckDBPyConnection, load_id: str) -> int:
    """The answers of the load's survey responses, counted in SQL apart from the mapping (which omits the
    answers of a response it leaves out whole: not on a ticket, or none given)."""
    [(count,)] = con.execute(f"""
        select coalesce(sum(json_array_length(answers)), 0) from {NAME}.survey_responses
        where _dlt_load_id = ? and answers is not null
        """, [load_id]).fetchall()
    return count


def _csat_scale_points() -> int | None:
    """CX_ZENDESK_CSAT_SCALE_POINTS: the updated CSAT's rating scale (2, 3 or 5 points); unset: not read."""
    points = os.environ.get("CX_ZENDESK_CSAT_SCALE_POINTS")
    if points is None:
        return None
    if points not in ("2", "3", "5"):
        raise ValueError(f"CX_ZENDESK_CSAT_SCALE_POINTS is {points!r}: set it to 2, 3 or 5, the points of your "
                         "CSAT survey's rating question, or unset it if you use the legacy CSAT (good / bad).")
    return int(points)


def _lookback_days() -> int:
    """CX_ZENDESK_SURVEY_LOOKBACK_DAYS: how long after the last pull survey responses are asked for again."""
    days = os.environ.get("CX_ZENDESK_SURVEY_LOOKBACK_DAYS", "14")
    if not days.isdigit():
        raise ValueError(f"CX_ZENDESK_SURVEY_LOOKBACK_DAYS is {days!r}: set it to a whole number of days (your CSAT "
                         "survey's response window), or unset it for 14.")
    return int(days)


def _listed(variable: str) -> tuple[str, ...]:
    """A comma-separated environment variable's values."""
    return tuple(value.strip() for value in os.environ.get(variable, "").split(",") if value.strip())


def _rows_exist(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return con.execute("select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
                       [NAME, table]).fetchall()[0][0] > 0


def _rows(con: duckdb.DuckDBPyConnection, table: str, load_id: str | None = None) -> list[dict]:
    """A landed table's rows (of one dlt load, or all), as dicts; none if the table never landed."""
    if not _rows_exist(con, table):
        return []
    where = "where _dlt_load_id = ?" if load_id else ""
    cursor = con.execute(f"select * from {NAME}.{table} {where} order by id", [load_id] if load_id else [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
