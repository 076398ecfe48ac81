{#- One row per interval of a landed Zendesk schedule, in Zendesk's unit: minutes since Sunday
    00:00 of the schedule's week (0 to 10080). Builds empty where Zendesk is not configured or no
    schedule has intervals (dlt creates the column only once one has). -#}
{%- set schedules = optional_source('zendesk', 'schedules') -%}

with

{% if schedules is not none and 'intervals' in column_names(schedules) -%}
intervals as (
    select
        id,
        unnest(cast(intervals as json[])) as week_interval
    from {{ schedules }}
),

renamed as (
    select
        'zendesk_' || cast(id as {{ dbt.type_string() }}) as schedule_id,
        cast(week_interval ->> 'start_time' as integer) as week_start_minute,
        cast(week_interval ->> 'end_time' as integer) as week_end_minute
    from intervals
),
{%- else -%}
renamed as (
    select
        cast(null as {{ dbt.type_string() }}) as schedule_id,
        cast(null as integer) as week_start_minute,
        cast(null as integer) as week_end_minute
    where false
),
{%- endif %}

final as (
    select * from renamed
)

select * from final
