{#- One row per landed Zendesk business-hours schedule, its id prefixed so it cannot collide with
    the seeds' schedule ids. Builds empty where Zendesk is not configured. -#}
{%- set schedules = optional_source('zendesk', 'schedules') -%}

with

{% if schedules is not none -%}
source as (
    select * from {{ schedules }}
),

renamed as (
    select
        'zendesk_' || cast(id as {{ dbt.type_string() }}) as schedule_id,
        id as zendesk_schedule_id,
        name as schedule_name,
        time_zone as zendesk_time_zone
    from source
),
{%- else -%}
renamed as (
    select
        cast(null as {{ dbt.type_string() }}) as schedule_id,
        cast(null as bigint) as zendesk_schedule_id,
        cast(null as {{ dbt.type_string() }}) as schedule_name,
        cast(null as {{ dbt.type_string() }}) as zendesk_time_zone
    where false
),
{%- endif %}

final as (
    select * from renamed
)

select * from final
