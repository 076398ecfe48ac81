"""Landing assets of the configured API sources (one module per source system here), and what they feed.

A landing asset lands a vendor's records as they are (dlt, through dagster-dlt's `@dlt_assets`)
into the warehouse schema named after the source; the ingestion step then maps them onto the
contract. Its spec's tag (tags.py) names the raw entities its records become, so each raw
asset depends on the landings that feed it and lineage reads vendor -> raw -> staging.
"""

import dagster as dg

from dagster_cx.defs.sources.qualtrics import qualtrics_landing
from dagster_cx.defs.sources.tags import fed_entities
from dagster_cx.defs.sources.zendesk import zendesk_landing
from dagster_cx.sources.qualtrics.client import configured_settings as qualtrics_settings
from dagster_cx.sources.zendesk.source import ZendeskSource


def landing_assets() -> list[dg.AssetsDefinition]:
    """The landing assets of every configured API source (none without configuration)."""
    assets = []
    if qualtrics := qualtrics_settings():
        assets.append(qualtrics_landing(qualtrics))
    if (zendesk := ZendeskSource.from_environment()) is not None:
        assets.append(zendesk_landing(zendesk))
    return assets


def landings_feeding(entity: str) -> list[dg.AssetKey]:
    """Keys of the landing assets whose records map to the entity."""
    return [spec.key for assets in landing_assets() for spec in assets.specs if entity in fed_entities(spec.tags)]
