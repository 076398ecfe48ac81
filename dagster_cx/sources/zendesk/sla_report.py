"""What did not become a project SLA policy of the landed Zendesk ones: counted for the landing
asset's metadata and the run's console summary (the rows themselves: zendesk.sla_policy_mapping)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from dagster_cx.sources.zendesk.sla_resource import MAPPING_TABLE

SCHEMA = "zendesk"


@dataclass(frozen=True)
class SlaMappingCounts:
    """Zendesk policies landed and not applied, and their conditions and metrics not applied."""

    policies: int
    policies_not_applied: int
    parts_not_applied: int


def sla_mapping_counts(con: duckdb.DuckDBPyConnection) -> SlaMappingCounts | None:
    """The counts of the last landing; None where no Zendesk SLA policies ever landed."""
    exists = con.execute("select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
                         [SCHEMA, MAPPING_TABLE]).fetchall()[0][0]
    if not exists:
        return None
    [(policies, not_applied, parts)] = con.execute(f"""
        select count(distinct zendesk_policy_id),
               count(distinct case when part = 'condition' and not is_applied then zendesk_policy_id end),
               count(*) filter (where not is_applied)
        from {SCHEMA}.{MAPPING_TABLE}""").fetchall()
    return SlaMappingCounts(policies, not_applied, parts)


def sla_mapping_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A console line when some Zendesk policy, condition or metric is not applied; none otherwise."""
    counts = sla_mapping_counts(con)
    if counts is None or not counts.parts_not_applied:
        return []
    return [f"Zendesk SLA policies: {counts.policies_not_applied} of {counts.policies} not applied, "
            f"{counts.parts_not_applied} conditions or metrics not applied in all; why: "
            f"`select * from {SCHEMA}.{MAPPING_TABLE} where not is_applied` in the warehouse "
            "(staging.stg_zendesk__sla_policy_mapping after the build)"]
