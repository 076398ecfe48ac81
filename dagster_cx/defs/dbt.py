"""dbt models as Dagster assets, in two steps so quality checks can stand between them.

Staging (plus seeds) builds first; the Great Expectations checks on staged data are
blocking, so intermediate models and marts only build from data that passed them.
`dbt build` also runs each model's dbt tests, which dagster-dbt reports as asset checks (the
tests on raw sources too, as checks on the ingestion assets). A failing test fails `dbt build`
and so its step, which stops everything downstream: the checks need not block on their own,
and a step that builds nothing (no new data) leaves no blocking check without a result.
Both steps follow one build plan (dagster_cx.build_state): incremental by default, a full
refresh when the dbt project changed or the run's build_options ask for it, a backfill of a
date range, or nothing at all when no raw data arrived since the last build: then the steps
yield no materialization and everything downstream of them is skipped.
dbt unit tests check SQL logic against fixtures, not data, so they run where the logic
changes (the test suite, `dbt test --select test_type:unit`), not in every scheduled build.
"""

import shutil
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from dagster_cx import settings
from dagster_cx.build_state import BuildPlan, plan_build, project_fingerprint, record_build, record_staging_build
from dagster_cx.contract import ENTITIES
from dagster_cx.dbt_failures import build_failure, describe_test_result
from dagster_cx.defs.dbt_project import dbt_project, ensure_manifest
from dagster_cx.defs.ingest import WRITER_POOL
from dagster_cx.defs.resources import BuildOptionsResource, WarehouseResource
from dagster_cx.ingest.raw_tables import ensure_raw_schema
from dagster_cx.quality.gx_suites import import_in_background

STAGING_SELECTION = "staging resource_type:seed"
MARTS_SELECTION = "intermediate marts"
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]


class LayerTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer folder (staging, intermediate, marts) instead of one 'default'.

    dbt's tests on raw sources run with staging (their YAML sits there): in that step they are
    checks on the ingestion assets, rather than observations with a warning each that they were
    "not included in Dagster's asset check selection". Only one step may define a check.
    """

    def __init__(self, source_tests_as_checks: bool = False) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=source_tests_as_checks))

    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project: DbtProject | None) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec._replace(blocking=False) if spec else None  # the failing `dbt build` blocks instead

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "staging"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


def _plan(context: dg.AssetExecutionContext, warehouse: WarehouseResource, options: BuildOptionsResource) -> BuildPlan:
    rebuild_from, rebuild_to = options.dates()
    with warehouse.connect() as con:
        ensure_raw_schema(con, ENTITIES)  # the build log exists even before the first ingestion
        plan = plan_build(
            con, project_fingerprint(dbt_project.project_dir),
            full_refresh=options.full_refresh, rebuild_from=rebuild_from, rebuild_to=rebuild_to,
        )
    context.log.info(plan.describe())
    return plan


def _dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, plan: BuildPlan) -> Iterator[Any]:
    """`dbt build` for the plan, streamed as Dagster events; a failure names the failing tests and models.

    dagster-dbt gives each invocation a target folder of its own (artefacts, compiled SQL, dbt.log),
    14 MB at the sample's size: it is removed after a success and kept after a failure, for its log.
    """
    invocation = dbt.cli([*BUILD_ARGS, *plan.dbt_args], context=context, raise_on_error=False)
    for event in invocation.stream():
        yield describe_test_result(event) if isinstance(event, dg.AssetCheckResult) else event
    if not invocation.is_successful():
        results_path = invocation.target_path / "run_results.json"
        raise dg.Failure(description=build_failure(
            invocation.get_artifact("run_results.json") if results_path.exists() else {},
            invocation.manifest, getattr(invocation, "_error_messages", []), invocation.target_path / "dbt.log",
        ))
    shutil.rmtree(invocation.target_path, ignore_errors=True)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=STAGING_SELECTION,
    name="dbt_staging",
    dagster_dbt_translator=LayerTranslator(source_tests_as_checks=True),
    pool=WRITER_POOL,
)
def dbt_staging(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
    build_options: BuildOptionsResource,
) -> Iterator[Any]:
    """Seeds and staging models, with their dbt tests."""
    plan = _plan(context, warehouse, build_options)
    if plan.mode != "skip":
        if settings.dbt_target() == "duckdb":
            import_in_background()  # the checks on staging run next
        ensure_manifest()  # this warehouse's parse state, so dbt parses partially
        yield from _dbt_build(context, dbt, plan)
        if not context.is_subset:  # a subset leaves some staging tables behind these loads
            with warehouse.connect() as con:
                record_staging_build(con, plan, datetime.now(UTC), context.run_id)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=MARTS_SELECTION,
    name="dbt_marts",
    dagster_dbt_translator=LayerTranslator(),
    pool=WRITER_POOL,
)
def dbt_marts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
    build_options: BuildOptionsResource,
) -> Iterator[Any]:
    """Intermediate models, facts, dimensions and metric marts, with their dbt tests."""
    plan = _plan(context, warehouse, build_options)
    if plan.mode == "skip":
        return
    started_at = datetime.now(UTC)
    ensure_manifest()
    yield from _dbt_build(context, dbt, plan)
    if context.is_subset:
        # The models left out have not seen these loads: the next full run recomputes them.
        context.log.warning("Only some models were selected: the build log stays where it was.")
        return
    with warehouse.connect() as con:
        record_build(con, plan, started_at, datetime.now(UTC), context.run_id)
