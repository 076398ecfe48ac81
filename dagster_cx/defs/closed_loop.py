"""Closed loop: new detractors with a comment, surfaced in Dagster and posted to a webhook if set."""

from datetime import UTC, datetime

import dagster as dg

from dagster_cx.closed_loop.alerts import WebhookError, ensure_ledger, new_alerts, payload, post, record
from dagster_cx.defs.ingest import WRITER_POOL
from dagster_cx.defs.resources import AlertsResource, WarehouseResource


@dg.asset(
    key=["closed_loop", "detractor_alerts"],
    group_name="closed_loop",
    kinds={"python", "duckdb"},
    deps=[dg.AssetKey(["marts", "detractor_followups"])],
    pool=WRITER_POOL,
    description="Each run: detractors with a comment in the follow-up queue not alerted before, most urgent "
    "first, in this asset's metadata and, when CX_ALERT_WEBHOOK_URL is set, POSTed there as JSON. "
    "Recorded in ops.detractor_alerts, so none is raised twice; a failed POST records nothing.",
)
def detractor_alerts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, alerts: AlertsResource
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        ensure_ledger(con)
        found = new_alerts(con)
        if found and alerts.webhook_url:
            try:
                post(alerts.webhook_url, payload(found))
            except WebhookError as error:
                raise dg.Failure(description=str(error), metadata={"unsent_alerts": len(found)}) from error
        record(con, found, context.run_id, "webhook" if alerts.webhook_url else "dagster", datetime.now(UTC))
    table = "\n".join(
        ["| # | customer | segment | channel | NPS | comment |", "|---|---|---|---|---|---|"]
        + [f"| {a.priority_rank} | {a.customer_id} | {a.customer_segment} | {a.channel} | {a.nps_score} | "
           f"{a.comment_text[:120].replace('|', '/')} |" for a in found[:20]]
    )
    return dg.MaterializeResult(
        metadata={
            "new_alerts": len(found),
            "posted_to_webhook": bool(found and alerts.webhook_url),
            "most_urgent": dg.MetadataValue.md(table if found else "No new detractor with a comment."),
        }
    )
