{#- Every condition and metric of every Zendesk SLA policy, applied or not, with why (mapped in
    Python when the policies land: dagster_cx/sources/zendesk/sla_policies.py). Builds empty
    without Zendesk and on Spark. -#}
{%- set mapping = optional_source('zendesk', 'sla_policy_mapping') -%}
{%- set text = dbt.type_string() -%}

with

mapping as (
    {% if mapping is not none -%}
    select
        zendesk_policy_id,
        cast(title as {{ text }}) as title,
        position,
        cast(part as {{ text }}) as part,
        cast(detail as {{ text }}) as detail,
        is_applied,
        cast(reason as {{ text }}) as reason
    from {{ mapping }}
    {%- else -%}
    select
        cast(null as bigint) as zendesk_policy_id,
        cast(null as {{ text }}) as title,
        cast(null as bigint) as position,
        cast(null as {{ text }}) as part,
        cast(null as {{ text }}) as detail,
        cast(null as boolean) as is_applied,
        cast(null as {{ text }}) as reason
    where false
    {%- endif %}
),

final as (
    select
        'zendesk_' || cast(zendesk_policy_id as {{ text }}) as sla_policy_id,
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
