"""What a failed dbt build says: which test or model failed, on what, how many rows, how to see them.

dagster-dbt reports a failing dbt test as an asset check with no description and ends the step
with "The dbt CLI process with command ... failed", which names neither the test nor its rows.
These helpers turn dbt's run results into one line per failure, with the command that shows
the failing rows (dbt stores them in a table with --store-failures and prints where).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_cx import settings
from dagster_cx.dbt_child import dbt_executable

FAILED_ROW_COUNT = "dagster_dbt/failed_row_count"
FAILED_STATUSES = ("fail", "error", "runtime error")


def failing_rows_command(test_name: str) -> str:
    """The command that stores a test's failing rows in the warehouse and prints the query to read them."""
    warehouse = os.environ.get("CX_WAREHOUSE") or str(settings.warehouse_path())
    return (f"cd {settings.DBT_PROJECT_DIR} && CX_WAREHOUSE={warehouse} {dbt_executable()} test "
            f"--select {test_name} --store-failures")


def _failing_rows(count: int | None, otherwise: str) -> str:
    return f"{count:,} failing row{'' if count == 1 else 's'}" if count else otherwise


def describe_test_result(result: dg.AssetCheckResult) -> dg.AssetCheckResult:
    """A failing dbt test's check result with a description: the test, its model, the rows and how to see them."""
    if result.passed or result.description:
        return result
    rows = result.metadata.get(FAILED_ROW_COUNT)
    model = result.asset_key.to_user_string() if result.asset_key else "its model"
    return result._replace(description=f"dbt test {result.check_name} on {model}: "
                                       f"{_failing_rows(rows.value if rows else None, 'failed')}; see them: "
                                       f"{failing_rows_command(result.check_name)}")


def _node_label(node: Mapping[str, Any]) -> str:
    return f"{node['resource_type']} {node['name']}"


def build_failure(run_results: Mapping[str, Any], manifest: Mapping[str, Any], errors: list[str], log_path: Path) -> str:
    """One line per failed dbt node (a test: its model and failing rows; a model: dbt's error), and the skips.

    `errors` are dbt's error-level messages, the only account of a failure before any node ran
    (a compilation error, a database that cannot be opened).
    """
    nodes = manifest.get("nodes", {})
    lines, skipped = [], 0
    for result in run_results.get("results", []):
        status = str(result.get("status", "")).lower()
        node = nodes.get(result["unique_id"], {"resource_type": "node", "name": result["unique_id"]})
        if status == "skipped":
            skipped += 1
        elif status in FAILED_STATUSES and node["resource_type"] == "test":
            parents = [nodes[p]["name"] for p in node.get("depends_on", {}).get("nodes", []) if p in nodes]
            lines.append(f"dbt test {node['name']} on {', '.join(parents) or 'its model'}: "
                         f"{_failing_rows(result.get('failures'), status)}; see them: {failing_rows_command(node['name'])}")
        elif status in FAILED_STATUSES:
            message = " ".join(str(result.get("message") or status).split())
            lines.append(f"dbt {_node_label(node)}: {message}")
    if not lines:
        message = " ".join(" ".join(errors).split())[:600]
        lines.append(f"dbt stopped before running any model: {message or 'see its log'}")
    if skipped:
        lines.append(f"dbt skipped {skipped} models and tests that depend on it")
    lines.append(f"dbt's own log: {log_path}")
    return "\n".join(lines)
