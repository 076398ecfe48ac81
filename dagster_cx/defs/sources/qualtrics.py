"""Qualtrics' landing assets: the configured surveys, their definitions and responses, landed by dlt.

One dagster-dlt multi-asset, `qualtrics/surveys`, `qualtrics/survey_definitions` and
`qualtrics/responses`, writing into the warehouse's `qualtrics` schema; the responses feed
the raw survey responses and answers (the ingestion step maps them). The dlt source it is
built from holds no secret: the API token is read from the environment per request.
"""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from dagster_cx import settings
from dagster_cx.defs.resources import WarehouseResource
from dagster_cx.defs.sources.tags import GROUP, WRITER_POOL, feeds
from dagster_cx.sources.landing import landing_pipeline
from dagster_cx.sources.qualtrics.api import SOURCE, qualtrics_source
from dagster_cx.sources.qualtrics.client import QualtricsSettings

# Which raw entities each resource's records become (the mapping in dagster_cx/sources/surveys/records.py).
FEEDS = {"responses": ("survey_responses", "survey_answers")}


class _Translator(DagsterDltTranslator):
    """Keys `qualtrics/<resource>`; the responses tagged with the raw entities they become."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        fed = FEEDS.get(data.resource.name)
        return spec.replace_attributes(
            key=dg.AssetKey([SOURCE, data.resource.name]), deps=[],
            tags={**spec.tags, **(feeds(*fed) if fed else {})},
        )


def qualtrics_landing(qualtrics: QualtricsSettings) -> dg.AssetsDefinition:
    """The landing multi-asset for these settings (the warehouse is the run's, not the definition's)."""

    @dlt_assets(dlt_source=qualtrics_source(qualtrics), dlt_pipeline=landing_pipeline(SOURCE, settings.warehouse_path()),
                name="qualtrics_landing", group_name=GROUP, dagster_dlt_translator=_Translator(),
                pool=WRITER_POOL)
    def _landing(context: dg.AssetExecutionContext, dlt: DagsterDltResource,
                 warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
        """Land the configured surveys' responses recorded or changed since the last run, and changed definitions."""
        yield from dlt.run(context=context, dlt_pipeline=landing_pipeline(SOURCE, Path(warehouse.database)))

    return _landing
