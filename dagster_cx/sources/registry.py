"""The source systems this deployment is configured for (each by its own environment variables)."""

from __future__ import annotations

from pathlib import Path

from dagster_cx.sources.amazon_connect.source import AmazonConnectSource
from dagster_cx.sources.batches import VendorSource
from dagster_cx.sources.qualtrics.client import configured_settings as qualtrics_settings
from dagster_cx.sources.qualtrics.landed import QualtricsResponses
from dagster_cx.sources.surveys.exports import SurveyExports
from dagster_cx.sources.surveys.exports import configured_folder as survey_exports_folder
from dagster_cx.sources.zendesk.source import ZendeskSource


def configured_sources() -> list[VendorSource]:
    """Every source system whose configuration is set, in the order their batches load."""
    sources: list[VendorSource] = []
    if folder := survey_exports_folder():
        sources.append(SurveyExports(folder))
    if qualtrics := qualtrics_settings():
        sources.append(QualtricsResponses(qualtrics.mappings_dir))
    for configured in (ZendeskSource.from_environment(), AmazonConnectSource.from_environment()):
        if configured is not None:
            sources.append(configured)
    return sources


def drop_folders() -> dict[str, Path]:
    """The configured file sources' folders (survey exports, Amazon Connect CTRs), by source name."""
    return {source.name: source.folder for source in configured_sources()
            if isinstance(source, SurveyExports | AmazonConnectSource)}


def sources_feeding(entity: str) -> tuple[str, ...]:
    """The configured source systems whose batches can hold the entity's rows."""
    return tuple(source.name for source in configured_sources() if entity in source.feeds)
