"""Zendesk's business-hours schedules and their holidays, as dlt resources (replaced on each run).

They are configuration, not activity: each run fetches all of them again (Zendesk's "Schedules"
reference: `GET /api/v2/business_hours/schedules` lists every schedule with its intervals in
minutes since Sunday midnight and its time zone as Zendesk names it;
`GET /api/v2/business_hours/schedules/{id}/holidays` lists a schedule's holidays). The
reference gives neither list paging parameters. A holiday record does not name its schedule:
`schedule_id` is added, the only change to the vendor's shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import SinglePagePaginator

SCHEDULES_PATH = "/api/v2/business_hours/schedules.json"
HOLIDAYS_PATH = "/api/v2/business_hours/schedules/{schedule_id}/holidays.json"


def schedule_resources(client: RESTClient) -> tuple[Any, Any]:
    """The `schedules` resource and its `schedule_holidays` transformer (one holidays request per schedule)."""

    @dlt.resource(name="schedules", primary_key="id", write_disposition="replace")
    def schedules() -> Iterator[Any]:
        yield from client.paginate(SCHEDULES_PATH, paginator=SinglePagePaginator(), data_selector="schedules")

    @dlt.transformer(data_from=schedules, name="schedule_holidays", primary_key="id", write_disposition="replace")
    def schedule_holidays(page: list[dict]) -> Iterator[Any]:
        for schedule in page:
            for holidays in client.paginate(HOLIDAYS_PATH.format(schedule_id=schedule["id"]),
                                            paginator=SinglePagePaginator(), data_selector="holidays"):
                yield [{**holiday, "schedule_id": schedule["id"]} for holiday in holidays]

    return schedules, schedule_holidays
