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
- `satisfaction_ratings`: the ratings list (cursor pagination) from `start_time`, resuming at the
  newest `updated_at` it saw, so a rating changed later (bad -> good) comes again (merged by id).
- `sla_policies`: every SLA policy and its mapping onto the project's policies, replaced on each
  run (sla_resource.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient

from dagster_cx.sources.zendesk.credentials import ZendeskAccount
from dagster_cx.sources.zendesk.paginators import ExportCursorPaginator, ExportTimePaginator, ListCursorPaginator
from dagster_cx.sources.zendesk.sla_resource import sla_policies_resource

PAGE_SIZE = 1000  # the exports' maximum


@dlt.source(name="zendesk", max_table_nesting=0)
def zendesk_support(account: ZendeskAccount, start_time: int = 0, page_size: int = PAGE_SIZE,
                    unassigned_queue: str = "unassigned") -> Any:
    """Zendesk Support's tickets, metric sets, ticket events, users and groups changed since `start_time` (Unix s)."""
    client = RESTClient(base_url=account.base_url, auth=account)

    @dlt.resource(name="tickets", primary_key="id", write_disposition="merge")
    def tickets() -> Iterator[Any]:
        for page in _cursor_export(client, "/api/v2/incremental/tickets/cursor.json", "tickets", start_time,
                                   {"include": "metric_sets", "per_page": page_size}):
            yield page
            yield dlt.mark.with_table_name(page.response.json().get("metric_sets") or [], "ticket_metric_sets")

    @dlt.resource(name="ticket_events", primary_key="id", write_disposition="merge")
    def ticket_events() -> Iterator[Any]:
        state = dlt.current.resource_state()
        paginator = ExportTimePaginator()
        params = {"start_time": state.get("start_time", start_time), "include": "comment_events", "per_page": page_size}
        for page in client.paginate("/api/v2/incremental/ticket_events.json", params=params, paginator=paginator,
                                    data_selector="ticket_events"):
            yield page
            state["start_time"] = paginator.end_time

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

    return (tickets, ticket_events, users, groups, satisfaction_ratings,
            sla_policies_resource(client, unassigned_queue))


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
