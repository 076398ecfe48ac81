"""The dlt source over Zendesk Support's API: the vendor's records as they are, nested parts as JSON.

Resources and their incremental state (dlt's resource state, committed with the load it
belongs to, so a run killed half-way resumes from the last committed page):
- `tickets` (+ `ticket_metric_sets`, side-loaded): the cursor-based incremental ticket export,
  resuming at the last `after_cursor`. Deleted tickets come with status `deleted` (Zendesk's
  documented behaviour); the mapping leaves them out with why.
- `ticket_events`: the time-based incremental ticket event export with comment events,
  resuming at the last page's `end_time` (pages may repeat an event at the edge: merged by id).
- `users`: the cursor-based incremental user export (roles, for message authors; end-users become customers).
- `groups`: every group (queue names), replaced on each run.
- `organizations`: the time-based incremental organization export (the only kind Zendesk offers
  for them), resuming at the last page's `end_time`; an end-user's segment may come from its organization.
- `survey_responses` (only where the updated CSAT is configured): the CSAT survey responses
  (Help Center cursor pagination) created since the last pull less `survey_lookback_days`, so a
  response answered or changed within that window after its creation comes again (merged by id);
  one fetched again unchanged (the same newest answer) is not landed again, until it expires.
- `satisfaction_ratings`: the ratings list (cursor pagination) from `start_time`, resuming at the
  newest `updated_at` it saw, so a rating changed later (bad -> good) comes again (merged by id).
- `schedules` and `schedule_holidays`: business hours, replaced on each run (schedules.py).
- `sla_policies`: every SLA policy and its mapping onto the project's policies, replaced on each
  run (sla_resource.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient

from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.paginators import (
    ExportCursorPaginator,
    ExportTimePaginator,
    HelpCenterCursorPaginator,
    ListCursorPaginator,
)
from dagster_cx.sources.zendesk.schedules import schedule_resources
from dagster_cx.sources.zendesk.sla_resource import sla_policies_resource

PAGE_SIZE = 1000  # the exports' maximum


@dlt.source(name="zendesk", max_table_nesting=0)
def zendesk_support(account: ZendeskAccount, start_time: int = 0, page_size: int = PAGE_SIZE,
                    survey_lookback_days: int | None = None, unassigned_queue: str = "unassigned") -> Any:
    """Zendesk Support's tickets, metric sets, ticket events, users, groups, ratings and organizations changed since
    `start_time` (Unix s); schedules and SLA policies as they are now."""
    client = RESTClient(base_url=account.base_url, auth=account)

    @dlt.resource(name="tickets", primary_key="id", write_disposition="merge")
    def tickets() -> Iterator[Any]:
        for page in _cursor_export(client, "/api/v2/incremental/tickets/cursor.json", "tickets", start_time,
                                   {"include": "metric_sets", "per_page": page_size}):
            yield page
            yield dlt.mark.with_table_name(page.response.json().get("metric_sets") or [], "ticket_metric_sets")

    @dlt.resource(name="ticket_events", primary_key="id", write_disposition="merge")
    def ticket_events() -> Iterator[Any]:
        yield from _time_export(client, "/api/v2/incremental/ticket_events.json", "ticket_events", start_time,
                                {"include": "comment_events", "per_page": page_size})

    @dlt.resource(name="users", primary_key="id", write_disposition="merge")
    def users() -> Iterator[Any]:
        yield from _cursor_export(client, "/api/v2/incremental/users/cursor.json", "users", start_time,
                                  {"per_page": page_size})

    @dlt.resource(name="groups", primary_key="id", write_disposition="replace")
    def groups() -> Iterator[Any]:
        yield from client.paginate("/api/v2/groups.json", params={"page[size]": 100}, paginator=ListCursorPaginator(),
                                   data_selector="groups")

    @dlt.resource(name="satisfaction_ratings", primary_key="id", write_disposition="merge")
    def satisfaction_ratings() -> Iterator[Any]:
        state = dlt.current.resource_state()
        params = {"start_time": state.get("start_time", start_time), "page[size]": min(page_size, 100)}
        for page in client.paginate("/api/v2/satisfaction_ratings.json", params=params,
                                    paginator=ListCursorPaginator(), data_selector="satisfaction_ratings"):
            yield page
            # The next run starts at the newest change seen (inclusive: that second may repeat, merged by id).
            newest = max((_epoch(r["updated_at"]) for r in page), default=None)
            state["start_time"] = max(newest or 0, state.get("start_time", start_time))

    @dlt.resource(name="organizations", primary_key="id", write_disposition="merge")
    def organizations() -> Iterator[Any]:
        yield from _time_export(client, "/api/v2/incremental/organizations.json", "organizations", start_time,
                                {"per_page": page_size})

    @dlt.resource(name="survey_responses", primary_key="id", write_disposition="merge")
    def survey_responses() -> Iterator[Any]:
        state = dlt.current.resource_state()
        # A response is answered (and may change) after it is created: ask again for those created within the
        # look-back before the last pull (the list filters by creation only; repeats are merged by id).
        now = int(time.time())
        since = max(start_time, state.get("pulled_at", start_time) - survey_lookback_days * 86400)
        state["pulled_at"] = now
        # What each response looked like when last landed (its newest answer's change): one fetched again
        # unchanged is not landed again. One that expired before `since` was created before it: never fetched again.
        seen = {key: value for key, value in state.get("seen", {}).items() if _epoch(value[1]) > since}
        params = {"filter[created_at_start]": since * 1000, "page[size]": min(page_size, 100)}
        for page in client.paginate("/api/v2/guide/survey_responses", params=params,
                                    paginator=HelpCenterCursorPaginator(), data_selector="survey_responses"):
            changed = []
            for response in page:
                version = max((a.get("updated_at") or "" for a in response.get("answers") or []), default="")
                if seen.get(response["id"], [None])[0] != version:
                    changed.append(response)
                    seen[response["id"]] = [version, response.get("expires_at") or "9999-12-31T00:00:00Z"]
            yield changed
            state["seen"] = seen

    resources = [tickets, ticket_events, users, groups, satisfaction_ratings, organizations,
                 *schedule_resources(client), sla_policies_resource(client, unassigned_queue)]
    if survey_lookback_days is not None:  # the updated CSAT is configured
        resources.append(survey_responses)
    return resources


def _epoch(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp).timestamp())


def _cursor_export(client: RESTClient, path: str, selector: str, start_time: int, params: dict) -> Iterator[Any]:
    """A cursor-based export from the resource's saved cursor (or `start_time` on the first run); saves each page's."""
    state = dlt.current.resource_state()
    paginator = ExportCursorPaginator()
    first = {"cursor": state["cursor"]} if state.get("cursor") else {"start_time": start_time}
    for page in client.paginate(path, params={**params, **first}, paginator=paginator, data_selector=selector):
        yield page
        state["cursor"] = paginator.after_cursor


def _time_export(client: RESTClient, path: str, selector: str, start_time: int, params: dict) -> Iterator[Any]:
    """A time-based export from the resource's saved `start_time` (the last page's `end_time`); saves each page's."""
    state = dlt.current.resource_state()
    paginator = ExportTimePaginator()
    params = {**params, "start_time": state.get("start_time", start_time)}
    for page in client.paginate(path, params=params, paginator=paginator, data_selector=selector):
        yield page
        state["start_time"] = paginator.end_time
