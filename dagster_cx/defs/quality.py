"""Blocking asset checks that run the Great Expectations suites in `expectations/`.

A failing suite stops every asset downstream of the table it checks: a failure on staged
data keeps the marts from building; one on a mart keeps it from being published.
"""


import dagster as dg

from dagster_cx import settings
from dagster_cx.defs.resources import WarehouseResource
from dagster_cx.quality.gx_suites import SuiteSpec, check_suite, load_suites


def _build_check(spec: SuiteSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(spec.asset_key)),
        name=f"gx_{spec.name}",
        blocking=True,
        description=f"Great Expectations suite {spec.path.name} on {spec.relation}.",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        if settings.dbt_target() != "duckdb":
            raise dg.Failure(
                f"CX_DBT_TARGET={settings.dbt_target()}: the Great Expectations suites read the DuckDB build, "
                "which this deployment does not make. Run the job cx_spark_build (ingestion and dbt, with "
                "dbt's tests) instead of cx_full_build; README, 'Scaling out'."
            )
        outcome = check_suite(lambda: warehouse.connect(read_only=True), spec)
        for failure in outcome.failures:
            context.log.error(f"{spec.name}: {failure}")
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=None if outcome.success else
            f"{len(outcome.failures)} of {outcome.evaluated} expectations failed on {spec.relation}; "
            f"fix the data (or the suite {spec.path.name}) and re-run.",
            metadata={
                "rows_validated": outcome.rows,
                "expectations_evaluated": outcome.evaluated,
                "failed_expectations": dg.MetadataValue.json(outcome.failures),
            },
        )

    return _check


gx_checks = [_build_check(spec) for spec in load_suites(settings.EXPECTATIONS_DIR)]
