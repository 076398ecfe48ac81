{#- One row per landed Zendesk ticket with Zendesk's own metrics (null where it has no metric
    set yet). Builds empty where Zendesk is not configured: its tables do not exist then. dlt
    adds a column only once a record has a value for it, so a missing one reads as null. -#}
{%- set tickets = optional_source('zendesk', 'tickets') -%}
{%- set metric_sets = optional_source('zendesk', 'ticket_metric_sets') -%}
{%- set ticket_columns = column_names(tickets) -%}
{%- set metric_columns = column_names(metric_sets) -%}
{#- Zendesk's field -> the fivetran-style name of the same measure in fct_contacts. -#}
{%- set timed = {'reply_time': 'first_reply_time', 'first_resolution_time': 'first_resolution_time',
                 'full_resolution_time': 'full_resolution_time', 'requester_wait_time': 'requester_wait_time',
                 'agent_wait_time': 'agent_wait_time', 'on_hold_time': 'on_hold_time'} -%}
{%- set columns = {} -%}
{%- for field, name in timed.items() -%}
    {%- for clock in ['calendar', 'business'] -%}
        {%- do columns.update({name ~ '_' ~ clock ~ '_minutes':
            json_number('metric_sets.' ~ field ~ '_in_minutes', clock) if field ~ '_in_minutes' in metric_columns
            else 'cast(null as double)'}) -%}
    {%- endfor -%}
{%- endfor -%}
{%- for count in ['reopens', 'replies'] -%}
    {%- do columns.update({count: 'cast(metric_sets.' ~ count ~ ' as bigint)' if count in metric_columns
                                  else 'cast(null as bigint)'}) -%}
{%- endfor -%}

with

{% if tickets is not none -%}
tickets as (
    select
        id as ticket_id,
        {{ 'coalesce(cast(external_id as ' ~ dbt.type_string() ~ '), cast(id as ' ~ dbt.type_string() ~ '))'
           if 'external_id' in ticket_columns else 'cast(id as ' ~ dbt.type_string() ~ ')' }} as contact_id,
        status = 'deleted' as is_deleted
    from {{ tickets }}
),
{%- else -%}
tickets as (
    select cast(null as bigint) as ticket_id, cast(null as {{ dbt.type_string() }}) as contact_id, cast(null as boolean) as is_deleted
    where false
),
{%- endif %}

metric_sets as (
    {% if metric_sets is not none -%}
    select * from {{ metric_sets }}
    {%- else -%}
    select cast(null as bigint) as ticket_id where false
    {%- endif %}
),

final as (
    select
        tickets.ticket_id,
        tickets.contact_id,
        tickets.is_deleted,
        metric_sets.ticket_id is not null as has_metric_set,
        {%- for name, expression in columns.items() %}
        {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from tickets
    left join metric_sets on metric_sets.ticket_id = tickets.ticket_id
)

select * from final
