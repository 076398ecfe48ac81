"""Blocking asset checks that run the Great Expectations suites in `expectations/`.

A failing suite stops every asset downstream of the table it checks: a failure on staged
data keeps the marts from building; one on a mart keeps it from being published. Each check
records its outcome in the warehouse's validation ledger, which lets the next one validate only
the rows changed since (dagster_cx.quality.validation_scope).
"""


import dagster as dg

from dagster_cx import settings
from dagster_cx.build_state import project_fingerprint
from dagster_cx.defs.dbt_project import dbt_project
from dagster_cx.defs.resources import BuildOptionsResource, WarehouseResource
from dagster_cx.quality.gx_suites import SuiteSpec, check_suite, load_suites
from dagster_cx.quality.validation_scope import decide_scope, record_validation


def _build_check(spec: SuiteSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(spec.asset_key)),
        name=f"gx_{spec.name}",
        blocking=spec.severity == "error",
        description=f"Great Expectations suite {spec.path.name} on {spec.relation}"
        + (" (warns; the build goes on)." if spec.severity == "warn" else "."),
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
               build_options: BuildOptionsResource) -> dg.AssetCheckResult:
        if settings.dbt_target() != "duckdb":
            raise dg.Failure(
                f"CX_DBT_TARGET={settings.dbt_target()}: the Great Expectations suites read the DuckDB build, "
                "which this deployment does not make. Run the job cx_spark_build (ingestion and dbt, with "
                "dbt's tests) instead of cx_full_build; README, 'Scaling out'."
            )
        project = project_fingerprint(dbt_project.project_dir)
        outcome = check_suite(lambda: warehouse.connect(read_only=True), spec,
                              lambda con: decide_scope(con, spec, project, build_options.full_refresh))
        context.log.info(f"{spec.name}: validated {outcome.rows:,} rows, {outcome.scope.reason}.")
        with warehouse.connect() as con:
            record_validation(con, spec, project, outcome)
        for failure in outcome.failures:
            context.log.error(f"{spec.name}: {failure}")
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.WARN if spec.severity == "warn" else dg.AssetCheckSeverity.ERROR,
            description=None if outcome.success else
            f"{len(outcome.failures)} of {outcome.evaluated} expectations failed on {spec.relation} "
            f"({outcome.scope.reason}); "
            + ("look at the rows it names: the build went on." if spec.severity == "warn" else
               f"fix the data (or the suite {spec.path.name}) and re-run."),
            metadata={
                "rows_validated": outcome.rows,
                "scope": outcome.scope.reason,
                "expectations_evaluated": outcome.evaluated,
                "failed_expectations": dg.MetadataValue.json(outcome.failures),
            },
        )

    return _check


gx_checks = [_build_check(spec) for spec in load_suites(settings.EXPECTATIONS_DIR)]
