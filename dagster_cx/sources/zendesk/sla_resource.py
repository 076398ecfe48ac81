"""The `sla_policies` resource: Zendesk's SLA policies as they are, and what the project makes of them.

Zendesk lists every policy in one response (`GET /api/v2/slas/policies`, no paging); the
resource replaces its tables on each run, so a policy removed in Zendesk is gone here too. An
account whose plan has no SLA policies gets 403 there: it lands none (and the seed's apply).
Beside the policies it writes the mapping's two tables (sla_policies.py): `sla_policy_targets`
(the applied policies as project policies, read by dbt) and `sla_policy_mapping` (every
condition and metric, applied or not, with why). The groups are read again for the mapping
(group conditions name groups by id; their names are the project's queues).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import SinglePagePaginator
from requests import HTTPError

from dagster_cx.sources.zendesk.paginators import ListCursorPaginator
from dagster_cx.sources.zendesk.sla_policies import mapped_policies

FORBIDDEN = 403  # the account's plan has no SLA policies
TARGETS_TABLE, MAPPING_TABLE = "sla_policy_targets", "sla_policy_mapping"
# Declared, so both tables exist (and are emptied on replace) even when a run maps nothing into one.
TARGET_COLUMNS = {"zendesk_policy_id": {"data_type": "bigint"}, "title": {"data_type": "text"},
                  "position": {"data_type": "bigint"}, "metric": {"data_type": "text"},
                  "channel": {"data_type": "text"}, "priority": {"data_type": "text"}, "queue": {"data_type": "text"},
                  "target_minutes": {"data_type": "bigint"}, "is_business_hours": {"data_type": "bool"}}
MAPPING_COLUMNS = {"zendesk_policy_id": {"data_type": "bigint"}, "title": {"data_type": "text"},
                   "position": {"data_type": "bigint"}, "part": {"data_type": "text"}, "detail": {"data_type": "text"},
                   "is_applied": {"data_type": "bool"}, "reason": {"data_type": "text"}}


def sla_policies_resource(client: RESTClient, unassigned_queue: str) -> Any:
    """A resource landing the account's SLA policies and their mapping (replaced on each run)."""

    @dlt.resource(name="sla_policies", write_disposition="replace")
    def sla_policies() -> Iterator[Any]:
        try:
            policies = [policy for page in client.paginate("/api/v2/slas/policies", paginator=SinglePagePaginator(),
                                                           data_selector="sla_policies") for policy in page]
        except HTTPError as error:
            if error.response is None or error.response.status_code != FORBIDDEN:
                raise
            policies = []
        groups = {group["id"]: group["name"] for page in client.paginate(
            "/api/v2/groups.json", params={"page[size]": 100}, paginator=ListCursorPaginator(),
            data_selector="groups") for group in page}
        targets, report = mapped_policies(policies, groups, unassigned_queue)
        yield policies
        yield dlt.mark.with_hints(targets, dlt.mark.make_hints(table_name=TARGETS_TABLE, columns=TARGET_COLUMNS))
        yield dlt.mark.with_hints(report, dlt.mark.make_hints(table_name=MAPPING_TABLE, columns=MAPPING_COLUMNS))

    return sla_policies
