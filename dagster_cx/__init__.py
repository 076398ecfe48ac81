"""CX analytics warehouse: Dagster assets, a dbt project on DuckDB and Great Expectations checks."""
