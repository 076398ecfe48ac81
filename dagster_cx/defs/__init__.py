"""Dagster definitions, one module per concern; `dagster_cx.definitions` assembles them."""
