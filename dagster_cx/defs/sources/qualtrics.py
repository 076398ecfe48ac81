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
from dagster_cx.sources.landing import landing_pipeline
from dagster_cx.sources.qualtrics.api import SOURCE, qualtrics_source
from dagster_cx.sources.qualtrics.client import QualtricsSettings

WRITER_POOL = "duckdb_writer"  # the ingestion step's pool: dlt writes into the warehouse, which takes one writer
FEEDS = {"responses": "survey_responses.survey_answers"}  # FEEDS_TAG's value


class _Translator(DagsterDltTranslator):
    """Keys `qualtrics/<resource>`; the responses tagged with the raw entities they become."""

    def __init__(self, feeds_tag: str) -> None:
        super().__init__()
        self.feeds_tag = feeds_tag

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        feeds = FEEDS.get(data.resource.name)
        return spec.replace_attributes(
            key=dg.AssetKey([SOURCE, data.resource.name]), deps=[],
            tags={**spec.tags, **({self.feeds_tag: feeds} if feeds else {})},
        )


def qualtrics_landing(qualtrics: QualtricsSettings, group: str, feeds_tag: str) -> dg.AssetsDefinition:
    """The landing multi-asset for these settings (the warehouse is the run's, not the definition's)."""

    @dlt_assets(dlt_source=qualtrics_source(qualtrics), dlt_pipeline=landing_pipeline(SOURCE, settings.warehouse_path()),
                name="qualtrics_landing", group_name=group, dagster_dlt_translator=_Translator(feeds_tag),
                pool=WRITER_POOL)
    def _landing(context: dg.AssetExecutionContext, dlt: DagsterDltResource,
                 warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
        """Land the configured surveys' responses recorded or changed since the last run, and changed definitions."""
        yield from dlt.run(context=context, dlt_pipeline=landing_pipeline(SOURCE, Path(warehouse.database)))

    return _landing
