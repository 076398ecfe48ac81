"""Zendesk's landing asset: dlt fetches what changed in the account into the warehouse's `zendesk` schema."""

import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from dagster_cx import settings
from dagster_cx.defs.resources import WarehouseResource
from dagster_cx.defs.sources.tags import GROUP, WRITER_POOL, feeds
from dagster_cx.sources.landing import landing_pipeline
from dagster_cx.sources.zendesk.sla_report import sla_mapping_counts
from dagster_cx.sources.zendesk.source import NAME, ZendeskSource

# Which raw entities each resource's records become (the mapping in dagster_cx/sources/zendesk/mapping.py).
FEEDS = {
    "tickets": ("contacts",),
    "ticket_events": ("contact_status_changes", "contact_messages"),
    "users": ("customers", "contact_messages"),
    "groups": ("contacts",),
    "satisfaction_ratings": ("questions", "survey_responses", "survey_answers"),
    "organizations": ("customers",),
    "survey_responses": ("questions", "survey_responses", "survey_answers"),
    # dbt reads the hours themselves (models/intermediate/business_hours); a ticket's schedule is one of them.
    "schedules": ("contacts",),
    "schedule_holidays": (),
    "sla_policies": (),  # read by dbt (stg_zendesk__sla_policy_targets), not by the ingestion step
}


class _Translator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=dg.AssetKey([NAME, data.resource.name]), group_name=GROUP, deps=[],
            description=f"Zendesk Support's {data.resource.name}, as the API returns them, in the warehouse schema "
            f"{NAME} (landed by dlt; only what changed since the last landing is fetched).",
        ).merge_attributes(tags=feeds(*FEEDS[data.resource.name]))


SLA_POLICIES_KEY = dg.AssetKey([NAME, "sla_policies"])


def _with_sla_mapping_counts(result: dg.MaterializeResult, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The SLA policies' materialization with how many policies, conditions and metrics were not applied."""
    with warehouse.connect(read_only=True) as con:
        counts = sla_mapping_counts(con)
    if counts is None:
        return result
    return dg.MaterializeResult(asset_key=result.asset_key, metadata={
        **(result.metadata or {}), "sla_policies": counts.policies, "sla_policies_not_applied": counts.policies_not_applied,
        "sla_conditions_or_metrics_not_applied": counts.parts_not_applied})


def zendesk_landing(source: ZendeskSource) -> dg.AssetsDefinition:
    """The landing asset of one Zendesk account (its secrets are read when a request is made, never here)."""

    @dlt_assets(dlt_source=source.dlt_source(), dlt_pipeline=landing_pipeline(NAME, settings.warehouse_path()),
                name="zendesk_landing", dagster_dlt_translator=_Translator(),
                pool=WRITER_POOL)
    def _landing(context: dg.AssetExecutionContext, dlt: DagsterDltResource, warehouse: WarehouseResource):
        # dlt writes the warehouse file itself; `warehouse` is here for its writer lock, held for the run.
        for result in dlt.run(context=context):
            yield _with_sla_mapping_counts(result, warehouse) if result.asset_key == SLA_POLICIES_KEY else result

    return _landing
