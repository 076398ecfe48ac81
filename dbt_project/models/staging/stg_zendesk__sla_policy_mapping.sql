{#- Every condition and metric of every Zendesk SLA policy, applied or not, with why (mapped in
    Python when the policies land: dagster_cx/sources/zendesk/sla_policies.py). Builds empty
    without Zendesk and on Spark. -#}

with

mapping as (
    {{ optional_source_columns('zendesk', 'sla_policy_mapping', {
        'zendesk_policy_id': 'bigint', 'title': 'text', 'position': 'bigint', 'part': 'text', 'detail': 'text',
        'is_applied': 'boolean', 'reason': 'text'}) }}
),

final as (
    select
        'zendesk_' || cast(zendesk_policy_id as {{ dbt.type_string() }}) as sla_policy_id,
        zendesk_policy_id,
        title,
        position as precedence,
        part,
        detail,
        is_applied,
        reason
    from mapping
)

select * from final
