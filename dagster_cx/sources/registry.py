"""The source systems this deployment is configured for (each by its own environment variables)."""

from __future__ import annotations

from dagster_cx.sources.amazon_connect.source import AmazonConnectSource
from dagster_cx.sources.batches import VendorSource
from dagster_cx.sources.zendesk.source import ZendeskSource


def configured_sources() -> list[VendorSource]:
    """Every source system whose configuration is set, in the order their batches load."""
    sources: list[VendorSource | None] = [
        ZendeskSource.from_environment(),
        AmazonConnectSource.from_environment(),
    ]
    return [source for source in sources if source is not None]
