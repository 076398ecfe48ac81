"""Key-driver analysis as an asset: which Forces and Pillars move NPS, per segment and quarter."""

from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from dagster_cx.analysis.driver_mart import (
    COLUMN_DESCRIPTIONS,
    INPUT_COLUMNS,
    MART_COLUMNS,
    TABLE_DESCRIPTION,
    driver_mart,
)
from dagster_cx.defs.ingest import WRITER_POOL
from dagster_cx.defs.resources import WarehouseResource
from dagster_cx.warehouse import sql_literal

SOURCE = "marts.fct_survey_responses"
TABLE = "marts.mart_driver_importance"
# LayerTranslator names dbt groups after the model folder: the dbt marts are in group "marts".
GROUP = "marts"


class DriverImportanceConfig(dg.Config):
    """Run configuration, editable in the launchpad."""

    min_responses: int = Field(
        default=200,
        description="Fewest complete cases (NPS and all six construct scores) a scope needs to get rows. "
        "200 gives about 30 cases per driver for six drivers, the usual floor for a stable regression, and "
        "keeps the standard error of an R^2 near 0.6 at about 0.04; smaller scopes are skipped and reported.",
    )


@dg.asset(
    key=["marts", "mart_driver_importance"],
    group_name=GROUP,
    kinds={"python", "duckdb"},
    deps=[dg.AssetKey(["marts", "fct_survey_responses"])],
    pool=WRITER_POOL,
    metadata={
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, sql_type, description=COLUMN_DESCRIPTIONS[name])
                     for name, sql_type in MART_COLUMNS.items()]
        )
    },
)
def mart_driver_importance(
    context: dg.AssetExecutionContext, config: DriverImportanceConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Johnson and Shapley (LMG) importance of each Force and Pillar for NPS, with performance and quadrant."""
    with warehouse.connect(read_only=True) as con:
        responses = con.execute(f"select {', '.join(INPUT_COLUMNS)} from {SOURCE}").df()
    mart = driver_mart(responses, config.min_responses, datetime.now(UTC))
    for scope, reason in mart.skipped.items():
        context.log.info(f"skipped {scope}: {reason}")
    columns = ", ".join(f"cast({name} as {sql_type}) as {name}" for name, sql_type in MART_COLUMNS.items())
    with warehouse.connect() as con:
        con.register("driver_importance_rows", mart.rows)
        # One transaction: a reader sees the old table or the new one, never half of it.
        con.execute("begin transaction")
        con.execute(f"create or replace table {TABLE} as select {columns} from driver_importance_rows")
        con.execute(f"comment on table {TABLE} is {sql_literal(TABLE_DESCRIPTION)}")
        for name, description in COLUMN_DESCRIPTIONS.items():
            con.execute(f"comment on column {TABLE}.{name} is {sql_literal(description)}")
        con.execute("commit")
    overall = mart.rows[mart.rows["scope_type"] == "all"].groupby("framework")["r_squared"].first()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(mart.rows),
            "min_responses": config.min_responses,
            "scopes_computed": dg.MetadataValue.json(mart.computed),
            "scopes_skipped": dg.MetadataValue.json(mart.skipped),
            **{f"r_squared_all_{framework}": float(value) for framework, value in overall.items()},
        }
    )
