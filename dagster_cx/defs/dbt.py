"""dbt models as Dagster assets, in two steps so quality checks can stand between them.

Staging (plus seeds) builds first; the Great Expectations checks on staged data are
blocking, so intermediate models and marts only build from data that passed them.
`dbt build` also runs each model's dbt tests, which dagster-dbt reports as asset checks.
dbt unit tests check SQL logic against fixtures, not data, so they run where the logic
changes (the test suite, `dbt test --select test_type:unit`), not in every scheduled build.
"""


from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_cx.defs.dbt_project import dbt_project
from dagster_cx.defs.ingest import WRITER_POOL

STAGING_SELECTION = "staging resource_type:seed"
MARTS_SELECTION = "intermediate marts"
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]


class LayerTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer folder (staging, intermediate, marts) instead of one 'default'."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "staging"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=STAGING_SELECTION,
    name="dbt_staging",
    dagster_dbt_translator=LayerTranslator(),
    pool=WRITER_POOL,
)
def dbt_staging(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Seeds and staging views, with their dbt tests."""
    yield from dbt.cli(BUILD_ARGS, context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=MARTS_SELECTION,
    name="dbt_marts",
    dagster_dbt_translator=LayerTranslator(),
    pool=WRITER_POOL,
)
def dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Intermediate models, facts, dimensions and metric marts, with their dbt tests."""
    yield from dbt.cli(BUILD_ARGS, context=context).stream()
