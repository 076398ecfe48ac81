{#- One row per landed Zendesk holiday: a schedule closed from start_date to end_date, both
    included (local dates of the schedule). Builds empty where Zendesk is not configured. -#}
{%- set holidays = optional_source('zendesk', 'schedule_holidays') -%}

with

{% if holidays is not none -%}
source as (
    select * from {{ holidays }}
),

renamed as (
    select
        'zendesk_' || cast(schedule_id as {{ dbt.type_string() }}) as schedule_id,
        id as zendesk_holiday_id,
        name as holiday_name,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date
    from source
),
{%- else -%}
renamed as (
    select
        cast(null as {{ dbt.type_string() }}) as schedule_id,
        cast(null as bigint) as zendesk_holiday_id,
        cast(null as {{ dbt.type_string() }}) as holiday_name,
        cast(null as date) as start_date,
        cast(null as date) as end_date
    where false
),
{%- endif %}

final as (
    select * from renamed
)

select * from final
