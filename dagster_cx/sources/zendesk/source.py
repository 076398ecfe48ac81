"""The Zendesk source: each dlt load of the `zendesk` schema not mapped yet becomes one batch per entity.

Landing (`land`, the Dagster landing asset) and mapping (`ZendeskSource.batches`, in the
ingestion step) are separate: a load is mapped once, named `zendesk/<dlt load id>` in the
load log. A ticket updated later lands again (merge on its id) in a later load and becomes
a newer version of its contact. Configured by CX_ZENDESK_SUBDOMAIN (or CX_ZENDESK_BASE_URL),
CX_ZENDESK_EMAIL and CX_ZENDESK_API_TOKEN; the reason by CX_ZENDESK_REASON_FIELD_ID or
CX_ZENDESK_REASON_TAGS; the first run's start by CX_ZENDESK_START_DATE.
"""

from __future__ import annotations

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
from dagster_cx.sources.zendesk.mapping import (
    COLUMNS,
    Directory,
    ZendeskSettings,
    contact_row,
    customer_row,
    event_rows,
    rating_question_rows,
    rating_rows,
)

NAME = "zendesk"


@dataclass(frozen=True)
class ZendeskSource:
    """A Zendesk Support account: what lands from it, and how its loads map onto the contract."""

    account: ZendeskAccount
    settings: ZendeskSettings = field(default_factory=ZendeskSettings)
    start_date: date = date(2000, 1, 1)
    name: str = NAME

    @classmethod
    def from_environment(cls) -> ZendeskSource | None:
        """The source the environment configures; None when no Zendesk account is named."""
        account = ZendeskAccount.from_environment()
        if account is None:
            return None
        field_id = os.environ.get("CX_ZENDESK_REASON_FIELD_ID")
        tags = tuple(t.strip() for t in os.environ.get("CX_ZENDESK_REASON_TAGS", "").split(",") if t.strip())
        start = os.environ.get("CX_ZENDESK_START_DATE")
        return cls(account, ZendeskSettings(reason_field_id=int(field_id) if field_id else None, reason_tags=tags),
                   date.fromisoformat(start) if start else date(2000, 1, 1))

    def dlt_source(self) -> dlt.sources.DltSource:
        """The dlt source of this account (it holds the account's address, never its secrets)."""
        start = int(datetime.combine(self.start_date, datetime.min.time(), UTC).timestamp())
        return zendesk_support(self.account, start_time=start, unassigned_queue=self.settings.unassigned_queue)

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
        for entity, rows, records in (("customers", [customer_row(u, self.settings) for u in users], len(users)),
                                      ("contacts", [contact_row(t, directory, self.settings) for t in tickets], len(tickets)),
                                      ("contact_status_changes", statuses, status_records),
                                      ("contact_messages", messages, comment_records)):
            yield Batch(entity, name, text_table(rows, COLUMNS[entity]), records_fetched=records)
        if not ratings:
            return
        yield Batch("survey_responses", name, text_table(responses, COLUMNS["survey_responses"]),
                    records_fetched=len(ratings))
        # A rating gives one or two answers (its comment): no record count stands behind them.
        yield Batch("survey_answers", name, text_table(answers, COLUMNS["survey_answers"]))


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
