"""Closed loop: detractor alerts (Dagster and a webhook) and the daily delayed-survey invitations."""

from datetime import UTC, date, datetime

import dagster as dg
from pydantic import Field

from dagster_cx.closed_loop.alerts import WebhookError, ensure_ledger, new_alerts, payload, post, record
from dagster_cx.defs.ingest import WRITER_POOL
from dagster_cx.closed_loop.survey_triggers import MOMENT_SQL, TriggerRules, invite
from dagster_cx.defs.resources import AlertsResource, SurveyInvitationsResource, WarehouseResource

GROUP = "closed_loop"


@dg.asset(
    key=["closed_loop", "detractor_alerts"],
    group_name=GROUP,
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


class SurveyInvitationsConfig(dg.Config):
    """The invitation rules (dagster_cx/closed_loop/survey_triggers.py says how each applies)."""

    as_of_date: str = Field(default="", description="Day to invite for, YYYY-MM-DD; empty: today (UTC). "
                            "Replay a past day for a backfill: the ledger keeps the rules across days.")
    moments: list[str] = Field(default=list(TriggerRules.moments), description=f"Key moments, of {sorted(MOMENT_SQL)}.")
    delay_min_days: int = Field(default=TriggerRules.delay_min_days,
                                description="First day after the moment a customer is due.")
    delay_max_days: int = Field(default=TriggerRules.delay_max_days,
                                description="Last day after the moment a customer is due.")
    min_days_between_surveys: int = Field(default=TriggerRules.min_days_between_surveys,
                                          description="At most one survey per customer this often.")
    high_effort_max_ces: int = Field(default=TriggerRules.high_effort_max_ces,
                                     description="CES (1-7) at or below which a contact was hard.")


@dg.asset(
    key=["closed_loop", "survey_invitations"],
    group_name=GROUP,
    kinds={"python", "duckdb", "csv"},
    deps=[dg.AssetKey(["marts", name]) for name in ("fct_contacts", "dim_customers", "fct_survey_responses")]
    + [dg.AssetKey(["staging", "stg_cx__survey_opt_outs"])],
    pool=WRITER_POOL,
    description="Customers due for a delayed survey 60-90 days after a key moment, under the contact-frequency "
    "rules (one survey per customer per 30 days, no opt-outs or churned customers, never twice per moment): "
    "survey_invitations_<day>.csv for the survey tool, recorded in ops.survey_invitations.",
)
def survey_invitations(
    context: dg.AssetExecutionContext,
    config: SurveyInvitationsConfig,
    warehouse: WarehouseResource,
    survey_invitations_folder: SurveyInvitationsResource,
) -> dg.MaterializeResult:
    as_of = date.fromisoformat(config.as_of_date) if config.as_of_date else datetime.now(UTC).date()
    rules = TriggerRules(
        moments=tuple(config.moments), delay_min_days=config.delay_min_days, delay_max_days=config.delay_max_days,
        min_days_between_surveys=config.min_days_between_surveys, high_effort_max_ces=config.high_effort_max_ces,
    )
    with warehouse.connect() as con:
        day = invite(con, as_of, rules, context.run_id, survey_invitations_folder.path)
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "newly_invited": day.newly_invited,
            "listed_for_the_day": day.listed,
            "csv": dg.MetadataValue.path(str(day.csv_path)),
        }
    )
