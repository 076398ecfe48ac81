{#- Zendesk's SLA policies as project SLA policies (one row per policy x channel x priority x queue
    it matches, '*' where it sets no condition on the field), mapped in Python when they land
    (dagster_cx/sources/zendesk/sla_policies.py). A row without a metric is a priority the policy
    matches but sets no target for: Zendesk applies no later policy to it. Only policies whose
    every condition the project expresses are here; builds empty without Zendesk and on Spark. -#}
{%- set targets = optional_source('zendesk', 'sla_policy_targets') -%}
{%- set text = dbt.type_string() -%}

with

targets as (
    {% if targets is not none -%}
    select
        zendesk_policy_id,
        cast(title as {{ text }}) as title,
        position,
        cast(metric as {{ text }}) as metric,
        cast(channel as {{ text }}) as channel,
        cast(priority as {{ text }}) as priority,
        cast(queue as {{ text }}) as queue,
        target_minutes,
        is_business_hours
    from {{ targets }}
    {%- else -%}
    select
        cast(null as bigint) as zendesk_policy_id,
        cast(null as {{ text }}) as title,
        cast(null as bigint) as position,
        cast(null as {{ text }}) as metric,
        cast(null as {{ text }}) as channel,
        cast(null as {{ text }}) as priority,
        cast(null as {{ text }}) as queue,
        cast(null as bigint) as target_minutes,
        cast(null as boolean) as is_business_hours
    where false
    {%- endif %}
),

final as (
    select
        'zendesk_' || cast(zendesk_policy_id as {{ text }}) as sla_policy_id,
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
