{#- Zendesk's own metric sets next to the warehouse's figures for the same tickets: one row per
    landed Zendesk ticket, kept whether or not either side has figures for it. DECISIONLOG,
    "Zendesk's metric sets and ours", says why they differ. -#}
{%- set minutes = [] -%}
{%- for metric in ['first_reply_time', 'first_resolution_time', 'full_resolution_time', 'requester_wait_time',
                   'agent_wait_time', 'on_hold_time'] -%}
    {%- for clock in ['calendar', 'business'] -%}
        {%- do minutes.append(metric ~ '_' ~ clock ~ '_minutes') -%}
    {%- endfor -%}
{%- endfor -%}
{#- Zendesk's count -> ours. -#}
{%- set counts = {'reopens': 'reopen_count', 'replies': 'agent_reply_count'} -%}
{%- set tolerance = var('cx_zendesk_reconciliation_tolerance_minutes') -%}

with

zendesk as (
    select * from {{ ref('stg_zendesk__ticket_metric_sets') }}
),

contacts as (
    select * from {{ ref('fct_contacts') }}
),

compared as (
    select
        zendesk.ticket_id,
        zendesk.contact_id,
        case
            when zendesk.is_deleted then 'deleted_in_zendesk'
            when contacts.contact_id is null then 'zendesk_only'
            when not zendesk.has_metric_set then 'warehouse_only'
            else 'both'
        end as comparison,
        {%- for name in minutes %}
        zendesk.{{ name }} as zendesk_{{ name }},
        contacts.{{ name }},
        contacts.{{ name }} - zendesk.{{ name }} as {{ name }}_difference,
        {%- endfor %}
        {%- for theirs, ours in counts.items() %}
        zendesk.{{ theirs }} as zendesk_{{ theirs }},
        contacts.{{ ours }},
        contacts.{{ ours }} - zendesk.{{ theirs }} as {{ theirs }}_difference{{ ',' if not loop.last }}
        {%- endfor %}
    from zendesk
    left join contacts on contacts.contact_id = zendesk.contact_id
),

measured as (
    select
        *,
        {#- A measure differs when both sides have it and they are further apart than the tolerance
            (counts: at all), or when only one side has it. -#}
        nullif(concat_ws(', ',
            {%- for name in minutes %}
            case when abs({{ name }}_difference) > {{ tolerance }}
                      or ((zendesk_{{ name }} is null) <> ({{ name }} is null)) then '{{ name }}' end,
            {%- endfor %}
            {%- for theirs, ours in counts.items() %}
            case when {{ theirs }}_difference <> 0
                      or ((zendesk_{{ theirs }} is null) <> ({{ ours }} is null)) then '{{ theirs }}' end{{ ',' if not loop.last }}
            {%- endfor %}
        ), '') as differing_measures
    from compared
),

final as (
    select
        *,
        case when comparison = 'both' then differing_measures is null end as is_within_tolerance
    from measured
)

select * from final
