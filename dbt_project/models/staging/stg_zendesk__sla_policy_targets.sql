{#- Zendesk's SLA policies as project SLA policies (one row per policy x channel x priority x queue
    it matches, '*' where it sets no condition on the field), mapped in Python when they land
    (dagster_cx/sources/zendesk/sla_policies.py). A row without a metric is a priority the policy
    matches but sets no target for: Zendesk applies no later policy to it. Only policies whose
    every condition the project expresses are here; builds empty without Zendesk and on Spark. -#}

with

targets as (
    {{ optional_source_columns('zendesk', 'sla_policy_targets', {
        'zendesk_policy_id': 'bigint', 'title': 'text', 'position': 'bigint', 'metric': 'text', 'channel': 'text',
        'priority': 'text', 'queue': 'text', 'target_minutes': 'bigint', 'is_business_hours': 'boolean'}) }}
),

final as (
    select
        'zendesk_' || cast(zendesk_policy_id as {{ dbt.type_string() }}) as sla_policy_id,
        zendesk_policy_id,
        title,
        position as precedence,
        metric,
        channel,
        priority,
        queue,
        target_minutes,
        is_business_hours
    from targets
)

select * from final
